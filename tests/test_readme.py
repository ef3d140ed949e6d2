"""The README's console examples are the tool's real output.

Every `$ rdm window …` and `$ rdm calendar …` example with a fixed instant or
date, every `$ rdm notice RDM-…` (without --send), `$ rdm logs …` (without --tail) and
`$ rdm committee` example, and every `$ rdm validate …` example, is run and
compared line by line, so the documentation cannot drift from the behaviour it
shows. The examples run against the bundled example repository; a console
block preceded by `<!-- example repository + tests/cases/... -->` runs in a
copy of it with that case folder laid over, from the copy's root (as a user in
their repository).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, copy_example, overlay

README = (ROOT / "README.md").read_text(encoding="utf-8")
_OVERLAY = re.compile(r"<!-- example repository \+ (tests/cases/\S+) -->")


def _examples() -> list[tuple[str, str, str | None]]:
    """(command line, expected output, folder laid over the example) for each example."""
    found: list[tuple[str, str, str | None]] = []
    lines = README.splitlines()
    pending: str | None = None  # a marker waiting for its block
    laid: str | None = None  # the folder of the block being read
    in_block = False
    for index, line in enumerate(lines):
        marker = _OVERLAY.fullmatch(line.strip())
        if marker is not None:
            pending = marker.group(1)
            continue
        if line.startswith("```"):
            in_block = not in_block
            laid, pending = (pending, None) if in_block else (None, pending)
            continue
        runnable = line.startswith(
            (
                "$ rdm window --at",
                "$ rdm calendar --from",
                "$ rdm notice RDM-",
                "$ rdm logs ",
                "$ rdm committee",
                "$ rdm validate",
            )
        )
        # --tail reads a cluster's pods, whose names are new each run: the session in
        # the README is real output, and tests/test_logs_cluster.py checks the same
        # behaviour line by line against the local control plane
        if not runnable or ">" in line or "--send" in line or "--tail" in line:
            continue
        output: list[str] = []
        for following in lines[index + 1 :]:
            if following.startswith(("$ ", "```")):
                break
            output.append(following)
        found.append((line[2:], "\n".join(output), laid))
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples_to_check() -> None:
    assert len(EXAMPLES) >= 4
    assert any(command.startswith("rdm validate") and laid for command, _, laid in EXAMPLES)


@pytest.mark.parametrize(
    ("command", "expected", "laid"), EXAMPLES, ids=[c for c, _, _ in EXAMPLES]
)
def test_readme_example_matches_the_real_output(
    run_rdm: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    expected: str,
    laid: str | None,
) -> None:
    if laid is None:
        _, out, _ = run_rdm(*shlex.split(command)[1:], "--repo", str(ROOT))
    else:
        repo = copy_example(tmp_path / "repo")
        overlay(repo, ROOT / laid)
        monkeypatch.chdir(repo)
        _, out, _ = run_rdm(*shlex.split(command)[1:])
    assert out.rstrip("\n") == expected
