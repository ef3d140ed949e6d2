"""What git says of each RDM file: when it was added, the merge that brought it, and
the commits that changed it since (its versions).

Three `git log` calls, whatever the number of RDMs, two of them over `rdms/`:

- every commit reachable from HEAD that added an RDM file: the oldest one is
  "the commit that added the RDM" (its submission when it has no PR);
- HEAD's first-parent line, each commit diffed against its first parent: the
  commit there that added the file is the one that brought it to this branch.
  When its subject is GitHub's merge (`Merge pull request #12 from …`) or squash
  (`Title (#12)`) subject, the RDM was merged by PR 12 at that commit.
- the whole first-parent line as the rollout reads it (`gitlog`): every commit
  there that changed the file is a version of the RDM, the newest one the
  commit the rollout runs it at and attaches its execution record to; the
  line itself says which commit comes after which (`due.follows_along`).

`rdm_files_ever` lists every file ever added under `rdms/` on any ref (deleted
since, or on another branch), so that `rdm new` never hands out an id that was
once used: execution records and PRs name RDMs by id.

A folder that is not a git repository, or one without commits, has no history:
every RDM there is a draft. Only the git edges import git.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdm.decisions.lifecycle import Change, GitFacts
from rdm.edges import gitlog
from rdm.model.problems import ExternalError

_MERGE = re.compile(r"^Merge pull request #([0-9]+) from ")
_SQUASH = re.compile(r"\(#([0-9]+)\)\Z")
_MARK = "\x1e"  # starts each commit's header line in the log output


def _log(repo: object, *args: str) -> list[tuple[str, datetime, str, list[str]]]:
    """(sha, commit time, subject, files) per commit of `git log` with --name-only."""
    import git

    try:
        text = str(
            repo.git.log(  # type: ignore[attr-defined]
                f"--format={_MARK}%H%x00%cI%x00%s", "--name-only", "--no-renames", *args
            )
        )
    except git.exc.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ExternalError(f"git log failed: {detail}") from exc
    found: list[tuple[str, datetime, str, list[str]]] = []
    for chunk in text.split(_MARK)[1:]:
        header, _, rest = chunk.partition("\n")
        sha, when, subject = [*header.split("\x00"), "", ""][:3]
        files = [line for line in rest.splitlines() if line.strip()]
        found.append((sha, datetime.fromisoformat(when), subject, files))
    return found


def pr_of(subject: str) -> int | None:
    """The PR number in GitHub's merge or squash subject, if it is one."""
    match = _MERGE.match(subject) or _SQUASH.search(subject.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class RdmHistory:
    files: Mapping[str, GitFacts] = field(default_factory=dict)  # path -> what git says
    line: tuple[str, ...] = ()  # HEAD's first-parent line, newest first


def rdm_facts(root: Path) -> RdmHistory:
    """What git says of each RDM file committed on HEAD, and HEAD's first-parent line."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=False)
        repo.head.commit  # noqa: B018 - raises ValueError on a repository without commits
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError, ValueError):
        return RdmHistory()
    added: dict[str, tuple[str, datetime]] = {}
    for sha, when, _subject, files in _log(repo, "--diff-filter=A", "HEAD", "--", "rdms"):
        for path in files:
            added[path] = (sha, when)  # newest first: the last seen is the oldest
    merged: dict[str, tuple[str, datetime, int | None]] = {}
    for sha, when, subject, files in _log(
        repo,
        "--first-parent",
        "--diff-merges=first-parent",
        "--diff-filter=A",
        "HEAD",
        "--",
        "rdms",
    ):
        for path in files:
            merged[path] = (sha, when, pr_of(subject))
    present = set(str(repo.git.ls_tree("-r", "--name-only", "HEAD", "--", "rdms")).splitlines())
    # The same reading of the line as the rollout's (`DefaultBranch.merged`), so that
    # both take the same commit for an RDM's version.
    line = gitlog.first_parent_line(root)
    changes: dict[str, list[Change]] = {}
    for commit in line:
        for path in commit.paths:
            if path in present:
                changes.setdefault(path, []).append(Change(commit.sha, commit.committed_at))
    facts: dict[str, GitFacts] = {}
    for path in present:
        first = added.get(path)
        merge = merged.get(path)
        via_pr = merge is not None and merge[2] is not None
        facts[path] = GitFacts(
            committed=True,
            added_at=first[1] if first else None,
            added_commit=first[0] if first else None,
            merge_commit=merge[0] if merge is not None and via_pr else None,
            merged_at=merge[1] if merge is not None and via_pr else None,
            pr=merge[2] if merge is not None else None,
            changes=tuple(changes.get(path, ())),
        )
    return RdmHistory(facts, tuple(c.sha for c in line))


def is_repository(root: Path) -> bool:
    import git

    try:
        git.Repo(root, search_parent_directories=False)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return False
    return True


def commit_exists(root: Path, sha: str) -> bool:
    import git

    try:
        repo = git.Repo(root, search_parent_directories=False)
        repo.commit(sha)
    except (git.exc.GitError, ValueError):
        return False
    return True


def rdm_files_ever(root: Path) -> set[str]:
    """Every path ever added under rdms/ on any ref (branches, remotes, tags)."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=False)
        repo.head.commit  # noqa: B018 - raises ValueError on a repository without commits
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError, ValueError):
        return set()
    added = _log(repo, "--all", "--diff-filter=A", "--", "rdms")
    return {path for *_, files in added for path in files}
