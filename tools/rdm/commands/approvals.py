"""`rdm approvals PR_NUMBER`: the committee's verdict on a pull request.

Reads the PR from GitHub (`rdm.edges.github`), has `repository.decide_from_git` read
policy, RDMs and topologies from the local clone and ask `rdm.decisions.approvals.decide`,
and prints the verdict; `--publish` sets the `rdm/committee` commit status on
the head commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.decisions import approvals
from rdm.edges.github import GitHubClient
from rdm.edges.repository import decide_from_git
from rdm.model.problems import UsageError
from rdm.reports import jsontext


@click.command("approvals")
@click.argument("number", type=click.IntRange(min=1), metavar="PR_NUMBER")
@click.option(
    "--repo-slug",
    default=None,
    help="owner/name of the GitHub repository [default: $GITHUB_REPOSITORY].",
)
@repo_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Set the commit status `rdm/committee` on the PR's head commit.",
)
def command(
    number: int, repo_slug: str | None, repo: Path, output_format: str, publish: bool
) -> int:
    """Decide whether the committee approved pull request PR_NUMBER.

    Consensus of every CM member (normal changes) or CME member (emergencies,
    with the `emergency` label from an emergency labeler), or one change manager
    for a standard change within its template. Needs GITHUB_TOKEN; the API URL
    comes from GITHUB_API_URL. Exit 0 approved, 1 pending or rejected, 3 when
    GitHub or git failed.
    """
    slug = repo_slug or os.environ.get("GITHUB_REPOSITORY")
    if not slug or slug.count("/") != 1:
        raise UsageError(
            "name the repository with --repo-slug owner/name (or set GITHUB_REPOSITORY)"
        )
    client = GitHubClient.from_env(
        os.environ, notify=lambda message: output.echo(f"rdm: {message}", err=True)
    )
    pr = client.pull_request(slug, number)
    verdict = decide_from_git(repo, pr)
    if output_format == "json":
        output.echo(jsontext.dumps(verdict.as_json(number), indent=2))
    else:
        output.echo(approvals.verdict_text(number, verdict))
    if publish:
        state, description = approvals.commit_status(verdict)
        client.set_status(slug, pr.head_sha, state, description, _run_url(slug))
        output.echo(
            f"published {approvals.STATUS_CONTEXT} = {state} on {pr.head_sha[:7]}", err=True
        )
    return 0 if verdict.verdict is approvals.Outcome.APPROVED else 1


def _run_url(slug: str) -> str | None:
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{slug}/actions/runs/{run}" if server and run else None
