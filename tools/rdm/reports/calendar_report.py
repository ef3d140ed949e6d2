"""How calendar decisions and schedules are printed: text, JSON and iCalendar.

Kept apart from `calendar` so that the rules never depend on a format, and apart
from the commands so that they stay thin. Every function returns text; none
prints, reads the clock or touches files (the iCalendar stamp is passed in).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import icalendar

from rdm.decisions.calendar import (
    Entry,
    Kind,
    Occurrence,
    Schedule,
    Status,
    WindowDecision,
    format_instant,
    open_periods,
)
from rdm.model.problems import visible
from rdm.reports import jsontext

# The RDMs of each window (by its scheduled date): (id, priority) pairs.
WindowRdms = Mapping[date, Sequence[tuple[str, str | None]]]

SCHEDULE_FORMATS = ("text", "json", "ics")
PRODID = "-//rdm//change calendar//PT-BR"


# ---------------------------------------------------------------- rdm window


def _period(occurrence: Occurrence | None) -> dict[str, str] | None:
    if occurrence is None:
        return None
    return {"start": occurrence.start.isoformat(), "end": occurrence.end.isoformat()}


def decision_json(decision: WindowDecision) -> str:
    """Exactly the keys the README promises: at, open, reason, current, next."""
    value = {
        "at": decision.at.isoformat(),
        "open": decision.open,
        "reason": decision.reason,
        "current": _period(decision.current),
        "next": _period(decision.next),
    }
    return jsontext.dumps(value)


def decision_text(decision: WindowDecision) -> str:
    return f"{format_instant(decision.at)}: {decision.reason}"


DECISION_FORMATS: dict[str, Callable[[WindowDecision], str]] = {
    "text": decision_text,
    "json": decision_json,
}


# ---------------------------------------------------------------- rdm calendar


def _rdms(entry: Entry, rdms: WindowRdms) -> Sequence[tuple[str, str | None]]:
    if entry.kind is not Kind.WINDOW or entry.status not in (Status.SCHEDULED, Status.MOVED):
        return ()
    return rdms.get(entry.scheduled, ())


def _notes(entry: Entry, rdms: WindowRdms | None = None) -> list[str]:
    notes: list[str] = []
    if (
        entry.kind is Kind.COMMITTEE
        and entry.deadline is not None
        and entry.status
        in (
            Status.SCHEDULED,
            Status.MOVED,
        )
    ):
        notes.append(f"deadline {format_instant(entry.deadline)} (RDMs strictly before it)")
    if entry.status is Status.MOVED:
        notes.append(f"moved from {entry.scheduled}: {entry.reason}")
    elif entry.status is Status.CANCELLED:
        notes.append(f"cancelled: {entry.reason}")
    elif entry.status is Status.SKIPPED:
        notes.append("skipped: holiday (onHoliday: skip)")
    if entry.holiday is not None:
        notes.append(f"holiday: {entry.holiday}")
    for freeze in entry.freezes:
        extent = "frozen" if entry.fully_frozen else "partly frozen"
        notes.append(f"{extent}: {freeze.reason}")
    listed = _rdms(entry, rdms or {})
    if listed:
        notes.append("RDMs: " + ", ".join(f"{i} ({p})" if p else i for i, p in listed))
    return notes


def schedule_text(schedule: Schedule, rdms: WindowRdms | None = None) -> str:
    lines = [
        f"Calendar {schedule.zone.key}, {schedule.first} to {schedule.last}",
    ]
    for entry in schedule.entries:
        when = (
            f"{entry.start:%Y-%m-%d %a %H:%M}-{entry.end:%H:%M} "
            f"{format_instant(entry.start).rsplit(' ', 1)[1]}"
        )
        if entry.end.date() != entry.start.date():
            when = f"{format_instant(entry.start)} to {format_instant(entry.end)}"
        # The notes name the status (moved from, cancelled, skipped); no tag needed.
        notes = "; ".join(_notes(entry, rdms))
        lines.append(f"{when}  {entry.kind}" + (f"  {notes}" if notes else ""))
    for freeze in schedule.freezes:
        lines.append(
            f"freeze {format_instant(freeze.start.astimezone(schedule.zone))} to "
            f"{format_instant(freeze.end.astimezone(schedule.zone))}: {freeze.reason}"
        )
    lines.extend(f"holiday {day:%Y-%m-%d %a}: {name}" for day, name in schedule.holidays)
    lines.extend(f"warning: {warning}" for warning in schedule.warnings)
    return "\n".join(lines)


def _entry_json(entry: Entry, rdms: WindowRdms) -> dict[str, Any]:
    found: dict[str, Any] = {
        "kind": str(entry.kind),
        "status": str(entry.status),
        "scheduled": entry.scheduled.isoformat(),
        "start": entry.start.isoformat(),
        "end": entry.end.isoformat(),
        "deadline": entry.deadline.isoformat() if entry.deadline is not None else None,
        "holiday": entry.holiday,
        "reason": entry.reason,
        "frozen": "fully" if entry.fully_frozen else ("partly" if entry.freezes else None),
        "freezes": [freeze.reason for freeze in entry.freezes],
    }
    if entry.kind is Kind.WINDOW:
        found["rdms"] = [{"id": i, "priority": p} for i, p in _rdms(entry, rdms)]
    return found


def schedule_json(schedule: Schedule, rdms: WindowRdms | None = None) -> str:
    value = {
        "timezone": schedule.zone.key,
        "from": schedule.first.isoformat(),
        "to": schedule.last.isoformat(),
        "entries": [_entry_json(entry, rdms or {}) for entry in schedule.entries],
        "freezes": [
            {
                "start": f.start.astimezone(schedule.zone).isoformat(),
                "end": f.end.astimezone(schedule.zone).isoformat(),
                "reason": f.reason,
            }
            for f in schedule.freezes
        ],
        "holidays": [{"date": day.isoformat(), "name": name} for day, name in schedule.holidays],
        "warnings": list(schedule.warnings),
    }
    return jsontext.dumps(value, indent=2)


_SUMMARY = {
    Kind.WINDOW: "Janela de mudanças / Change window",
    Kind.COMMITTEE: "Comitê de mudanças (CM) / Change committee",
}


def _ics_time(instant: datetime) -> datetime:
    """The instant as the event writes it: local time with the zone's TZID, unless
    that local time does not name this instant alone.

    A calendar reads a local time that happens twice as its first occurrence and
    one inside a DST gap as it pleases; such an instant is written in UTC, so
    that the event starts and lasts what rdm decided.
    """
    wall = instant.replace(tzinfo=None)
    first = wall.replace(tzinfo=instant.tzinfo, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=instant.tzinfo, fold=1).astimezone(UTC)
    if first == second == instant.astimezone(UTC):
        return instant
    return instant.astimezone(UTC)


def _ics_text(text: str) -> str:
    """A value as iCalendar TEXT can hold it: line breaks as the one it has (`\\n`,
    which icalendar escapes), and every other control shown as an escape (RFC 5545
    TSAFE-CHAR has no control character), as rdm shows it everywhere."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n"))


