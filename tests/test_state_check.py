"""The outside check's reading of `managedFields` (tests/state_check.py), on the shapes
the API server writes: FieldsV1 keys `f:` (a field), `k:` (a list item by its keys),
`v:` (a list item by value), `.` (the item itself), `{}` (the whole value)."""

from __future__ import annotations

import copy
from typing import Any

from rdm.model.kube import OWNED_KINDS
from state_check import COLLECTIONS, applied_view, first_difference, normalize, owned_by

LIVE: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "tss",
        "namespace": "org-a",
        "uid": "u-1",
        "resourceVersion": "42",
        "labels": {"app": "tss", "team": "ops"},
        "annotations": {"deployment.kubernetes.io/revision": "3", "rdm/wave": "2"},
        "managedFields": [
            {
                "manager": "rdm",
                "operation": "Apply",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}}, "f:annotations": {"f:rdm/wave": {}}},
                    "f:spec": {
                        "f:selector": {},
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"tss"}': {".": {}, "f:name": {}, "f:image": {}}
                                },
                                "f:finalizers": {'v:"a"': {}},
                            }
                        },
                    },
                },
            },
            {
                "manager": "rancher",
                "operation": "Apply",
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            },
            {
                "manager": "kube-controller-manager",
                "operation": "Update",
                "subresource": "status",
                "fieldsV1": {"f:status": {"f:replicas": {}}},
            },
        ],
    },
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "tss"}},
        "template": {
            "spec": {
                "containers": [
                    {"name": "sidecar", "image": "s:1"},
                    {"name": "tss", "image": "t:2", "imagePullPolicy": "IfNotPresent"},
                ],
                "finalizers": ["b", "a"],
            }
        },
    },
    "status": {"replicas": 3},
}


def test_rdms_fields_are_the_values_at_the_paths_it_applied() -> None:
    assert owned_by(LIVE) == {
        "metadata": {"labels": {"app": "tss"}, "annotations": {"rdm/wave": "2"}},
        "spec": {
            "selector": {"matchLabels": {"app": "tss"}},  # `{}`: the whole value
            "template": {
                "spec": {"containers": [{"name": "tss", "image": "t:2"}], "finalizers": ["a"]}
            },
        },
    }
    assert owned_by(LIVE, "rancher") == {"spec": {"replicas": 3}}
    assert owned_by(LIVE, "nobody") is None


def test_a_field_managed_fields_name_but_the_object_lacks_is_missing() -> None:
    broken = copy.deepcopy(LIVE)
    del broken["spec"]["selector"]
    assert first_difference(owned_by(broken), owned_by(LIVE)) == ".spec.selector: missing"
    broken["spec"]["template"]["spec"]["containers"].pop()
    assert first_difference(owned_by(broken), owned_by(LIVE)) == ".spec.selector: missing"
    assert (
        first_difference(owned_by(broken)["spec"]["template"], owned_by(LIVE)["spec"]["template"])
        == ".spec.containers[0]: missing"
    )


def test_the_rendered_view_leaves_out_identity_and_empty_values() -> None:
    rendered = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "org-a", "labels": {"a": "b"}},
        "data": {"k": "v"},
        "spec": {"env": [], "volumes": [{"name": "v", "emptyDir": {}}], "gone": None},
    }
    assert applied_view(rendered) == {
        "metadata": {"labels": {"a": "b"}},
        "data": {"k": "v"},
        "spec": {"volumes": [{"name": "v", "emptyDir": {}}]},
    }


def test_content_leaves_out_what_the_server_sets() -> None:
    assert normalize(LIVE)["metadata"] == {
        "name": "tss",
        "namespace": "org-a",
        "labels": {"app": "tss", "team": "ops"},
        "annotations": {"rdm/wave": "2"},
    }
    assert "status" not in normalize(LIVE)
    service = {"kind": "Service", "metadata": {}, "spec": {"clusterIP": "10.0.0.9", "ports": []}}
    assert normalize(service)["spec"] == {"ports": []}
    namespace = {
        "kind": "Namespace",
        "metadata": {"name": "org-a", "annotations": {"rdm/applied-revision": "r1"}},
        "spec": {"finalizers": ["kubernetes"]},
    }
    assert normalize(namespace) == {"kind": "Namespace", "metadata": {"name": "org-a"}}


def test_the_checker_reads_every_kind_a_topology_owns() -> None:
    # its own list, so that it shares no code with the applier; a kind the renderer
    # gains (Ingress did) and the checker misses makes every apply read as half-applied,
    # or an extra object of that kind go unseen
    assert set(COLLECTIONS) == set(OWNED_KINDS)
