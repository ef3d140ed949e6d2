"""Check a new RDM against the repository and write it without ever overwriting.

The new file is checked as `rdm validate` would check it, laid over the work
tree in memory (`Overlay`), so the schema, the RDM's own rules and the rules
that need other files (targets exist, the window is scheduled, not frozen and
holds implementation + rollback) all apply before anything is written. The
write is `O_CREAT | O_EXCL`: a file that appeared meanwhile is never replaced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdm.edges import history
from rdm.edges.repository import load_repository
from rdm.edges.sources import Refused, WorkTree
from rdm.edges.writing import open_folder
from rdm.model.problems import ExternalError, Problem

_ANY_ID = re.compile(r"RDM-[0-9]{4}-[0-9]{4}", re.IGNORECASE)
_ID_LINE = re.compile(r"^\s*id:\s*['\"]?(RDM-[0-9]{4}-[0-9]{4})", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Overlay:
    """A work tree with extra files held in memory."""

    base: WorkTree
    extra: dict[str, bytes] = field(default_factory=dict)

    def files(self) -> Iterator[str]:
        seen = set(self.extra)
        yield from sorted(seen)
        yield from (f for f in self.base.files() if f not in seen)

    def refused(self) -> list[Refused]:
        return [r for r in self.base.refused() if r.relative not in self.extra]

    def read(self, relative: str) -> bytes:
        if relative in self.extra:
            return self.extra[relative]
        return self.base.read(relative)

    def display(self, relative: str) -> str:
        return self.base.display(relative)


def existing_ids(root: Path, year: int) -> list[str]:
    """Every RDM id of `year` that is taken, however its file is (mis)named.

    Taken: named by a file anywhere under rdms/ (any case, any extension, any
    folder: `RDM-2026-0050.yml`, `rdm-2026-0050.yaml`, `rdms/2025/RDM-2026-0050.yaml`,
    `RDM-2026-0050 (cópia).yaml`), written as the `id:` of a YAML file there, or
    named by a file ever added under rdms/ on any git ref (an RDM deleted since,
    or on another branch: its execution records and PR still name that id).
    """
    folder = root / "rdms"
    names: list[str] = []
    if folder.is_dir():
        for path in folder.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            names.append(path.name)
            if path.suffix.lower() in (".yaml", ".yml"):
                names += _ID_LINE.findall(_head(path))
    names += [Path(p).name for p in history.rdm_files_ever(root)]
    found = {m.group(0).upper() for name in names for m in _ANY_ID.finditer(name)}
    return sorted(i for i in found if i[4:8] == str(year))


def _head(path: Path) -> str:
    """The start of a file, where its `id:` is (a huge or unreadable file says nothing)."""
    try:
        with path.open("rb") as handle:
            return handle.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return ""


def check(root: Path, label: str, relative: str, text: str) -> list[Problem]:
    """The problems `rdm validate` would report for the new file."""
    source = Overlay(WorkTree(root, label), {relative: text.encode("utf-8")})
    return load_repository(source, only=[relative]).problems


def write_new(root: Path, relative: str, text: str) -> bool:
    """Create the file; False when it already exists (nothing is written then)."""
    folder_name, _, name = relative.rpartition("/")
    # No link followed below the repository: a planted rdms/2026 -> elsewhere is refused.
    folder = open_folder(root / folder_name, anchors=[root])
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(name, flags, 0o644, dir_fd=folder)
    except FileExistsError:
        return False
    except OSError as exc:
        raise ExternalError(f"cannot create {relative}: {exc.strerror or exc}") from exc
    finally:
        os.close(folder)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return True
