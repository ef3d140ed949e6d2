"""`rdm diff` and `rdm apply --dry-run`: what an apply would do, asked of the server.

Each rendered object is applied with `dryRun=All`: the API server runs
admission, defaulting and validation and answers with the object as it would
store it, without storing it. That answer is compared with the live object,
server-set fields removed on both sides (`decisions.changes`). A field owned by
another manager with another value makes the dry run fail with a conflict:
the conflict is reported and the object dry-run again with force, to show what
`--force-conflicts` would do. Objects of a topology whose Namespace does not
exist yet cannot be dry-run (the server refuses objects in a missing
namespace); they are shown as created, as rendered.

Also `topology_drift` (`rdm drift`), which needs the same dry runs.

No I/O but through the `Cluster`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdm.decisions import drift as drift_rules
from rdm.decisions.changes import Change, classify, object_diff, to_prune
from rdm.model import fields
from rdm.model.kube import (
    APPLIED_REVISION,
    ClusterError,
    Conflict,
    FieldConflict,
    KubeObject,
    ObjectRef,
    annotations_of,
    index,
)
from rdm.operations.ports import Cluster
from rdm.operations.snapshots import live_objects, unlabelled


@dataclass(frozen=True)
class ObjectChange:
    ref: ObjectRef
    change: Change
    diff: str


@dataclass(frozen=True)
class TopologyDiff:
    org_id: str
    entries: tuple[ObjectChange, ...]
    prune: tuple[ObjectRef, ...]
    conflicts: tuple[FieldConflict, ...]
    errors: tuple[str, ...]

    @property
    def changes(self) -> bool:
        return bool(self.prune) or any(e.change is not Change.UNCHANGED for e in self.entries)

    def count(self, change: Change) -> int:
        if change is Change.PRUNE:
            return len(self.prune)
        return sum(1 for e in self.entries if e.change is change)


def _time_of(live: Mapping[str, Any] | None, manager: str) -> str | None:
    if live is None:
        return None
    times = [
        e.time
        for e in fields.managed_entries(live)
        if drift_rules.manager_label(e) == manager and e.time
    ]
    return max(times) if times else None


def dry_run(
    cluster: Cluster, obj: Mapping[str, Any], live: Mapping[str, Any] | None
) -> tuple[KubeObject, list[FieldConflict]]:
    """The server's answer to applying `obj` (forced when it conflicts), and the conflicts."""
    ref = ObjectRef.of(obj)
    try:
        return cluster.apply(obj, dry_run=True), []
    except Conflict as exc:
        if not exc.conflicts:
            raise
        found = [
            FieldConflict(str(ref), c.field, c.manager, _time_of(live, c.manager))
            for c in exc.conflicts
        ]
        return cluster.apply(obj, dry_run=True, force=True), found


def preview(cluster: Cluster, org_id: str, rendered: Sequence[Mapping[str, Any]]) -> TopologyDiff:
    live = live_objects(cluster, org_id)
    live_by_ref = index(live)
    namespace_exists = ObjectRef("v1", "Namespace", None, org_id) in live_by_ref or (
        cluster.get(("v1", "Namespace"), org_id) is not None
    )
    entries: list[ObjectChange] = []
    conflicts: list[FieldConflict] = []
    errors: list[str] = [
        f"{ref}: exists without the topology's labels; rdm apply refuses to take it over "
        f"(adopt it: kubectl -n {org_id} label {ref.kind.lower()}/{ref.name} "
        f"app.kubernetes.io/managed-by=rdm rdm/org-id={org_id})"
        for ref in unlabelled(cluster, org_id, rendered, live_by_ref)
    ]
    for obj in rendered:
        ref = ObjectRef.of(obj)
        current = live_by_ref.get(ref)
        if ref.namespace is not None and not namespace_exists:
            entries.append(ObjectChange(ref, Change.CREATE, object_diff(ref, None, obj)))
            continue
        try:
            after, found = dry_run(cluster, obj, current)
        except ClusterError as exc:
            errors.append(f"{ref}: {exc}")
            continue
        conflicts += found
        change = classify(current, after)
        text = object_diff(ref, current, after) if change is not Change.UNCHANGED else ""
        entries.append(ObjectChange(ref, change, text))
    prune = to_prune(org_id, live, {ObjectRef.of(o) for o in rendered})
    return TopologyDiff(org_id, tuple(entries), tuple(prune), tuple(conflicts), tuple(errors))


def topology_drift(
    cluster: Cluster,
    org_id: str,
    rendered: Sequence[Mapping[str, Any]],
    revision: str | None = None,
) -> drift_rules.TopologyDrift:
    """Drift of one topology: live objects against the rendered ones (of `revision`) and
    their dry runs."""
    live = live_objects(cluster, org_id)
    live_by_ref = index(live)
    namespace = live_by_ref.get(ObjectRef("v1", "Namespace", None, org_id))
    recorded = annotations_of(namespace).get(APPLIED_REVISION) if namespace else None
    targets: dict[ObjectRef, KubeObject] = {}
    errors: list[str] = []
    try:
        strays = unlabelled(cluster, org_id, rendered, live_by_ref)
    except ClusterError as exc:
        strays = []
        errors.append(f"rendered objects not found by their labels: {exc}")
    for obj in rendered:
        ref = ObjectRef.of(obj)
        if ref not in live_by_ref:
            continue
        try:
            targets[ref] = cluster.apply(obj, dry_run=True, force=True)
        except ClusterError as exc:
            errors.append(f"{ref}: {exc}")
    return drift_rules.topology_drift(
        org_id,
        rendered,
        live,
        targets,
        errors,
        applied_here=revision is not None and recorded == revision,
        unlabelled=strays,
    )
