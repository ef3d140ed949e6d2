"""A fake GitHub REST API on a local HTTP server (pytest-httpserver).

It answers with GitHub's own JSON shapes (pulls, reviews, issue events, pull
files, statuses, issue comments and the authenticated user), paginates with
real `Link` headers, sends `x-ratelimit-*`
headers on every response, and can be told to fail: 403 secondary rate limit,
403 primary limit, 404, 5xx. Every request is recorded so tests can count them.
The client under test talks to it over HTTP; nothing is patched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

RESET = 1_900_000_000  # x-ratelimit-reset the fake announces (epoch seconds)
SLUG = "saas-team/rdm-changes"


def user(login: str, uid: int = 1) -> dict[str, Any]:
    return {
        "login": login,
        "id": uid,
        "node_id": f"MDQ6VXNlcj{uid}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


def bot(slug: str, uid: int = 41_000_000) -> dict[str, Any]:
    """A GitHub App's bot account as GitHub shows it as a comment's `user`."""
    login = f"{slug}[bot]"
    return {
        **user(login, uid),
        "node_id": f"BOT_kgDO{uid}",
        "avatar_url": f"https://avatars.githubusercontent.com/in/{uid % 100_000}?v=4",
        "url": f"https://api.github.com/users/{slug}%5Bbot%5D",
        "html_url": f"https://github.com/apps/{slug}",
        "type": "Bot",
    }


def app(slug: str, aid: int = 900_001) -> dict[str, Any]:
    """`performed_via_github_app` of what an App's installation token did (some fields)."""
    return {
        "id": aid,
        "slug": slug,
        "node_id": f"A_kwDO{aid}",
        "owner": user("saas-team", 9),
        "name": slug,
        "description": "",
        "external_url": "https://saas.local",
        "html_url": f"https://github.com/apps/{slug}",
        "created_at": "2026-01-05T12:00:00Z",
        "updated_at": "2026-01-05T12:00:00Z",
        "permissions": {
            "issues": "write",
            "metadata": "read",
            "pull_requests": "read",
            "statuses": "write",
        },
        "events": [],
    }


def repository(full_name: str, default_branch: str = "main", rid: int = 1) -> dict[str, Any]:
    """A repository object as GitHub nests it in a PR's head and base (some of its fields)."""
    owner, name = full_name.split("/")
    return {
        "id": 700_000 + rid,
        "node_id": f"R_{rid}",
        "name": name,
        "full_name": full_name,
        "private": True,
        "owner": user(owner, 9),
        "html_url": f"https://github.com/{full_name}",
        "fork": full_name != SLUG,
        "url": f"https://api.github.com/repos/{full_name}",
        "default_branch": default_branch,
        "visibility": "private",
    }


def label(name: str, lid: int = 1) -> dict[str, Any]:
    return {
        "id": lid,
        "node_id": f"LA_{lid}",
        "url": f"https://api.github.com/repos/{SLUG}/labels/{name}",
        "name": name,
        "color": "d73a4a",
        "default": False,
        "description": None,
    }


