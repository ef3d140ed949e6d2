"""The calendar core against an independent oracle, and its documented edges.

The oracle does not share code with `rdm.decisions.calendar`: it walks every minute of a
year in UTC, reads the local wall clock, and applies the rules of the raw policy
mapping directly (a window opens the first minute its day's wall clock reads
`start` or later and closes the first minute it reads `end` or later; moves and
freezes are compared as instants). The open runs it sees are the periods the
module must report as `current` and `next`.
"""

from __future__ import annotations

import copy
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
import yaml

from rdm.decisions import calendar as cal
from rdm.model import schemas
from rdm.model.documents import parse

ROOT = Path(__file__).resolve().parents[1]
SP = ZoneInfo("America/Sao_Paulo")
NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def freeze(start: str, end: str, reason: str) -> dict[str, str]:
    return {"start": start, "end": end, "reason": reason}


def base_policy(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "timezone": "America/Sao_Paulo",
        "window": {"weekday": "thursday", "start": "00:00", "end": "06:00", "onHoliday": "keep"},
        "committee": {"weekday": "tuesday", "start": "14:00", "end": "16:00", "deadline": "10:00"},
        "holidays": {"country": "BR", "subdivision": "SP", "extra": []},
        "moves": [],
        "freezes": [],
    }
    data.update(changes)
    return data


# A year with every kind of exception: holidays skipped (2026-01-01 and
# 2026-07-09 are Thursdays, 2026-06-04 an extra one), a cancellation, a moved
# window across midnight, a skipped holiday window brought back by a move, and
# freezes that cover a window fully, split one, clip a start and clip a moved one.
RICH_2026 = base_policy(
    window={"weekday": "thursday", "start": "00:00", "end": "06:00", "onHoliday": "skip"},
    holidays={"country": "BR", "subdivision": "SP", "extra": ["2026-06-04"]},
    moves=[
        {"kind": "window", "date": "2026-03-05", "to": None, "reason": "cancelada"},
        {
            "kind": "window",
            "date": "2026-12-24",
            "to": {"start": "2026-12-22T22:00:00-03:00", "end": "2026-12-23T04:00:00-03:00"},
            "reason": "véspera de Natal",
        },
        {
            "kind": "window",
            "date": "2026-07-09",
            "to": {"start": "2026-07-10T03:00:00Z", "end": "2026-07-10T09:00:00Z"},
            "reason": "feriado de 9 de julho; janela na sexta",
        },
        {
            "kind": "committee",
            "date": "2026-04-21",
            "to": {"start": "2026-04-20T14:00:00-03:00", "end": "2026-04-20T16:00:00-03:00"},
            "reason": "Tiradentes",
        },
    ],
    freezes=[
        freeze("2026-12-28T00:00:00-03:00", "2027-01-08T00:00:00-03:00", "fim de ano"),
        freeze("2026-05-14T02:00:00-03:00", "2026-05-14T03:30:00-03:00", "corte"),
        freeze("2026-08-12T20:00:00-03:00", "2026-08-13T01:00:00-03:00", "início"),
        freeze("2026-12-23T02:00:00-03:00", "2026-12-23T03:00:00-03:00", "movida"),
        freeze("2026-10-01T06:00:00-03:00", "2026-10-01T09:00:00-03:00", "encostada"),
    ],
)

# Brazil still had DST in 2018: it ended 2018-02-18 00:00 (back to Saturday
# 23:00) and started 2018-11-04 00:00 (jump to 01:00), so a Sunday 00:00 window
# opens at the jump that day.
SP_2018 = base_policy(
    window={"weekday": "sunday", "start": "00:00", "end": "06:00", "onHoliday": "keep"},
    committee={"weekday": "friday", "start": "14:00", "end": "16:00", "deadline": "10:00"},
    moves=[{"kind": "window", "date": "2018-11-11", "to": None, "reason": "cancelada"}],
    freezes=[freeze("2018-11-04T02:00:00-02:00", "2018-11-04T03:00:00-02:00", "x")],
)

