"""Execution records: what the rollout did with one RDM, kept in git as a note.

The record is the end of the audit chain RDM -> PR -> approvals -> revision ->
execution: `rdm rollout` writes one for every attempt that reached a decision
(applied, rolled back, failed, refused, held), attaches it to the RDM's merge commit
as a git note under `refs/notes/rdm`, and `rdm history`, `rdm list` and
`rdm report` read it back.

A note holds one JSON object, ``{"schema": "rdm.execution/v1", "records":
[...]}``; several attempts (a refusal, later an execution) accumulate in order.
Times are ISO 8601 with an offset; durations are whole seconds.

A note is read from git and is as hostile as any file: `parse_note` never
raises on content, it returns the records it could read and one message per
part it could not. This module is pure: encoding and decoding only.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rdm.i18n import _

SCHEMA = "rdm.execution/v1"
NOTES_REF = "refs/notes/rdm"
# A note larger than this is not read: records are small, a huge note is hostile.
MAX_NOTE_BYTES = 1024 * 1024


class Outcome(enum.StrEnum):
    """What happened to the RDM as a whole."""

    EXECUTED = "executed"  # every target at its new revision
    ROLLED_BACK = "rolled-back"  # a target failed; every target is back at its snapshot
    FAILED = "failed"  # a target failed and could not be rolled back: needs a person
    REFUSED = "refused"  # the gate or the verdict re-check said no; nothing was applied
    # An RDM of its dependsOn has not executed: nothing was applied, and unlike a
    # refusal it is not final -- the next run asks again.
    HELD = "held"


class TopologyOutcome(enum.StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # already at the target: nothing to apply
    ROLLED_BACK = "rolled-back"
    ROLLBACK_FAILED = "rollback-failed"
    SKIPPED = "skipped"  # not attempted, because an earlier target failed


class Capacity(enum.StrEnum):
    """Why an approver's review counted."""

    MEMBER = "member"
    DELEGATE = "delegate"
    INVOLVED = "involved"
    CHANGE_MANAGER = "change-manager"  # the one approval a standard change needs


@dataclass(frozen=True)
class Approver:
    login: str
    review_id: int
    capacity: Capacity
    submitted_at: datetime | None = None
    stood_in_for: str | None = None  # the member a delegate replaced


@dataclass(frozen=True)
class Rollback:
    started_at: datetime
    finished_at: datetime
    declared: timedelta  # the RDM's rollback.estimatedDuration
    reason: str  # what failed and made rdm roll back

    @property
    def duration(self) -> timedelta:
        return self.finished_at - self.started_at

    @property
    def within_declared(self) -> bool:
        return self.duration <= self.declared


@dataclass(frozen=True)
class TopologyRecord:
    org_id: str
    outcome: TopologyOutcome
    started_at: datetime
    finished_at: datetime
    snapshot_id: str | None = None
    error: str | None = None
    rollback: Rollback | None = None


@dataclass(frozen=True)
class ExecutionRecord:
    rdm_id: str
    outcome: Outcome
    merge_commit: str  # the commit the RDM was merged by; the note is attached to it
    revision: str  # the commit whose topologies were applied (the merge commit)
    started_at: datetime
    finished_at: datetime
    estimated_duration: timedelta
    rollback_declared: timedelta
    pr: int | None = None
    window: date | None = None  # None for emergencies
    change_type: str = "normal"
    priority: str | None = None
    approvers: tuple[Approver, ...] = ()
    topologies: tuple[TopologyRecord, ...] = ()
    reasons: tuple[str, ...] = ()  # the gate's and the verdict's reasons, as printed
    run_url: str | None = None  # the CI run that did it
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys a newer rdm wrote

    @property
    def duration(self) -> timedelta:
        return self.finished_at - self.started_at

    @property
    def rollbacks(self) -> list[tuple[str, Rollback]]:
        return [(t.org_id, t.rollback) for t in self.topologies if t.rollback is not None]


