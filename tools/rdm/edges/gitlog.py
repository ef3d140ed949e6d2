"""The default branch's history, as the rollout and the audit read it: the first-parent line.

On a protected branch every change arrives as one commit on the first-parent
line: GitHub's merge commit, squash commit or (rebase merges) the last of the
rebased commits. Reading that line, each commit diffed against its first
parent, tells which commit brought each RDM and each topology change to the
branch, which is where the execution record is attached and the revision the
rollout applies.

One `git log` for the whole line, whatever the number of RDMs; the other
questions (ancestry, merge base, a file at a commit) are one git call each.
The subject of a commit is never trusted for anything: which pull request
merged a commit is GitHub's answer (`rdm.edges.merges`), not the message's.

Only the git edges import git. Nothing here writes to the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rdm.model.problems import ExternalError

_SHA = re.compile(r"\A[0-9a-f]{40}\Z")
_MARK = "\x1e"  # starts each commit's header in the log output


@dataclass(frozen=True)
class Commit:
    """One commit of the first-parent line and the paths it changed against its first parent."""

    sha: str
    parents: tuple[str, ...]
    committed_at: datetime
    subject: str
    paths: tuple[str, ...]  # both names of a rename

    @property
    def first_parent(self) -> str | None:
        return self.parents[0] if self.parents else None


def _repo(root: Path) -> Any:
    import git  # gitpython: the git edges alone import it

    try:
        return git.Repo(root, search_parent_directories=False)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
        raise ExternalError(f"{root} is not a git repository") from exc


def _git(root: Path, *args: str) -> str:
    import git

    try:
        return str(_repo(root).git.execute(["git", *args], strip_newline_in_stdout=False))
    except git.exc.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ExternalError(f"git {args[0]} failed: {detail}") from exc


def resolve(root: Path, revision: str) -> str:
    """The full SHA of `revision` (a branch, HEAD, a SHA)."""
    if not revision.strip() or revision.startswith("-"):
        raise ExternalError(f"not a revision: {revision[:60]!r}")
    sha = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
    if not _SHA.match(sha):
        raise ExternalError(f"cannot resolve {revision[:60]!r} to a commit")
    return sha


def first_parent_line(
    root: Path, head: str = "HEAD", *, since: datetime | None = None
) -> list[Commit]:
    """The first-parent line from `head` back (newest first), each commit with its paths.

    `since`: only commits committed at or after it. Merge commits are diffed
    against their first parent (what the merge brought to the branch).
    """
    args = [
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--name-only",
        "--no-renames",
        f"--format={_MARK}%H%x00%P%x00%cI%x00%s",
    ]
    if since is not None:
        args.append(f"--since={since.isoformat()}")
    args += [resolve(root, head), "--"]
    found: list[Commit] = []
    for chunk in _git(root, *args).split(_MARK)[1:]:
        header, _, rest = chunk.partition("\n")
        sha, parents, when, subject = [*header.split("\x00"), "", "", ""][:4]
        paths = tuple(dict.fromkeys(line for line in rest.splitlines() if line.strip()))
        found.append(
            Commit(sha, tuple(parents.split()), datetime.fromisoformat(when), subject, paths)
        )
    return found


def last_changes(line: Sequence[Commit], paths: Iterable[str]) -> dict[str, Commit]:
    """For each path, the newest commit of `line` (newest first) that changed it."""
    wanted = set(paths)
    found: dict[str, Commit] = {}
    for commit in line:
        for path in commit.paths:
            if path in wanted and path not in found:
                found[path] = commit
        if len(found) == len(wanted):
            break
    return found


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    """Is `ancestor` reachable from `descendant` (a commit is its own ancestor)?"""
    import git

    try:
        _repo(root).git.merge_base("--is-ancestor", ancestor, descendant)
    except git.exc.GitCommandError as exc:
        if exc.status == 1:
            return False
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ExternalError(f"git merge-base failed: {detail}") from exc
    return True


def blob(root: Path, commit: str, path: str) -> str | None:
    """The object id of `path` in `commit`'s tree; None when it is not a file there."""
    if not _SHA.match(commit) or path.startswith("-"):
        return None
    line = _git(root, "ls-tree", "--full-tree", commit, "--", path).strip()
    fields = line.split(None, 3)
    if len(fields) == 4 and fields[1] == "blob" and fields[3] == path:
        return fields[2]
    return None


def exists(root: Path, sha: str) -> bool:
    """Is `sha` a commit of this clone?"""
    if not _SHA.match(sha):
        return False
    import git

    try:
        _repo(root).git.cat_file("-e", f"{sha}^{{commit}}")
    except git.exc.GitCommandError:
        return False
    return True


def merge_base(root: Path, first: str, second: str) -> str | None:
    import git

    try:
        out = str(_repo(root).git.merge_base(first, second)).strip()
    except git.exc.GitCommandError:
        return None
    return out if _SHA.match(out) else None


def parents(root: Path, sha: str) -> tuple[str, ...]:
    line = _git(root, "rev-list", "--parents", "-n", "1", sha).split()
    return tuple(line[1:])


def rebased_from(root: Path, first: str, last: str, head: str) -> bool:
    """Is every commit from `first` to `last` (a straight line, `first` included) a
    rebased copy of a commit reachable from `head` and not from `last`?

    That is what a rebase merge puts on the branch: each of the PR's commits
    replayed with the same patch (`git cherry`, by patch id). A commit with
    two parents, or one whose change is in none of the PR's commits, is not.
    """
    if not all(_SHA.match(sha) for sha in (first, last, head)):
        return False
    span = _git(root, "rev-list", "--parents", f"{first}^..{last}").splitlines()
    if not span or any(len(line.split()) != 2 for line in span):
        return False  # a merge commit in the span, or `first` is a root commit
    if first not in {line.split()[0] for line in span}:
        return False  # `first` is not on the way to `last`
    marks = _git(root, "cherry", head, last, f"{first}^").split()
    signs = marks[0::2]
    return len(signs) == len(span) and all(sign == "-" for sign in signs)


def holds_merge_of(root: Path, commit: str, head: str) -> bool:
    """Does `commit` hold exactly what merging `head` into its first parent gives?

    What GitHub's merge button writes (a merge commit, a squash, the last
    commit of a rebase) does; a commit that another PR's head is only said to
    have merged (an API answer, a PR that merely contained it) does not, and
    the verdict of that PR, computed on its head, would judge something else
    than what the commit brought.
    """
    if not (_SHA.match(commit) and _SHA.match(head)):
        return False
    first = parents(root, commit)[:1]
    if not first:
        return False
    import git

    try:
        merged = str(_repo(root).git.merge_tree("--write-tree", first[0], head)).split()
    except git.exc.GitCommandError:
        return False  # conflicts: GitHub would not have merged it like this
    tree = _git(root, "rev-parse", f"{commit}^{{tree}}").strip()
    return bool(merged) and merged[0] == tree
