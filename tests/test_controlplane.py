"""The local control plane is the real thing (issue 9).

Each test checks a behaviour an API emulator that cuts corners gets wrong: field
ownership and conflicts of server-side apply, dry runs that persist nothing,
optimistic concurrency, controllers that turn a Deployment into ReplicaSets and
scheduled, Ready pods, a rollout that stalls and reports ProgressDeadlineExceeded,
and Leases. They wait by polling with a deadline (`eventually`), never by sleeping.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import VersionApi
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from cluster_fixture import NOT_READY_LABEL, Cluster, eventually, localcluster

pytestmark = pytest.mark.cluster


def configmap(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def managers(obj: Any) -> dict[str, dict[str, Any]]:
    """field manager -> the fields it owns (fieldsV1), from managedFields."""
    return {
        entry["manager"]: entry.get("fieldsV1", {})
        for entry in obj.to_dict()["metadata"].get("managedFields", [])
    }


def test_version_is_the_pinned_release(cluster: Cluster) -> None:
    info = VersionApi(cluster.api_client()).get_code()
    pinned = localcluster.pinned_versions()
    assert info.git_version == pinned.kubernetes
    assert f"{info.major}.{info.minor}" == pinned.minor
    assert info.git_tree_state == "clean"
    assert len(info.git_commit) == 40


def test_apply_conflict_names_the_other_manager_and_force_takes_the_field(
    cluster: Cluster, namespace: str
) -> None:
    configmaps = cluster.dynamic().resources.get(api_version="v1", kind="ConfigMap")
    alice = configmap(namespace, "shared", {"owner": "alice", "alice-only": "1"})
    configmaps.server_side_apply(body=alice, field_manager="alice")

    bob = configmap(namespace, "shared", {"owner": "bob"})
    with pytest.raises(ConflictError) as conflict:
        configmaps.server_side_apply(body=bob, field_manager="bob")
    assert conflict.value.status == 409
    message = json.loads(conflict.value.body)["message"]
    assert 'conflict with "alice"' in message
    assert ".data.owner" in message

    taken = configmaps.server_side_apply(body=bob, field_manager="bob", force_conflicts=True)
    assert taken.data.owner == "bob"
    assert taken.data["alice-only"] == "1"
    owned = managers(configmaps.get(name="shared", namespace=namespace))
    assert set(owned) == {"alice", "bob"}
    assert "f:owner" in owned["bob"]["f:data"]
    assert "f:owner" not in owned["alice"]["f:data"]
    assert "f:alice-only" in owned["alice"]["f:data"]


def test_dry_run_returns_the_merged_object_and_persists_nothing(
    cluster: Cluster, namespace: str
) -> None:
    configmaps = cluster.dynamic().resources.get(api_version="v1", kind="ConfigMap")
    live = configmaps.server_side_apply(
        body=configmap(namespace, "settings", {"a": "1"}), field_manager="rdm"
    )

    change = configmap(namespace, "settings", {"b": "2"})
    merged = configmaps.server_side_apply(body=change, field_manager="other", dry_run="All")
    assert merged.data.to_dict() == {"a": "1", "b": "2"}
    assert merged.metadata.uid == live.metadata.uid
    assert "other" in managers(merged)

    after = configmaps.get(name="settings", namespace=namespace)
    assert after.data.to_dict() == {"a": "1"}
    assert after.metadata.resourceVersion == live.metadata.resourceVersion
    assert "other" not in managers(after)

    created = configmaps.server_side_apply(
        body=configmap(namespace, "never", {"x": "1"}), field_manager="rdm", dry_run="All"
    )
    assert created.metadata.uid
    with pytest.raises(NotFoundError):
        configmaps.get(name="never", namespace=namespace)


def test_a_stale_resource_version_gets_409(cluster: Cluster, namespace: str) -> None:
    configmaps = cluster.dynamic().resources.get(api_version="v1", kind="ConfigMap")
    first = configmaps.create(body=configmap(namespace, "counter", {"n": "1"})).to_dict()

    second = copy.deepcopy(first)
    second["data"]["n"] = "2"
    updated = configmaps.replace(body=second)
    assert updated.metadata.resourceVersion != first["metadata"]["resourceVersion"]

    stale = copy.deepcopy(first)  # still carries the first resourceVersion
    stale["data"]["n"] = "3"
    with pytest.raises(ConflictError) as conflict:
        configmaps.replace(body=stale)
    assert conflict.value.status == 409
    assert "the object has been modified" in json.loads(conflict.value.body)["message"]
    assert configmaps.get(name="counter", namespace=namespace).data.n == "2"


# -------------------------------------------------------------- workloads on kwok nodes


def rendered_topologies(tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]]) -> dict[
    str, list[dict[str, Any]]
]:
    """org id -> its rendered objects in apply order, from `rdm render --out`."""
    out = tmp_path / "manifests"
    code, _, err = run_rdm("render", "--out", str(out))
    assert code == 0, err
    topologies = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        topologies[folder.name] = [
            yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*"))
        ]
    return topologies


def apply_into(api: Any, objects: list[dict[str, Any]], namespace: str) -> None:
    """Server-side apply a client's objects into `namespace` (its Namespace object skipped:
    the test's own namespace stands in for it, so the test cleans up after itself)."""
    for obj in objects:
        if obj["kind"] == "Namespace":
            continue
        body = copy.deepcopy(obj)
        body["metadata"]["namespace"] = namespace
        resource = api.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        resource.server_side_apply(body=body, field_manager="rdm-test")


