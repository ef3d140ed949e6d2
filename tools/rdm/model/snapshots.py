"""Snapshots: a topology's live objects before a change, and how they are stored.

A snapshot holds every object the topology owned (labels
`app.kubernetes.io/managed-by: rdm` + `rdm/org-id`) when it was taken, cleaned
of server-set fields (`kube.for_apply`), plus what the Namespace recorded then
(the applied revision, RDM and time), so that a rollback can restore both.

Storage: JSON, gzip-compressed, in the `binaryData` of ConfigMaps in the
`rdm-system` namespace, labelled `rdm/org-id` and `rdm/snapshot-id`. A
ConfigMap holds at most 1 MiB of data, so the compressed bytes are cut into
parts of at most `PART_BYTES` (base64 makes them a third larger), one ConfigMap
per part; a snapshot that would need more than `MAX_PARTS` parts is refused
before anything is applied (`SnapshotTooLarge`). The same bytes are what
`rdm apply --out` writes for CI (`<id>.json.gz`).

A snapshot id is `<UTC time>-<6 hex of the content>`: sortable by time, and
the same content taken in the same second gets the same id, so storing it
twice is harmless. Decoding trusts nothing: a missing or corrupt part, a digest
that does not match or a document of another shape is a `SnapshotError`.

The digest only proves the parts belong together, not who wrote them: anyone
who may write ConfigMaps in `rdm-system` (or swap a CI artifact) can store a
snapshot with a matching digest. So what a snapshot may hold is checked before
anything is restored (`check_restorable`): only the kinds rdm renders, only in
the client's namespace (its Namespace only by its own name), only with the
topology's labels. A snapshot holding anything else is refused whole.

Pure: bytes and objects in and out, no I/O, no clock (the time is passed in).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rdm.model.kube import (
    APPLIED_AT,
    APPLIED_RDM,
    APPLIED_REVISION,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    ORG_LABEL,
    OWNED_KINDS,
    SYSTEM_NAMESPACE,
    KubeObject,
    ObjectRef,
    annotations_of,
    count_of,
    for_apply,
    owned_by,
)
from rdm.model.problems import RdmError

FORMAT = "rdm.snapshot/v1"
SNAPSHOT_LABEL = "rdm/snapshot-id"
PART_LABEL = "rdm/snapshot-part"
PARTS_ANNOTATION = "rdm/snapshot-parts"
DIGEST_ANNOTATION = "rdm/snapshot-sha256"
TAKEN_AT_ANNOTATION = "rdm/snapshot-taken-at"
REVISION_ANNOTATION = "rdm/snapshot-revision"
REASON_ANNOTATION = "rdm/snapshot-reason"
OBJECTS_ANNOTATION = "rdm/snapshot-objects"
PART_KEY = "snapshot.json.gz"
# The most parts a stored snapshot is believed to have when read back (writing
# allows `MAX_PARTS` by default, more if configured): a claim of more is corrupt.
READ_MAX_PARTS = 1000
# 700 KiB of gzip is 933 KiB of base64: under the 1 MiB a ConfigMap may hold.
PART_BYTES = 700 * 1024
MAX_PARTS = 8
DEFAULT_KEEP = 10
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}\Z")


class SnapshotError(RdmError):
    """A stored snapshot cannot be read back whole."""


class SnapshotTooLarge(SnapshotError):
    """The topology's objects do not fit the parts a snapshot may have."""


@dataclass(frozen=True)
class Snapshot:
    org_id: str
    snapshot_id: str
    taken_at: datetime
    reason: str  # "before applying <rev> (RDM-...)" / "before rolling back to ..."
    objects: tuple[KubeObject, ...]
    # what the Namespace recorded when the snapshot was taken
    revision: str | None = None
    rdm_id: str | None = None
    applied_at: str | None = None

    def refs(self) -> set[ObjectRef]:
        return {ObjectRef.of(obj) for obj in self.objects}


@dataclass(frozen=True)
class SnapshotInfo:
    """What a listing shows without decoding the parts."""

    org_id: str
    snapshot_id: str
    taken_at: str
    revision: str | None
    reason: str
    objects: int
    parts: int
    complete: bool  # every part present


def snapshot_id(taken_at: datetime, content: bytes) -> str:
    stamp = taken_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{hashlib.sha256(content).hexdigest()[:6]}"


def valid_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def take(
    org_id: str,
    live: Iterable[Mapping[str, Any]],
    taken_at: datetime,
    reason: str,
) -> Snapshot:
    """The snapshot of `live` (what the topology owns now), cleaned and in a stable order."""
    live = list(live)
    objects = sorted((for_apply(obj) for obj in live), key=lambda o: ObjectRef.of(o))
    namespace = next(
        (o for o in live if o.get("kind") == "Namespace" and ObjectRef.of(o).name == org_id),
        None,
    )
    record = annotations_of(namespace) if namespace is not None else {}
    body = _canonical(objects)
    return Snapshot(
        org_id=org_id,
        snapshot_id=snapshot_id(taken_at, body),
        taken_at=taken_at.astimezone(UTC),
        reason=reason,
        objects=tuple(objects),
        revision=record.get(APPLIED_REVISION),
        rdm_id=record.get(APPLIED_RDM),
        applied_at=record.get(APPLIED_AT),
    )


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode(snapshot: Snapshot) -> bytes:
    """The snapshot as gzip-compressed JSON (byte-identical for the same snapshot)."""
    document = {
        "format": FORMAT,
        "orgId": snapshot.org_id,
        "snapshotId": snapshot.snapshot_id,
        "takenAt": snapshot.taken_at.isoformat(),
        "reason": snapshot.reason,
        "revision": snapshot.revision,
        "rdm": snapshot.rdm_id,
        "appliedAt": snapshot.applied_at,
        "objects": list(snapshot.objects),
    }
    return gzip.compress(_canonical(document), compresslevel=6, mtime=0)


