"""`rdm audit`: was every change of the default branch merged with the committee's consensus?

Reads the default branch's first-parent line from the clone (`edges.gitlog`),
asks GitHub which PR merged each commit that touches what the committee
governs and recomputes its verdict as of the merge (`edges.merges`), and
prints what `decisions.audit` finds. Exit 1 when any commit is flagged.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path

import click

from rdm.commands import _github
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_date, repo_option
from rdm.commands.output import echo, workflow_commands
from rdm.decisions import audit
from rdm.edges import gitlog, merges
from rdm.edges.repository import load_repository
from rdm.edges.sources import WorkTree
from rdm.reports import audit_report


@click.command("audit")
@repo_option
@_github.repo_slug_option
@click.option(
    "--since",
    callback=parse_date,
    metavar="DATE",
    help="Audit commits from this day on (YYYY-MM-DD, in the calendar's time zone) "
    "[default: the whole history].",
)
@click.option(
    "--rev",
    default="HEAD",
    show_default=True,
    help="The tip of the default branch in the clone.",
)
@click.option(
    "--protected-branch",
    default=None,
    metavar="BRANCH",
    help="The branch rdm guards [default: the repository's default branch, from GitHub].",
)
@click.option(
    "--committee-app",
    default=None,
    metavar="APP_SLUG",
    help="The committee's GitHub App: `rdm/committee` must be posted by APP_SLUG[bot] "
    "[default: $RDM_COMMITTEE_APP; unset: the poster is not checked].",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(sorted(audit_report.FORMATS)),
    default=None,
    help="Output format [default: github under GitHub Actions, else text].",
)
def command(
    repo: Path,
    repo_slug: str | None,
    since: date | None,
    rev: str,
    protected_branch: str | None,
    committee_app: str | None,
    output: str | None,
) -> int:
    """Recompute the committee's verdict of every merge on the default branch.

    For each commit of the first-parent line since DATE that touches rdms/,
    topologies/, policy/, schemas/, tools/ or .github/: find the pull request
    that merged it and recompute the verdict from its reviews as they stood at
    the merge. Flags direct pushes and bypasses (no PR), merges without
    consensus, merges without `rdm/committee` = success, and a success posted by
    anyone but the committee's App. Needs GITHUB_TOKEN. Exit 0 clean, 1 flagged,
    3 GitHub or git failed.
    """
    slug = _github.repo_slug(repo_slug)
    client = _github.client()
    branch = protected_branch or client.default_branch(slug)
    app = committee_app or os.environ.get("RDM_COMMITTEE_APP") or None
    poster = f"{app}[bot]" if app and not app.endswith("[bot]") else app
    start = None
    if since is not None:
        calendar_policy = load_repository(WorkTree(repo), only=["policy/calendar.yaml"]).calendar
        zone = calendar_policy.zone if calendar_policy is not None else UTC
        start = datetime.combine(since, time(0), zone)
    line = gitlog.first_parent_line(repo, rev, since=start)
    shas = [c.sha for c in line]
    entries: list[audit.Entry] = []
    for commit in reversed(line):  # oldest first: the order things happened
        if not audit.audited(commit.paths):
            continue
        found = merges.merged_by(client, slug, repo, commit.sha, branch, shas, statuses=True)
        facts = audit.Facts(
            commit=commit.sha,
            committed_at=commit.committed_at,
            subject=commit.subject,
            pr=found.pull.number if found.pull else None,
            associated=found.associated,
            head=found.pull.head_sha if found.pull else None,
            merged_at=found.merged_at,
            verdict=found.verdict,
            statuses=tuple(audit.Status(s.state, s.creator, s.created_at) for s in found.statuses),
            approvers=tuple(a.login for a in found.approvals),
        )
        entries.append(audit.judge(facts, poster))
    fmt = output or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    report = audit_report.FORMATS[fmt](branch, since, entries)
    if fmt == "github":
        workflow_commands(report)  # rdm's own ::error lines, data escaped
    else:
        echo(report)
    if poster is None:
        echo(
            "rdm: who posted rdm/committee was not checked: name the committee's App with "
            "--committee-app or RDM_COMMITTEE_APP",
            err=True,
        )
    return EXIT_FINDINGS if any(not e.ok for e in entries) else EXIT_OK
