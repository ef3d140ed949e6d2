"""Topology rules as a user sees them: the exact lines `rdm validate` prints.

The folder cases (tests/cases/validate) pin positions and rule ids; these pin
the words, since a message is only useful when it says what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import overlay
from rdm.model.policy import host_problem

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


def test_a_quantity_without_a_number_is_not_read_as_zero(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    # The API server reads `Mi`, `+` or `.` as 0; a person who means none writes 0.
    license_, lockserver = "workloads.protheus-license", "workloads.protheus-lockserver"
    tail = "has no number (Kubernetes would read it as 0); write the amount, e.g. 500m, 2 or "
    tail += "512Mi (or 0 for none) [topology-quantity]"
    assert _lines(example_repo, run_rdm, "invalid/topology-quantity-without-a-number") == [
        f"topologies/grupo-alvorada.yaml:57:11: error: {license_}.cpu.request: '+' {tail}",
        f"topologies/grupo-alvorada.yaml:57:25: error: {license_}.cpu.limit: '.' {tail}",
        f"topologies/grupo-alvorada.yaml:58:14: error: {license_}.memory.request: 'Mi' {tail}",
        f"topologies/grupo-alvorada.yaml:58:27: error: {license_}.memory.limit: '+.Gi' {tail}",
        f"topologies/grupo-alvorada.yaml:61:11: error: {lockserver}.cpu.request: 'e3' {tail}",
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


def test_a_host_must_be_a_public_name_an_ingress_can_serve(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    example = "write the full name, e.g. erp.cliente.com.br [topology-host]"
    assert _lines(example_repo, run_rdm, "invalid/topology-host-not-public") == [
        "topologies/grupo-alvorada.yaml:80:13: error: the produção host 10.20.30.40 is not a "
        "public host name: it is an IP address; an Ingress serves a DNS name (Kubernetes "
        "refuses an IP there), so write the name that points at the cluster, e.g. "
        "erp.cliente.com.br [topology-host]",
        "topologies/grupo-alvorada.yaml:81:16: error: the homologação host erp.123 is not a "
        f"public host name: its last part 123 is all digits, and no top-level domain is; {example}",
        "topologies/hospital-santa-luzia.yaml:80:13: error: the produção host xn--zz.hsl.com.br "
        "is not a public host name: the part xn--zz starts with xn-- but is not valid punycode "
        "(the ASCII form of an accented name); copy the name as the DNS provider shows it "
        "[topology-host]",
    ]


def test_a_default_host_must_be_a_public_name_too(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/cluster-hosts-not-public") == [
        "policy/cluster.yaml:11:15: error: '{orgId}' does not give a valid host name (for org "
        "id acme: 'acme'): it has no domain (a single name, no dot); write the full name, e.g. "
        "erp.cliente.com.br [cluster-hosts]",
        "policy/cluster.yaml:12:18: error: '{orgId}.10' does not give a valid host name (for "
        "org id acme: 'acme.10'): its last part 10 is all digits, and no top-level domain is; "
        "write the full name, e.g. erp.cliente.com.br [cluster-hosts]",
    ]


@pytest.mark.parametrize(
    "host",
    [
        "erp.alvorada.com.br",
        "1.2.3.4.nip.io",  # an IP in a name: a name all the same
        "xn--rvore-0ra.com.br",  # árvore.com.br in ASCII form
        "a.b",
        "erp-homolog.x1.com",
    ],
)
def test_public_host_names(host: str) -> None:
    assert host_problem(host) is None


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("10.0.0.1", "it is an IP address"),
        ("::1", "it is an IP address"),
        ("erp.123", "its last part 123 is all digits"),
        ("localhost", "it has no domain"),
        ("xn--zz.com.br", "the part xn--zz starts with xn-- but is not valid punycode"),
        ("xn--.com.br", "it is not a DNS name"),
        ("xn--a-.com.br", "it is not a DNS name"),
        ("xn--ab.com.br", "is not valid punycode"),
        ("ERP.alvorada.com.br", "write it as erp.alvorada.com.br"),
        ("erp.alvorada.com.br.", "write it as erp.alvorada.com.br"),
        ("*.alvorada.com.br", "it is not a DNS name"),
        ("erp_1.alvorada.com.br", "it is not a DNS name"),
        ("a" * 64 + ".com", "has 64 characters (at most 63)"),
        (".".join(["a" * 63] * 4) + ".com", "characters (at most 253)"),
    ],
)
def test_hosts_that_cannot_be_public_say_why(host: str, words: str) -> None:
    assert words in (host_problem(host) or "")


def test_one_database_is_shared_however_its_name_is_spelled(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    tail = "one client's change would touch another's data; give each client its own database"
    tail += " [topology-database-shared]"
    case = "invalid/topology-database-shared-spelled-differently"
    assert _lines(example_repo, run_rdm, case) == [
        "topologies/cooperativa-vale-verde.yaml:25:9: error: database P12_VALEVERDE on "
        "sql-fiscal-01.db.saas.local is also the database of grupo-alvorada, "
        f"hospital-santa-luzia: {tail}",
        "topologies/grupo-alvorada.yaml:25:9: error: database [P12_VALEVERDE] on "
        "SQL-FISCAL-01.db.saas.local. is also the database of cooperativa-vale-verde, "
        f"hospital-santa-luzia: {tail}",
        "topologies/hospital-santa-luzia.yaml:25:9: error: database p12_valeverde  on "
        "sql-fiscal-01.db.saas.local is also the database of cooperativa-vale-verde, "
        f"grupo-alvorada: {tail}",
    ]
