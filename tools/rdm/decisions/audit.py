"""The audit: was every change of the default branch merged with the committee's consensus?

For each commit of the default branch's first-parent line that touches what
the committee governs (`AUDITED`), the audit gets from GitHub the pull request
that merged it and recomputes the verdict as the PR stood at the merge
(`rdm.edges.merges`); this module judges those facts:

- `direct-push`: no pull request merged the commit (a push to the branch, or
  an administrator's bypass of protection);
- `no-consensus`: the verdict recomputed from the reviews as of the merge is
  not approved, whatever the status said (a forged status, colluding
  workflows, a stale approval);
- `no-status`: the merged head had no `rdm/committee` status at the merge, or
  its latest one was not `success` (protection bypassed);
- `status-source`: the `success` was posted by someone else than the
  committee's App (`expected_poster`, e.g. ``rdm-committee[bot]``).

Every finding is a sentence naming the commit and the PR; a commit without any
is `ok`, with the committee and the approvals that counted.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rdm.decisions import approvals

AUDITED = ("rdms/", "topologies/", "policy/", "schemas/", "tools/", ".github/")
DIRECT_PUSH, NO_CONSENSUS, NO_STATUS, STATUS_SOURCE = (
    "direct-push",
    "no-consensus",
    "no-status",
    "status-source",
)


def audited(paths: Sequence[str]) -> bool:
    """Does a commit that changed `paths` touch what the committee governs?"""
    return any(path.startswith(AUDITED) for path in paths)


@dataclass(frozen=True)
class Status:
    """An `rdm/committee` status of the merged head, as GitHub listed it."""

    state: str
    poster: str
    at: str


@dataclass(frozen=True)
class Facts:
    """What the edges found out about one audited commit."""

    commit: str
    committed_at: datetime
    subject: str
    pr: int | None  # the PR that merged it
    associated: tuple[int, ...] = ()  # other PRs GitHub associates with the commit
    head: str | None = None
    merged_at: datetime | None = None
    verdict: approvals.Verdict | None = None
    statuses: tuple[Status, ...] = ()  # newest first, up to the merge
    approvers: tuple[str, ...] = ()  # logins whose approval counted


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str


@dataclass(frozen=True)
class Entry:
    facts: Facts
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, object]:
        facts = self.facts
        verdict = facts.verdict
        return {
            "commit": facts.commit,
            "committedAt": facts.committed_at.isoformat(),
            "subject": facts.subject,
            "pr": facts.pr,
            "head": facts.head,
            "mergedAt": None if facts.merged_at is None else facts.merged_at.isoformat(),
            "committee": None if verdict is None else verdict.committee,
            "verdict": None if verdict is None else str(verdict.verdict),
            "rdms": [] if verdict is None else list(verdict.rdm_ids),
            "approvers": list(facts.approvers),
            "status": None
            if not facts.statuses
            else {
                "state": facts.statuses[0].state,
                "poster": facts.statuses[0].poster,
                "at": facts.statuses[0].at,
            },
            "ok": self.ok,
            "findings": [{"rule": f.rule, "message": f.message} for f in self.findings],
        }


def judge(facts: Facts, expected_poster: str | None) -> Entry:
    """The findings of one audited commit (none: merged with the committee's consensus)."""
    short = facts.commit[:12]
    if facts.pr is None:
        others = (
            f"; GitHub associates {', '.join(f'#{n}' for n in facts.associated)} with it, "
            "but none of them merged it"
            if facts.associated
            else ""
        )
        return Entry(
            facts,
            (
                Finding(
                    DIRECT_PUSH,
                    f"{short} reached the default branch without a pull request (a direct "
                    f"push or an administrator's bypass){others}",
                ),
            ),
        )
    findings: list[Finding] = []
    pr = f"PR #{facts.pr}"
    head = (facts.head or "")[:12]
    verdict = facts.verdict
    if verdict is not None and verdict.verdict is not approvals.Outcome.APPROVED:
        why = "; ".join(verdict.reasons)
        findings.append(
            Finding(
                NO_CONSENSUS,
                f"{short}: {pr} was merged without the {verdict.committee}'s consensus: the "
                f"verdict recomputed from its reviews as of the merge is {verdict.verdict} "
                f"({why})",
            )
        )
    latest = facts.statuses[0] if facts.statuses else None
    if latest is None:
        findings.append(
            Finding(
                NO_STATUS,
                f"{short}: {pr} was merged with no {approvals.STATUS_CONTEXT} status on its "
                f"head {head} (branch protection bypassed)",
            )
        )
    elif latest.state != "success":
        findings.append(
            Finding(
                NO_STATUS,
                f"{short}: {pr} was merged while {approvals.STATUS_CONTEXT} on its head {head} "
                f"was {latest.state} (branch protection bypassed)",
            )
        )
    elif expected_poster and latest.poster.lower() != expected_poster.lower():
        poster = f"@{latest.poster}" if latest.poster else "an unknown poster"
        findings.append(
            Finding(
                STATUS_SOURCE,
                f"{short}: {approvals.STATUS_CONTEXT} = success on {pr}'s head {head} was "
                f"posted by {poster}, not by the committee's App @{expected_poster}",
            )
        )
    return Entry(facts, tuple(findings))
