"""How calendar decisions and schedules are printed: text, JSON and iCalendar.

Kept apart from `calendar` so that the rules never depend on a format, and apart
from the commands so that they stay thin. Every function returns text; none
prints, reads the clock or touches files (the iCalendar stamp is passed in).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
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
)

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
    return json.dumps(value, ensure_ascii=False)


def decision_text(decision: WindowDecision) -> str:
    return f"{format_instant(decision.at)}: {decision.reason}"


DECISION_FORMATS: dict[str, Callable[[WindowDecision], str]] = {
    "text": decision_text,
    "json": decision_json,
}


# ---------------------------------------------------------------- rdm calendar


def _notes(entry: Entry) -> list[str]:
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
    return notes


def schedule_text(schedule: Schedule) -> str:
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
        notes = "; ".join(_notes(entry))
        lines.append(f"{when}  {entry.kind}" + (f"  {notes}" if notes else ""))
    for freeze in schedule.freezes:
        lines.append(
            f"freeze {format_instant(freeze.start.astimezone(schedule.zone))} to "
            f"{format_instant(freeze.end.astimezone(schedule.zone))}: {freeze.reason}"
        )
    lines.extend(f"holiday {day:%Y-%m-%d %a}: {name}" for day, name in schedule.holidays)
    lines.extend(f"warning: {warning}" for warning in schedule.warnings)
    return "\n".join(lines)


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
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


def schedule_json(schedule: Schedule) -> str:
    value = {
        "timezone": schedule.zone.key,
        "from": schedule.first.isoformat(),
        "to": schedule.last.isoformat(),
        "entries": [_entry_json(entry) for entry in schedule.entries],
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
    return json.dumps(value, ensure_ascii=False, indent=2)


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


def schedule_ics(schedule: Schedule, stamp: datetime) -> bytes:
    """An RFC 5545 calendar: one event per window and per meeting that takes
    place (cancelled and holiday-skipped ones are left out), times in the
    policy's zone with its VTIMEZONE, so Outlook and Google import it as is."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "RDM: janelas e comitê / windows and committee")
    cal.add("x-wr-timezone", schedule.zone.key)
    for entry in schedule.entries:
        if entry.status not in (Status.SCHEDULED, Status.MOVED):
            continue
        event = icalendar.Event()
        event.add("uid", f"rdm-{entry.kind}-{entry.scheduled.isoformat()}@rdm")
        event.add("dtstamp", stamp)
        event.add("dtstart", _ics_time(entry.start))
        event.add("dtend", _ics_time(entry.end))
        summary = _SUMMARY[entry.kind]
        if entry.status is Status.MOVED:
            summary += " (remanejada / moved)"
        if entry.fully_frozen:
            summary += " (congelada / frozen)"
        event.add("summary", summary)
        notes = _notes(entry)
        if notes:
            event.add("description", "\n".join(notes))
        event.add("categories", [str(entry.kind)])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
