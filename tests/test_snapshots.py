"""Snapshots: what they keep, how they are split into ConfigMaps, that nothing corrupt is read."""

from __future__ import annotations

import base64
import copy
import random
from datetime import UTC, datetime

import pytest

from rdm.decisions.changes import differences, plan_problems, to_prune
from rdm.model import snapshots
from rdm.model.kube import ObjectRef, for_apply

TAKEN = datetime(2026, 12, 3, 3, 15, 0, tzinfo=UTC)


def live_objects(org: str = "org-a", size: int = 0) -> list[dict]:
    labels = {"app.kubernetes.io/managed-by": "rdm", "rdm/org-id": org}
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": org,
            "labels": dict(labels),
            "annotations": {
                "rdm/wave": "0",
                "rdm/applied-revision": "abc123",
                "rdm/applied-rdm": "RDM-2026-0042",
            },
            "resourceVersion": "9",
            "uid": "u-1",
            "managedFields": [{"manager": "rdm"}],
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    # incompressible data, so that the snapshot needs several parts
    noise = random.Random(7).randbytes(size).hex() if size else "x"  # noqa: S311 - test data
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": org, "labels": dict(labels)},
        "data": {"appserver.ini": noise},
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc", "namespace": org, "labels": dict(labels)},
        "spec": {"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 80}]},
    }
    return [service, namespace, config]


def test_a_snapshot_keeps_configuration_and_the_namespace_record_apart() -> None:
    snap = snapshots.take("org-a", live_objects(), TAKEN, "before applying def456")
    assert [ObjectRef.of(o).kind for o in snap.objects] == ["ConfigMap", "Namespace", "Service"]
    namespace = snap.objects[1]
    assert "managedFields" not in namespace["metadata"]
    assert "status" not in namespace and "spec" not in namespace
    assert namespace["metadata"]["annotations"] == {"rdm/wave": "0"}
    assert "clusterIP" not in snap.objects[2]["spec"]
    assert (snap.revision, snap.rdm_id) == ("abc123", "RDM-2026-0042")
    assert snap.snapshot_id.startswith("20261203-031500-")
    assert snapshots.valid_id(snap.snapshot_id)


def test_the_same_state_gives_the_same_id_and_bytes() -> None:
    one = snapshots.take("org-a", live_objects(), TAKEN, "r")
    two = snapshots.take("org-a", list(reversed(live_objects())), TAKEN, "r")
    assert one.snapshot_id == two.snapshot_id
    assert snapshots.encode(one) == snapshots.encode(two)


def test_round_trip_through_config_map_parts() -> None:
    snap = snapshots.take("org-a", live_objects(size=50_000), TAKEN, "r")
    maps = snapshots.config_maps(snap, part_bytes=20_000)
    assert len(maps) == 3
    assert {m["metadata"]["namespace"] for m in maps} == {"rdm-system"}
    for number, body in enumerate(maps):
        labels = body["metadata"]["labels"]
        assert labels["rdm/snapshot-id"] == snap.snapshot_id
        assert labels["rdm/snapshot-part"] == str(number)
        assert body["metadata"]["annotations"]["rdm/snapshot-parts"] == "3"
    shuffled = list(reversed(maps))
    assert snapshots.assemble("org-a", snap.snapshot_id, shuffled) == snap
    (info,) = snapshots.infos("org-a", maps)
    assert (info.objects, info.parts, info.complete, info.revision) == (3, 3, True, "abc123")


def test_a_snapshot_too_large_for_its_parts_is_refused_before_anything_is_applied() -> None:
    snap = snapshots.take("org-a", live_objects(size=50_000), TAKEN, "r")
    with pytest.raises(snapshots.SnapshotTooLarge, match="nothing was applied"):
        snapshots.config_maps(snap, part_bytes=10_000, max_parts=2)


def test_the_default_part_fits_a_config_map() -> None:
    # base64 makes bytes a third larger; a ConfigMap holds at most 1 MiB of data
    assert len(base64.b64encode(bytes(snapshots.PART_BYTES))) < 1024 * 1024


def _stored(size: int = 50_000) -> tuple[snapshots.Snapshot, list[dict]]:
    snap = snapshots.take("org-a", live_objects(size=size), TAKEN, "r")
    return snap, snapshots.config_maps(snap, part_bytes=20_000)


