"""The command line as a whole: help, documentation, error handling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest

from conftest import ROOT
from rdm.cli import cli

COMMANDS = sorted(cli.commands)


def test_there_are_commands() -> None:
    assert "validate" in COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help.split()) >= 5
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"rdm {name} {param.opts[0]} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_a_readme_section(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"### `rdm {name}" in readme


def test_help_exits_0(run_rdm: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_rdm("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out


def test_unknown_command_is_a_usage_error(run_rdm: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_rdm("aprovar")
    assert code == 2
    assert "No such command" in err


def test_unexpected_error_is_one_line_and_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    from rdm.commands import validate

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(validate, "load_repository", explode)
    code, out, err = run_rdm("validate")
    assert code == 3
    (log,) = (tmp_path / "state" / "rdm").iterdir()
    assert err == f"rdm: internal error: RuntimeError: disk on fire; details in {log}\n"
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert "Traceback" not in out + err


def test_console_script_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    rdm = Path(sys.executable).parent / "rdm"
    proc = subprocess.run(
        [str(rdm), "validate", "--repo", str(ROOT), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"problems": []' in proc.stdout
