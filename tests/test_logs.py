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
