"""Where an RDM is in its life, derived from facts and never typed into a file.

    draft -> submitted (in time, or late, for a meeting) -> approved / rejected
          -> scheduled -> executed / rolled-back (execution record) -> reviewed

plus the ways out of that line: withdrawn (PR closed unmerged), missed (merged,
window over, no record), refused (the rollout's gate said no), failed (a change
that could not be rolled back: a person must look).

The facts come from the edges: git (the commit that added the file, the merge
that brought it to the default branch), GitHub (the PR, its draft flag, when it
was marked ready for review, the committee's verdict) and the execution records
(git notes). The rules, in order:

1. An execution record of the RDM *as it now stands* decides: its outcome, the
   last one that is not a refusal (a refusal followed by a run is the run) or a
   hold (the rollout held it for its `dependsOn`: held while the window lasts,
   missed after; a run that follows wins). An executed or rolled-back change is
   *reviewed* once the first committee meeting after it has ended: that
   meeting's agenda carries the results to review (`rdm agenda`).

   Which records are of the RDM as it now stands is the rollout's own rule
   (`due.of_version`): made at the commit of HEAD's first-parent line that last
   changed the RDM's file, or after it, and for the RDM's window. A later PR
   that changes the file is a new version the committee approved and the
   rollout runs again: the records of the earlier versions (made at an earlier
   change of the file, or after it) decide nothing, and are shown as what an
   earlier version did (`Status.earlier`). A record on any other commit (off
   the line, before the file existed, not in the clone) is no run of it.
2. Merged (the PR was merged, or the file came to HEAD by a PR merge commit):
   scheduled while its window has not ended (an emergency: until the rollout
   runs it), missed after.
3. A PR: closed unmerged is withdrawn; a draft PR is a draft; otherwise the
   committee's verdict when known (approved, rejected), else submitted.
4. No PR but committed: submitted, at the commit that added the file.
5. Only in the work tree: draft.

Everything is taken as it stood at `now` (`as_of`): a commit, merge, PR
event or execution after it is left out, so `--at` replays the history. The
version as of `now` is the last change of the file by then; when that is not
the file read (a later merge changed it), its window is not known and only its
commit tells its records apart.

The submission instant is when the PR was last marked ready for review, or when
it was opened ready, or (no PR) the commit that added the RDM. It is in time when
strictly before the deadline of the meeting that approves the RDM's window;
a late one gets the first window it can still make (deadline, freezes and the
RDM's implementation + rollback time considered).

Pure: no I/O, no clock (`now` is an argument).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from rdm.decisions import approvals, calendar, due
from rdm.i18n import N_, _
from rdm.model.rdms import ChangeType, Rdm, format_duration
from rdm.model.records import ExecutionRecord, Outcome


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SCHEDULED = "scheduled"
    MISSED = "missed"
    REFUSED = "refused"
    HELD = "held"  # merged, and held by the rollout until its dependsOn has executed
    EXECUTED = "executed"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"
    REVIEWED = "reviewed"


# How people read each state (translated where shown: `_(LABELS[state])`).
LABELS: dict[State, str] = {
    State.DRAFT: N_("draft"),
    State.SUBMITTED: N_("submitted"),
    State.APPROVED: N_("approved"),
    State.REJECTED: N_("rejected"),
    State.WITHDRAWN: N_("withdrawn"),
    State.SCHEDULED: N_("scheduled"),
    State.MISSED: N_("not executed"),
    State.REFUSED: N_("refused"),
    State.HELD: N_("held (dependsOn)"),
    State.EXECUTED: N_("executed"),
    State.ROLLED_BACK: N_("rolled back"),
    State.FAILED: N_("failed"),
    State.REVIEWED: N_("reviewed"),
}
# Before the committee's decision and not a draft: what a meeting deliberates on.
PENDING = frozenset({State.SUBMITTED, State.APPROVED, State.REJECTED})
_DONE = (Outcome.EXECUTED, Outcome.ROLLED_BACK)


@dataclass(frozen=True)
class PullFacts:
    """What GitHub says of the pull request that carries an RDM."""

    number: int
    open: bool
    draft: bool
    merged: bool
    created_at: datetime
    ready_at: datetime | None = None  # the last `ready_for_review` event
    merged_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """A commit of HEAD's first-parent line that changed an RDM's file: a version of it."""

    commit: str
    at: datetime  # its commit time


@dataclass(frozen=True)
class GitFacts:
    """What git says of an RDM file on the checked-out branch."""

    committed: bool = False
    added_at: datetime | None = None  # the first commit that added the file
    added_commit: str | None = None
    merge_commit: str | None = None  # the PR merge on HEAD's first-parent line that brought it
    merged_at: datetime | None = None
    pr: int | None = None  # the PR that merge names
    # every first-parent commit that changed the file, newest first: the first is the
    # version the rollout runs (its merge commit), the others are earlier versions
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Facts:
    rdm: Rdm
    path: str
    git: GitFacts = GitFacts()
    pull: PullFacts | None = None
    verdict: approvals.Verdict | None = None
    records: tuple[ExecutionRecord, ...] = ()

    @property
    def pr_number(self) -> int | None:
        return self.pull.number if self.pull is not None else self.git.pr


@dataclass(frozen=True)
class Submission:
    at: datetime
    source: str  # "ready-for-review" | "pr-opened" | "commit"
    meeting: calendar.Meeting | None  # the meeting that approves the declared window
    in_time: bool | None  # None: no meeting decides it (an emergency)
    can_make: calendar.Occurrence | None = None  # a late RDM: the first window it can make


@dataclass(frozen=True)
class Status:
    facts: Facts
    state: State
    priority: str | None
    window: calendar.Occurrence | None  # the declared window as the calendar has it
    submission: Submission | None
    record: ExecutionRecord | None  # the record that decided the state
    review_meeting: calendar.Meeting | None = None  # where an executed change is reviewed
    version: str | None = None  # the commit of the RDM as it stands (see the module doc)
    earlier: ExecutionRecord | None = None  # what the records say of the earlier versions
    # the records made at one of its versions, this one or an earlier one, in order
    runs: tuple[ExecutionRecord, ...] = ()

    @property
    def rdm(self) -> Rdm:
        return self.facts.rdm

    @property
    def ran(self) -> ExecutionRecord | None:
        """The run a committee meeting reviews: this version's, else an earlier
        version's (what ran is reviewed whatever version the file holds now)."""
        for record in (self.record, self.earlier):
            if record is not None and record.outcome not in (Outcome.REFUSED, Outcome.HELD):
                return record
        return None


