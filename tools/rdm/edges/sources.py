"""Where a repository's files come from: a work tree or a git revision.

The I/O half of loading: `WorkTree` reads files from disk, `GitRevision` reads
blobs from git's object store without a checkout; `load` reads one file and
hands its bytes to `rdm.model.documents.parse`. Only this module imports git.

rdm reads only the repository's own regular files. Anything else found where
data lives -- a symbolic link (any link, wherever it points: the simplest rule
that cannot be talked round), a FIFO, a socket, a device, a folder named like a
data file, a git submodule, a folder that cannot be listed -- is `Refused`: it
becomes a finding and is never opened. A work-tree file is opened component by
component relative to the repository root with O_NOFOLLOW and O_NONBLOCK, and
what was opened is checked with fstat, so a file swapped for a link or a FIFO
between listing and reading is refused too, and nothing blocks. At most
`MAX_BYTES + 1` bytes are read, whatever the size the file system announces.

This module must never follow a link, open anything but a regular file, or read a
path outside the repository (a path with `..`, or a revision that names one).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from rdm.model.documents import MAX_BYTES, TOO_LARGE, LoadResult, parse
from rdm.model.problems import ExternalError, Level, Problem, RdmError, UsageError

# The folders rdm reads data from; nothing else in a repository is opened.
DATA_FOLDERS = ("rdms", "topologies", "policy")
MAX_DEPTH = 16  # folders below a data folder
# A folder with one of these endings would be taken for a data file by its name.
_FILE_LIKE = (".yaml", ".yml")


@dataclass(frozen=True, order=True)
class Refused:
    """An entry where data lives that rdm will not read, and why."""

    relative: str
    reason: str
    rule: str = "file-type"


class Unreadable(Exception):
    """One file that cannot be read as data: becomes a problem at its first line."""

    def __init__(self, message: str, rule: str = "file-type") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


class Source(Protocol):
    """Where a repository's files come from: a work tree or a git revision."""

    def files(self) -> Iterator[str]:
        """Every regular file as a POSIX path relative to the repository root."""
        ...

    def refused(self) -> list[Refused]:
        """Entries under the data folders that are not regular files (never read)."""
        ...

    def read(self, relative: str) -> bytes:
        """At most MAX_BYTES + 1 bytes of a regular file; `Unreadable` otherwise."""
        ...

    def display(self, relative: str) -> str:
        """The path as shown in problems."""
        ...


