"""Standard-change templates against topology diffs (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdm.decisions.standard import TopologyDiff, beyond_template, changed_paths, split_image
from rdm.model.policy import StandardTemplate

REPLICAS = StandardTemplate(
    name="ajuste-de-replicas",
    description="",
    fields=("workloads.*.replicas",),
    image_tags=None,
    workloads=("protheus-appserver-prod", "protheus-appserver-homolog"),
    environments=("producao", "homologacao"),
)


def topology(**workloads: dict) -> dict:
    return {
        "images": {"appserver": "reg:5000/protheus/appserver:12.1.2410-1"},
        "workloads": workloads,
    }


def test_changed_paths_lists_dotted_paths_of_what_differs():
    base = {"a": 1, "w": {"x": {"replicas": 1, "env": [1]}}}
    head = {"a": 1, "w": {"x": {"replicas": 2, "env": [1, 2], "image": "i"}}, "new": True}
    assert changed_paths(base, head) == ("new", "w.x.env", "w.x.image", "w.x.replicas")


@given(
    st.recursive(
        st.integers() | st.text(max_size=3),
        lambda c: st.dictionaries(st.text(max_size=3), c, max_size=3),
    )
)
def test_nothing_changes_between_a_value_and_itself(value):
    assert changed_paths(value, value) == ()


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "reg.local/protheus/appserver:12.1.2410-1",
            ("reg.local/protheus/appserver", "12.1.2410-1"),
        ),
        ("reg:5000/appserver:1.2", ("reg:5000/appserver", "1.2")),
        ("reg:5000/appserver", ("reg:5000/appserver", "")),
        ("reg:5000/appserver@sha256:" + "a" * 64, ("reg:5000/appserver", "@sha256:" + "a" * 64)),
    ],
)
def test_split_image_keeps_a_registry_port(image, expected):
    assert split_image(image) == expected


def test_replicas_within_the_template():
    base = topology(**{"protheus-appserver-prod": {"replicas": 2}})
    head = topology(**{"protheus-appserver-prod": {"replicas": 4}})
    assert beyond_template(REPLICAS, (TopologyDiff("c", base, head),)) == ()


def test_a_glob_does_not_reach_deeper_paths():
    base = topology(**{"protheus-appserver-prod": {"replicas": 2, "config": {"replicas": 1}}})
    head = topology(**{"protheus-appserver-prod": {"replicas": 2, "config": {"replicas": 9}}})
    (finding,) = beyond_template(REPLICAS, (TopologyDiff("c", base, head),))
    assert (
        "workloads.protheus-appserver-prod.config.replicas: not a field the template allows"
        in finding
    )


def test_workload_outside_the_template_and_added_topology():
    base = topology(**{"protheus-tss": {"replicas": 1}})
    head = topology(**{"protheus-tss": {"replicas": 2}})
    findings = beyond_template(
        REPLICAS, (TopologyDiff("c", base, head), TopologyDiff("n", None, head))
    )
    assert findings == (
        "topologies/c.yaml: workloads.protheus-tss.replicas: "
        "workload protheus-tss is not in the template's "
        "workloads (protheus-appserver-prod, protheus-appserver-homolog)",
        "topologies/n.yaml: the PR adds the whole topology",
    )


def test_shared_workloads_serve_both_environments():
    template = StandardTemplate("t", "", ("workloads.*.replicas",), None, None, ("homologacao",))
    base = topology(**{"protheus-dbaccess": {"replicas": 1}})
    head = topology(**{"protheus-dbaccess": {"replicas": 2}})
    (finding,) = beyond_template(template, (TopologyDiff("c", base, head),))
    assert "protheus-dbaccess serves producao, outside the template's environments" in finding


@pytest.mark.parametrize(
    ("rule", "new", "ok"),
    [
        ("same-major-minor", "reg:5000/protheus/appserver:12.1.2510-7", True),
        ("same-major-minor", "reg:5000/protheus/appserver:12.2.2410-1", False),
        ("same-major-minor-patch", "reg:5000/protheus/appserver:12.1.2410-9", True),
        ("same-major-minor-patch", "reg:5000/protheus/appserver:12.1.2510-1", False),
        ("any", "reg:5000/protheus/appserver:latest", True),
        ("same-major-minor", "reg:5000/other/appserver:12.1.2410-2", False),
        ("same-major-minor", "reg:5000/protheus/appserver:latest", False),
    ],
)
def test_image_tag_rules(rule, new, ok):
    template = StandardTemplate("t", "", ("workloads.*.image",), rule, None, None)
    base = topology(**{"protheus-appserver-homolog": {"replicas": 1}})
    head = topology(**{"protheus-appserver-homolog": {"replicas": 1, "image": new}})
    assert (beyond_template(template, (TopologyDiff("c", base, head),)) == ()) is ok


def test_a_digest_is_beyond_a_version_rule_and_says_why():
    from rdm.decisions.standard import _image_problem

    old = "registry.saas.local/protheus/appserver:12.1.2410-20261105"
    new = "registry.saas.local/protheus/appserver@sha256:" + "a" * 64
    problem = _image_problem("same-major-minor", old, new)
    assert problem is not None
    assert (
        "a digest carries no version, so it cannot be checked against same-major-minor" in problem
    )
    assert "image changes from" not in problem
