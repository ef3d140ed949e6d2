"""The cluster edge's watch, against the real API server (and the fault proxy).

`KubeCluster.watch` is how rdm waits for health: the current objects first, then
each change as it happens, for the seconds asked. The server's own answers are
checked here, then what the edge does with answers that are not a watch: a
dropped or refused opening is retried like any request, and a stream that is
not watch events (a log flood, a mangled answer, an error event) is rdm's own
error, never a crash or an endless read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from cluster_fixture import Cluster
from fault_proxy import Fault, FaultProxy, Request
from rdm.edges.cluster import KubeCluster, RetryPolicy, connect
from rdm.model.kube import CONFIG_MAP, Unavailable

pytestmark = pytest.mark.cluster


@pytest.fixture
def kube(cluster: Cluster) -> Iterator[KubeCluster]:
    client = connect(cluster.kubeconfig)
    yield client
    client.close()


def config_map(namespace: str, name: str, value: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"watched": "yes"}},
        "data": {"value": value},
    }


def test_a_watch_sends_the_current_objects_then_each_change_then_ends(
    kube: KubeCluster, namespace: str
) -> None:
    kube.apply(config_map(namespace, "a", "1"))
    kube.apply(config_map(namespace, "b", "1"))
    kube.apply(
        {
            **config_map(namespace, "other", "1"),
            "metadata": {"name": "other", "namespace": namespace},
        }
    )

    def change() -> None:
        time.sleep(0.5)
        kube.apply(config_map(namespace, "a", "2"))
        kube.delete(CONFIG_MAP, "b", namespace)

    worker = threading.Thread(target=change)
    started = time.monotonic()
    worker.start()
    seen = [
        (change, found["metadata"]["name"], found["data"]["value"], found["kind"])
        for change, found in kube.watch(
            CONFIG_MAP, namespace=namespace, selector="watched=yes", seconds=2
        )
    ]
    took = time.monotonic() - started
    worker.join()
    assert sorted(seen[:2]) == [("ADDED", "a", "1", "ConfigMap"), ("ADDED", "b", "1", "ConfigMap")]
    assert seen[2:] == [("MODIFIED", "a", "2", "ConfigMap"), ("DELETED", "b", "1", "ConfigMap")]
    assert 1.5 < took < 10  # the server ended it at the seconds asked


def test_closing_a_watch_early_leaves_the_client_usable(kube: KubeCluster, namespace: str) -> None:
    kube.apply(config_map(namespace, "a", "1"))
    started = time.monotonic()
    events = kube.watch(CONFIG_MAP, namespace=namespace, seconds=30)
    assert next(events)[0] == "ADDED"
    events.close()
    assert time.monotonic() - started < 5  # not read to its 30 s
    assert kube.get(CONFIG_MAP, "a", namespace) is not None


def through(cluster: Cluster, proxy: FaultProxy, **policy: float) -> KubeCluster:
    return connect(
        cluster.kubeconfig,
        server=proxy.url,
        retry=RetryPolicy(**policy),  # type: ignore[arg-type]
        sleep=lambda _seconds: None,
    )


def on_watches(*faults: Fault) -> object:
    """A plan: the given faults for the first watches, in turn; everything else passes."""
    left = list(faults)

    def plan(request: Request) -> Fault | None:
        if "watch=true" in request.path and left:
            return left.pop(0)
        return None

    return plan


def test_a_refused_or_dropped_opening_is_retried_and_the_stream_passes_through(
    cluster: Cluster, proxy_for: object, kube: KubeCluster, namespace: str
) -> None:
    kube.apply(config_map(namespace, "a", "1"))
    proxy = proxy_for(on_watches(Fault("status", 503), Fault("drop")))  # type: ignore[operator]
    edge = through(cluster, proxy)
    seen = [
        c for c, _ in edge.watch(CONFIG_MAP, namespace=namespace, selector="watched=yes", seconds=1)
    ]
    assert seen == ["ADDED"]
    assert (edge.requests, edge.retries) == (3, 2)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("flood"), "the stream is not JSON lines"),
        (Fault("drip", delay=0.2), "the stream is not JSON lines"),
        (Fault("garbled", body=b"5\n"), "a line of the stream is not a watch event"),
        (
            Fault("garbled", body=b'{"type": "ADDED", "object": [1]}\n'),
            "a line of the stream is not a watch event",
        ),
        (
            Fault(
                "garbled",
                body=b'{"type": "ERROR", "object": {"kind": "Status", "code": 500, '
                b'"reason": "InternalError", "message": "etcd gone ' + b"x" * 2000 + b'"}}\n',
            ),
            "500 InternalError: etcd ",
        ),
    ],
)
def test_a_stream_that_is_not_watch_events_is_an_error_not_a_crash(
    cluster: Cluster, proxy_for: object, namespace: str, fault: Fault, message: str
) -> None:
    proxy = proxy_for(on_watches(fault))  # type: ignore[operator]
    edge = through(cluster, proxy)
    started = time.monotonic()
    with pytest.raises(Unavailable, match=message) as raised:
        list(edge.watch(CONFIG_MAP, namespace=namespace, seconds=1))
    assert time.monotonic() - started < 10
    assert len(str(raised.value)) < 400  # what the server said, cut short


def test_an_expired_watch_ends_quietly_and_a_bookmark_is_no_event(
    cluster: Cluster, proxy_for: object, namespace: str
) -> None:
    body = (
        b'{"type": "BOOKMARK", "object": {"kind": "ConfigMap", "metadata": {}}}\n'
        b'{"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}\n'
        b'{"type": "ADDED", "object": {"kind": "ConfigMap", "metadata": {"name": "late"}}}\n'
    )
    proxy = proxy_for(on_watches(Fault("garbled", body=body)))  # type: ignore[operator]
    edge = through(cluster, proxy)
    assert list(edge.watch(CONFIG_MAP, namespace=namespace, seconds=1)) == []


def test_a_line_longer_than_any_object_is_refused(
    cluster: Cluster, proxy_for: object, namespace: str
) -> None:
    proxy = proxy_for(on_watches(Fault("garbled", body=b"{" + b" " * (5 * 1024 * 1024))))  # type: ignore[operator]
    edge = through(cluster, proxy)
    with pytest.raises(Unavailable, match="a watch event longer than 4194304 bytes"):
        list(edge.watch(CONFIG_MAP, namespace=namespace, seconds=1))