def _kind(mode: int) -> str:
    """What a non-regular file is."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISREG(mode):
        return "a file"
    return "not a regular file"


def _not_read(kind: str) -> str:
    """The finding for an entry that is not a regular file."""
    if kind == "a symbolic link":
        return f"{kind}; rdm never reads through a link, only the repository's own regular files"
    return f"{kind}, not a regular file; rdm reads only the repository's own regular files"


def _not_a_folder(kind: str) -> str:
    """The finding for a data folder (rdms/, topologies/, policy/) that is something else."""
    if kind == "a symbolic link":
        return f"{kind}, not a folder; rdm never reads through a link"
    return f"{kind}, not a folder; rdm reads data only from the folders {', '.join(DATA_FOLDERS)}"


def _parts(relative: str) -> list[str]:
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise Unreadable("not a path inside the repository")
    return parts


# O_NOFOLLOW refuses a link as the last component; O_NONBLOCK keeps a FIFO that
# slipped in from blocking the open; O_NOCTTY keeps a terminal from becoming ours.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK


@dataclass(frozen=True)
class WorkTree:
    root: Path
    label: str = ""  # the --repo the user typed, prefixed to shown paths

    def files(self) -> Iterator[str]:
        yield from self._listing[0]

    def refused(self) -> list[Refused]:
        return list(self._listing[1])

    @cached_property
    def _listing(self) -> tuple[tuple[str, ...], tuple[Refused, ...]]:
        files: list[str] = []
        refused: list[Refused] = []
        try:
            root = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise ExternalError(
                f"cannot read the repository folder {self.root}: {exc.strerror or exc}"
            ) from exc
        try:
            for top in DATA_FOLDERS:
                found: list[str] = []
                self._scan(root, top, top, found, refused)
                files += sorted(found)
        finally:
            os.close(root)
        return tuple(files), tuple(sorted(refused))

    def _scan(
        self,
        parent: int,
        name: str,
        relative: str,
        files: list[str],
        refused: list[Refused],
        depth: int = 0,
    ) -> None:
        """List one folder by its descriptor, without following any link."""
        if depth > MAX_DEPTH:
            # Data is at most rdms/<year>/<file>; a deep tree would cost a descriptor
            # and a stack frame per level.
            refused.append(Refused(relative, f"folders nested over {MAX_DEPTH} deep; not read"))
            return
        try:
            before = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return  # a data folder the repository does not have
        except OSError as exc:
            refused.append(Refused(relative, f"cannot read the folder: {exc.strerror}", "io"))
            return
        if not stat.S_ISDIR(before.st_mode):
            refused.append(Refused(relative, _not_a_folder(_kind(before.st_mode))))
            return
        try:
            folder = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            refused.append(Refused(relative, _open_failure(exc, "folder"), "io"))
            return
        try:
            if not os.path.samestat(before, os.fstat(folder)):
                refused.append(Refused(relative, "replaced while it was read; not read"))
                return
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                refused.append(
                    Refused(relative, f"cannot read the folder: {exc.strerror}", "io")
                )
                return
            for entry in entries:
                path = f"{relative}/{entry.name}"
                if entry.is_symlink():
                    refused.append(Refused(path, _not_read("a symbolic link")))
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name.endswith(_FILE_LIKE):
                        refused.append(Refused(path, _not_read("a folder named like a data file")))
                    elif not entry.name.startswith("."):
                        self._scan(folder, entry.name, path, files, refused, depth + 1)
                elif entry.is_file(follow_symlinks=False):
                    files.append(path)
                else:
                    try:
                        mode = entry.stat(follow_symlinks=False).st_mode
                    except OSError:
                        mode = 0
                    refused.append(Refused(path, _not_read(_kind(mode))))
        finally:
            os.close(folder)

    def read(self, relative: str) -> bytes:
        parts = _parts(relative)
        folder = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                try:
                    inner = os.open(part, _DIR_FLAGS, dir_fd=folder)
                except OSError as exc:
                    # O_DIRECTORY on a link to a folder says ENOTDIR: look at what it is
                    if exc.errno == errno.ENOTDIR and _is_link(folder, part):
                        raise Unreadable(_not_read("a symbolic link")) from exc
                    raise _unreadable(exc, "folder") from exc
                os.close(folder)
                folder = inner
            return read_regular(folder, parts[-1])
        finally:
            os.close(folder)

    def display(self, relative: str) -> str:
        if not self.label or self.label in (".", "./"):
            return relative
        return str(PurePosixPath(self.label) / relative)


def _is_link(folder: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_failure(exc: OSError, what: str) -> str:
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        return _not_read("a symbolic link")
    if exc.errno == errno.ENOTDIR:
        return f"not a {what}; rdm reads only the repository's own regular files"
    return f"cannot read the {what}: {exc.strerror}"


def _unreadable(exc: OSError, what: str) -> Unreadable:
    if isinstance(exc, FileNotFoundError):
        raise exc  # absent is not unreadable: callers tell the two apart
    io_error = exc.errno not in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)
    return Unreadable(_open_failure(exc, what), "io" if io_error else "file-type")


def read_regular(folder: int, name: str) -> bytes:
    """At most MAX_BYTES + 1 bytes of the regular file `name` in the folder open as
    `folder`, never blocking; `Unreadable` for anything else (FileNotFoundError as is)."""
    try:
        before = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError as exc:
        raise _unreadable(exc, "file") from exc
    if not stat.S_ISREG(before.st_mode):
        raise Unreadable(_not_read(_kind(before.st_mode)))
    try:
        handle = os.open(name, _FILE_FLAGS, dir_fd=folder)
    except OSError as exc:
        raise _unreadable(exc, "file") from exc
    try:
        opened = os.fstat(handle)
        if not stat.S_ISREG(opened.st_mode) or not os.path.samestat(before, opened):
            raise Unreadable("replaced while it was read; not read")
        # Read to the limit whatever st_size says: /proc-like files announce 0,
        # and a file may grow while it is read.
        chunks: list[bytes] = []
        left = MAX_BYTES + 1
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise _unreadable(exc, "file") from exc
    finally:
        os.close(handle)


def read_text(root: Path, relative: str) -> str | None:
    """A regular file of the work tree as text (None when absent), read as `WorkTree`
    reads data: no link followed, nothing but a regular file, at most 1 MiB.

    Anything else is an `RdmError` naming the file (exit 1).
    """
    try:
        raw = WorkTree(root).read(relative)
    except FileNotFoundError:
        return None
    except Unreadable as exc:
        raise RdmError(f"{relative}: {exc.message}") from exc
    except OSError as exc:
        raise RdmError(f"{relative}: cannot read: {exc.strerror}") from exc
    if len(raw) > MAX_BYTES:
        raise RdmError(f"{relative}: {TOO_LARGE}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RdmError(f"{relative}: not UTF-8") from exc


# ---------------------------------------------------------------- git revisions

# A revision is a branch, tag or commit id, optionally followed by ~N or ^N.
# Anything else git would accept -- `HEAD:path` (a tree or blob, possibly with
# `..`), `HEAD^{tree}`, `@{...}` reflog forms, `:/text` searches, ranges, and a
# leading `-` that git reads as an option -- is refused before git sees it.
_REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*(?:[~^][0-9]{0,6})*", re.ASCII)
_REVISION_FORM = (
    "a branch, tag or commit id, optionally with ~N or ^N (paths like HEAD:dir, "
    "ranges, @{...} and ^{...} forms and anything starting with '-' are not accepted)"
)


def check_revision(revision: str) -> str:
    """`revision` if it names a commit in a form rdm accepts; `UsageError` otherwise."""
    if not revision.strip():
        raise UsageError("--rev '' names no commit; give " + _REVISION_FORM)
    name = re.sub(r"(?:[~^][0-9]{0,6})*\Z", "", revision)
    if (
        not _REVISION.fullmatch(revision)
        or len(revision) > 255
        or ".." in revision
        or "//" in revision
        or "/." in name
        or name.endswith(("/", ".", ".lock"))
    ):
        raise UsageError(f"--rev {revision!r} is not a revision rdm reads; give " + _REVISION_FORM)
    return revision


_GIT_LINK = 0o120000
_GIT_REGULAR = (0o100644, 0o100755, 0o100664)


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

        check_revision(self.revision)
        try:
            repo = git.Repo(self.root, search_parent_directories=False)
        except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
            raise ExternalError(f"{self.root} is not a git repository") from exc
        try:
            return repo.commit(self.revision)
        except (
            git.exc.GitError,
            git.exc.BadName,
            git.exc.BadObject,
            ValueError,
            KeyError,
            IndexError,
        ) as exc:
            if re.fullmatch(r"[0-9a-f]{40}", self.revision):
                # A full SHA that git does not know: a shallow or stale clone.
                raise ExternalError(
                    f"commit {self.revision[:12]} is not in the clone at {self.root}; fetch it "
                    "(in GitHub Actions: actions/checkout with fetch-depth: 0)"
                ) from exc
            raise ExternalError(
                f"cannot read revision {self.revision!r}: {' '.join(str(exc).split())}"
            ) from exc

    @cached_property
    def _listing(self) -> tuple[tuple[str, ...], tuple[Refused, ...]]:
        files: list[str] = []
        refused: list[Refused] = []
        entries = {_entry_name(entry): entry for entry in self._tree}
        for top in DATA_FOLDERS:
            entry = entries.get(top)
            if entry is None:
                continue
            if entry.type != "tree":
                refused.append(Refused(top, _not_a_folder(_git_kind(entry))))
                continue
            self._scan(entry, top, files, refused)
        return tuple(files), tuple(sorted(refused))

    def _scan(
        self, tree: Any, relative: str, files: list[str], refused: list[Refused], depth: int = 0
    ) -> None:
        if depth > MAX_DEPTH:
            refused.append(Refused(relative, f"folders nested over {MAX_DEPTH} deep; not read"))
            return
        for entry in sorted(tree, key=_entry_name):
            name = _entry_name(entry)
            path = f"{relative}/{name}"
            if name in ("", ".", "..") or "\0" in name:
                refused.append(Refused(path, "a name git itself refuses; not read"))
            elif entry.type == "tree":
                if name.endswith(_FILE_LIKE):
                    refused.append(Refused(path, _not_read("a folder named like a data file")))
                else:
                    self._scan(entry, path, files, refused, depth + 1)
            elif entry.type == "blob" and entry.mode in _GIT_REGULAR:
                files.append(path)
            else:
                refused.append(Refused(path, _not_read(_git_kind(entry))))

    def files(self) -> Iterator[str]:
        yield from self._listing[0]

    def refused(self) -> list[Refused]:
        return list(self._listing[1])

    def read(self, relative: str) -> bytes:
        _parts(relative)
        try:
            blob = self._tree / relative
        except (KeyError, ValueError, IndexError) as exc:
            raise Unreadable(f"not in revision {self.revision}", "io") from exc
        if blob.type != "blob" or blob.mode not in _GIT_REGULAR:
            raise Unreadable(_not_read(_git_kind(blob)))
        if blob.size > MAX_BYTES:
            # git knows the size of a blob for certain; it is not streamed at all.
            raise Unreadable(TOO_LARGE, "yaml-size")
        data: bytes = blob.data_stream.read(MAX_BYTES + 1)
        return data

    def display(self, relative: str) -> str:
        return f"{self.revision}:{relative}"


def _entry_name(entry: Any) -> str:
    # A submodule's `name` comes from .gitmodules, which a hostile tree need not
    # have; the path of any entry ends with its name in the tree.
    return str(entry.path).rsplit("/", 1)[-1]


def _git_kind(entry: Any) -> str:
    if entry.type == "blob" and entry.mode == _GIT_LINK:
        return "a symbolic link"
    if entry.type in ("commit", "submodule"):
        return "a git submodule"
    if entry.type == "tree":
        return "a folder"
    if entry.type == "blob" and entry.mode in _GIT_REGULAR:
        return "a file"
    return "not a regular file"


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
    except Unreadable as exc:
        return LoadResult(None, [Problem(path, 1, 1, Level.ERROR, exc.message, exc.rule)])
    except OSError as exc:
        return LoadResult(
            None, [Problem(path, 1, 1, Level.ERROR, f"cannot read: {exc.strerror}", "io")]
        )
    return parse(path, raw)


def refused_problem(source: Source, refused: Refused) -> Problem:
    """The finding for an entry rdm will not read."""
    path = source.display(refused.relative)
    return Problem(path, 1, 1, Level.ERROR, refused.reason, refused.rule)
