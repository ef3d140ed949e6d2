"""Field ownership read from managedFields, and the drift and conflict rules built on it."""

from __future__ import annotations

import json

import pytest

from rdm.decisions.drift import (
    ForeignField,
    Kind,
    foreign_fields,
    group_added,
    removal_patch,
    topology_drift,
)
from rdm.model import fields
from rdm.model.kube import ObjectRef

CONTAINER = 'k:{"name":"appserver"}'
TZ = 'k:{"name":"TZ"}'


def deployment(image: str = "reg/app:1", replicas: int = 2, extra_env: bool = False) -> dict:
    env = [{"name": "TZ", "value": "America/Sao_Paulo"}]
    if extra_env:
        env.append({"name": "DEBUG", "value": "1"})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "protheus-appserver-prod",
            "namespace": "org-a",
            "labels": {"app.kubernetes.io/managed-by": "rdm", "rdm/org-id": "org-a"},
            "annotations": {"rdm/wave": "3"},
        },
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {"containers": [{"name": "appserver", "image": image, "env": env}]}
            },
        },
    }


RDM_FIELDS = {
    "f:metadata": {
        "f:annotations": {"f:rdm/wave": {}},
        "f:labels": {"f:app.kubernetes.io/managed-by": {}, "f:rdm/org-id": {}},
    },
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {
                "f:containers": {
                    CONTAINER: {
                        ".": {},
                        "f:name": {},
                        "f:image": {},
                        "f:env": {TZ: {".": {}, "f:name": {}, "f:value": {}}},
                    }
                }
            }
        },
    },
}


def live(managed: list[dict], **changes: object) -> dict:
    obj = deployment(**changes)  # type: ignore[arg-type]
    obj["metadata"]["managedFields"] = managed
    obj["metadata"]["resourceVersion"] = "42"
    obj["status"] = {"replicas": 2}
    return obj


def entry(manager: str, tree: dict, operation: str = "Update", **extra: str) -> dict:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": "apps/v1",
        "time": "2026-12-03T03:10:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": tree,
        **extra,
    }


def test_leaf_paths_skip_the_dot_and_keep_keyed_items() -> None:
    paths = set(fields.leaf_paths(RDM_FIELDS))
    assert ("f:spec", "f:replicas") in paths
    container = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER)
    assert (*container, "f:image") in paths
    assert (*container, "f:env", TZ, "f:value") in paths
    assert not any(p[-1] == "." for p in paths)
    assert container not in paths  # the item itself is not a leaf: it has fields


def test_resolve_follows_keys_into_lists() -> None:
    obj = deployment(image="reg/app:7")
    path = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:image")
    assert fields.resolve(obj, path) == "reg/app:7"
    env = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:env", TZ, "f:value")
    assert fields.resolve(obj, env) == "America/Sao_Paulo"
    other = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"x"}', "f:image")
    assert fields.resolve(obj, other) is fields.MISSING
    assert fields.resolve(obj, ("f:spec", "k:not json")) is fields.MISSING


def test_show_writes_paths_as_the_server_does() -> None:
    path = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:image")
    assert fields.show(path) == '.spec.template.spec.containers[name="appserver"].image'
    port = 'k:{"containerPort":8080,"protocol":"TCP"}'
    assert fields.show(("f:ports", port)) == '.ports[containerPort=8080,protocol="TCP"]'
    assert fields.show(("f:finalizers", 'v:"kubernetes"')) == '.finalizers[="kubernetes"]'


def test_pointer_gives_list_positions_as_they_are_in_the_object() -> None:
    obj = deployment(extra_env=True)
    item = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:env")
    assert fields.pointer(obj, (*item, 'k:{"name":"DEBUG"}')) == (
        "/spec/template/spec/containers/0/env/1"
    )
    assert fields.pointer(obj, ("f:metadata", "f:labels", "f:rdm/org-id")) == (
        "/metadata/labels/rdm~1org-id"
    )
    assert fields.pointer(obj, (*item, 'k:{"name":"NOPE"}')) is None


def test_hostile_managed_fields_give_fewer_paths_never_an_error() -> None:
    obj = deployment()
    obj["metadata"]["managedFields"] = [
        "nonsense",
        {"manager": "x", "fieldsV1": "not a tree"},
        {"manager": 7, "fieldsV1": {"f:spec": {"k:[1,2]": {"f:a": {}}}}, "time": 5},
    ]
    entries = fields.managed_entries(obj)
    assert [e.manager for e in entries] == ["x", "7"]
    assert entries[0].paths == frozenset()
    (path,) = entries[1].paths
    assert fields.resolve(obj, path) is fields.MISSING
    assert entries[1].time is None


def test_a_kubectl_edit_of_replicas_is_a_changed_field_with_its_manager() -> None:
    obj = live(
        [entry("rdm", RDM_FIELDS, "Apply"), entry("kubectl-edit", {"f:spec": {"f:replicas": {}}})],
        replicas=5,
    )
    changed, added = foreign_fields(obj, deployment(replicas=2))
    assert [(f.shown, f.manager, f.live, f.desired) for f in changed] == [
        (".spec.replicas", "kubectl-edit", 5, 2)
    ]
    assert added == []


