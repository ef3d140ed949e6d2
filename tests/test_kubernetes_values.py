"""Values Kubernetes would refuse or misread never reach a manifest (issue 8, item 8).

`rdm validate` reports them as findings (the cases under
tests/cases/validate/invalid/topology-*); here the renderer is handed such
values directly, as a caller that skipped validation would, and must refuse
them with a RenderError naming the value -- and the rules themselves are held
to Kubernetes' own: label values, quantities, image references.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from rdm.model import kubernetes_values as k8s
from rdm.model.topologies import EnvVar, Topology
from rdm.rendering import manifests as rendering
from test_rendering import example, with_workload

PROD = "protheus-appserver-prod"


def refused(topology: Topology) -> str:
    with pytest.raises(rendering.RenderError) as raised:
        rendering.render(topology)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"replicas": 5.0},
            "grupo-alvorada: workloads.protheus-appserver-prod.replicas: 5.0 is not an integer "
            "(Kubernetes reads a number with a fraction or an exponent as a float); write 5 "
            "[topology-integer]",
        ),
        (
            {"replicas": True},
            "grupo-alvorada: workloads.protheus-appserver-prod.replicas: True is not an integer "
            "[topology-integer]",
        ),
        (
            {"replicas": -1},
            "grupo-alvorada: workloads.protheus-appserver-prod.replicas: -1 is outside "
            "0..2147483647 [topology-integer]",
        ),
        (
            {"cpu_request": "-1"},
            "grupo-alvorada: workloads.protheus-appserver-prod.cpu.request: '-1' is negative; "
            "Kubernetes refuses a negative request or limit [topology-quantity]",
        ),
        (
            {"memory_limit": "1e+30Gi"},
            "grupo-alvorada: workloads.protheus-appserver-prod.memory.limit: '1e+30Gi' is not a "
            "Kubernetes quantity: a number with an optional unit, e.g. 500m, 2, 1.5 or 512Mi "
            "[topology-quantity]",
        ),
        (
            {"cpu_request": "8", "cpu_limit": "4"},
            "grupo-alvorada: workloads.protheus-appserver-prod.cpu: the request 8 is over the "
            "limit 4; Kubernetes refuses a request above its limit [topology-request-over-limit]",
        ),
        (
            {"image": "registry.saas.local/protheus/appserver:12.1 "},
            "grupo-alvorada: workloads.protheus-appserver-prod.image: "
            "'registry.saas.local/protheus/appserver:12.1 ' is not an image reference "
            "(registry/path:tag or @sha256:digest) [topology-image]",
        ),
        (
            {"image": "registry.saas.local/protheus/appserver"},
            "grupo-alvorada: workloads.protheus-appserver-prod.image: "
            "'registry.saas.local/protheus/appserver' has no tag or digest (it would mean "
            "'latest') [topology-image]",
        ),
        (
            {"env": (EnvVar("TZ\n", "x", None, None),)},
            "grupo-alvorada: workloads.protheus-appserver-prod.env.0.name: 'TZ\\n' is not an "
            "environment variable name (ASCII letters, digits and '_', not starting with a "
            "digit) [topology-env-name]",
        ),
        (
            {"env": (EnvVar("MY VAR", "x", None, None),)},
            "grupo-alvorada: workloads.protheus-appserver-prod.env.0.name: 'MY VAR' is not an "
            "environment variable name (ASCII letters, digits and '_', not starting with a "
            "digit) [topology-env-name]",
        ),
        (
            {"env": (EnvVar("SENHA", None, "protheus-db", "pass word"),)},
            "grupo-alvorada: workloads.protheus-appserver-prod.env.0.secretKeyRef.key: "
            "'pass word' is not a Secret key (ASCII letters, digits, '-', '_' and '.') "
            "[topology-secret-key]",
        ),
        (
            {"config": {"general": {"Key": "a\u2028b"}}},
            "grupo-alvorada: workloads.protheus-appserver-prod.config.general.Key: 'a\\u2028b' "
            "has a line break (or NUL), which no ini value can hold [topology-config-value]",
        ),
        (
            {"config": {"gen\veral": {"Key": "1"}}},
            "grupo-alvorada: workloads.protheus-appserver-prod.config.gen\veral: 'gen\\x0beral' "
            "has a line break (or NUL), which no ini file can hold [topology-config-name]",
        ),
    ],
)
def test_the_renderer_refuses_what_kubernetes_would(
    changes: dict[str, object], expected: str
) -> None:
    assert refused(with_workload(example("grupo-alvorada"), PROD, **changes)) == expected


@pytest.mark.parametrize(
    ("release", "why"),
    [
        ("12.1.2410\n", "is not a Kubernetes label value"),
        ("12.1.\u0662\u0664\u0661\u0660", "is not a Kubernetes label value"),  # Arabic-Indic
        ("1." + "1" * 62, "is longer than a label value may be (63 characters)"),
        ("-12.1.2410", "is not a Kubernetes label value"),
        ("12.1.2410.", "is not a Kubernetes label value"),
    ],
)
def test_a_release_that_is_not_a_label_value_is_refused(release: str, why: str) -> None:
    topology = dataclasses.replace(example("grupo-alvorada"), release=release)
    message = refused(topology)
    assert message.startswith(f"grupo-alvorada: release: {release!r} {why}")
    assert message.endswith("[topology-label-value]")


def test_a_database_port_given_as_a_float_is_refused() -> None:
    topology = example("grupo-alvorada")
    database = dataclasses.replace(topology.database, port=1433.0)  # type: ignore[arg-type]
    message = refused(dataclasses.replace(topology, database=database))
    assert message == (
        "grupo-alvorada: database.port: 1433.0 is not an integer (Kubernetes reads a number "
        "with a fraction or an exponent as a float); write 1433 [topology-integer]"
    )


def test_a_line_break_in_the_database_host_is_refused() -> None:
    topology = example("grupo-alvorada")
    database = dataclasses.replace(topology.database, host="db\x85[MSSQL]")
    assert refused(dataclasses.replace(topology, database=database)).endswith(
        "[topology-config-value]"
    )


def test_trimmed_ini_names_are_one_name_in_the_rendered_file() -> None:
    topology = with_workload(
        example("grupo-alvorada"),
        PROD,
        config={" general ": {"MaxStringSize ": "20"}},
    )
    manifests = rendering.render(topology)
    config_map = next(m for m in manifests if m.name == f"{PROD}-config")
    ini = config_map.obj["data"]["appserver.ini"]
    assert "[general]\nMaxStringSize=20\n" in ini
    assert " general" not in ini and "MaxStringSize " not in ini


# ---------------------------------------------------------------- the rules themselves


@pytest.mark.parametrize(
    "value",
    ["", "a", "A1", "12.1.2410", "a-b_c.d", "x" * 63, "smart-esocial"],
)
def test_label_values_kubernetes_accepts(value: str) -> None:
    assert k8s.label_value_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["x" * 64, "-a", "a-", "_a", "a.", "a b", "a\n", "á", "\u0661", "a/b", "a:b"],
)
def test_label_values_kubernetes_refuses(value: str) -> None:
    assert k8s.label_value_problem(value) is not None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("500m", "1/2"),
        ("2", "2"),
        ("512Mi", str(512 * 2**20)),
        ("1.5G", "1500000000"),
        ("1e3", "1000"),  # Kubernetes' own grammar (rdm.model.quantities): text with an exponent
        ("1e+30", str(10**30)),
    ],
)
def test_quantities_parse_to_their_amount(text: str, amount: str) -> None:
    from fractions import Fraction

    assert k8s.quantity_problem(text) is None
    assert Fraction(k8s.quantity(text).value) == Fraction(amount)


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("1", "1e999999999"),
        ("1e-999999999", "1n"),  # the server rounds it up to one billionth: equal
        ("1e2147483646", "1e2147483647"),
        ("1e4294967295", "1"),  # the exponent wraps as in the server's int32: 10^-1
        ("1Ei", "1e999999999"),
    ],
)
def test_quantities_with_huge_exponents_compare_at_once(smaller: str, larger: str) -> None:
    # Compared as exact decimals: turning 1e999999999 into an integer took minutes and
    # gigabytes, and `rdm validate` hung on a topology that wrote it.
    assert k8s.quantity(smaller) <= k8s.quantity(larger)
    assert not k8s.quantity(larger) < k8s.quantity(smaller)


@pytest.mark.parametrize(
    "value", ["-1", -1, math.inf, math.nan, "1K", 1e30, "1 Gi", "1gi", "\u0662", True, None]
)
def test_quantities_kubernetes_would_refuse_or_misread(value: object) -> None:
    assert k8s.quantity_problem(value) is not None


@pytest.mark.parametrize(
    "reference",
    [
        "registry.saas.local/protheus/appserver:12.1.2410-20261105",
        "localhost:5000/a/b:1",
        "a__b/c--d:v1",
        "[::1]:5000/x:1",
        "x@sha256:" + "a" * 64,
        "registry.saas.local/x:1.0@sha256:" + "0" * 64,
    ],
)
def test_image_references_of_the_grammar(reference: str) -> None:
    assert k8s.image_problem(reference) is None


@pytest.mark.parametrize(
    "reference",
    [
        "Registry/UPPER/x:1",  # path components are lower case
        "x:1 ",
        " x:1",
        "x:1\n",
        "x\n:1",
        "x:latest",
        "x",
        "x:" + "a" * 129,
        "x:-tag",
        "x@sha256:abc",
        "a/" + "b" * 260 + ":1",
        "x:1.\u0661",
    ],
)
def test_image_references_outside_the_grammar(reference: str) -> None:
    assert k8s.image_problem(reference) is not None


# ---------------------------------------------------------------- through rdm validate


RELEASE = "release: 12.1.2410\n"
TZ = "      - {name: TZ, value: America/Sao_Paulo}\n"
IMAGE = "  appserver: registry.saas.local/protheus/appserver:12.1.2410-20261105\n"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (RELEASE, 'release: "12.1.2410\\n"\n'),
        (RELEASE, 'release: "12.1.\u0662\u0664\u0661\u0660"\n'),
        (RELEASE, "release: 12.1.2410.\n"),
        (TZ, '      - {name: "TZ\\n", value: x}\n'),
        (TZ, '      - {name: "T Z", value: x}\n'),
        (IMAGE, '  appserver: "registry.saas.local/protheus/appserver:12.1.2410-20261105\\n"\n'),
        (IMAGE, '  appserver: "registry.saas.local/protheus/app server:12.1"\n'),
    ],
)
def test_validate_reports_each_at_its_line(
    example_repo: object, run_rdm: object, old: str, new: str
) -> None:
    from pathlib import Path

    repo = Path(str(example_repo))
    topology = repo / "topologies" / "grupo-alvorada.yaml"
    text = topology.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    topology.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, out, _ = run_rdm("validate", "--repo", str(repo), "--format", "json")  # type: ignore[operator]
    assert code == 1
    found = [
        (p["line"], p["rule"])
        for p in json.loads(out)["problems"]
        if p["path"].endswith("grupo-alvorada.yaml")
    ]
    # The schema's pattern or rdm's own rule, whichever sees it first: never silence.
    assert found and all(at == line for at, _ in found), found
    assert {rule for _, rule in found} <= {
        "schema",
        "topology-label-value",
        "topology-env-name",
        "topology-image",
    }
    code, _, err = run_rdm("render", "--repo", str(repo))  # type: ignore[operator]
    assert code == 1 and "grupo-alvorada.yaml" in err
