"""The cluster edge's retries against the real API server behind a fault-injecting proxy.

Every request goes through `KubeCluster.request`: these tests make the API
server (through tests/fault_proxy.py) answer 503, 429 with `Retry-After`,
a slow answer, a dropped connection or a 409, and check what the edge does:
retry with the server's wait, give up after its attempts with rdm's own error,
never retry a 4xx that will not change. The waits are recorded, not slept,
where only their length matters. Then whole applies under random faults must
end at their target or exactly at their snapshot.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cluster_fixture import Cluster
from fault_proxy import Fault, FaultProxy, RandomFaults, Request
from rdm.edges.cluster import KubeCluster, RetryPolicy, connect
from rdm.model.kube import NAMESPACE, Invalid, Timeout, Unavailable
from rdm.operations import snapshots as stored
from rdm.operations.applier import Outcome, Settings, apply_topologies, verify_state
from state_check import State
from test_applier_cluster import bad_release, plan_of, topology_repo

pytestmark = pytest.mark.cluster


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def first(*faults: Fault) -> object:
    """A plan: the given faults for the first requests, then pass everything."""

    def plan(request: Request) -> Fault | None:
        return faults[request.number - 1] if request.number <= len(faults) else None

    return plan


def through(
    cluster: Cluster, proxy: FaultProxy, sleep: object = time.sleep, **policy: float
) -> KubeCluster:
    return connect(
        cluster.kubeconfig,
        server=proxy.url,
        retry=RetryPolicy(**policy),  # type: ignore[arg-type]
        sleep=sleep,  # type: ignore[arg-type]
    )


def test_5xx_429_and_dropped_connections_are_retried_honouring_retry_after(
    cluster: Cluster, proxy_for: object
) -> None:
    proxy = proxy_for(  # type: ignore[operator]
        first(Fault("status", 503), Fault("status", 429, retry_after=2), Fault("drop"))
    )
    sleeps = Sleeps()
    kube = through(cluster, proxy, sleeps)
    assert kube.get(NAMESPACE, "default") is not None
    assert (kube.requests, kube.retries) == (4, 3)
    assert proxy.injected == {"status 503": 1, "status 429": 1, "drop": 1}
    assert 2.0 <= sleeps[1] <= 2.2  # the server's Retry-After, with a little jitter
    assert all(0 <= s <= RetryPolicy().cap for s in (sleeps[0], sleeps[2]))


def test_retries_end_with_unavailable_after_the_attempts(
    cluster: Cluster, proxy_for: object
) -> None:
    proxy = proxy_for(lambda request: Fault("status", 503))  # type: ignore[operator]
    kube = through(cluster, proxy, Sleeps(), attempts=4)
    with pytest.raises(Unavailable) as raised:
        kube.list(NAMESPACE)
    assert str(raised.value) == (
        "list Namespace: 503 ServiceUnavailable: injected by the fault proxy: "
        "ServiceUnavailable (after 4 attempts)"
    )
    assert kube.requests == 4


def test_a_long_retry_after_fails_at_once(cluster: Cluster, proxy_for: object) -> None:
    proxy = proxy_for(first(Fault("status", 429, retry_after=600)))  # type: ignore[operator]
    sleeps = Sleeps()
    kube = through(cluster, proxy, sleeps)
    with pytest.raises(Unavailable, match="asks to retry in 600 s"):
        kube.get(NAMESPACE, "default")
    assert (kube.requests, sleeps) == (1, [])


def test_a_slow_answer_times_out_and_is_retried(cluster: Cluster, proxy_for: object) -> None:
    proxy = proxy_for(first(Fault("slow", delay=3.0), Fault("slow", delay=3.0)))  # type: ignore[operator]
    kube = through(cluster, proxy, Sleeps(), read_timeout=1.0)
    assert kube.get(NAMESPACE, "default") is not None
    assert (kube.requests, kube.retries) == (3, 2)
    proxy2 = proxy_for(lambda request: Fault("slow", delay=3.0))  # type: ignore[operator]
    stuck = through(cluster, proxy2, Sleeps(), read_timeout=1.0, attempts=2)
    with pytest.raises(Timeout, match=r"no answer from http://127\.0\.0\.1:\d+ within 1 s"):
        stuck.get(NAMESPACE, "default")


def test_a_4xx_that_will_not_change_is_not_retried(cluster: Cluster, namespace: str) -> None:
    kube = connect(cluster.kubeconfig, sleep=Sleeps())
    assert kube.get(("v1", "ConfigMap"), "nothing-here", namespace) is None
    bad = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "Not_A_Name", "namespace": namespace},
    }
    with pytest.raises(Invalid, match=r"^apply ConfigMap/Not_A_Name: 422 Invalid: "):
        kube.apply(bad)
    assert (kube.requests, kube.retries) == (2, 0)
    kube.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_applies_under_random_faults_end_at_target_or_snapshot(
    cluster: Cluster, namespace: str, tmp_path: Path, proxy_for: object, seed: int
) -> None:
    org = namespace
    good = plan_of(topology_repo(tmp_path, org), org)
    faults = RandomFaults(rate=0.2, seed=seed, slow=2.5)
    proxy = proxy_for(faults)  # type: ignore[operator]
    kube = through(cluster, proxy, read_timeout=2.0, base=0.05, cap=0.5)
    direct = connect(cluster.kubeconfig)
    settings = Settings(identity=f"fault-run {seed}", poll=0.5)

    def clock() -> datetime:
        return datetime.now(UTC)

    outcomes = []
    for plan in (good, bad_release(good), good):
        (result,) = apply_topologies(kube, [plan], settings=settings, clock=clock, sleep=time.sleep)
        outcomes.append(result.outcome)
        snapshot = stored.load(direct, org, result.snapshot_id) if result.snapshot_id else None
        state = verify_state(direct, plan, snapshot)
        assert state.state in ("target", "snapshot"), (result, state)
        if result.outcome in (Outcome.APPLIED, Outcome.UNCHANGED):
            assert state.state == "target"
    assert outcomes[1] in (Outcome.ROLLED_BACK, Outcome.FAILED)
    assert sum(proxy.injected.values()) > 0
    assert kube.retries > 0
    direct.close()


def deletes_answered(code: int, count: int) -> object:
    """A plan: the first `count` DELETE requests answered `code` (not forwarded)."""
    seen: list[Request] = []

    def plan(request: Request) -> Fault | None:
        if request.method != "DELETE" or len(seen) >= count:
            return None
        seen.append(request)
        return Fault("status", code)

    return plan


def test_an_unconditional_delete_answered_409_is_retried(
    cluster: Cluster, namespace: str, proxy_for: object
) -> None:
    direct = connect(cluster.kubeconfig)
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": namespace},
    }
    direct.apply(body)
    proxy = proxy_for(deletes_answered(409, 2))  # type: ignore[operator]
    kube = through(cluster, proxy, Sleeps())
    assert kube.delete(("v1", "ConfigMap"), "x", namespace) is True
    assert (kube.requests, kube.retries) == (3, 2)
    assert direct.get(("v1", "ConfigMap"), "x", namespace) is None
    direct.close()


def test_a_rollback_whose_deletes_meet_409s_still_ends_exactly_at_the_snapshot(
    cluster: Cluster, namespace: str, tmp_path: Path, proxy_for: object
) -> None:
    """Found by the fault run (bench/faults.py, seed 364790): a bad release on a first
    apply; its rollback deletes what the release created, and an optimistic-concurrency
    409 on a DELETE used to end the restore attempt, three of them the rollback: half of
    the topology stayed (`rollback-failed`)."""
    org = namespace
    bad = bad_release(plan_of(topology_repo(tmp_path, org), org))
    before = State.read(cluster.connection, org)
    proxy = proxy_for(deletes_answered(409, 3))  # type: ignore[operator]
    kube = through(cluster, proxy)
    settings = Settings(identity="fault-run 409", poll=0.5)
    (result,) = apply_topologies(
        kube, [bad], settings=settings, clock=lambda: datetime.now(UTC), sleep=time.sleep
    )
    assert result.outcome is Outcome.ROLLED_BACK, (result.failure, result.rollback)
    assert proxy.injected == {"status 409": 3}
    verdict = before.judge(cluster.connection, bad.objects, bad.revision)
    assert verdict.state == "snapshot", verdict.explain()
    assert result.rollback is not None
    assert "Deployment/protheus-appserver-prod" in result.rollback.deleted


class OutageFromFirstDelete:
    """A plan: from the first DELETE on, every request fails (503) for `seconds`: the API
    server goes away just as a rollback starts deleting what a bad release created."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.began: float | None = None

    def __call__(self, request: Request) -> Fault | None:
        if self.began is None and request.method == "DELETE":
            self.began = time.monotonic()
        if self.began is not None and time.monotonic() - self.began < self.seconds:
            return Fault("status", 503)
        return None


