"""Execution records as git notes, in a real repository."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import git
import pytest

from rdm.edges import notes
from rdm.model.problems import ExternalError
from rdm.model.records import NOTES_REF
from test_records import record


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    repository = git.Repo.init(tmp_path / "repo")
    with repository.config_writer() as config:
        config.set_value("user", "name", "rdm-test")
        config.set_value("user", "email", "rdm-test@example.invalid")
    (tmp_path / "repo" / "a.txt").write_text("a\n")
    repository.index.add(["a.txt"])
    repository.index.commit("first")
    return repository


def test_no_note_is_no_record(repo: git.Repo) -> None:
    assert notes.read(Path(repo.working_dir), repo.head.commit.hexsha) == ([], [])
    assert notes.read_all(Path(repo.working_dir)) == {}


def test_records_accumulate_on_the_merge_commit(repo: git.Repo) -> None:
    root, sha = Path(repo.working_dir), repo.head.commit.hexsha
    first, second = record(rdm_id="RDM-2026-0041"), record()
    notes.append(root, sha, [first])
    notes.append(root, sha, [second])
    assert notes.read(root, sha) == ([first, second], [])
    assert notes.read_all(root) == {sha: ([first, second], [])}
    # plain git shows it: the chain is readable without rdm
    assert "RDM-2026-0041" in repo.git.log("--notes=rdm", "-1")


def test_a_large_note_is_written_whole(repo: git.Repo) -> None:
    root, sha = Path(repo.working_dir), repo.head.commit.hexsha
    many = record(reasons=tuple(f"reason {i} " + "x" * 200 for i in range(1000)))
    notes.append(root, sha, [many])
    assert notes.read(root, sha)[0] == [many]


def test_an_unreadable_note_is_never_overwritten(repo: git.Repo) -> None:
    root, sha = Path(repo.working_dir), repo.head.commit.hexsha
    repo.git.notes("--ref", NOTES_REF, "add", "-m", "escrito à mão", sha)
    records, errors = notes.read(root, sha)
    assert records == [] and errors[0].startswith("a nota não é JSON")
    with pytest.raises(ExternalError, match=r"cannot be read .*not overwriting it"):
        notes.append(root, sha, [record()])
    assert repo.git.notes("--ref", NOTES_REF, "show", sha) == "escrito à mão"


@pytest.mark.parametrize("commit", ["HEAD", "--all", "a" * 39, "A" * 40, "a" * 40 + "\n"])
def test_only_a_full_commit_id_is_accepted(repo: git.Repo, commit: str) -> None:
    with pytest.raises(ExternalError, match="not a full commit id"):
        notes.append(Path(repo.working_dir), commit, [record()])


def test_push_and_fetch_through_a_remote(repo: git.Repo, tmp_path: Path) -> None:
    remote = git.Repo.init(tmp_path / "remote.git", bare=True)
    repo.create_remote("origin", remote.working_dir)
    root, sha = Path(repo.working_dir), repo.head.commit.hexsha
    utc = record(started_at=record().started_at.astimezone(timezone(timedelta(0))))
    notes.append(root, sha, [utc])
    notes.push(root)
    clone = git.Repo.clone_from(remote.working_dir, tmp_path / "clone")
    notes.fetch(Path(clone.working_dir))
    assert notes.read(Path(clone.working_dir), sha) == ([utc], [])


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ExternalError, match="is not a git repository"):
        notes.read(tmp_path, "a" * 40)


def test_read_all_says_of_every_note_what_read_says(repo: git.Repo, tmp_path: Path) -> None:
    # read_all takes every note blob through one cat-file process (bench/people.py);
    # it must answer exactly as reading each commit's note does, hostile notes included.
    root = Path(repo.working_dir)
    bodies = [b"escrito \xe0 m\xe3o", b"\xff\xfe not utf-8", b"x" * (1024 * 1024 + 1)]
    shas = []
    for index, body in enumerate(bodies):
        (root / "a.txt").write_text(f"{index}\n")
        repo.index.add(["a.txt"])
        sha = repo.index.commit(f"c{index}").hexsha
        note = tmp_path / f"note{index}"
        note.write_bytes(body)
        repo.git.notes("--ref", NOTES_REF, "add", "-F", str(note), sha)
        shas.append(sha)
    first = repo.commit("HEAD~3").hexsha  # the fixture's commit, without a note
    notes.append(root, first, [record()])
    everything = notes.read_all(root)
    assert set(everything) == {*shas, first}
    for sha, found in everything.items():
        assert found == notes.read(root, sha), sha
    assert everything[shas[1]][1][0].startswith("a nota não é JSON: 'utf-8' codec can't")
    assert everything[shas[2]] == ([], ["a nota passa de 1024 KiB; não foi lida"])
