"""`rdm gate RDM-ID`: may this RDM be applied now? The rollout's own gate, applying nothing.

Reads the clone (the RDM, its merge commit, what the revision carries, the
records) and GitHub (the PR that merged it and its reviews as of the merge),
and prints `decisions.gate`'s answer with its reasons. No cluster: the
revision a topology is at comes from the execution records.
"""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _github
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.commands.rollout import shifted_clock
from rdm.edges.default_branch import DefaultBranch, NotesLedger
from rdm.edges.repository import load_repository
from rdm.edges.sources import WorkTree
from rdm.model.problems import RdmError, UsageError
from rdm.operations import rollout
from rdm.reports import rollout_report


@click.command("gate")
@click.argument("rdm_id", metavar="RDM-ID")
@repo_option
@_github.repo_slug_option
@click.option("--at", "at", metavar="ISO8601", help="Decide as of this instant. Default: now.")
@click.option(
    "--pr",
    "number",
    type=click.IntRange(min=1),
    default=None,
    help="Take the verdict from this PR instead of the one GitHub says merged the RDM.",
)
@click.option(
    "--protected-branch",
    default=None,
    metavar="BRANCH",
    help="The default branch [default: GitHub's answer].",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def command(
    rdm_id: str,
    repo: Path,
    repo_slug: str | None,
    at: str | None,
    number: int | None,
    protected_branch: str | None,
    output: str,
) -> int:
    """Decide whether RDM-ID may be applied at an instant, with the reasons.

    The committee's verdict recomputed from the reviews of the PR that merged
    it, the window (or, for an emergency, the clients' notice), the deadline of
    the meeting that approved it, conflicts with the other RDMs of its window,
    whether implementation + rollback still fit, and what its merge commit
    would carry along. Needs GITHUB_TOKEN. Exit 0 allowed, 1 blocked, 3 GitHub
    or git failed.
    """
    instant = parse_instant(at)
    # One instant: the gate decides for a moment, not over a run.
    clock = shifted_clock(None) if instant is None else (lambda: instant)
    repository = load_repository(WorkTree(repo))
    policy = repository.calendar
    if policy is None:
        raise UsageError("policy/calendar.yaml cannot be read: no window can be decided")
    if rdm_id not in repository.rdms:
        raise RdmError(f"{rdm_id} is not a valid RDM of {repo} (run `rdm validate`)")
    slug = _github.repo_slug(repo_slug)
    client = _github.client()
    branch = protected_branch or client.default_branch(slug)
    facts = DefaultBranch(repo, client, slug, branch)
    merged = facts.merged(repository)
    item = next((m for m in merged if m.rdm.id == rdm_id), None)
    if item is None:
        raise RdmError(f"{rdm_id} is not on {branch} in the clone: it has not been merged")
    verification = facts.verify_pull(item, number) if number else facts.verify(item)
    decision = rollout.check(
        item,
        verification,
        merged=merged,
        policy=policy,
        facts=facts,
        ledger=NotesLedger(repo),
        clock=clock,
    )
    if output == "json":
        echo(rollout_report.gate_json(decision))
    else:
        echo(rollout_report.gate_text(decision))
    return EXIT_OK if decision.allowed else EXIT_FINDINGS