def rolled_out(deployment: Any) -> bool:
    """The rule of `kubectl rollout status` (notes/kubernetes-client.md)."""
    status = deployment.status
    wanted = deployment.spec.replicas
    return bool(
        (status.observedGeneration or 0) >= deployment.metadata.generation
        and (status.updatedReplicas or 0) == wanted
        and (status.replicas or 0) == wanted
        and (status.availableReplicas or 0) == wanted
    )


def condition(obj: Any, kind: str) -> dict[str, Any] | None:
    for entry in obj.to_dict().get("status", {}).get("conditions", []) or []:
        if entry["type"] == kind:
            return dict(entry)
    return None


def test_a_rendered_topology_comes_up_on_kwok_nodes(
    cluster: Cluster,
    namespaces: Callable[[], str],
    tmp_path: Path,
    run_rdm: Callable[..., tuple[int, str, str]],
) -> None:
    api = cluster.dynamic()
    deployments = api.resources.get(api_version="apps/v1", kind="Deployment")
    replicasets = api.resources.get(api_version="apps/v1", kind="ReplicaSet")
    pods = api.resources.get(api_version="v1", kind="Pod")
    kwok_nodes = {
        node.metadata.name
        for node in api.resources.get(api_version="v1", kind="Node").get().items
        if (node.metadata.annotations or {}).get("kwok.x-k8s.io/node") == "fake"
    }
    assert kwok_nodes

    topologies = rendered_topologies(tmp_path, run_rdm)
    assert len(topologies) == 4
    placed: dict[str, str] = {}
    for org_id, objects in topologies.items():
        placed[org_id] = namespaces()
        apply_into(api, objects, placed[org_id])

    for org_id, namespace in placed.items():
        expected = {o["metadata"]["name"] for o in topologies[org_id] if o["kind"] == "Deployment"}
        assert expected
        for name in sorted(expected):
            done = eventually(
                f"{namespace}/{name} rolled out",
                lambda name=name, namespace=namespace: rolled_out(
                    live := deployments.get(name=name, namespace=namespace)
                )
                and live,
                timeout=120,
            )
            owned = [
                rs
                for rs in replicasets.get(namespace=namespace).items
                if any(ref.uid == done.metadata.uid for ref in rs.metadata.ownerReferences or [])
            ]
            assert len(owned) == 1, f"{name}: {len(owned)} ReplicaSets"
            labels = done.spec.selector.matchLabels.to_dict()
            selector = ",".join(f"{k}={v}" for k, v in labels.items())
            running = pods.get(namespace=namespace, label_selector=selector).items
            assert len(running) == done.spec.replicas
            for pod in running:
                assert pod.spec.nodeName in kwok_nodes
                assert pod.status.phase == "Running"
                assert condition(pod, "Ready")["status"] == "True"
                assert any(ref.uid == owned[0].metadata.uid for ref in pod.metadata.ownerReferences)

    # a change to one workload: a new generation, observed once the controller has acted
    org_id, namespace = next(iter(placed.items()))
    deployment = next(
        o for o in topologies[org_id] if o["kind"] == "Deployment" and o["spec"]["replicas"] > 1
    )
    name = deployment["metadata"]["name"]
    before = deployments.get(name=name, namespace=namespace)
    changed = copy.deepcopy(deployment)
    changed["metadata"]["namespace"] = namespace
    changed["spec"]["template"]["metadata"]["annotations"]["rdm/config-hash"] = "changed"
    after = deployments.server_side_apply(body=changed, field_manager="rdm-test")
    assert after.metadata.generation == before.metadata.generation + 1
    done = eventually(
        f"{namespace}/{name} generation {after.metadata.generation} rolled out",
        lambda: rolled_out(live := deployments.get(name=name, namespace=namespace)) and live,
        timeout=120,
    )
    assert done.status.observedGeneration == after.metadata.generation
    owned = [
        rs
        for rs in replicasets.get(namespace=namespace).items
        if any(ref.uid == done.metadata.uid for ref in rs.metadata.ownerReferences or [])
    ]
    assert len(owned) == 2  # the new template's ReplicaSet and the scaled-down old one
    assert sorted(rs.spec.replicas for rs in owned) == [0, done.spec.replicas]