@dataclass
class FakePull:
    number: int
    author: str
    head: str
    base: str
    reviews: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    base_ref: str = "main"
    head_repo: str | None = SLUG  # None: the fork was deleted (GitHub sends null)
    state: str = "open"
    default_branch: str = "main"
    comments: list[dict[str, Any]] = field(default_factory=list)  # the conversation's
    reads: int = 0  # GETs of the PR object so far
    moves: list[tuple[int, str, str]] = field(default_factory=list)  # (reads, field, value)

    def move_head_after(self, reads: int, new_head: str) -> FakePull:
        """After `reads` GETs of the PR object, its head is `new_head` (a push meanwhile)."""
        self.moves.append((reads, "head", new_head))
        return self

    def retarget_after(self, reads: int, base_ref: str) -> FakePull:
        """After `reads` GETs of the PR object, it merges into `base_ref` (base edited)."""
        self.moves.append((reads, "base_ref", base_ref))
        return self

    draft: bool = False
    open: bool = True
    merged_at: str | None = None
    created_at: str = "2026-11-24T08:00:00Z"

    def ready_for_review(self, actor: str, at: str) -> FakePull:
        """The author marks a draft ready (GitHub's `ready_for_review` issue event)."""
        self.draft = False
        self._event("ready_for_review", actor, None, at)
        return self

    def convert_to_draft(self, actor: str, at: str) -> FakePull:
        self.draft = True
        self._event("convert_to_draft", actor, None, at)
        return self

    def change_base(self, base_ref: str, base: str, actor: str, at: str) -> FakePull:
        """Someone edits the PR to merge into `base_ref` (GitHub's `base_ref_changed`)."""
        self.base_ref, self.base = base_ref, base
        self._event("base_ref_changed", actor, None, at)
        return self

    def review(
        self, login: str, state: str, commit: str | None = None, body: str | None = None
    ) -> FakePull:
        """Add a review (on head unless `commit` says otherwise), in submission order."""
        rid = 80 + len(self.reviews)
        minute = len(self.reviews)
        if body is None:
            body = "" if state != "CHANGES_REQUESTED" else "Please fix the rollback plan."
        self.reviews.append(
            {
                "id": rid,
                "node_id": f"PRR_{rid}",
                "user": user(login, 1000 + rid),
                "body": body,
                "state": state,
                "html_url": f"https://github.com/{SLUG}/pull/{self.number}#pullrequestreview-{rid}",
                "pull_request_url": f"https://api.github.com/repos/{SLUG}/pulls/{self.number}",
                "author_association": "MEMBER",
                "_links": {
                    "html": {
                        "href": f"https://github.com/{SLUG}/pull/{self.number}#pullrequestreview-{rid}"
                    },
                    "pull_request": {
                        "href": f"https://api.github.com/repos/{SLUG}/pulls/{self.number}"
                    },
                },
                "submitted_at": f"2026-11-24T{10 + minute // 60:02d}:{minute % 60:02d}:00Z",
                "commit_id": commit or self.head,
            }
        )
        return self

    def comment(self, author: dict[str, Any], body: str, via: str | None = None) -> dict[str, Any]:
        """Add a comment by `author` (a `user(...)` or `bot(...)`); `via` an App's slug."""
        cid = 3_000_000 + len(self.comments) + 100 * self.number
        comment = {
            "id": cid,
            "node_id": f"IC_kwDO{cid}",
            "url": f"https://api.github.com/repos/{SLUG}/issues/comments/{cid}",
            "html_url": f"https://github.com/{SLUG}/pull/{self.number}#issuecomment-{cid}",
            "body": body,
            "user": author,
            "created_at": "2026-11-24T12:00:00Z",
            "updated_at": "2026-11-24T12:00:00Z",
            "issue_url": f"https://api.github.com/repos/{SLUG}/issues/{self.number}",
            "author_association": "NONE" if author["type"] == "Bot" else "MEMBER",
            "performed_via_github_app": app(via) if via else None,
            "reactions": {
                "url": f"https://api.github.com/repos/{SLUG}/issues/comments/{cid}/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
        }
        self.comments.append(comment)
        return comment

    def add_label(self, name: str, actor: str) -> FakePull:
        if name not in self.labels:
            self.labels.append(name)
        self._event("labeled", actor, name)
        return self

    def remove_label(self, name: str, actor: str) -> FakePull:
        self.labels.remove(name)
        self._event("unlabeled", actor, name)
        return self

    def _event(
        self, kind: str, actor: str, name: str | None, at: str = "2026-11-24T09:00:00Z"
    ) -> None:
        eid = 5000 + len(self.events)
        event: dict[str, Any] = {
            "id": eid,
            "node_id": f"LE_{eid}",
            "url": f"https://api.github.com/repos/{SLUG}/issues/events/{eid}",
            "actor": user(actor, 2000 + eid),
            "event": kind,
            "commit_id": None,
            "commit_url": None,
            "created_at": at,
            "performed_via_github_app": None,
        }
        if name is not None:
            event["label"] = {"name": name, "color": "d73a4a"}
        self.events.append(event)

    def change(
        self, filename: str, status: str = "modified", previous: str | None = None
    ) -> FakePull:
        entry: dict[str, Any] = {
            "sha": f"{len(self.files):040x}",
            "filename": filename,
            "status": status,
            "additions": 3,
            "deletions": 1,
            "changes": 4,
            "blob_url": f"https://github.com/{SLUG}/blob/{self.head}/{filename}",
            "raw_url": f"https://github.com/{SLUG}/raw/{self.head}/{filename}",
            "contents_url": f"https://api.github.com/repos/{SLUG}/contents/{filename}?ref={self.head}",
            "patch": "@@ -1,1 +1,1 @@",
        }
        if previous:
            entry["previous_filename"] = previous
        self.files.append(entry)
        return self

    def as_json(self) -> dict[str, Any]:
        api = f"https://api.github.com/repos/{SLUG}"
        return {
            "url": f"{api}/pulls/{self.number}",
            "id": 1_000_000 + self.number,
            "node_id": f"PR_{self.number}",
            "html_url": f"https://github.com/{SLUG}/pull/{self.number}",
            "number": self.number,
            "state": self.state if self.open else "closed",  # open=False: closed
            "locked": False,
            "title": "RDM",
            "user": user(self.author, 7),
            "body": "",
            "labels": [label(name, i + 1) for i, name in enumerate(self.labels)],
            "created_at": self.created_at,
            "updated_at": "2026-11-24T11:00:00Z",
            "draft": self.draft,
            "merged": self.merged_at is not None,
            "merged_at": self.merged_at,
            "head": {
                "label": f"saas-team:rdm-{self.number}",
                "ref": f"rdm-{self.number}",
                "sha": self.head,
                "user": user("saas-team", 9),
                "repo": repository(self.head_repo, self.default_branch, 2)
                if self.head_repo
                else None,
            },
            "base": {
                "label": f"saas-team:{self.base_ref}",
                "ref": self.base_ref,
                "sha": self.base,
                "user": user("saas-team", 9),
                "repo": repository(SLUG, self.default_branch),
            },
            "author_association": "MEMBER",
        }


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any  # a str is sent as it is (an HTML page from a proxy); anything else as JSON
    times: int


class FakeGitHub:
    def __init__(self, server: HTTPServer, slug: str = SLUG) -> None:
        self.server = server
        self.slug = slug
        self.pulls: dict[int, FakePull] = {}
        self.statuses: list[tuple[str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []  # (method, path?query)
        self.authorizations: list[str | None] = []
        self.faults: list[Fault] = []
        self.remaining = 5000
        # Who the token is: a GitHub App's installation token (GET /user answers
        # 403, comments are by `<slug>[bot]`), or a person's (`token_user`).
        self.app_slug: str | None = "rdm-committee"
        self.token_user = "ana-gerente-mudancas"
        self.edits: list[tuple[int, str]] = []  # (comment id, new body)
        self.deletions: list[int] = []
        server.expect_request(re.compile(r"^/.*")).respond_with_handler(self._handle)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def pull(
        self, number: int, author: str, head: str = "d" * 40, base: str = "b" * 40
    ) -> FakePull:
        self.pulls[number] = FakePull(number, author, head, base)
        return self.pulls[number]

    # -------------------------------------------------------------- faults

    def fail(
        self,
        path_regex: str,
        status: int,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        self.faults.append(
            Fault(
                re.compile(path_regex),
                status,
                headers or {},
                {"message": "Server Error"} if body is None else body,
                times,
            )
        )

    def secondary_rate_limit(self, path_regex: str, retry_after: int = 30, times: int = 1) -> None:
        self.fail(
            path_regex,
            403,
            times,
            {"retry-after": str(retry_after)},
            {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again. "
                "If you reach out to GitHub Support for help, please include the request ID.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                "#about-secondary-rate-limits",
            },
        )

    def primary_rate_limit(self, path_regex: str, times: int = 1) -> None:
        self.fail(
            path_regex,
            403,
            times,
            {"x-ratelimit-remaining": "0"},
            {
                "message": "API rate limit exceeded for user ID 1. "
                "If you reach out to GitHub Support for help, "
                "please include the request ID.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            },
        )

    # ------------------------------------------------------------- serving

    def _handle(self, request: Request) -> Response:
        query = request.query_string.decode()
        self.requests.append((request.method, request.path + (f"?{query}" if query else "")))
        self.authorizations.append(request.headers.get("Authorization"))
        for fault in self.faults:
            if fault.times > 0 and fault.pattern.search(request.path):
                fault.times -= 1
                headers = self._rate_headers()
                headers.update(fault.headers)
                if isinstance(fault.body, str):
                    return Response(fault.body, fault.status, headers, content_type="text/html")
                return self._json(fault.body, fault.status, headers)
        self.remaining -= 1
        if self.remaining < 0:  # a client that waited for the reset finds a new budget
            self.remaining = 4999
        prefix = f"/repos/{self.slug}"
        path = request.path
        if path == "/user" and request.method == "GET":
            return self._authenticated_user()
        if not path.startswith(prefix):
            return self._not_found()
        rest = path[len(prefix) :]
        answered = self._comments(request, rest)
        if answered is not None:
            return answered
        if request.method == "POST":
            match = re.fullmatch(r"/statuses/([0-9a-f]{40})", rest)
            if not match:
                return self._not_found()
            body = json.loads(request.get_data(as_text=True))
            self.statuses.append((match.group(1), body))
            return self._json(
                {
                    "id": len(self.statuses),
                    "state": body["state"],
                    "context": body.get("context"),
                    "description": body.get("description"),
                    "target_url": body.get("target_url"),
                    "creator": user("github-actions[bot]", 41898282),
                    "created_at": "2026-11-24T12:00:00Z",
                    "updated_at": "2026-11-24T12:00:00Z",
                },
                201,
            )
        if rest == "/pulls":  # the list: ?state=open (GitHub's default) or all
            wanted = request.args.get("state", "open")
            listed = [
                p.as_json()
                for p in self.pulls.values()
                if wanted == "all" or p.open == (wanted == "open")
            ]
            return self._page(request, listed)
        match = re.fullmatch(r"/(pulls|issues)/(\d+)(?:/(reviews|files|events))?", rest)
        if not match or int(match.group(2)) not in self.pulls:
            return self._not_found()
        pull = self.pulls[int(match.group(2))]
        kind, sub = match.group(1), match.group(3)
        if kind == "pulls" and sub is None:
            pull.reads += 1
            for after, name, value in pull.moves:
                if pull.reads > after:
                    setattr(pull, name, value)
            return self._json(pull.as_json())
        items = {
            ("pulls", "reviews"): pull.reviews,
            ("pulls", "files"): pull.files,
            ("issues", "events"): pull.events,
        }.get((kind, sub or ""))
        if items is None:
            return self._not_found()
        return self._page(request, items)

    # ---------------------------------------------------- issue comments

    def author(self) -> dict[str, Any]:
        """The `user` of what the token writes."""
        return bot(self.app_slug) if self.app_slug else user(self.token_user, 77)

    def _authenticated_user(self) -> Response:
        if self.app_slug:  # what GitHub answers an installation token
            return self._json(
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest/users/users"
                    "#get-the-authenticated-user",
                    "status": "403",
                },
                403,
            )
        return self._json({**user(self.token_user, 77), "name": None, "company": None})

    def _comments(self, request: Request, rest: str) -> Response | None:
        """GET/POST /issues/{n}/comments, PATCH/DELETE /issues/comments/{id}; None: not these."""
        match = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if match:
            pull = self.pulls.get(int(match.group(1)))
            if pull is None:
                return self._not_found()
            if request.method == "GET":
                return self._page(request, pull.comments)
            if request.method == "POST":
                body = json.loads(request.get_data(as_text=True))
                if not isinstance(body.get("body"), str):
                    return self._unprocessable("body")
                created = pull.comment(self.author(), body["body"], self.app_slug)
                return self._json(created, 201)
            return self._not_found()
        match = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if not match:
            return None
        cid = int(match.group(1))
        found = [(p, c) for p in self.pulls.values() for c in p.comments if c["id"] == cid]
        if not found:
            return self._not_found()
        pull, comment = found[0]
        if request.method == "PATCH":
            body = json.loads(request.get_data(as_text=True))
            if not isinstance(body.get("body"), str):
                return self._unprocessable("body")
            comment["body"] = body["body"]
            comment["updated_at"] = "2026-11-24T13:00:00Z"
            self.edits.append((cid, body["body"]))
            return self._json(comment)
        if request.method == "DELETE":
            pull.comments.remove(comment)
            self.deletions.append(cid)
            return Response(status=204, headers=self._rate_headers())
        return self._not_found()

    def _unprocessable(self, field_name: str) -> Response:
        return self._json(
            {
                "message": "Invalid request.\n\nFor 'properties/body', nil is not a string.",
                "documentation_url": "https://docs.github.com/rest/issues/comments",
                "status": "422",
                "errors": [{"field": field_name, "code": "invalid"}],
            },
            422,
        )

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), 100)
        page = int(request.args.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        base = self.server.url_for(request.path)

        def link(p: int) -> str:
            return f"{base}?{urlencode({'per_page': per_page, 'page': p})}"

        rels = []
        if page < last:
            rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
        headers = self._rate_headers()
        if rels:
            headers["Link"] = ", ".join(rels)
        return self._json(chunk, 200, headers)

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-reset": str(RESET),
            "x-ratelimit-used": str(5000 - max(self.remaining, 0)),
            "x-ratelimit-resource": "core",
            "x-github-api-version-selected": "2022-11-28",
        }

    def _not_found(self) -> Response:
        return self._json(
            {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
                "status": "404",
            },
            404,
        )

    def _json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            json.dumps(body),
            status=status,
            headers=headers or self._rate_headers(),
            content_type="application/json; charset=utf-8",
        )