def decode(data: bytes, *, max_bytes: int = 64 * 1024 * 1024) -> Snapshot:
    """A snapshot from `encode`'s bytes; anything else is a `SnapshotError`."""
    try:
        inflater = zlib.decompressobj(wbits=31)
        raw = inflater.decompress(data, max_bytes)
        if inflater.unconsumed_tail:
            raise SnapshotError(f"snapshot is larger than {max_bytes} bytes uncompressed")
        document = json.loads(raw)
    except (zlib.error, ValueError, EOFError, RecursionError) as exc:
        raise SnapshotError(f"snapshot is not gzip-compressed JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot of format {FORMAT}")
    objects = document.get("objects")
    texts = ("orgId", "snapshotId", "takenAt", "reason")
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise SnapshotError("snapshot objects are not a list of objects")
    if not all(isinstance(document.get(k), str) for k in texts):
        raise SnapshotError("snapshot lacks its org id, id, time or reason")
    try:
        taken_at = datetime.fromisoformat(document["takenAt"])
    except ValueError as exc:
        raise SnapshotError(f"snapshot time {document['takenAt']!r} is not ISO 8601") from exc
    optional = {k: document.get(k) for k in ("revision", "rdm", "appliedAt")}
    if not all(v is None or isinstance(v, str) for v in optional.values()):
        raise SnapshotError("snapshot revision, RDM or time is not text")
    return Snapshot(
        org_id=document["orgId"],
        snapshot_id=document["snapshotId"],
        taken_at=taken_at,
        reason=document["reason"],
        objects=tuple(objects),
        revision=optional["revision"],
        rdm_id=optional["rdm"],
        applied_at=optional["appliedAt"],
    )


def config_map_name(org_id: str, snap_id: str, part: int) -> str:
    # org ids are DNS labels (at most 63); the whole stays a DNS subdomain.
    return f"snapshot-{org_id}-{snap_id}-{part}"


def config_maps(
    snapshot: Snapshot, *, part_bytes: int = PART_BYTES, max_parts: int = MAX_PARTS
) -> list[KubeObject]:
    """The ConfigMaps that store `snapshot`, one per part."""
    data = encode(snapshot)
    parts = [data[i : i + part_bytes] for i in range(0, len(data), part_bytes)] or [b""]
    if len(parts) > max_parts:
        raise SnapshotTooLarge(
            f"{snapshot.org_id}: the snapshot of {len(snapshot.objects)} objects is "
            f"{len(data)} bytes compressed; at most {max_parts} ConfigMaps of "
            f"{part_bytes} bytes may hold it (the 1 MiB object limit); nothing was applied"
        )
    digest = hashlib.sha256(data).hexdigest()
    result = []
    for number, chunk in enumerate(parts):
        result.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": config_map_name(snapshot.org_id, snapshot.snapshot_id, number),
                    "namespace": SYSTEM_NAMESPACE,
                    "labels": {
                        "app.kubernetes.io/part-of": MANAGED_BY,
                        ORG_LABEL: snapshot.org_id,
                        SNAPSHOT_LABEL: snapshot.snapshot_id,
                        PART_LABEL: str(number),
                    },
                    "annotations": {
                        PARTS_ANNOTATION: str(len(parts)),
                        DIGEST_ANNOTATION: digest,
                        TAKEN_AT_ANNOTATION: snapshot.taken_at.isoformat(timespec="seconds"),
                        REVISION_ANNOTATION: snapshot.revision or "",
                        REASON_ANNOTATION: snapshot.reason[:1000],
                        OBJECTS_ANNOTATION: str(len(snapshot.objects)),
                    },
                },
                "binaryData": {PART_KEY: base64.b64encode(chunk).decode("ascii")},
            }
        )
    return result


def selector(org_id: str, snap_id: str | None = None) -> str:
    found = f"{ORG_LABEL}={org_id},{SNAPSHOT_LABEL}"
    return f"{found}={snap_id}" if snap_id else found


