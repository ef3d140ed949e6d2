"""The change calendar: when normal changes may run, when the committee meets, and
by when an RDM must be filled in, from `policy/calendar.yaml`.

Rules (README, "Calendário"):

- The window recurs weekly on ``window.weekday`` from ``start`` (inclusive) to
  ``end`` (exclusive), local time in the policy's zone. ``onHoliday: skip`` drops
  an occurrence whose date is a holiday.
- The committee meets weekly on ``committee.weekday``; an RDM meets the
  meeting's deadline when it is submitted strictly before ``deadline`` local time
  on the meeting day (10:00:00 itself is late).
- A ``moves`` entry replaces, or with ``to: null`` cancels, the one occurrence
  the weekly rule puts on ``date``; a moved meeting keeps its deadline's local
  time on its new day. ``date`` must be on the configured weekday; a window that
  ``onHoliday: skip`` dropped may still be moved (that is how it is brought back
  on another day).
- A freeze ``[start, end)`` closes any window time inside it for normal and
  standard changes; an occurrence partly inside a freeze stays open outside it.
  Emergencies may run at any time.
- Wall times are turned into instants DST-safely: a wall time that happens twice
  means its first instant; one that does not exist (the clock jumps over it)
  means the instant the clock jumps.

This module is pure: it never reads the clock or files. Time and policy are
passed in; the `holidays` package is data.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from rdm.model import dates
from rdm.model.documents import Document
from rdm.model.problems import Problem

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# How far `window_at` looks for the next window; a freeze longer than this is a
# policy mistake, and then `next` is null rather than a search without end.
NEXT_HORIZON_YEARS = 3


class Kind(enum.StrEnum):
    WINDOW = "window"
    COMMITTEE = "committee"


class Status(enum.StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # dropped by `onHoliday: skip`


# ---------------------------------------------------------------- policy


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # Monday = 0, as date.weekday()
    start: time
    end: time


@dataclass(frozen=True)
class Move:
    kind: Kind
    scheduled: date
    start: datetime | None  # UTC; None: cancelled
    end: datetime | None  # UTC
    reason: str

    @property
    def cancelled(self) -> bool:
        return self.start is None


@dataclass(frozen=True)
class Freeze:
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    reason: str

    def covers(self, instant: datetime) -> bool:
        return self.start <= _u(instant) < self.end


@dataclass(frozen=True)
class CalendarPolicy:
    zone: ZoneInfo
    window: WeeklySlot
    skip_holidays: bool
    committee: WeeklySlot
    deadline: time
    country: str
    subdivision: str | None
    extra_holidays: frozenset[date]
    moves: tuple[Move, ...] = ()
    freezes: tuple[Freeze, ...] = ()

    def __hash__(self) -> int:
        # The schedule tables are cached per policy; hashing every field on each
        # `window_at` call would cost more than the lookup itself.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CalendarPolicy:
        """Build from a schema-valid `policy/calendar.yaml` value.

        Raises ZoneInfoNotFoundError/ValueError only for what the schema cannot
        see (an unknown zone); `check_policy` reports those as problems first.
        """
        window = data["window"]
        committee = data["committee"]
        hol = data["holidays"]
        moves = tuple(
            Move(
                kind=Kind(m["kind"]),
                scheduled=date.fromisoformat(m["date"]),
                start=None if m["to"] is None else _instant(m["to"]["start"]),
                end=None if m["to"] is None else _instant(m["to"]["end"]),
                reason=str(m["reason"]),
            )
            for m in data.get("moves") or ()
        )
        freezes = tuple(
            Freeze(_instant(f["start"]), _instant(f["end"]), str(f["reason"]))
            for f in data.get("freezes") or ()
        )
        return cls(
            zone=_known_zone(data["timezone"]),
            window=_slot(window),
            skip_holidays=window.get("onHoliday", "keep") == "skip",
            committee=_slot(committee),
            deadline=time.fromisoformat(committee["deadline"]),
            country=str(hol["country"]),
            subdivision=hol.get("subdivision"),
            extra_holidays=frozenset(date.fromisoformat(d) for d in hol.get("extra") or ()),
            moves=moves,
            freezes=freezes,
        )

    def slot(self, kind: Kind) -> WeeklySlot:
        return self.window if kind is Kind.WINDOW else self.committee

    @cached_property
    def frozen(self) -> FrozenTime:
        """The freezes, indexed (built once per policy)."""
        return FrozenTime(self.freezes)

    @cached_property
    def _scheduled_moves(self) -> Mapping[tuple[Kind, date], Move]:
        found: dict[tuple[Kind, date], Move] = {}
        for move in self.moves:
            found.setdefault((move.kind, move.scheduled), move)  # the first one counts
        return found

    @cached_property
    def _moves_by_new_day(self) -> Mapping[Kind, tuple[list[date], list[Move]]]:
        """Per kind, the moves that take place (not cancellations), sorted by the
        local date of their new start, for bisection."""
        found: dict[Kind, tuple[list[date], list[Move]]] = {}
        for kind in Kind:
            pairs = sorted(
                (
                    (self.local(m.start).date(), m.start, n, m)
                    for n, m in enumerate(self.moves)
                    if m.kind is kind and m.start is not None and m.end is not None
                ),
                key=lambda item: item[:3],
            )
            found[kind] = ([day for day, *_ in pairs], [move for *_, move in pairs])
        return found

    def move_for(self, kind: Kind, scheduled: date) -> Move | None:
        """The move of the occurrence the weekly rule puts on `scheduled`, if any."""
        return self._scheduled_moves.get((kind, scheduled))

    def moves_into(self, kind: Kind, first: date, last: date) -> list[Move]:
        """Moves of `kind` (not cancellations) whose new start is on a local date in
        [first, last], in order of that start."""
        days, moves = self._moves_by_new_day[kind]
        return moves[bisect.bisect_left(days, first) : bisect.bisect_right(days, last)]

    def holiday(self, day: date) -> str | None:
        """The holiday's name on `day`, or None."""
        names = _holiday_names(self.country, self.subdivision, day.year)
        if day in names:
            return names[day]
        if day in self.extra_holidays:
            return "feriado extra (policy/calendar.yaml)"
        return None

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def wall(self, day: date, at: time) -> datetime:
        return wall_instant(day, at, self.zone)


