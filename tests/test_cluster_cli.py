"""The cluster commands before they reach a cluster: arguments, RDM, kubeconfig."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "a,b=c"],
        ["snapshots", "Org"],
        ["rollback", "../x"],
        ["restart", "x" * 64, "--emergency"],
        ["apply", "ok", "not_ok"],
        ["diff", "-"],
        ["drift", "a/b"],
    ],
)
def test_an_org_id_must_be_a_namespace_name(run_rdm: Run, argv: list[str]) -> None:
    code, _, err = run_rdm(*argv)
    assert code == 2
    assert "is not an org id (a namespace name: lower-case letters, digits and '-'" in err


def test_apply_refuses_an_rdm_that_does_not_target_the_topology(
    run_rdm: Run, example_repo: Path
) -> None:
    code, _, err = run_rdm(
        "apply", "metalurgica-sao-jorge", "--rdm", "RDM-2026-0043", "--repo", str(example_repo)
    )
    assert code == 2
    assert err == (
        "rdm: usage: RDM-2026-0043 does not target metalurgica-sao-jorge "
        "(its targets: cooperativa-vale-verde)\n"
    )


def test_apply_refuses_an_unknown_rdm(run_rdm: Run, example_repo: Path) -> None:
    code, _, err = run_rdm(
        "apply", "metalurgica-sao-jorge", "--rdm", "RDM-2026-9999", "--repo", str(example_repo)
    )
    assert code == 1
    assert err == "rdm: RDM-2026-9999: there is no rdms/2026/RDM-2026-9999.yaml\n"
    code, _, err = run_rdm("apply", "metalurgica-sao-jorge", "--rdm", "mudança-42")
    assert (code, err) == (2, "rdm: usage: --rdm 'mudança-42' is not an RDM id (RDM-YYYY-NNNN)\n")


def test_without_a_kubeconfig_the_commands_say_how_to_give_one(
    run_rdm: Run, example_repo: Path
) -> None:
    code, _, err = run_rdm("diff", "metalurgica-sao-jorge", "--repo", str(example_repo))
    assert code == 2
    assert err == (
        "rdm: usage: no cluster configured: pass --kubeconfig FILE, set KUBECONFIG, "
        "or run inside the cluster\n"
    )


def test_a_broken_kubeconfig_is_an_outside_failure(run_rdm: Run, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nclusters: []\ncontexts: []\n", encoding="utf-8")
    code, _, err = run_rdm("status", "--kubeconfig", str(config))
    assert code == 3
    assert err.startswith(f"rdm: cannot use the kubeconfig {config}: ")


def test_a_bad_budget_is_a_usage_error(run_rdm: Run, example_repo: Path) -> None:
    code, _, err = run_rdm(
        "apply", "metalurgica-sao-jorge", "--budget", "soon", "--repo", str(example_repo)
    )
    assert code == 2
    assert "'soon' is not a duration like 45m, 2h or 1h30m" in err


def test_a_topology_that_does_not_render_is_not_applied(
    run_rdm: Run, example_repo: Path
) -> None:
    topology = example_repo / "topologies" / "metalurgica-sao-jorge.yaml"
    topology.write_text(
        topology.read_text(encoding="utf-8").replace("replicas: 2", "replicas: dois", 1),
        encoding="utf-8",
    )
    code, _, err = run_rdm("apply", "metalurgica-sao-jorge", "--repo", str(example_repo))
    assert code == 1
    assert "topologies/metalurgica-sao-jorge.yaml:" in err and "[schema]" in err
