"""Nothing written where it should not be (issue 8, item 7).

The internal-error log, `rdm render --out` and `rdm codeowners` against planted
links and files rdm did not write; output errors (a closed stdout, a full disk,
a reader that went away) through a real process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from rdm.edges import writing

Run = Callable[..., tuple[int, str, str]]
RDM = [sys.executable, "-c", "import sys; from rdm.cli import main; sys.exit(main())"]


# ---------------------------------------------------------------- the error log


@pytest.fixture
def explode(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdm.commands import validate

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire\n::error::forged")

    monkeypatch.setattr(validate, "load_repository", fail)


def test_the_log_is_a_new_private_file_in_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_rdm: Run, explode: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()  # a repository, as far as the command looks
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    # the old log name, planted as a link in the working folder: never touched
    (tmp_path / "rdm-error.log").symlink_to(victim)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, err = run_rdm("validate")
    assert (code, out) == (3, "")
    (log,) = (tmp_path / "state" / "rdm").iterdir()
    assert err == (
        "rdm: internal error: RuntimeError: disk on fire\\n::error::forged; "
        f"details in {log}\n"
    )
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state" / "rdm").stat().st_mode) == 0o700
    assert "RuntimeError: disk on fire" in log.read_text(encoding="utf-8")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    # a second failure gets a file of its own
    run_rdm("validate")
    assert len(list((tmp_path / "state" / "rdm").iterdir())) == 2


def test_without_xdg_state_home_the_log_goes_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_rdm: Run, explode: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()  # a repository, as far as the command looks
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, _, err = run_rdm("validate")
    assert code == 3
    (log,) = (tmp_path / "home" / ".local" / "state" / "rdm").iterdir()
    assert err.endswith(f"; details in {log}\n")
    assert not (tmp_path / "relative").exists()


def test_an_unusable_state_folder_falls_back_to_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_rdm: Run, explode: None
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    code, _, err = run_rdm("validate")
    assert code == 3
    (log,) = temp.iterdir()
    assert log.name.startswith("rdm-error-") and log.suffix == ".log"
    assert err.endswith(f"; details in {log}\n")


# ---------------------------------------------------------------- output errors


def test_a_closed_stdout_is_one_line_and_exit_3(example_repo: Path) -> None:
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *RDM, "validate", "--repo", str(example_repo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        3,
        "rdm: cannot write to standard output: it is closed\n",
    )


def test_a_full_disk_is_one_line_and_exit_3(example_repo: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with Path("/dev/full").open("w") as full:
        proc = subprocess.run(
            [*RDM, "render", "--repo", str(example_repo)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert (proc.returncode, proc.stderr) == (
        3,
        "rdm: cannot write to standard output: No space left on device\n",
    )


def test_a_reader_that_goes_away_is_the_quiet_exit_141(example_repo: Path) -> None:
    # `rdm calendar --format json | head -c 100`: more output than a pipe buffer holds.
    with subprocess.Popen(
        [*RDM, "calendar", "--repo", str(example_repo), "--weeks", "520", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert len(proc.stdout.read(100)) == 100
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    assert (code, err) == (141, b"")


def test_a_closed_stderr_does_not_turn_an_error_into_a_crash(example_repo: Path) -> None:
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", *RDM, "render", "nope", "--repo", str(example_repo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (1, "")


# ---------------------------------------------------------------- rdm render --out


def _render(run_rdm: Run, repo: Path, out: str | Path) -> tuple[int, str, str]:
    return run_rdm("render", "--repo", str(repo), "--out", str(out))


def test_an_out_folder_that_is_a_link_is_not_written_through(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "build"
    out.symlink_to(elsewhere)
    code, stdout, err = _render(run_rdm, example_repo, out)
    assert (code, stdout) == (3, "")
    assert err == (
        f"rdm: cannot write the manifests under {out}: {out} is a symbolic link; "
        "rdm does not write through a link\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_a_link_inside_the_out_tree_is_not_written_through(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "build"
    out.mkdir()
    (out / "grupo-alvorada").symlink_to(elsewhere)
    code, _, err = _render(run_rdm, example_repo, out)
    assert code == 3
    assert f"{out / 'grupo-alvorada'} is a symbolic link; rdm does not write through" in err
    assert list(elsewhere.iterdir()) == []


def test_a_planted_link_in_place_of_a_manifest_is_replaced_not_followed(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    folder = tmp_path / "build" / "grupo-alvorada"
    folder.mkdir(parents=True)
    (folder / "00-namespace-grupo-alvorada.yaml").symlink_to(victim)
    (tmp_path / "build" / writing.RECORD).symlink_to(victim)
    code, _, _ = _render(run_rdm, example_repo, tmp_path / "build")
    assert code == 0
    assert victim.read_text(encoding="utf-8") == "precious\n"
    manifest = folder / "00-namespace-grupo-alvorada.yaml"
    assert not manifest.is_symlink() and manifest.read_text().startswith("apiVersion: v1\n")
    assert not (tmp_path / "build" / writing.RECORD).is_symlink()
    # org folders hold manifests only
    assert all(p.name.endswith(".yaml") for p in folder.iterdir())


def test_a_link_in_a_relative_out_path_inside_the_working_folder_is_refused(
    example_repo: Path, tmp_path: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request plants `build` -> somewhere; CI runs `rdm render --out build/manifests`.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (example_repo / "build").symlink_to(elsewhere)
    monkeypatch.chdir(example_repo)
    code, _, err = run_rdm("render", "--out", "build/manifests")
    assert code == 3
    assert "build is a symbolic link; rdm does not write through a link" in err
    assert list(elsewhere.iterdir()) == []
    # the same through an absolute path into the repository
    code, _, _ = _render(run_rdm, example_repo, example_repo / "build" / "manifests")
    assert code == 3
    assert list(elsewhere.iterdir()) == []


def test_links_above_the_repository_and_the_working_folder_are_the_users(
    example_repo: Path, tmp_path: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. /tmp -> /private/tmp on macOS: a path the user typed, outside what a PR controls
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    monkeypatch.chdir(example_repo)
    code, _, err = _render(run_rdm, example_repo, tmp_path / "alias" / "out")
    assert code == 0, err
    assert (real / "out" / "grupo-alvorada" / "00-namespace-grupo-alvorada.yaml").is_file()


def test_only_manifests_rdm_wrote_are_removed(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    out = tmp_path / "build"
    folder = out / "grupo-alvorada"
    folder.mkdir(parents=True)
    yours = folder / "90-deployment-minha-copia.yaml"  # named like a manifest, not rdm's
    yours.write_text("mine\n", encoding="utf-8")
    assert _render(run_rdm, example_repo, out)[0] == 0
    # Two manifests of an earlier render that the next one no longer produces, as
    # `.rdm-written` records them; the second was edited by hand since.
    text = (folder / "14-deployment-protheus-dbaccess.yaml").read_text(encoding="utf-8")
    gone, edited = folder / "93-deployment-gone.yaml", folder / "94-deployment-edited.yaml"
    record = json.loads((out / writing.RECORD).read_text(encoding="utf-8"))
    for path in (gone, edited):
        path.write_text(text, encoding="utf-8")
        record["orgs"]["grupo-alvorada"][path.name] = hashlib.sha256(text.encode()).hexdigest()
    (out / writing.RECORD).write_text(json.dumps(record), encoding="utf-8")
    edited.write_text(text + "# changed by hand\n", encoding="utf-8")
    code, _, err = _render(run_rdm, example_repo, out)
    assert code == 0
    assert not gone.exists()  # rdm's own, unchanged: removed
    assert edited.exists() and yours.exists()
    kept = (
        "it looks like an old manifest, but rdm did not write it (or it changed since); "
        "remove it yourself if it is not needed"
    )
    assert err.splitlines() == [
        f"rdm: kept {yours}: {kept}",
        f"rdm: kept {edited}: {kept}",
        f"140 manifest(s) of 4 topology(ies) written to {out}",
    ]


# ---------------------------------------------------------------- rdm codeowners


def test_codeowners_replaces_a_planted_link_and_never_writes_through_it(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (example_repo / ".github").mkdir()
    target = example_repo / ".github" / "CODEOWNERS"
    target.symlink_to(victim)
    code, _, err = run_rdm("codeowners", "--check", "--repo", str(example_repo))
    assert code == 1
    assert err == (
        "rdm: .github/CODEOWNERS: a symbolic link; rdm never reads through a link, only the "
        "repository's own regular files\n"
    )
    code, out, _ = run_rdm("codeowners", "--repo", str(example_repo))
    assert (code, out) == (0, "wrote .github/CODEOWNERS\n")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not target.is_symlink() and target.read_text(encoding="utf-8").startswith("#")
    assert run_rdm("codeowners", "--check", "--repo", str(example_repo))[0] == 0


def test_codeowners_with_a_linked_github_folder(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (example_repo / ".github").symlink_to(elsewhere)
    code, _, err = run_rdm("codeowners", "--repo", str(example_repo))
    assert code == 3
    assert err == (
        f"rdm: {example_repo / '.github'} is a symbolic link; rdm does not write through a link\n"
    )
    assert list(elsewhere.iterdir()) == []
    code, _, err = run_rdm("codeowners", "--check", "--repo", str(example_repo))
    assert code == 1
    assert err.startswith("rdm: .github/CODEOWNERS: a symbolic link")


def test_codeowners_that_is_a_fifo_does_not_block(example_repo: Path) -> None:
    (example_repo / ".github").mkdir()
    os.mkfifo(example_repo / ".github" / "CODEOWNERS")
    proc = subprocess.run(
        [*RDM, "codeowners", "--check", "--repo", str(example_repo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("rdm: .github/CODEOWNERS: a FIFO (named pipe), not a regular")
    shutil.rmtree(example_repo / ".github")


# ---------------------------------------------------------------- apply and rollback artifacts


def _snapshot(org_id: str, snapshot_id: str = "20261203T010000Z-abc") -> object:
    from datetime import UTC, datetime

    from rdm.model.snapshots import Snapshot

    return Snapshot(org_id, snapshot_id, datetime(2026, 12, 3, 1, tzinfo=UTC), "before", ())


@pytest.mark.parametrize("org_id", ["../../etc", "a/b", "..", "x\0y"])
def test_a_snapshot_named_out_of_its_folder_is_refused(tmp_path: Path, org_id: str) -> None:
    from rdm.edges import artifacts
    from rdm.model.problems import ExternalError

    with pytest.raises(ExternalError, match="not a file name"):
        artifacts.write_snapshot(tmp_path / "out", _snapshot(org_id))  # type: ignore[arg-type]
    with pytest.raises(ExternalError, match="not a file name"):
        artifacts.write_snapshot(tmp_path / "out", _snapshot("acme", org_id))  # type: ignore[arg-type]
    assert not (tmp_path / "etc").exists()


def test_artifacts_replace_planted_links_and_never_write_through_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rdm.edges import artifacts
    from rdm.model.problems import ExternalError

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    out.mkdir()
    (out / "apply.json").symlink_to(victim)
    (out / ".apply.json.partial").symlink_to(victim)  # the name the old writer used
    artifacts.write_text(out / "apply.json", "{}\n")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (out / "apply.json").read_text(encoding="utf-8") == "{}\n"
    assert not (out / "apply.json").is_symlink()
    # an out folder (inside the working folder) that is a link is not entered
    Path("linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(ExternalError, match="is a symbolic link"):
        artifacts.write_snapshot(Path("linked"), _snapshot("acme"))  # type: ignore[arg-type]
    assert list((tmp_path / "elsewhere").iterdir()) == []
