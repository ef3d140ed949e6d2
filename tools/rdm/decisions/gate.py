"""The gate: may this RDM be applied at this instant? Allowed, with reasons.

The last decision before the cluster. It joins what the other decisions say:

- **the committee's verdict**, recomputed at apply time from the reviews of the
  pull request that merged the RDM, as they stood at the merge (never a commit
  status): it must be `approved` and name this RDM. A merge without a pull
  request, or one whose reviews lack the consensus, is blocked whatever status
  it carried;
- **the type and the calendar**: a normal or standard RDM only in the open
  period of its own `window` (not frozen); an emergency at any time, once
  `communication.notified` is true and the notice is not in the future;
- **the deadline** (normal RDMs): submitted strictly before the deadline of
  the committee meeting that approves its window;
- **conflicts** (`rdm.decisions.conflicts`, the rules `rdm validate` reports
  at the pull request): another RDM of the window changes the same workload of
  the same topology and neither names the other in `dependsOn`;
- **capacity** (`conflicts.fits_at`): now + implementation + rollback must end
  inside the open period, so the rollback still fits;
- **what the revision carries**: applying a topology as of the RDM's merge
  commit must not take along another RDM's change that is not due, nor go back
  to an older revision (`revisions.carried`); the rollout works these out.

Each reason is one sentence a person can act on, `ok: ...` or `blocked: ...`,
blocked first; the decision is allowed when nothing blocks. The conflict and
capacity findings come in from `rdm.decisions.conflicts` (one implementation,
shared with `rdm validate`); the gate only words them.

Pure: no I/O, no clock; the instant is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from rdm.decisions import approvals, calendar
from rdm.decisions.calendar import CalendarPolicy
from rdm.model.rdms import ChangeType, Rdm, format_duration

OK, BLOCKED = "ok: ", "blocked: "


class Finding(Protocol):
    """A finding of `rdm.decisions.conflicts` (conflict or capacity), as the gate reads it."""

    @property
    def rdm_id(self) -> str: ...

    @property
    def rule(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class Committee:
    """The verdict re-check's answer for the commit that merged the RDM."""

    merge_commit: str
    pr: int | None  # the PR GitHub says merged the commit; None: no PR did
    verdict: approvals.Verdict | None  # recomputed as of the merge; None with `problem`
    problem: str | None = None  # why there is no verdict (a sentence)


@dataclass(frozen=True)
class Gate:
    rdm_id: str
    at: datetime
    allowed: bool
    reasons: tuple[str, ...]

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(r for r in self.reasons if r.startswith(BLOCKED))

    def as_json(self) -> dict[str, object]:
        return {
            "rdm": self.rdm_id,
            "at": self.at.isoformat(),
            "allowed": self.allowed,
            "reasons": list(self.reasons),
        }


