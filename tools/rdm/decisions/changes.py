"""What an apply would change, what it prunes, and whether a topology is where it should be.

- `plan_problems`: a rendered object rdm must refuse to send (outside the
  client's namespace, without the topology's labels), whatever produced it.
- `classify` and `object_diff`: live object vs the server's dry-run result,
  server-set fields removed on both sides, as a change kind and a unified diff.
- `to_prune`: objects with the topology's labels that are no longer rendered,
  in the order to delete them (highest wave first). rdm never deletes a
  Namespace: it would take the client's Secrets and data with it.
- `differences`: how live objects differ from an expected set (a snapshot, or
  the dry-run results of the target): the check that a topology is at its
  target or exactly at its snapshot, never in between.

Pure: objects in, decisions out.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rdm.model.kube import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    ORG_LABEL,
    ObjectRef,
    comparable,
    labels_of,
    wave,
)
from rdm.rendering.manifests import to_yaml


class Change(enum.StrEnum):
    CREATE = "create"
    CHANGE = "change"
    UNCHANGED = "unchanged"
    PRUNE = "prune"


def plan_problems(org_id: str, objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why rdm must not apply these objects as topology `org_id` (empty: fine)."""
    problems = []
    seen: set[ObjectRef] = set()
    for obj in objects:
        ref = ObjectRef.of(obj)
        found = labels_of(obj)
        if ref in seen:
            problems.append(f"{ref} is rendered twice")
        seen.add(ref)
        if ref.kind == "Namespace":
            if ref.name != org_id:
                problems.append(f"{ref}: the only Namespace a topology may have is {org_id}")
        elif ref.namespace != org_id:
            problems.append(f"{ref}: namespace {ref.namespace!r} is not the client's {org_id!r}")
        if found.get(MANAGED_BY_LABEL) != MANAGED_BY or found.get(ORG_LABEL) != org_id:
            problems.append(
                f"{ref}: lacks the labels {MANAGED_BY_LABEL}={MANAGED_BY} and {ORG_LABEL}={org_id}"
            )
        if not ref.name or not ref.kind or not ref.api_version:
            problems.append(f"{ref}: apiVersion, kind and metadata.name are required")
    return problems


def classify(live: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Change:
    if live is None:
        return Change.CREATE
    return Change.UNCHANGED if comparable(live) == comparable(after) else Change.CHANGE


def _lines(obj: Mapping[str, Any] | None) -> list[str]:
    return [] if obj is None else to_yaml(comparable(obj)).splitlines(keepends=True)


def object_diff(
    ref: ObjectRef, live: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> str:
    """A unified diff of the object, live (`a/`) to what the apply would make it (`b/`)."""
    name = f"{ref.kind.lower()}/{ref.name}"
    if ref.namespace:
        name = f"{ref.namespace}/{name}"
    lines = difflib.unified_diff(
        _lines(live),
        _lines(after),
        fromfile=f"a/{name}" if live is not None else "/dev/null",
        tofile=f"b/{name}" if after is not None else "/dev/null",
    )
    return "".join(lines)


def to_prune(
    org_id: str, live: Iterable[Mapping[str, Any]], wanted: Iterable[ObjectRef]
) -> list[ObjectRef]:
    """Live objects of the topology no longer wanted, highest wave first (never the Namespace)."""
    keep = set(wanted)
    found = [
        (wave(obj), ObjectRef.of(obj))
        for obj in live
        if ObjectRef.of(obj) not in keep
        and ObjectRef.of(obj).kind != "Namespace"
        and labels_of(obj).get(ORG_LABEL) == org_id
    ]
    return [ref for _, ref in sorted(found, key=lambda item: (-item[0], item[1]))]


def differences(
    live: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]
) -> list[str]:
    """How `live` differs from `expected` (server-set fields aside); empty when equal."""
    live_by_ref = {ObjectRef.of(o): o for o in live}
    expected_by_ref = {ObjectRef.of(o): o for o in expected}
    found = []
    for ref in sorted(expected_by_ref.keys() | live_by_ref.keys()):
        if ref not in live_by_ref:
            found.append(f"{ref} is missing")
        elif ref not in expected_by_ref:
            found.append(f"{ref} should not exist")
        elif comparable(live_by_ref[ref]) != comparable(expected_by_ref[ref]):
            found.append(f"{ref} differs")
    return found
