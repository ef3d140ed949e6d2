"""The GitHub edge: read a pull request's reviews, labels and files; publish a status
and keep rdm's comment on the PR.

A thin client on `requests.Session` over GitHub's REST API (v2022-11-28). The
base URL comes from `GITHUB_API_URL` (Actions sets it; GitHub Enterprise uses
``https://HOST/api/v3``), the token from `GITHUB_TOKEN`.

The token belongs to GitHub: `Authorization` goes only to the scheme, host and
port of `GITHUB_API_URL`, which must be https (plain http only on a loopback
address, for tests). A `Link` next page, a redirect or any other URL in an
answer that points elsewhere is a `GitHubError`, never followed; requests'
own redirect handling is off, so it cannot forward the token either.
Pagination stops with an error when a page URL repeats or past `MAX_PAGES`.
An answer that is not the JSON object or list expected, or whose fields are
not of the expected types, is a `GitHubError` too: it never reaches the
verdict as a guess.

Requests per pull request: 1 (the PR) + the pages of its reviews + the pages of
its files + the pages of its issue events (who added each label, and when the
base branch last changed). With ``per_page=100`` an ordinary PR costs 4
requests; 120 reviews add one page.
Publishing the verdict is one more request; keeping the comment is the pages of
the PR's comments and one request to create or edit it (none when it already
says the same), plus `GET /user` when the bot login is not given.

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
from urllib.parse import urljoin, urlsplit

import requests

from rdm.decisions.approvals import (
    STATUS_CONTEXT,
    ChangedFile,
    LabelEvent,
    PullHead,
    PullRequest,
    Review,
)
from rdm.decisions.comments import IssueComment
from rdm.decisions.lifecycle import PullFacts
from rdm.edges.loopback import is_loopback
from rdm.model.problems import ExternalError, UsageError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"

PER_PAGE = 100
# 100 pages of 100 items: ten times the 3,000 files GitHub lists at most, far
# beyond the reviews or label events of any PR. A server that keeps sending
# "next" pages is stopped here instead of being followed for ever.
MAX_PAGES = 100
MAX_REDIRECTS = 3  # same-host redirects followed (a renamed repository answers 301)
# `[^<>]`, not `[^>]`: a search from every `<` of a header full of them would
# rescan the rest of it each time (quadratic in the header GitHub sends).
_NEXT = re.compile(r'<([^<>]+)>;\s*rel="next"')
_SHA = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")  # SHA-1 or SHA-256 object names
_DIGITS = re.compile(r"\A[0-9]{1,15}\Z")
_BODY_LIMIT = 200
# Issue events of a PR whose base branch changed: by someone, or by GitHub when
# the base was merged and deleted.
BASE_CHANGES = ("base_ref_changed", "automatic_base_change_succeeded")
_DEFAULT_PORTS = {"https": 443, "http": 80}


Origin = tuple[str, str, int]  # scheme, lower-case host, port


def api_origin(api_url: str) -> Origin:
    """The scheme, host and port the token may be sent to; a `UsageError` when unsafe.

    https only; http only for a loopback address (127.0.0.0/8, ::1,
    localhost), which is how tests reach a local server.
    """
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"GITHUB_API_URL is not a URL: {exc}") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    shown = f"{scheme}://{host}" if host else repr(scheme + "://")
    if not host or scheme not in _DEFAULT_PORTS:
        raise UsageError(
            f"GITHUB_API_URL must be an https:// URL with a host, such as {DEFAULT_API_URL} "
            f"(got {shown})"
        )
    if parts.query or parts.fragment:
        raise UsageError(f"GITHUB_API_URL must not carry a query or fragment ({shown})")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"GITHUB_API_URL must not carry a user or password ({shown}): "
            "the token goes in GITHUB_TOKEN"
        )
    if scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"GITHUB_API_URL must be https:// ({shown} is plain http); plain http is "
            "accepted only on a loopback address (127.0.0.1, ::1, localhost), for tests"
        )
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]



def _origin_of(url: str) -> Origin | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def _show(origin: Origin | None, url: str) -> str:
    """Where a URL points, for messages: its origin only (a path or query may be long)."""
    if origin is None:
        return repr(url[:80])
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


class GitHubError(ExternalError):
    """GitHub answered with an error, or could not be reached, after retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(GitHubError):
    pass


