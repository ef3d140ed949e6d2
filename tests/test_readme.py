"""The README's console examples are the tool's real output.

Every `$ rdm window …` and `$ rdm calendar …` example with a fixed instant or
date, and every `$ rdm notice RDM-…` (without --send), `$ rdm logs …` and
`$ rdm committee` example, is run against the bundled example repository and compared line by line,
so the documentation cannot drift from the behaviour it shows.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples() -> list[tuple[str, str]]:
    """(command line, expected output) for each runnable example."""
    found: list[tuple[str, str]] = []
    lines = README.splitlines()
    for index, line in enumerate(lines):
        runnable = line.startswith(
            (
                "$ rdm window --at",
                "$ rdm calendar --from",
                "$ rdm notice RDM-",
                "$ rdm logs ",
                "$ rdm committee",
            )
        )
        if not runnable or ">" in line or "--send" in line:
            continue
        output: list[str] = []
        for following in lines[index + 1 :]:
            if following.startswith(("$ ", "```")):
                break
            output.append(following)
        found.append((line[2:], "\n".join(output)))
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples_to_check() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_matches_the_real_output(
    run_rdm: Callable[..., tuple[int, str, str]], command: str, expected: str
) -> None:
    _, out, _ = run_rdm(*shlex.split(command)[1:], "--repo", str(ROOT))
    assert out.rstrip("\n") == expected
