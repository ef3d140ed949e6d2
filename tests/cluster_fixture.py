"""The real control plane for tests marked `cluster` (issue 9): one per session, a fresh
namespace per test.

The session starts its own control plane with tools/controlplane/localcluster.py
(building the binaries first if the cache has none), or uses the cluster of
``RDM_TEST_KUBECONFIG`` (e.g. ``build/cluster/kubeconfig`` after ``make cluster-up``).
Under ``CI=true`` a missing Go toolchain or a failed build fails the tests; elsewhere,
without Go, they are skipped with the reason. ``pytest -m "not cluster"`` never
touches any of this.

    @pytest.mark.cluster
    def test_apply(cluster: Cluster, namespace: str) -> None:
        configmaps = cluster.dynamic().resources.get(api_version="v1", kind="ConfigMap")
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "x", "namespace": namespace}, "data": {"k": "v"}}
        configmaps.server_side_apply(body=body, field_manager="rdm")
        live = eventually("the ConfigMap", lambda: configmaps.get(name="x", namespace=namespace))
        assert live.data.k == "v"

Kwok plays the kubelets: pods are scheduled and become Ready, but nothing runs. A pod
template labelled ``rdm.test/ready: "false"`` (`NOT_READY_LABEL`) gives pods that run
and never become Ready, to play a bad release.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes.client import ApiClient
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "controlplane"))

import localcluster  # noqa: E402  (tools/controlplane is not a package: found through sys.path)

from fault_proxy import FaultProxy  # noqa: E402  (after the path is set, with the rest)

NOT_READY_LABEL = localcluster.NOT_READY_LABEL
T = TypeVar("T")


def eventually(
    what: str, check: Callable[[], T], timeout: float = 60.0, interval: float = 0.2
) -> T:
    """Poll `check` until it returns something truthy (returned) or the deadline passes
    (AssertionError naming `what` and the last value or error). Not-found errors count as
    "not yet". For waiting on the cluster, never for timing it."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except NotFoundError as error:
            last = error
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {last}")
        time.sleep(interval)


@dataclass
class Cluster:
    """What a test needs to reach the cluster: the kubeconfig, the server URL and the files
    of its TLS identity, and fresh clients (`api_client()`, `dynamic()`)."""

    connection: localcluster.Connection
    scratch: Path
    _clients: list[ApiClient] = field(default_factory=list, repr=False)

    @property
    def kubeconfig(self) -> Path:
        return self.connection.kubeconfig

    @property
    def server(self) -> str:
        return self.connection.server

    @property
    def ca_cert(self) -> Path:
        return self.connection.ca_cert

    @property
    def client_cert(self) -> Path | None:
        return self.connection.client_cert

    @property
    def client_key(self) -> Path | None:
        return self.connection.client_key

    def api_client(self) -> ApiClient:
        """A new `kubernetes.client.ApiClient` for this cluster (closed at the session's end)."""
        client = self.connection.api_client()
        self._clients.append(client)
        return client

    def dynamic(self) -> DynamicClient:
        """A `DynamicClient` (plain dicts, no model validation) whose discovery cache
        belongs to this cluster alone."""
        port = self.server.rsplit(":", 1)[-1]
        return DynamicClient(self.api_client(), cache_file=str(self.scratch / f"discovery-{port}"))

    def create_namespace(self, hint: str) -> str:
        """A new namespace named after `hint`, once its default ServiceAccount exists (pods
        cannot be created before)."""
        base = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-")[:40].strip("-") or "test"
        name = f"t-{base}-{secrets.token_hex(3)}"
        api = self.dynamic()
        namespaces = api.resources.get(api_version="v1", kind="Namespace")
        namespaces.create(
            body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )
        accounts = api.resources.get(api_version="v1", kind="ServiceAccount")
        eventually(
            f"the default ServiceAccount of {name}",
            lambda: accounts.get(name="default", namespace=name),
        )
        return name

    def delete_namespace(self, name: str) -> None:
        """Delete without waiting: the namespace controller and kwok finish it."""
        namespaces = self.dynamic().resources.get(api_version="v1", kind="Namespace")
        with contextlib.suppress(NotFoundError):
            namespaces.delete(name=name)

    def close(self) -> None:
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        self._clients.clear()


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the cluster tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    scratch = tmp_path_factory.mktemp("cluster")
    external = os.environ.get("RDM_TEST_KUBECONFIG")
    if external:
        connection = localcluster.Connection.from_kubeconfig(Path(external), scratch / "external")
        helper = Cluster(connection, scratch)
        yield helper
        helper.close()
        return

    binaries = localcluster.cached_binaries()
    if binaries is None:
        if localcluster.go_toolchain() is None:
            _skip_or_fail(
                "no Go toolchain and no built control plane: the cluster tests need "
                "`make controlplane` (Go >= 1.26) or RDM_TEST_KUBECONFIG"
            )
        capture = request.config.pluginmanager.getplugin("capturemanager")
        # a cold build takes many minutes: let its progress show instead of a silent pause
        quiet = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
        try:
            with quiet:
                binaries = localcluster.build()
        except localcluster.ControlPlaneError as error:
            pytest.fail(f"building the control plane failed: {error}", pytrace=False)

    state = scratch / "state"
    try:
        connection = localcluster.up(
            state, binaries=binaries, tie_to_parent=True, log=lambda _: None
        )
    except localcluster.ControlPlaneError as error:
        pytest.fail(f"starting the control plane failed: {error}", pytrace=False)
    helper = Cluster(connection, scratch)
    try:
        yield helper
    finally:
        helper.close()
        localcluster.down(state, log=lambda _: None)


@pytest.fixture
def namespaces(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """A factory of fresh namespaces, all deleted after the test."""
    created: list[str] = []

    def new() -> str:
        created.append(cluster.create_namespace(request.node.name))
        return created[-1]

    yield new
    for name in created:
        cluster.delete_namespace(name)


@pytest.fixture
def namespace(namespaces: Callable[[], str]) -> str:
    """One fresh namespace for the test, deleted after it."""
    return namespaces()


@pytest.fixture
def proxy_for(cluster: Cluster) -> Iterator[Callable[[object], FaultProxy]]:
    """Start a fault proxy (tests/fault_proxy.py) in front of the API server with a plan;
    every proxy started is stopped after the test."""
    proxies: list[FaultProxy] = []

    def start(plan: object) -> FaultProxy:
        proxy = FaultProxy(cluster.server, cluster.connection.ssl_context(), plan)  # type: ignore[arg-type]
        proxies.append(proxy.__enter__())
        return proxy

    yield start
    for proxy in proxies:
        proxy.__exit__()
