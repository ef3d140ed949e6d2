"""The README's `rdm gate` and `rdm audit` examples are the tool's real output on the
example's history (tests/merged_history.py, the history `make run` builds). Commit ids
depend on the example files' bytes, so they are compared as placeholders."""

from __future__ import annotations

import re
import shlex

import pytest

from conftest import ROOT
from github_fake import SLUG
from merged_history import History, MergingGitHub, example

README = (ROOT / "README.md").read_text(encoding="utf-8")
_HEX = re.compile(r"\b[0-9a-f]{7,40}\b")


def _examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    lines = README.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith(("$ rdm gate ", "$ rdm audit ")):
            continue
        output: list[str] = []
        for following in lines[index + 1 :]:
            if following.startswith(("$ ", "```")):
                break
            output.append(following)
        found.append((line[2:], "\n".join(output)))
    return found


EXAMPLES = _examples()


def masked(text: str) -> str:
    return _HEX.sub("<sha>", text)


def test_the_readme_has_gate_and_audit_examples() -> None:
    assert {c.split()[1] for c, _ in EXAMPLES} == {"gate", "audit"}


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_rollout_example_matches_the_real_output(
    httpserver, tmp_path, monkeypatch, run_rdm, command: str, expected: str
) -> None:
    github = MergingGitHub(httpserver)
    history = History(tmp_path / "repo", github)
    example(history)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    _, out, _ = run_rdm(*shlex.split(command)[1:], "--repo", str(history.root))
    assert masked(out.rstrip("\n")) == masked(expected)