# ------------------------------------------------------------------ encoding


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _record_json(record: ExecutionRecord) -> dict[str, Any]:
    return {
        **record.extra,
        "rdm": record.rdm_id,
        "outcome": str(record.outcome),
        "pr": record.pr,
        "mergeCommit": record.merge_commit,
        "revision": record.revision,
        "window": None if record.window is None else record.window.isoformat(),
        "type": record.change_type,
        "priority": record.priority,
        "startedAt": _time(record.started_at),
        "finishedAt": _time(record.finished_at),
        "estimatedSeconds": int(record.estimated_duration.total_seconds()),
        "rollbackDeclaredSeconds": int(record.rollback_declared.total_seconds()),
        "approvers": [
            {
                "login": a.login,
                "reviewId": a.review_id,
                "capacity": str(a.capacity),
                "submittedAt": _time(a.submitted_at),
                "stoodInFor": a.stood_in_for,
            }
            for a in record.approvers
        ],
        "topologies": [
            {
                "orgId": t.org_id,
                "outcome": str(t.outcome),
                "snapshot": t.snapshot_id,
                "startedAt": _time(t.started_at),
                "finishedAt": _time(t.finished_at),
                "error": t.error,
                "rollback": None
                if t.rollback is None
                else {
                    "startedAt": _time(t.rollback.started_at),
                    "finishedAt": _time(t.rollback.finished_at),
                    "seconds": int(t.rollback.duration.total_seconds()),
                    "declaredSeconds": int(t.rollback.declared.total_seconds()),
                    "withinDeclared": t.rollback.within_declared,
                    "reason": t.rollback.reason,
                },
            }
            for t in record.topologies
        ],
        "reasons": list(record.reasons),
        "run": record.run_url,
    }


def record_json(record: ExecutionRecord) -> dict[str, Any]:
    """One record as the note holds it (what `rdm history --format json` prints)."""
    return _record_json(record)


def note_text(records: Sequence[ExecutionRecord]) -> str:
    """The note for a merge commit holding `records`, in order."""
    body = {"schema": SCHEMA, "records": [_record_json(r) for r in records]}
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------ decoding


class _Bad(Exception):
    """A part of a note that is not a record: becomes a message, never escapes."""


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    # bool is an int in Python; a count or an id given as true is not one.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        kind_name = getattr(kind, "__name__", str(kind))
        raise _Bad(_("'{key}' is missing or not {kind}").format(key=key, kind=kind_name))
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type) -> Any:
    return None if data.get(key) is None else _get(data, key, kind)


def _datetime(data: Mapping[str, Any], key: str) -> datetime:
    text = _get(data, key, str)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(
            _("'{key}' is not an ISO 8601 date-time: {text}").format(key=key, text=repr(text[:40]))
        ) from exc
    if value.tzinfo is None:
        raise _Bad(_("'{key}' has no UTC offset: {text}").format(key=key, text=repr(text[:40])))
    return value


def _optional_datetime(data: Mapping[str, Any], key: str) -> datetime | None:
    return None if data.get(key) is None else _datetime(data, key)


def _seconds(data: Mapping[str, Any], key: str) -> timedelta:
    value = _get(data, key, int)
    # Ten years: anything longer is not a duration a record can hold.
    if not 0 <= value <= 10 * 366 * 86400:
        raise _Bad(_("'{key}' is out of range: {value}").format(key=key, value=value))
    return timedelta(seconds=value)


def _enum(data: Mapping[str, Any], key: str, kind: type[enum.StrEnum]) -> Any:
    text = _get(data, key, str)
    try:
        return kind(text)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise _Bad(
            _("'{key}' is {text}, not one of {allowed}").format(
                key=key, text=repr(text[:40]), allowed=allowed
            )
        ) from exc


def _backwards(started: datetime, finished: datetime, message: str) -> None:
    """A span that ends before it starts is not a record: its negative duration
    would read as a rollback faster than declared, or a change that took no time."""
    if finished < started:
        raise _Bad(message)


def _approver(data: Any) -> Approver:
    if not isinstance(data, Mapping):
        raise _Bad(_("an approver is not an object"))
    return Approver(
        login=_get(data, "login", str),
        review_id=_get(data, "reviewId", int),
        capacity=_enum(data, "capacity", Capacity),
        submitted_at=_optional_datetime(data, "submittedAt"),
        stood_in_for=_optional(data, "stoodInFor", str),
    )


