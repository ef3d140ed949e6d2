"""The post-implementation review: figures from the execution records, and the
geometry of the window's Gantt chart and the period's trend charts.

Per RDM, the record that decided it (the last one that is not a refusal: a
refusal followed by a run is the run): outcome, duration against the estimate,
rollback time against the declared one, lead time from submission to the start
of the execution. Over the period:

- change success rate = executed / (executed + rolled back + failed); a refusal
  applied nothing and is left out of the rates (it is listed);
- rollback rate = rolled back / the same denominator;
- share of emergencies among the changes that ran;
- lead time: median and mean from submission to execution start;
- RDMs per client (each target of each RDM that ran).

The Gantt chart draws the window (00:00-06:00 by default) on a fixed scale:
per RDM a *planned* bar, from the instant the RDM started and as long as its
estimate, followed by its declared rollback time (the budget, dashed); the
*actual* bar from start to end; and a *rollback* bar per rolled-back topology,
from the rollback's start to its end. A span that leaves the window is cut at
its edge and flagged (`clipped_start`/`clipped_end`).

Pure: records, RDMs and times in, numbers out. Rendering is `review_report`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from rdm.decisions.calendar import elapsed
from rdm.model.rdms import Rdm
from rdm.model.records import ExecutionRecord, Outcome, Rollback

RAN = (Outcome.EXECUTED, Outcome.ROLLED_BACK, Outcome.FAILED)


@dataclass(frozen=True)
class Row:
    """One RDM in the report."""

    rdm_id: str
    title: str
    change_type: str
    priority: str | None
    targets: tuple[str, ...]
    window: date | None
    outcome: Outcome
    started_at: datetime
    finished_at: datetime
    estimated: timedelta
    rollback_declared: timedelta
    rollbacks: tuple[tuple[str, Rollback], ...]
    submitted_at: datetime | None
    record: ExecutionRecord

    @property
    def duration(self) -> timedelta:
        return elapsed(self.started_at, self.finished_at)

    @property
    def over_estimate(self) -> timedelta:
        return self.duration - self.estimated

    @property
    def rollback_duration(self) -> timedelta | None:
        """The longest rollback (topologies roll back one after another, each timed)."""
        return max((rb.duration for _, rb in self.rollbacks), default=None)

    @property
    def rollback_within(self) -> bool | None:
        found = self.rollback_duration
        return None if found is None else found <= self.rollback_declared

    @property
    def lead_time(self) -> timedelta | None:
        if self.submitted_at is None:
            return None
        return elapsed(self.submitted_at, self.started_at)


def decisive(records: Sequence[ExecutionRecord]) -> ExecutionRecord | None:
    for record in reversed(records):
        if record.outcome is not Outcome.REFUSED:
            return record
    return records[-1] if records else None


def rows(
    records: Iterable[ExecutionRecord],
    rdms: Mapping[str, Rdm],
    submitted: Mapping[str, datetime],
    start: datetime,
    end: datetime,
) -> list[Row]:
    """One row per RDM whose deciding record started in [start, end), in start order."""
    by_rdm: dict[str, list[ExecutionRecord]] = {}
    for each in sorted(records, key=lambda r: r.started_at):
        by_rdm.setdefault(each.rdm_id, []).append(each)
    found: list[Row] = []
    for rdm_id, attempts in by_rdm.items():
        # A hold (dependsOn not executed yet) is no result of the change: the report
        # counts what ran or was refused, and a held RDM waits for a later run.
        record = decisive([a for a in attempts if a.outcome is not Outcome.HELD])
        if record is None or not start <= record.started_at < end:
            continue
        rdm = rdms.get(rdm_id)
        targets = rdm.targets if rdm is not None else tuple(t.org_id for t in record.topologies)
        found.append(
            Row(
                rdm_id=rdm_id,
                title=rdm.title if rdm is not None else "",
                change_type=str(rdm.type) if rdm is not None else record.change_type,
                priority=record.priority,
                targets=targets,
                window=record.window,
                outcome=record.outcome,
                started_at=record.started_at,
                finished_at=record.finished_at,
                estimated=record.estimated_duration,
                rollback_declared=record.rollback_declared,
                rollbacks=tuple(record.rollbacks),
                submitted_at=submitted.get(rdm_id),
                record=record,
            )
        )
    found.sort(key=lambda r: (r.started_at, r.rdm_id))
    return found


@dataclass(frozen=True)
class Metrics:
    changes: int  # RDMs in the period (refused included)
    executed: int
    rolled_back: int
    failed: int
    refused: int
    success_rate: float | None  # None: nothing ran
    rollback_rate: float | None
    emergency_share: float | None
    lead_time_median: timedelta | None
    lead_time_mean: timedelta | None
    per_client: tuple[tuple[str, int], ...] = field(default=())


def metrics(found: Sequence[Row]) -> Metrics:
    count = {outcome: sum(1 for r in found if r.outcome is outcome) for outcome in Outcome}
    ran = [r for r in found if r.outcome in RAN]

    def rate(part: int) -> float | None:
        return part / len(ran) if ran else None

    leads = [r.lead_time for r in ran if r.lead_time is not None]
    seconds = [lead.total_seconds() for lead in leads]
    clients: dict[str, int] = {}
    for row in ran:
        for target in row.targets:
            clients[target] = clients.get(target, 0) + 1
    return Metrics(
        changes=len(found),
        executed=count[Outcome.EXECUTED],
        rolled_back=count[Outcome.ROLLED_BACK],
        failed=count[Outcome.FAILED],
        refused=count[Outcome.REFUSED],
        success_rate=rate(count[Outcome.EXECUTED]),
        rollback_rate=rate(count[Outcome.ROLLED_BACK]),
        emergency_share=rate(sum(1 for r in ran if r.change_type == "emergency")),
        lead_time_median=timedelta(seconds=statistics.median(seconds)) if seconds else None,
        lead_time_mean=timedelta(seconds=statistics.fmean(seconds)) if seconds else None,
        per_client=tuple(sorted(clients.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


# ------------------------------------------------------------------ trends


@dataclass(frozen=True)
class Week:
    monday: date
    executed: int
    rolled_back: int
    failed: int
    lead_time_median: timedelta | None

    @property
    def ran(self) -> int:
        return self.executed + self.rolled_back + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.executed / self.ran if self.ran else None


def weeks(found: Sequence[Row], first: date, last: date, zone: tzinfo) -> list[Week]:
    """One entry per week (Monday to Sunday, by the date of the start in `zone`, the
    policy's: a record written in UTC counts in the team's week) in [first, last]."""
    # Each row into its week once: a period of years is many weeks, and scanning every
    # row for each of them made a long --from/--to grow as weeks x rows.
    by_week: dict[date, list[Row]] = {}
    for row in found:
        if row.outcome in RAN:
            day = row.started_at.astimezone(zone).date()
            by_week.setdefault(day - timedelta(days=day.weekday()), []).append(row)
    monday = first - timedelta(days=first.weekday())
    found_weeks: list[Week] = []
    while monday <= last:
        inside = by_week.get(monday, [])
        leads = [r.lead_time.total_seconds() for r in inside if r.lead_time is not None]
        found_weeks.append(
            Week(
                monday,
                sum(1 for r in inside if r.outcome is Outcome.EXECUTED),
                sum(1 for r in inside if r.outcome is Outcome.ROLLED_BACK),
                sum(1 for r in inside if r.outcome is Outcome.FAILED),
                timedelta(seconds=statistics.median(leads)) if leads else None,
            )
        )
        monday += timedelta(days=7)
    return found_weeks


# ------------------------------------------------------------------ geometry


@dataclass(frozen=True)
class Bar:
    kind: str  # planned | budget | actual | rollback
    x: float
    width: float
    start: datetime
    end: datetime
    clipped_start: bool = False
    clipped_end: bool = False
    topology: str | None = None  # rollback bars: the topology rolled back


@dataclass(frozen=True)
class GanttRow:
    rdm_id: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Gantt:
    start: datetime
    end: datetime
    left: float  # where the time axis begins (the label column is to its left)
    plot_width: float
    row_height: float
    height: float
    width: float
    rows: tuple[GanttRow, ...]
    ticks: tuple[Tick, ...]

    def x(self, instant: datetime) -> float:
        return _x(self.start, self.end, self.left, self.plot_width, instant)


def _x(start: datetime, end: datetime, left: float, width: float, instant: datetime) -> float:
    total = elapsed(start, end).total_seconds()
    offset = elapsed(start, instant).total_seconds()
    return left + width * min(max(offset / total, 0.0), 1.0)


GANTT_LEFT = 150.0
GANTT_PLOT = 720.0  # 6 h window: 2 px a minute
GANTT_ROW = 30.0
GANTT_TOP = 24.0


def gantt(
    window_start: datetime,
    window_end: datetime,
    found: Sequence[Row],
    left: float = GANTT_LEFT,
    plot_width: float = GANTT_PLOT,
    row_height: float = GANTT_ROW,
) -> Gantt:
    """Bars of each row on the window's time axis (see the module doc)."""

    def bar(kind: str, start: datetime, end: datetime, topology: str | None = None) -> Bar:
        x0 = _x(window_start, window_end, left, plot_width, start)
        x1 = _x(window_start, window_end, left, plot_width, end)
        return Bar(
            kind,
            round(x0, 2),
            round(max(x1 - x0, 0.0), 2),
            start,
            end,
            clipped_start=start < window_start,
            clipped_end=end > window_end,
            topology=topology,
        )

    gantt_rows: list[GanttRow] = []
    for index, row in enumerate(found):
        planned_end = row.started_at + row.estimated
        bars = [
            bar("planned", row.started_at, planned_end),
            bar("budget", planned_end, planned_end + row.rollback_declared),
            bar("actual", row.started_at, row.finished_at),
            *(bar("rollback", rb.started_at, rb.finished_at, org) for org, rb in row.rollbacks),
        ]
        gantt_rows.append(GanttRow(row.rdm_id, GANTT_TOP + index * row_height, tuple(bars)))
    hours = int(elapsed(window_start, window_end).total_seconds() // 3600)
    ticks = tuple(
        Tick(
            round(_x(window_start, window_end, left, plot_width, moment), 2),
            moment.astimezone(window_start.tzinfo).strftime("%H:%M"),
        )
        for moment in (window_start + timedelta(hours=h) for h in range(hours + 1))
    )
    return Gantt(
        window_start,
        window_end,
        left,
        plot_width,
        row_height,
        GANTT_TOP + max(len(found), 1) * row_height + 10,
        left + plot_width + 20,
        tuple(gantt_rows),
        ticks,
    )