def submission(
    facts: Facts, policy: calendar.CalendarPolicy | None, window: calendar.Occurrence | None
) -> Submission | None:
    """When the RDM was submitted, and whether in time for the meeting of its window."""
    pull = facts.pull
    if pull is not None:
        if pull.draft:
            return None
        at, source = (
            (pull.ready_at, "ready-for-review")
            if pull.ready_at is not None
            else (pull.created_at, "pr-opened")
        )
    elif facts.git.added_at is not None:
        at, source = facts.git.added_at, "commit"
    else:
        return None
    if policy is None or facts.rdm.type is ChangeType.EMERGENCY:
        return Submission(at, source, None, None)
    meeting = calendar.approving_meeting(policy, window) if window is not None else None
    in_time = meeting is not None and at < meeting.deadline
    can_make = (
        None
        if in_time
        else calendar.first_window_for_submission(policy, at, facts.rdm.total_duration)
    )
    return Submission(at, source, meeting, in_time, can_make)


def _decisive(records: Sequence[ExecutionRecord]) -> ExecutionRecord | None:
    for record in reversed(records):
        # A hold is not an end either: the next run asks again.
        if record.outcome not in (Outcome.REFUSED, Outcome.HELD):
            return record
    return records[-1] if records else None


def review_meeting(
    policy: calendar.CalendarPolicy | None, record: ExecutionRecord
) -> calendar.Meeting | None:
    """The first committee meeting that starts after the change ended."""
    if policy is None:
        return None
    start = record.finished_at
    upcoming = calendar.meetings(policy, start, start + 8 * calendar.WEEK)
    return next((m for m in upcoming if m.start >= start), None)


