"""The Slack edge against a local server answering as Slack's incoming webhooks do:
200 "ok", 400 "invalid_payload", 404 "no_service", 429 with Retry-After, 5xx.
The webhook URL is a secret: it goes nowhere but its host and never into a message."""

from __future__ import annotations

import json
import socket

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from rdm.edges.slack import SlackError, SlackWebhook, check_url, escape
from rdm.model.problems import UsageError

HOOK = "/services/T0RDM0001/B0RDM0002/s3cr3tW3bh00kT0k3n"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def webhook(server: HTTPServer, sleeps: Sleeps, path: str = HOOK) -> SlackWebhook:
    return SlackWebhook(server.url_for(path), sleep=sleeps)


def slack_answers(server: HTTPServer, *answers: tuple[int, str, dict[str, str]]) -> list[dict]:
    """Answer each POST with the next (status, text, headers); record the bodies."""
    bodies: list[dict] = []
    queue = list(answers)

    def handler(request: Request) -> Response:
        bodies.append(json.loads(request.get_data(as_text=True)))
        status, text, headers = queue.pop(0) if queue else (200, "ok", {})
        return Response(text, status, headers, content_type="text/plain")

    server.expect_request(HOOK, method="POST").respond_with_handler(handler)
    return bodies


def test_a_message_is_posted_as_json_and_ok_is_success(httpserver, sleeps):
    bodies = slack_answers(httpserver, (200, "ok", {}))
    hook = webhook(httpserver, sleeps)
    hook.send("*RDM-2026-0043* starts now")
    assert bodies == [
        {"text": "*RDM-2026-0043* starts now", "unfurl_links": False, "unfurl_media": False}
    ]
    assert hook.sent == 1 and sleeps == []


def test_429_is_waited_out_as_retry_after_says(httpserver, sleeps):
    bodies = slack_answers(httpserver, (429, "rate_limited", {"Retry-After": "3"}), (200, "ok", {}))
    webhook(httpserver, sleeps).send("x")
    assert len(bodies) == 2 and sleeps == [3.0]


def test_a_long_retry_after_is_not_waited_for(httpserver, sleeps):
    slack_answers(httpserver, (429, "rate_limited", {"Retry-After": "600"}))
    with pytest.raises(SlackError) as caught:
        webhook(httpserver, sleeps).send("x")
    assert str(caught.value) == (
        "the Slack webhook (RDM_SLACK_WEBHOOK) refused the message: 429 rate_limited"
    )
    assert sleeps == []


def test_5xx_is_retried_with_backoff(httpserver, sleeps):
    bodies = slack_answers(httpserver, (500, "rollup_error", {}), (503, "", {}), (200, "ok", {}))
    webhook(httpserver, sleeps).send("x")
    assert len(bodies) == 3 and sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (400, "invalid_payload"),
        (404, "no_service"),
        (403, "action_prohibited"),
        (410, "channel_is_archived"),
    ],
)
def test_refusals_are_not_retried_and_never_show_the_url(httpserver, sleeps, status, text):
    bodies = slack_answers(httpserver, (status, text, {}))
    with pytest.raises(SlackError) as caught:
        webhook(httpserver, sleeps).send("x")
    assert str(caught.value) == (
        f"the Slack webhook (RDM_SLACK_WEBHOOK) refused the message: {status} {text}"
    )
    assert "s3cr3t" not in str(caught.value) and len(bodies) == 1


def test_a_redirect_is_not_followed(httpserver, sleeps):
    other = HTTPServer(port=0)
    other.start()
    try:
        other.expect_request("/steal").respond_with_data("ok")
        httpserver.expect_request(HOOK, method="POST").respond_with_data(
            "", 302, {"Location": other.url_for("/steal")}
        )
        with pytest.raises(
            SlackError, match="answered 302 \\(a redirect\\), which rdm does not follow"
        ):
            webhook(httpserver, sleeps).send("x")
        assert other.log == []
    finally:
        other.stop()


def test_an_unreachable_webhook_is_a_slack_error_without_the_url(sleeps):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = SlackWebhook(f"http://127.0.0.1:{port}{HOOK}", sleep=sleeps, retries=1)
    with pytest.raises(SlackError) as caught:
        hook.send("x")
    assert str(caught.value) == (
        "cannot reach the Slack webhook (RDM_SLACK_WEBHOOK) at 127.0.0.1: ConnectionError"
    )
    assert caught.value.__cause__ is None  # the client's error holds the URL: not chained


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/abc",
        "https://HOOKS.SLACK.COM/services/T0/B0/abc",
        "https://hooks.slack.com:443/workflows/T0/A0/1/abc",
        "http://127.0.0.1:8080/services/T0/B0/abc",
        "http://localhost/x",
    ],
)
def test_slack_and_loopback_urls_are_accepted(url):
    assert check_url(url) in ("hooks.slack.com", "127.0.0.1", "localhost")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("http://hooks.slack.com/services/T0/B0/abc", "points to http://hooks.slack.com"),
        ("https://hooks.slack.com.evil.example/services/T0/B0/abc", "hooks.slack.com.evil.example"),
        ("https://evil.example/services/T0/B0/abc", "points to https://evil.example"),
        ("https://hooks.slack.com:8443/services/T0/B0/abc", "points to https://hooks.slack.com"),
        ("https://hooks.slack.com/api/chat.postMessage", "must be an https://hooks.slack.com"),
        ("https://user:pw@hooks.slack.com/services/T0/B0/abc", "must not carry a user"),
        ("https://hooks.slack.com/services/T0/B0/abc?x=1", "must not carry a user"),
        ("not a url at all", "must be an https://hooks.slack.com"),
    ],
)
def test_other_urls_are_refused_without_repeating_them(url, where):
    with pytest.raises(UsageError) as caught:
        check_url(url)
    assert where in str(caught.value)
    assert "abc" not in str(caught.value) and "T0" not in str(caught.value)


def test_from_env_reads_rdm_slack_webhook_and_none_when_unset():
    assert SlackWebhook.from_env({}) is None
    hook = SlackWebhook.from_env({"RDM_SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/k"})
    assert hook is not None and "services" not in repr(hook)


def test_escape_keeps_mentions_and_links_out():
    assert escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
