"""The Slack edge: a message to an incoming webhook (the team watches #monitoring).

The webhook URL is a secret -- whoever has it can post to the channel -- so:

- it is accepted only as ``https://hooks.slack.com/services/...`` (also
  ``/workflows/`` and ``/triggers/``), without a user, query or fragment; or,
  for tests and the demo, an http(s) URL on a loopback address (127.0.0.0/8,
  ::1, localhost). Anything else is a `UsageError` that does not repeat it;
- it never appears in output, logs, errors or records: messages name it
  "the Slack webhook (RDM_SLACK_WEBHOOK)" and show only its host;
- redirects are never followed (requests' own handling is off), so the
  message cannot be forwarded elsewhere either.

Slack's answers, as its documentation gives them: 200 ``ok``; 400
``invalid_payload`` (and other 400 texts), 403 ``action_prohibited``, 404
``no_service`` (the webhook was revoked), 410 ``channel_is_archived`` -- not
retried, they will not change; 429 with ``Retry-After`` (seconds), waited out
up to `max_wait`; 5xx and connection errors retried with backoff. Every
failure after that is a `SlackError` (exit 3 when a command lets it through;
the rollout reports it and goes on: a change is not held up because Slack is
down).

Message text is Slack's `mrkdwn`; `escape` turns ``&``, ``<`` and ``>`` into
entities, so a title such as ``<!channel>`` from an RDM can neither ping the
channel nor forge a link. The sleep is injected so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from rdm.edges.loopback import is_loopback
from rdm.model.problems import ExternalError, UsageError

ENV = "RDM_SLACK_WEBHOOK"
SLACK_HOST = "hooks.slack.com"
_PATHS = ("/services/", "/workflows/", "/triggers/")
_NAME = f"the Slack webhook ({ENV})"
_BODY_LIMIT = 120


class SlackError(ExternalError):
    """Slack refused the message, or could not be reached, after retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def escape(text: str) -> str:
    """Text for Slack's mrkdwn: ``&``, ``<`` and ``>`` as entities (Slack's own rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")



def check_url(url: str) -> str:
    """The host the webhook posts to; a `UsageError` (never quoting the URL) when unsafe."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{_NAME} is not a URL") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(f"{_NAME} must not carry a user, a password, a query or a fragment")
    if is_loopback(host) and scheme in ("http", "https"):
        return host  # a local server: tests and the demo
    if scheme != "https" or host != SLACK_HOST or port not in (None, 443):
        raise UsageError(
            f"{_NAME} must be an https://{SLACK_HOST}/services/... URL "
            f"(it points to {scheme or '?'}://{host or '?'}); rdm sends it nowhere else"
        )
    if not parts.path.startswith(_PATHS):
        raise UsageError(f"{_NAME} must be an https://{SLACK_HOST}/services/... URL")
    return host


@dataclass
class SlackWebhook:
    url: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Callable[[float], None] = time.sleep
    notify: Callable[[str], None] = lambda _message: None
    max_wait: float = 30.0  # longest Retry-After waited for
    retries: int = 3  # extra attempts after a 429, a 5xx or a connection error
    timeout: float = 10.0
    sent: int = 0
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.host = check_url(self.url)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> SlackWebhook | None:
        """The webhook of RDM_SLACK_WEBHOOK, or None when it is not set."""
        url = (env.get(ENV) or "").strip()
        return cls(url, **kwargs) if url else None

    def send(self, text: str) -> None:
        """Post one message (mrkdwn `text`, already escaped where it holds outside text)."""
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self.session.post(
                    self.url,
                    json={"text": text, "unfurl_links": False, "unfurl_media": False},
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                if attempts > self.retries:
                    # The exception's text may hold the URL: only its kind is told.
                    raise SlackError(
                        f"cannot reach {_NAME} at {self.host}: {type(exc).__name__}"
                    ) from None
                self.sleep(2.0 ** (attempts - 1))
                continue
            body = " ".join(response.text.split())[:_BODY_LIMIT]
            status = response.status_code
            if status == 200:
                self.sent += 1
                return
            if status == 429 and attempts <= self.retries:
                wait = _seconds(response.headers.get("retry-after"))
                if wait <= self.max_wait:
                    if wait >= 5:
                        self.notify(f"Slack rate limit; waiting {wait:.0f} s")
                    self.sleep(wait)
                    continue
            if status >= 500 and attempts <= self.retries:
                self.sleep(2.0 ** (attempts - 1))
                continue
            if 300 <= status < 400:
                raise SlackError(
                    f"{_NAME} answered {status} (a redirect), which rdm does not follow", status
                )
            raise SlackError(f"{_NAME} refused the message: {status} {body or '(no text)'}", status)


def _seconds(header: str | None) -> float:
    text = (header or "").strip()
    return float(text) if text.isascii() and text.isdigit() and len(text) < 7 else 60.0
