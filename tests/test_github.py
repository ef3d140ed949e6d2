"""The GitHub client over HTTP: shapes, pagination, rate limits, errors, statuses."""

from __future__ import annotations

import pytest

from github_fake import RESET, SLUG, FakeGitHub
from rdm.decisions.approvals import ChangedFile
from rdm.edges.github import GitHubClient, GitHubError, NotFound, RateLimited

PULL = rf"^/repos/{SLUG}/pulls/7$"


@pytest.fixture
def pull(fake: FakeGitHub):
    p = fake.pull(7, "bruno-infra", head="a" * 40, base="c" * 40)
    p.change("rdms/2026/RDM-2026-0041.yaml", "added").change(
        "topologies/x.yaml", "renamed", "topologies/y.yaml"
    )
    p.review("carla-dba", "APPROVED").review(
        "ana-gerente-mudancas", "CHANGES_REQUESTED", commit="9" * 40
    )
    return p


def test_reads_the_pull_request_in_githubs_shapes(client, fake, pull):
    pr = client.pull_request(SLUG, 7)
    assert (pr.number, pr.author, pr.head_sha, pr.base_sha) == (
        7,
        "bruno-infra",
        "a" * 40,
        "c" * 40,
    )
    assert [(r.login, r.state, r.commit_id) for r in pr.reviews] == [
        ("carla-dba", "APPROVED", "a" * 40),
        ("ana-gerente-mudancas", "CHANGES_REQUESTED", "9" * 40),
    ]
    assert pr.reviews[0].submitted_at == "2026-11-24T10:00:00Z"
    assert pr.listed_files == (
        ChangedFile("rdms/2026/RDM-2026-0041.yaml", "added"),
        ChangedFile("topologies/x.yaml", "renamed", "topologies/y.yaml"),
    )
    assert pr.changed_files == ()  # git's diff fills them; GitHub's list is a cross-check
    assert (pr.base_ref, pr.head_repo) == ("main", SLUG)
    assert pr.labels == ()


def test_sends_the_token_version_and_accept_headers(client, fake, pull, httpserver):
    client.pull_request(SLUG, 7)
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer ghs_test"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_token_and_api_url_come_from_the_environment(fake, pull):
    client = GitHubClient.from_env({"GITHUB_TOKEN": "ghs_env", "GITHUB_API_URL": fake.api_url})
    assert client.pull_request(SLUG, 7).number == 7
    assert set(fake.authorizations) == {"Bearer ghs_env"}
    assert GitHubClient.from_env({}).api_url == "https://api.github.com"


def test_labels_carry_the_actor_of_their_latest_labeled_event(client, fake, pull):
    pull.add_label("emergency", "estagiario-dev").remove_label("emergency", "x").add_label(
        "emergency", "plantao-noc"
    )
    pull.add_label("docs", "bruno-infra")
    pr = client.pull_request(SLUG, 7)
    assert [(e.label, e.actor) for e in pr.labels] == [
        ("emergency", "plantao-noc"),
        ("docs", "bruno-infra"),
    ]


def test_files_follow_link_pagination(client, fake, pull):
    for index in range(250):
        pull.change(f"tools/file{index}.py")
    pr = client.pull_request(SLUG, 7)
    assert pr.listed_files is not None
    assert len(pr.listed_files) == 252
    assert sum("/files" in path for _, path in fake.requests) == 3


def test_missing_pull_request_is_a_clear_404(client, fake):
    with pytest.raises(NotFound, match=rf"pull request #404 of {SLUG} not found \(404\)"):
        client.pull_request(SLUG, 404)


def test_secondary_rate_limit_waits_retry_after_then_succeeds(client, fake, pull, sleeps):
    fake.secondary_rate_limit(PULL, retry_after=30)
    assert client.pull_request(SLUG, 7).number == 7
    assert sleeps == [30.0]


def test_secondary_rate_limit_with_a_long_wait_fails_clearly(client, fake, pull, sleeps):
    fake.secondary_rate_limit(PULL, retry_after=600)
    with pytest.raises(RateLimited, match="rate limit reached; retry in 600 s"):
        client.pull_request(SLUG, 7)
    assert sleeps == []


def test_primary_rate_limit_waits_until_reset_when_it_is_near(client, fake, pull, sleeps):
    fake.primary_rate_limit(PULL)
    assert client.pull_request(SLUG, 7).number == 7
    assert sleeps == [21.0]  # reset is 20 s away on the injected clock, plus 1 s


def test_primary_rate_limit_far_from_reset_fails(fake, pull, sleeps):
    client = GitHubClient(
        token="t", api_url=fake.api_url, sleep=sleeps, clock=lambda: RESET - 3600.0
    )
    fake.primary_rate_limit(PULL)
    with pytest.raises(RateLimited, match="retry in 3601 s"):
        client.pull_request(SLUG, 7)


def test_an_exhausted_budget_is_waited_out_before_the_next_request(client, fake, pull, sleeps):
    fake.remaining = 1  # the first response says 0 remaining
    client.pull_request(SLUG, 7)
    assert sleeps == [21.0]


def test_server_errors_are_retried_with_backoff(client, fake, pull, sleeps):
    fake.fail(rf"^/repos/{SLUG}/pulls/7/reviews$", 502, times=2)
    assert len(client.pull_request(SLUG, 7).reviews) == 2
    assert sleeps == [1.0, 2.0]


def test_server_errors_fail_after_the_retries(client, fake, pull, sleeps):
    fake.fail(PULL, 500, times=10)
    with pytest.raises(GitHubError, match=r"GitHub answered 500 4 times") as info:
        client.pull_request(SLUG, 7)
    assert info.value.status == 500
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_forbidden_that_is_no_rate_limit_is_not_retried(client, fake, pull, sleeps):
    fake.fail(PULL, 403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError, match=r"403: .*Resource not accessible by integration"):
        client.pull_request(SLUG, 7)
    assert sleeps == []


def test_unreachable_github_is_an_external_error(sleeps):
    client = GitHubClient(
        token="t", api_url="http://127.0.0.1:9", sleep=sleeps, retries=1, timeout=2
    )
    with pytest.raises(GitHubError, match="cannot reach GitHub"):
        client.pull_request(SLUG, 1)


def test_set_status_posts_the_committee_context(client, fake):
    client.set_status(SLUG, "a" * 40, "success", "x" * 200, "https://ci/run/1")
    ((sha, body),) = fake.statuses
    assert sha == "a" * 40
    assert body == {
        "state": "success",
        "context": "rdm/committee",
        "description": "x" * 140,
        "target_url": "https://ci/run/1",
    }


def test_a_body_that_is_not_json_is_a_github_error(client, fake, pull):
    fake.fail(PULL, 200, body="<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(GitHubError, match=r"pull request #7 of .*: GitHub's answer is not JSON"):
        client.pull_request(SLUG, 7)


def test_a_pull_request_without_head_is_a_github_error(client, fake, pull):
    fake.fail(PULL, 200, body={"number": 7, "user": {"login": "bruno-infra"}, "labels": []})
    with pytest.raises(GitHubError, match=r"not the shape expected: head is null, not an object"):
        client.pull_request(SLUG, 7)


def test_a_long_wait_is_announced(client, fake, pull, sleeps):
    notes: list[str] = []
    client.notify = notes.append
    fake.secondary_rate_limit(PULL, retry_after=30)
    client.pull_request(SLUG, 7)
    assert notes == [f"pull request #7 of {SLUG}: GitHub rate limit; waiting 30 s"]