# New York today: 2026-03-08 02:00 does not exist, 2026-11-01 01:00-01:59 happens
# twice. A 01:30-02:30 Sunday window ends at the jump in March (30 minutes) and
# runs 01:30 EDT to 02:30 EST in November (2 hours), the repeated hour included.
NY_2026 = base_policy(
    timezone="America/New_York",
    window={"weekday": "sunday", "start": "01:30", "end": "02:30", "onHoliday": "skip"},
    committee={"weekday": "friday", "start": "14:00", "end": "16:00", "deadline": "10:00"},
    holidays={"country": "US", "subdivision": "NY", "extra": []},
)


# ---------------------------------------------------------------- the oracle


class Oracle:
    """Minute-by-minute truth from the raw policy mapping (see module docstring)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.zone = ZoneInfo(data["timezone"])
        w = data["window"]
        self.weekday = WEEKDAYS.index(w["weekday"])
        self.start = time.fromisoformat(w["start"])
        self.end = time.fromisoformat(w["end"])
        self.skip = w["onHoliday"] == "skip"
        h = data["holidays"]
        self.holidays = holidays.country_holidays(h["country"], subdiv=h.get("subdivision"))
        self.extra = {date.fromisoformat(d) for d in h.get("extra", [])}
        moves = [m for m in data["moves"] if m["kind"] == "window"]
        self.replaced = {date.fromisoformat(m["date"]) for m in moves}
        self.moved = [
            (datetime.fromisoformat(m["to"]["start"]), datetime.fromisoformat(m["to"]["end"]))
            for m in moves
            if m["to"] is not None
        ]
        self.freezes = [
            (datetime.fromisoformat(f["start"]), datetime.fromisoformat(f["end"]))
            for f in data["freezes"]
        ]
        self._day_cache: dict[date, bool] = {}

    def window_day(self, d: date) -> bool:
        found = self._day_cache.get(d)
        if found is None:
            found = (
                d.weekday() == self.weekday
                and d not in self.replaced
                and not (self.skip and (d in self.holidays or d in self.extra))
            )
            self._day_cache[d] = found
        return found

    def minutes(self, first: datetime, last: datetime) -> list[bool]:
        """Open or not for every minute in [first, last)."""
        started: set[date] = set()
        ended: set[date] = set()
        result: list[bool] = []
        u = first
        zone = self.zone
        while u < last:
            wall = u.astimezone(zone).replace(tzinfo=None)
            d = wall.date()
            is_open = False
            if self.window_day(d):
                t = wall.time()
                if t >= self.start:
                    started.add(d)
                if t >= self.end:
                    ended.add(d)
                is_open = d in started and d not in ended
            if not is_open:
                is_open = any(s <= u < e for s, e in self.moved)
            if is_open and any(s <= u < e for s, e in self.freezes):
                is_open = False
            result.append(is_open)
            u += MINUTE
        return result


def runs(first: datetime, flags: list[bool]) -> list[tuple[datetime, datetime]]:
    found: list[tuple[datetime, datetime]] = []
    start: int | None = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            found.append((first + start * MINUTE, first + i * MINUTE))
            start = None
    return found


def compare_year(data: dict[str, Any], year: int) -> tuple[int, list[str]]:
    """Every minute of `year` (local), module vs oracle; returns (minutes, disagreements)."""
    oracle = Oracle(data)
    zone = oracle.zone
    first = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    last = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    # Look a little before and well after the year so that runs crossing its
    # edges, and the `next` of its last minutes, are whole.
    lead, tail = timedelta(days=8), timedelta(days=70)
    flags = oracle.minutes(first - lead, last + tail)
    periods = runs(first - lead, flags)
    policy = cal.CalendarPolicy.from_mapping(data)
    offset = int(lead / MINUTE)
    disagreements: list[str] = []
    p = 0  # index of the first run ending after the current minute
    u = first
    i = 0
    while u < last:
        while periods[p][1] <= u:
            p += 1
        run_start, run_end = periods[p]
        expected_current = (run_start, run_end) if run_start <= u else None
        expected_next = periods[p + 1] if expected_current else periods[p]
        decision = cal.window_at(policy, u)
        # In UTC: an ambiguous wall time (01:30 on the day clocks go back) never
        # compares equal to an instant in another zone (PEP 495).
        got_current = (
            (decision.current.start.astimezone(UTC), decision.current.end.astimezone(UTC))
            if decision.current
            else None
        )
        got_next = (
            (decision.next.start.astimezone(UTC), decision.next.end.astimezone(UTC))
            if decision.next
            else None
        )
        if (
            decision.open != flags[offset + i]
            or got_current != expected_current
            or got_next != expected_next
        ):
            disagreements.append(
                f"{u.astimezone(zone)}: module open={decision.open} current={got_current} "
                f"next={got_next}; oracle open={flags[offset + i]} current={expected_current} "
                f"next={expected_next}"
            )
            if len(disagreements) > 20:
                break
        if i % 1009 == 0 and not cal.window_at(policy, u, emergency=True).open:
            disagreements.append(f"{u}: an emergency was refused")
        u += MINUTE
        i += 1
    return i, disagreements


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "year"),
    [(RICH_2026, 2026), (SP_2018, 2018), (NY_2026, 2026)],
    ids=["sao-paulo-2026-moves-freezes", "sao-paulo-2018-dst", "new-york-2026-dst"],
)
def test_every_minute_of_a_year_agrees_with_the_oracle(data: dict[str, Any], year: int) -> None:
    started = clock.perf_counter()
    minutes, disagreements = compare_year(data, year)
    elapsed = clock.perf_counter() - started
    assert disagreements == [], "\n".join(disagreements)
    assert minutes >= 365 * 24 * 60
    print(f"{minutes} minutes compared in {elapsed:.1f} s")


def test_the_oracle_sees_what_the_year_policies_are_meant_to_test() -> None:
    """Guard against an oracle that agrees because it tests nothing."""
    oracle = Oracle(RICH_2026)
    first = datetime(2026, 5, 14, 0, 0, tzinfo=SP)
    flags = oracle.minutes(first, first + timedelta(hours=6))
    assert runs(first, flags) == [
        (first, first + timedelta(hours=2)),
        (first + timedelta(hours=3, minutes=30), first + timedelta(hours=6)),
    ]
    ny = Oracle(NY_2026)
    nov = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    got = runs(nov, ny.minutes(nov, nov + timedelta(hours=4)))
    assert got == [
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 7, 30, tzinfo=UTC))
    ]
    mar = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST
    got = runs(mar, ny.minutes(mar, mar + timedelta(hours=3)))
    assert got == [
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC))
    ]


# ---------------------------------------------------------------- boundaries


@pytest.fixture
def policy() -> cal.CalendarPolicy:
    return cal.CalendarPolicy.from_mapping(RICH_2026)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-12-03T00:00:00-03:00", True),
        ("2026-12-03T05:59:59-03:00", True),
        ("2026-12-03T05:59:59.999999-03:00", True),
        ("2026-12-03T06:00:00-03:00", False),
        ("2026-12-02T23:59:59-03:00", False),
        ("2026-12-02T23:59:59.999999-03:00", False),
    ],
)
def test_window_start_is_inclusive_and_end_exclusive(
    policy: cal.CalendarPolicy, instant: str, is_open: bool
) -> None:
    assert cal.window_at(policy, at(instant)).open is is_open


def test_the_same_instant_in_any_offset_gets_the_same_answer(policy: cal.CalendarPolicy) -> None:
    base = at("2026-12-03T01:00:00-03:00")
    answers = {
        (d.open, d.reason, d.current, d.next, d.at.isoformat())
        for d in (
            cal.window_at(policy, base.astimezone(ZoneInfo(zone)))
            for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata")
        )
    }
    assert len(answers) == 1
    assert answers.pop()[4] == "2026-12-03T01:00:00-03:00"


def test_a_naive_instant_is_refused(policy: cal.CalendarPolicy) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        cal.window_at(policy, datetime(2026, 12, 3, 1, 0))


def test_closed_reason_names_the_next_window_and_how_long(policy: cal.CalendarPolicy) -> None:
    decision = cal.window_at(policy, at("2026-11-30T20:00:00-03:00"))
    assert decision.reason == "closed: next window opens 2026-12-03 00:00 -03:00 (in 2 days 4 h)"
    assert decision.current is None
    assert decision.next is not None and decision.next.start == at("2026-12-03T00:00:00-03:00")


def test_open_reason_says_until_when(policy: cal.CalendarPolicy) -> None:
    decision = cal.window_at(policy, at("2026-12-03T01:30:00-03:00"))
    assert decision.reason == "open: window until 2026-12-03 06:00 -03:00 (4 h 30 min left)"


def test_emergency_is_always_open_and_says_so(policy: cal.CalendarPolicy) -> None:
    decision = cal.window_at(policy, at("2026-12-30T12:00:00-03:00"), emergency=True)
    assert decision.open
    assert decision.reason.startswith("open: emergency changes may run at any time")
    assert "freeze" in decision.reason
    assert decision.current is None


def test_a_cancelled_window_is_closed_and_says_why(policy: cal.CalendarPolicy) -> None:
    decision = cal.window_at(policy, at("2026-03-05T01:00:00-03:00"))
    assert not decision.open
    assert decision.reason.startswith("closed: the window of 2026-03-05 was cancelled (cancelada)")


def test_a_freeze_splits_a_window(policy: cal.CalendarPolicy) -> None:
    inside = cal.window_at(policy, at("2026-05-14T02:30:00-03:00"))
    assert not inside.open
    assert inside.reason.startswith("closed: freeze until 2026-05-14 03:30 -03:00 (corte)")
    assert inside.next is not None and inside.next.clipped
    assert (inside.next.start, inside.next.end) == (
        at("2026-05-14T03:30:00-03:00"),
        at("2026-05-14T06:00:00-03:00"),
    )
    before = cal.window_at(policy, at("2026-05-14T01:59:59-03:00"))
    assert before.open and before.current is not None
    assert before.current.end == at("2026-05-14T02:00:00-03:00")


def test_a_window_entirely_frozen_is_not_next(policy: cal.CalendarPolicy) -> None:
    decision = cal.window_at(policy, at("2026-12-29T00:00:00-03:00"))
    assert decision.next is not None
    assert decision.next.start == at("2027-01-14T00:00:00-03:00")


# ---------------------------------------------------------------- DST


def test_sao_paulo_2018_window_opens_at_the_dst_jump() -> None:
    policy = cal.CalendarPolicy.from_mapping(SP_2018)
    occurrence = cal.window_for_date(policy, date(2018, 11, 4))
    assert occurrence is not None
    assert occurrence.start.isoformat() == "2018-11-04T01:00:00-02:00"
    assert occurrence.end.isoformat() == "2018-11-04T06:00:00-02:00"
    assert occurrence.end - occurrence.start == timedelta(hours=5)
    before = cal.window_for_date(policy, date(2018, 10, 28))
    assert before is not None and before.start.isoformat() == "2018-10-28T00:00:00-03:00"


def test_new_york_windows_on_both_dst_sundays() -> None:
    policy = cal.CalendarPolicy.from_mapping(NY_2026)
    spring = cal.window_for_date(policy, date(2026, 3, 8))
    autumn = cal.window_for_date(policy, date(2026, 11, 1))
    assert spring is not None and autumn is not None
    assert (spring.start.isoformat(), spring.end.isoformat()) == (
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
    )
    assert (autumn.start.isoformat(), autumn.end.isoformat()) == (
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T02:30:00-05:00",
    )
    # The repeated 01:30-02:00 EST is inside the one occurrence, not a second one.
    assert cal.window_at(policy, at("2026-11-01T01:45:00-05:00")).open


def test_a_deadline_on_a_dst_day_is_local_time() -> None:
    data = copy.deepcopy(NY_2026)
    data["committee"] = {"weekday": "sunday", "start": "14:00", "end": "16:00", "deadline": "10:00"}
    data["window"]["start"], data["window"]["end"] = "20:00", "23:00"
    policy = cal.CalendarPolicy.from_mapping(data)
    day = cal.meetings(policy, at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00"))
    meeting = next(day)
    assert meeting.deadline.isoformat() == "2026-03-08T10:00:00-04:00"


@pytest.mark.parametrize(
    ("day", "wall", "zone", "instant"),
    [
        (date(2026, 3, 8), time(2, 30), NY, "2026-03-08T03:00:00-04:00"),  # skipped: the jump
        (date(2026, 11, 1), time(1, 30), NY, "2026-11-01T01:30:00-04:00"),  # twice: the first
        (date(2018, 11, 4), time(0, 0), SP, "2018-11-04T01:00:00-02:00"),
        (date(2018, 2, 17), time(23, 30), SP, "2018-02-17T23:30:00-02:00"),
    ],
)
def test_wall_instant_rules(day: date, wall: time, zone: ZoneInfo, instant: str) -> None:
    assert cal.wall_instant(day, wall, zone).isoformat() == instant


# ---------------------------------------------------------------- RDM windows, meetings, deadlines


def test_window_for_date_of_a_moved_window_accepts_both_dates(policy: cal.CalendarPolicy) -> None:
    original = cal.window_for_date(policy, date(2026, 12, 24))
    new = cal.window_for_date(policy, date(2026, 12, 22))
    assert original == new
    assert original is not None and original.moved and original.scheduled == date(2026, 12, 24)
    assert original.start == at("2026-12-22T22:00:00-03:00")


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 3, 5), "cancelled"),
        (date(2026, 1, 1), "holiday skipped"),
        (date(2026, 6, 4), "extra holiday skipped"),
        (date(2026, 12, 2), "a Wednesday"),
    ],
)
def test_window_for_date_is_none_without_an_occurrence(
    policy: cal.CalendarPolicy, day: date, why: str
) -> None:
    assert cal.window_for_date(policy, day) is None, why


def test_a_skipped_holiday_window_can_be_brought_back_by_a_move(policy: cal.CalendarPolicy) -> None:
    occurrence = cal.window_for_date(policy, date(2026, 7, 9))
    assert occurrence is not None and occurrence.start == at("2026-07-10T00:00:00-03:00")
    assert occurrence.holiday is None


def test_approving_meeting_is_the_last_meeting_before_the_window(
    policy: cal.CalendarPolicy,
) -> None:
    window = cal.window_for_date(policy, date(2026, 12, 3))
    assert window is not None
    meeting = cal.approving_meeting(policy, window)
    assert meeting is not None and meeting.start == at("2026-12-01T14:00:00-03:00")
    moved = cal.window_for_date(policy, date(2026, 12, 24))
    assert moved is not None
    meeting = cal.approving_meeting(policy, moved)
    assert meeting is not None and meeting.scheduled == date(2026, 12, 22)


def test_a_moved_meeting_carries_its_deadline(policy: cal.CalendarPolicy) -> None:
    window = cal.window_for_date(policy, date(2026, 4, 23))
    assert window is not None
    meeting = cal.approving_meeting(policy, window)
    assert meeting is not None and meeting.moved
    assert meeting.deadline == at("2026-04-20T10:00:00-03:00")
    assert cal.deadline_met(policy, at("2026-04-20T09:59:59-03:00"), window)
    assert not cal.deadline_met(policy, at("2026-04-20T10:00:00-03:00"), window)


@pytest.mark.parametrize(
    ("submitted", "met"),
    [
        ("2026-12-01T09:59:59-03:00", True),
        ("2026-12-01T09:59:59.999999-03:00", True),
        ("2026-12-01T10:00:00-03:00", False),
        ("2026-12-01T12:59:59Z", True),
        ("2026-12-01T13:00:00Z", False),
    ],
)
def test_the_deadline_is_met_strictly_before_ten(
    policy: cal.CalendarPolicy, submitted: str, met: bool
) -> None:
    window = cal.window_for_date(policy, date(2026, 12, 3))
    assert window is not None
    assert cal.deadline_met(policy, at(submitted), window) is met


def test_first_window_for_submission(policy: cal.CalendarPolicy) -> None:
    in_time = cal.first_window_for_submission(policy, at("2026-12-01T09:59:59-03:00"))
    late = cal.first_window_for_submission(policy, at("2026-12-01T10:00:00-03:00"))
    assert in_time is not None and in_time.scheduled == date(2026, 12, 3)
    assert late is not None and late.scheduled == date(2026, 12, 10)
    # After the 2026-12-22 deadline: 2026-12-31 and 2027-01-07 are frozen.
    frozen = cal.first_window_for_submission(policy, at("2026-12-22T10:00:00-03:00"))
    assert frozen is not None and frozen.scheduled == date(2027, 1, 14)


# ---------------------------------------------------------------- the schedule


def test_schedule_marks_moves_cancellations_holidays_and_freezes(
    policy: cal.CalendarPolicy,
) -> None:
    sched = cal.schedule(policy, date(2026, 12, 21), 2)
    summary = [(e.kind.value, e.status.value, e.scheduled.isoformat()) for e in sched.entries]
    assert summary == [
        ("committee", "scheduled", "2026-12-22"),
        ("window", "moved", "2026-12-24"),
        ("committee", "scheduled", "2026-12-29"),
        ("window", "scheduled", "2026-12-31"),
    ]
    moved, frozen = sched.entries[1], sched.entries[3]
    assert moved.freezes and not moved.fully_frozen
    assert frozen.fully_frozen
    assert [f.reason for f in sched.freezes] == ["movida", "fim de ano"]
    jan = cal.schedule(policy, date(2026, 1, 1), 1)
    assert [(e.status.value, e.holiday) for e in jan.entries if e.kind is cal.Kind.WINDOW] == [
        ("skipped", "Confraternização Universal")
    ]


def test_a_meeting_on_a_holiday_without_replacement_is_warned() -> None:
    policy = cal.CalendarPolicy.from_mapping(base_policy())
    warnings = cal.schedule(policy, date(2026, 4, 20), 1).warnings
    assert warnings == (
        "the committee meeting of 2026-04-21 falls on a holiday (Tiradentes) "
        "and no replacement is recorded in moves",
    )
    replaced = cal.CalendarPolicy.from_mapping(RICH_2026)
    assert cal.schedule(replaced, date(2026, 4, 20), 1).warnings == ()


def test_the_example_policy_is_valid_and_has_no_warnings_for_2026_2027() -> None:
    path = ROOT / "policy" / "calendar.yaml"
    loaded = parse("policy/calendar.yaml", path.read_bytes())
    assert loaded.document is not None, loaded.problems
    assert schemas.check(loaded.document, "calendar") == []
    assert cal.check_policy(loaded.document) == []
    policy = cal.CalendarPolicy.from_mapping(loaded.document.data)
    sched = cal.schedule(policy, date(2026, 1, 1), 105)
    assert sched.warnings == ()
    statuses = {e.status for e in sched.entries}
    assert {cal.Status.MOVED, cal.Status.CANCELLED} <= statuses
    assert any(e.fully_frozen for e in sched.entries)


# ---------------------------------------------------------------- validation


def document(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    loaded = parse("policy/calendar.yaml", text.encode())
    assert loaded.document is not None
    return loaded.document, text.splitlines()


def find(lines: list[str], needle: str, nth: int = 0) -> tuple[int, int]:
    hits = [(n + 1, line.index(needle) + 1) for n, line in enumerate(lines) if needle in line]
    return hits[nth]


def problems_of(data: dict[str, Any]) -> tuple[list[tuple[int, int, str]], list[str]]:
    doc, lines = document(data)
    assert schemas.check(doc, "calendar") == []
    return [(p.line, p.col, p.rule) for p in cal.check_policy(doc)], lines


def test_a_valid_policy_has_no_problems() -> None:
    assert problems_of(RICH_2026)[0] == []


def test_unknown_timezone() -> None:
    found, lines = problems_of(base_policy(timezone="America/Sao_Paolo"))
    assert found == [(*find(lines, "timezone"), "calendar-timezone")]


def test_window_start_not_before_end() -> None:
    data = base_policy()
    data["window"]["end"] = "00:00"
    found, lines = problems_of(data)
    assert found == [(*find(lines, "end:", 0), "calendar-start-end")]


def test_deadline_after_meeting_start() -> None:
    data = base_policy()
    data["committee"]["deadline"] = "15:00"
    found, lines = problems_of(data)
    assert found == [(*find(lines, "deadline"), "calendar-deadline")]


def test_unknown_subdivision() -> None:
    data = base_policy(holidays={"country": "BR", "subdivision": "XX", "extra": []})
    found, lines = problems_of(data)
    assert found == [(*find(lines, "subdivision"), "calendar-holidays")]


def test_freeze_ending_before_it_starts() -> None:
    data = base_policy(
        freezes=[freeze("2026-12-28T00:00:00-03:00", "2026-12-27T00:00:00-03:00", "x")]
    )
    found, lines = problems_of(data)
    assert found == [(*find(lines, "end: '2026-12-27"), "calendar-freeze-order")]


def test_move_on_a_date_that_is_not_scheduled() -> None:
    data = base_policy(moves=[{"kind": "window", "date": "2026-12-23", "to": None, "reason": "x"}])
    found, lines = problems_of(data)
    assert found == [(*find(lines, "date: '2026-12-23'"), "calendar-move-not-scheduled")]


def test_moved_window_ending_before_it_starts() -> None:
    data = base_policy(
        moves=[
            {
                "kind": "window",
                "date": "2026-12-24",
                "to": {"start": "2026-12-22T22:00:00-03:00", "end": "2026-12-22T21:00:00-03:00"},
                "reason": "x",
            }
        ]
    )
    found, lines = problems_of(data)
    assert found == [(*find(lines, "end: '2026-12-22T21"), "calendar-start-end")]


def test_overlapping_moves() -> None:
    to = {"start": "2026-12-22T22:00:00-03:00", "end": "2026-12-23T04:00:00-03:00"}
    data = base_policy(
        moves=[
            {"kind": "window", "date": "2026-12-24", "to": to, "reason": "a"},
            {"kind": "window", "date": "2026-12-24", "to": None, "reason": "duplicate"},
            {"kind": "window", "date": "2026-12-31", "to": dict(to), "reason": "same time"},
            {
                "kind": "window",
                "date": "2027-01-07",
                "to": {"start": "2026-12-17T05:00:00-03:00", "end": "2026-12-17T08:00:00-03:00"},
                "reason": "onto the regular window of 2026-12-17",
            },
        ]
    )
    found, lines = problems_of(data)
    assert found == [
        (*find(lines, "date: '2026-12-24'", 1), "calendar-move-overlap"),
        (*find(lines, "to:", 2), "calendar-move-overlap"),
        (*find(lines, "to:", 3), "calendar-move-overlap"),
    ]


def test_schema_rejects_bad_times_and_unknown_keys() -> None:
    data = base_policy()
    data["window"]["start"] = "6:00"
    data["holiday"] = {}
    doc, _ = document(data)
    messages = [p.message for p in schemas.check(doc, "calendar")]
    assert any("'6:00': not a local time HH:MM (00:00 to 23:59)" in m for m in messages)
    assert any("unknown key 'holiday'" in m for m in messages)