def infos(org_id: str, stored: Sequence[Mapping[str, Any]]) -> list[SnapshotInfo]:
    """The snapshots of `org_id` among stored ConfigMaps, newest first."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in stored:
        found = (item.get("metadata") or {}).get("labels") or {}
        if found.get(ORG_LABEL) == org_id and valid_id(str(found.get(SNAPSHOT_LABEL, ""))):
            groups.setdefault(found[SNAPSHOT_LABEL], []).append(item)
    result = []
    for snap_id, items in groups.items():
        notes = annotations_of(items[0])
        count = count_of(notes.get(PARTS_ANNOTATION), READ_MAX_PARTS) or 0
        objects = count_of(notes.get(OBJECTS_ANNOTATION), 10**9) or 0
        numbers = {((i.get("metadata") or {}).get("labels") or {}).get(PART_LABEL) for i in items}
        result.append(
            SnapshotInfo(
                org_id=org_id,
                snapshot_id=snap_id,
                taken_at=notes.get(TAKEN_AT_ANNOTATION, ""),
                revision=notes.get(REVISION_ANNOTATION) or None,
                reason=notes.get(REASON_ANNOTATION, ""),
                objects=objects,
                parts=count,
                complete=count > 0 and numbers == {str(n) for n in range(count)},
            )
        )
    return sorted(result, key=lambda i: i.snapshot_id, reverse=True)


def assemble(org_id: str, snap_id: str, stored: Sequence[Mapping[str, Any]]) -> Snapshot:
    """Decode one snapshot from its stored ConfigMaps (every part, digest checked)."""
    parts: dict[int, bytes] = {}
    expected: set[str] = set()
    digests: set[str] = set()
    for item in stored:
        metadata = item.get("metadata") or {}
        found = metadata.get("labels") or {}
        if found.get(ORG_LABEL) != org_id or found.get(SNAPSHOT_LABEL) != snap_id:
            continue
        number = str(found.get(PART_LABEL, ""))
        position = count_of(number, READ_MAX_PARTS)
        notes = annotations_of(item)
        expected.add(notes.get(PARTS_ANNOTATION, ""))
        digests.add(notes.get(DIGEST_ANNOTATION, ""))
        text = (item.get("binaryData") or {}).get(PART_KEY)
        if position is None or not isinstance(text, str):
            raise SnapshotError(f"snapshot {snap_id} of {org_id}: part {number!r} is unreadable")
        try:
            parts[position] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SnapshotError(
                f"snapshot {snap_id} of {org_id}: part {number} is not base64"
            ) from exc
    if not parts:
        raise SnapshotError(f"no snapshot {snap_id} of {org_id} in {SYSTEM_NAMESPACE}")
    if len(expected) != 1:
        raise SnapshotError(f"snapshot {snap_id} of {org_id}: parts disagree on their number")
    claimed = next(iter(expected))
    count = count_of(claimed, READ_MAX_PARTS)
    if not count:
        raise SnapshotError(
            f"snapshot {snap_id} of {org_id}: {PARTS_ANNOTATION} {claimed!r} is not a "
            f"number of parts (1 to {READ_MAX_PARTS})"
        )
    if sorted(parts) != list(range(count)):
        raise SnapshotError(
            f"snapshot {snap_id} of {org_id}: {len(parts)} of {count} parts are stored"
        )
    data = b"".join(parts[n] for n in range(count))
    if len(digests) != 1 or hashlib.sha256(data).hexdigest() != next(iter(digests)):
        raise SnapshotError(f"snapshot {snap_id} of {org_id}: its digest does not match")
    snapshot = decode(data)
    if snapshot.org_id != org_id or snapshot.snapshot_id != snap_id:
        raise SnapshotError(
            f"snapshot {snap_id} of {org_id} holds {snapshot.snapshot_id} of {snapshot.org_id}"
        )
    check_restorable(snapshot)
    return snapshot


def foreign_objects(snapshot: Snapshot) -> list[str]:
    """The objects of `snapshot` that are not topology `snapshot.org_id`'s to restore,
    each with why; empty when every object is one rdm renders for that client."""
    org = snapshot.org_id
    found = []
    for obj in snapshot.objects:
        ref = ObjectRef.of(obj)
        if (ref.api_version, ref.kind) not in OWNED_KINDS:
            why = "a kind rdm does not render"
        elif ref.kind == "Namespace" and ref.name != org:
            why = f"the only Namespace the topology has is {org}"
        elif ref.kind != "Namespace" and ref.namespace != org:
            why = f"namespace {ref.namespace!r}, not the client's {org!r}"
        elif not owned_by(obj, org):
            why = f"without the labels {MANAGED_BY_LABEL}={MANAGED_BY} and {ORG_LABEL}={org}"
        else:
            continue
        found.append((str(ref), ref.namespace or "", f"{ref} ({why})"))
    return [text for _, _, text in sorted(found)]


def check_restorable(snapshot: Snapshot) -> None:
    """A `SnapshotError` when `snapshot` holds anything rdm must never restore."""
    foreign = foreign_objects(snapshot)
    if foreign:
        raise SnapshotError(
            f"snapshot {snapshot.snapshot_id} of {snapshot.org_id} holds objects rdm never "
            f"restores, so nothing was restored: {'; '.join(foreign)}"
        )


def to_delete(infos_newest_first: Sequence[SnapshotInfo], keep: int) -> list[str]:
    """Ids of the snapshots beyond the newest `keep` (retention)."""
    return [info.snapshot_id for info in infos_newest_first[max(keep, 1) :]]
