"""Benchmark of how rdm reads a work tree (not a test): the safe way against a naive one.

rdm lists the data folders by descriptor and opens every file component by
component with O_NOFOLLOW | O_NONBLOCK, checking each with fstat
(`rdm.edges.sources.WorkTree`). This measures what that costs against
`os.walk` + `open` on the repository `bench/validate.py` generates (1,000
topologies, 10,000 RDMs). Best of 3, alternating. Run:
`.venv/bin/python bench/reading.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))

from validate import generate  # noqa: E402

from rdm.edges.sources import WorkTree  # noqa: E402 - after the path is set

LIMIT = 1024 * 1024 + 1


def naive(root: Path) -> int:
    total = 0
    for top in ("rdms", "topologies", "policy"):
        for folder, _dirs, names in os.walk(root / top):
            for name in names:
                with Path(folder, name).open("rb") as handle:
                    total += len(handle.read(LIMIT))
    return total


def safe(root: Path) -> int:
    tree = WorkTree(root)
    return sum(len(tree.read(relative)) for relative in tree.files())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, 1000, 10000)
        count = sum(1 for _ in WorkTree(root).files())
        best: dict[str, float] = {}
        runs: list[tuple[str, Callable[[Path], int]]] = [("naive", naive), ("safe", safe)] * 3
        sizes = set()
        for name, function in runs:
            start = time.perf_counter()
            sizes.add(function(root))
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
        assert len(sizes) == 1, "both ways must read the same bytes"
    print(f"{count:,} files, best of 3")
    print("| way | seconds | files/s |")
    print("|---|---:|---:|")
    for label, name in (
        ("naive: os.walk + open + read", "naive"),
        ("rdm: by descriptor, O_NOFOLLOW, fstat", "safe"),
    ):
        print(f"| {label} | {best[name]:.3f} | {count / best[name]:,.0f} |")


if __name__ == "__main__":
    main()
