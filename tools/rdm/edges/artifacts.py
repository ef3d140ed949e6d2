"""Files rdm leaves for CI to upload: snapshots and results under `--out`.

Each file is written beside its place and renamed over it, so a disk that
fails half-way leaves whole files. The snapshot bytes are those stored in the
cluster (`model.snapshots.encode`): `rdm rollback --file` reads them back.
"""

from __future__ import annotations

from pathlib import Path

from rdm.model import snapshots
from rdm.model.problems import ExternalError


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:
        raise ExternalError(f"cannot write {path}: {exc.strerror or exc}") from exc


def snapshot_path(out: Path, snapshot: snapshots.Snapshot) -> Path:
    return out / "snapshots" / snapshot.org_id / f"{snapshot.snapshot_id}.json.gz"


def write_snapshot(out: Path, snapshot: snapshots.Snapshot) -> Path:
    path = snapshot_path(out, snapshot)
    _write(path, snapshots.encode(snapshot))
    return path


def write_text(path: Path, text: str) -> None:
    _write(path, text.encode("utf-8"))


def read_snapshot(path: Path) -> snapshots.Snapshot:
    """A snapshot file written by `write_snapshot` (or downloaded from CI)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(64 * 1024 * 1024 + 1)
    except OSError as exc:
        raise ExternalError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return snapshots.decode(data)
