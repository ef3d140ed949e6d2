"""Writing files without following links or overwriting what rdm did not create.

The other half of `sources`: where rdm writes -- the tree of `rdm render --out`,
`.github/CODEOWNERS`, the internal-error log -- a planted link must not carry
the write elsewhere, and a file rdm did not write must not be deleted.

- Folders are entered by descriptor, one component at a time, with O_NOFOLLOW:
  below the repository or the current folder (what a pull request can plant
  links in) and at the target folder itself, no link is followed. Parts of an
  absolute path above both are the user's own and are taken as they are.
- A file is written to a new temporary name beside its place (O_CREAT|O_EXCL|
  O_NOFOLLOW) and renamed over it: a link at the place is replaced, never
  written through, and a reader never sees half a file.
- `rdm render --out` deletes only manifests it wrote itself: the out folder
  keeps `.rdm-written`, the names and sha256 of the files of the last render
  of each org; an old manifest is removed only if it is listed there and still
  has the content rdm wrote. Anything else is kept (and named).
- The internal-error log is a new file (O_CREAT|O_EXCL, mode 0600) in the
  per-user state folder (`$XDG_STATE_HOME/rdm`, else `~/.local/state/rdm`),
  else in the temporary folder; never an existing file, never through a link.

This module never decides what to write; it writes what it is given.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdm.edges.sources import Unreadable, read_regular
from rdm.model.problems import ExternalError

RECORD = ".rdm-written"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class WriteError(ExternalError):
    """A file or folder could not be written (exit 3)."""


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(Path.cwd() / path))


def _enter(folder: int, name: str, shown: Path, *, create: bool) -> int:
    """The descriptor of folder `name` inside `folder`, made if asked; never a link."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=folder)
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR) and _is_link(folder, name):
            raise WriteError(
                f"{shown} is a symbolic link; rdm does not write through a link"
            ) from exc
        if exc.errno == errno.ENOTDIR:
            raise WriteError(f"{shown} is not a folder") from exc
        raise WriteError(f"cannot open {shown}: {exc.strerror}") from exc