def as_of(facts: Facts, now: datetime) -> Facts:
    """The facts as they stood at `now`: what happened later is left out, so that
    `--at` replays the history (a merge, a commit, a PR or a run after `now` had
    not happened yet)."""
    git = replace(facts.git, changes=tuple(c for c in facts.git.changes if c.at <= now))
    if git.merged_at is not None and git.merged_at > now:
        git = replace(git, merge_commit=None, merged_at=None)
    if git.added_at is not None and git.added_at > now:
        git = GitFacts()
    pull = facts.pull
    if pull is not None and pull.created_at > now:
        pull = None
    elif pull is not None:
        merged = pull.merged and (pull.merged_at is None or pull.merged_at <= now)
        ready = pull.ready_at if pull.ready_at is not None and pull.ready_at <= now else None
        pull = PullFacts(
            pull.number,
            pull.open or (pull.merged and not merged),
            pull.draft or (pull.ready_at is not None and ready is None),
            merged,
            pull.created_at,
            ready,
            pull.merged_at if merged else None,
        )
    records = tuple(r for r in facts.records if r.started_at <= now)
    return Facts(facts.rdm, facts.path, git, pull, facts.verdict, records)


def by_version(
    facts: Facts, follows: due.Follows, head: str | None
) -> tuple[tuple[ExecutionRecord, ...], tuple[ExecutionRecord, ...]]:
    """The records of the RDM as `facts` have it (its last change), and those of its
    earlier versions; a record that is neither is no run of it and is left out.

    `head` is the last change of the file read: when the last change of `facts`
    is another (a replay of a time before a later change), the RDM read is not
    that version, and its window cannot tell a record of that version apart.
    """
    changes = facts.git.changes
    if not changes:
        return (), ()  # not on the line: nothing of it has run
    version, first = changes[0].commit, changes[-1].commit
    current: list[ExecutionRecord] = []
    earlier: list[ExecutionRecord] = []
    for record in facts.records:
        if record.rdm_id != facts.rdm.id:
            continue
        at_version = due.made_at(record, version, follows)
        if version == head:
            ours = due.of_version(record, facts.rdm, version, follows)
        else:
            ours = at_version
        if ours:
            current.append(record)
        elif not at_version and due.made_at(record, first, follows):
            earlier.append(record)
    return tuple(current), tuple(earlier)


