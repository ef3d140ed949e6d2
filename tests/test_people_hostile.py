"""`rdm list`, `rdm agenda` and `rdm report` over a hostile history: records that
lie about time, records of RDMs that are gone, RDM files that do not load."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest

import people_repo
from rdm.model.records import note_text

Run = Callable[..., tuple[int, str, str]]
AT = "2026-12-09T12:00:00-03:00"


def _record(sha: str, **changes: Any) -> dict[str, Any]:
    """RDM-0041's record of the people history, as JSON, with changes."""
    record: dict[str, Any] = json.loads(note_text([people_repo.record_0041(sha)]))["records"][0]
    record.update(changes)
    return record


def _note(root: Path, sha: str, *records: dict[str, Any]) -> None:
    body = json.dumps({"schema": "rdm.execution/v1", "records": list(records)})
    git.Repo(root).git.notes("--ref", "refs/notes/rdm", "add", "-f", "-m", body, sha)


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "repo"
    return root, people_repo.build(root)


def _window_report(run_rdm: Run, root: Path, *extra: str) -> dict[str, Any]:
    code, out, _ = run_rdm(
        "report", "--repo", str(root), "--window", "2026-12-03", "--format", "json", *extra
    )
    assert code == 0
    body: dict[str, Any] = json.loads(out)
    return body


