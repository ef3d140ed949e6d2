"""The GitHub client over HTTP: shapes, pagination, rate limits, errors, statuses."""

from __future__ import annotations

import re

import pytest

from github_fake import RESET, SLUG, FakeGitHub
from rdm.decisions.approvals import ChangedFile
from rdm.edges.github import GitHubClient, GitHubError, NotFound, RateLimited
from rdm.model.problems import UsageError

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


# ------------------------------------------------------ the token stays home


@pytest.fixture
def evil():
    """A second local server, on another port: where an attacker wants the token to go."""
    from pytest_httpserver import HTTPServer
    from werkzeug import Response

    server = HTTPServer(host="127.0.0.1", port=0)
    seen: list[str | None] = []

    def record(request):
        seen.append(request.headers.get("Authorization"))
        return Response("[]", 200, content_type="application/json")

    server.expect_request(re.compile(r"^/.*")).respond_with_handler(record)
    server.start()
    server.tokens = seen  # type: ignore[attr-defined]
    yield server
    server.clear()
    if server.is_running():
        server.stop()


REVIEWS = rf"^/repos/{SLUG}/pulls/7/reviews$"


def next_page(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next"'}


@pytest.mark.parametrize(
    "target",
    [
        "{evil}/repos/saas-team/rdm-changes/pulls/7/reviews?page=2",  # another port
        # the same server under another name
        "http://127.0.0.1:{port}/repos/saas-team/rdm-changes/pulls/7/reviews?page=2",
        "https://localhost:{port}/repos/saas-team/rdm-changes/pulls/7/reviews?page=2",  # https
        "//127.0.0.1:{evil_port}/page2",  # scheme-relative
        "ftp://127.0.0.1:{port}/page2",
    ],
    ids=["other-port", "other-host-name", "other-scheme", "scheme-relative", "ftp"],
)
def test_a_next_page_on_another_origin_is_an_error_and_never_gets_the_token(
    client, fake, pull, evil, target
):
    url = target.format(
        evil=evil.url_for("").rstrip("/"), port=fake.server.port, evil_port=evil.port
    )
    fake.fail(REVIEWS, 200, headers=next_page(url), body=[])
    with pytest.raises(GitHubError) as info:
        client.pull_request(SLUG, 7)
    assert str(info.value).startswith(
        f"reviews of pull request #7 of {SLUG}: GitHub's answer points to "
    )
    assert str(info.value).endswith(
        f"which is not GITHUB_API_URL's host (http://localhost:{fake.server.port}): "
        "rdm does not follow it, and never sends the token there"
    )
    assert evil.tokens == []
    assert "page2" not in " ".join(path for _, path in fake.requests)


def test_a_redirect_to_another_host_is_not_followed(client, fake, pull, evil):
    fake.fail(PULL, 302, headers={"Location": evil.url_for("/steal")})
    with pytest.raises(GitHubError, match=r"points to http://127\.0\.0\.1:") as info:
        client.pull_request(SLUG, 7)
    assert info.value.status is None
    assert evil.tokens == []


def test_a_redirect_on_the_api_host_is_followed_with_the_token(client, fake, pull):
    """A renamed repository answers 301 to its new URL on the same host."""
    fake.fail(r"^/repos/old-name/rdm/pulls/7$", 301, headers={"Location": f"/repos/{SLUG}/pulls/7"})
    head = client.pull_head("old-name/rdm", 7)
    assert head.head_sha == "a" * 40
    assert fake.requests == [
        ("GET", "/repos/old-name/rdm/pulls/7"),
        ("GET", f"/repos/{SLUG}/pulls/7"),
    ]
    assert fake.authorizations == ["Bearer ghs_test", "Bearer ghs_test"]


def test_redirects_stop_after_three(client, fake, pull):
    fake.fail(PULL, 301, times=10, headers={"Location": f"/repos/{SLUG}/pulls/7"})
    with pytest.raises(GitHubError, match=r"GitHub answered 301 \(a redirect to http://localhost"):
        client.pull_request(SLUG, 7)
    assert len(fake.requests) == 4


def test_a_redirect_of_a_status_post_is_not_followed(client, fake, evil):
    fake.fail(rf"^/repos/{SLUG}/statuses/", 307, headers={"Location": f"/repos/{SLUG}/x"})
    with pytest.raises(GitHubError, match=r"GitHub answered 307 .*which rdm does not follow here"):
        client.set_status(SLUG, "a" * 40, "success", "ok")
    assert len(fake.requests) == 1


def test_a_page_url_that_repeats_stops_the_reading(client, fake, pull):
    again = fake.server.url_for(f"/repos/{SLUG}/pulls/7/reviews") + "?per_page=100"
    fake.fail(REVIEWS, 200, times=5, headers=next_page(again), body=[])
    with pytest.raises(
        GitHubError,
        match=r"reviews of .*: GitHub's next page after page 1 is a page already read; "
        "rdm stops rather than loop",
    ):
        client.pull_request(SLUG, 7)
    assert sum("/reviews" in path for _, path in fake.requests) == 1


def test_pagination_stops_past_the_page_cap(client, fake, pull):
    from rdm.edges.github import MAX_PAGES

    for index in range(MAX_PAGES * 100 + 1):
        pull.review(f"observer-{index}", "COMMENTED")
    with pytest.raises(
        GitHubError, match=r"more than 100 pages of 100 items; rdm reads no further"
    ):
        client.pull_request(SLUG, 7)
    assert sum("/reviews" in path for _, path in fake.requests) == MAX_PAGES


@pytest.mark.parametrize(
    "url",
    [
        "http://api.github.example",
        "http://10.0.0.1:8080",
        "http://127.0.0.1.evil.example",
        "ftp://api.github.com",
        "api.github.com",
        "https://user:secret@api.github.com",
        "https://api.github.com:99999",
        "https://api.github.com/api/v3?x=1",
    ],
)
def test_an_unsafe_api_url_is_refused(url):
    with pytest.raises(UsageError) as info:
        GitHubClient(token="t", api_url=url)
    assert "secret" not in str(info.value)
    assert str(info.value).startswith("GITHUB_API_URL ")


def test_plain_http_is_refused_with_the_reason():
    with pytest.raises(UsageError) as info:
        GitHubClient.from_env({"GITHUB_API_URL": "http://api.github.example/api/v3"})
    assert str(info.value) == (
        "GITHUB_API_URL must be https:// (http://api.github.example is plain http); plain http "
        "is accepted only on a loopback address (127.0.0.1, ::1, localhost), for tests"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.github.com",
        "https://ghe.example.com/api/v3",
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:8080",
        "http://localhost:3000",
    ],
)
def test_https_and_loopback_api_urls_are_accepted(url):
    assert GitHubClient(token="t", api_url=url).api_url == url


