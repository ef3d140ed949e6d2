"""The UptimeRobot edge: read the account's monitors and create missing ones (API v2).

Calls are POSTs of form fields (``api_key``, ``format=json``, ...) to
``<api url>/<method>``; answers are JSON with ``stat: ok|fail`` and, on fail, an
``error: {type, message}``. ``getMonitors`` pages with ``offset``/``limit`` (at
most 50) and says ``pagination: {offset, limit, total}``; ``newMonitor`` takes
``friendly_name``, ``url`` and ``type`` (1 = HTTP(s)).

The API key comes from `RDM_UPTIMEROBOT_API_KEY` and is sent only to the host of
`RDM_UPTIMEROBOT_API_URL` (default the public API), which must be https (plain
http only to a loopback address, for tests and local proxies). Redirects are not
followed: a redirected POST would carry the key to another host. The key never
appears in a message: error texts are cut short and scrubbed of it, and the
``passed_value`` UptimeRobot echoes back is never shown.

The listing is read whole or not at all: `getMonitors` pages by offset, so a
monitor created or deleted while the pages are read shifts the later pages (one
monitor seen twice, or one never seen and then taken for missing, which `--sync`
would create a second time). A listing whose `total` changes between pages, that
repeats a monitor id or that holds another number of monitors than `total` is
read again from the start, up to `LIST_ATTEMPTS` times, and is then an error.

Rate limits: a 429 is waited out for ``Retry-After`` seconds (or until
``X-RateLimit-Reset``) when that is at most `max_wait`, otherwise it fails saying
when to retry; a response with ``X-RateLimit-Remaining: 0`` makes the next call
wait for the reset. 5xx answers and connection errors are retried with backoff.
The sleep and the clock are injected so tests never sleep.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests

from rdm.decisions.monitors import HTTP_TYPE, Existing
from rdm.edges.loopback import is_loopback
from rdm.i18n import _
from rdm.model.problems import ExternalError, UsageError

DEFAULT_API_URL = "https://api.uptimerobot.com/v2"
ENV_KEY = "RDM_UPTIMEROBOT_API_KEY"
ENV_URL = "RDM_UPTIMEROBOT_API_URL"
PAGE = 50  # UptimeRobot's largest page
MAX_PAGES = 2000  # 100,000 monitors: past that an answer is lying about `total`
LIST_ATTEMPTS = 3  # reads of the whole listing before a changing account is an error
_TEXT_LIMIT = 200
# Header numbers are ASCII digits only: str.isdigit() accepts '²', which float() refuses.
_SECONDS = re.compile(r"[0-9]+")
_FOREVER = 10.0**12  # seconds; a longer wait (or a 400-digit header) is just as long


class UptimeRobotError(ExternalError):
    """UptimeRobot answered with an error, or could not be reached, after retries."""


class RateLimited(UptimeRobotError):
    pass


def check_api_url(url: str) -> str:
    """The API URL, if the key may be sent there; `UsageError` otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and is_loopback(host):
        return url.rstrip("/")
    raise UsageError(
        _(
            "{var} must be an https:// URL (http:// only to a loopback address), "
            "not {scheme}://{host}: the API key would travel in the clear"
        ).format(var=ENV_URL, scheme=parts.scheme or _("nothing"), host=host)
    )



