"""How `rdm list` prints RDMs and their lifecycle: text for people, JSON for tools.

Also the small pieces the agenda and the report share: a state's label, the
sentence about a submission, durations and instants as people read them.
Text is in the active language (`rdm.i18n`); JSON keeps identifiers in English.
Never prints: returns strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rdm.decisions import calendar
from rdm.decisions.lifecycle import LABELS, State, Status, Submission
from rdm.i18n import N_, _
from rdm.model.problems import one_line
from rdm.model.rdms import format_duration
from rdm.model.records import ExecutionRecord
from rdm.reports import jsontext
from rdm.reports.printable import printable

SOURCES = {
    "ready-for-review": N_("marked ready for review"),
    "pr-opened": N_("PR opened"),
    "commit": N_("commit that added it"),
}
VERDICTS = {"approved": N_("approved"), "pending": N_("pending"), "rejected": N_("rejected")}


def state_label(state: State) -> str:
    return _(LABELS[state])


def outcome_label(outcome: object) -> str:
    """An execution record's outcome as people read it (the state it leads to)."""
    return state_label(_record_state(outcome))


def instant(value: datetime, policy: calendar.CalendarPolicy | None = None) -> str:
    return calendar.format_instant(policy.local(value) if policy is not None else value)


def signed(delta: timedelta) -> str:
    """`+10m`, `-5m`, `0m`: a difference against an estimate."""
    sign = "-" if delta < timedelta(0) else "+"
    text = format_duration(abs(delta))
    return "0m" if text == "0m" else f"{sign}{text}"


def window_day(occurrence: calendar.Occurrence | None, policy: calendar.CalendarPolicy) -> str:
    if occurrence is None:
        return "—"
    return policy.local(occurrence.start).date().isoformat()


def submission_text(sub: Submission, policy: calendar.CalendarPolicy | None) -> str:
    at = instant(sub.at, policy)
    source = _(SOURCES.get(sub.source, sub.source))
    if sub.in_time is None or policy is None:
        return _("submitted {at} ({source})").format(at=at, source=source)
    can_make = (
        _("can now make the window of {day}").format(day=window_day(sub.can_make, policy))
        if sub.can_make is not None
        else _("no window ahead can take it")
    )
    if sub.meeting is None:
        return _(
            "submitted {at} ({source}); its window has no meeting to approve it; {can_make}"
        ).format(at=at, source=source, can_make=can_make)
    meeting = policy.local(sub.meeting.start).date().isoformat()
    if sub.in_time:
        return _("submitted {at} ({source}); in time for the meeting of {meeting}").format(
            at=at, source=source, meeting=meeting
        )
    return _(
        "submitted {at} ({source}); late for the meeting of {meeting} (deadline {deadline}); "
        "{can_make}"
    ).format(
        at=at,
        source=source,
        meeting=meeting,
        deadline=instant(sub.meeting.deadline, policy),
        can_make=can_make,
    )


def _record_json(record: ExecutionRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "outcome": str(record.outcome),
        "startedAt": record.started_at.isoformat(),
        "finishedAt": record.finished_at.isoformat(),
        "mergeCommit": record.merge_commit,
    }


def status_json(status: Status, policy: calendar.CalendarPolicy | None) -> dict[str, Any]:
    rdm, sub = status.rdm, status.submission
    verdict = status.facts.verdict
    return {
        "id": rdm.id,
        "title": rdm.title,
        "type": str(rdm.type),
        "state": str(status.state),
        "priority": status.priority,
        "window": rdm.window.isoformat() if rdm.window is not None else None,
        "windowStart": status.window.start.isoformat() if status.window is not None else None,
        "windowEnd": status.window.end.isoformat() if status.window is not None else None,
        "targets": list(rdm.targets),
        "path": status.facts.path,
        "pr": status.facts.pr_number,
        "submittedAt": sub.at.isoformat() if sub is not None else None,
        "submissionSource": sub.source if sub is not None else None,
        "meeting": (
            sub.meeting.start.isoformat() if sub is not None and sub.meeting is not None else None
        ),
        "inTime": sub.in_time if sub is not None else None,
        "canMake": (
            sub.can_make.start.isoformat() if sub is not None and sub.can_make is not None else None
        ),
        "verdict": str(verdict.verdict) if verdict is not None else None,
        "version": status.version,
        "record": _record_json(status.record),
        "earlierRecord": _record_json(status.earlier),
        "reviewMeeting": (
            status.review_meeting.start.isoformat() if status.review_meeting is not None else None
        ),
    }


def list_json(
    statuses: Sequence[Status], policy: calendar.CalendarPolicy | None, notes: Sequence[str]
) -> str:
    body = {"rdms": [status_json(s, policy) for s in statuses], "notes": list(notes)}
    return jsontext.dumps(body, indent=2)


def list_text(
    statuses: Sequence[Status],
    policy: calendar.CalendarPolicy | None,
    with_verdict: bool,
) -> str:
    header = [_("RDM"), _("state"), _("priority"), _("window"), _("targets")]
    if with_verdict:
        header.append(_("verdict"))
    rows: list[list[str]] = []
    details: list[list[str]] = []
    for status in statuses:
        rdm = status.rdm
        row = [
            rdm.id,
            state_label(status.state),
            status.priority or "—",
            rdm.window.isoformat() if rdm.window is not None else _("emergency"),
            ", ".join(rdm.targets),
        ]
        if with_verdict:
            verdict = status.facts.verdict
            row.append(_(VERDICTS[str(verdict.verdict)]) if verdict is not None else "—")
        rows.append([printable(one_line(cell)) for cell in row])
        details.append(_details(status, policy))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header)]
    for row, extra in zip(rows, details, strict=True):
        out.append(line(row))
        out += [f"    {printable(one_line(text))}" for text in extra]
    count = len(statuses)
    out.append(_("{n} RDM(s)").format(n=count))
    return "\n".join(out)


def _details(status: Status, policy: calendar.CalendarPolicy | None) -> list[str]:
    found: list[str] = []
    if status.submission is not None:
        found.append(submission_text(status.submission, policy))
    record = status.record
    if record is not None:
        found.append(
            _("{outcome} from {start} to {end} (estimate {estimate}, took {took})").format(
                outcome=outcome_label(record.outcome),
                start=instant(record.started_at, policy),
                end=instant(record.finished_at, policy),
                estimate=format_duration(record.estimated_duration),
                took=format_duration(calendar.elapsed(record.started_at, record.finished_at)),
            )
        )
    earlier = status.earlier
    if record is None and earlier is not None:
        # The commits are in the JSON (version, earlierRecord) and in `rdm history`.
        found.append(
            _(
                "an earlier version was {outcome} from {start} to {end}; this version has not "
                "run yet"
            ).format(
                outcome=outcome_label(earlier.outcome),
                start=instant(earlier.started_at, policy),
                end=instant(earlier.finished_at, policy),
            )
        )
    if status.state is State.REVIEWED and status.review_meeting is not None and policy:
        found.append(
            _("reviewed at the meeting of {day}").format(
                day=policy.local(status.review_meeting.start).date().isoformat()
            )
        )
    if status.state is State.MISSED:
        found.append(_("its window is over and no execution record was found"))
    return found


def _record_state(outcome: object) -> State:
    return {
        "executed": State.EXECUTED,
        "rolled-back": State.ROLLED_BACK,
        "failed": State.FAILED,
        "refused": State.REFUSED,
        "held": State.HELD,
    }[str(outcome)]
