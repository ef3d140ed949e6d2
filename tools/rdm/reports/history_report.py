"""How `rdm history` tells the audit chain: RDM -> PR -> approvals -> revision -> records
-> rollbacks, for one RDM, one client (org id) or everything recorded.

The chain is read from git alone: the RDM file, the first-parent commits that
brought it to the default branch, and the execution records (git notes) that
the rollout attached to its merge commit, which name the PR, the approvals that
counted (with their review ids), the revision applied, each topology's outcome
and snapshot, and every rollback with its time against the declared one.

Text in the active language (`rdm.i18n`); the reasons recorded by the rollout
are shown as they were recorded, and the JSON keeps identifiers in English.
Pure: builds and prints from values the command read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from rdm.decisions import calendar
from rdm.i18n import N_, _
from rdm.model.rdms import Rdm
from rdm.model.records import Capacity, ExecutionRecord, Outcome, TopologyOutcome, record_json
from rdm.reports import jsontext
from rdm.reports.review_report import type_label
from rdm.reports.rollout_report import topology_outcome_label


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
    Outcome.EXECUTED: N_("executed"),
    Outcome.ROLLED_BACK: N_("rolled back"),
    Outcome.FAILED: N_("FAILED (a rollback did not finish: a person must look)"),
    Outcome.REFUSED: N_("refused"),
    Outcome.HELD: N_("held: an RDM of its dependsOn had not executed"),
}

_CAPACITIES = {
    Capacity.MEMBER: N_("member"),
    Capacity.DELEGATE: N_("delegate"),
    Capacity.INVOLVED: N_("involved"),
    Capacity.CHANGE_MANAGER: N_("change manager"),
}


def _approver(login: str, review: int, capacity: Capacity, stood_in_for: str | None) -> str:
    if stood_in_for:
        return _("@{login} (review {review}, {capacity} for @{absent})").format(
            login=login, review=review, capacity=_(_CAPACITIES[capacity]), absent=stood_in_for
        )
    return _("@{login} (review {review}, {capacity})").format(
        login=login, review=review, capacity=_(_CAPACITIES[capacity])
    )


def _record_lines(record: ExecutionRecord, zone: tzinfo | None, org: str | None) -> list[str]:
    pr = f"PR #{record.pr}" if record.pr is not None else _("no PR")
    ran = _("{outcome}: {pr} at {revision}, {took}").format(
        outcome=_(_OUTCOME_WORDS[record.outcome]),
        pr=pr,
        revision=record.revision[:12],
        took=_seconds(record.duration.total_seconds()),
    )
    shard = record.extra.get("shard")
    if isinstance(shard, str):
        ran += ", " + _("shard {shard}").format(shard=shard)
    if record.run_url:
        ran += " " + _("(run {url})").format(url=record.run_url)
    lines = [f"  {_when(record.started_at, zone)}  {ran}"]
    if record.approvers:
        who = ", ".join(
            _approver(a.login, a.review_id, a.capacity, a.stood_in_for) for a in record.approvers
        )
        lines.append("    " + _("approvals: {who}").format(who=who))
    for topology in record.topologies:
        if org is not None and topology.org_id != org:
            continue
        text = f"    {topology.org_id}: {topology_outcome_label(str(topology.outcome))}"
        if topology.snapshot_id:
            text += ", " + _("snapshot {id}").format(id=topology.snapshot_id)
        rollback = topology.rollback
        if rollback is not None:
            back = (
                _("rolled back in {took} (within the declared {declared}): {reason}")
                if rollback.within_declared
                else _("rolled back in {took} (OVER the declared {declared}): {reason}")
            )
            text += "; " + back.format(
                took=_seconds(rollback.duration.total_seconds()),
                declared=calendar.format_span(rollback.declared),
                reason=rollback.reason,
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
        title = rdm.title if rdm else _("(the RDM file is no longer on the default branch)")
        lines.append(f"{chain.rdm_id}  {title}")
        if rdm is not None:
            about = [type_label(str(rdm.type))]
            if chain.priority:
                about.append(chain.priority)
            if rdm.window:  # an emergency has none: its type says so
                about.append(_("window {day}").format(day=rdm.window))
            lines.append(
                "  "
                + _("{about}; targets {targets}").format(
                    about=", ".join(about), targets=", ".join(rdm.targets)
                )
            )
        for change in chain.changes:
            lines.append(
                "  "
                + _("merged in {commit} at {at}: {subject}").format(
                    commit=change.commit[:12], at=_when(change.at, zone), subject=change.subject
                )
            )
        if not chain.records:
            lines.append("  " + _("no execution recorded"))
        for record in chain.records:
            lines += _record_lines(record, zone, org)
        lines += ["  " + _("unreadable note: {problem}").format(problem=p) for p in chain.problems]
    return "\n".join(lines) if lines else _("no RDM and no execution record found")


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
    return jsontext.dumps(body, indent=2)