def _rollback(data: Any, rdm_id: str, org_id: str) -> Rollback:
    if not isinstance(data, Mapping):
        raise _Bad(_("a rollback is not an object"))
    started, finished = _datetime(data, "startedAt"), _datetime(data, "finishedAt")
    _backwards(
        started,
        finished,
        _("{rdm}: the rollback of {org} ends before it starts").format(rdm=rdm_id, org=org_id),
    )
    return Rollback(
        started_at=started,
        finished_at=finished,
        declared=_seconds(data, "declaredSeconds"),
        reason=_get(data, "reason", str),
    )


def _topology(data: Any, rdm_id: str) -> TopologyRecord:
    if not isinstance(data, Mapping):
        raise _Bad(_("a topology entry is not an object"))
    org_id = _get(data, "orgId", str)
    started, finished = _datetime(data, "startedAt"), _datetime(data, "finishedAt")
    _backwards(
        started,
        finished,
        _("{rdm}: the run of {org} ends before it starts").format(rdm=rdm_id, org=org_id),
    )
    return TopologyRecord(
        org_id=org_id,
        outcome=_enum(data, "outcome", TopologyOutcome),
        started_at=started,
        finished_at=finished,
        snapshot_id=_optional(data, "snapshot", str),
        error=_optional(data, "error", str),
        rollback=None
        if data.get("rollback") is None
        else _rollback(data["rollback"], rdm_id, org_id),
    )


_KNOWN = {
    "rdm", "outcome", "pr", "mergeCommit", "revision", "window", "type", "priority",
    "startedAt", "finishedAt", "estimatedSeconds", "rollbackDeclaredSeconds",
    "approvers", "topologies", "reasons", "run",
}  # fmt: skip


def _record(data: Any) -> ExecutionRecord:
    if not isinstance(data, Mapping):
        raise _Bad(_("a record is not an object"))
    window_text = _optional(data, "window", str)
    try:
        window = None if window_text is None else date.fromisoformat(window_text)
    except ValueError as exc:
        raise _Bad(_("'window' is not a date: {text}").format(text=repr(window_text[:40]))) from exc
    reasons = _get(data, "reasons", list) if "reasons" in data else []
    if not all(isinstance(r, str) for r in reasons):
        raise _Bad(_("'reasons' holds something that is not text"))
    rdm_id = _get(data, "rdm", str)
    started, finished = _datetime(data, "startedAt"), _datetime(data, "finishedAt")
    _backwards(
        started,
        finished,
        _("{rdm} ends ({end}) before it starts ({start})").format(
            rdm=rdm_id, end=finished.isoformat(), start=started.isoformat()
        ),
    )
    return ExecutionRecord(
        rdm_id=rdm_id,
        outcome=_enum(data, "outcome", Outcome),
        merge_commit=_get(data, "mergeCommit", str),
        revision=_get(data, "revision", str),
        started_at=started,
        finished_at=finished,
        estimated_duration=_seconds(data, "estimatedSeconds"),
        rollback_declared=_seconds(data, "rollbackDeclaredSeconds"),
        pr=_optional(data, "pr", int),
        window=window,
        change_type=_get(data, "type", str) if "type" in data else "normal",
        priority=_optional(data, "priority", str),
        approvers=tuple(_approver(a) for a in _get(data, "approvers", list)),
        topologies=tuple(_topology(t, rdm_id) for t in _get(data, "topologies", list)),
        reasons=tuple(reasons),
        run_url=_optional(data, "run", str),
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


def parse_note(raw: bytes) -> tuple[list[ExecutionRecord], list[str]]:
    """The records a note holds, and one message per part that is not a record."""
    if len(raw) > MAX_NOTE_BYTES:
        return [], [_("the note is over {size} KiB; not read").format(size=MAX_NOTE_BYTES // 1024)]
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return [], [_("the note is not JSON: {error}").format(error=str(exc)[:120])]
    if not isinstance(body, Mapping) or body.get("schema") != SCHEMA:
        return [], [
            _("the note is not an rdm execution note (schema {schema})").format(schema=SCHEMA)
        ]
    entries = body.get("records")
    if not isinstance(entries, list):
        return [], [_("the note has no 'records' list")]
    records: list[ExecutionRecord] = []
    errors: list[str] = []
    for index, entry in enumerate(entries):
        try:
            records.append(_record(entry))
        except _Bad as exc:
            errors.append(_("record {n}: {why}").format(n=index + 1, why=exc))
    return records, errors