def test_a_field_another_manager_added_is_reported_as_added() -> None:
    debug = 'k:{"name":"DEBUG"}'
    tree = {
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        CONTAINER: {"f:env": {debug: {".": {}, "f:name": {}, "f:value": {}}}}
                    }
                }
            }
        }
    }
    obj = live([entry("rdm", RDM_FIELDS, "Apply"), entry("rancher", tree)], extra_env=True)
    changed, added = foreign_fields(obj, deployment())
    assert changed == []
    assert sorted(f.shown for f in added) == [
        '.spec.template.spec.containers[name="appserver"].env[name="DEBUG"].name',
        '.spec.template.spec.containers[name="appserver"].env[name="DEBUG"].value',
    ]
    (grouped,) = group_added(added, deployment(), obj)
    assert grouped.shown == '.spec.template.spec.containers[name="appserver"].env[name="DEBUG"]'
    assert grouped.live == {"name": "DEBUG", "value": "1"}
    assert removal_patch(obj, [grouped]) == [
        {
            "op": "test",
            "path": "/spec/template/spec/containers/0/env/1",
            "value": {"name": "DEBUG", "value": "1"},
        },
        {"op": "remove", "path": "/spec/template/spec/containers/0/env/1"},
    ]


def test_removals_go_from_the_last_list_position_down() -> None:
    obj = deployment()
    env = obj["spec"]["template"]["spec"]["containers"][0]["env"]
    env += [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    item = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:env")
    added = [
        ForeignField((*item, f'k:{{"name":"{n}"}}'), "rancher", None, env[i], fields.MISSING)
        for i, n in ((1, "A"), (2, "B"))
    ]
    removes = [op["path"] for op in removal_patch(obj, added) if op["op"] == "remove"]
    assert removes == [
        "/spec/template/spec/containers/0/env/2",
        "/spec/template/spec/containers/0/env/1",
    ]


@pytest.mark.parametrize(
    ("manager", "extra"),
    [("kube-controller-manager", {}), ("kwok", {}), ("someone", {"subresource": "status"})],
)
def test_controllers_and_status_writers_are_never_foreign(manager: str, extra: dict) -> None:
    obj = live([entry(manager, {"f:spec": {"f:replicas": {}}}, **extra)], replicas=5)
    assert foreign_fields(obj, deployment(replicas=2)) == ([], [])


def test_rdm_own_managers_are_never_foreign() -> None:
    tree = {"f:metadata": {"f:annotations": {"f:rdm/applied-revision": {}}}}
    obj = live([entry("rdm-record", tree, "Apply")])
    obj["metadata"]["annotations"]["rdm/applied-revision"] = "abc"
    assert foreign_fields(obj, deployment()) == ([], [])


def test_the_same_value_owned_by_two_managers_is_no_conflict() -> None:
    obj = live([entry("rdm", RDM_FIELDS, "Apply"), entry("kubectl", RDM_FIELDS, "Apply")])
    assert foreign_fields(obj, deployment()) == ([], [])


def test_topology_drift_names_manager_and_time_and_counts_objects() -> None:
    current = live(
        [entry("rdm", RDM_FIELDS, "Apply"), entry("kubectl-edit", {"f:spec": {"f:replicas": {}}})],
        replicas=5,
    )
    stray = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "hand-made",
            "namespace": "org-a",
            "managedFields": [entry("rancher", {"f:data": {}})],
        },
    }
    found = topology_drift("org-a", [deployment(), _service()], [current, stray])
    assert found.drifted
    shown = [(f.kind, f.object, f.field, f.manager, f.time) for f in found.findings]
    assert shown == [
        (
            Kind.CHANGED,
            "Deployment/protheus-appserver-prod",
            ".spec.replicas",
            "kubectl-edit",
            "2026-12-03T03:10:00Z",
        ),
        (Kind.MISSING, "Service/protheus-appserver-prod", None, None, None),
        (Kind.UNRENDERED, "ConfigMap/hand-made", None, "rancher", "2026-12-03T03:10:00Z"),
    ]


def test_a_value_equal_once_normalised_by_the_server_is_no_drift() -> None:
    tree = {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {"f:image": {}}}}}}}
    current = live([entry("rdm", RDM_FIELDS, "Apply"), entry("kubectl", tree)], image="reg/app:2")
    rendered = deployment(image="reg/app:2 ")  # the server's dry run says it is the same
    target = json.loads(json.dumps(current))
    found = topology_drift("org-a", [rendered], [current], {ObjectRef.of(current): target})
    assert not found.drifted


def test_a_rendered_change_not_yet_applied_is_pending_not_drift() -> None:
    current = live([entry("rdm", RDM_FIELDS, "Apply")], image="reg/app:1")
    target = live([entry("rdm", RDM_FIELDS, "Apply")], image="reg/app:2")
    found = topology_drift(
        "org-a", [deployment(image="reg/app:2")], [current], {ObjectRef.of(current): target}
    )
    assert [f.kind for f in found.findings] == [Kind.PENDING]
    assert not found.drifted


def _service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "protheus-appserver-prod", "namespace": "org-a"},
    }
