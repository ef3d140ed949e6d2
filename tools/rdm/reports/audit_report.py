"""How `rdm audit` prints its entries: text, JSON, or GitHub workflow commands.

Pure: strings from `decisions.audit.Entry` values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rdm.decisions.audit import Entry
from rdm.reports import jsontext
from rdm.reports.reporting import workflow_data


def _headline(branch: str, since: date | None, entries: Sequence[Entry]) -> str:
    flagged = sum(1 for e in entries if not e.ok)
    scope = f" since {since.isoformat()}" if since else ""
    return f"rdm audit of {branch}{scope}: {len(entries)} commit(s) audited, {flagged} flagged"


def _line(entry: Entry) -> list[str]:
    facts = entry.facts
    when = facts.committed_at.strftime("%Y-%m-%d")
    pr = f"PR #{facts.pr}" if facts.pr is not None else "no PR"
    head = f"{facts.commit[:12]} {when} {pr}"
    if entry.ok:
        verdict = facts.verdict
        what = (
            f"{verdict.committee} {verdict.verdict} ({', '.join(verdict.rdm_ids) or 'no RDM'})"
            if verdict is not None
            else "approved"
        )
        who = ", ".join(f"@{login}" for login in facts.approvers)
        return [f"{head}: ok: {what}" + (f"; approvals of {who}" if who else "")]
    return [f"{head}: flagged [{f.rule}]: {f.message}" for f in entry.findings]


def text(branch: str, since: date | None, entries: Sequence[Entry]) -> str:
    lines = [_headline(branch, since, entries)]
    for entry in entries:
        lines += _line(entry)
    return "\n".join(lines)


def as_json(branch: str, since: date | None, entries: Sequence[Entry]) -> str:
    body = {
        "branch": branch,
        "since": None if since is None else since.isoformat(),
        "audited": len(entries),
        "flagged": sum(1 for e in entries if not e.ok),
        "commits": [e.as_json() for e in entries],
    }
    return jsontext.dumps(body, indent=2)


def github(branch: str, since: date | None, entries: Sequence[Entry]) -> str:
    lines = [_headline(branch, since, entries)]
    for entry in entries:
        for finding in entry.findings:
            message = workflow_data(finding.message)
            lines.append(f"::error title=rdm audit {finding.rule}::{message}")
    return "\n".join(lines)


FORMATS = {"text": text, "json": as_json, "github": github}
