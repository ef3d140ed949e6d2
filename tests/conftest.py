from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from github_fake import FakeGitHub
from rdm.github import GitHubClient
from rdm.repository import Repository, load_work_tree

ROOT = Path(__file__).resolve().parents[1]


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