class RateLimited(GitHubError):
    pass


@dataclass(frozen=True)
class CommitStatus:
    """One commit status as GitHub lists it, with who posted it."""

    context: str
    state: str  # error | failure | pending | success
    creator: str  # login; a GitHub App posts as "<app-slug>[bot]"
    creator_type: str  # "Bot" for an App, "User" for a person's token
    created_at: str
    description: str = ""


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
    origin: Origin = field(init=False)

    def __post_init__(self) -> None:
        self.origin = api_origin(self.api_url)

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

    def _url(self, path: str, what: str) -> str:
        """The absolute URL of an API path, or of a URL GitHub sent if it is on the API's origin."""
        if path.startswith("/"):
            return f"{self.api_url.rstrip('/')}{path}"
        origin = _origin_of(path)
        if origin != self.origin:
            raise GitHubError(
                f"{what}: GitHub's answer points to {_show(origin, path)}, which is not "
                f"GITHUB_API_URL's host ({_show(self.origin, self.api_url)}): rdm does not "
                "follow it, and never sends the token there"
            )
        return path

    def request(
        self, method: str, path: str, *, json: Any = None, what: str = ""
    ) -> requests.Response:
        """One API call with rate-limit waits and 5xx retries; errors are `GitHubError`s.

        `path` is an API path (``/repos/…``) or a URL GitHub sent, which must be
        on the API's origin. Redirects are followed by hand, only on that origin
        and only for GET; requests never follows one itself.
        """
        what = what or f"{method} {path[:80]}"
        url = self._url(path, what)
        failures = 0
        rate_waits = 0
        redirects = 0
        while True:
            self._wait_if_exhausted(what)
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=self._headers(),
                    json=json,
                    timeout=self.timeout,
                    allow_redirects=False,
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
            if 300 <= response.status_code < 400:
                location = response.headers.get("location", "")
                if method != "GET" or not location or redirects >= MAX_REDIRECTS:
                    target = urljoin(url, location)
                    where = f" to {_show(_origin_of(target), target)}" if location else ""
                    raise GitHubError(
                        f"{what}: GitHub answered {response.status_code} (a redirect{where}), "
                        "which rdm does not follow here",
                        response.status_code,
                    )
                url = self._url(urljoin(url, location), what)
                redirects += 1
                continue
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
        remaining = _number(response.headers.get("x-ratelimit-remaining"))
        reset = _number(response.headers.get("x-ratelimit-reset"))
        if remaining is not None:
            self.rate.remaining = remaining
        if reset is not None:
            self.rate.reset = float(reset)

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait when a 403/429 is a rate limit; None when it is not one."""
        retry_after = _number(response.headers.get("retry-after"))
        if retry_after is not None:
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

    def paginate(self, path: str, what: str) -> Iterator[dict[str, Any]]:
        """Every item (an object) of a list endpoint, following `Link: <…>; rel="next"`.

        The next page must be on the API's origin; a page URL seen before, or a
        page past `MAX_PAGES`, stops the reading with a `GitHubError`.
        """
        sep = "&" if "?" in path else "?"
        url: str | None = self._url(f"{path}{sep}per_page={PER_PAGE}", what)
        seen: set[str] = set()
        index = 0
        while url is not None:
            if url in seen:
                raise GitHubError(
                    f"{what}: GitHub's next page after page {len(seen)} is a page already "
                    "read; rdm stops rather than loop"
                )
            if len(seen) >= MAX_PAGES:
                raise GitHubError(
                    f"{what}: more than {MAX_PAGES} pages of {PER_PAGE} items; "
                    "rdm reads no further"
                )
            seen.add(url)
            response = self.request("GET", url, what=what)
            items = _json(response, what)
            if not isinstance(items, list):
                raise GitHubError(
                    f"{what}: GitHub's answer is {_kind(items)}, not the list expected"
                )
            for item in items:
                yield _object(item, f"item {index}", what)
                index += 1
            match = _NEXT.search(response.headers.get("link", ""))
            url = self._url(urljoin(url, match.group(1)), what) if match else None

    # ----------------------------------------------------------- endpoints

    def pull_head(self, slug: str, number: int) -> PullHead:
        """The PR itself (one request): author, state, labels, head and base."""
        what = f"pull request #{number} of {slug}"
        try:
            answer = _json(self.request("GET", f"/repos/{slug}/pulls/{number}", what=what), what)
        except NotFound as exc:
            raise NotFound(
                f"{what} not found (404): check the number, --repo-slug "
                "and that the token can read it",
                404,
            ) from exc
        head = _pull_head(_Reader(what), answer, "the pull request")
        if head.number != number:
            raise GitHubError(f"{what}: GitHub answered with pull request #{head.number}")
        return head

    def default_branch(self, slug: str) -> str:
        """The repository's default branch (``GET /repos/{slug}``), the one rdm protects."""
        what = f"repository {slug}"
        answer = _json(self.request("GET", f"/repos/{slug}", what=what), what)
        read = _Reader(what)
        return read.text(read.object(answer, "the repository"), "default_branch")

    def commit_pulls(self, slug: str, sha: str) -> list[PullHead]:
        """The pull requests GitHub associates with commit `sha` (``GET
        /repos/{slug}/commits/{sha}/pulls``): for a commit of the default branch, the
        PR that merged it, and possibly open PRs whose branches contain it. The
        caller picks the one whose `merge_commit_sha` is `sha`."""
        if not _SHA.match(sha):
            raise GitHubError(f"refusing to look up {sha[:80]!r}: not a commit SHA")
        what = f"pull requests of commit {sha[:12]} of {slug}"
        read = _Reader(what)
        return [
            _pull_head(read, item, f"pull request {index}")
            for index, item in enumerate(self.paginate(f"/repos/{slug}/commits/{sha}/pulls", what))
        ]

    def commit_statuses(self, slug: str, sha: str) -> list[CommitStatus]:
        """Every commit status on `sha`, newest first, as GitHub lists them (``GET
        /repos/{slug}/commits/{sha}/statuses``), with who posted each."""
        if not _SHA.match(sha):
            raise GitHubError(f"refusing to read statuses of {sha[:80]!r}: not a commit SHA")
        what = f"statuses of commit {sha[:12]} of {slug}"
        read = _Reader(what)
        statuses = []
        for item in self.paginate(f"/repos/{slug}/commits/{sha}/statuses", what):
            creator = read.optional_object(item.get("creator"), "creator")
            statuses.append(
                CommitStatus(
                    context=read.text(item, "context"),
                    state=read.text(item, "state"),
                    creator=read.text(creator, "login", "creator.login") if creator else "",
                    creator_type=read.optional_text(creator, "type", "creator.type") or ""
                    if creator
                    else "",
                    created_at=read.optional_text(item, "created_at") or "",
                    description=read.optional_text(item, "description") or "",
                )
            )
        return statuses

    def pull_request(
        self,
        slug: str,
        number: int,
        head: PullHead | None = None,
        *,
        as_of: datetime | None = None,
    ) -> PullRequest:
        """The PR with its reviews, labels (with who added them) and GitHub's list of files.

        `head` is the PR as `pull_head` already read it (saves a request). The
        files GitHub lists go to `listed_files`, a cross-check only: the
        decision reads the changed paths from git.

        `as_of` (a merged PR's `merged_at`) gives the PR as it stood then: reviews
        submitted later are left out, and the labels are rebuilt from the issue
        events up to that instant (read whatever labels the PR carries now, since
        one removed after the merge still counted at it). A review or event
        without a time is kept out: it cannot be shown to predate the merge.
        """
        if head is None:
            head = self.pull_head(slug, number)
        base = f"/repos/{slug}"
        what = f"pull request #{number} of {slug}"
        read = _Reader(what)
        reviews = tuple(
            Review(
                login=read.login(item, "user"),
                state=read.text(item, "state", "review state"),
                commit_id=read.optional_text(item, "commit_id", "review commit_id"),
                submitted_at=read.optional_text(item, "submitted_at", "review submitted_at") or "",
                body=read.optional_text(item, "body", "review body") or "",
                review_id=read.optional_integer(item, "id") or 0,
            )
            for item in self.paginate(f"{base}/pulls/{number}/reviews", f"reviews of {what}")
        )
        if as_of is not None:  # the reviews as they stood at that instant
            reviews = tuple(r for r in reviews if _not_after(r.submitted_at, as_of))
        files = tuple(
            ChangedFile(
                read.text(item, "filename", "file name"),
                read.optional_text(item, "status", "file status") or "modified",
                read.optional_text(item, "previous_filename", "file previous_filename"),
            )
            for item in self.paginate(f"{base}/pulls/{number}/files", f"files of {what}")
        )
        # The issue events say who added each label and when, when the base branch
        # last changed (an approval given before answered another diff), and when
        # the PR was last marked ready for review.
        actors: dict[str, tuple[str, str]] = {}  # label -> (who added it, when)
        ready_at = ""
        base_changed_at = ""
        for event in self.paginate(f"{base}/issues/{number}/events", f"events of {what}"):
            kind = event.get("event")
            at = read.optional_text(event, "created_at", "event created_at") or ""
            if as_of is not None and not _not_after(at, as_of):
                continue
            if kind in BASE_CHANGES:
                # No time: the change cannot be placed, so no approval is after it.
                base_changed_at = at or "unknown"
                continue
            if kind == "ready_for_review":
                ready_at = at
            if kind not in ("labeled", "unlabeled") or event.get("label") is None:
                continue
            name = read.text(read.object(event["label"], "event label"), "name", "label name")
            if kind == "labeled":
                actors[name] = (read.login(event, "actor"), at)
            else:
                actors.pop(name, None)
        # As of an instant, the labels are those the events had added by then.
        names = tuple(actors) if as_of is not None else head.labels
        return PullRequest(
            number=head.number,
            author=head.author,
            head_sha=head.head_sha,
            base_sha=head.base_sha,
            labels=tuple(LabelEvent(name, *actors.get(name, ("", ""))) for name in names),
            reviews=reviews,
            changed_files=(),
            base_ref=head.base_ref,
            head_repo=head.head_repo,
            listed_files=files,
            ready_at=ready_at,
            base_changed_at=base_changed_at,
        )

    def authenticated_login(self) -> str:
        """The login GITHUB_TOKEN acts as (`GET /user`): a person's token answers it.

        A GitHub App's installation token cannot (403 "Resource not accessible by
        integration"); the caller must then be told the App's bot login.
        """
        what = "the account of GITHUB_TOKEN (GET /user)"
        try:
            answer = _json(self.request("GET", "/user", what=what), what)
        except GitHubError as exc:
            if exc.status not in (401, 403, 404):
                raise
            raise GitHubError(
                f"{what}: GitHub does not say who the token is ({exc.status}), as for a "
                "GitHub App's token: set RDM_BOT_LOGIN (or --bot-login) to the login rdm "
                "comments as, such as <app-slug>[bot]",
                exc.status,
            ) from exc
        read = _Reader(what)
        return read.text(read.object(answer, "the user"), "login", "login")

    def issue_comments(self, slug: str, number: int) -> tuple[IssueComment, ...]:
        """Every comment of the PR's conversation, oldest first (pages of 100)."""
        what = f"comments of pull request #{number} of {slug}"
        return tuple(
            _comment(item, what)
            for item in self.paginate(f"/repos/{slug}/issues/{number}/comments", what)
        )

    def create_comment(self, slug: str, number: int, body: str) -> IssueComment:
        what = f"new comment on pull request #{number} of {slug}"
        response = self.request(
            "POST", f"/repos/{slug}/issues/{number}/comments", json={"body": body}, what=what
        )
        return _comment(_json(response, what), what)

    def edit_comment(self, slug: str, comment_id: int, body: str) -> IssueComment:
        what = f"comment {comment_id} of {slug}"
        response = self.request(
            "PATCH", f"/repos/{slug}/issues/comments/{comment_id}", json={"body": body}, what=what
        )
        return _comment(_json(response, what), what)

    def delete_comment(self, slug: str, comment_id: int) -> None:
        what = f"comment {comment_id} of {slug}"
        self.request("DELETE", f"/repos/{slug}/issues/comments/{comment_id}", what=what)

    def pull_facts(self, slug: str, number: int) -> PullFacts:
        """Open, draft, merged, and when the PR was last marked ready for review.

        Two requests and the pages of the issue events: `ready_for_review` and
        `convert_to_draft` events say when a draft became ready (a PR opened
        ready has none; its creation is its submission).
        """
        what = f"pull request #{number} of {slug}"
        read = _Reader(what)
        pull = read.object(
            _json(self.request("GET", f"/repos/{slug}/pulls/{number}", what=what), what),
            "the pull request",
        )
        if read.integer(pull, "number") != number:
            raise GitHubError(f"{what}: GitHub answered with pull request #{pull['number']}")
        ready: datetime | None = None
        for event in self.paginate(f"/repos/{slug}/issues/{number}/events", f"events of {what}"):
            kind = event.get("event") if isinstance(event, dict) else None
            if kind == "ready_for_review":
                ready = _instant(event.get("created_at"), what)
            elif kind == "convert_to_draft":
                ready = None
        merged_at = read.optional_text(pull, "merged_at")
        return PullFacts(
            number=number,
            open=read.text(pull, "state") == "open",
            draft=read.boolean(pull, "draft"),
            merged=read.boolean(pull, "merged") or merged_at is not None,
            created_at=_instant(read.text(pull, "created_at"), what),
            ready_at=ready,
            merged_at=None if merged_at is None else _instant(merged_at, what),
        )

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
        if not _SHA.match(sha):
            raise GitHubError(f"refusing to set a status on {sha[:80]!r}: not a commit SHA")
        body: dict[str, str] = {
            "state": state,
            "context": STATUS_CONTEXT,
            "description": description[:140],
        }
        if target_url:
            body["target_url"] = target_url
        what = f"status on {sha[:7]} of {slug}"
        response = self.request("POST", f"/repos/{slug}/statuses/{sha}", json=body, what=what)
        _Reader(what).object(_json(response, what), "the status")