def test_a_record_from_the_future_does_not_hide_what_ran(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    # A record dated after `--at` (a clock gone wrong, or a replay of the past) had not
    # happened at that instant: the report, like `rdm list`, leaves it out.
    root, merges = history
    sha = merges["RDM-2026-0041"]
    future = _record(
        sha, startedAt="2099-12-03T00:05:00-03:00", finishedAt="2099-12-03T01:00:00-03:00"
    )
    _note(root, sha, _record(sha), future)
    body = _window_report(run_rdm, root, "--at", AT)
    assert [(r["id"], r["startedAt"]) for r in body["rdms"]] == [
        ("RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    ]
    _, out, _ = run_rdm("list", "--repo", str(root), "--at", AT, "--format", "json")
    rdms = {r["id"]: r for r in json.loads(out)["rdms"]}
    assert rdms["RDM-2026-0041"]["record"]["startedAt"] == "2026-12-03T00:05:00-03:00"


def test_a_record_that_ends_before_it_starts_is_left_out_and_said(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    root, merges = history
    sha = merges["RDM-2026-0041"]
    backwards = _record(
        sha, startedAt="2026-12-03T02:00:00-03:00", finishedAt="2026-12-03T01:00:00-03:00"
    )
    _note(root, sha, _record(sha), backwards)
    code, out, err = run_rdm("list", "--repo", str(root), "--at", AT)
    assert code == 0
    assert "levou -" not in out
    assert "executada de 2026-12-03 00:05 -03:00 a 2026-12-03 01:20 -03:00" in out
    assert err == (
        f"rdm: nota em {sha[:12]}: registro 2: RDM-2026-0041 termina (2026-12-03T01:00:00-03:00) "
        "antes de começar (2026-12-03T02:00:00-03:00); ficou de fora\n"
    )


def test_a_rollback_that_ends_before_it_starts_is_left_out(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    root, merges = history
    sha = merges["RDM-2026-0043"]
    record: dict[str, Any] = json.loads(note_text([people_repo.record_0043(sha)]))["records"][0]
    record["topologies"][0]["rollback"]["finishedAt"] = "2026-12-02T08:00:00-03:00"
    _note(root, sha, record)
    code, out, err = run_rdm(
        "report", "--repo", str(root), "--from", "2026-12-01", "--to", "2026-12-02", "--at", AT
    )
    assert code == 0
    assert "RDM-2026-0043" not in out
    assert "o rollback de cooperativa-vale-verde termina antes de começar" in err


def test_a_record_of_an_rdm_no_longer_in_the_tree_still_counts(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    # An RDM file deleted after it ran: the change ran all the same, and the report's
    # rates must count it. It is reported by its record, and said.
    root, merges = history
    sha = merges["RDM-2026-0041"]
    gone = _record(
        sha,
        rdm="RDM-2026-0031",
        startedAt="2026-12-03T02:00:00-03:00",
        finishedAt="2026-12-03T02:30:00-03:00",
        outcome="rolled-back",
    )
    _note(root, sha, _record(sha), gone)
    code, out, err = run_rdm(
        "report", "--repo", str(root), "--window", "2026-12-03", "--format", "json", "--at", AT
    )
    assert code == 0
    body = json.loads(out)
    assert [r["id"] for r in body["rdms"]] == ["RDM-2026-0041", "RDM-2026-0031"]
    assert body["metrics"]["rollbackRate"] == 0.5
    assert err == (
        "rdm: RDM-2026-0031: registros de execução de uma RDM que não está na árvore de "
        "trabalho; relatada só pelos registros\n"
    )


def test_an_rdm_file_that_does_not_load_is_said_not_silently_dropped(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    # A typo in a submitted RDM (a title over 120 characters) took it off the list and
    # the agenda without a word: the change manager never knew it was there.
    root, _ = history
    path = root / "rdms/2026/RDM-2026-0042.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: Aumentar", "title: " + "x" * 130 + " Aumentar"))
    for argv in (["list"], ["agenda", "--meeting", "2026-12-08"]):
        code, out, err = run_rdm(*argv, "--repo", str(root), "--at", AT)
        assert code == 0
        assert "RDM-2026-0042" not in out
        assert err == (
            f"rdm: {root}/rdms/2026/RDM-2026-0042.yaml não é uma RDM válida e ficou de fora "
            "(`rdm validate` diz por quê)\n"
        )


ESCAPES = '"Troca \\e[2J\\e]0;pwned\\a de \\u202eetnemadiurg\\u202c certificado"'


def test_terminal_escapes_in_a_title_are_shown_not_obeyed(run_rdm: Run, tmp_path: Path) -> None:
    # YAML's double quotes can carry ESC (\e), BEL and the bidi overrides that
    # reorder what a reader sees; a title must not clear the change manager's
    # terminal, retitle the window or read backwards in the agenda.
    root = tmp_path / "repo"
    people_repo.build(root, title_0041=ESCAPES)
    for argv in (
        ["agenda", "--meeting", "2026-12-08", "--at", "2026-12-08T13:00:00-03:00"],
        ["report", "--window", "2026-12-03", "--at", AT],
        ["agenda", "--meeting", "2026-12-08", "--at", "2026-12-08T13:00:00-03:00",
         "--format", "html"],
        ["report", "--window", "2026-12-03", "--at", AT, "--format", "html"],
    ):  # fmt: skip
        code, out, _ = run_rdm(*argv, "--repo", str(root))
        assert code == 0
        assert not any(c in out for c in "\x1b\x07\u202e\u202c"), argv
        if "html" in argv:  # shown as written: \x1b
            assert "Troca \\x1b[2J\\x1b]0;pwned\\x07 de \\u202eetnemadiurg\\u202c" in out
        else:  # Markdown source: the backslash itself escaped, so it renders as \x1b
            assert "Troca \\\\x1b\\[2J\\\\x1b\\]0;pwned\\\\x07 de " in out
            assert "\\\\u202eetnemadiurg\\\\u202c" in out


def test_a_hostile_rdm_id_in_a_note_reaches_the_terminal_escaped(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    root, merges = history
    sha = merges["RDM-2026-0041"]
    _note(root, sha, _record(sha), _record(sha, rdm="RDM-\x1b[31m-0001"))
    code, _, err = run_rdm("list", "--repo", str(root), "--at", AT)
    assert code == 0
    assert "\x1b" not in err
    assert "rdm: RDM-\\x1b[31m-0001: registros de execução de uma RDM" in err


def test_a_note_that_is_not_utf8_is_a_message_not_a_crash(
    run_rdm: Run, history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, merges = history
    body = tmp_path / "note"
    body.write_bytes(b"\xff\xfe{}")
    sha = merges["RDM-2026-0043"]
    git.Repo(root).git.notes("--ref", "refs/notes/rdm", "add", "-f", "-F", str(body), sha)
    code, out, err = run_rdm("list", "--repo", str(root), "--at", AT)
    assert code == 0
    assert "RDM-2026-0043" in out
    assert err.startswith(f"rdm: nota em {sha[:12]}: a nota não é JSON: 'utf-8' codec")


def test_a_record_written_in_utc_counts_in_its_local_week(
    run_rdm: Run, history: tuple[Path, dict[str, str]]
) -> None:
    # Sunday 2026-12-06 22:00 in São Paulo is Monday 01:00 in UTC: the week (and the
    # period's last day) is the team's, whatever offset the record was written with.
    root, merges = history
    sha = merges["RDM-2026-0041"]
    utc = _record(
        sha, startedAt="2026-12-07T01:00:00+00:00", finishedAt="2026-12-07T01:30:00+00:00"
    )
    _note(root, sha, utc)
    code, out, _ = run_rdm(
        "report", "--repo", str(root), "--from", "2026-11-30", "--to", "2026-12-06",
        "--format", "json", "--at", AT,
    )  # fmt: skip
    assert code == 0
    body = json.loads(out)
    assert "RDM-2026-0041" in [r["id"] for r in body["rdms"]]
    assert [(w["monday"], w["executed"]) for w in body["weeks"]] == [("2026-11-30", 1)]


@pytest.mark.parametrize("commit", ["off-the-line", "unknown", "before-the-rdm"])
def test_a_record_on_a_commit_that_is_no_version_of_the_rdm_counts_nowhere(
    run_rdm: Run, history: tuple[Path, dict[str, str]], commit: str
) -> None:
    # Anyone who can push may write a note: a record claiming RDM-0042 (committed on
    # main, never run) executed in its window, made at a commit that is not one of its
    # versions, is no run of it -- for `rdm list` (as for the rollout) and the report.
    root, merges = history
    repo = git.Repo(root)
    merge41 = repo.commit(merges["RDM-2026-0041"])
    sha = {
        "off-the-line": merge41.parents[1].hexsha,  # RDM-0041's PR branch
        "unknown": "f" * 40,
        "before-the-rdm": merge41.hexsha,  # on the line, before RDM-0042 existed
    }[commit]
    forged = _record(
        sha,
        rdm="RDM-2026-0042",
        window="2026-12-10",
        startedAt="2026-12-10T00:05:00-03:00",
        finishedAt="2026-12-10T00:50:00-03:00",
    )
    _note(root, merges["RDM-2026-0041"], _record(merges["RDM-2026-0041"]), forged)
    at = "2026-12-11T12:00:00-03:00"
    _, out, _ = run_rdm("list", "--repo", str(root), "--at", at, "--format", "json")
    item = {r["id"]: r for r in json.loads(out)["rdms"]}["RDM-2026-0042"]
    assert (item["state"], item["record"], item["earlierRecord"]) == ("submitted", None, None)
    body = _window_report(run_rdm, root, "--at", at)  # the window of 12-03
    assert [r["id"] for r in body["rdms"]] == ["RDM-2026-0041"]
    code, out, _ = run_rdm(
        "report", "--repo", str(root), "--window", "2026-12-10", "--format", "json", "--at", at
    )
    assert (code, json.loads(out)["rdms"]) == (0, [])
