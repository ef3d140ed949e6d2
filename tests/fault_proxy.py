"""A fault-injecting proxy of the tests' own between rdm and the real API server.

Plain HTTP towards the client (rdm connects with `connect(kubeconfig,
server=proxy.url)`), TLS with the cluster's client certificate towards the API
server, so the state behind it stays real. For each request a `Plan` (any
callable) picks a `Fault` or None (pass through):

- `Fault("status", code=503)` / `code=500`/`502`/`504`: answer with a Kubernetes
  `Status` body and that code, without forwarding;
- `Fault("status", code=429, retry_after=2)`: throttled, with `Retry-After`;
- `Fault("status", code=409)`: a `Conflict` Status without field causes (an
  optimistic-concurrency conflict, as the server answers a concurrent write);
- `Fault("slow", delay=s)`: forward after `delay` seconds (past the client's
  read timeout, the client gives up);
- `Fault("drop")`: close the connection without an answer, the request not
  forwarded; `Fault("drop-after")`: forward it, then close without the answer
  (the change happened, the client does not know);
- `Fault("garbled", body=b"5")`: forward it, then answer 200 with `body` instead
  of the server's answer (a proxy in between that mangles answers: the change
  happened, the answer is of another shape);
- `Fault("flood")`: a 200 text answer (a pod log) that never ends, whatever
  `limitBytes` asked, sent as fast as the client reads (up to `FLOOD_CAP`);
  `Fault("drip", delay=s)`: a 200 text answer of one line every `delay` seconds
  that never ends. Both stop when the client closes the connection.

A watch (`watch=true`) passed through is streamed as the server sends it; the
faults above apply to it as to any request.

`RandomFaults(rate, seed)` picks among them at random: the fault run of
issue 10 (100 applies) builds on it. `injected` counts what was done.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
FLOOD_CAP = 256 * 1024 * 1024  # a flood stops here even if the client never does


@dataclass(frozen=True)
class Fault:
    kind: str  # status | slow | drop | drop-after | garbled | flood | drip
    code: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    body: bytes = b""

    def __str__(self) -> str:
        return f"{self.kind} {self.code}" if self.kind == "status" else self.kind


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    number: int  # 1-based, in arrival order


Plan = Callable[[Request], Fault | None]


class RandomFaults:
    """A fault for a share `rate` of requests, chosen at random (seeded)."""

    def __init__(self, rate: float, seed: int = 0, slow: float = 3.0) -> None:
        self.rate = rate
        self.random = random.Random(seed)  # noqa: S311 - test faults, not security
        self.lock = threading.Lock()
        self.choices = [
            Fault("status", 503),
            Fault("status", 500),
            Fault("status", 429, retry_after=1),
            Fault("status", 409),
            Fault("slow", delay=slow),
            Fault("drop"),
            Fault("drop-after"),
        ]

    def __call__(self, request: Request) -> Fault | None:
        with self.lock:
            if self.random.random() >= self.rate:
                return None
            return self.random.choice(self.choices)


def _status_body(code: int) -> bytes:
    reason = {409: "Conflict", 429: "TooManyRequests", 503: "ServiceUnavailable"}.get(
        code, "InternalError"
    )
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"injected by the fault proxy: {reason}",
            "reason": reason,
            "code": code,
        }
    ).encode()


def _endless(handler: BaseHTTPRequestHandler, fault: Fault) -> None:
    """A chunked text/plain 200 that goes on until the client leaves."""
    handler.close_connection = True
    line = b"2026-05-12T10:00:00Z flood of a log that ignores limitBytes " + b"x" * 64 + b"\n"
    chunk = line * (1 if fault.kind == "drip" else 512)
    sent = 0
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while sent < FLOOD_CAP:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
            sent += len(chunk)
            if fault.kind == "drip":
                time.sleep(fault.delay)
    except OSError:
        return  # the client closed the connection: what a capped reader does


class FaultProxy:
    def __init__(self, upstream: str, context: ssl.SSLContext, plan: Plan) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 443
        self.context = context
        self.plan = plan
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        with self._lock:
            self.requests += 1
            number = self.requests
        fault = self.plan(Request(handler.command, handler.path, number))
        if fault is not None:
            with self._lock:
                self.injected[str(fault)] += 1
        if fault is not None and fault.kind == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "status":
            payload = _status_body(fault.code)
            handler.send_response(fault.code)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            if fault.retry_after is not None:
                handler.send_header("Retry-After", str(fault.retry_after))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if fault is not None and fault.kind in ("flood", "drip"):
            _endless(handler, fault)
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if "watch=true" in handler.path and (fault is None or fault.kind == "slow"):
            self._stream(handler, body)
            return
        status, headers, payload = self._forward(handler, body)
        if fault is not None and fault.kind == "drop-after":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "garbled":
            status, headers, payload = 200, [("Content-Type", "application/json")], fault.body
        try:
            handler.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP and name.lower() != "content-length":
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True  # the client gave up (a slow answer)

    def _upstream(
        self, handler: BaseHTTPRequestHandler, body: bytes | None
    ) -> tuple[http.client.HTTPSConnection, http.client.HTTPResponse]:
        """The request sent on to the API server; its answer's head read."""
        connection = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=60
        )
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        connection.request(handler.command, handler.path, body=body, headers=headers)
        return connection, connection.getresponse()

    def _stream(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        """A watch passed through as it streams (chunk by chunk, not read to its end
        first), until the server ends it or the client leaves."""
        connection: http.client.HTTPSConnection | None = None
        try:
            connection, response = self._upstream(handler, body)
            handler.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in _HOP and name.lower() != "content-length":
                    handler.send_header(name, value)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            while chunk := response.read1(65536):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            handler.close_connection = True  # the client left (a watch it closed)
        finally:
            if connection is not None:
                connection.close()

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection, response = self._upstream(handler, body)
        try:
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()
