"""`rdm logs`: the log service's links per client, by namespace and app."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT
from rdm.edges.repository import Repository
from rdm.model.policy import LogService
from rdm.reports import logs

Run = Callable[..., tuple[int, str, str]]
BASE = "https://logs.saas.com.br/app/explore?q="


def test_one_link_per_running_workload_and_one_for_the_namespace(example: Repository) -> None:
    assert example.operations is not None
    found = logs.links(example.topologies["grupo-alvorada"], example.operations.logs)
    assert [link.app for link in found] == [
        "",
        "protheus-appserver-prod",
        "protheus-appserver-homolog",
        "protheus-dbaccess",
        "protheus-license",
        "protheus-lockserver",
        "protheus-status",
        "protheus-tss",
        "protheus-webservice-prod",
        "protheus-webservice-homolog",
    ]  # protheus-appserver-update is disabled: no pods, no link
    assert found[3].query == 'namespace:"grupo-alvorada" AND app:"protheus-dbaccess"'
    assert found[3].url == (
        BASE + "namespace%3A%22grupo-alvorada%22%20AND%20app%3A%22protheus-dbaccess%22"
    )


def test_a_running_update_gets_its_link(example: Repository) -> None:
    assert example.operations is not None
    topology = example.topologies["grupo-alvorada"]
    update = replace(topology.workload("protheus-appserver-update"), enabled=True)  # type: ignore[type-var]
    running = replace(
        topology,
        workloads=tuple(update if w.name == update.name else w for w in topology.workloads),
    )
    apps = [link.app for link in logs.links(running, example.operations.logs)]
    assert "protheus-appserver-update" in apps


def test_a_logql_query_and_characters_that_would_break_the_url(example: Repository) -> None:
    service = LogService(
        url="https://grafana.saas.com.br/explore?left={query}&orgId=1",
        query='{namespace="{namespace}", app="{app}"} |= "" # & ?',
    )
    (link,) = logs.links(example.topologies["grupo-alvorada"], service, "protheus-tss")
    assert link.query == '{namespace="grupo-alvorada", app="protheus-tss"} |= "" # & ?'
    assert link.url == (
        "https://grafana.saas.com.br/explore?left="
        "%7Bnamespace%3D%22grupo-alvorada%22%2C%20app%3D%22protheus-tss%22%7D%20%7C%3D%20"
        "%22%22%20%23%20%26%20%3F&orgId=1"
    )


def test_without_a_namespace_query_only_workloads(example: Repository) -> None:
    assert example.operations is not None
    service = replace(example.operations.logs, namespace_query=None)
    found = logs.links(example.topologies["grupo-alvorada"], service)
    assert "" not in [link.app for link in found]


def test_the_command(run_rdm: Run) -> None:
    code, out, err = run_rdm("logs", "hospital-santa-luzia", "--repo", str(ROOT))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0]
        == "(todos)                      " + BASE + "namespace%3A%22hospital-santa-luzia%22"
    )
    assert lines[3] == (
        "protheus-dbaccess            "
        + BASE
        + "namespace%3A%22hospital-santa-luzia%22%20AND%20app%3A%22protheus-dbaccess%22"
    )
    assert len(lines) == 10


def test_one_workload_as_json(run_rdm: Run) -> None:
    code, out, _ = run_rdm(
        "logs",
        "grupo-alvorada",
        "--workload",
        "protheus-appserver-update",
        "--format",
        "json",
        "--repo",
        str(ROOT),
    )
    assert code == 0
    assert json.loads(out) == {
        "orgId": "grupo-alvorada",
        "links": [
            {
                "app": "protheus-appserver-update",
                "query": 'namespace:"grupo-alvorada" AND app:"protheus-appserver-update"',
                "url": BASE
                + "namespace%3A%22grupo-alvorada%22%20AND%20app%3A%22protheus-appserver-update%22",
            }
        ],
    }


@pytest.mark.parametrize(
    ("argv", "err"),
    [
        (
            ["padaria-do-ze"],
            "rdm: usage: sem topologia para padaria-do-ze (topologies/<org-id>.yaml)\n",
        ),
        (
            ["grupo-alvorada", "--workload", "appserver"],
            "rdm: usage: --workload 'appserver' não é um workload; use um destes: "
            "protheus-appserver-prod, protheus-appserver-homolog, protheus-appserver-update, "
            "protheus-dbaccess, protheus-license, protheus-lockserver, protheus-status, "
            "protheus-tss, protheus-webservice-prod, protheus-webservice-homolog\n",
        ),
    ],
)
def test_usage_errors(run_rdm: Run, argv: list[str], err: str) -> None:
    assert run_rdm("logs", *argv, "--repo", str(ROOT)) == (2, "", err)


def test_a_broken_log_policy_is_shown(run_rdm: Run, example_repo: Path) -> None:
    policy = example_repo / "policy/operations.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("https://logs.", "http://logs."),
        encoding="utf-8",
    )
    code, out, err = run_rdm("logs", "grupo-alvorada", "--repo", str(example_repo))
    assert (code, out) == (1, "")
    assert err.startswith("policy/operations.yaml:14:3: error: ")
    assert "logs.url: 'http://logs.saas.com.br/app/explore?q={query}': an https:// URL" in err


@pytest.mark.parametrize(
    "text", ["", "a b&c=d#e?f/g", 'namespace:"x" AND app:"y"', "ação ~_.-", "{}|\\^`"]
)
def test_percent_encoding_is_urllib_s(text: str) -> None:
    from urllib.parse import quote

    assert logs.percent_encode(text) == quote(text, safe="")


def test_a_client_with_nothing_running_and_no_namespace_search(
    run_rdm: Run, example_repo: Path
) -> None:
    # A client being shut down (desativação): every workload disabled. Without a
    # namespace-wide search there is no link to give; that is said, not a crash.
    policy = example_repo / "policy/operations.yaml"
    policy.write_text(
        "\n".join(
            line
            for line in policy.read_text(encoding="utf-8").splitlines()
            if "namespaceQuery" not in line
        )
        + "\n",
        encoding="utf-8",
    )
    topology = example_repo / "topologies/metalurgica-sao-jorge.yaml"
    text = topology.read_text(encoding="utf-8")
    for name in (
        "protheus-appserver-prod", "protheus-appserver-homolog", "protheus-dbaccess",
        "protheus-license", "protheus-lockserver", "protheus-status", "protheus-tss",
        "protheus-webservice-prod", "protheus-webservice-homolog",
    ):  # fmt: skip
        text = text.replace(f"\n  {name}:\n", f"\n  {name}:\n    enabled: false\n", 1)
    topology.write_text(text, encoding="utf-8")
    assert run_rdm("validate", "--repo", str(example_repo))[0] == 0
    code, out, err = run_rdm("logs", "metalurgica-sao-jorge", "--repo", str(example_repo))
    assert (code, out) == (1, "")
    assert err == (
        "rdm: metalurgica-sao-jorge não tem nenhum workload em execução e "
        "policy/operations.yaml não tem logs.namespaceQuery: não há link a mostrar "
        "(--workload NOME dá o de qualquer workload)\n"
    )
    code, out, _ = run_rdm(
        "logs", "metalurgica-sao-jorge", "--format", "json", "--repo", str(example_repo)
    )
    assert (code, json.loads(out)) == (1, {"orgId": "metalurgica-sao-jorge", "links": []})


# ---------------------------------------------------------------- rdm logs --tail
# Against the cluster: tests/test_logs_cluster.py. Here what is decided before a
# cluster is reached, and how hostile log bytes are shown.


@pytest.mark.parametrize(
    ("argv", "err"),
    [
        (["--tail", "0"], "rdm: usage: --tail 0: de 1 a 1000000 linhas\n"),
        (["--tail", "1000001"], "rdm: usage: --tail 1000001: de 1 a 1000000 linhas\n"),
        (
            ["--tail", "5", "--since", "5 minutes"],
            "rdm: usage: --since '5 minutes' não é uma duração como 30s, 15m, 2h, 1h30m ou 2d\n",
        ),
        (
            ["--tail", "5", "--since", "m"],
            "rdm: usage: --since 'm' não é uma duração como 30s, 15m, 2h, 1h30m ou 2d\n",
        ),
        (["--tail", "5", "--since", "0s"], "rdm: usage: --since '0s': de 1s a 366d\n"),
        (["--tail", "5", "--since", "367d"], "rdm: usage: --since '367d': de 1s a 366d\n"),
        (
            ["--tail", "5", "--since", "9999999d"],
            "rdm: usage: --since '9999999d' não é uma duração como 30s, 15m, 2h, 1h30m ou 2d\n",
        ),
        (["--since", "1h"], "rdm: usage: --since só vale com --tail N\n"),
        (["--previous"], "rdm: usage: --previous só vale com --tail N\n"),
        (["--container", "tss"], "rdm: usage: --container só vale com --tail N\n"),
        (
            ["--tail", "5", "--format", "json"],
            "rdm: usage: --tail mostra linhas de log como texto; --format json é para os links\n",
        ),
        (
            ["--tail", "5", "--container", "tss?follow=true"],
            "rdm: usage: --container 'tss?follow=true' não é um nome de contêiner\n",
        ),
        (
            ["--tail", "5", "--workload", "protheus"],
            "rdm: usage: --workload 'protheus' não é um workload; use um destes: "
            "protheus-appserver-prod, protheus-appserver-homolog, protheus-appserver-update, "
            "protheus-dbaccess, protheus-license, protheus-lockserver, protheus-status, "
            "protheus-tss, protheus-webservice-prod, protheus-webservice-homolog\n",
        ),
    ],
)
def test_tail_usage_errors(run_rdm: Run, argv: list[str], err: str) -> None:
    assert run_rdm("logs", "grupo-alvorada", *argv) == (2, "", err)


@pytest.mark.parametrize(
    "org", ["Grupo-Alvorada", "../kube-system", "a,b=c", "x" * 64, "x-", "grupo alvorada", ""]
)
def test_tail_refuses_what_is_not_a_namespace_name(run_rdm: Run, org: str) -> None:
    assert run_rdm("logs", org, "--tail", "5") == (
        2,
        "",
        f"rdm: usage: {org!r} não é um org id (um nome de namespace: letras minúsculas, "
        "dígitos e '-', no máximo 63)\n",
    )


def test_tail_needs_a_cluster(
    run_rdm: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run_rdm("logs", "grupo-alvorada", "--tail", "5") == (
        2,
        "",
        "rdm: usage: no cluster configured: pass --kubeconfig FILE, set KUBECONFIG, "
        "or run inside the cluster\n",
    )
    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nclusters: []\ncontexts: []\n", encoding="utf-8")
    code, out, err = run_rdm("logs", "grupo-alvorada", "--tail", "5", "--kubeconfig", str(broken))
    assert (code, out) == (3, "")
    assert err.startswith(f"rdm: cannot use the kubeconfig {broken}: ")


def one(data: bytes, *, more: bool = False, late: bool = False, **fields: object) -> list[str]:
    from rdm.model.kube import LogRead
    from rdm.operations.pod_logs import ContainerLog

    defaults: dict[str, object] = {"pod": "tss-7d9f", "container": "tss", "containers": ("tss",)}
    found = ContainerLog(**{**defaults, **fields}, read=LogRead(data, more, late))  # type: ignore[arg-type]
    return logs.tail_lines(found)


BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (b"\x1b[2J\x1b]0;pwned\x07ok", "\\x1b[2J\\x1b]0;pwned\\x07ok"),
        ("\x9b31m C1 CSI".encode(), "\\x9b31m C1 CSI"),
        ("fim\u202eod\u2066x\u200b".encode(), "fim\\u202eod\\u2066x\\u200b"),
        (b"\tat FATA010.PRW line 231", "\tat FATA010.PRW line 231"),
        (b"ok\r", "ok"),  # CRLF: the CR of the line break goes
        (b"a\rb", "a\\x0db"),  # a CR inside a line would overwrite it
        (b"a\x00b\x7fc", "a\\x00b\\x7fc"),
        (b"\xff\xfeBOM? \xc3(", "\\xff\\xfeBOM? \\xc3("),
        ("ação ✓".encode(), "ação ✓"),
    ],
)
def test_a_log_line_is_shown_never_obeyed(line: bytes, shown: str) -> None:
    assert one(line + b"\n") == [f"[pod/tss-7d9f] {shown}"]


@pytest.mark.parametrize("brk", [b for b in BREAKS if b not in "\r\n"])
def test_one_log_line_is_one_output_line_that_starts_with_its_pod(brk: str) -> None:
    # under GitHub Actions a line starting with :: would be a workflow command
    shown = one(f"x{brk}::error::forged{brk}##[warning]forged\n".encode())
    assert len(shown) == 1
    assert shown[0].startswith("[pod/tss-7d9f] x\\")
    assert not any(b in shown[0] for b in BREAKS)


def test_lines_cut_by_the_limit_or_the_deadline_are_left_out() -> None:
    assert one(b"one\ntwo\nthr", more=True) == ["[pod/tss-7d9f] one", "[pod/tss-7d9f] two"]
    assert one(b"one\ntwo\n", more=True) == ["[pod/tss-7d9f] one", "[pod/tss-7d9f] two"]
    assert one("one\nação".encode()[:-1], late=True) == ["[pod/tss-7d9f] one"]
    # a log that simply ends without a line break keeps its last line
    assert one(b"one\nlast") == ["[pod/tss-7d9f] one", "[pod/tss-7d9f] last"]
    assert one(b"") == []
    assert one(b"\n") == ["[pod/tss-7d9f] "]


def test_the_prefix_names_the_container_when_the_pod_has_several() -> None:
    assert one(b"up\n", container="proxy", containers=("appserver", "proxy")) == [
        "[pod/tss-7d9f/proxy] up"
    ]


def test_notes_name_the_pod_escaped_and_say_why() -> None:
    from rdm.model.kube import LogRead
    from rdm.operations.pod_logs import ContainerLog

    hostile = ContainerLog("x\x1b[2J", "tss", ("a\u202eb",), absent=True)
    assert logs.tail_notes(hostile, 1024, 30.0) == [
        "rdm: [pod/x\\x1b[2J] não tem o contêiner tss (seus contêineres: a\\u202eb)"
    ]
    missing = ContainerLog("tss-1", "tss", ("tss",), missing="400 BadRequest: no\x07")
    assert logs.tail_notes(missing, 1024, 30.0) == [
        "rdm: [pod/tss-1] sem log: 400 BadRequest: no\\x07"
    ]
    cut = ContainerLog("tss-1", "tss", ("tss",), read=LogRead(b"x", more=True))
    assert logs.tail_notes(cut, 1024 * 1024, 30.0) == [
        "rdm: [pod/tss-1] log cortado em 1 MiB: peça menos linhas (--tail) ou um --since menor"
    ]
    assert logs.tail_notes(cut, 1500, 30.0)[0].startswith("rdm: [pod/tss-1] log cortado em 1500 B")
    late = ContainerLog("tss-1", "tss", ("tss",), read=LogRead(b"x", late=True))
    assert logs.tail_notes(late, 1024, 2.5) == [
        "rdm: [pod/tss-1] log cortado após 2,5 s de leitura: o resto não chegou a tempo "
        "(--request-timeout)"
    ]
    whole = ContainerLog("tss-1", "tss", ("tss",), read=LogRead(b"x\n"))
    assert logs.tail_notes(whole, 1024, 30.0) == []
