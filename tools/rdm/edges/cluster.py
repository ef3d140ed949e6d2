"""The cluster edge: every request rdm makes to Kubernetes goes through `KubeCluster.request`.

The only module that imports `kubernetes` (tests/test_architecture.py checks
it). It uses the official client for what it does well -- reading a kubeconfig
(`--kubeconfig`, `KUBECONFIG`, `--context`) or the in-cluster service account,
TLS, client certificates, tokens and their refresh -- and sends requests
through `ApiClient.call_api` itself, to paths it knows (`model.kube.RESOURCES`):

- server-side apply only: `PATCH` with `Content-Type: application/apply-patch+yaml`,
  `fieldManager=rdm` (the body goes as JSON, which is YAML), `force=true` only
  when asked, `dryRun=All` for diffs. The typed APIs (`AppsV1Api`, ...) are not
  used: they validate answers with pydantic and fall back to a strategic-merge
  patch when the content type is forgotten; the dynamic client's discovery
  would cost requests and a cache file per server. rdm only talks to the
  kinds in `RESOURCES`, so it needs no discovery at all.
- one choke point, `request`: a timeout on every request (connect, read);
  retries with exponential backoff and full jitter on 429, 5xx, timeouts and
  dropped connections, honouring `Retry-After` (up to `max_retry_after`); a
  409 that is not a field conflict is retried for a read, for an apply
  (server-side apply is idempotent; the server had a concurrent write), a
  JSON patch (its `test` operations make a repeat fail rather than act twice)
  and a delete without preconditions (a repeat deletes it or finds it gone);
  no retry on other 4xx, which will not change. A create (POST) is retried
  too: if the first attempt was stored and only its answer lost, the retry
  gets 409 AlreadyExists, which the caller must read as "maybe mine" (the
  lock does). The client library's own urllib3 retries are turned
  off so that retrying happens here only, counted and bounded.
- watches (`watch`): the one answer that streams. Opened through `request`'s
  retries; then read line by line, each line at most 4 MiB, each one a watch
  event of the kind asked or the stream is `Unavailable`; never read past the
  time asked for plus the read timeout, whatever the server does; a connection
  that carried a watch is closed, never reused. A 410 (the resourceVersion is
  too old) ends the stream quietly: the caller starts again from the current
  state.
- pod logs (`pod_log`): the other answer that is not JSON. It is read in chunks and
  never past the byte limit the caller gives (asked of the server with
  `limitBytes`, enforced here whatever the server sends), nor past the read
  timeout in all; names are checked before they make a path. Error answers of
  every request are read up to 64 KiB.
- answers are checked for their shape: an answer that is not one JSON object,
  or a list whose items are not objects (a proxy in between that mangles
  answers), is `Unavailable`, never handed on to break code that trusts it.
- `requests` counts every attempt, retries included; `retries` the retries.
- failures become rdm's own errors (`model.kube`: NotFound, Conflict with the
  field conflicts parsed, Forbidden, Unauthorized, Invalid, Unavailable,
  Timeout), raised `from` the original, with the server's message cut short.
  Request bodies, headers and credentials never appear in a message.

`connect(server=...)` points the client at another URL (a test proxy in front
of the API server); the kubeconfig's credentials go with it, so only use it
for a proxy of your own.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from rdm import __version__
from rdm.model.kube import (
    FIELD_MANAGER,
    POD,
    RESOURCES,
    ClusterError,
    Conflict,
    FieldConflict,
    Forbidden,
    Invalid,
    KubeObject,
    LogRead,
    NotFound,
    ResourceKind,
    Timeout,
    Unauthorized,
    Unavailable,
    count_of,
)
from rdm.model.problems import UsageError

# The client's loaders are untyped; named here with the types rdm calls them with.
load_kube_config: Callable[..., None] = k8s_config.load_kube_config
load_incluster_config: Callable[..., None] = k8s_config.load_incluster_config

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
_MESSAGE_LIMIT = 300
_LIST_PAGE = 500
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ERROR_BODY_LIMIT = 64 * 1024
_LOG_CHUNK = 64 * 1024
# One watch event is one object and its type on a line; etcd stores no object over
# 1.5 MiB, so a longer line is not an event from an API server.
_WATCH_LINE_LIMIT = 4 * 1024 * 1024
_WATCH_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED"})
# Names that reach a pods/log path or query (Kubernetes' own rules): a namespace and
# a container are DNS labels, a pod a DNS subdomain.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first included
    base: float = 0.2  # seconds; the n-th retry waits up to base * 2**n (full jitter)
    cap: float = 5.0  # longest backoff between attempts
    max_retry_after: float = 30.0  # a longer Retry-After fails at once
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


def _status_of(raw: bytes) -> dict[str, Any]:
    try:
        status = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
        return {"message": raw[:_MESSAGE_LIMIT].decode("utf-8", "replace")}
    return status if isinstance(status, dict) else {}


def _field_conflicts(status: Mapping[str, Any], what: str) -> tuple[FieldConflict, ...]:
    causes = (status.get("details") or {}).get("causes") or []
    found = []
    for cause in causes:
        if not isinstance(cause, Mapping) or cause.get("reason") != "FieldManagerConflict":
            continue
        message = str(cause.get("message", ""))
        # 'conflict with "kubectl-edit" using apps/v1' (or 'with "x" with subresource "scale"')
        quoted = message.split('"')
        manager = quoted[1] if len(quoted) >= 3 else message
        if "subresource" in message and len(quoted) >= 5:
            manager = f"{manager} ({quoted[3]})"  # the label decisions.drift gives it
        found.append(FieldConflict(what, str(cause.get("field", "")), manager))
    return tuple(found)


def _read_all(response: Any) -> bytes:
    raw: bytes = response.read()
    response.response.release_conn()
    return raw


def _read_error(response: Any) -> bytes:
    """The body of an error answer, at most `_ERROR_BODY_LIMIT` bytes: a Status is small,
    and a server (or something in its place) that sends more is not read to the end."""
    stream = response.response
    raw: bytes = stream.read(_ERROR_BODY_LIMIT + 1)
    if len(raw) > _ERROR_BODY_LIMIT:
        stream.close()  # the rest is never read: this connection cannot be reused
    stream.release_conn()
    return raw[:_ERROR_BODY_LIMIT]


def _read_log(response: Any, limit: int, seconds: float, clock: Callable[[], float]) -> LogRead:
    """At most `limit` bytes of a log answer, read in chunks, for at most `seconds`.

    One byte more than `limit` is asked for (and read) to learn whether the log goes
    on; a server that ignores `limitBytes` is cut here all the same. Each chunk waits
    at most the read timeout; the deadline stops a server that keeps sending slowly.
    """
    stream = response.response
    deadline = clock() + seconds
    chunks: list[bytes] = []
    size = 0
    finished = late = False
    try:
        while size <= limit:
            if clock() > deadline:
                late = True
                break
            chunk: bytes = stream.read1(min(_LOG_CHUNK, limit + 1 - size))
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        if not finished:
            stream.close()  # unread bytes stay on this connection: never reuse it
        stream.release_conn()
    data = b"".join(chunks)
    return LogRead(data[:limit], more=len(data) > limit, late=late)


def _lines(stream: Any, until: float, clock: Callable[[], float]) -> Iterator[bytes]:
    """The lines of a streamed answer, each at most `_WATCH_LINE_LIMIT`, until it ends
    or `until` (on `clock`) passes."""
    pending = b""
    while clock() < until:
        chunk: bytes = stream.read1(_LOG_CHUNK)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
        if len(pending) > _WATCH_LINE_LIMIT:
            raise Unavailable(f"a watch event longer than {_WATCH_LINE_LIMIT} bytes")


def _watch_event(line: bytes, what: str) -> tuple[str, KubeObject] | None:
    """One line of a watch: (type, object); None for a blank line or a bookmark."""
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise Unavailable(f"{what}: the stream is not JSON lines") from exc
    if not isinstance(event, dict):
        raise Unavailable(f"{what}: a line of the stream is not a watch event")
    kind, found = event.get("type"), event.get("object")
    if not isinstance(found, dict) or kind not in (*_WATCH_TYPES, "ERROR", "BOOKMARK"):
        raise Unavailable(f"{what}: a line of the stream is not a watch event")
    if kind == "BOOKMARK":
        return None
    return str(kind), found


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if value is None:
        return None
    # delta-seconds only (an HTTP date is not taken); ASCII digits, at most a day
    seconds = count_of(value.strip(), 86400)
    return None if seconds is None else float(seconds)


class KubeCluster:
    """A Kubernetes API client with rdm's request discipline (see the module docstring)."""

    def __init__(
        self,
        api: k8s_client.ApiClient,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        notify: Callable[[str], None] = lambda _message: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.notify = notify
        self.requests = 0
        self.retries = 0
        self._lock = threading.Lock()
        api.user_agent = f"rdm/{__version__}"

    @property
    def host(self) -> str:
        return str(self.api.configuration.host)

    # ------------------------------------------------------------ the choke point

    def _count(self, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            if retry:
                self.retries += 1

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        what: str = "",
        retry_conflicts: bool = False,
    ) -> Any:
        """One API call, retried as the module docstring says; the decoded JSON answer."""
        what = what or f"{method} {path}"
        raw = self._send(
            method,
            path,
            _read_all,
            query=query,
            body=body,
            content_type=content_type,
            what=what,
            retry_conflicts=retry_conflicts,
        )
        if not raw:
            return {}
        try:
            decoded = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past Python's stack
            raise Unavailable(f"{what}: the answer is not JSON") from exc
        if not isinstance(decoded, dict):
            # every answer rdm asks for is one object (an item, a list, a Status)
            raise Unavailable(
                f"{what}: the answer is not a Kubernetes object "
                f"(a JSON {type(decoded).__name__}): a proxy in between?"
            )
        return decoded

    def _send(
        self,
        method: str,
        path: str,
        read: Callable[[Any], T],
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        what: str,
        retry_conflicts: bool = False,
    ) -> T:
        """The attempts of one call; `read` takes the body of a 2xx answer (and releases
        or closes the connection). Error bodies are read up to `_ERROR_BODY_LIMIT`."""
        url = self.host + path + (f"?{urlencode(query)}" if query else "")
        policy = self.retry
        timeout = (policy.connect_timeout, policy.read_timeout)
        last: ClusterError | None = None
        for attempt in range(policy.attempts):
            if attempt:
                wait = self._backoff(attempt, last)
                self.sleep(wait)
            self._count(retry=attempt > 0)
            sent = {"Accept": "application/json", "Content-Type": content_type, **(headers or {})}
            sent.update(self.api.default_headers)
            self.api.update_params_for_auth(sent, [], ["BearerToken"], path, method, body)
            try:
                response: Any = self.api.call_api(
                    method, url, header_params=sent, body=body, _request_timeout=timeout
                )
                status = response.status
                if 200 <= status < 300:
                    return read(response)
                raw = _read_error(response)
            except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
                last = Timeout(f"{what}: no answer from {self.host} within {timeout[1]:.0f} s")
                last.__cause__ = exc
                continue
            except (urllib3.exceptions.HTTPError, ApiException, OSError) as exc:
                last = Unavailable(f"{what}: cannot reach {self.host}: {_short(str(exc))}")
                last.__cause__ = exc
                continue
            error = self._error(status, raw, what, dict(response.headers or {}))
            if status in _RETRY_STATUSES or (
                (retry_conflicts or method == "GET")
                and isinstance(error, Conflict)
                and not error.conflicts
                and error.reason == "Conflict"
            ):
                last = error
                continue
            raise error
        assert last is not None
        attempts = policy.attempts
        if isinstance(last, Timeout):
            raise Timeout(f"{last} ({attempts} attempts)", last.status) from last.__cause__
        raise Unavailable(
            f"{last} (after {attempts} attempts)", last.status, last.reason
        ) from last.__cause__

    def _backoff(self, attempt: int, last: ClusterError | None) -> float:
        after = last.retry_after if last is not None else None
        if after is not None:
            if after > self.retry.max_retry_after:
                raise Unavailable(
                    f"{last}: the server asks to retry in {after:.0f} s "
                    f"(waits of more than {self.retry.max_retry_after:.0f} s are not taken)",
                    last.status if last is not None else None,
                )
            if after >= 5:
                self.notify(f"{last}: waiting {after:.0f} s as the server asks")
            return after + self.rng.uniform(0, 0.1 * max(after, 1.0))
        return self.rng.uniform(0, min(self.retry.cap, self.retry.base * 2**attempt))

    def _error(
        self, status: int, raw: bytes, what: str, headers: Mapping[str, str]
    ) -> ClusterError:
        body = _status_of(raw)
        reason = str(body.get("reason") or "")
        message = f"{what}: {status} {reason}: {_short(str(body.get('message') or ''))}".rstrip(
            ": "
        )
        error: ClusterError
        if status == 404:
            error = NotFound(message, status, reason)
        elif status == 409:
            error = Conflict(message, status, reason or "Conflict", _field_conflicts(body, what))
        elif status == 401:
            error = Unauthorized(f"{what}: the cluster refused the credentials (401)", status)
        elif status == 403:
            error = Forbidden(message, status, reason)
        elif status in (400, 422):
            error = Invalid(message, status, reason)
        elif status in _RETRY_STATUSES:
            error = Unavailable(message, status, reason)
        else:
            error = ClusterError(message, status, reason)
        error.retry_after = _retry_after(headers)
        error.detail = _short(str(body.get("message") or ""))
        return error

    # ------------------------------------------------------------ paths

    @staticmethod
    def _resource(kind: tuple[str, str]) -> ResourceKind:
        try:
            return RESOURCES[kind]
        except KeyError:
            raise ClusterError(f"rdm does not handle {kind[1]} ({kind[0]})") from None

    def _collection(self, kind: tuple[str, str], namespace: str | None) -> str:
        resource = self._resource(kind)
        if resource.namespaced and namespace:
            return f"{resource.base}/namespaces/{quote(namespace, safe='')}/{resource.plural}"
        return f"{resource.base}/{resource.plural}"

    def _item(self, kind: tuple[str, str], name: str, namespace: str | None) -> str:
        if self._resource(kind).namespaced and not namespace:
            raise ClusterError(f"{kind[1]}/{name} needs a namespace")
        return f"{self._collection(kind, namespace)}/{quote(name, safe='')}"

    @staticmethod
    def _kind_of(body: Mapping[str, Any]) -> tuple[tuple[str, str], str, str | None]:
        metadata = body.get("metadata") or {}
        name = metadata.get("name")
        if not isinstance(name, str) or not name:
            raise ClusterError(f"{body.get('kind')}: metadata.name is missing")
        return (str(body.get("apiVersion")), str(body.get("kind"))), name, metadata.get("namespace")

    # ------------------------------------------------------------ the Cluster protocol

    def get(
        self, kind: tuple[str, str], name: str, namespace: str | None = None
    ) -> KubeObject | None:
        try:
            found: KubeObject = self.request(
                "GET", self._item(kind, name, namespace), what=f"get {kind[1]}/{name}"
            )
        except NotFound:
            return None
        return found

    def list(
        self, kind: tuple[str, str], *, namespace: str | None = None, selector: str = ""
    ) -> list[KubeObject]:
        path = self._collection(kind, namespace)
        items: list[KubeObject] = []
        token = ""
        while True:
            query = {"limit": str(_LIST_PAGE)}
            if selector:
                query["labelSelector"] = selector
            if token:
                query["continue"] = token
            page = self.request("GET", path, query=query, what=f"list {kind[1]}")
            found = page.get("items") or []
            if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
                raise Unavailable(f"list {kind[1]}: the answer's items are not a list of objects")
            for item in found:
                # list items come without apiVersion and kind
                item.setdefault("apiVersion", kind[0])
                item.setdefault("kind", kind[1])
                items.append(item)
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return items

    def apply(
        self,
        body: Mapping[str, Any],
        *,
        field_manager: str = FIELD_MANAGER,
        force: bool = False,
        dry_run: bool = False,
    ) -> KubeObject:
        kind, name, namespace = self._kind_of(body)
        query = {"fieldManager": field_manager}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        result: KubeObject = self.request(
            "PATCH",
            self._item(kind, name, namespace),
            query=query,
            body=dict(body),
            content_type=APPLY_CONTENT_TYPE,
            what=f"apply {kind[1]}/{name}" + (" (dry run)" if dry_run else ""),
            retry_conflicts=True,
        )
        return result

    def patch(
        self,
        kind: tuple[str, str],
        name: str,
        namespace: str | None,
        operations: Sequence[Mapping[str, Any]],
        *,
        field_manager: str = FIELD_MANAGER,
    ) -> KubeObject:
        result: KubeObject = self.request(
            "PATCH",
            self._item(kind, name, namespace),
            query={"fieldManager": field_manager},
            body=[dict(op) for op in operations],
            content_type="application/json-patch+json",
            what=f"patch {kind[1]}/{name}",
            retry_conflicts=True,  # its test operations make a repeated patch fail, never twice
        )
        return result

    def create(self, body: Mapping[str, Any]) -> KubeObject:
        kind, name, namespace = self._kind_of(body)
        result: KubeObject = self.request(
            "POST",
            self._collection(kind, namespace),
            body=dict(body),
            what=f"create {kind[1]}/{name}",
        )
        return result

    def replace(self, body: Mapping[str, Any]) -> KubeObject:
        kind, name, namespace = self._kind_of(body)
        result: KubeObject = self.request(
            "PUT",
            self._item(kind, name, namespace),
            body=dict(body),
            what=f"replace {kind[1]}/{name}",
        )
        return result

    def delete(
        self,
        kind: tuple[str, str],
        name: str,
        namespace: str | None = None,
        *,
        preconditions: Mapping[str, str] | None = None,
    ) -> bool:
        options: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
        }
        if preconditions:
            options["preconditions"] = dict(preconditions)
        try:
            self.request(
                "DELETE",
                self._item(kind, name, namespace),
                body=options,
                what=f"delete {kind[1]}/{name}",
                # unconditional, a delete is idempotent: a repeat deletes or finds it gone.
                # With preconditions a 409 is the answer (they failed): the caller decides.
                retry_conflicts=not preconditions,
            )
        except NotFound:
            return False
        return True

    def watch(
        self,
        kind: tuple[str, str],
        *,
        namespace: str | None = None,
        selector: str = "",
        seconds: int,
    ) -> Generator[tuple[str, KubeObject], None, None]:
        """The changes to objects of a kind as they happen: (ADDED | MODIFIED | DELETED,
        object). Without a resourceVersion the server first sends every current object
        as ADDED (a consistent read), then each change, until `seconds` have passed.

        The request is sent (and retried) when the iteration starts; closing the
        iterator closes the connection.
        """
        query = {"watch": "true", "timeoutSeconds": str(max(1, seconds))}
        if selector:
            query["labelSelector"] = selector
        what = f"watch {kind[1]}"
        stream: Any = self._send(
            "GET",
            self._collection(kind, namespace),
            lambda response: response.response,
            query=query,
            what=what,
        )
        # a server that ignores timeoutSeconds is not read forever
        until = self.clock() + max(1, seconds) + self.retry.read_timeout
        try:
            for line in _lines(stream, until, self.clock):
                event = _watch_event(line, what)
                if event is None:
                    continue
                if event[0] == "ERROR":
                    code = event[1].get("code")
                    if code == 410:  # Gone: too old a resourceVersion; start again
                        return
                    # the Status, cut to what a message needs (any value may be hostile)
                    status = {k: _short(str(event[1].get(k) or "")) for k in ("reason", "message")}
                    raise self._error(
                        code if isinstance(code, int) and 400 <= code < 600 else 500,
                        json.dumps(status).encode(),
                        what,
                        {},
                    )
                event[1].setdefault("apiVersion", kind[0])
                event[1].setdefault("kind", kind[1])
                yield event
        except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise Timeout(
                f"{what}: nothing from {self.host} within {self.retry.read_timeout:.0f} s"
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            broke = _short(str(exc))
            raise Unavailable(f"{what}: the stream from {self.host} broke: {broke}") from exc
        finally:
            stream.close()  # what is left unread stays on this connection: never reuse it
            stream.release_conn()

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        limit_bytes: int,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        timestamps: bool = False,
    ) -> LogRead:
        """One container's log (`GET .../pods/NAME/log`): its last `tail_lines` lines, of
        the last `since_seconds`, of the instance before the last restart with `previous`,
        never more than `limit_bytes` bytes nor longer than the read timeout to read.

        The API server asks the node's kubelet; a 400 (`Invalid`) is the kubelet's or the
        server's "no log to give" (the container has not started, has no earlier
        instance, the node keeps none), a 404 a pod that is gone. Names are checked
        before they make a path: a namespace or container must be a DNS label, a pod a
        DNS subdomain (`Invalid` otherwise, nothing sent).
        """
        what = f"log of pod/{pod} ({container})"
        for kind, value, pattern in (
            ("namespace", namespace, _DNS_LABEL),
            ("pod", pod, _DNS_SUBDOMAIN),
            ("container", container, _DNS_LABEL),
        ):
            if not pattern.fullmatch(value):
                raise Invalid(f"{_short(what)}: {_short(repr(value))} is not a {kind} name")
        if limit_bytes < 1:
            raise ValueError("limit_bytes must be at least 1")
        query = {"container": container, "limitBytes": str(limit_bytes + 1)}
        if tail_lines is not None:
            query["tailLines"] = str(tail_lines)
        if since_seconds is not None:
            query["sinceSeconds"] = str(since_seconds)
        if previous:
            query["previous"] = "true"
        if timestamps:
            query["timestamps"] = "true"
        seconds = self.retry.read_timeout
        clock = self.clock
        return self._send(
            "GET",
            f"{self._item(POD, pod, namespace)}/log",
            lambda response: _read_log(response, limit_bytes, seconds, clock),
            query=query,
            # the log as it is: a compressed answer could decode to far more than the limit
            headers={"Accept": "application/json, */*", "Accept-Encoding": "identity"},
            what=what,
        )

    def close(self) -> None:
        closer: Callable[[], None] = self.api.close
        closer()