def schedule_ics(schedule: Schedule, stamp: datetime, rdms: WindowRdms | None = None) -> str:
    """An RFC 5545 calendar: one event per window and per meeting that takes
    place (cancelled and holiday-skipped ones are left out), times in the
    policy's zone with its VTIMEZONE, so Outlook and Google import it as is.

    A window partly inside a freeze becomes one event per open part (the time
    changes may really run); a window entirely frozen is left out."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "RDM: janelas e comitê / windows and committee")
    cal.add("x-wr-timezone", schedule.zone.key)
    for entry in schedule.entries:
        if entry.status not in (Status.SCHEDULED, Status.MOVED):
            continue
        pieces: list[tuple[datetime, datetime]] = [(entry.start, entry.end)]
        if entry.kind is Kind.WINDOW and entry.freezes:
            if entry.fully_frozen:
                continue
            whole = Occurrence(entry.start, entry.end, entry.scheduled)
            pieces = [(p.start, p.end) for p in open_periods(whole, entry.freezes)]
        for index, (start, end) in enumerate(pieces):
            event = icalendar.Event()
            part = f"-{index + 1}" if len(pieces) > 1 or entry.freezes else ""
            event.add("uid", f"rdm-{entry.kind}-{entry.scheduled.isoformat()}{part}@rdm")
            event.add("dtstamp", stamp)
            event.add("dtstart", _ics_time(start))
            event.add("dtend", _ics_time(end))
            summary = _SUMMARY[entry.kind]
            if entry.status is Status.MOVED:
                summary += " (remanejada / moved)"
            if entry.freezes:
                summary += " (fora do congelamento / outside the freeze)"
            event.add("summary", _ics_text(summary))
            notes = _notes(entry, rdms)
            if notes:
                event.add("description", "\n".join(_ics_text(note) for note in notes))
            event.add("categories", [str(entry.kind)])
            event.add("transp", "OPAQUE")
            cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return _refold(data.decode("utf-8"))


# Where a line starts for some reader of the output (a CI log cuts at \r and \n,
# others at \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029 as well), then a CI
# runner's workflow command (`::error …`) after any whitespace.
_COMMAND_AT_LINE_START = re.compile(
    "(?:^|(?<=[\v\f\x1c\x1d\x1e\x85\u2028\u2029]))\\s*(::)"
)
# The runner's legacy form (`##[add-mask]…`) is a command anywhere in a line.
_LEGACY_COMMAND = re.compile(r"##(?=\[)")


def _refold(text: str) -> str:
    """Fold again where a line of the calendar would start a workflow command.

    iCalendar folds long lines with CRLF + one space, so a holiday name or a
    reason can land `::error::…` at the start of a physical line (or right after
    a U+2028 in a value), and any value can hold the legacy `##[…]`, which the
    runner reads anywhere in a line. Folding once more after the first `:` of
    the one, and between `##` and `[` of the other, keeps the unfolded value
    byte for byte, and no line of the output is a command for any reader.
    """
    out: list[str] = []
    for line in text.split("\r\n"):
        cuts = {match.start(1) + 1 for match in _COMMAND_AT_LINE_START.finditer(line)}
        cuts |= {match.end() for match in _LEGACY_COMMAND.finditer(line)}
        for cut in sorted(cuts, reverse=True):
            line = f"{line[:cut]}\r\n {line[cut:]}"
        out.append(line)
    return "\r\n".join(out)