def derive(
    facts: Facts,
    policy: calendar.CalendarPolicy | None,
    priority: str | None,
    now: datetime,
    follows: due.Follows,
) -> Status:
    """The state of one RDM at `now` (see the module doc for the rules); `follows`
    answers for HEAD's first-parent line (`due.follows_along`)."""
    head = facts.git.changes[0].commit if facts.git.changes else None
    facts = as_of(facts, now)
    current, earlier = by_version(facts, follows, head)
    version = facts.git.changes[0].commit if facts.git.changes else None
    rdm = facts.rdm
    window = (
        calendar.window_for_date(policy, rdm.window)
        if policy is not None and rdm.window is not None
        else None
    )
    sub = submission(facts, policy, window)
    record = _decisive(current)
    counted = {id(r) for r in (*current, *earlier)}
    runs = tuple(r for r in facts.records if id(r) in counted)
    pull = facts.pull

    def status(state: State, meeting: calendar.Meeting | None = None) -> Status:
        return Status(
            facts, state, priority, window, sub, record, meeting, version, _decisive(earlier), runs
        )

    if record is not None:
        if record.outcome in _DONE:
            meeting = review_meeting(policy, record)
            done = State.EXECUTED if record.outcome is Outcome.EXECUTED else State.ROLLED_BACK
            reviewed = meeting is not None and meeting.end <= now
            return status(State.REVIEWED if reviewed else done, meeting)
        if record.outcome is Outcome.HELD:
            over = window is not None and window.end <= now
            return status(State.MISSED if over else State.HELD)
        return status(State.FAILED if record.outcome is Outcome.FAILED else State.REFUSED)
    merged = (pull is not None and pull.merged) or facts.git.merge_commit is not None
    if merged:
        over = window is not None and window.end <= now
        return status(State.MISSED if over else State.SCHEDULED)
    if pull is not None:
        if not pull.open:
            return status(State.WITHDRAWN)
        if pull.draft:
            return status(State.DRAFT)
        verdict = facts.verdict.verdict if facts.verdict is not None else None
        if verdict is approvals.Outcome.APPROVED:
            return status(State.APPROVED)
        if verdict is approvals.Outcome.REJECTED:
            return status(State.REJECTED)
        return status(State.SUBMITTED)
    if facts.git.committed:
        return status(State.SUBMITTED)
    return status(State.DRAFT)


def in_window(policy: calendar.CalendarPolicy, status: Status, asked: calendar.Occurrence) -> bool:
    """Does the RDM run in `asked`? A moved window matches by either of its dates."""
    return status.window is not None and status.window.start == asked.start


def window_refusal(
    policy: calendar.CalendarPolicy,
    submitted: datetime,
    day: date,
    needed: timedelta,
    timing_only: bool = False,
) -> str | None:
    """Why an RDM submitted at `submitted` cannot take the window of `day`, or None.

    The window has started (or is over), or its meeting's deadline has passed: the
    RDM would be late, which `rdm validate` cannot see (it reads no clock). Unless
    `timing_only`, also what `rdm validate` would say of the window itself: not a
    window of the calendar, entirely frozen, or no unfrozen part holds
    implementation + rollback (`needed`). The message names the first window the
    RDM can still make.
    """
    occurrence = calendar.window_for_date(policy, day)
    if occurrence is None:
        if timing_only:
            return None
        return _("{day} is not a change window (see `rdm calendar`)").format(day=day)
    first = calendar.first_window_for_submission(policy, submitted, needed)
    first_day = policy.local(first.start).date().isoformat() if first is not None else "—"
    if occurrence.start <= submitted:
        return _(
            "the window of {day} has already started; the first window it can make is {first}"
        ).format(day=day, first=first_day)
    if not timing_only:
        pieces = calendar.open_periods(occurrence, policy.freezes)
        if not pieces:
            reasons = [
                f.reason
                for f in policy.freezes
                if f.start < occurrence.end and occurrence.start < f.end
            ]
            return _("the window of {day} is entirely frozen ({reason})").format(
                day=day, reason="; ".join(reasons)
            )
        if max(calendar.duration(p) for p in pieces) < needed:
            return _(
                "no unfrozen part of the window of {day} holds {needed} "
                "(implementation + rollback)"
            ).format(day=day, needed=format_duration(needed))
    if not calendar.deadline_met(policy, submitted, occurrence):
        meeting = calendar.approving_meeting(policy, occurrence)
        if meeting is None:
            return _(
                "no committee meeting approves the window of {day}; the first window it can "
                "make is {first}"
            ).format(day=day, first=first_day)
        return _(
            "too late for the window of {day}: the deadline of the meeting of {meeting} was "
            "{deadline}; the first window it can make is {first}"
        ).format(
            day=day,
            meeting=policy.local(meeting.start).date().isoformat(),
            deadline=calendar.format_instant(meeting.deadline),
            first=first_day,
        )
    return None
