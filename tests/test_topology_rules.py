"""Topology rules as a user sees them: the exact lines `rdm validate` prints.

The folder cases (tests/cases/validate) pin positions and rule ids; these pin
the words, since a message is only useful when it says what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import overlay

CASES = Path(__file__).parent / "cases" / "validate"


def _lines(repo: Path, run_rdm: Callable[..., tuple[int, str, str]], case: str) -> list[str]:
    overlay(repo, CASES / case / "files")
    code, out, err = run_rdm("validate", "--repo", str(repo), "--format", "text")
    assert err == ""
    assert code == 1
    return [line.removeprefix(f"{repo}/") for line in out.splitlines()[:-1]]


def test_quantities_say_what_to_write(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    license_, lockserver = "workloads.protheus-license", "workloads.protheus-lockserver"
    assert _lines(example_repo, run_rdm, "invalid/topology-quantity-malformed") == [
        f"topologies/grupo-alvorada.yaml:55:11: error: {license_}.cpu.request: '0,25': "
        "write the decimal point as '.', e.g. '0.25' [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:55:28: error: {license_}.cpu.limit: '1K': "
        "Kubernetes writes the unit 'K' as k (1k = 1000) or Ki (1Ki = 1024) [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:56:14: error: {license_}.memory.request: '512MB': "
        "Kubernetes writes the unit 'MB' as M or Mi [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:56:30: error: {license_}.memory.limit: '1 Gi': "
        "a quantity has no spaces; write '1Gi' [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:59:11: error: {lockserver}.cpu.request: '-250m' is "
        "negative; Kubernetes refuses a negative request or limit [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:59:29: error: {lockserver}.cpu.limit: 'inf' is not "
        "a Kubernetes quantity: a number with an optional unit, e.g. 500m, 2, 1.5 or 512Mi "
        "[topology-quantity]",
        f"topologies/grupo-alvorada.yaml:60:14: error: {lockserver}.memory.request: '512m' "
        "is 0.512 bytes, not a whole number of bytes; m means thousandths: did you mean "
        "'512Mi'? [topology-quantity]",
        f"topologies/grupo-alvorada.yaml:60:29: error: {lockserver}.memory.limit: '1.5' is "
        "1.5 bytes, not a whole number of bytes; write memory with Ki, Mi or Gi, e.g. 512Mi "
        "[topology-quantity]",
    ]


def test_request_above_limit_compares_as_kubernetes(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/topology-request-above-limit") == [
        "topologies/grupo-alvorada.yaml:63:11: error: workloads.protheus-status.cpu: the request "
        "1001m is over the limit 1; Kubernetes refuses a request above its limit "
        "[topology-request-over-limit]",
        "topologies/grupo-alvorada.yaml:67:11: error: workloads.protheus-tss.cpu: the request 2 "
        "is over the limit 1500m; Kubernetes refuses a request above its limit "
        "[topology-request-over-limit]",
        "topologies/grupo-alvorada.yaml:68:14: error: workloads.protheus-tss.memory: the request "
        "2Gi is over the limit 2000Mi; Kubernetes refuses a request above its limit "
        "[topology-request-over-limit]",
    ]


def test_env_names_once_and_never_the_renderers(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/topology-env-duplicate") == [
        "topologies/grupo-alvorada.yaml:33:16: error: env TZ is set twice in "
        "protheus-appserver-prod (first on line 31); Kubernetes refuses the second: keep one "
        "[topology-env-duplicate]",
        "topologies/grupo-alvorada.yaml:55:15: error: PROTHEUS_DB_USER is set by rdm on "
        "protheus-dbaccess from database.credentialsSecret; remove it here "
        "[topology-env-duplicate]",
    ]