def decide(
    rdm: Rdm,
    *,
    at: datetime,
    policy: CalendarPolicy,
    committee: Committee,
    submitted_at: datetime | None = None,
    conflicts: Sequence[Finding] = (),
    capacity: Finding | None = None,
    carried: Sequence[str] = (),
) -> Gate:
    """May `rdm` be applied at `at`? See the module docstring for the rules.

    `submitted_at` is when the RDM's pull request was submitted (for the
    deadline of normal RDMs); `conflicts` the conflict findings of the RDMs of
    its window (those about other RDMs are ignored); `capacity` the result of
    `conflicts.fits_at` at `at` (None: it fits); `carried` the sentences of
    `revisions.carried` for its targets.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the gate's instant must carry a UTC offset")
    at = at.astimezone(policy.zone)
    reasons = committee_reasons(rdm, committee)
    if rdm.type is ChangeType.EMERGENCY:
        reasons += _emergency(rdm, at, policy)
    else:
        occurrence, window_reasons = _window(rdm, at, policy)
        reasons += window_reasons
        if occurrence is not None and rdm.type is ChangeType.NORMAL:
            reasons += _deadline(rdm, submitted_at, occurrence, policy)
        if occurrence is not None and not any(r.startswith(BLOCKED) for r in window_reasons):
            reasons += _capacity(rdm, at, occurrence, policy, capacity)
        own = [f for f in conflicts if f.rdm_id == rdm.id]
        reasons += [BLOCKED + f.message for f in own]
        if not own:
            reasons.append(OK + "no other RDM of its window changes the same workloads")
    if carried:
        reasons += [BLOCKED + sentence for sentence in carried]
    blocked = [r for r in reasons if r.startswith(BLOCKED)]
    others = [r for r in reasons if not r.startswith(BLOCKED)]
    return Gate(rdm.id, at, not blocked, (*blocked, *others))


def committee_reasons(rdm: Rdm, committee: Committee) -> list[str]:
    """The committee's part of the gate; blocked here is final for that merge (the
    rollout records it as a refusal), since the verdict is computed as of the merge."""
    where = f"merged in {committee.merge_commit[:12]}"
    if committee.verdict is None or committee.pr is None:
        why = committee.problem or "no pull request merged it"
        return [f"{BLOCKED}no committee verdict for {rdm.id} ({where}): {why}"]
    verdict = committee.verdict
    pr = f"PR #{committee.pr}"
    if rdm.id not in verdict.rdm_ids:
        return [
            f"{BLOCKED}{pr}, which {where}, does not carry {rdm.id}: its verdict cannot approve it"
        ]
    if verdict.verdict is not approvals.Outcome.APPROVED:
        return [
            f"{BLOCKED}{pr} ({where}) was merged without the {verdict.committee}'s approval: "
            f"the verdict recomputed from its reviews as they stood at the merge is "
            f"{verdict.verdict}",
            *(f"{pr}: {reason}" for reason in verdict.reasons),
        ]
    last = verdict.reasons[-1] if verdict.reasons else ""
    who = (
        "as a standard change" if verdict.committee == "standard" else f"by the {verdict.committee}"
    )
    return [f"{OK}{pr} ({where}) approved {who}: {last}"]


def _emergency(rdm: Rdm, at: datetime, policy: CalendarPolicy) -> list[str]:
    notice = rdm.communication
    if notice is None or notice.notified is not True:
        return [
            f"{BLOCKED}{rdm.id} is an emergency and its clients have not been told: set "
            "communication.notified to true (with the notice and notifiedAt) once they know"
        ]
    told = notice.notified_instant
    if notice.notified_at is not None and told is None:
        return [
            f"{BLOCKED}communication.notifiedAt {notice.notified_at!r} is not a date-time with "
            "an offset"
        ]
    if told is not None and told > at:
        return [
            f"{BLOCKED}the clients are to be told at "
            f"{calendar.format_instant(told.astimezone(policy.zone))}, after now: an emergency "
            "runs only once they know"
        ]
    when = f" at {calendar.format_instant(told.astimezone(policy.zone))}" if told else ""
    return [f"{OK}emergency: runs at any hour; the clients were told{when}"]


def _window(
    rdm: Rdm, at: datetime, policy: CalendarPolicy
) -> tuple[calendar.Occurrence | None, list[str]]:
    if rdm.window is None:
        return None, [f"{BLOCKED}a {rdm.type} RDM runs in a window, and {rdm.id} names none"]
    occurrence = calendar.window_for_date(policy, rdm.window)
    if occurrence is None:
        return None, [
            f"{BLOCKED}{rdm.window} is not a change window of the calendar (cancelled, or "
            "skipped for a holiday): the committee must give the RDM another window"
        ]
    start, end = occurrence.start, occurrence.end
    if calendar.elapsed(at, start) > timedelta(0):
        wait = calendar.format_span(calendar.elapsed(at, start))
        return occurrence, [
            f"{BLOCKED}its window opens {calendar.format_instant(start)} (in {wait})"
        ]
    if calendar.elapsed(end, at) >= timedelta(0):
        return occurrence, [
            f"{BLOCKED}its window closed at {calendar.format_instant(end)}: the committee "
            "must give the RDM a new window"
        ]
    decision = calendar.window_at(policy, at)
    current = decision.current
    inside = current is not None and occurrence.contains(current.start)
    if not inside:
        return occurrence, [f"{BLOCKED}{decision.reason.removeprefix('closed: ')}"]
    assert current is not None
    left = calendar.format_span(calendar.elapsed(at, current.end))
    moved = f"; moved from {occurrence.scheduled}: {occurrence.reason}" if occurrence.moved else ""
    return occurrence, [
        f"{OK}its window is open until {calendar.format_instant(current.end)} ({left} left){moved}"
    ]


def _deadline(
    rdm: Rdm,
    submitted_at: datetime | None,
    occurrence: calendar.Occurrence,
    policy: CalendarPolicy,
) -> list[str]:
    meeting = calendar.approving_meeting(policy, occurrence)
    window = calendar.format_instant(occurrence.start)
    if meeting is None:
        return [
            f"{BLOCKED}no committee meeting approves the window of {window} (every meeting "
            "before it is cancelled)"
        ]
    deadline = calendar.format_instant(meeting.deadline)
    if submitted_at is None:
        return [
            f"{BLOCKED}when {rdm.id} was submitted is unknown, so the deadline "
            f"{deadline} of the meeting that approves its window cannot be checked"
        ]
    submitted = calendar.format_instant(submitted_at.astimezone(policy.zone))
    if calendar.deadline_met(policy, submitted_at, occurrence):
        return [f"{OK}submitted {submitted}, before the deadline {deadline}"]
    first = calendar.first_window_for_submission(policy, submitted_at)
    can_make = (
        f"; the first window it can make is {calendar.format_instant(first.start)}: "
        "move `window` there through a new pull request"
        if first is not None
        else ""
    )
    return [
        f"{BLOCKED}submitted {submitted}, after the deadline {deadline} of the committee "
        f"meeting that approves the window of {window}{can_make}"
    ]


def _capacity(
    rdm: Rdm,
    at: datetime,
    occurrence: calendar.Occurrence,
    policy: CalendarPolicy,
    capacity: Finding | None,
) -> list[str]:
    if capacity is not None:
        return [BLOCKED + capacity.message]
    # In UTC: adding to a zoned time would add wall-clock time, wrong across DST.
    end = (at.astimezone(UTC) + rdm.total_duration).astimezone(policy.zone)
    return [
        f"{OK}implementation {format_duration(rdm.estimated_duration)} + rollback "
        f"{format_duration(rdm.rollback_duration)} end by {calendar.format_instant(end)}, "
        "inside the window"
    ]
