"""The GitHub edge: read a pull request's reviews, labels and files; publish a status.

A thin client on `requests.Session` over GitHub's REST API (v2022-11-28). The
base URL comes from `GITHUB_API_URL` (Actions sets it; GitHub Enterprise uses
``https://HOST/api/v3``), the token from `GITHUB_TOKEN`.

Requests per pull request: 1 (the PR) + the pages of its reviews + the pages of
its files + the pages of its issue events, the last only when the PR carries a
label (events are read only to learn who added a label). With ``per_page=100``
an ordinary PR costs 3 requests, 4 with a label; 120 reviews add one page.
Publishing the verdict is one more request.

Rate limits: every response's ``x-ratelimit-remaining``/``x-ratelimit-reset``
is read. A 403/429 that is a primary (remaining 0) or secondary (``retry-after``)
limit is waited out when the wait is at most `max_wait` seconds, else it fails
with `RateLimited`, saying when to try again. 5xx and connection errors are
retried `retries` times with exponential backoff. The sleep and the clock are
injected so tests never sleep.

This module knows GitHub's shapes and nothing of the committee's rule; it
returns `approvals.PullRequest` values. It never logs the token, and response
bodies in errors are cut short.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from rdm.decisions.approvals import STATUS_CONTEXT, ChangedFile, LabelEvent, PullRequest, Review
from rdm.decisions.lifecycle import PullFacts
from rdm.model.problems import ExternalError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"

PER_PAGE = 100
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_BODY_LIMIT = 200


class GitHubError(ExternalError):
    """GitHub answered with an error, or could not be reached, after retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(GitHubError):
    pass


class RateLimited(GitHubError):
    pass


@dataclass
class RateLimit:
    """The last rate-limit figures GitHub sent."""

    remaining: int | None = None
    reset: float | None = None  # epoch seconds


