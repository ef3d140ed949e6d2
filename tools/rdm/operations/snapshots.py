"""Snapshots in the cluster: take, store, list, load, keep the last N.

The encoding and the ConfigMap shapes are `rdm.model.snapshots`; this module
moves them through the `Cluster` handed in. Parts are written with
server-side apply (field manager `rdm`), so writing the same snapshot twice
(a retried request) changes nothing. Retention runs after a snapshot is
stored: snapshots of the topology beyond the newest `keep` are deleted, part
by part; a failure there is reported, never fatal (an extra snapshot is
harmless).

No I/O but through the `Cluster`; no clock but the time passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rdm.model import snapshots as model
from rdm.model.kube import (
    CONFIG_MAP,
    NAMESPACE,
    OWNED_KINDS,
    SYSTEM_NAMESPACE,
    ClusterError,
    KubeObject,
    ObjectRef,
    owned_by,
    selector,
)
from rdm.operations.ports import Cluster

SYSTEM_NAMESPACE_BODY: KubeObject = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/part-of": "rdm"}},
}


def ensure_system_namespace(cluster: Cluster) -> None:
    """`rdm-system` exists (snapshots and Leases live there)."""
    if cluster.get(NAMESPACE, SYSTEM_NAMESPACE) is None:
        cluster.apply(SYSTEM_NAMESPACE_BODY)


def live_objects(cluster: Cluster, org_id: str) -> list[KubeObject]:
    """Every object the topology owns now, of every kind rdm renders: its Namespace
    (the one named `org_id`, when it carries the topology's labels) and the objects
    with the topology's labels inside it.

    Labels are only a claim: anyone may copy them onto another client's Namespace.
    Only the Namespace named after the org id is the topology's, so a relabelled
    Namespace of another client is never snapshotted, restored or taken over.
    """
    found: list[KubeObject] = []
    for kind in OWNED_KINDS:
        if kind == NAMESPACE:
            namespace = cluster.get(NAMESPACE, org_id)
            if namespace is not None and owned_by(namespace, org_id):
                found.append(namespace)
            continue
        found += cluster.list(kind, namespace=org_id, selector=selector(org_id))
    return found


def unlabelled(
    cluster: Cluster,
    org_id: str,
    rendered: Sequence[Mapping[str, Any]],
    live_by_ref: Mapping[ObjectRef, Any],
) -> list[ObjectRef]:
    """Rendered objects, other than the Namespace, that the topology's labels do not
    find but that exist (their labels removed by hand, or made outside rdm). One LIST
    of the client's namespace per kind that has such candidates (at most four; none
    when every rendered object is found, as in most applies)."""
    missing = [
        ref
        for ref in (ObjectRef.of(obj) for obj in rendered)
        # a Namespace made beforehand (with the client's Secrets) is adopted: no
        # rollback ever deletes a Namespace
        if ref not in live_by_ref and ref.kind != "Namespace"
    ]
    if not missing:
        return []
    existing: set[ObjectRef] = set()
    for kind in sorted({(ref.api_version, ref.kind) for ref in missing}):
        existing |= {ObjectRef.of(obj) for obj in cluster.list(kind, namespace=org_id)}
    return [ref for ref in missing if ref in existing]


def store(
    cluster: Cluster,
    snapshot: model.Snapshot,
    *,
    part_bytes: int = model.PART_BYTES,
    max_parts: int = model.MAX_PARTS,
) -> None:
    for body in model.config_maps(snapshot, part_bytes=part_bytes, max_parts=max_parts):
        cluster.apply(body)


def take_and_store(
    cluster: Cluster,
    org_id: str,
    taken_at: datetime,
    reason: str,
    live: Sequence[KubeObject] | None = None,
    *,
    part_bytes: int = model.PART_BYTES,
    max_parts: int = model.MAX_PARTS,
) -> model.Snapshot:
    objects = list(live) if live is not None else live_objects(cluster, org_id)
    snapshot = model.take(org_id, objects, taken_at, reason)
    store(cluster, snapshot, part_bytes=part_bytes, max_parts=max_parts)
    return snapshot


def stored(cluster: Cluster, org_id: str, snap_id: str | None = None) -> list[KubeObject]:
    return cluster.list(
        CONFIG_MAP, namespace=SYSTEM_NAMESPACE, selector=model.selector(org_id, snap_id)
    )


def listing(cluster: Cluster, org_id: str) -> list[model.SnapshotInfo]:
    """The topology's snapshots, newest first."""
    return model.infos(org_id, stored(cluster, org_id))


def load(cluster: Cluster, org_id: str, snap_id: str | None = None) -> model.Snapshot:
    """One snapshot, whole; the newest complete one when `snap_id` is None."""
    if snap_id is None:
        complete = [info for info in listing(cluster, org_id) if info.complete]
        if not complete:
            raise model.SnapshotError(f"{org_id} has no snapshot in {SYSTEM_NAMESPACE}")
        snap_id = complete[0].snapshot_id
    elif not model.valid_id(snap_id):
        raise model.SnapshotError(
            f"{snap_id!r} is not a snapshot id (YYYYMMDD-HHMMSS-xxxxxx; see rdm snapshots {org_id})"
        )
    return model.assemble(org_id, snap_id, stored(cluster, org_id, snap_id))


def retain(cluster: Cluster, org_id: str, keep: int) -> list[str]:
    """Delete the snapshots beyond the newest `keep`; the ids deleted."""
    items = stored(cluster, org_id)
    deleted = []
    for snap_id in model.to_delete(model.infos(org_id, items), keep):
        for item in items:
            metadata = item.get("metadata") or {}
            if (metadata.get("labels") or {}).get(model.SNAPSHOT_LABEL) == snap_id:
                try:
                    cluster.delete(CONFIG_MAP, metadata["name"], SYSTEM_NAMESPACE)
                except ClusterError:
                    continue
        deleted.append(snap_id)
    return deleted