def test_a_missing_part_is_an_error_and_the_listing_says_incomplete() -> None:
    snap, maps = _stored()
    with pytest.raises(snapshots.SnapshotError, match="2 of 3 parts are stored"):
        snapshots.assemble("org-a", snap.snapshot_id, maps[:2])
    assert not snapshots.infos("org-a", maps[:2])[0].complete


def test_a_changed_part_fails_the_digest() -> None:
    snap, maps = _stored()
    bad = copy.deepcopy(maps)
    data = bytearray(base64.b64decode(bad[1]["binaryData"]["snapshot.json.gz"]))
    data[10] ^= 0xFF
    bad[1]["binaryData"]["snapshot.json.gz"] = base64.b64encode(bytes(data)).decode()
    with pytest.raises(snapshots.SnapshotError, match="digest does not match"):
        snapshots.assemble("org-a", snap.snapshot_id, bad)


@pytest.mark.parametrize(
    "data",
    [b"not gzip", __import__("gzip").compress(b"[1, 2]"), __import__("gzip").compress(b"{}")],
)
def test_decode_refuses_anything_but_a_snapshot(data: bytes) -> None:
    with pytest.raises(snapshots.SnapshotError):
        snapshots.decode(data)


def test_decode_refuses_a_gzip_bomb() -> None:
    bomb = __import__("gzip").compress(b"0" * 2_000_000)
    with pytest.raises(snapshots.SnapshotError, match="larger than"):
        snapshots.decode(bomb, max_bytes=1_000_000)


def test_a_snapshot_of_another_topology_under_this_id_is_refused() -> None:
    snap, maps = _stored(size=0)
    for body in maps:
        body["metadata"]["labels"]["rdm/org-id"] = "org-b"
    with pytest.raises(snapshots.SnapshotError, match="holds"):
        snapshots.assemble("org-b", snap.snapshot_id, maps)


def test_retention_keeps_the_newest() -> None:
    infos = [
        snapshots.SnapshotInfo("o", f"20261203-0{n}0000-aaaaaa", "", None, "", 1, 1, True)
        for n in (5, 4, 3, 2, 1)
    ]
    assert snapshots.to_delete(infos, 3) == ["20261203-020000-aaaaaa", "20261203-010000-aaaaaa"]
    assert snapshots.to_delete(infos, 0) == [i.snapshot_id for i in infos[1:]]


# ---------------------------------------------------------------- changes


def test_plan_problems_refuse_objects_outside_the_client() -> None:
    objects = live_objects()
    objects[0]["metadata"]["namespace"] = "kube-system"
    del objects[2]["metadata"]["labels"]["rdm/org-id"]
    assert plan_problems("org-a", objects) == [
        "Service/svc: namespace 'kube-system' is not the client's 'org-a'",
        "ConfigMap/cfg: lacks the labels app.kubernetes.io/managed-by=rdm and rdm/org-id=org-a",
    ]
    assert plan_problems("org-a", live_objects()) == []


def test_prune_highest_wave_first_and_never_the_namespace() -> None:
    objects = live_objects()
    objects[0]["metadata"]["annotations"] = {"rdm/wave": "3"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "protheus-appserver-update",
            "namespace": "org-a",
            "labels": objects[2]["metadata"]["labels"],
            "annotations": {"rdm/wave": "3"},
        },
    }
    found = to_prune("org-a", [*objects, deployment], set())
    assert [str(r) for r in found] == [
        "Deployment/protheus-appserver-update",
        "Service/svc",
        "ConfigMap/cfg",
    ]


def test_differences_ignore_server_set_fields() -> None:
    live = live_objects()
    expected = [for_apply(o) for o in live]
    assert differences(live, expected) == []
    expected[2]["data"] = {"appserver.ini": "y"}
    assert differences(live, expected[1:]) == [
        "ConfigMap/cfg differs",
        "Service/svc should not exist",
    ]


def test_a_snapshot_holding_another_clients_namespace_is_not_restorable() -> None:
    other = copy.deepcopy(live_objects("org-b")[1])
    other["metadata"]["labels"]["rdm/org-id"] = "org-a"  # relabelled by hand
    snap = snapshots.take("org-a", [*live_objects(), other], TAKEN, "r")
    assert snapshots.foreign_objects(snap) == [
        "Namespace/org-b (the only Namespace the topology has is org-a)"
    ]
    with pytest.raises(snapshots.SnapshotError, match="so nothing was restored: Namespace/org-b"):
        snapshots.check_restorable(snap)
    assert snapshots.foreign_objects(snapshots.take("org-a", live_objects(), TAKEN, "r")) == []
