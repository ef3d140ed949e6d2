"""`rdm approvals PR_NUMBER`: the committee's verdict on a pull request.

Reads the PR from GitHub (`rdm.github`), the committee policy and standard
templates at the PR's *base* commit (so that a PR cannot vote itself in by
editing policy/committee.yaml), the RDMs and topologies at base and head from
the local clone (`documents.GitRevision`; CI checks out with fetch-depth 0),
asks `rdm.approvals.decide` and prints the verdict; `--publish` sets the
`rdm/committee` commit status on the head commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from rdm import approvals
from rdm.cli_options import repo_option
from rdm.documents import GitRevision, Source, load
from rdm.github import GitHubClient
from rdm.policy import CommitteePolicy, StandardTemplate
from rdm.problems import RdmError, UsageError
from rdm.rdms import ChangeType, Rdm
from rdm.repository import load_repository
from rdm.standard import TopologyDiff


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
    client = GitHubClient.from_env(os.environ)
    pr = client.pull_request(slug, number)
    verdict = decide_from_git(repo, pr)
    if output_format == "json":
        click.echo(json.dumps(verdict.as_json(number), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(number, verdict))
    if publish:
        state, description = approvals.commit_status(verdict)
        client.set_status(slug, pr.head_sha, state, description, _run_url(slug))
        click.echo(f"published {approvals.STATUS_CONTEXT} = {state} on {pr.head_sha[:7]}", err=True)
    return 0 if verdict.verdict is approvals.Outcome.APPROVED else 1


def decide_from_git(repo: Path, pr: approvals.PullRequest) -> approvals.Verdict:
    """Read what the decision needs from the clone at base and head, then decide."""
    base = GitRevision(repo, pr.base_sha)
    head = GitRevision(repo, pr.head_sha)
    policy, templates = _policy_at(base)
    rdms = _rdms_at(head, pr.rdm_paths())
    diffs: tuple[TopologyDiff, ...] = ()
    if any(rdm.type is ChangeType.STANDARD for rdm in rdms.values()):
        base_files, head_files = set(base.files()), set(head.files())
        diffs = tuple(
            TopologyDiff(
                org_id,
                _raw(base, f"topologies/{org_id}.yaml", base_files),
                _raw(head, f"topologies/{org_id}.yaml", head_files),
            )
            for org_id in pr.topology_ids()
        )
    return approvals.decide(policy, pr, rdms, templates, diffs)


def _policy_at(source: GitRevision) -> tuple[CommitteePolicy, dict[str, StandardTemplate]]:
    repository = load_repository(source, only=["policy"])
    if repository.committee is None:
        details = "; ".join(str(p) for p in repository.problems if "committee" in p.path)
        raise RdmError(
            f"policy/committee.yaml cannot be read at the base commit {source.revision[:7]}"
            + (f": {details}" if details else "")
        )
    return repository.committee, repository.standard_changes


def _rdms_at(source: Source, paths: tuple[str, ...]) -> dict[str, Rdm]:
    if not paths:
        return {}
    repository = load_repository(source, only=list(paths))
    return {
        path: Rdm.from_mapping(repository.data[path]) for path in paths if path in repository.data
    }


def _raw(source: Source, relative: str, files: set[str]) -> dict[str, object] | None:
    if relative not in files:
        return None
    document = load(source, relative).document
    return document.data if document is not None and isinstance(document.data, dict) else None


def _run_url(slug: str) -> str | None:
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{slug}/actions/runs/{run}" if server and run else None


def render_text(number: int, verdict: approvals.Verdict) -> str:
    subject = ", ".join(verdict.rdm_ids) or "no RDM"
    lines = [f"PR #{number} ({subject}): {verdict.committee} {verdict.verdict}"]
    if verdict.members:
        width = max(len(m.login) for m in verdict.members) + 1
        lines.append("")
        lines += [
            f"  @{m.login:<{width}} {m.state.value.replace('_', ' ')}" for m in verdict.members
        ]
    if verdict.reasons:
        lines.append("")
        lines += [f"  - {reason}" for reason in verdict.reasons]
    return "\n".join(lines)
