"""How `rdm history` tells the audit chain: RDM -> PR -> approvals -> revision -> records
-> rollbacks, for one RDM, one client (org id) or everything recorded.

The chain is read from git alone: the RDM file, the first-parent commits that
brought it to the default branch, and the execution records (git notes) that
the rollout attached to its merge commit, which name the PR, the approvals that
counted (with their review ids), the revision applied, each topology's outcome
and snapshot, and every rollback with its time against the declared one.

Pure: builds and prints from values the command read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from rdm.decisions import calendar
from rdm.model.rdms import Rdm
from rdm.model.records import ExecutionRecord, Outcome, TopologyOutcome, record_json


@dataclass(frozen=True)
class Change:
    """A commit of the default branch that added or changed the RDM's file."""

    commit: str
    at: datetime
    subject: str


@dataclass(frozen=True)
class Chain:
    rdm_id: str
    rdm: Rdm | None  # None: the file is gone from the default branch; records remain
    priority: str | None
    changes: tuple[Change, ...]
    records: tuple[ExecutionRecord, ...]
    problems: tuple[str, ...] = ()  # notes that could not be read
    meta: Mapping[str, object] = field(default_factory=dict)


def _when(moment: datetime, zone: tzinfo | None) -> str:
    return calendar.format_instant(moment.astimezone(zone) if zone else moment)


def _seconds(seconds: float) -> str:
    return calendar.format_span(timedelta(seconds=seconds)) or "0 s"


_OUTCOME_WORDS = {
    Outcome.EXECUTED: "executed",
    Outcome.ROLLED_BACK: "rolled back",
    Outcome.FAILED: "FAILED (a rollback did not finish: a person must look)",
    Outcome.REFUSED: "refused",
}


def _record_lines(record: ExecutionRecord, zone: tzinfo | None, org: str | None) -> list[str]:
    pr = f"PR #{record.pr}" if record.pr is not None else "no PR"
    took = _seconds(record.duration.total_seconds())
    run = f" (run {record.run_url})" if record.run_url else ""
    shard = record.extra.get("shard")
    part = f", shard {shard}" if isinstance(shard, str) else ""
    lines = [
        f"  {_when(record.started_at, zone)}  {_OUTCOME_WORDS[record.outcome]}: {pr} at "
        f"{record.revision[:12]}, {took}{part}{run}"
    ]
    if record.approvers:
        who = ", ".join(
            f"@{a.login} (review {a.review_id}, {a.capacity}"
            + (f" for @{a.stood_in_for}" if a.stood_in_for else "")
            + ")"
            for a in record.approvers
        )
        lines.append(f"    approvals: {who}")
    for topology in record.topologies:
        if org is not None and topology.org_id != org:
            continue
        text = f"    {topology.org_id}: {topology.outcome}"
        if topology.snapshot_id:
            text += f", snapshot {topology.snapshot_id}"
        rollback = topology.rollback
        if rollback is not None:
            verdict = "within" if rollback.within_declared else "OVER"
            text += (
                f"; rolled back in {_seconds(rollback.duration.total_seconds())} "
                f"({verdict} the declared {calendar.format_span(rollback.declared)}): "
                f"{rollback.reason}"
            )
        elif topology.error and topology.outcome is not TopologyOutcome.APPLIED:
            text += f": {topology.error}"
        lines.append(text)
    # An execution keeps its verdict line; anything else keeps every reason it was given.
    shown = (
        [r for r in record.reasons if r.startswith("ok: PR #")]
        if record.outcome is Outcome.EXECUTED
        else list(record.reasons)
    )
    lines += [f"    {reason}" for reason in shown]
    return lines


def text(chains: Sequence[Chain], zone: tzinfo | None, org: str | None = None) -> str:
    lines: list[str] = []
    for chain in chains:
        rdm = chain.rdm
        title = rdm.title if rdm else "(the RDM file is no longer on the default branch)"
        lines.append(f"{chain.rdm_id}  {title}")
        if rdm is not None:
            window = f"window {rdm.window}" if rdm.window else "emergency"
            priority = f", {chain.priority}" if chain.priority else ""
            lines.append(f"  {rdm.type}{priority}, {window}; targets {', '.join(rdm.targets)}")
        for change in chain.changes:
            lines.append(
                f"  merged in {change.commit[:12]} at {_when(change.at, zone)}: {change.subject}"
            )
        if not chain.records:
            lines.append("  no execution recorded")
        for record in chain.records:
            lines += _record_lines(record, zone, org)
        lines += [f"  unreadable note: {p}" for p in chain.problems]
    return "\n".join(lines) if lines else "no RDM and no execution record found"


def as_json(chains: Sequence[Chain], org: str | None = None) -> str:
    body = {
        "org": org,
        "rdms": [
            {
                "rdm": chain.rdm_id,
                "title": chain.rdm.title if chain.rdm else None,
                "type": str(chain.rdm.type) if chain.rdm else None,
                "priority": chain.priority,
                "window": chain.rdm.window.isoformat() if chain.rdm and chain.rdm.window else None,
                "targets": list(chain.rdm.targets) if chain.rdm else [],
                "changes": [
                    {"commit": c.commit, "at": c.at.isoformat(), "subject": c.subject}
                    for c in chain.changes
                ],
                "records": [record_json(r) for r in chain.records],
                "problems": list(chain.problems),
            }
            for chain in chains
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2)
