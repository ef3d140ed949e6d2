"""How the cluster commands' results are printed: apply, rollback, diff, drift, status, snapshots.

Text for people (one line per topology first, details indented under it),
JSON for machines (`--format json`: every field of the result, times in ISO
8601, durations in seconds), and for drift the project's findings
(`reporting.REPORTERS`: text, json, github workflow commands), one per line
with a rule id. Results are built elsewhere; nothing here talks to the cluster,
reads the clock or the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from rdm.decisions.changes import Change
from rdm.decisions.drift import HINTS, Finding, TopologyDrift
from rdm.model.kube import MANAGED_BY, MANAGED_BY_LABEL, ORG_LABEL, FieldConflict
from rdm.model.problems import Level, Problem, one_line
from rdm.model.rdms import format_duration
from rdm.model.snapshots import SnapshotInfo
from rdm.operations.applier import Outcome, TopologyResult
from rdm.operations.diff import TopologyDiff
from rdm.operations.rollback import RestoreReport
from rdm.operations.status import TopologyStatus
from rdm.reports import jsontext

_SHA = re.compile(r"^[0-9a-f]{40}")


def short_revision(revision: str | None) -> str:
    if not revision:
        return "-"
    return _SHA.sub(lambda m: m.group()[:12], revision)


def seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():.0f} s"


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _conflicts(items: Sequence[FieldConflict]) -> list[dict[str, Any]]:
    return [
        {"object": c.object, "field": c.field, "manager": c.manager, "time": c.time} for c in items
    ]


# ---------------------------------------------------------------- apply and rollback


def rollback_lines(report: RestoreReport, indent: str = "  ") -> list[str]:
    verdict = "within" if report.within_declared else "OVER"
    lines = [
        f"{indent}rollback to snapshot {report.snapshot_id} took {seconds(report.duration)} "
        f"(declared {format_duration(report.declared)}: {verdict})"
    ]
    if report.restored:
        lines.append(f"{indent}restored: {', '.join(report.restored)}")
    if report.deleted:
        lines.append(f"{indent}deleted: {', '.join(report.deleted)}")
    for conflict in report.taken:
        lines.append(f"{indent}taken back: {conflict}")
    if not report.healthy:
        lines.append(f"{indent}not healthy after the rollback: {report.health}")
    if not report.complete:
        lines.append(f"{indent}ROLLBACK INCOMPLETE: {report.error}")
    return lines


def apply_text(results: Sequence[TopologyResult]) -> str:
    lines: list[str] = []
    for result in results:
        rdm = f" ({result.rdm_id})" if result.rdm_id else ""
        head = (
            f"{result.org_id}: {result.outcome}: revision {short_revision(result.revision)}{rdm} "
            f"in {seconds(result.duration)}"
        )
        if result.snapshot_id:
            head += f"; snapshot {result.snapshot_id}"
        lines.append(head)
        if result.outcome in (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.DRY_RUN):
            verb = "would be " if result.outcome is Outcome.DRY_RUN else ""
            lines.append(
                f"  {verb}{len(result.created)} created, {len(result.changed)} changed, "
                f"{result.unchanged} unchanged, {len(result.pruned)} pruned; "
                f"{result.requests} requests"
            )
        if result.failure:
            lines.append(f"  failed: {one_line(result.failure)}")
        for name in result.pruned:
            lines.append(f"  pruned: {name}")
        if result.outcome is Outcome.DRY_RUN:
            for name in result.created:
                lines.append(f"  would create: {name}")
            for name in result.changed:
                lines.append(f"  would change: {name}")
        if result.conflicts:
            how = "taken from" if result.conflicts_taken else "owned by other managers"
            for conflict in result.conflicts:
                lines.append(f"  conflict ({how}): {conflict}")
        for conflict in result.removed_fields:
            lines.append(f"  removed (added by another manager): {conflict}")
        if result.rollback is not None:
            lines += rollback_lines(result.rollback)
        for warning in result.warnings:
            lines.append(f"  warning: {one_line(warning)}")
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    lines.append(f"{len(results)} topology(ies): {summary or 'none'}")
    return "\n".join(lines)


def rollback_json(report: RestoreReport) -> dict[str, Any]:
    return {
        "snapshot": report.snapshot_id,
        "reason": report.reason,
        "startedAt": _when(report.started),
        "finishedAt": _when(report.finished),
        "seconds": round(report.duration.total_seconds(), 3),
        "declaredSeconds": int(report.declared.total_seconds()),
        "withinDeclared": report.within_declared,
        "restored": list(report.restored),
        "deleted": list(report.deleted),
        "takenBack": _conflicts(report.taken),
        "healthy": report.healthy,
        "health": report.health or None,
        "complete": report.complete,
        "error": report.error,
    }


def result_json(result: TopologyResult) -> dict[str, Any]:
    holder = result.lock_holder
    return {
        "orgId": result.org_id,
        "outcome": str(result.outcome),
        "revision": result.revision,
        "rdm": result.rdm_id,
        "snapshot": result.snapshot_id,
        "startedAt": _when(result.started),
        "finishedAt": _when(result.finished),
        "seconds": round(result.duration.total_seconds(), 3),
        "failure": result.failure,
        "created": list(result.created),
        "changed": list(result.changed),
        "unchanged": result.unchanged,
        "pruned": list(result.pruned),
        "conflicts": _conflicts(result.conflicts),
        "conflictsTaken": result.conflicts_taken,
        "removedFields": _conflicts(result.removed_fields),
        "rollback": None if result.rollback is None else rollback_json(result.rollback),
        "requests": result.requests,
        "lock": None
        if holder is None
        else {
            "holder": holder.holder,
            "acquired": holder.acquired,
            "renewed": holder.renewed,
            "expires": holder.expires,
        },
        "warnings": list(result.warnings),
    }


def apply_json(results: Sequence[TopologyResult]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
    return jsontext.dumps(
        {"topologies": [result_json(r) for r in results], "outcomes": counts},
        indent=2,
    )


def restore_text(org_id: str, report: RestoreReport) -> str:
    state = "rolled back" if report.complete else "ROLLBACK FAILED"
    return "\n".join([f"{org_id}: {state}", *rollback_lines(report)])


# ---------------------------------------------------------------- diff


def diff_text(diffs: Sequence[TopologyDiff]) -> str:
    parts: list[str] = []
    for found in diffs:
        for entry in found.entries:
            if entry.diff:
                parts.append(entry.diff.rstrip("\n"))
        for ref in found.prune:
            parts.append(f"--- a/{ref.namespace}/{ref.kind.lower()}/{ref.name}\n+++ /dev/null")
    for found in diffs:
        summary = (
            f"{found.org_id}: {found.count(Change.CREATE)} to create, "
            f"{found.count(Change.CHANGE)} to change, {found.count(Change.UNCHANGED)} unchanged, "
            f"{found.count(Change.PRUNE)} to prune"
        )
        if found.errors:
            summary += f", {len(found.errors)} not checked"
        parts.append(summary)
        for ref in found.prune:
            parts.append(f"  would prune: {ref}")
        for conflict in found.conflicts:
            parts.append(f"  conflict: {conflict} (rdm apply refuses it without --force-conflicts)")
        for error in found.errors:
            parts.append(f"  not checked: {one_line(error)}")
    return "\n".join(parts)


def diff_json(diffs: Sequence[TopologyDiff]) -> str:
    return jsontext.dumps(
        {
            "topologies": [
                {
                    "orgId": d.org_id,
                    "changes": d.changes,
                    "objects": [
                        {"object": str(e.ref), "change": str(e.change), "diff": e.diff or None}
                        for e in d.entries
                    ],
                    "prune": [str(r) for r in d.prune],
                    "conflicts": _conflicts(d.conflicts),
                    "errors": list(d.errors),
                }
                for d in diffs
            ]
        },
        indent=2,
    )


# ---------------------------------------------------------------- drift


def _value(value: Any) -> str:
    text = jsontext.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:80] + "…"


def finding_message(org_id: str, finding: Finding) -> str:
    who = ""
    if finding.manager:
        who = f" by {finding.manager}" + (f" at {finding.time}" if finding.time else "")
    where = f"{finding.object} {finding.field}" if finding.field else finding.object
    what = {
        "changed": f"{where}: changed{who}: live {_value(finding.live)}, "
        f"rendered {_value(finding.rendered)}",
        "added": f"{where}: added{who} (not in the topology): {_value(finding.live)}",
        "unrendered": f"{where}: not rendered by rdm, created{who}",
        "missing": f"{where}: rendered by rdm, missing from the cluster",
        "removed": f"{where}: removed outside rdm (Kubernetes records no author for a "
        f"removal): rendered {_value(finding.rendered)}",
        "unlabelled": f"{where}: exists without the topology's labels "
        f"({MANAGED_BY_LABEL}={MANAGED_BY}, {ORG_LABEL}={org_id}): removed by hand, or made "
        "outside rdm",
        "pending": f"{where}: differs from the rendered version in fields rdm owns",
    }[finding.kind]
    return f"{what}; {hint(org_id, finding)}"


def hint(org_id: str, finding: Finding) -> str:
    kind, _, name = finding.object.partition("/")
    return HINTS[finding.kind].format(org=org_id, resource=f"{kind.lower()}/{name}")


def drift_problems(drifts: Sequence[TopologyDrift]) -> list[Problem]:
    problems = []
    for found in drifts:
        path = f"topologies/{found.org_id}.yaml"
        for finding in found.findings:
            level = Level.ERROR if finding.unauthorized else Level.WARNING
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    level,
                    finding_message(found.org_id, finding),
                    f"drift-{finding.kind}",
                )
            )
        for error in found.errors:
            problems.append(
                Problem(path, 1, 1, Level.WARNING, f"not checked: {error}", "drift-unchecked")
            )
    return problems


def drift_json(drifts: Sequence[TopologyDrift]) -> str:
    return jsontext.dumps(
        {
            "drifted": any(d.drifted for d in drifts),
            "unchecked": sum(len(d.errors) for d in drifts),
            "topologies": [
                {
                    "orgId": d.org_id,
                    "drifted": d.drifted,
                    "objects": d.objects,
                    "findings": [
                        {
                            "kind": str(f.kind),
                            "object": f.object,
                            "field": f.field,
                            "manager": f.manager,
                            "time": f.time,
                            "live": f.live,
                            "rendered": f.rendered,
                            "hint": hint(d.org_id, f),
                        }
                        for f in d.findings
                    ],
                    "errors": list(d.errors),
                }
                for d in drifts
            ],
        },
        indent=2,
    )


def drift_summary(drifts: Sequence[TopologyDrift]) -> str:
    drifted = [d for d in drifts if d.drifted]
    findings = sum(sum(1 for f in d.findings if f.unauthorized) for d in drifts)
    unchecked = sum(len(d.errors) for d in drifts)
    summary = (
        f"{len(drifts)} topology(ies) checked: {len(drifted)} with drift, {findings} finding(s)"
    )
    return summary + (f", {unchecked} object(s) not checked" if unchecked else "")


# ---------------------------------------------------------------- status


def _table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))).rstrip()
        for row in rows
    ]


def _record_line(status: TopologyStatus) -> str:
    rdm = f" ({status.rdm_id})" if status.rdm_id else ""
    when = f" at {status.applied_at}" if status.applied_at else ""
    return f"revision {short_revision(status.revision)}{rdm}{when}"


def _rollback_line(last: Mapping[str, Any] | None) -> str | None:
    if not last:
        return None
    return (
        f"last rollback: {last.get('at', '?')} to snapshot {last.get('snapshot', '?')} "
        f"in {last.get('seconds', '?')} s (declared {last.get('declaredSeconds', '?')} s): "
        f"{one_line(str(last.get('reason', '')))[:200]}"
    )


def status_text(status: TopologyStatus) -> str:
    if not status.exists:
        return f"{status.org_id}: no such namespace in the cluster (never applied?)"
    state = "healthy" if status.healthy else f"{status.not_healthy} workload(s) not healthy"
    lines = [f"{status.org_id}: {state}; {_record_line(status)}"]
    rollback = _rollback_line(status.last_rollback)
    if rollback:
        lines.append(rollback)
    if status.last_restart:
        lines.append(f"last restart: {status.last_restart}")
    rows: list[list[str]] = [["WORKLOAD", "READY", "STATE", "IMAGE"]]
    for workload in status.workloads:
        state_text = "healthy" if workload.health.healthy else workload.health.reason
        rows.append(
            [
                workload.name,
                f"{workload.ready}/{workload.desired}",
                state_text,
                ", ".join(workload.images),
            ]
        )
    lines += _table(rows)
    pods: list[list[str]] = [["POD", "READY", "STATUS", "RESTARTS", "AGE"]]
    for workload in status.workloads:
        for pod in workload.pods:
            pods.append([pod.name, pod.ready, pod.status, str(pod.restarts), pod.age])
    if len(pods) > 1:
        lines.append("")
        lines += _table(pods)
    return "\n".join(lines)


def status_all_text(statuses: Sequence[TopologyStatus]) -> str:
    rows: list[list[str]] = [["TOPOLOGY", "STATE", "READY", "REVISION", "RDM", "APPLIED"]]
    for status in statuses:
        ready = sum(1 for w in status.workloads if w.health.healthy)
        state = "healthy" if status.healthy else f"{status.not_healthy} not healthy"
        rows.append(
            [
                status.org_id,
                state,
                f"{ready}/{len(status.workloads)}",
                short_revision(status.revision),
                status.rdm_id or "-",
                status.applied_at or "-",
            ]
        )
    if len(rows) == 1:
        return "no topology applied by rdm in this cluster"
    return "\n".join(_table(rows))


def status_json(statuses: Sequence[TopologyStatus]) -> str:
    return jsontext.dumps(
        {
            "topologies": [
                {
                    "orgId": s.org_id,
                    "exists": s.exists,
                    "healthy": s.healthy,
                    "revision": s.revision,
                    "rdm": s.rdm_id,
                    "appliedAt": s.applied_at,
                    "lastRollback": s.last_rollback,
                    "lastRestart": s.last_restart,
                    "workloads": [
                        {
                            "name": w.name,
                            "ready": w.ready,
                            "desired": w.desired,
                            "images": list(w.images),
                            "state": str(w.health.state),
                            "reason": w.health.reason,
                            "pods": [
                                {
                                    "name": p.name,
                                    "ready": p.ready,
                                    "status": p.status,
                                    "restarts": p.restarts,
                                    "age": p.age,
                                }
                                for p in w.pods
                            ],
                        }
                        for w in s.workloads
                    ],
                }
                for s in statuses
            ]
        },
        indent=2,
    )


# ---------------------------------------------------------------- snapshots


def snapshots_text(org_id: str, infos: Sequence[SnapshotInfo]) -> str:
    if not infos:
        return f"{org_id}: no snapshots"
    rows: list[list[str]] = [["SNAPSHOT", "TAKEN", "REVISION", "OBJECTS", "REASON"]]
    for info in infos:
        complete = "" if info.complete else " (INCOMPLETE: parts missing)"
        rows.append(
            [
                info.snapshot_id,
                info.taken_at,
                short_revision(info.revision),
                str(info.objects),
                one_line(info.reason) + complete,
            ]
        )
    return "\n".join(_table(rows))


def snapshots_json(org_id: str, infos: Sequence[SnapshotInfo]) -> str:
    return jsontext.dumps(
        {
            "orgId": org_id,
            "snapshots": [
                {
                    "id": i.snapshot_id,
                    "takenAt": i.taken_at,
                    "revision": i.revision,
                    "objects": i.objects,
                    "parts": i.parts,
                    "complete": i.complete,
                    "reason": i.reason,
                }
                for i in infos
            ],
        },
        indent=2,
    )
