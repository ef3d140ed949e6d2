"""The repository loader: parallel and sequential checking give the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import overlay
from rdm.edges import repository
from rdm.edges.repository import load_work_tree

CASES = Path(__file__).parent / "cases" / "validate" / "invalid"


def test_workers_find_the_same_problems_and_models(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in ("rdm-target-unknown", "topology-inline-secret", "yaml-tab"):
        overlay(example_repo, CASES / case / "files")
    sequential = load_work_tree(example_repo)
    monkeypatch.setattr(repository, "PARALLEL_THRESHOLD", 1)
    parallel = load_work_tree(example_repo)
    assert parallel.problems == sequential.problems
    assert len(parallel.problems) == 3
    assert parallel.rdms == sequential.rdms
    assert parallel.topologies == sequential.topologies
    assert parallel.data == sequential.data
    # 4 RDMs, 4 topologies, 6 policy files
    assert parallel.files_checked == sequential.files_checked == 14


def test_priority_is_derived_from_the_matrix(example_repo: Path) -> None:
    repo = load_work_tree(example_repo)
    assert {rdm_id: repo.priority(rdm) for rdm_id, rdm in repo.rdms.items()} == {
        "RDM-2026-0041": "P3",  # medium x medium
        "RDM-2026-0042": "P2",  # medium x high
        "RDM-2026-0043": "P1",  # high x high
        "RDM-2026-0044": "P4",  # low x medium
    }