@dataclass
class UptimeRobotClient:
    api_key: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    notify: Callable[[str], None] = lambda _message: None
    max_wait: float = 60.0
    retries: int = 3
    timeout: float = 30.0
    requests_made: int = 0
    _reset_at: float | None = None  # set when the last answer said no call is left

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> UptimeRobotClient:
        key = env.get(ENV_KEY, "").strip()
        if not key:
            raise UsageError(
                _(
                    "set {var} to the UptimeRobot API key (My Settings -> API Settings; "
                    "a read-only key is enough without --sync)"
                ).format(var=ENV_KEY)
            )
        url = check_api_url(env.get(ENV_URL, "").strip() or DEFAULT_API_URL)
        return cls(api_key=key, api_url=url, **kwargs)

    # ------------------------------------------------------------ requests

    def call(self, method: str, fields: Mapping[str, str]) -> dict[str, Any]:
        """POST one API method; the answer when `stat` is ok, else `UptimeRobotError`."""
        url = f"{self.api_url}/{method}"
        data = {"api_key": self.api_key, "format": "json", **fields}
        failures = waits = 0
        while True:
            self._wait_for_reset(method)
            self.requests_made += 1
            try:
                response = self.session.post(
                    url,
                    data=data,
                    headers={"Cache-Control": "no-cache", "User-Agent": "rdm-monitors"},
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                failures += 1
                if failures > self.retries:
                    raise UptimeRobotError(
                        _("{method}: cannot reach UptimeRobot at {url}: {reason}").format(
                            method=method, url=self.api_url, reason=self._clean(str(exc))
                        )
                    ) from exc
                self.sleep(2.0 ** (failures - 1))
                continue
            self._record_rate(response)
            status = response.status_code
            if status == 429:
                wait = self._retry_after(response)
                waits += 1
                if wait > self.max_wait or waits > self.retries:
                    raise RateLimited(
                        _(
                            "{method}: UptimeRobot rate limit reached; retry in {wait} s "
                            "(waits of more than {limit} s are not taken)"
                        ).format(method=method, wait=f"{wait:.0f}", limit=f"{self.max_wait:.0f}")
                    )
                self._pause(
                    wait,
                    _("{method}: UptimeRobot rate limit; waiting {wait} s").format(
                        method=method, wait=f"{wait:.0f}"
                    ),
                )
                self._reset_at = None
                continue
            if status >= 500:
                failures += 1
                if failures <= self.retries:
                    self.sleep(2.0 ** (failures - 1))
                    continue
                raise UptimeRobotError(
                    _("{method}: UptimeRobot answered {status} {n} times: {body}").format(
                        method=method, status=status, n=failures, body=self._body(response)
                    )
                )
            if 300 <= status < 400:
                raise UptimeRobotError(
                    _(
                        "{method}: UptimeRobot redirected ({status}) to {location}; the API key "
                        "is not sent there (set {var} to the final URL)"
                    ).format(
                        method=method,
                        status=status,
                        location=self._clean(response.headers.get("location", "?")),
                        var=ENV_URL,
                    )
                )
            if status >= 400:
                raise UptimeRobotError(
                    _("{method}: UptimeRobot answered {status}: {body}").format(
                        method=method, status=status, body=self._body(response)
                    )
                )
            return self._ok(method, response)

    def _ok(self, method: str, response: requests.Response) -> dict[str, Any]:
        try:
            answer = response.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past Python's stack
            raise UptimeRobotError(
                _("{method}: UptimeRobot's answer is not JSON ({body})").format(
                    method=method, body=self._body(response)
                )
            ) from exc
        if not isinstance(answer, dict):
            raise UptimeRobotError(
                _("{method}: UptimeRobot's answer is not a JSON object").format(method=method)
            )
        if answer.get("stat") == "ok":
            return answer
        found = answer.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        kind = self._clean(str(error.get("type", "unknown")))
        message = self._clean(str(error.get("message", ""))) if error.get("message") else ""
        parameter = error.get("parameter_name")
        about = f" ({self._clean(str(parameter))})" if parameter else ""
        # `passed_value` is never shown: for api_key it is the key itself.
        raise UptimeRobotError(
            _("{method}: UptimeRobot refused: {kind}{about}").format(
                method=method, kind=kind, about=about
            )
            + (f": {message}" if message else "")
        )

    def _record_rate(self, response: requests.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining", "").strip()
        reset = _number(response.headers.get("x-ratelimit-reset", ""))
        if remaining == "0" and reset is not None:
            self._reset_at = reset

    def _retry_after(self, response: requests.Response) -> float:
        retry_after = _number(response.headers.get("retry-after", ""))
        if retry_after is not None:
            return retry_after
        reset = _number(response.headers.get("x-ratelimit-reset", ""))
        if reset is not None:
            return max(0.0, reset - self.clock()) + 1.0
        return 60.0  # the free plan's window is a minute

    def _wait_for_reset(self, method: str) -> None:
        if self._reset_at is None:
            return
        wait = max(0.0, self._reset_at - self.clock()) + 1.0
        if wait > self.max_wait:
            raise RateLimited(
                _(
                    "{method}: UptimeRobot rate limit exhausted; it resets in {wait} s "
                    "(waits of more than {limit} s are not taken)"
                ).format(method=method, wait=f"{wait:.0f}", limit=f"{self.max_wait:.0f}")
            )
        self._pause(
            wait,
            _("{method}: UptimeRobot rate limit exhausted; waiting {wait} s").format(
                method=method, wait=f"{wait:.0f}"
            ),
        )
        self._reset_at = None

    def _pause(self, seconds: float, why: str) -> None:
        if seconds >= 5:
            self.notify(why)
        self.sleep(seconds)

    def _clean(self, text: str) -> str:
        # The key as sent (form-encoded, as a proxy's error page may echo it) and as is.
        for secret in (quote_plus(self.api_key), quote(self.api_key, safe=""), self.api_key):
            text = text.replace(secret, "***")
        text = " ".join(text.split())
        return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"

    def _body(self, response: requests.Response) -> str:
        return self._clean(response.text) or "(empty)"

    # ----------------------------------------------------------- methods

    def monitors(self) -> list[Existing]:
        """Every monitor of the account, page by page, as one consistent listing."""
        said = held = 0
        for attempt in range(1, LIST_ATTEMPTS + 1):
            found, said, held = self._listing()
            if found is not None:
                return found
            if attempt < LIST_ATTEMPTS:
                self.notify(
                    _("getMonitors: the account changed while it was read; reading it again")
                )
        raise UptimeRobotError(
            _(
                "getMonitors: the account changed while it was read, {n} times in a row "
                "(UptimeRobot said {said} monitors, the pages held {held}); nothing was compared"
            ).format(n=LIST_ATTEMPTS, said=said, held=held)
        )

    def _listing(self) -> tuple[list[Existing] | None, int, int]:
        """One read of every page: (the monitors or None when inconsistent, total, held)."""
        found: list[Existing] = []
        seen: set[int] = set()
        first_total: int | None = None
        consistent = True
        offset = 0
        for _page in range(MAX_PAGES):
            answer = self.call("getMonitors", {"offset": str(offset), "limit": str(PAGE)})
            page = answer.get("monitors")
            if not isinstance(page, list):
                raise UptimeRobotError(_("getMonitors: UptimeRobot's answer has no monitor list"))
            for item in page:
                monitor = _existing(item)
                consistent = consistent and monitor.id not in seen
                if monitor.id not in seen:
                    seen.add(monitor.id)
                    found.append(monitor)
            pagination = answer.get("pagination")
            total = pagination.get("total") if isinstance(pagination, dict) else None
            if isinstance(total, bool) or not isinstance(total, int):
                total = None  # an answer without pagination is the whole listing
            if first_total is None:
                first_total = total
            consistent = consistent and total == first_total
            offset += len(page)
            if not page or total is None or offset >= total:
                said = len(found) if first_total is None else first_total
                if consistent and said == len(found):
                    return found, said, len(found)
                return None, said, len(found)
        raise UptimeRobotError(
            _("getMonitors: still more pages after {n} monitors; giving up").format(
                n=MAX_PAGES * PAGE
            )
        )

    def new_monitor(self, name: str, url: str) -> int:
        """Create an HTTP(s) monitor; its id."""
        answer = self.call(
            "newMonitor", {"friendly_name": name, "url": url, "type": str(HTTP_TYPE)}
        )
        monitor = answer.get("monitor")
        if not isinstance(monitor, dict) or not isinstance(monitor.get("id"), int):
            raise UptimeRobotError(_("newMonitor: UptimeRobot's answer has no monitor id"))
        return int(monitor["id"])


def _number(text: str) -> float | None:
    """A header's whole number of seconds, or None when it is not plain ASCII digits."""
    text = text.strip()
    if not _SECONDS.fullmatch(text):
        return None
    return _FOREVER if len(text) > 12 else min(float(text), _FOREVER)


def _existing(item: Any) -> Existing:
    try:
        monitor = Existing(
            id=int(item["id"]),
            name=str(item["friendly_name"]),
            url=str(item.get("url") or ""),
            type=int(item["type"]),
            status=int(item["status"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UptimeRobotError(
            _("getMonitors: a monitor in UptimeRobot's answer lacks {what}").format(what=exc)
        ) from exc
    return monitor