def connect(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    server: str | None = None,
    pool: int = 16,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    notify: Callable[[str], None] = lambda _message: None,
    env: Mapping[str, str] | None = None,
) -> KubeCluster:
    """A client from `kubeconfig` (else `KUBECONFIG`, else ~/.kube/config), or the
    in-cluster service account when there is no kubeconfig and rdm runs in a pod."""
    env = os.environ if env is None else env
    configuration = k8s_client.Configuration()
    explicit = kubeconfig or env.get("KUBECONFIG")
    default = Path("~/.kube/config").expanduser()
    try:
        if explicit or default.exists():
            load_kube_config(
                config_file=str(explicit) if explicit else str(default),
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
        elif env.get("KUBERNETES_SERVICE_HOST"):
            if context:
                raise UsageError("--context needs a kubeconfig; in a pod there is none")
            load_incluster_config(client_configuration=configuration)
        else:
            raise UsageError(
                "no cluster configured: pass --kubeconfig FILE, set KUBECONFIG, "
                "or run inside the cluster"
            )
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        where = explicit or default
        raise ClusterError(f"cannot use the kubeconfig {where}: {_short(str(exc))}") from exc
    if server:
        configuration.host = server.rstrip("/")
    configuration.retries = False  # retries happen in KubeCluster.request only
    configuration.connection_pool_maxsize = pool
    return KubeCluster(k8s_client.ApiClient(configuration), retry=retry, sleep=sleep, notify=notify)