# --------------------------------------------- answers of the wrong shape


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (PULL, [], "the pull request is a list, not an object"),
        (PULL, "null", "the pull request is null, not an object"),
        (REVIEWS, {"message": "x"}, "GitHub's answer is an object, not the list expected"),
        (REVIEWS, ["APPROVED"], "item 0 is a string, not an object"),
        (
            REVIEWS,
            [{"user": "carla-dba", "state": "APPROVED", "commit_id": "a" * 40}],
            "user is a string, not an object",
        ),
        (
            REVIEWS,
            [{"user": {"login": "carla-dba"}, "state": 1, "commit_id": "a" * 40}],
            "review state is a number, not a string",
        ),
        (rf"^/repos/{SLUG}/pulls/7/files$", [{"status": "added"}], "file name is null"),
    ],
    ids=[
        "pull-list",
        "pull-text",
        "reviews-object",
        "review-text",
        "user-text",
        "state-number",
        "file-without-name",
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_github_error(client, fake, pull, path, body, message):
    fake.fail(path, 200, body=body)
    with pytest.raises(GitHubError, match=re.escape(message)):
        client.pull_request(SLUG, 7)


def _pull_json(pull, **changes):
    data = pull.as_json()
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"head__sha": "../../../user/repos"},
            "head.sha is '../../../user/repos', not a commit SHA",
        ),
        ({"head__sha": "A" * 40}, "not a commit SHA"),
        ({"base__sha": None}, "base.sha is null, not a string"),
        ({"base__ref": ["main"]}, "base.ref is a list, not a string"),
        ({"base__repo": None}, "base.repo is null, not an object"),
        ({"base__repo__default_branch": 0}, "base.repo.default_branch is a number"),
        ({"labels": {"name": "emergency"}}, "labels is an object, not a list"),
        ({"labels": ["emergency"]}, "labels[0] is a string, not an object"),
        ({"number": "7"}, "number is a string, not an integer"),
        ({"number": True}, "number is a boolean, not an integer"),
        ({"number": 8}, "GitHub answered with pull request #8"),
        ({"user": ["x"]}, "user is a list, not an object"),
    ],
)
def test_a_pull_request_of_the_wrong_shape_is_a_github_error(client, fake, pull, changes, message):
    fake.fail(PULL, 200, body=_pull_json(pull, **changes))
    with pytest.raises(GitHubError, match=re.escape(message)):
        client.pull_request(SLUG, 7)


