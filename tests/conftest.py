"""Shared fixtures: a throw-away copy of the bundled example repository; the local
cluster of tests marked `cluster` (tests/cluster_fixture.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cluster_fixture import (  # noqa: F401  (the cluster fixtures)
    cluster,
    namespace,
    namespaces,
    proxy_for,
)
from github_fake import FakeGitHub
from rdm.edges.github import GitHubClient
from rdm.edges.repository import Repository, load_work_tree

ROOT = Path(__file__).resolve().parents[1]
DATA_FOLDERS = ("rdms", "topologies", "policy")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing "
        "(also RDM_UPDATE_GOLDEN=1)",
    )


@pytest.fixture(autouse=True)
def _language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs in the team's language, pt-BR, whatever the machine's locale;
    a test of another language sets RDM_LANG itself."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RDM_LANG", "pt_BR")
    from rdm import i18n

    previous = i18n.activate("pt_BR")
    yield
    i18n.activate(previous)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--update-golden"))
        or os.environ.get("RDM_UPDATE_GOLDEN") == "1"
    )


def copy_example(destination: Path) -> Path:
    """The example repository's data (not its tooling) under `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for folder in DATA_FOLDERS:
        shutil.copytree(ROOT / folder, destination / folder)
    return destination


def overlay(repo: Path, files: Path) -> None:
    """Lay the files of a case over a repository copy; `DELETE` lists files to remove."""
    for path in sorted(files.rglob("*")):
        if path.is_file():
            target = repo / path.relative_to(files)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    deletions = files.parent / "DELETE"
    if deletions.exists():
        for line in deletions.read_text(encoding="utf-8").split():
            (repo / line).unlink()


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


@pytest.fixture
def run_rdm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the real entry point in-process: (exit code, stdout, stderr)."""
    from rdm.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def example() -> Repository:
    repository = load_work_tree(ROOT)
    assert repository.ok, [str(p) for p in repository.problems]
    return repository


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeGitHub, sleeps: Sleeps) -> GitHubClient:
    # The fake announces x-ratelimit-reset = RESET; the clock sits 20 s before it.
    from github_fake import RESET

    return GitHubClient(
        token="ghs_test", api_url=fake.api_url, sleep=sleeps, clock=lambda: RESET - 20.0
    )