class _Reader:
    """Reads fields of GitHub's JSON, raising a `GitHubError` on any unexpected type."""

    def __init__(self, what: str) -> None:
        self.what = what

    def wrong(self, where: str, value: Any, expected: str) -> GitHubError:
        return GitHubError(
            f"{self.what}: GitHub's answer is not the shape expected: {where} is "
            f"{_kind(value)}, not {expected}"
        )

    def object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.wrong(where, value, "an object")
        return value

    def optional_object(self, value: Any, where: str) -> dict[str, Any] | None:
        return None if value is None else self.object(value, where)

    def text(self, obj: Mapping[str, Any], key: str, where: str = "") -> str:
        value = obj.get(key)
        if not isinstance(value, str):
            raise self.wrong(where or key, value, "a string")
        return value

    def optional_text(self, obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
        return None if obj.get(key) is None else self.text(obj, key, where)

    def optional_integer(self, obj: Mapping[str, Any], key: str) -> int | None:
        return None if obj.get(key) is None else self.integer(obj, key)

    def boolean(self, obj: Mapping[str, Any], key: str) -> bool:
        """A JSON true/false; absent or null is false ("false" the string is not a boolean)."""
        value = obj.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.wrong(key, value, "true or false")
        return value

    def integer(self, obj: Mapping[str, Any], key: str) -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.wrong(key, value, "an integer")
        return value

    def sha(self, obj: Mapping[str, Any], key: str, where: str) -> str:
        value = self.text(obj, key, where)
        if not _SHA.match(value):
            raise GitHubError(
                f"{self.what}: GitHub's answer is not the shape expected: {where} is "
                f"{value[:80]!r}, not a commit SHA"
            )
        return value

    def login(self, obj: Mapping[str, Any], key: str) -> str:
        """The login of a user field; '' for null (a deleted account, GitHub's "ghost")."""
        user = self.optional_object(obj.get(key), key)
        return "" if user is None else self.text(user, "login", f"{key}.login")


def _comment(value: Any, what: str) -> IssueComment:
    read = _Reader(what)
    item = read.object(value, "the comment")
    return IssueComment(
        comment_id=read.integer(item, "id"),
        author=read.login(item, "user"),
        body=read.optional_text(item, "body", "comment body") or "",
    )


def _object(value: Any, where: str, what: str) -> dict[str, Any]:
    return _Reader(what).object(value, where)


def _pull_head(read: _Reader, answer: Any, where: str) -> PullHead:
    """A PR object of GitHub's (from pulls/N, or a list of PRs) as a `PullHead`."""
    pull = read.object(answer, where)
    head = read.object(pull.get("head"), "head")
    base = read.object(pull.get("base"), "base")
    base_repo = read.object(base.get("repo"), "base.repo")
    head_repo = read.optional_object(head.get("repo"), "head.repo")  # null: fork deleted
    labels = pull.get("labels")
    if not isinstance(labels, list):
        raise read.wrong("labels", labels, "a list")
    merge_commit = read.optional_text(pull, "merge_commit_sha", "merge_commit_sha")
    draft = pull.get("draft", False)
    if not isinstance(draft, bool):
        raise read.wrong("draft", draft, "a boolean")
    return PullHead(
        number=read.integer(pull, "number"),
        author=read.login(pull, "user"),
        state=read.text(pull, "state"),
        head_sha=read.sha(head, "sha", "head.sha"),
        head_repo=read.text(head_repo, "full_name", "head.repo.full_name") if head_repo else "",
        base_sha=read.sha(base, "sha", "base.sha"),
        base_ref=read.text(base, "ref", "base.ref"),
        default_branch=read.text(base_repo, "default_branch", "base.repo.default_branch"),
        labels=tuple(
            read.text(read.object(item, f"labels[{i}]"), "name", f"labels[{i}].name")
            for i, item in enumerate(labels)
        ),
        created_at=read.optional_text(pull, "created_at") or "",
        draft=draft,
        merged_at=read.optional_text(pull, "merged_at"),
        # GitHub fills merge_commit_sha for open PRs too (a test merge); only a merged
        # PR's names the commit on the base branch.
        merge_commit_sha=read.sha(pull, "merge_commit_sha", "merge_commit_sha")
        if merge_commit is not None
        else None,
    )


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time of GitHub's (``2026-11-24T10:00:00Z``), or None when it is not one."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _not_after(text: str, instant: datetime) -> bool:
    """Is GitHub's time `text` at or before `instant`? A missing or bad time is not."""
    value = parse_time(text)
    return value is not None and value <= instant


def _number(header: str | None) -> int | None:
    """A header's whole number in ASCII digits ('²' is a digit to str.isdigit), or None."""
    text = (header or "").strip()
    return int(text) if _DIGITS.match(text) else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    # an HTML error page from a proxy, a cut-off body; nesting deeper than Python recurses
    except (ValueError, RecursionError) as exc:
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
