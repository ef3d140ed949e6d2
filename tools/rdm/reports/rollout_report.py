"""How the rollout and the gate tell what they did: progress lines (text on a terminal,
JSON lines otherwise), the final report, the Markdown of the GitHub step summary and
the gate's answer.

The report, the summary and the gate's answer are in the active language
(`rdm.i18n`); the gate's reasons stay as the gate words them (they are recorded
and compared, `ok: `/`blocked: ` first), and so do the progress lines and the
JSON. Pure: strings from `operations.rollout.Report`, `decisions.gate.Gate` and
events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from rdm.decisions import calendar
from rdm.decisions.gate import Gate
from rdm.i18n import N_, _, pgettext
from rdm.operations.rollout import Kind, RdmRun, Report
from rdm.reports import jsontext
from rdm.reports.review_report import type_label

_KIND_WORDS = {
    Kind.EXECUTED: N_("executed"),
    Kind.ROLLED_BACK: N_("rolled back"),
    Kind.FAILED: N_("FAILED: a rollback did not finish, a person must look"),
    Kind.REFUSED: N_("refused"),
    Kind.DEFERRED: N_("deferred"),
    Kind.HELD: N_("held: an RDM of its dependsOn has not executed"),
    Kind.DRY_RUN: N_("would run (dry run)"),
    Kind.ERROR: N_("not run: an outside system failed"),
}


def kind_label(kind: Kind) -> str:
    return _(_KIND_WORDS[kind])


def topology_outcome_label(outcome: str) -> str:
    """A topology's outcome (the applier's or the record's identifier) for people."""
    labels = {
        "applied": pgettext("topology", "applied"),
        "unchanged": pgettext("topology", "unchanged"),
        "rolled-back": pgettext("topology", "rolled back"),
        "rollback-failed": pgettext("topology", "ROLLBACK FAILED"),
        "skipped": pgettext("topology", "skipped"),
        "failed": pgettext("topology", "failed"),
        "refused-by-lock": pgettext("topology", "refused: another run holds it"),
        "dry-run": pgettext("topology", "dry run"),
    }
    return labels.get(outcome, outcome)


def _when(moment: datetime, zone: tzinfo) -> str:
    return calendar.format_instant(moment.astimezone(zone))


# ---------------------------------------------------------------- progress


def event_text(kind: str, fields: Mapping[str, Any]) -> str:
    """One progress event as a line for a person."""
    rdm = fields.get("rdm", "")
    if kind == "progress":
        return f"{rdm} {fields.get('org')}: {fields.get('message')}"
    if kind == "gate":
        verdict = "allowed" if fields.get("allowed") else "blocked"
        reasons = "; ".join(str(r).removeprefix("blocked: ") for r in fields.get("reasons", []))
        return f"{rdm}: {verdict}" + (f": {reasons}" if reasons else "")
    if kind == "apply":
        targets = ", ".join(fields.get("targets", []))
        return f"{rdm}: applying {targets} at {str(fields.get('revision', ''))[:12]}"
    if kind == "refused":
        return f"{rdm}: refused: " + "; ".join(
            str(r).removeprefix("blocked: ") for r in fields.get("reasons", [])[:1]
        )
    if kind == "held":
        # The reasons say "held" themselves, in the team's language.
        return f"{rdm}: " + "; ".join(
            str(r).removeprefix("blocked: ") for r in fields.get("reasons", [])
        )
    if kind == "recorded":
        return f"{rdm}: recorded ({fields.get('outcome')})"
    if kind == "busy":
        return f"shard {fields.get('shard')} is held by {fields.get('holder')}: nothing done"
    return f"{kind}: {fields.get('message', '')}"


def event_json(kind: str, fields: Mapping[str, Any], at: datetime) -> str:
    """One progress event as a JSON line (CI logs, and anything reading them)."""
    return jsontext.dumps(
        {"event": kind, "at": at.isoformat(timespec="seconds"), **fields}, sort_keys=True
    )


# ---------------------------------------------------------------- the report


def _headline(report: Report, zone: tzinfo) -> str:
    if report.simulated is None:
        text = (
            _("rdm rollout at {at}, shard {shard} (dry run)")
            if report.dry_run
            else _("rdm rollout at {at}, shard {shard}")
        )
    else:
        text = (
            _("rdm rollout at {at}, shard {shard} (dry run), as of --at {simulated}")
            if report.dry_run
            else _("rdm rollout at {at}, shard {shard}, as of --at {simulated}")
        )
    simulated = _when(report.simulated, zone) if report.simulated is not None else ""
    return text.format(at=_when(report.started, zone), shard=report.shard, simulated=simulated)


def _topology_line(
    org_id: str,
    outcome: str,
    snapshot: str | None,
    rollback: str | None = None,
    failure: str | None = None,
) -> str:
    parts = [topology_outcome_label(outcome)]
    if snapshot:
        parts.append(_("snapshot {id}").format(id=snapshot))
    if rollback:
        parts.append(rollback)
    text = f"  {org_id}: " + ", ".join(parts)
    return f"{text}: {failure}" if failure else text