@dataclass
class GitHubClient:
    token: str | None
    api_url: str = DEFAULT_API_URL
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    # Told of every wait longer than a few seconds, so that a CI log does not
    # show a silent minute; the command passes a writer to stderr.
    notify: Callable[[str], None] = lambda _message: None
    max_wait: float = 60.0  # longest rate-limit wait before failing, in seconds
    retries: int = 3  # extra attempts after a 5xx or a connection error
    timeout: float = 30.0
    rate: RateLimit = field(default_factory=RateLimit)
    requests_made: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> GitHubClient:
        token = env.get("GITHUB_TOKEN") or None
        api_url = env.get("GITHUB_API_URL") or DEFAULT_API_URL
        return cls(token=token, api_url=api_url, **kwargs)

    # ------------------------------------------------------------ requests

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "rdm-approvals",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _url(self, path: str) -> str:
        return (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.api_url.rstrip('/')}{path}"
        )

    def request(
        self, method: str, path: str, *, json: Any = None, what: str = ""
    ) -> requests.Response:
        """One API call with rate-limit waits and 5xx retries; errors are `GitHubError`s."""
        url = self._url(path)
        what = what or f"{method} {url}"
        failures = 0
        rate_waits = 0
        while True:
            self._wait_if_exhausted(what)
            self.requests_made += 1
            try:
                response = self.session.request(
                    method, url, headers=self._headers(), json=json, timeout=self.timeout
                )
            except requests.RequestException as exc:
                failures += 1
                if failures > self.retries:
                    raise GitHubError(
                        f"{what}: cannot reach GitHub at {self.api_url}: {exc}"
                    ) from exc
                self.sleep(2.0 ** (failures - 1))
                continue
            self._record_rate(response)
            if response.status_code < 400:
                return response
            if response.status_code in (403, 429):
                wait = self._rate_limit_wait(response)
                if wait is not None:
                    rate_waits += 1
                    if wait > self.max_wait or rate_waits > self.retries:
                        raise RateLimited(
                            f"{what}: GitHub rate limit reached; retry in {wait:.0f} s "
                            f"(waits of more than {self.max_wait:.0f} s are not taken)",
                            response.status_code,
                        )
                    self._pause(wait, f"{what}: GitHub rate limit; waiting {wait:.0f} s")
                    self.rate.remaining = None  # waited out; do not wait again before retrying
                    continue
            if response.status_code >= 500:
                failures += 1
                if failures <= self.retries:
                    self.sleep(2.0 ** (failures - 1))
                    continue
                raise GitHubError(
                    f"{what}: GitHub answered {response.status_code} {failures} times: "
                    f"{_short(response)}",
                    response.status_code,
                )
            if response.status_code == 404:
                raise NotFound(f"{what}: not found (404)", 404)
            if response.status_code == 401:
                raise GitHubError(f"{what}: GitHub refused the token (401); set GITHUB_TOKEN", 401)
            raise GitHubError(
                f"{what}: GitHub answered {response.status_code}: {_short(response)}",
                response.status_code,
            )

    def _record_rate(self, response: requests.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.rate.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.rate.reset = float(reset)

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait when a 403/429 is a rate limit; None when it is not one."""
        retry_after = response.headers.get("retry-after")
        if retry_after is not None and retry_after.strip().isdigit():
            return float(retry_after)
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = self.rate.reset
            return max(0.0, reset - self.clock()) + 1.0 if reset is not None else self.max_wait + 1
        if response.status_code == 429 or "rate limit" in response.text.lower():
            # A secondary limit without retry-after: GitHub asks for at least a minute.
            return 60.0
        return None

    def _wait_if_exhausted(self, what: str) -> None:
        if self.rate.remaining != 0 or self.rate.reset is None:
            return
        wait = max(0.0, self.rate.reset - self.clock()) + 1.0
        if wait > self.max_wait:
            raise RateLimited(
                f"{what}: GitHub rate limit exhausted; it resets in {wait:.0f} s "
                f"(waits of more than {self.max_wait:.0f} s are not taken)"
            )
        self._pause(
            wait, f"{what}: GitHub rate limit exhausted; waiting {wait:.0f} s for the reset"
        )
        self.rate.remaining = None

    def _pause(self, seconds: float, why: str) -> None:
        if seconds >= 5:
            self.notify(why)
        self.sleep(seconds)

    def paginate(self, path: str, what: str) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: <…>; rel="next"`."""
        sep = "&" if "?" in path else "?"
        url: str | None = f"{path}{sep}per_page={PER_PAGE}"
        while url is not None:
            response = self.request("GET", url, what=what)
            items = _json(response, what)
            if not isinstance(items, list):
                raise GitHubError(f"{what}: expected a list, GitHub sent {type(items).__name__}")
            yield from items
            match = _NEXT.search(response.headers.get("link", ""))
            url = match.group(1) if match else None

    # ----------------------------------------------------------- endpoints

    def pull_request(self, slug: str, number: int) -> PullRequest:
        """The PR with its reviews, labels (with who added them) and changed files."""
        base = f"/repos/{slug}"
        what = f"pull request #{number} of {slug}"
        try:
            pull = _json(self.request("GET", f"{base}/pulls/{number}", what=what), what)
        except NotFound as exc:
            raise NotFound(
                f"{what} not found (404): check the number, --repo-slug "
                "and that the token can read it",
                404,
            ) from exc
        reviews = tuple(
            Review(
                login=(item.get("user") or {}).get("login", ""),
                state=item.get("state", ""),
                commit_id=item.get("commit_id"),
                submitted_at=item.get("submitted_at") or "",
            )
            for item in self.paginate(f"{base}/pulls/{number}/reviews", f"reviews of {what}")
        )
        files = tuple(
            ChangedFile(
                item["filename"], item.get("status", "modified"), item.get("previous_filename")
            )
            for item in self.paginate(f"{base}/pulls/{number}/files", f"files of {what}")
        )
        current = [label["name"] for label in pull.get("labels", [])]
        actors: dict[str, str] = {}
        if current:
            for event in self.paginate(f"{base}/issues/{number}/events", f"events of {what}"):
                if event.get("event") in ("labeled", "unlabeled") and event.get("label"):
                    name = event["label"].get("name", "")
                    if event["event"] == "labeled":
                        actors[name] = (event.get("actor") or {}).get("login", "")
                    else:
                        actors.pop(name, None)
        try:
            return PullRequest(
                number=int(pull["number"]),
                author=(pull.get("user") or {}).get("login", ""),
                head_sha=pull["head"]["sha"],
                base_sha=pull["base"]["sha"],
                labels=tuple(LabelEvent(name, actors.get(name, "")) for name in current),
                reviews=reviews,
                changed_files=files,
            )
        except (KeyError, TypeError, ValueError) as exc:
            # A proxy or an API change, not a verdict: say so rather than guess.
            raise GitHubError(f"{what}: GitHub's answer lacks {exc}") from exc

    def pull_facts(self, slug: str, number: int) -> PullFacts:
        """Open, draft, merged, and when the PR was last marked ready for review.

        Two requests and the pages of the issue events: `ready_for_review` and
        `convert_to_draft` events say when a draft became ready (a PR opened
        ready has none; its creation is its submission).
        """
        what = f"pull request #{number} of {slug}"
        pull = _json(self.request("GET", f"/repos/{slug}/pulls/{number}", what=what), what)
        ready: datetime | None = None
        for event in self.paginate(f"/repos/{slug}/issues/{number}/events", f"events of {what}"):
            kind = event.get("event") if isinstance(event, dict) else None
            if kind == "ready_for_review":
                ready = _instant(event.get("created_at"), what)
            elif kind == "convert_to_draft":
                ready = None
        try:
            created = _instant(pull["created_at"], what)
            merged_at = pull.get("merged_at")
            return PullFacts(
                number=int(pull["number"]),
                open=pull["state"] == "open",
                draft=bool(pull.get("draft")),
                merged=bool(pull.get("merged")) or merged_at is not None,
                created_at=created,
                ready_at=ready,
                merged_at=_instant(merged_at, what) if merged_at is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GitHubError(f"{what}: GitHub's answer lacks {exc}") from exc

    def open_pulls(self, slug: str) -> list[int]:
        """Numbers of the repository's open pull requests (every page)."""
        what = f"open pull requests of {slug}"
        numbers: list[int] = []
        for item in self.paginate(f"/repos/{slug}/pulls?state=open", what):
            number = item.get("number") if isinstance(item, dict) else None
            if not isinstance(number, int) or isinstance(number, bool):
                raise GitHubError(f"{what}: an item without a number")
            numbers.append(number)
        return numbers

    def set_status(
        self, slug: str, sha: str, state: str, description: str, target_url: str | None = None
    ) -> None:
        """POST a commit status with context `rdm/committee` on `sha`."""
        body: dict[str, str] = {
            "state": state,
            "context": STATUS_CONTEXT,
            "description": description[:140],
        }
        if target_url:
            body["target_url"] = target_url
        self.request(
            "POST",
            f"/repos/{slug}/statuses/{sha}",
            json=body,
            what=f"status on {sha[:7]} of {slug}",
        )


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:  # an HTML error page from a proxy, a cut-off body
        raise GitHubError(f"{what}: GitHub's answer is not JSON ({_short(response)})") from exc


def _instant(value: Any, what: str) -> datetime:
    """GitHub's `2026-11-24T12:00:00Z` as an aware datetime."""
    try:
        instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise GitHubError(f"{what}: {str(value)[:40]!r} is not a time") from exc
    if instant.tzinfo is None:
        raise GitHubError(f"{what}: {str(value)[:40]!r} has no offset")
    return instant


def _short(response: requests.Response) -> str:
    text = " ".join(response.text.split())
    return text if len(text) <= _BODY_LIMIT else text[: _BODY_LIMIT - 1] + "…"