def test_a_rollback_outlasts_an_outage_longer_than_the_edge_retries(
    cluster: Cluster, namespace: str, tmp_path: Path, proxy_for: object
) -> None:
    """Found by the fault run with outages (bench/faults.py --outages, seed 739434): an
    outage of the API server longer than the edge's retries used to end the rollback after
    three attempts (`rollback-failed`, the topology half-applied) although the declared
    rollback time had most of its minutes left."""
    org = namespace
    bad = bad_release(plan_of(topology_repo(tmp_path, org), org))
    before = State.read(cluster.connection, org)
    outage = OutageFromFirstDelete(8.0)
    proxy = proxy_for(outage)  # type: ignore[operator]
    kube = through(cluster, proxy, base=0.05, cap=0.5)  # the edge gives up within 2 s
    messages: list[str] = []
    (result,) = apply_topologies(
        kube,
        [bad],
        settings=Settings(identity="fault-run outage", poll=0.5),
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
        reporter=lambda _org, message: messages.append(message),
    )
    assert result.outcome is Outcome.ROLLED_BACK, (result.failure, result.rollback)
    assert outage.began is not None and proxy.injected["status 503"] >= 12
    assert sum("rollback step failed" in m for m in messages) >= 2
    verdict = before.judge(cluster.connection, bad.objects, bad.revision)
    assert verdict.state == "snapshot", verdict.explain()
