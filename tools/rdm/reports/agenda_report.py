"""How `rdm agenda` prints a committee meeting's agenda: Markdown, HTML or JSON."""

from __future__ import annotations

from typing import Any

from rdm.decisions import calendar
from rdm.decisions.agenda import Agenda, WindowEntry
from rdm.decisions.lifecycle import Status
from rdm.i18n import _
from rdm.model.rdms import format_duration
from rdm.reports import html, jsontext
from rdm.reports.lifecycle_report import (
    instant,
    outcome_label,
    state_label,
    status_json,
    submission_text,
    window_day,
)


def _vote_label(state: str) -> str:
    labels = {
        "approved": _("approves"),
        "stale": _("approved an older commit"),
        "changes_requested": _("asks for changes"),
        "missing": _("has not voted"),
        "author": _("is the author"),
        "delegated": _("absent; delegate approved"),
        "not_a_member": _("not a member"),
    }
    return labels.get(state, state)


def _item(status: Status, policy: calendar.CalendarPolicy, late: bool) -> dict[str, Any]:
    rdm = status.rdm
    sub = status.submission
    verdict = status.facts.verdict
    earlier = status.ran if status.record is None else None
    if status.record is not None:
        submission = _("{state} at {start}").format(
            state=state_label(status.state), start=instant(status.record.started_at, policy)
        )
    elif earlier is not None:  # changed by a later merge since: its state is the new version's
        submission = _("an earlier version {outcome} at {start}").format(
            outcome=outcome_label(earlier.outcome), start=instant(earlier.started_at, policy)
        )
    else:
        submission = submission_text(sub, policy) if sub is not None else "—"
    return {
        "id": rdm.id,
        "title": rdm.title,
        "priority": status.priority or "—",
        "targets": ", ".join(rdm.targets),
        "window": window_day(status.window, policy) if rdm.window is not None else _("emergency"),
        "durations": f"{format_duration(rdm.estimated_duration)} + "
        f"{format_duration(rdm.rollback_duration)}",
        "submission": submission,
        "votes": [
            {"login": m.login, "state": _vote_label(str(m.state))}
            for m in (verdict.members if verdict is not None else ())
        ],
        "late": late,
    }


def _window(entry: WindowEntry, policy: calendar.CalendarPolicy) -> dict[str, str]:
    check = (
        _("not computed: rdm.decisions.conflicts (issue 12) is not available yet")
        if entry.check is None
        else ("; ".join(entry.check.findings) or _("no conflict; fits the window"))
    )
    return {
        "window": window_day(entry.window, policy),
        "rdms": ", ".join(entry.rdms),
        "check": check,
    }


def _context(agenda: Agenda, policy: calendar.CalendarPolicy, with_votes: bool) -> dict[str, Any]:
    meeting = agenda.meeting
    day = policy.local(meeting.start).date().isoformat()
    subtitle = _("{start} to {end}; RDMs submitted before {deadline}").format(
        start=instant(meeting.start, policy),
        end=policy.local(meeting.end).strftime("%H:%M"),
        deadline=instant(meeting.deadline, policy),
    )
    if meeting.moved and meeting.reason:
        subtitle += " — " + _("moved: {reason}").format(reason=meeting.reason)
    return {
        "title": _("Change committee agenda — {day}").format(day=day),
        "subtitle": subtitle,
        "with_votes": with_votes,
        "in_time": [_item(s, policy, False) for s in agenda.in_time],
        "late": [_item(s, policy, True) for s in agenda.late],
        "ratification": [_item(s, policy, False) for s in agenda.ratification],
        "review": [_item(s, policy, False) for s in agenda.review],
        "windows": [_window(w, policy) for w in agenda.windows],
    }


def agenda_html(agenda: Agenda, policy: calendar.CalendarPolicy, with_votes: bool) -> str:
    return html.page("agenda.html", **_context(agenda, policy, with_votes))


def agenda_md(agenda: Agenda, policy: calendar.CalendarPolicy, with_votes: bool) -> str:
    ctx = _context(agenda, policy, with_votes)
    md = html.md
    out = [f"# {md(ctx['title'])}", "", md(ctx["subtitle"]), ""]
    header = [
        "RDM",
        _("Title"),
        _("Priority"),
        _("Targets"),
        _("Window"),
        _("Implementation + rollback"),
        _("Submission or run"),
    ]
    if with_votes:
        header.append(_("Votes"))

    def table(items: list[dict[str, Any]]) -> list[str]:
        if not items:
            return [_("None."), ""]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for item in items:
            cells = [
                item["id"],
                item["title"],
                item["priority"],
                item["targets"],
                item["window"],
                item["durations"],
                item["submission"],
            ]
            if with_votes:
                cells.append(
                    ", ".join(f"@{v['login']}: {v['state']}" for v in item["votes"]) or "—"
                )
            lines.append("| " + " | ".join(md(c) for c in cells) + " |")
        return [*lines, ""]

    out += [f"## {_('For decision (submitted before the deadline)')}", "", *table(ctx["in_time"])]
    if ctx["windows"]:
        out += [f"## {_('Windows: conflicts and capacity')}", ""]
        out += [f"- {md(w['window'])}: {md(w['rdms'])} — {md(w['check'])}" for w in ctx["windows"]]
        out.append("")
    out += [f"## {_('Late (after the deadline)')}", "", *table(ctx["late"])]
    out += [
        f"## {_('Emergencies since the last meeting, for ratification')}",
        "",
        *table(ctx["ratification"]),
    ]
    out += [
        f"## {_('Results to review (changes run since the last meeting)')}",
        "",
        *table(ctx["review"]),
    ]
    return "\n".join(out).rstrip() + "\n"


def agenda_json(agenda: Agenda, policy: calendar.CalendarPolicy) -> str:
    def votes(status: Status) -> list[dict[str, str]] | None:
        verdict = status.facts.verdict
        if verdict is None:
            return None
        return [{"login": m.login, "state": str(m.state)} for m in verdict.members]

    def items(statuses: tuple[Status, ...]) -> list[dict[str, Any]]:
        return [{**status_json(s, policy), "votes": votes(s)} for s in statuses]

    meeting = agenda.meeting
    body = {
        "meeting": {
            "start": meeting.start.isoformat(),
            "end": meeting.end.isoformat(),
            "deadline": meeting.deadline.isoformat(),
            "moved": meeting.moved,
            "reason": meeting.reason,
        },
        "previousMeeting": agenda.previous.start.isoformat() if agenda.previous else None,
        "inTime": items(agenda.in_time),
        "late": items(agenda.late),
        "ratification": items(agenda.ratification),
        "review": items(agenda.review),
        "windows": [
            {
                "start": w.window.start.isoformat(),
                "end": w.window.end.isoformat(),
                "rdms": list(w.rdms),
                "conflicts": None if w.check is None else list(w.check.findings),
            }
            for w in agenda.windows
        ],
    }
    return jsontext.dumps(body, indent=2)
