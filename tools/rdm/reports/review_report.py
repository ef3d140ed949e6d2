"""How `rdm report` prints the post-implementation review: Markdown, HTML or JSON.

The HTML page holds the window's Gantt chart and the period's trend charts as
inline SVG (geometry from `review`), with no script and no external asset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rdm.decisions import calendar
from rdm.i18n import _, decimal, percent
from rdm.model.rdms import format_duration
from rdm.model.records import Outcome
from rdm.reports import html, jsontext, review
from rdm.reports.lifecycle_report import instant, signed


def outcome_label(outcome: Outcome) -> str:
    return {
        Outcome.EXECUTED: _("executed"),
        Outcome.ROLLED_BACK: _("rolled back"),
        Outcome.FAILED: _("failed"),
        Outcome.REFUSED: _("refused"),
        Outcome.HELD: _("held (dependsOn)"),
    }[outcome]


@dataclass(frozen=True)
class Period:
    """What the report covers: one window, or a range of local dates."""

    start: datetime
    end: datetime  # exclusive
    window: calendar.Occurrence | None
    first: date
    last: date


def _days(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    days = delta.total_seconds() / 86400
    if days >= 1:
        return _("{n} days").format(n=decimal(days))
    return format_duration(delta)


def _rate(value: float | None) -> str:
    return "—" if value is None else percent(value)


def type_label(change_type: str) -> str:
    return {
        "normal": _("normal"),
        "emergency": _("emergency"),
        "standard": _("standard"),
    }.get(change_type, change_type)


def _row(row: review.Row, policy: calendar.CalendarPolicy) -> dict[str, Any]:
    rollback = row.rollback_duration
    if rollback is None:
        rollback_text = "—"
    else:
        verdict = _("within") if row.rollback_within else _("over")
        rollback_text = (
            f"{format_duration(rollback)} / {format_duration(row.rollback_declared)} ({verdict})"
        )
    return {
        "id": row.rdm_id,
        "title": row.title,
        "type": type_label(row.change_type),
        "outcome": outcome_label(row.outcome),
        "outcome_class": "ok" if row.outcome is Outcome.EXECUTED else "bad",
        "start": instant(row.started_at, policy),
        "duration": f"{format_duration(row.duration)} / {format_duration(row.estimated)} "
        f"({signed(row.over_estimate)})",
        "rollback": rollback_text,
        "lead": _days(row.lead_time),
        "targets": ", ".join(row.targets),
    }


def _metrics(m: review.Metrics) -> list[dict[str, str]]:
    return [
        {"key": "changes", "label": _("Changes"), "value": str(m.changes)},
        {"key": "success", "label": _("Success rate"), "value": _rate(m.success_rate)},
        {"key": "rollback", "label": _("Rollback rate"), "value": _rate(m.rollback_rate)},
        {"key": "emergency", "label": _("Emergencies"), "value": _rate(m.emergency_share)},
        {"key": "lead", "label": _("Lead time (median)"), "value": _days(m.lead_time_median)},
    ]


def _title(period: Period, policy: calendar.CalendarPolicy) -> tuple[str, str]:
    if period.window is not None:
        day = policy.local(period.window.start).date().isoformat()
        return (
            _("Post-implementation review — window of {day}").format(day=day),
            _("{start} to {end}").format(
                start=instant(period.window.start, policy), end=instant(period.window.end, policy)
            ),
        )
    return (
        _("Post-implementation review — {first} to {last}").format(
            first=period.first.isoformat(), last=period.last.isoformat()
        ),
        _("changes started from {first} to {last}, inclusive").format(
            first=period.first.isoformat(), last=period.last.isoformat()
        ),
    )


def _gantt(gantt: review.Gantt, rows: Sequence[review.Row], policy: calendar.CalendarPolicy) -> Any:
    outcome = {r.rdm_id: str(r.outcome) for r in rows}

    def label(bar: review.Bar) -> str:
        return f"{instant(bar.start, policy)} – {instant(bar.end, policy)}"

    return {
        "width": gantt.width,
        "height": gantt.height,
        "left": gantt.left,
        "plot_width": gantt.plot_width,
        "ticks": gantt.ticks,
        "rows": [
            {
                "rdm_id": row.rdm_id,
                "y": row.y,
                "outcome": outcome[row.rdm_id],
                "bars": [
                    {
                        "kind": bar.kind,
                        "x": bar.x,
                        "width": bar.width,
                        "topology": bar.topology,
                        "clipped_end": bar.clipped_end,
                        "label": label(bar),
                    }
                    for bar in row.bars
                ],
            }
            for row in gantt.rows
        ],
    }


def trend_charts(weeks: Sequence[review.Week]) -> list[dict[str, Any]]:
    """Three small charts: RDMs run per week (rolled back in red), success rate, lead time."""
    if not weeks:
        return []
    width, height, base, step = 260, 120, 96, 260 / len(weeks)
    bar_width = max(step * 0.6, 2)
    labels = [
        {"x": round(step * i + step / 2, 1), "text": w.monday.strftime("%d/%m")}
        for i, w in enumerate(weeks)
    ]
    if len(weeks) > 8:  # too many labels to read: keep the first, middle and last
        keep = {0, len(weeks) // 2, len(weeks) - 1}
        labels = [label for i, label in enumerate(labels) if i in keep]
    top = max((w.ran for w in weeks), default=0) or 1
    counts = []
    for i, w in enumerate(weeks):
        x = round(step * i + (step - bar_width) / 2, 1)
        ok_h = 80 * (w.executed) / top
        rb_h = 80 * (w.rolled_back + w.failed) / top
        counts.append(
            {
                "x": x,
                "y": round(base - ok_h, 1),
                "width": round(bar_width, 1),
                "height": round(ok_h, 1),
                "cls": "",
                "label": f"{w.monday}: {w.executed}",
            }
        )
        counts.append(
            {"x": x, "y": round(base - ok_h - rb_h, 1), "width": round(bar_width, 1),
             "height": round(rb_h, 1), "cls": "rb",
             "label": f"{w.monday}: {w.rolled_back + w.failed}"}
        )  # fmt: skip
    points = " ".join(
        f"{round(step * i + step / 2, 1)},{round(base - 80 * w.success_rate, 1)}"
        for i, w in enumerate(weeks)
        if w.success_rate is not None
    )
    dots = [
        {"x": round(step * i + step / 2, 1), "y": round(base - 80 * w.success_rate, 1),
         "label": f"{w.monday}: {percent(w.success_rate)}"}
        for i, w in enumerate(weeks)
        if w.success_rate is not None
    ]  # fmt: skip
    leads = [w.lead_time_median.total_seconds() if w.lead_time_median else 0.0 for w in weeks]
    longest = max(leads) or 1.0
    lead_bars = [
        {"x": round(step * i + (step - bar_width) / 2, 1),
         "y": round(base - 80 * lead / longest, 1), "width": round(bar_width, 1),
         "height": round(80 * lead / longest, 1), "cls": "",
         "label": f"{w.monday}: {_days(w.lead_time_median)}"}
        for i, (w, lead) in enumerate(zip(weeks, leads, strict=True))
    ]  # fmt: skip
    common = {"width": width, "height": height, "base": base, "labels": labels}
    return [
        {**common, "key": "count", "title": _("RDMs run per week (red: rolled back or failed)"),
         "bars": counts, "line": "", "dots": []},
        {**common, "key": "success", "title": _("Success rate per week"), "bars": [],
         "line": points, "dots": dots},
        {**common, "key": "lead", "title": _("Lead time per week (median)"), "bars": lead_bars,
         "line": "", "dots": []},
    ]  # fmt: skip


def report_html(
    period: Period,
    rows: Sequence[review.Row],
    metrics: review.Metrics,
    weeks: Sequence[review.Week],
    policy: calendar.CalendarPolicy,
) -> str:
    title, subtitle = _title(period, policy)
    gantt = (
        _gantt(review.gantt(period.window.start, period.window.end, rows), rows, policy)
        if period.window is not None
        else None
    )
    return html.page(
        "report.html",
        title=title,
        subtitle=subtitle,
        metrics=_metrics(metrics),
        gantt=gantt,
        rows=[_row(r, policy) for r in rows],
        clients=metrics.per_client,
        trends=trend_charts(weeks) if period.window is None else [],
    )


def report_md(
    period: Period,
    rows: Sequence[review.Row],
    metrics: review.Metrics,
    policy: calendar.CalendarPolicy,
) -> str:
    md = html.md
    title, subtitle = _title(period, policy)
    out = [f"# {md(title)}", "", md(subtitle), ""]
    out += [f"- {md(m['label'])}: **{md(m['value'])}**" for m in _metrics(metrics)]
    out += ["", f"## {_('Changes')}", ""]
    if not rows:
        out.append(_("No change ran in this period."))
    else:
        header = [
            "RDM",
            _("Title"),
            _("Outcome"),
            _("Start"),
            _("Duration / estimate"),
            _("Rollback / declared"),
            _("Lead time"),
            _("Targets"),
        ]
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows:
            r = _row(row, policy)
            cells = [r["id"], r["title"], r["outcome"], r["start"], r["duration"],
                     r["rollback"], r["lead"], r["targets"]]  # fmt: skip
            out.append("| " + " | ".join(md(c) for c in cells) + " |")
    if metrics.per_client:
        out += ["", f"## {_('RDMs per client')}", ""]
        out += [f"- {md(name)}: {count}" for name, count in metrics.per_client]
    return "\n".join(out).rstrip() + "\n"


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def report_json(
    period: Period,
    rows: Sequence[review.Row],
    metrics: review.Metrics,
    weeks: Sequence[review.Week],
) -> str:
    body = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "window": None
        if period.window is None
        else {"start": period.window.start.isoformat(), "end": period.window.end.isoformat()},
        "metrics": {
            "changes": metrics.changes,
            "executed": metrics.executed,
            "rolledBack": metrics.rolled_back,
            "failed": metrics.failed,
            "refused": metrics.refused,
            "successRate": metrics.success_rate,
            "rollbackRate": metrics.rollback_rate,
            "emergencyShare": metrics.emergency_share,
            "leadTimeMedianSeconds": _seconds(metrics.lead_time_median),
            "leadTimeMeanSeconds": _seconds(metrics.lead_time_mean),
            "perClient": dict(metrics.per_client),
        },
        "rdms": [
            {
                "id": r.rdm_id,
                "type": r.change_type,
                "outcome": str(r.outcome),
                "startedAt": r.started_at.isoformat(),
                "finishedAt": r.finished_at.isoformat(),
                "durationSeconds": _seconds(r.duration),
                "estimatedSeconds": _seconds(r.estimated),
                "rollbackSeconds": _seconds(r.rollback_duration),
                "rollbackDeclaredSeconds": _seconds(r.rollback_declared),
                "rollbackWithinDeclared": r.rollback_within,
                "leadTimeSeconds": _seconds(r.lead_time),
                "targets": list(r.targets),
                "mergeCommit": r.record.merge_commit,
            }
            for r in rows
        ],
        "weeks": [
            {
                "monday": w.monday.isoformat(),
                "executed": w.executed,
                "rolledBack": w.rolled_back,
                "failed": w.failed,
                "leadTimeMedianSeconds": _seconds(w.lead_time_median),
            }
            for w in weeks
        ],
    }
    return jsontext.dumps(body, indent=2)
