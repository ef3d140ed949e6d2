"""Where a repository's files come from: a work tree or a git revision.

The I/O half of loading: `WorkTree` reads files from disk, `GitRevision` reads
blobs from git's object store without a checkout; `load` reads one file and
hands its bytes to `rdm.model.documents.parse`. Only this module imports git.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from rdm.model.documents import MAX_BYTES, LoadResult, parse
from rdm.model.problems import ExternalError, Level, Problem


class Source(Protocol):
    """Where a repository's files come from: a work tree or a git revision."""

    def files(self) -> Iterator[str]:
        """Every file as a POSIX path relative to the repository root."""
        ...

    def read(self, relative: str) -> bytes: ...

    def display(self, relative: str) -> str:
        """The path as shown in problems."""
        ...


@dataclass(frozen=True)
class WorkTree:
    root: Path
    label: str = ""  # the --repo the user typed, prefixed to shown paths

    def files(self) -> Iterator[str]:
        # os.walk reads entry types from the directory itself: no stat per file.
        for top in ("rdms", "topologies", "policy"):
            found: list[str] = []
            for folder, dirs, names in os.walk(self.root / top):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                base = Path(folder).relative_to(self.root).as_posix()
                found += (f"{base}/{name}" for name in names)
            yield from sorted(found)

    def read(self, relative: str) -> bytes:
        with (self.root / relative).open("rb") as handle:
            # Read no more than the limit + 1, so that a huge file costs nothing.
            if os.fstat(handle.fileno()).st_size > MAX_BYTES:
                return handle.read(MAX_BYTES + 1)
            return handle.read()

    def display(self, relative: str) -> str:
        if not self.label or self.label in (".", "./"):
            return relative
        return str(PurePosixPath(self.label) / relative)


@dataclass(frozen=True)
class GitRevision:
    """The files of one commit, read from git's object store without a checkout."""

    root: Path
    revision: str

    @cached_property
    def sha(self) -> str:
        """The full SHA of the commit the revision names (what `rdm apply` records)."""
        return str(self.commit.hexsha)

    @cached_property
    def _tree(self) -> Any:
        return self.commit.tree

    @cached_property
    def commit(self) -> Any:
        import git  # gitpython: only this edge talks to git

        if not self.revision.strip():
            raise ExternalError("cannot read revision '': an empty revision names no commit")
        try:
            repo = git.Repo(self.root, search_parent_directories=False)
        except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
            raise ExternalError(f"{self.root} is not a git repository") from exc
        try:
            return repo.commit(self.revision)
        except (git.exc.GitError, git.exc.BadName, git.exc.BadObject, ValueError) as exc:
            if re.fullmatch(r"[0-9a-f]{40}", self.revision):
                # A full SHA that git does not know: a shallow or stale clone.
                raise ExternalError(
                    f"commit {self.revision[:12]} is not in the clone at {self.root}; fetch it "
                    "(in GitHub Actions: actions/checkout with fetch-depth: 0)"
                ) from exc
            raise ExternalError(
                f"cannot read revision {self.revision!r}: {' '.join(str(exc).split())}"
            ) from exc

    def files(self) -> Iterator[str]:
        tree = self._tree
        for top in ("rdms", "topologies", "policy"):
            try:
                sub = tree / top
            except KeyError:
                continue
            for item in sub.traverse():
                if item.type == "blob":
                    yield str(item.path)

    def read(self, relative: str) -> bytes:
        blob = self._tree / relative
        data: bytes = blob.data_stream.read()
        return data

    def display(self, relative: str) -> str:
        return f"{self.revision}:{relative}"


@dataclass(frozen=True)
class Change:
    """One changed path between two commits, as git's diff reports it."""

    status: str  # added | removed | modified | renamed
    path: str
    previous: str | None = None  # the old name of a rename


@dataclass(frozen=True)
class Diff:
    merge_base: str
    changes: tuple[Change, ...]


_STATUS = {"A": "added", "D": "removed", "M": "modified", "T": "modified", "R": "renamed"}


def pull_request_diff(root: Path, base: str, head: str) -> Diff:
    """What a PR from `head` into `base` changes, as GitHub computes a PR's diff.

    Three dots: from the merge base of the two commits to `head`, so that what
    the base branch gained meanwhile is not taken for the PR's change. Renames
    are detected (``-M``, git's default similarity), and a rename keeps both
    names. Both commits must be in the clone.
    """
    base_commit, head_commit = GitRevision(root, base).commit, GitRevision(root, head).commit
    import git  # gitpython: only this edge talks to git

    try:
        bases = base_commit.repo.merge_base(base_commit, head_commit)
    except git.exc.GitCommandError as exc:
        raise ExternalError(
            f"cannot find the merge base of {base[:12]} and {head[:12]}: "
            f"{' '.join(str(exc).split())}"
        ) from exc
    if not bases:
        raise ExternalError(
            f"{base[:12]} and {head[:12]} have no common ancestor in the clone at {root}: "
            "fetch their whole history (in GitHub Actions: actions/checkout with fetch-depth: 0)"
        )
    merge_base = bases[0]
    changes: list[Change] = []
    try:
        for item in merge_base.diff(head_commit, M=True):
            status = _STATUS.get(item.change_type, "modified")
            if item.change_type == "R" and item.a_path != item.b_path:
                changes.append(Change("renamed", str(item.b_path), str(item.a_path)))
            elif item.change_type == "D":
                changes.append(Change(status, str(item.a_path)))
            else:
                changes.append(Change(status, str(item.b_path or item.a_path)))
    except git.exc.GitCommandError as exc:
        raise ExternalError(
            f"cannot diff {merge_base.hexsha[:12]}...{head[:12]}: {' '.join(str(exc).split())}"
        ) from exc
    return Diff(merge_base.hexsha, tuple(changes))


def work_tree_revision(root: Path) -> str:
    """What a work tree's files are, for the record: HEAD's SHA, with `+changes` when
    rdms/, topologies/ or policy/ differ from it; `work-tree` outside a git repository."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        head = repo.head.commit.hexsha
        folders = [str(Path(root).resolve() / name) for name in ("rdms", "topologies", "policy")]
        dirty = bool(repo.git.status("--porcelain", "--", *folders).strip())
    except (git.exc.GitError, ValueError):
        return "work-tree"
    return f"{head}+changes" if dirty else head


def load(source: Source, relative: str) -> LoadResult:
    path = source.display(relative)
    try:
        raw = source.read(relative)
    except OSError as exc:
        return LoadResult(
            None, [Problem(path, 1, 1, Level.ERROR, f"cannot read: {exc.strerror}", "io")]
        )
    return parse(path, raw)
