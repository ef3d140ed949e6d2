"""Drift: what differs between the live objects and the rendered ones, and who changed it.

The team edits clients by hand in Rancher; server-side apply records who owns
each field (`managedFields`), so a change made outside rdm has an author and a
time. For one object, a field owned by a manager that is neither rdm's own
(`rdm`, `rdm-*`) nor the cluster's bookkeeping (`kube-*` controllers, status
updates) is *foreign*:

- **changed**: rdm renders that field and the live value differs from what rdm
  would set. `rdm apply` refuses to take it (a conflict) unless
  `--force-conflicts`.
- **added**: rdm does not render that field at all (an extra env var, an
  annotation). An apply keeps it (server-side apply never removes a field
  another manager owns); `rdm apply --force-conflicts` removes it with a JSON
  patch guarded by a test of its value (`removal_patch`).

Across a topology there are also objects with its labels that rdm did not
render (**unrendered**: `rdm apply` prunes them), objects rdm renders that are
missing (**missing**), objects rdm renders that exist without the topology's
labels (**unlabelled**: the labels were removed by hand, or the object was made
outside rdm), and differences in fields rdm itself owns.

A field removed by hand leaves no owner behind: Kubernetes records who set a
field, never who removed one. So when the Namespace records that the revision
being compared is the one applied, a field rdm renders (and the server's dry
run says rdm would own) that the live object lacks was removed outside rdm
(**removed**, drift); when another revision is applied, the difference may as
well be a rendered change not applied yet (**pending**, a warning: `rdm diff`
shows it).

What rdm would set is read from a server-side dry run of the rendered object
when there is one (defaults and quantities as the server writes them),
otherwise from the rendered object itself.

Pure: objects in, findings out.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdm.model import fields
from rdm.model.kube import FieldConflict, ObjectRef, comparable


@dataclass(frozen=True)
class ForeignField:
    """A field owned by a manager other than rdm or the cluster."""

    path: fields.Path
    manager: str
    time: str | None
    live: Any
    desired: Any  # fields.MISSING when rdm does not set it

    @property
    def shown(self) -> str:
        return fields.show(self.path)


def manager_label(entry: fields.ManagedEntry) -> str:
    """The manager as people read it: `kubectl (scale)` for `kubectl scale`, which writes
    through the scale subresource (and is recorded without a time)."""
    return f"{entry.manager} ({entry.subresource})" if entry.subresource else entry.manager


def foreign_fields(
    live: Mapping[str, Any], desired: Mapping[str, Any]
) -> tuple[list[ForeignField], list[ForeignField]]:
    """(changed, added): foreign fields whose value `desired` would change, and those
    `desired` does not set at all."""
    changed: list[ForeignField] = []
    added: list[ForeignField] = []
    for entry in fields.managed_entries(live):
        if fields.is_own(entry.manager) or fields.is_system(entry.manager, entry.subresource):
            continue
        for path in sorted(entry.paths):
            if path[:2] == ("f:metadata", "f:managedFields"):
                continue
            value = fields.resolve(live, path)
            wanted = fields.resolve(desired, path)
            item = ForeignField(path, manager_label(entry), entry.time, value, wanted)
            if wanted is fields.MISSING:
                if value is not fields.MISSING:
                    added.append(item)
            elif wanted != value:
                changed.append(item)
    return changed, added


def as_conflicts(ref: ObjectRef, found: Sequence[ForeignField]) -> list[FieldConflict]:
    return [FieldConflict(str(ref), f.shown, f.manager, f.time) for f in found]


def group_added(
    added: Sequence[ForeignField], desired: Mapping[str, Any], live: Mapping[str, Any]
) -> list[ForeignField]:
    """Added fields gathered under the first item or map `desired` lacks entirely:
    an env var another manager added is one finding (its name and value together),
    not one per leaf."""
    grouped: dict[fields.Path, ForeignField] = {}
    for item in added:
        cut = next(
            (
                n
                for n in range(1, len(item.path) + 1)
                if fields.resolve(desired, item.path[:n]) is fields.MISSING
            ),
            len(item.path),
        )
        if item.path[cut - 1][:2] != "k:":
            cut = len(item.path)  # a map key: the leaf itself
        prefix = item.path[:cut]
        if prefix not in grouped:
            value = fields.resolve(live, prefix)
            grouped[prefix] = ForeignField(prefix, item.manager, item.time, value, fields.MISSING)
    return [grouped[p] for p in sorted(grouped)]


def removal_patch(live: Mapping[str, Any], added: Sequence[ForeignField]) -> list[dict[str, Any]]:
    """A JSON patch that removes `added` (grouped) fields from `live`, each guarded by a
    `test` of its current value: removing them is how rdm takes back what another
    manager added (server-side apply never removes a field another manager owns)."""
    ops: list[tuple[list[Any], dict[str, Any]]] = []
    for item in added:
        where = fields.pointer(live, item.path)
        if where is None:
            continue
        value = fields.resolve(live, item.path)
        tokens = [int(t) if t.isascii() and t.isdigit() else t for t in where.split("/")[1:]]
        ops.append((tokens, {"op": "test", "path": where, "value": value}))
    # later list positions first, so that each removal leaves the others' positions valid
    ops.sort(key=lambda op: [(0, t) if isinstance(t, int) else (1, t) for t in op[0]], reverse=True)
    patch: list[dict[str, Any]] = []
    for _tokens, test in ops:
        patch += [test, {"op": "remove", "path": test["path"]}]
    return patch


class Kind(enum.StrEnum):
    CHANGED = "changed"
    ADDED = "added"
    UNRENDERED = "unrendered"
    MISSING = "missing"
    REMOVED = "removed"
    UNLABELLED = "unlabelled"
    PENDING = "pending"


# What a person can do about each kind of finding.
HINTS: dict[Kind, str] = {
    Kind.CHANGED: "keep it: open an RDM that puts it in the topology; revert it: "
    "rdm apply {org} --force-conflicts",
    Kind.ADDED: "keep it: open an RDM that puts it in the topology; remove it: "
    "rdm apply {org} --force-conflicts",
    Kind.UNRENDERED: "keep it: open an RDM that adds it to the topology; "
    "remove it: rdm apply {org}",
    Kind.MISSING: "recreate it: rdm apply {org}",
    Kind.REMOVED: "keep the removal: open an RDM that takes it out of the topology; "
    "put it back: rdm apply {org}",
    Kind.UNLABELLED: "adopt it: kubectl -n {org} label {resource} "
    "app.kubernetes.io/managed-by=rdm rdm/org-id={org}",
    Kind.PENDING: "a rendered change not applied yet: rdm diff {org}",
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    object: str  # Kind/name
    field: str | None = None
    manager: str | None = None
    time: str | None = None
    live: Any = None
    rendered: Any = None

    @property
    def unauthorized(self) -> bool:
        return self.kind is not Kind.PENDING


@dataclass(frozen=True)
class TopologyDrift:
    org_id: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()  # objects that could not be checked, and why
    objects: int = 0

    @property
    def drifted(self) -> bool:
        return any(f.unauthorized for f in self.findings)


def _creator(obj: Mapping[str, Any]) -> tuple[str | None, str | None]:
    entries = [
        e for e in fields.managed_entries(obj) if not fields.is_system(e.manager, e.subresource)
    ]
    if not entries:
        return None, None
    first = min(entries, key=lambda e: e.time or "")
    return manager_label(first), first.time


def _value(value: Any) -> Any:
    return None if value is fields.MISSING else value


def removed_fields(
    live: Mapping[str, Any], target: Mapping[str, Any]
) -> list[tuple[fields.Path, Any]]:
    """Fields rdm would own after applying (`target`, the server's dry run: its `rdm`
    entry of managedFields) that `live` lacks, each cut at the first level `live`
    lacks (an env var removed is one finding, not one per leaf), with the value
    rdm would set there."""
    owned = [
        path
        for entry in fields.managed_entries(target)
        if entry.manager == fields.OWN_MANAGER and entry.operation == "Apply"
        for path in entry.paths
    ]
    found: dict[fields.Path, Any] = {}
    for path in sorted(owned):
        if path[:2] == ("f:metadata", "f:managedFields"):
            continue
        if fields.resolve(live, path) is not fields.MISSING:
            continue
        wanted = fields.resolve(target, path)
        if wanted is fields.MISSING:
            continue
        cut = next(
            n for n in range(1, len(path) + 1) if fields.resolve(live, path[:n]) is fields.MISSING
        )
        prefix = path[:cut]
        if prefix not in found:
            found[prefix] = fields.resolve(target, prefix)
    return sorted(found.items())


def topology_drift(
    org_id: str,
    rendered: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    targets: Mapping[ObjectRef, Mapping[str, Any]] | None = None,
    errors: Sequence[str] = (),
    *,
    applied_here: bool = False,
    unlabelled: Sequence[ObjectRef] = (),
) -> TopologyDrift:
    """Every finding of one topology: `targets` are dry-run results of the rendered objects;
    `applied_here`: the Namespace records the revision `rendered` comes from;
    `unlabelled`: rendered objects that exist without the topology's labels."""
    targets = targets or {}
    strays = set(unlabelled)
    live_by_ref = {ObjectRef.of(o): o for o in live}
    rendered_by_ref = {ObjectRef.of(o): o for o in rendered}
    findings: list[Finding] = []
    for ref, wanted in sorted(rendered_by_ref.items()):
        current = live_by_ref.get(ref)
        if current is None:
            findings.append(Finding(Kind.UNLABELLED if ref in strays else Kind.MISSING, str(ref)))
            continue
        target = targets.get(ref)
        changed, added = foreign_fields(current, wanted)
        explained = False
        for item in changed:
            would = fields.resolve(target, item.path) if target is not None else item.desired
            if would == item.live:
                continue  # equal once the server normalises it (a quantity, a default)
            explained = True
            findings.append(
                Finding(
                    Kind.CHANGED,
                    str(ref),
                    item.shown,
                    item.manager,
                    item.time,
                    _value(item.live),
                    _value(would),
                )
            )
        for item in group_added(added, wanted, current):
            explained = True
            findings.append(
                Finding(
                    Kind.ADDED, str(ref), item.shown, item.manager, item.time, _value(item.live)
                )
            )
        if target is not None and applied_here:
            for path, value in removed_fields(current, target):
                explained = True
                findings.append(
                    Finding(Kind.REMOVED, str(ref), fields.show(path), rendered=_value(value))
                )
        if target is not None and not explained and comparable(current) != comparable(target):
            findings.append(Finding(Kind.PENDING, str(ref)))
    for ref, current in sorted(live_by_ref.items()):
        if ref not in rendered_by_ref:
            manager, time = _creator(current)
            findings.append(Finding(Kind.UNRENDERED, str(ref), None, manager, time))
    return TopologyDrift(org_id, tuple(findings), tuple(errors), len(rendered_by_ref))


@dataclass
class DriftSummary:
    topologies: list[TopologyDrift] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return any(t.drifted for t in self.topologies)
