"""Which pull request a `workflow_run` event lets rdm decide.

The privileged committee workflow runs on `workflow_run` of an unprivileged
relay workflow that the PR itself could have edited. The event comes from
GitHub, but what it says about pull requests is not evidence: its
`pull_requests` are matched by branch name (a fork's branch may share the
name of one here), `head_branch` and `display_title` are text the PR's author
chose, and the relay's `conclusion` and artifacts come from code the PR
controls. So rdm takes from the event only candidate PR numbers and the commit
the relay ran on, and accepts a candidate only when GitHub's API says that the
PR is open, that its head is that very commit, that its head branch lives in
this repository, and that it merges into the protected branch.

Pure: it reads a parsed event and `PullHead` values; fetching them is the
command's job. It never trusts a field of the event beyond its type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdm.decisions.approvals import PullHead
from rdm.model.problems import RdmError, UsageError

# More candidates than any real branch has open PRs; each one costs a request.
MAX_CANDIDATES = 10
_SHA = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")


@dataclass(frozen=True)
class WorkflowRun:
    """What rdm takes from a workflow_run event."""

    repository: str  # owner/name of the repository the run belongs to
    head_sha: str  # the commit the relay ran on
    head_repository: str  # owner/name where that commit's branch lives ('' if unknown)
    pull_numbers: tuple[int, ...]  # candidates only: each is checked through the API


def from_event(event: Any) -> WorkflowRun:
    """The run of a `workflow_run` event payload; a `UsageError` when it is not one."""

    def bad(what: str) -> UsageError:
        return UsageError(f"the --from-workflow-run file is not a workflow_run event: {what}")

    run = event.get("workflow_run") if isinstance(event, dict) else None
    if not isinstance(run, dict):
        raise bad("it has no `workflow_run` object")
    head_sha = run.get("head_sha")
    if not isinstance(head_sha, str) or not _SHA.match(head_sha):
        raise bad("`workflow_run.head_sha` is not a commit SHA")
    repository = _full_name(run.get("repository"))
    if not repository:
        raise bad("`workflow_run.repository.full_name` is missing")
    pulls = run.get("pull_requests")
    if not isinstance(pulls, list):
        raise bad("`workflow_run.pull_requests` is not a list")
    numbers: dict[int, None] = {}
    for item in pulls:
        number = item.get("number") if isinstance(item, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise bad("an entry of `workflow_run.pull_requests` has no PR number")
        numbers.setdefault(number, None)
    return WorkflowRun(repository, head_sha, _full_name(run.get("head_repository")), tuple(numbers))


def _full_name(repository: Any) -> str:
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return name if isinstance(name, str) else ""


def run_refusal(run: WorkflowRun, slug: str) -> str | None:
    """Why no PR of this run can be decided before asking GitHub; None when some may."""
    if run.repository.lower() != slug.lower():
        return f"the run belongs to {run.repository}, not to {slug}"
    if run.head_repository.lower() != slug.lower():
        source = run.head_repository or "a repository GitHub did not name"
        return (
            f"the run was for a commit of {source}, not of {slug}: "
            "rdm decides only PRs from this repository's branches"
        )
    if not run.pull_numbers:
        return "the run names no pull request (GitHub names none for a fork's PR)"
    if len(run.pull_numbers) > MAX_CANDIDATES:
        return (
            f"the run names {len(run.pull_numbers)} pull requests; "
            f"rdm checks at most {MAX_CANDIDATES}"
        )
    return None


def refusal(run: WorkflowRun, pull: PullHead, slug: str, protected_branch: str) -> str | None:
    """Why rdm must not decide `pull` for this run; None when it may."""
    number = f"#{pull.number}"
    if pull.state != "open":
        return f"{number} is {pull.state}, not open"
    if pull.head_sha != run.head_sha:
        return (
            f"{number}'s head is {pull.head_sha[:7]}, not {run.head_sha[:7]}, the commit this "
            "run was for: the PR moved since (a newer run decides it) or the run is not its"
        )
    if pull.head_repo.lower() != slug.lower():
        source = pull.head_repo or "a deleted repository"
        return (
            f"{number} comes from {source}, not from {slug}: "
            "rdm decides only PRs from this repository's branches"
        )
    if pull.base_ref != protected_branch:
        return (
            f"{number} merges into `{pull.base_ref}`, not into the protected branch "
            f"`{protected_branch}`"
        )
    return None


def choose(
    run: WorkflowRun,
    pulls: Iterable[PullHead],
    slug: str,
    protected_branch: str | None,
    refused: Iterable[str] = (),
) -> PullHead:
    """The one PR this run may decide; an `RdmError` (exit 1) saying why when there is none.

    `protected_branch` None means each PR's repository default branch;
    `refused` are reasons already found against other candidates (a number
    that names no PR here).
    """
    accepted: list[PullHead] = []
    reasons: list[str] = list(refused)
    for pull in pulls:
        reason = refusal(run, pull, slug, protected_branch or pull.default_branch)
        if reason is None:
            accepted.append(pull)
        else:
            reasons.append(reason)
    if len(accepted) == 1:
        return accepted[0]
    if accepted:
        numbers = ", ".join(f"#{p.number}" for p in accepted)
        raise RdmError(
            f"nothing decided: pull requests {numbers} all match this run; "
            "rdm decides one per run (run `rdm approvals N` for each)"
        )
    raise RdmError("nothing decided: " + "; ".join(reasons or ["the run names no pull request"]))
