"""Files rdm leaves for CI to upload: snapshots and results under `--out`.

Each file is written beside its place and renamed over it, so a disk that
fails half-way leaves whole files, and no link is followed (`rdm.edges.writing`).
The snapshot bytes are those stored in the cluster (`model.snapshots.encode`):
`rdm rollback --file` reads them back.
"""

from __future__ import annotations

import os
from pathlib import Path

from rdm.edges.writing import open_folder, replace_file
from rdm.model import snapshots
from rdm.model.problems import ExternalError


def _write(path: Path, data: bytes) -> None:
    # No link followed at or below the current folder, nor at the out folder: a
    # planted link (or a `.partial` name) never carries the write elsewhere.
    folder = open_folder(path.parent)
    try:
        replace_file(folder, path.name, data, path)
    finally:
        os.close(folder)


def _plain(name: str) -> str:
    # Names come from the cluster (a snapshot's labels): one path component only.
    if name in ("", ".", "..") or "/" in name or "\0" in name or "\\" in name:
        raise ExternalError(f"cannot write a snapshot named {name!r}: not a file name")
    return name


def snapshot_path(out: Path, snapshot: snapshots.Snapshot) -> Path:
    org, snapshot_id = _plain(snapshot.org_id), _plain(snapshot.snapshot_id)
    return out / "snapshots" / org / f"{snapshot_id}.json.gz"


def write_snapshot(out: Path, snapshot: snapshots.Snapshot) -> Path:
    path = snapshot_path(out, snapshot)
    _write(path, snapshots.encode(snapshot))
    return path


def write_text(path: Path, text: str) -> None:
    _write(path, text.encode("utf-8"))


def append_text(path: Path, text: str) -> None:
    """Add `text` at the end of `path` ($GITHUB_STEP_SUMMARY: other steps write there too)."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise ExternalError(f"cannot write {path}: {exc.strerror or exc}") from exc


def read_snapshot(path: Path) -> snapshots.Snapshot:
    """A snapshot file written by `write_snapshot` (or downloaded from CI)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(64 * 1024 * 1024 + 1)
    except OSError as exc:
        raise ExternalError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return snapshots.decode(data)