def test_a_deleted_account_and_a_deleted_fork_read_as_empty_names(client, fake, pull):
    pull.head_repo = None
    fake.fail(REVIEWS, 200, body=[{"user": None, "state": "APPROVED", "commit_id": "a" * 40}])
    pr = client.pull_request(SLUG, 7)
    assert pr.head_repo == ""
    assert [(r.login, r.state) for r in pr.reviews] == [("", "APPROVED")]


def test_label_events_of_the_wrong_shape_are_a_github_error(client, fake, pull):
    pull.add_label("emergency", "plantao-noc")
    fake.fail(
        rf"^/repos/{SLUG}/issues/7/events$",
        200,
        body=[{"event": "labeled", "label": "emergency", "actor": {"login": "x"}}],
    )
    with pytest.raises(GitHubError, match="event label is a string, not an object"):
        client.pull_request(SLUG, 7)


def test_a_status_answer_that_is_not_an_object_is_a_github_error(client, fake):
    fake.fail(rf"^/repos/{SLUG}/statuses/", 201, body=["created"])
    with pytest.raises(GitHubError, match="the status is a list, not an object"):
        client.set_status(SLUG, "a" * 40, "success", "ok")


def test_no_status_goes_to_a_path_that_is_not_a_sha(client, fake):
    with pytest.raises(GitHubError, match="not a commit SHA"):
        client.set_status(SLUG, "../../../orgs/x", "success", "ok")
    assert fake.requests == []


@pytest.mark.parametrize("value", ["²", "1e9", "-5", "30 s"])  # headers are Latin-1
def test_a_rate_limit_header_that_is_no_ascii_number_is_ignored(client, fake, pull, sleeps, value):
    """It is not a rate limit then: a 403 that says nothing else is an error, not a wait."""
    fake.fail(PULL, 403, headers={"retry-after": value}, body={"message": "Forbidden"})
    with pytest.raises(GitHubError, match=r"GitHub answered 403: .*Forbidden"):
        client.pull_request(SLUG, 7)
    assert sleeps == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("draft", "false", "draft is a string, not true or false"),
        ("merged", "false", "merged is a string, not true or false"),
        ("merged", 1, "merged is"),
        ("number", 8, "GitHub answered with pull request #8"),
        ("created_at", None, "created_at is"),
    ],
)
def test_pull_facts_read_booleans_as_booleans(client, fake, field, value, message):
    """"false" in a draft or merged field is not a truthy draft: a wrong shape is an error."""
    answer = fake.pull(7, "bruno-infra").as_json()
    answer[field] = value
    fake.fail(PULL, 200, body=answer)
    with pytest.raises(GitHubError, match=re.escape(message)):
        client.pull_facts(SLUG, 7)


def test_pull_facts_of_a_ready_pull_request(client, fake):
    fake.pull(7, "bruno-infra").convert_to_draft("bruno-infra", "2026-11-24T09:00:00Z")
    facts = client.pull_facts(SLUG, 7)
    assert (facts.number, facts.open, facts.draft, facts.merged, facts.ready_at) == (
        7,
        True,
        True,
        False,
        None,
    )
