"""Which pull request merged a commit of the default branch, and its verdict as of the merge.

The cluster side never trusts a commit status or a merge alone. For a commit
on the default branch's first-parent line this edge asks GitHub which pull
request merged it (``GET /repos/{o}/{r}/commits/{sha}/pulls``), keeps only a
PR that is merged into the default branch with that very commit as its merge
commit (GitHub also lists open PRs whose branches contain the commit, and
names the merge commit of a rebase merge), and recomputes the committee's
verdict with the default branch's code (`repository.decide_from_git`):

- the reviews and label events as they stood at `merged_at` (an approval given
  after the merge does not launder it);
- the committee policy at the PR's base: the merge commit's first parent when
  it is GitHub's merge commit of the PR's head, otherwise (squash, rebase) the
  merge base of that parent and the PR's head, where the PR branched; never a
  commit that holds the PR's own changes, so a PR cannot vote itself in;
- the PR's head read from the clone as data (in CI, `refs/pull/*/head` is
  fetched for squash merges, whose head is not on the branch).

`rdm rollout` asks this for every RDM it may apply, `rdm audit` for every
commit it audits (with the `rdm/committee` statuses of the merged head).
GitHub answers in `edges.github`; git in `edges.gitlog` and `edges.sources`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from rdm.decisions import approvals
from rdm.edges import gitlog
from rdm.edges.github import CommitStatus, GitHubClient, parse_time
from rdm.edges.repository import decide_from_git, load_repository
from rdm.edges.sources import GitRevision
from rdm.model.policy import CommitteePolicy
from rdm.model.problems import ExternalError
from rdm.model.records import Approver


@dataclass(frozen=True)
class MergeFacts:
    """What GitHub and git say of one commit of the default branch."""

    commit: str
    pull: approvals.PullHead | None  # the PR that merged it; None: none did
    associated: tuple[int, ...] = ()  # PRs GitHub associates with it that did not merge it
    pr: approvals.PullRequest | None = None  # as of the merge, base set to the policy's commit
    verdict: approvals.Verdict | None = None
    policy: CommitteePolicy | None = None  # the committee policy the verdict used
    merged_at: datetime | None = None
    # When the PR was submitted to the committee: opened, or last marked ready for
    # review (the deadline's reference, as `rdm list` counts it).
    submitted_at: datetime | None = None
    merge_commit: str | None = None  # the PR's merge commit (a rebase merge: its last commit)
    statuses: tuple[CommitStatus, ...] = ()  # rdm/committee on the head, up to the merge
    problem: str | None = None  # why the verdict could not be computed

    @property
    def approvals(self) -> tuple[Approver, ...]:
        """Whose approvals made the verdict, by the verdict's own rules (none unless approved)."""
        return () if self.verdict is None else self.verdict.approvers()


def merged_by(
    client: GitHubClient,
    slug: str,
    root: Path,
    commit: str,
    default_branch: str,
    first_parent: list[str],
    *,
    statuses: bool = False,
) -> MergeFacts:
    """The PR that merged `commit` into `default_branch`, and its verdict as of the merge.

    `first_parent` is the default branch's first-parent line (newest first), to
    recognise the last commit of a rebase merge. `statuses` also reads the
    `rdm/committee` statuses of the merged head (the audit needs them).
    Outside failures (GitHub, a head missing from the clone) raise `ExternalError`.
    """
    candidates = client.commit_pulls(slug, commit)
    pull = _merging(root, candidates, commit, default_branch, first_parent)
    others = tuple(c.number for c in candidates if pull is None or c.number != pull.number)
    if pull is None:
        return MergeFacts(commit, None, others)
    return _verdict(client, slug, root, commit, pull, default_branch, others, statuses=statuses)


def pull_verdict(
    client: GitHubClient, slug: str, root: Path, number: int, default_branch: str
) -> MergeFacts:
    """`rdm gate --pr N`: the verdict of PR `number`, as of its merge when merged (else now)."""
    pull = client.pull_head(slug, number)
    commit = pull.merge_commit_sha if pull.merged_at else None
    return _verdict(client, slug, root, commit or pull.head_sha, pull, default_branch, ())