def _run_lines(run: RdmRun) -> list[str]:
    pr = f"PR #{run.pr}" if run.pr is not None else _("no PR")
    about = [run.priority] if run.priority else []
    about += [type_label(str(run.rdm.type)), pr, run.merge_commit[:12]]
    lines = [f"{run.rdm.id} ({', '.join(about)}): {kind_label(run.kind)}"]
    if run.record is not None:  # what was recorded, per topology
        for topology in run.record.topologies:
            rollback = None
            if topology.rollback is not None:
                rollback = _("rolled back in {seconds} s (declared {declared})").format(
                    seconds=int(topology.rollback.duration.total_seconds()),
                    declared=calendar.format_span(topology.rollback.declared),
                )
            lines.append(
                _topology_line(
                    topology.org_id,
                    str(topology.outcome),
                    topology.snapshot_id,
                    rollback,
                    topology.error,
                )
            )
    for result in run.results if run.record is None else ():
        lines.append(
            _topology_line(
                result.org_id, str(result.outcome), result.snapshot_id, failure=result.failure
            )
        )
    for diff in run.diffs:
        counts = _("{create} to create, {change} to change, {same} unchanged, {prune} to prune")
        lines.append(
            f"  {diff.org_id}: "
            + counts.format(
                create=sum(1 for e in diff.entries if str(e.change) == "create"),
                change=sum(1 for e in diff.entries if str(e.change) == "change"),
                same=sum(1 for e in diff.entries if str(e.change) == "unchanged"),
                prune=len(diff.prune),
            )
        )
    shown = (
        [r for r in run.reasons if not r.startswith("ok: ")]
        if run.kind
        in (
            Kind.EXECUTED,
            Kind.DRY_RUN,
        )
        else list(run.reasons)
    )
    lines += [f"  - {reason}" for reason in shown]
    return lines


def text(report: Report, zone: tzinfo) -> str:
    lines = [_headline(report, zone)]
    if report.busy:
        lines.append(_("nothing done: {why}").format(why=report.busy))
    if not report.runs and not report.busy:
        lines.append(_("nothing to do: no RDM is due at this instant"))
    for run in report.runs:
        lines += _run_lines(run)
    lines += [_("warning: {message}").format(message=w) for w in report.warnings]
    return "\n".join(lines)


def diffs_text(report: Report) -> str:
    """The unified diffs of a dry run, after the report."""
    parts = [
        entry.diff.rstrip("\n")
        for run in report.runs
        for diff in run.diffs
        for entry in diff.entries
        if entry.diff
    ]
    return "\n".join(parts)


def as_json(report: Report) -> dict[str, Any]:
    return {
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "shard": str(report.shard),
        "dryRun": report.dry_run,
        "simulatedAt": None if report.simulated is None else report.simulated.isoformat(),
        "busy": report.busy,
        "rdms": [
            {
                "rdm": run.rdm.id,
                "outcome": str(run.kind),
                "priority": run.priority,
                "pr": run.pr,
                "mergeCommit": run.merge_commit,
                "reasons": list(run.reasons),
                "topologies": [
                    {
                        "orgId": r.org_id,
                        "outcome": str(r.outcome),
                        "snapshot": r.snapshot_id,
                        "failure": r.failure,
                        "rollbackSeconds": None
                        if r.rollback is None
                        else int(r.rollback.duration.total_seconds()),
                    }
                    for r in run.results
                ],
            }
            for run in report.runs
        ],
        "remaining": list(report.remaining),
        "warnings": list(report.warnings),
        "unrecorded": list(report.unrecorded),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, zone: tzinfo) -> str:
    """The GitHub step summary: a table of RDMs, then each RDM's reasons."""
    lines = [f"## {_headline(report, zone)}", ""]
    if report.busy:
        lines += [_("Nothing done: {why}").format(why=_cell(report.busy)), ""]
    if not report.runs:
        lines += [_("No RDM is due at this instant."), ""]
        return "\n".join(lines)
    header = (_("RDM"), _("priority"), "PR", _("revision"), _("outcome"))
    lines += ["| " + " | ".join(header) + " |", "|---|---|---|---|---|"]
    for run in report.runs:
        pr = f"#{run.pr}" if run.pr is not None else "—"
        lines.append(
            f"| {run.rdm.id} | {run.priority or '—'} | {pr} | `{run.merge_commit[:12]}` | "
            f"{_cell(kind_label(run.kind))} |"
        )
    for run in report.runs:
        lines += ["", f"### {run.rdm.id}: {_cell(run.rdm.title)}", ""]
        for line in _run_lines(run)[1:]:
            # a reason ("  - ...") stays a sub-item of the line above it, not "- - ..."
            item = line.strip()
            nested = item.startswith("- ")
            item = item.removeprefix("- ") if nested else item
            lines.append(f"{'  ' if nested else ''}- {_cell(item)}")
    if report.warnings:
        lines += [
            "",
            *(_("> warning: {message}").format(message=_cell(w)) for w in report.warnings),
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the gate


def gate_text(decision: Gate) -> str:
    answer = _("{rdm}: allowed at {at}") if decision.allowed else _("{rdm}: blocked at {at}")
    lines = [answer.format(rdm=decision.rdm_id, at=calendar.format_instant(decision.at))]
    lines += [f"  {reason}" for reason in decision.reasons]
    return "\n".join(lines)


def gate_json(decision: Gate) -> str:
    return jsontext.dumps(decision.as_json())