def _is_link(folder: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_folder(path: Path, anchors: Iterable[Path] = (), *, create: bool = True) -> int:
    """A descriptor of folder `path`, reached without following a link at `path` or
    below the first of `anchors` (and the current folder) that holds it."""
    target = _normal(path)
    base, rest = target.parent, [target.name]
    for anchor in (*(_normal(a) for a in anchors), _normal(Path())):
        if target == anchor or anchor in target.parents:
            base, rest = anchor, list(target.relative_to(anchor).parts)
            break
    if not target.name:  # the file system root
        base, rest = target, []
    try:
        if create:
            base.mkdir(parents=True, exist_ok=True)  # above the anchors: the user's own path
        folder = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise WriteError(f"cannot open {base}: {exc.strerror or exc}") from exc
    shown = base
    try:
        for part in rest:
            shown = shown / part
            inner = _enter(folder, part, shown, create=create)
            os.close(folder)
            folder = inner
    except BaseException:
        os.close(folder)
        raise
    return folder


def replace_file(folder: int, name: str, data: bytes, shown: Path) -> None:
    """Write `name` in `folder` whole: a new file renamed over the old one (or a link)."""
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise WriteError(f"cannot write {shown}: {name!r} is not a file name")
    partial = f".{name}.{secrets.token_hex(6)}.partial"
    try:
        handle = os.open(partial, _NEW_FILE, 0o644, dir_fd=folder)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        os.replace(partial, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial, dir_fd=folder)
        raise WriteError(f"cannot write {shown}: {exc.strerror or exc}") from exc


def write_file(root: Path, relative: str, text: str) -> None:
    """`root/relative` written whole, creating its folders, following no link below root."""
    *folders, name = relative.split("/")
    folder = open_folder(root.joinpath(*folders), anchors=[root])
    try:
        replace_file(folder, name, text.encode("utf-8"), root / relative)
    finally:
        os.close(folder)


# ---------------------------------------------------------------- rdm render --out


@dataclass
class TreeResult:
    """What writing an out tree did: files written, old manifests removed or kept."""

    written: int = 0
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # looked like old manifests, not rdm's


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_record(folder: int) -> dict[str, dict[str, str]]:
    """org -> file name -> sha256 of what the last render wrote (empty when unreadable)."""
    try:
        record = json.loads(read_regular(folder, RECORD).decode("utf-8"))
    except (OSError, Unreadable, ValueError, RecursionError):
        return {}
    orgs = record.get("orgs") if isinstance(record, dict) else None
    if not isinstance(orgs, dict):
        return {}
    return {
        org: {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}
        for org, files in orgs.items()
        if isinstance(org, str) and isinstance(files, dict)
    }


def write_tree(
    out: Path,
    trees: Mapping[str, Sequence[tuple[str, str]]],
    is_manifest_name: Callable[[str], bool],
    anchors: Iterable[Path] = (),
) -> TreeResult:
    """Write `out/<org>/<name>` for every (name, text) of each org.

    Manifests of an earlier render that are no longer produced are removed after
    every new file is in place, and only when `out/.rdm-written` lists them with
    the content they still have; `is_manifest_name(name)` must hold as well. The
    record sits beside the org folders (no extension: `kubectl apply -f` and
    globs over an org folder never see it).
    """
    result = TreeResult()
    root = open_folder(out, anchors)
    try:
        record = _read_record(root)
        for org, files in trees.items():
            folder = _enter(root, org, out / org, create=True)
            try:
                previous = record.get(org, {})
                current: dict[str, str] = {}
                for name, text in files:
                    data = text.encode("utf-8")
                    replace_file(folder, name, data, out / org / name)
                    current[name] = _digest(data)
                    result.written += 1
                for name in sorted(set(_old_manifests(folder)) - set(current)):
                    if not is_manifest_name(name):
                        continue
                    if name in previous and _holds(folder, name, previous[name]):
                        try:
                            os.unlink(name, dir_fd=folder)
                        except OSError as exc:
                            raise WriteError(
                                f"cannot remove {out / org / name}: {exc.strerror}"
                            ) from exc
                        result.removed.append(out / org / name)
                    else:
                        result.kept.append(out / org / name)
                record[org] = current
            finally:
                os.close(folder)
        text = json.dumps({"orgs": record}, indent=1, sort_keys=True) + "\n"
        replace_file(root, RECORD, text.encode("utf-8"), out / RECORD)
    finally:
        os.close(root)
    return result


def _old_manifests(folder: int) -> list[str]:
    return [entry.name for entry in os.scandir(folder) if not entry.name.startswith(".")]


def _holds(folder: int, name: str, digest: str) -> bool:
    """Is `name` a regular file (not a link) with exactly the content rdm wrote?"""
    try:
        if not stat.S_ISREG(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
            return False
        return _digest(read_regular(folder, name)) == digest
    except (OSError, Unreadable):
        return False


# ---------------------------------------------------------------- the error log


def _log_folders(environ: Mapping[str, str]) -> list[Path]:
    folders: list[Path] = []
    state = environ.get("XDG_STATE_HOME", "")
    if state and Path(state).is_absolute():  # the XDG spec: a relative value is ignored
        folders.append(Path(state) / "rdm")
    else:
        with contextlib.suppress(RuntimeError, KeyError):
            home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
            folders.append(home / ".local" / "state" / "rdm")
    folders.append(Path(tempfile.gettempdir()))
    return folders


def error_log(text: str, environ: Mapping[str, str]) -> Path | None:
    """Write `text` to a new file of its own (mode 0600): its path, or None if none
    could be made."""
    for folder in _log_folders(environ):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, a name nobody chose in advance
            handle, name = tempfile.mkstemp(prefix="rdm-error-", suffix=".log", dir=folder)
        except OSError:
            continue
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as log:
                log.write(text)
        except OSError:
            continue
        return Path(name)
    return None


__all__ = [
    "RECORD",
    "TreeResult",
    "WriteError",
    "error_log",
    "open_folder",
    "replace_file",
    "write_file",
    "write_tree",
]
