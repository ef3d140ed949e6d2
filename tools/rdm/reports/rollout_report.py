"""How the rollout and the gate tell what they did: progress lines (text on a terminal,
JSON lines otherwise), the final report, the Markdown of the GitHub step summary and
the gate's answer.

Pure: strings from `operations.rollout.Report`, `decisions.gate.Gate` and events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from rdm.decisions import calendar
from rdm.decisions.gate import Gate
from rdm.operations.rollout import Kind, RdmRun, Report

_KIND_WORDS = {
    Kind.EXECUTED: "executed",
    Kind.ROLLED_BACK: "rolled back",
    Kind.FAILED: "FAILED: a rollback did not finish, a person must look",
    Kind.REFUSED: "refused",
    Kind.DEFERRED: "deferred",
    Kind.DRY_RUN: "would run (dry run)",
    Kind.ERROR: "not run: an outside system failed",
}


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
    if kind == "recorded":
        return f"{rdm}: recorded ({fields.get('outcome')})"
    if kind == "busy":
        return f"shard {fields.get('shard')} is held by {fields.get('holder')}: nothing done"
    return f"{kind}: {fields.get('message', '')}"


def event_json(kind: str, fields: Mapping[str, Any], at: datetime) -> str:
    """One progress event as a JSON line (CI logs, and anything reading them)."""
    return json.dumps(
        {"event": kind, "at": at.isoformat(timespec="seconds"), **fields},
        ensure_ascii=False,
        sort_keys=True,
    )


# ---------------------------------------------------------------- the report


def _headline(report: Report, zone: tzinfo) -> str:
    mode = " (dry run)" if report.dry_run else ""
    simulated = (
        f", as of --at {_when(report.simulated, zone)}" if report.simulated is not None else ""
    )
    return f"rdm rollout at {_when(report.started, zone)}, shard {report.shard}{mode}{simulated}"


def _run_lines(run: RdmRun) -> list[str]:
    pr = f"PR #{run.pr}" if run.pr is not None else "no PR"
    priority = f"{run.priority}, " if run.priority else ""
    lines = [
        f"{run.rdm.id} ({priority}{run.rdm.type}, {pr}, {run.merge_commit[:12]}): "
        f"{_KIND_WORDS[run.kind]}"
    ]
    if run.record is not None:  # what was recorded, per topology
        for topology in run.record.topologies:
            text = f"  {topology.org_id}: {topology.outcome}"
            if topology.snapshot_id:
                text += f", snapshot {topology.snapshot_id}"
            if topology.rollback is not None:
                seconds = int(topology.rollback.duration.total_seconds())
                declared = calendar.format_span(topology.rollback.declared)
                text += f", rolled back in {seconds} s (declared {declared})"
            if topology.error:
                text += f": {topology.error}"
            lines.append(text)
    for result in run.results if run.record is None else ():
        text = f"  {result.org_id}: {result.outcome}"
        if result.snapshot_id:
            text += f", snapshot {result.snapshot_id}"
        if result.failure:
            text += f": {result.failure}"
        lines.append(text)
    for diff in run.diffs:
        counts = ", ".join(
            f"{n} {what}"
            for what, n in (
                ("to create", sum(1 for e in diff.entries if str(e.change) == "create")),
                ("to change", sum(1 for e in diff.entries if str(e.change) == "change")),
                ("unchanged", sum(1 for e in diff.entries if str(e.change) == "unchanged")),
                ("to prune", len(diff.prune)),
            )
        )
        lines.append(f"  {diff.org_id}: {counts}")
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
        lines.append(f"nothing done: {report.busy}")
    if not report.runs and not report.busy:
        lines.append("nothing to do: no RDM is due at this instant")
    for run in report.runs:
        lines += _run_lines(run)
    lines += [f"warning: {w}" for w in report.warnings]
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
        lines += [f"Nothing done: {_cell(report.busy)}", ""]
    if not report.runs:
        lines += ["No RDM is due at this instant.", ""]
        return "\n".join(lines)
    lines += ["| RDM | priority | PR | revision | outcome |", "|---|---|---|---|---|"]
    for run in report.runs:
        pr = f"#{run.pr}" if run.pr is not None else "—"
        lines.append(
            f"| {run.rdm.id} | {run.priority or '—'} | {pr} | `{run.merge_commit[:12]}` | "
            f"{_cell(_KIND_WORDS[run.kind])} |"
        )
    for run in report.runs:
        lines += ["", f"### {run.rdm.id}: {_cell(run.rdm.title)}", ""]
        lines += [f"- {_cell(line.strip())}" for line in _run_lines(run)[1:]]
    if report.warnings:
        lines += ["", *(f"> warning: {_cell(w)}" for w in report.warnings)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the gate


def gate_text(decision: Gate) -> str:
    verdict = "allowed" if decision.allowed else "blocked"
    lines = [f"{decision.rdm_id}: {verdict} at {calendar.format_instant(decision.at)}"]
    lines += [f"  {reason}" for reason in decision.reasons]
    return "\n".join(lines)


def gate_json(decision: Gate) -> str:
    return json.dumps(decision.as_json(), ensure_ascii=False)