def _known_zone(name: str) -> ZoneInfo:
    found = zone(name)
    if found is None:
        raise ValueError(f"{name!r} is not a time zone of the tz database")
    return found


def _instant(text: str) -> datetime:
    # Kept in UTC: the written offset is only notation, and UTC instants order
    # correctly against times in any zone.
    return datetime.fromisoformat(text).astimezone(UTC)


def _slot(data: Mapping[str, Any]) -> WeeklySlot:
    return WeeklySlot(
        WEEKDAYS.index(data["weekday"]),
        time.fromisoformat(data["start"]),
        time.fromisoformat(data["end"]),
    )


@lru_cache(maxsize=64)
def _holiday_names(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    cls = holidays_package.country_holidays(country, subdiv=subdivision, years=year).__class__
    # The team reads pt-BR; other countries keep the package's default language.
    language = "pt_BR" if "pt_BR" in getattr(cls, "supported_languages", ()) else None
    found = holidays_package.country_holidays(
        country, subdiv=subdivision, years=year, language=language
    )
    return {day: str(name) for day, name in found.items()}


def wall_exists(day: date, at: time, zone: tzinfo) -> bool:
    """Does the wall clock in `zone` read `at` on `day` (False inside a DST gap)?"""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def dst_gap_warning(policy: CalendarPolicy, kind: Kind, day: date) -> str | None:
    """A warning when the occurrence of `kind` the weekly rule puts on `day` starts
    at a wall time that does not exist (the clocks jump over it); it then starts at
    the jump, which is what rdm decides with and shows."""
    slot = policy.slot(kind)
    if wall_exists(day, slot.start, policy.zone):
        return None
    real = policy.wall(day, slot.start)
    return (
        f"the {kind} of {day} starts at {format_instant(real)}, not {slot.start:%H:%M}: "
        f"{slot.start:%H:%M} does not exist in {policy.zone.key} that day (the clocks jump "
        "forward), so it opens when they do"
    )


def wall_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The first instant at which the wall clock in `zone` reads `at` or later on `day`.

    A repeated wall time (clocks going back) gives its first instant (fold=0);
    a skipped one (clocks going forward) gives the instant of the jump.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(zone)
    # In a gap: fold=1 maps before the jump, fold=0 after it. The jump is the
    # first instant whose wall time is past `naive`; find it to the second.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return high.astimezone(zone)


# ---------------------------------------------------------------- occurrences


@dataclass(frozen=True)
class Occurrence:
    """One window occurrence (aware datetimes in the policy zone, end exclusive).

    `scheduled` is the date the weekly rule put it on; for a moved occurrence the
    times are the move's. `clipped` marks a part of an occurrence cut by a freeze.
    """

    start: datetime
    end: datetime
    scheduled: date
    moved: bool = False
    reason: str | None = None
    holiday: str | None = None
    clipped: bool = False

    def contains(self, instant: datetime) -> bool:
        return _u(self.start) <= _u(instant) < _u(self.end)


@dataclass(frozen=True)
class Meeting:
    """One committee meeting and the deadline of the RDMs it takes (exclusive)."""

    start: datetime
    end: datetime
    deadline: datetime
    scheduled: date
    moved: bool = False
    reason: str | None = None
    holiday: str | None = None


def _weekly_dates(weekday: int, first: date, last: date) -> Iterator[date]:
    """Every date on `weekday` in [first, last]."""
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    while day <= last:
        yield day
        day += WEEK


def _window_occurrences(policy: CalendarPolicy, first: date, last: date) -> list[Occurrence]:
    """Window occurrences scheduled on a date in [first, last], plus moved ones
    whose new start falls on a local date in [first, last]; cancellations and
    skipped holidays left out."""
    found: list[Occurrence] = []
    slot = policy.window
    for day in _weekly_dates(slot.weekday, first, last):
        if policy.move_for(Kind.WINDOW, day) is not None:
            continue
        holiday = policy.holiday(day)
        if holiday is not None and policy.skip_holidays:
            continue
        found.append(
            Occurrence(
                policy.wall(day, slot.start), policy.wall(day, slot.end), day, holiday=holiday
            )
        )
    found += (
        _moved_occurrence(policy, move) for move in _moves_into(policy, Kind.WINDOW, first, last)
    )
    found.sort(key=lambda o: _u(o.start))
    return found


def _meetings(policy: CalendarPolicy, first: date, last: date) -> list[Meeting]:
    found: list[Meeting] = []
    slot = policy.committee
    for day in _weekly_dates(slot.weekday, first, last):
        if policy.move_for(Kind.COMMITTEE, day) is not None:
            continue
        found.append(
            Meeting(
                policy.wall(day, slot.start),
                policy.wall(day, slot.end),
                policy.wall(day, policy.deadline),
                day,
                holiday=policy.holiday(day),
            )
        )
    for move in _moves_into(policy, Kind.COMMITTEE, first, last):
        start, end = _moved_times(policy, move)
        found.append(
            Meeting(
                start,
                end,
                policy.wall(start.date(), policy.deadline),
                move.scheduled,
                moved=True,
                reason=move.reason,
                holiday=policy.holiday(start.date()),
            )
        )
    found.sort(key=lambda m: _u(m.start))
    return found


def _moves_into(policy: CalendarPolicy, kind: Kind, first: date, last: date) -> Iterator[Move]:
    """Moves of `kind` (not cancellations) whose new start is on a local date in [first, last]."""
    yield from policy.moves_into(kind, first, last)


def _moved_times(policy: CalendarPolicy, move: Move) -> tuple[datetime, datetime]:
    """A move's new start and end in the policy zone."""
    assert move.start is not None and move.end is not None  # callers pass no cancellation
    return policy.local(move.start), policy.local(move.end)


def windows(policy: CalendarPolicy, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Window occurrences that overlap [start, end), in order (freezes not applied)."""
    first, last = _date_span(policy, start, end)
    for occurrence in _window_occurrences(policy, first, last):
        if _u(occurrence.start) < _u(end) and _u(occurrence.end) > _u(start):
            yield occurrence


def meetings(policy: CalendarPolicy, start: datetime, end: datetime) -> Iterator[Meeting]:
    """Committee meetings that overlap [start, end), in order."""
    first, last = _date_span(policy, start, end)
    for meeting in _meetings(policy, first, last):
        if _u(meeting.start) < _u(end) and _u(meeting.end) > _u(start):
            yield meeting


def _date_span(policy: CalendarPolicy, start: datetime, end: datetime) -> tuple[date, date]:
    _require_aware(start)
    _require_aware(end)
    # A moved occurrence may start a day before the range and still overlap it.
    return policy.local(start).date() - DAY, policy.local(end).date() + DAY


class FrozenTime:
    """A policy's freezes, indexed so that every question costs a bisection.

    Policies with thousands of freezes (years of daily ones) are read by every
    command, and asked about once per window occurrence: a scan of every freeze
    per question made validation quadratic. Two views, both built once:

    - the frozen spans: overlapping or adjacent freezes merged, sorted and
      disjoint (what is closed, and until when, whatever freeze says so);
    - the freezes sorted by start, with a segment tree of their ends, to list the
      ones overlapping an interval in O((k + 1) log n) for k found.
    """

    def __init__(self, freezes: Sequence[Freeze]) -> None:
        self.freezes = tuple(sorted(freezes, key=lambda f: (f.start, f.end)))
        self._starts = [f.start for f in self.freezes]
        spans: list[tuple[datetime, datetime]] = []
        for freeze in self.freezes:
            if freeze.end <= freeze.start:
                continue  # empty; validation reports it
            if spans and freeze.start <= spans[-1][1]:
                if freeze.end > spans[-1][1]:
                    spans[-1] = (spans[-1][0], freeze.end)
            else:
                spans.append((freeze.start, freeze.end))
        self.spans = tuple(spans)
        self._span_starts = [s for s, _ in spans]
        self._span_ends = [e for _, e in spans]
        size = 1
        while size < len(self.freezes):
            size *= 2
        self._size = size
        tree = [_EARLIEST] * (2 * size)
        for n, freeze in enumerate(self.freezes):
            tree[size + n] = freeze.end
        for node in range(size - 1, 0, -1):
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
        self._max_end = tree

    def overlapping(self, start: datetime, end: datetime) -> list[Freeze]:
        """The freezes that overlap [start, end), in order of start."""
        start, end = _u(start), _u(end)
        limit = bisect.bisect_left(self._starts, end)  # the freezes that start before `end`
        found: list[Freeze] = []
        stack = [(1, 0, self._size)]
        while stack:
            node, low, high = stack.pop()
            if low >= limit or self._max_end[node] <= start:
                continue  # nothing in this subtree starts in time and ends after `start`
            if node >= self._size:
                found.append(self.freezes[node - self._size])
                continue
            middle = (low + high) // 2
            stack.append((2 * node + 1, middle, high))
            stack.append((2 * node, low, middle))  # popped first: results stay in order
        return found

    def span_at(self, instant: datetime) -> tuple[datetime, datetime] | None:
        """The whole frozen span containing `instant` (UTC), or None."""
        at = _u(instant)
        i = bisect.bisect_right(self._span_starts, at) - 1
        if i >= 0 and at < self._span_ends[i]:
            return self.spans[i]
        return None

    def open_parts(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """[start, end) minus the frozen spans (UTC)."""
        start, end = _u(start), _u(end)
        parts: list[tuple[datetime, datetime]] = []
        cursor = start
        i = bisect.bisect_right(self._span_ends, start)  # the first span ending after `start`
        while i < len(self.spans) and self._span_starts[i] < end:
            span_start, span_end = self.spans[i]
            if span_start > cursor:
                parts.append((cursor, span_start))
            cursor = max(cursor, span_end)
            i += 1
        if cursor < end:
            parts.append((cursor, end))
        return parts


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def open_periods(
    occurrence: Occurrence, freezes: FrozenTime | Sequence[Freeze]
) -> list[Occurrence]:
    """The parts of `occurrence` outside every freeze (pass `policy.frozen`: a
    sequence is indexed on each call)."""
    index = freezes if isinstance(freezes, FrozenTime) else FrozenTime(freezes)
    if _u(occurrence.start) >= _u(occurrence.end):  # empty (both ends in one DST gap)
        return [] if index.span_at(occurrence.start) else [occurrence]
    parts = index.open_parts(occurrence.start, occurrence.end)
    if parts == [(_u(occurrence.start), _u(occurrence.end))]:
        return [occurrence]
    return [_clip(occurrence, start, end) for start, end in parts]


def _clip(piece: Occurrence, start: datetime, end: datetime) -> Occurrence:
    return Occurrence(
        start.astimezone(piece.start.tzinfo),
        end.astimezone(piece.start.tzinfo),
        piece.scheduled,
        piece.moved,
        piece.reason,
        piece.holiday,
        clipped=True,
    )


@dataclass(frozen=True)
class _Table:
    """Open periods (occurrences minus freezes) from the year before a local year
    to the end of the search horizon after it, sorted, for bisection."""

    periods: tuple[Occurrence, ...]
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]


@lru_cache(maxsize=8)
def _table(policy: CalendarPolicy, year: int) -> _Table:
    # Bucketing by the local year of each occurrence's date keeps one table per
    # year; `window_at` is called per minute by the year-long tests and by the
    # scheduler, so it must be a bisection, not a walk.
    first, last = date(year - 1, 1, 1), date(year + NEXT_HORIZON_YEARS, 12, 31)
    periods: list[Occurrence] = []
    for occurrence in _window_occurrences(policy, first, last):
        # A window whose start and end fall in the same DST gap never opens.
        pieces = open_periods(occurrence, policy.frozen)
        periods.extend(p for p in pieces if _u(p.start) < _u(p.end))
    periods.sort(key=lambda p: _u(p.start))
    return _Table(
        tuple(periods), tuple(_u(p.start) for p in periods), tuple(_u(p.end) for p in periods)
    )


def _current_and_next(
    policy: CalendarPolicy, at: datetime
) -> tuple[Occurrence | None, Occurrence | None]:
    table = _table(policy, at.year)
    now = _u(at)
    i = bisect.bisect_right(table.starts, now)
    # Periods do not overlap (validation rejects overlapping moves), so the last
    # one starting at or before the instant is the only one that can contain it.
    current = table.periods[i - 1] if i > 0 and now < table.ends[i - 1] else None
    upcoming = table.periods[i] if i < len(table.periods) else None
    return current, upcoming


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class WindowDecision:
    at: datetime  # the instant, in the policy zone
    open: bool
    current: Occurrence | None  # the open period containing `at`
    next: Occurrence | None  # the next open period starting after `at`
    policy: CalendarPolicy | None = field(repr=False, compare=False)  # None: unusable
    emergency: bool = False

    @cached_property
    def reason(self) -> str:
        """Why, as a sentence, e.g. "closed: next window opens 2026-12-03 00:00 -03:00
        (in 2 days 4 h)".

        Worked out on demand: the year-long checks ask for the decision every
        minute and the sentence only when one disagrees.
        """
        at, current = self.at, self.current
        if self.policy is None:
            return (
                "open: emergency changes may run at any time (the calendar policy cannot be "
                "read, so the normal windows are unknown)"
            )
        if current is not None:
            left = _span(elapsed(at, current.end))
            reason = f"open: window until {format_instant(current.end)} ({left} left)"
            if current.moved:
                reason += f"; moved from {current.scheduled}: {current.reason}"
        else:
            reason = "closed: " + _closed_why(self.policy, at, self.next)
        if self.emergency:
            reason = f"open: emergency changes may run at any time (normal changes: {reason})"
        holiday = self.policy.holiday(at.date())
        if holiday is not None:
            reason += f"; {at.date()} is a holiday ({holiday})"
        return reason


    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What a reader of the decision must know: the current or next window
        starts at a DST jump instead of its wall-clock start."""
        found: list[str] = []
        policy = self.policy
        for period in (self.current, self.next):
            if policy is None or period is None or period.moved:
                continue
            start = policy.wall(period.scheduled, policy.window.start)
            if _u(period.start) != _u(start):
                continue  # cut by a freeze: it starts when the freeze ends
            warning = dst_gap_warning(policy, Kind.WINDOW, period.scheduled)
            if warning is not None and warning not in found:
                found.append(warning)
        return tuple(found)


def emergency_without_policy(instant: datetime) -> WindowDecision:
    """The answer for an emergency when the calendar policy itself is broken.

    Emergencies may run at any hour; a typo in policy/calendar.yaml must not stop
    the fix of an incident. Nothing is known of the normal windows then.
    """
    _require_aware(instant)
    return WindowDecision(instant, True, None, None, None, emergency=True)


def window_at(
    policy: CalendarPolicy, instant: datetime, *, emergency: bool = False
) -> WindowDecision:
    """May a change run at `instant`? Window start inclusive, end exclusive.

    `current` and `next` are open periods: occurrences with frozen time cut out,
    so inside a freeze `current` is None even within a scheduled window. With
    `emergency` the answer is open; `current` and `next` still describe the
    normal-change windows.
    """
    _require_aware(instant)
    at = instant.astimezone(policy.zone)
    current, upcoming = _current_and_next(policy, at)
    is_open = emergency or current is not None
    return WindowDecision(at, is_open, current, upcoming, policy, emergency)


def _closed_why(policy: CalendarPolicy, at: datetime, upcoming: Occurrence | None) -> str:
    parts: list[str] = []
    span = policy.frozen.span_at(at)
    if span is not None:
        # Freezes that overlap or touch make one closed stretch: its end is when
        # normal changes may run again, whichever freeze ends first.
        reasons = freeze_reasons(policy.frozen.overlapping(*span))
        parts.append(f"freeze until {format_instant(policy.local(span[1]))} ({reasons})")
    else:
        replaced = _replaced_at(policy, at)
        if replaced is not None and replaced.start is None:
            parts.append(f"the window of {replaced.scheduled} was cancelled ({replaced.reason})")
        elif replaced is not None and replaced.start is not None:
            parts.append(
                f"the window of {replaced.scheduled} was moved to "
                f"{format_instant(policy.local(replaced.start))} ({replaced.reason})"
            )
    if upcoming is None:
        parts.append(f"no window in the next {NEXT_HORIZON_YEARS} years")
    else:
        wait = _span(elapsed(at, upcoming.start))
        parts.append(f"next window opens {format_instant(upcoming.start)} (in {wait})")
    return "; ".join(parts)


MAX_REASONS = 3


def freeze_reasons(freezes: Sequence[Freeze]) -> str:
    """The distinct reasons of `freezes`, in order; past a few, how many more."""
    distinct = list(dict.fromkeys(f.reason for f in freezes))
    shown = "; ".join(distinct[:MAX_REASONS])
    more = len(distinct) - MAX_REASONS
    return shown + (f"; and {more} more" if more > 0 else "")


def _replaced_at(policy: CalendarPolicy, at: datetime) -> Move | None:
    """The move that took away the regular window whose time contains `at`."""
    slot = policy.window
    day = at.date()
    move = policy.move_for(Kind.WINDOW, day) if day.weekday() == slot.weekday else None
    if move is not None and _u(policy.wall(day, slot.start)) <= _u(at) < _u(
        policy.wall(day, slot.end)
    ):
        return move
    return None


@lru_cache(maxsize=4096)
def window_for_date(policy: CalendarPolicy, day: date) -> Occurrence | None:
    """The window occurrence an RDM's `window: YYYY-MM-DD` refers to.

    In order: the occurrence scheduled on `day` (moved or not; None when it was
    cancelled or skipped for a holiday), then a moved occurrence whose new start
    falls on `day`. So an RDM may name a moved window by its original date or by
    its new one.
    """
    slot = policy.window
    if day.weekday() == slot.weekday:
        move = policy.move_for(Kind.WINDOW, day)
        if move is not None:
            if move.start is None or move.end is None:
                return None
            return _moved_occurrence(policy, move)
        holiday = policy.holiday(day)
        if not (holiday is not None and policy.skip_holidays):
            return Occurrence(
                policy.wall(day, slot.start), policy.wall(day, slot.end), day, holiday=holiday
            )
    return next(
        (_moved_occurrence(policy, move) for move in _moves_into(policy, Kind.WINDOW, day, day)),
        None,
    )


def _moved_occurrence(policy: CalendarPolicy, move: Move) -> Occurrence:
    start, end = _moved_times(policy, move)
    return Occurrence(
        start,
        end,
        move.scheduled,
        moved=True,
        reason=move.reason,
        holiday=policy.holiday(start.date()),
    )


def rdms_by_window(
    policy: CalendarPolicy, rdms: Iterable[tuple[str, date, str | None]]
) -> dict[date, tuple[tuple[str, str | None], ...]]:
    """(id, window date, priority) of RDMs -> the RDMs of each window occurrence,
    keyed by its scheduled date (as schedule entries are), highest priority first.

    A moved window is found by either of its dates; an RDM whose date names no
    window is left out (`rdm validate` reports it).
    """
    found: dict[date, list[tuple[str, str | None]]] = {}
    for rdm_id, day, priority in rdms:
        occurrence = window_for_date(policy, day)
        if occurrence is not None:
            found.setdefault(occurrence.scheduled, []).append((rdm_id, priority))
    return {
        day: tuple(sorted(items, key=lambda item: (item[1] or "P9", item[0])))
        for day, items in found.items()
    }


def approving_meeting(policy: CalendarPolicy, window: Occurrence) -> Meeting | None:
    """The last meeting that ends at or before the window starts.

    The committee decides during the meeting, so a meeting still running when
    the window opens cannot approve a change for it. None when there is no
    meeting in the eight weeks before (every one cancelled).
    """
    found = [
        m
        for m in meetings(policy, window.start - 8 * WEEK, window.start)
        if _u(m.end) <= _u(window.start)
    ]
    return found[-1] if found else None


def deadline_met(policy: CalendarPolicy, submitted: datetime, window: Occurrence) -> bool:
    """Was an RDM submitted at `submitted` in time for `window`?

    It must be strictly before the deadline of the meeting that approves the
    window (10:00:00 is late, 09:59:59 is in time).
    """
    _require_aware(submitted)
    meeting = approving_meeting(policy, window)
    return meeting is not None and _u(submitted) < _u(meeting.deadline)


def first_window_for_submission(
    policy: CalendarPolicy, submitted: datetime, needed: timedelta = timedelta(0)
) -> Occurrence | None:
    """The first window an RDM submitted at `submitted` can still make.

    That is the first occurrence whose approving meeting's deadline is after the
    submission, which is not entirely frozen, and one of whose open periods (the
    parts outside freezes) lasts at least `needed` (implementation + rollback;
    `rdm validate` holds an RDM to the same). None when there is none within the
    search horizon.
    """
    _require_aware(submitted)
    start = policy.local(submitted)
    for _ in range(NEXT_HORIZON_YEARS * 4):
        stop = start + 13 * WEEK
        for occurrence in windows(policy, start, stop):
            if _u(occurrence.start) <= _u(submitted):
                continue
            pieces = open_periods(occurrence, policy.frozen)
            if not pieces or max(duration(p) for p in pieces) < needed:
                continue
            if deadline_met(policy, submitted, occurrence):
                return occurrence
        start = stop
    return None


# ---------------------------------------------------------------- schedule


@dataclass(frozen=True)
class Entry:
    """One line of the schedule: a window or a meeting, as it stands."""

    kind: Kind
    status: Status
    scheduled: date
    start: datetime  # for cancelled/skipped entries, the time it would have had
    end: datetime
    deadline: datetime | None = None  # meetings only
    holiday: str | None = None
    reason: str | None = None  # the move's reason
    freezes: tuple[Freeze, ...] = ()  # freezes overlapping a window
    fully_frozen: bool = False


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    first: date
    last: date  # inclusive
    entries: tuple[Entry, ...]
    freezes: tuple[Freeze, ...]
    warnings: tuple[str, ...] = field(default=())
    holidays: tuple[tuple[date, str], ...] = field(default=())  # every holiday in the range


def schedule(policy: CalendarPolicy, first: date, weeks: int) -> Schedule:
    """Everything on the calendar from `first` for `weeks` weeks (local dates)."""
    last = first + weeks * WEEK - DAY
    entries: list[Entry] = []
    warnings: list[str] = []
    for kind in Kind:
        slot = policy.slot(kind)
        for day in _weekly_dates(slot.weekday, first, last):
            move = policy.move_for(kind, day)
            if move is not None and move.start is not None:
                continue  # listed at its new time below
            holiday = policy.holiday(day)
            start, end = policy.wall(day, slot.start), policy.wall(day, slot.end)
            deadline = policy.wall(day, policy.deadline) if kind is Kind.COMMITTEE else None
            if move is not None:
                status, reason = Status.CANCELLED, move.reason
            elif kind is Kind.WINDOW and holiday is not None and policy.skip_holidays:
                status, reason = Status.SKIPPED, None
            else:
                status, reason = Status.SCHEDULED, None
                gap = dst_gap_warning(policy, kind, day)
                if gap is not None:
                    warnings.append(gap)
                if kind is Kind.COMMITTEE and holiday is not None:
                    warnings.append(
                        f"the committee meeting of {day} falls on a holiday ({holiday}) "
                        "and no replacement is recorded in moves"
                    )
            entries.append(_entry(policy, kind, status, day, start, end, deadline, holiday, reason))
        for move in _moves_into(policy, kind, first, last):
            start, end = _moved_times(policy, move)
            holiday = policy.holiday(start.date())
            deadline = (
                policy.wall(start.date(), policy.deadline) if kind is Kind.COMMITTEE else None
            )
            entries.append(
                _entry(
                    policy,
                    kind,
                    Status.MOVED,
                    move.scheduled,
                    start,
                    end,
                    deadline,
                    holiday,
                    move.reason,
                )
            )
            if kind is Kind.COMMITTEE and holiday is not None:
                warnings.append(
                    f"the replacement committee meeting on {start.date()} (for {move.scheduled}) "
                    f"falls on a holiday ({holiday})"
                )
    entries.sort(key=lambda e: (_u(e.start), e.kind))
    range_start, range_end = policy.wall(first, time()), policy.wall(last + DAY, time())
    freezes = tuple(policy.frozen.overlapping(range_start, range_end))
    days = (first + n * DAY for n in range((last - first).days + 1))
    holidays = tuple((day, name) for day in days if (name := policy.holiday(day)) is not None)
    return Schedule(policy.zone, first, last, tuple(entries), freezes, tuple(warnings), holidays)


def _entry(
    policy: CalendarPolicy,
    kind: Kind,
    status: Status,
    scheduled: date,
    start: datetime,
    end: datetime,
    deadline: datetime | None,
    holiday: str | None,
    reason: str | None,
) -> Entry:
    frozen: tuple[Freeze, ...] = ()
    fully = False
    if kind is Kind.WINDOW and status in (Status.SCHEDULED, Status.MOVED):
        frozen = tuple(policy.frozen.overlapping(start, end))
        fully = bool(frozen) and not open_periods(Occurrence(start, end, scheduled), policy.frozen)
    return Entry(kind, status, scheduled, start, end, deadline, holiday, reason, frozen, fully)


# ---------------------------------------------------------------- validation


def check_policy(document: Document) -> list[Problem]:
    """The calendar's semantic rules; call only for schema-valid documents.

    Rule ids: calendar-timezone, calendar-start-end, calendar-deadline,
    calendar-holidays, calendar-date-range, calendar-move-not-scheduled,
    calendar-move-length, calendar-move-overlap, calendar-freeze-order.
    A policy is modelled (`CalendarPolicy.from_mapping`) only when none of these
    is found, so nothing a rule refuses ever reaches the decisions.
    """
    data = document.data
    problems: list[Problem] = []
    for kind in ("window", "committee"):
        slot = data[kind]
        if time.fromisoformat(slot["start"]) >= time.fromisoformat(slot["end"]):
            problems.append(
                document.problem(
                    [kind, "end"],
                    f"{kind} ends at {slot['end']}, not after its start {slot['start']}; "
                    "a window or meeting lies within one day",
                    "calendar-start-end",
                )
            )
    committee = data["committee"]
    if time.fromisoformat(committee["deadline"]) > time.fromisoformat(committee["start"]):
        problems.append(
            document.problem(
                ["committee", "deadline"],
                f"the deadline {committee['deadline']} is after the meeting starts "
                f"({committee['start']})",
                "calendar-deadline",
            )
        )
    holiday_problems = _check_holidays(document)
    problems.extend(holiday_problems)
    range_problems = _check_date_range(document)
    problems.extend(range_problems)
    if not range_problems:
        problems.extend(_check_intervals(document))
    if zone(data["timezone"]) is None:
        problems.append(
            document.problem(
                ["timezone"],
                f"{data['timezone']!r} is not a time zone of the tz database "
                "(e.g. America/Sao_Paulo)",
                "calendar-timezone",
            )
        )
    if problems:
        # Checking moves needs the schedule, and the schedule needs all of the above.
        return problems
    problems.extend(_check_moves(document, CalendarPolicy.from_mapping(data)))
    return problems


# A tz database name: letters, digits and _+- in /-separated parts (the longest
# real one has 30 characters). Anything else never reaches the zone loader, which
# would otherwise look it up as a file name.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*)*")


def zone(name: str) -> ZoneInfo | None:
    """The tz database zone called `name`, or None when there is none."""
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # Not found; or a file under the zone folders that is not a zone (a
        # folder, zone.tab): OSError and ValueError.
        return None


def _check_date_range(document: Document) -> list[Problem]:
    """Every date and instant within the years rdm works with.

    The calendar reasons years around each date it holds; a freeze until
    9999-12-31 or a move in year 1 would overflow that arithmetic.
    """
    data = document.data
    found: list[tuple[list[str | int], str, date]] = []
    for i, day in enumerate(data["holidays"].get("extra") or ()):
        found.append((["holidays", "extra", i], day, dates.parse_date(day)))
    for i, move in enumerate(data.get("moves") or ()):
        found.append((["moves", i, "date"], move["date"], dates.parse_date(move["date"])))
        for end in ("start", "end"):
            if move["to"] is not None:
                text = move["to"][end]
                found.append((["moves", i, "to", end], text, dates.parse_instant(text)))
    for i, freeze in enumerate(data.get("freezes") or ()):
        for end in ("start", "end"):
            found.append(
                (["freezes", i, end], freeze[end], dates.parse_instant(freeze[end]))
            )
    return [
        document.problem(pointer, dates.out_of_range(text), "calendar-date-range", key=False)
        for pointer, text, value in found
        if not dates.in_range(value)
    ]


# A moved occurrence replaces one window or meeting; a longer stop is a freeze.
MAX_MOVE = timedelta(days=7)


def _check_intervals(document: Document) -> list[Problem]:
    """Freezes and moved intervals end after they start; a move lasts a week at most."""
    data = document.data
    problems: list[Problem] = []
    for i, freeze in enumerate(data.get("freezes") or ()):
        if dates.parse_instant(freeze["end"]) <= dates.parse_instant(freeze["start"]):
            problems.append(
                document.problem(
                    ["freezes", i, "end"],
                    f"the freeze ends ({freeze['end']}) before or when it starts "
                    f"({freeze['start']})",
                    "calendar-freeze-order",
                )
            )
    for i, move in enumerate(data.get("moves") or ()):
        to = move["to"]
        if to is None:
            continue
        length = _u(dates.parse_instant(to["end"])) - _u(dates.parse_instant(to["start"]))
        if length <= timedelta(0):
            problems.append(
                document.problem(
                    ["moves", i, "to", "end"],
                    f"the moved {move['kind']} ends ({to['end']}) before or when it starts "
                    f"({to['start']})",
                    "calendar-start-end",
                )
            )
        elif length > MAX_MOVE:
            problems.append(
                document.problem(
                    ["moves", i, "to", "end"],
                    f"the moved {move['kind']} lasts {_span(length)}; a move replaces one "
                    f"occurrence and lasts at most {MAX_MOVE.days} days (a longer stop is "
                    "a freeze)",
                    "calendar-move-length",
                )
            )
    return problems


def _check_holidays(document: Document) -> list[Problem]:
    hol = document.data["holidays"]
    supported: Mapping[str, Sequence[str]] = holidays_package.list_supported_countries()
    country, subdivision = hol["country"], hol.get("subdivision")
    if country not in supported:
        return [
            document.problem(
                ["holidays", "country"],
                f"the holidays package has no calendar for country {country!r}",
                "calendar-holidays",
            )
        ]
    if subdivision is not None and subdivision not in supported[country]:
        return [
            document.problem(
                ["holidays", "subdivision"],
                f"{country} has no subdivision {subdivision!r} in the holidays package "
                f"(known: {', '.join(supported[country])})",
                "calendar-holidays",
            )
        ]
    return []


def _check_moves(document: Document, policy: CalendarPolicy) -> list[Problem]:
    """Moves name scheduled occurrences, once each, and do not overlap.

    Linear in the number of moves: each move is looked up by its date, compared
    with the regular occurrences around its new time (a week at most), and the
    moved intervals are swept once in order of start.
    """
    problems: list[Problem] = []
    seen: dict[tuple[Kind, date], int] = {}
    valid_intervals: list[tuple[int, Move]] = []
    for i, move in enumerate(policy.moves):
        slot = policy.slot(move.kind)
        if move.scheduled.weekday() != slot.weekday:
            problems.append(
                document.problem(
                    ["moves", i, "date"],
                    f"{move.scheduled} is a {WEEKDAYS[move.scheduled.weekday()]}; no {move.kind} "
                    f"occurrence is scheduled then (they are on {WEEKDAYS[slot.weekday]}s)",
                    "calendar-move-not-scheduled",
                )
            )
            continue
        key = (move.kind, move.scheduled)
        if key in seen:
            problems.append(
                document.problem(
                    ["moves", i, "date"],
                    f"moves[{seen[key]}] already moves the {move.kind} of {move.scheduled}",
                    "calendar-move-overlap",
                )
            )
            continue
        seen[key] = i
        if move.start is not None and move.end is not None and move.start < move.end:
            valid_intervals.append((i, move))
    for kind in Kind:
        # Sorted by start, a moved interval overlaps an earlier one exactly when it
        # starts before the latest end so far; that one is named.
        latest: tuple[int, datetime, datetime] | None = None  # index, start, end
        intervals = sorted(
            (m.start, i, m.end)
            for i, m in valid_intervals
            if m.kind is kind and m.start is not None and m.end is not None
        )
        for start, i, end in intervals:
            if latest is not None and start < latest[2]:
                j, other_start, other_end = latest
                problems.append(
                    document.problem(
                        ["moves", i, "to"],
                        f"the moved {kind} overlaps the one of moves[{j}] "
                        f"({format_instant(policy.local(other_start))} to "
                        f"{format_instant(policy.local(other_end))})",
                        "calendar-move-overlap",
                    )
                )
            if latest is None or end > latest[2]:
                latest = (i, start, end)
    for i, move in valid_intervals:
        assert move.start is not None and move.end is not None  # filtered above
        first = policy.local(move.start).date() - DAY
        last = policy.local(move.end).date() + DAY
        regular: list[Occurrence | Meeting] = [
            *(_window_occurrences(policy, first, last) if move.kind is Kind.WINDOW else ()),
            *(_meetings(policy, first, last) if move.kind is Kind.COMMITTEE else ()),
        ]
        for occurrence in regular:
            if occurrence.moved or not (
                occurrence.start < move.end and move.start < occurrence.end
            ):
                continue
            problems.append(
                document.problem(
                    ["moves", i, "to"],
                    f"the moved {move.kind} overlaps the regular {move.kind} of "
                    f"{occurrence.scheduled} ({format_instant(occurrence.start)} to "
                    f"{format_instant(occurrence.end)})",
                    "calendar-move-overlap",
                )
            )
    problems.sort(key=lambda p: (p.line, p.col))
    return problems


# ---------------------------------------------------------------- formatting


def format_instant(instant: datetime) -> str:
    """``2026-12-03 00:00 -03:00``: how decisions name an instant."""
    offset = instant.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{instant:%Y-%m-%d %H:%M} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _span(delta: timedelta) -> str:
    """A duration for people: the two largest units, rounded down ("2 days 4 h")."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    units = [
        (days, "day" if days == 1 else "days"),
        (hours, "h"),
        (minutes, "min"),
    ]
    while units and units[0][0] == 0:
        units.pop(0)
    shown = [f"{value} {unit}" for value, unit in units[:2] if value]
    return " ".join(shown)


def format_span(delta: timedelta) -> str:
    """A duration for people, as the decisions word it: "2 days 4 h", "35 min", "12 s"."""
    return _span(delta)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time from `start` to `end`.

    Subtracting two datetimes of the same ZoneInfo gives the wall-clock difference,
    an hour off across a DST change; this goes through UTC.
    """
    return _u(end) - _u(start)


def duration(occurrence: Occurrence) -> timedelta:
    """How long an occurrence really lasts (longer on the night clocks go back)."""
    return elapsed(occurrence.start, occurrence.end)


def _u(instant: datetime) -> datetime:
    # Two datetimes in the same ZoneInfo compare by wall time, ignoring `fold`:
    # 01:15 EST after 01:30 EDT would sort first. Instants compare in UTC.
    return instant.astimezone(UTC)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no UTC offset; calendar times must be aware")


__all__ = [
    "CalendarPolicy",
    "Entry",
    "Freeze",
    "Kind",
    "Meeting",
    "Move",
    "Occurrence",
    "Schedule",
    "Status",
    "WindowDecision",
    "approving_meeting",
    "check_policy",
    "deadline_met",
    "dst_gap_warning",
    "duration",
    "elapsed",
    "emergency_without_policy",
    "first_window_for_submission",
    "format_instant",
    "freeze_reasons",
    "meetings",
    "open_periods",
    "rdms_by_window",
    "schedule",
    "wall_exists",
    "wall_instant",
    "window_at",
    "window_for_date",
    "windows",
]