def small_deployment(namespace: str, ready: bool, image: str) -> dict[str, Any]:
    labels = {"app": "release"}
    template_labels = dict(labels) if ready else {**labels, NOT_READY_LABEL: "false"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "release", "namespace": namespace},
        "spec": {
            "replicas": 2,
            "progressDeadlineSeconds": 5,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": template_labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def test_the_not_ready_label_stalls_a_rollout_until_progress_deadline_exceeded(
    cluster: Cluster, namespace: str
) -> None:
    api = cluster.dynamic()
    deployments = api.resources.get(api_version="apps/v1", kind="Deployment")
    pods = api.resources.get(api_version="v1", kind="Pod")

    def live() -> Any:
        return deployments.get(name="release", namespace=namespace)

    good = small_deployment(namespace, ready=True, image="registry.local/app:1")
    deployments.server_side_apply(body=good, field_manager="rdm-test")
    eventually("the good release rolled out", lambda: rolled_out(live()))

    bad = small_deployment(namespace, ready=False, image="registry.local/app:2")
    deployments.server_side_apply(body=bad, field_manager="rdm-test")
    stalled = eventually(
        "ProgressDeadlineExceeded",
        lambda: (condition(d := live(), "Progressing") or {}).get("reason")
        == "ProgressDeadlineExceeded"
        and d,
        timeout=90,
    )
    assert condition(stalled, "Progressing")["status"] == "False"
    assert not rolled_out(stalled)
    # the old pods keep serving; the new one runs but is never Ready
    assert stalled.status.availableReplicas == 2
    new_pods = pods.get(namespace=namespace, label_selector=f"{NOT_READY_LABEL}=false").items
    assert new_pods
    for pod in new_pods:
        assert pod.status.phase == "Running"
        assert pod.status.podIP
        assert condition(pod, "Ready")["status"] == "False"

    # rolling back: the bad pods are deleted (kwok finishes their deletion) and it completes
    deployments.server_side_apply(body=good, field_manager="rdm-test")
    eventually("the rollback rolled out", lambda: rolled_out(live()), timeout=90)
    eventually(
        "the not-Ready pods gone",
        lambda: not pods.get(namespace=namespace, label_selector=f"{NOT_READY_LABEL}=false").items,
    )


# ----------------------------------------------------------------------------- Leases


def micro_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def test_a_lease_is_created_renewed_and_taken_over_after_it_expires(
    cluster: Cluster, namespace: str
) -> None:
    leases = cluster.dynamic().resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    now = dt.datetime.now(dt.UTC)
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "rdm-apply", "namespace": namespace},
        "spec": {
            "holderIdentity": "runner-a",
            "leaseDurationSeconds": 2,
            "acquireTime": micro_time(now),
            "renewTime": micro_time(now),
            "leaseTransitions": 0,
        },
    }
    held = leases.create(body=lease).to_dict()
    with pytest.raises(ConflictError) as exists:
        leases.create(body=lease)
    assert json.loads(exists.value.body)["reason"] == "AlreadyExists"

    # runner-a renews: a replace carrying the resourceVersion it read
    renewed_body = copy.deepcopy(held)
    renewed_body["spec"]["renewTime"] = micro_time(dt.datetime.now(dt.UTC))
    renewed = leases.replace(body=renewed_body).to_dict()
    assert renewed["metadata"]["resourceVersion"] != held["metadata"]["resourceVersion"]
    assert parse_time(renewed["spec"]["renewTime"]) >= parse_time(held["spec"]["renewTime"])

    # runner-b waits until the lease has expired by its own clock, then takes it over
    def expired() -> dict[str, Any] | None:
        current: dict[str, Any] = leases.get(name="rdm-apply", namespace=namespace).to_dict()
        spec = current["spec"]
        ends = parse_time(spec["renewTime"]) + dt.timedelta(seconds=spec["leaseDurationSeconds"])
        return current if dt.datetime.now(dt.UTC) > ends else None

    current = eventually("the lease to expire", expired, timeout=30)
    takeover = copy.deepcopy(current)
    now = dt.datetime.now(dt.UTC)
    takeover["spec"].update(
        holderIdentity="runner-b",
        acquireTime=micro_time(now),
        renewTime=micro_time(now),
        leaseTransitions=current["spec"]["leaseTransitions"] + 1,
    )
    taken = leases.replace(body=takeover)
    assert taken.spec.holderIdentity == "runner-b"
    assert taken.spec.leaseTransitions == 1

    # runner-a, late, renews with what it read before: it lost the race
    late = copy.deepcopy(renewed)
    late["spec"]["renewTime"] = micro_time(dt.datetime.now(dt.UTC))
    with pytest.raises(ConflictError):
        leases.replace(body=late)
    assert leases.get(name="rdm-apply", namespace=namespace).spec.holderIdentity == "runner-b"
