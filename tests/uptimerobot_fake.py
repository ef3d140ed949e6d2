"""A fake UptimeRobot API v2 on a local HTTP server (pytest-httpserver).

It answers `getMonitors` and `newMonitor` as UptimeRobot does: POSTs of form
fields, JSON with `stat: ok|fail`, errors as `{type, parameter_name,
passed_value, message}` with HTTP 200, `pagination: {offset, limit, total}` with
at most 50 monitors a page, and `X-RateLimit-*` headers on every answer. It can
be told to answer 429 (with `Retry-After`) to the next N calls, to say a window
has no call left, or to fail with 5xx; `between_pages` runs after each
`getMonitors` page is answered, so a test can change the account while it is
being read (someone deletes a monitor in the web page meanwhile). Every call is
recorded (path, form, host) so tests can count them and see where the key went.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "u1234567-0a1b2c3d4e5f60718293a4b5"
RESET = 1_900_000_000


def monitor(mid: int, name: str, url: str, status: int = 2, type_: int = 1) -> dict[str, Any]:
    """A monitor as getMonitors lists it (the fields of API v2)."""
    return {
        "id": mid,
        "friendly_name": name,
        "url": url,
        "type": type_,
        "sub_type": "",
        "keyword_type": None,
        "keyword_case_type": None,
        "keyword_value": "",
        "http_username": "",
        "http_password": "",
        "port": "",
        "interval": 300,
        "timeout": 30,
        "status": status,
        "create_datetime": 1764000000,
    }


@dataclass
class FakeUptimeRobot:
    server: HTTPServer
    monitors: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    rate_limited: int = 0  # answer 429 to this many calls
    retry_after: str | None = "20"
    exhausted_after: int | None = None  # say X-RateLimit-Remaining: 0 from this call on
    failures: int = 0  # answer 502 to this many calls
    next_id: int = 800_000_001
    between_pages: Callable[[FakeUptimeRobot], None] | None = None

    def __post_init__(self) -> None:
        for method in ("getMonitors", "newMonitor"):
            self.server.expect_request(f"/v2/{method}", method="POST").respond_with_handler(
                self.handle
            )

    @property
    def api_url(self) -> str:
        return self.server.url_for("/v2")

    def names(self) -> list[str]:
        return [m["friendly_name"] for m in self.monitors]

    def _answer(self, body: dict[str, Any], status: int = 200, **headers: str) -> Response:
        remaining = 9
        if self.exhausted_after is not None and len(self.calls) >= self.exhausted_after:
            remaining = 0
        base = {
            "X-RateLimit-Limit": "10",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(RESET),
        }
        base.update(headers)
        return Response(
            json.dumps(body), status=status, headers=base, content_type="application/json"
        )

    def handle(self, request: Request) -> Response:
        form = dict(request.form.items())
        method = request.path.rsplit("/", 1)[-1]
        self.calls.append((method, form, request.host))
        if self.rate_limited:
            self.rate_limited -= 1
            headers = {"X-RateLimit-Remaining": "0"}
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            return self._answer(
                {"stat": "fail", "error": {"type": "rate_limit", "message": "Too many requests."}},
                429,
                **headers,
            )
        if self.failures:
            self.failures -= 1
            return Response("<html>502 Bad Gateway</html>", status=502)
        if form.get("api_key") != API_KEY:
            return self._answer(
                {
                    "stat": "fail",
                    "error": {
                        "type": "invalid_parameter",
                        "parameter_name": "api_key",
                        "passed_value": form.get("api_key", ""),
                        "message": "api_key is invalid.",
                    },
                }
            )
        if form.get("format") != "json":
            return Response("<xml/>", content_type="text/xml")
        if method == "getMonitors":
            offset, limit = int(form.get("offset", "0")), min(int(form.get("limit", "50")), 50)
            page = self.monitors[offset : offset + limit]
            answer = self._answer(
                {
                    "stat": "ok",
                    "pagination": {"offset": offset, "limit": limit, "total": len(self.monitors)},
                    "monitors": page,
                }
            )
            if self.between_pages is not None:
                self.between_pages(self)
            return answer
        for required in ("friendly_name", "url", "type"):
            if not form.get(required):
                return self._answer(
                    {
                        "stat": "fail",
                        "error": {
                            "type": "missing_parameter",
                            "parameter_name": required,
                            "message": f"{required} parameter is missing.",
                        },
                    }
                )
        if any(m["url"] == form["url"] and m["type"] == int(form["type"]) for m in self.monitors):
            return self._answer(
                {
                    "stat": "fail",
                    "error": {"type": "already_exists", "message": "Monitor already exists."},
                }
            )
        mid = self.next_id
        self.next_id += 1
        self.monitors.append(
            monitor(mid, form["friendly_name"], form["url"], status=1, type_=int(form["type"]))
        )
        return self._answer({"stat": "ok", "monitor": {"id": mid, "status": 1}})