def _verdict(
    client: GitHubClient,
    slug: str,
    root: Path,
    commit: str,
    pull: approvals.PullHead,
    default_branch: str,
    others: tuple[int, ...],
    *,
    statuses: bool = False,
) -> MergeFacts:
    merged_at = parse_time(pull.merged_at or "") if pull.merged_at else None
    if pull.merged_at and merged_at is None:
        raise ExternalError(
            f"GitHub says PR #{pull.number} merged {commit[:12]} but gives no readable merge time"
        )
    if not gitlog.exists(root, pull.head_sha):
        raise ExternalError(
            f"the head {pull.head_sha[:12]} of PR #{pull.number} is not in the clone at {root}: "
            "fetch it (git fetch origin +refs/pull/*/head:refs/remotes/pull/*)"
        )
    merge_commit = pull.merge_commit_sha if merged_at is not None else None
    if merge_commit is not None and gitlog.exists(root, merge_commit):
        base = _policy_base(root, merge_commit, pull.head_sha)
    else:  # not merged (or its merge commit is not in the clone): the PR's base
        base = pull.base_sha
    pr = client.pull_request(slug, pull.number, pull, as_of=merged_at)
    pr = replace(pr, base_sha=base)
    verdict = decide_from_git(root, pr, default_branch)
    policy = load_repository(GitRevision(root, base), only=["policy"]).committee
    found = (
        tuple(
            s
            for s in client.commit_statuses(slug, pull.head_sha)
            if s.context == approvals.STATUS_CONTEXT
            and (when := parse_time(s.created_at)) is not None
            and (merged_at is None or when <= merged_at)
        )
        if statuses
        else ()
    )
    return MergeFacts(
        commit,
        pull,
        others,
        pr,
        verdict,
        policy,
        merged_at,
        _submitted(pull.created_at, pr.ready_at),
        merge_commit,
        found,
    )


def _submitted(created_at: str, ready_at: str) -> datetime | None:
    times = [t for t in (parse_time(created_at), parse_time(ready_at)) if t is not None]
    return max(times) if times else None


def _merging(
    root: Path,
    candidates: list[approvals.PullHead],
    commit: str,
    default_branch: str,
    first_parent: list[str],
) -> approvals.PullHead | None:
    """The candidate merged into the default branch by `commit` (or by a rebase
    merge ending at a later commit of the first-parent line)."""
    position = {sha: index for index, sha in enumerate(first_parent)}  # 0 = newest
    for pull in candidates:
        if pull.merged_at is None or pull.base_ref != default_branch or not pull.merge_commit_sha:
            continue
        if pull.merge_commit_sha == commit:
            # Several PRs may claim one merge commit (an answer we do not control): the
            # one whose head the commit really merged is the one whose verdict counts.
            _need_head(root, pull)
            if gitlog.holds_merge_of(root, commit, pull.head_sha):
                return pull
            continue
        # A rebase merge puts the PR's commits on the line one after another; GitHub
        # names the last one as the merge commit. GitHub's word that the PR holds
        # `commit` is not enough (it also lists a PR whose branch merely contained
        # it, and a later merge would then vouch for a direct push before it): every
        # commit from `commit` to the merge commit must be a rebased copy of one of
        # the PR's own commits.
        last, this = position.get(pull.merge_commit_sha), position.get(commit)
        if last is None or this is None or last >= this:
            continue
        _need_head(root, pull)
        if gitlog.rebased_from(
            root, commit, pull.merge_commit_sha, pull.head_sha
        ) and gitlog.holds_merge_of(root, pull.merge_commit_sha, pull.head_sha):
            return pull
    return None


def _need_head(root: Path, pull: approvals.PullHead) -> None:
    if not gitlog.exists(root, pull.head_sha):
        raise ExternalError(
            f"the head {pull.head_sha[:12]} of PR #{pull.number} is not in the clone at "
            f"{root}: fetch it (git fetch origin +refs/pull/*/head:refs/remotes/pull/*)"
        )


def _policy_base(root: Path, merge_commit: str, head: str) -> str:
    """Where the policy that judges the PR is read: the branch just before the PR came in."""
    parents = gitlog.parents(root, merge_commit)
    if not parents:
        raise ExternalError(f"{merge_commit[:12]} has no parent: no base to read the policy at")
    if len(parents) == 2 and parents[1] == head:
        return parents[0]
    base = gitlog.merge_base(root, parents[0], head)
    if base is None:
        raise ExternalError(
            f"{parents[0][:12]} and the PR head {head[:12]} have no common ancestor in the clone"
        )
    return base
