"""Shared fixtures: the bundled example repository and the golden-file switch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing "
        "(also RDM_UPDATE_GOLDEN=1)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--update-golden"))
        or os.environ.get("RDM_UPDATE_GOLDEN") == "1"
    )


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A copy of the repository's example data (topologies, policy, RDMs)."""
    root = tmp_path / "repo"
    for folder in ("topologies", "policy", "rdms"):
        shutil.copytree(ROOT / folder, root / folder)
    return root
