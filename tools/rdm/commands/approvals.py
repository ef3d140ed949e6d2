"""`rdm approvals PR_NUMBER`: the committee's verdict on a pull request.

Reads the PR from GitHub (`rdm.edges.github`), has `repository.decide_from_git` read
policy, RDMs, topologies and the changed paths from the local clone and ask
`rdm.decisions.approvals.decide`, and prints the verdict; `--publish` sets the
`rdm/committee` commit status on the head commit, after reading the PR again to
make sure its head did not move, and keeps rdm's one comment on the PR up to
date (`decisions.comments` finds it, `reports.verdict_comment` writes it).
`--from-workflow-run` takes the PR from a `workflow_run` event instead,
accepting it only as `decisions.workflow_run` allows.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from rdm import i18n
from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.decisions import approvals, comments, workflow_run
from rdm.edges.github import GitHubClient, GitHubError, NotFound
from rdm.edges.repository import decide_from_git
from rdm.model.problems import ExternalError, RdmError, UsageError
from rdm.reports import jsontext, verdict_comment

# GitHub's owner and repository names: letters, digits, '-', '_' and '.'.
_SLUG = re.compile(r"\A[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")
# A user's login, or a GitHub App's bot account: `<app-slug>[bot]`.
_BOT_LOGIN = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?\Z")


@click.command("approvals")
@click.argument("number", type=click.IntRange(min=1), metavar="[PR_NUMBER]", required=False)
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
    help="Set the commit status `rdm/committee` on the PR's head commit and keep "
    "rdm's comment on the PR up to date.",
)
@click.option(
    "--bot-login",
    default=None,
    metavar="LOGIN",
    help="The account rdm comments as, such as <app-slug>[bot]: only its comments "
    "are taken for rdm's [default: $RDM_BOT_LOGIN, else who GITHUB_TOKEN is].",
)
@click.option(
    "--protected-branch",
    default=None,
    metavar="BRANCH",
    help="The branch rdm guards: PRs into any other are rejected "
    "[default: the repository's default branch].",
)
@click.option(
    "--from-workflow-run",
    "event_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="EVENT_JSON",
    help="Take the PR from this workflow_run event ($GITHUB_EVENT_PATH) instead of "
    "PR_NUMBER, checking it against GitHub.",
)
def command(
    number: int | None,
    repo_slug: str | None,
    repo: Path,
    output_format: str,
    publish: bool,
    bot_login: str | None,
    protected_branch: str | None,
    event_path: Path | None,
) -> int:
    """Decide whether the committee approved pull request PR_NUMBER.

    Consensus of every CM member (normal changes, once the Product Owner
    forwarded them with the `encaminhada` label) or CME member (emergencies,
    with the `emergency` label from an emergency labeler), and of the people
    the RDM involves; or one change manager for a standard change within its
    template. Only PRs into the protected
    branch are decided. Needs GITHUB_TOKEN; the API URL comes from
    GITHUB_API_URL (https). Exit 0 approved, 1 pending, rejected or nothing to
    decide, 3 when GitHub or git failed.
    """
    slug = repo_slug or os.environ.get("GITHUB_REPOSITORY")
    if not slug or not _SLUG.match(slug) or any(p in (".", "..") for p in slug.split("/")):
        raise UsageError(
            "name the repository with --repo-slug owner/name (or set GITHUB_REPOSITORY)"
        )
    if (number is None) == (event_path is None):
        raise UsageError("give either PR_NUMBER or --from-workflow-run EVENT_JSON")
    if protected_branch is not None and not protected_branch.strip():
        raise UsageError("--protected-branch needs a branch name")
    bot_login = bot_login or os.environ.get("RDM_BOT_LOGIN") or None
    if bot_login is not None and not _BOT_LOGIN.match(bot_login):
        raise UsageError(
            f"--bot-login (or RDM_BOT_LOGIN) {bot_login[:60]!r} is not a GitHub login "
            "nor an App's <app-slug>[bot]"
        )
    client = GitHubClient.from_env(
        os.environ, notify=lambda message: output.echo(f"rdm: {message}", err=True)
    )
    if event_path is not None:
        run = workflow_run.from_event(_read_event(event_path))
        refused = workflow_run.run_refusal(run, slug)
        if refused is not None:
            raise RdmError(f"nothing decided: {refused}")
        candidates, missing = [], []
        for candidate in run.pull_numbers:
            try:
                candidates.append(client.pull_head(slug, candidate))
            except NotFound:  # a number from another repository's PRs
                missing.append(f"#{candidate} is not a pull request of {slug}")
        head = workflow_run.choose(run, candidates, slug, protected_branch, missing)
    else:
        assert number is not None
        head = client.pull_head(slug, number)
    protected = protected_branch or head.default_branch
    # Whatever stops a run before it publishes its verdict (a page cap an
    # attacker's padding reached, git, GitHub, a bug), the commit may still carry
    # an earlier run's `success`, and a veto since would never count: take it back.
    take_back = publish and head.base_ref == protected
    with _or_taking_back(take_back, client, slug, head.head_sha):
        pr = client.pull_request(slug, head.number, head)
        verdict = decide_from_git(repo, pr, protected)
    if output_format == "json":
        output.echo(jsontext.dumps(verdict.as_json(pr.number), indent=2))
    else:
        output.echo(approvals.verdict_text(pr.number, verdict))
    if publish:
        if not verdict.publishable:
            output.echo(f"rdm: not published: {verdict.reasons[0]}", err=True)
            return 1
        # Who rdm comments as is settled before anything is written.
        bot = bot_login or client.authenticated_login()
        if bot.lower() in comments.SHARED_BOTS:
            output.echo(
                f"rdm: warning: {bot} is every workflow's account, a pull request's "
                "included: a comment by it proves nothing; publish with the committee "
                "App's token",
                err=True,
            )
        with _or_taking_back(take_back, client, slug, head.head_sha):
            moved = approvals.head_moved(pr, client.pull_head(slug, pr.number))
            if moved is None:
                state, description = approvals.commit_status(verdict)
                client.set_status(slug, pr.head_sha, state, description, _run_url(slug))
        if moved is not None:
            output.echo(f"rdm: not published: {moved}", err=True)
            return 1
        output.echo(
            f"published {approvals.STATUS_CONTEXT} = {state} on {pr.head_sha[:7]}", err=True
        )
        _keep_comment(client, slug, pr, verdict, bot)
    return 0 if verdict.verdict is approvals.Outcome.APPROVED else 1


@contextmanager
def _or_taking_back(active: bool, client: GitHubClient, slug: str, sha: str) -> Iterator[None]:
    """Run the block; if it raises and `active`, set `error` on `sha` first (best effort).

    Active only for a PR into the protected branch: a status on a side branch's
    head would also block the same commit in a PR into the protected one.
    """
    try:
        yield
    except Exception as exc:
        if active:
            _take_back(client, slug, sha, exc)
        raise


def _take_back(client: GitHubClient, slug: str, sha: str, failure: Exception) -> None:
    """Set `error` on `sha`, saying why rdm could not decide; a failure to do so is a warning."""
    state, description = approvals.undecided_status(str(failure) or type(failure).__name__)
    try:
        client.set_status(slug, sha, state, description, _run_url(slug))
    except Exception as exc:  # the failure being reported matters more than this one
        output.echo(
            f"rdm: warning: could not set {approvals.STATUS_CONTEXT} to {state} either: {exc}",
            err=True,
        )
        return
    output.echo(
        f"published {approvals.STATUS_CONTEXT} = {state} on {sha[:7]}: rdm could not decide",
        err=True,
    )


def _keep_comment(
    client: GitHubClient,
    slug: str,
    pr: approvals.PullRequest,
    verdict: approvals.Verdict,
    bot: str,
) -> None:
    """Create rdm's comment on the PR, or edit it; delete rdm's own duplicates."""
    plan = comments.plan(client.issue_comments(slug, pr.number), bot)
    for planted in plan.planted:
        author = f"@{planted.author}" if planted.author else "a deleted account"
        output.echo(
            f"rdm: warning: comment {planted.comment_id} by {author} carries rdm's marker "
            f"but is not by {bot}: left alone",
            err=True,
        )
    with i18n.using(i18n.DEFAULT):  # the team's language, whoever publishes
        text = verdict_comment.body(
            pr.number, verdict, pr.head_sha, tuple(c.author for c in plan.planted)
        )
    if plan.ours is None:
        created = client.create_comment(slug, pr.number, text)
        if created.author.lower() != bot.lower():
            # rdm would never find it again, and would add one more on every run.
            client.delete_comment(slug, created.comment_id)
            raise GitHubError(
                f"the comment was posted as @{created.author or '?'}, not as {bot}: rdm "
                "took it back, as it would not find it again; set RDM_BOT_LOGIN "
                "(--bot-login) to the account GITHUB_TOKEN belongs to"
            )
        output.echo(f"comment {created.comment_id} created on PR #{pr.number}", err=True)
    elif plan.up_to_date(text):
        output.echo(f"comment {plan.ours.comment_id} on PR #{pr.number} is up to date", err=True)
    else:
        client.edit_comment(slug, plan.ours.comment_id, text)
        output.echo(f"comment {plan.ours.comment_id} edited on PR #{pr.number}", err=True)
    for duplicate in plan.duplicates:
        client.delete_comment(slug, duplicate.comment_id)
        output.echo(f"comment {duplicate.comment_id} deleted (a duplicate of rdm's)", err=True)


def _read_event(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExternalError(f"cannot read the workflow_run event {path}: {exc}") from exc
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"the --from-workflow-run file {path} is not JSON: {exc}") from exc


def _run_url(slug: str) -> str | None:
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{slug}/actions/runs/{run}" if server and run else None
