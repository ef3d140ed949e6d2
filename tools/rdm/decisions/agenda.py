"""The agenda of a change-committee (CM) meeting, from the RDMs' lifecycles.

What the meeting takes up:

- **in time**: normal RDMs before the committee's decision (submitted, approved
  or rejected, not drafts) that were submitted strictly before this meeting's
  deadline and whose window this meeting approves;
- **late**: normal RDMs for this meeting's windows submitted at or after the
  deadline, and undecided ones whose own meeting has already passed, each with
  the first window it can still make;
- **ratification**: emergencies executed (or attempted) since the previous
  meeting, which the CM ratifies after the CME's decision;
- **review**: the results of the other changes run since the previous meeting
  (the post-implementation review; see `rdm report`).

A run is reviewed (or ratified) even when a later merge has changed the RDM
since: the state is the new version's, the run is the earlier one's
(`Status.ran`).

Conflicts and capacity of a window are the job of `rdm.decisions.conflicts`
(issue 12). Until it exists, `Agenda.windows` holds the windows without a
verdict on them and the agenda says it was not computed: see `WindowCheck`.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from rdm.decisions import calendar
from rdm.decisions.lifecycle import PENDING, Status
from rdm.model.rdms import ChangeType


@dataclass(frozen=True)
class WindowCheck:
    """Conflicts and capacity of one window, as `rdm.decisions.conflicts` will report them."""

    findings: tuple[str, ...]


# SEAM (issue 12): `rdm.decisions.conflicts` will say, for the RDMs of one window,
# which change the same workload and whether each topology's implementation +
# rollback time fits the window. The agenda takes it as this function; None
# (today) means "not computed", and the agenda says so rather than guess.
WindowChecker = Callable[[calendar.Occurrence, Sequence[Status]], WindowCheck]


@dataclass(frozen=True)
class WindowEntry:
    window: calendar.Occurrence
    rdms: tuple[str, ...]
    check: WindowCheck | None  # None: not computed (see the seam above)


@dataclass(frozen=True)
class Agenda:
    meeting: calendar.Meeting
    previous: calendar.Meeting | None
    in_time: tuple[Status, ...]
    late: tuple[Status, ...]
    ratification: tuple[Status, ...]
    review: tuple[Status, ...]
    windows: tuple[WindowEntry, ...] = field(default=())


def meeting_on(policy: calendar.CalendarPolicy, day: date) -> calendar.Meeting | None:
    """The meeting held on `day`, or the one scheduled for `day` and moved elsewhere."""
    start = policy.wall(day, time()) - calendar.WEEK
    found = list(calendar.meetings(policy, start, start + 3 * calendar.WEEK))
    held = [m for m in found if policy.local(m.start).date() == day]
    moved = [m for m in found if m.scheduled == day]
    return (held or moved)[0] if held or moved else None


def next_meeting(policy: calendar.CalendarPolicy, now: datetime) -> calendar.Meeting | None:
    """The meeting running at `now`, or the next one."""
    return next(calendar.meetings(policy, now, now + 9 * calendar.WEEK), None)


def previous_meeting(
    policy: calendar.CalendarPolicy, meeting: calendar.Meeting
) -> calendar.Meeting | None:
    earlier = [
        m
        for m in calendar.meetings(policy, meeting.start - 8 * calendar.WEEK, meeting.start)
        if m.end <= meeting.start
    ]
    return earlier[-1] if earlier else None


def _sort_key(status: Status) -> tuple[str, str]:
    return (status.priority or "P9", status.rdm.id)


def build(
    statuses: Iterable[Status],
    policy: calendar.CalendarPolicy,
    meeting: calendar.Meeting,
    checker: WindowChecker | None = None,
) -> Agenda:
    previous = previous_meeting(policy, meeting)
    since = previous.end if previous is not None else meeting.start - calendar.WEEK
    in_time: list[Status] = []
    late: list[Status] = []
    ratification: list[Status] = []
    review: list[Status] = []
    for status in statuses:
        rdm, sub, record = status.rdm, status.submission, status.ran
        if rdm.type is ChangeType.NORMAL and status.state in PENDING and sub is not None:
            ours = sub.meeting is not None and sub.meeting.start == meeting.start
            missed = sub.meeting is None or sub.meeting.start < meeting.start
            if ours and sub.in_time:
                in_time.append(status)
            elif (ours or missed) and sub.at < meeting.start:
                late.append(status)
        if record is None:
            continue
        if since <= record.started_at < meeting.start:
            (ratification if rdm.type is ChangeType.EMERGENCY else review).append(status)
    windows: dict[datetime, tuple[calendar.Occurrence, list[Status]]] = {}
    for status in in_time:
        if status.window is not None:
            windows.setdefault(status.window.start, (status.window, []))[1].append(status)
    entries = tuple(
        WindowEntry(
            occurrence,
            tuple(s.rdm.id for s in sorted(group, key=_sort_key)),
            None if checker is None else checker(occurrence, group),
        )
        for _, (occurrence, group) in sorted(windows.items())
    )

    def started(status: Status) -> datetime:
        assert status.ran is not None  # only statuses with a run are listed there
        return status.ran.started_at

    return Agenda(
        meeting,
        previous,
        tuple(sorted(in_time, key=_sort_key)),
        tuple(sorted(late, key=_sort_key)),
        tuple(sorted(ratification, key=started)),
        tuple(sorted(review, key=started)),
        entries,
    )
