"""The README's examples of `rdm list`, `rdm agenda`, `rdm report` and `rdm new`
are the tool's real output on the test history of `people_repo` (plus the rolled-back
standard change of the browser tests, and a later PR that changes the emergency)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import people_repo
from conftest import ROOT
from rdm.cli import cli
from rdm.edges import notes
from test_browser import record_0044

README = (ROOT / "README.md").read_text(encoding="utf-8")
PREFIXES = ("$ rdm list --at", "$ rdm agenda --meeting", "$ rdm report --window")


def _examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    lines = README.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith(PREFIXES):
            continue
        output: list[str] = []
        for following in lines[index + 1 :]:
            if following.startswith(("$ ", "```")):
                break
            output.append(following)
        found.append((line[2:], "\n".join(output)))
    return found


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme") / "repo"
    merges = people_repo.build(root, merge_0044=True)
    notes.append(root, merges["RDM-2026-0044"], [record_0044(merges["RDM-2026-0044"])])
    # PR #16 changes the emergency RDM-0043 after its rollback: a new version, not run yet
    people_repo.merge_edit(root, *EDIT_0043)
    return root


EDIT_0043 = (
    "RDM-2026-0043",
    "Atualizar a imagem do TSS com a cadeia nova.",
    "Atualizar a imagem do TSS com a cadeia nova e o certificado intermediário.",
    16,
    "2026-12-09T10:00:00-03:00",
    "2026-12-09T11:00:00-03:00",
    True,
)


def test_the_readme_shows_each_people_command() -> None:
    assert {c.split()[1] for c, _ in EXAMPLES} == {"list", "agenda", "report"}


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_matches_the_real_output(
    run_rdm: Callable[..., tuple[int, str, str]], history: Path, command: str, expected: str
) -> None:
    code, out, _ = run_rdm(*shlex.split(command)[1:], "--repo", str(history))
    assert code == 0
    assert out.rstrip("\n") == expected


def test_readme_rdm_new_session(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = README.index("$ rdm new --at 2026-12-09T11:00:00-03:00\n")
    session = README[start : README.index("```", start)].splitlines()[1:]
    # each prompt's answer follows its last ': ' (empty: the default was taken)
    told = ("Prioridade", "Clientes", "Primeira", "RDM-", "Próximo")
    prompts = [line for line in session if not line.startswith(told)]
    typed = [line.rsplit(": ", 1)[1] if not line.endswith(": ") else "" for line in prompts]
    monkeypatch.chdir(history)
    result = CliRunner(echo_stdin=True).invoke(
        cli, ["new", "--at", "2026-12-09T11:00:00-03:00"], input="\n".join(typed) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n").splitlines() == session
