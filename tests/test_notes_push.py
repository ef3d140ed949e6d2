"""`rdm notes fetch|push` between real clones of a bare remote: two rollout shards that
recorded on the same merge commit both end up in the remote's note."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from rdm.edges import notes
from rdm.model.records import NOTES_REF
from test_records import record


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    seed = git.Repo.init(tmp_path / "seed", initial_branch="main")
    with seed.config_writer() as config:
        config.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    (tmp_path / "seed" / "a.txt").write_text("a\n")
    seed.index.add(["a.txt"])
    seed.index.commit("merge of an RDM")
    seed.git.push(str(bare), "main")
    return bare


def clone(remote: Path, where: Path) -> tuple[Path, str]:
    repo = git.Repo.clone_from(str(remote), where)
    return where, repo.head.commit.hexsha


def test_a_remote_without_records_is_not_a_failure(remote, tmp_path, run_rdm):
    root, _ = clone(remote, tmp_path / "a")
    code, _, err = run_rdm("notes", "fetch", "--repo", str(root))
    assert code == 0
    assert err == f"origin has no {NOTES_REF} yet\n"


def test_two_shards_that_wrote_the_same_note_are_merged_record_by_record(remote, tmp_path, run_rdm):
    first_root, sha = clone(remote, tmp_path / "shard-1")
    second_root, _ = clone(remote, tmp_path / "shard-2")
    mine, theirs = record(rdm_id="RDM-2026-0041"), record(rdm_id="RDM-2026-0044")
    notes.append(first_root, sha, [mine])
    notes.append(second_root, sha, [theirs])

    code, _, err = run_rdm("notes", "push", "--repo", str(first_root))
    assert (code, err) == (0, f"pushed {NOTES_REF} to origin\n")
    code, _, err = run_rdm("notes", "push", "--repo", str(second_root))
    assert (code, err) == (
        0,
        f"pushed {NOTES_REF} to origin (merged with 1 push(es) of other runs)\n",
    )

    reader_root, _ = clone(remote, tmp_path / "reader")
    code, _, _ = run_rdm("notes", "fetch", "--repo", str(reader_root))
    assert code == 0
    assert notes.read(reader_root, sha) == ([mine, theirs], [])
    # Pushing again changes nothing: no record is written twice.
    code, _, _ = run_rdm("notes", "push", "--repo", str(second_root))
    assert code == 0
    run_rdm("notes", "fetch", "--repo", str(reader_root))
    assert notes.read(reader_root, sha) == ([mine, theirs], [])
