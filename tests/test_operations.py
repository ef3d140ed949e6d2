"""The orchestration driven without a network: a scripted cluster, a clock the sleeps move.

`rdm.operations` receives the cluster as a Protocol and the clock and sleep as
arguments; these tests hand it answers in the API server's shapes, one per
call, to pin down the waiting and refusing rules. Everything the cluster
itself decides (apply, conflicts, rollouts) is tested on the real control
plane (test_applier_cluster.py).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rdm.model.kube import Forbidden, Unavailable
from rdm.operations.applier import Outcome, Settings, TopologyPlan, apply_one
from rdm.operations.health import HealthFailed, wait_healthy
from rdm.operations.lock import expired, holder_of

START = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


class Scripted:
    """Answers `watch` and `list` calls from a script, in order; any other call fails the
    test. A watch answer is `(events, seconds)`: the events it streams, then the time
    its session took on the clock (the server's timeout, unless it cut it short)."""

    def __init__(self, clock: Clock, *answers: tuple[str, object]) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.calls: list[str] = []
        self.asked: list[int] = []  # the seconds each watch asked for
        self.closed = 0  # watches closed, read to their end or not

    def _next(self, call: str) -> object:
        self.calls.append(call)
        expected, answer = self.answers.pop(0)
        assert expected == call, f"{call} called, the script has {expected} next"
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list(self, kind: Any, *, namespace: str | None = None, selector: str = "") -> Any:
        return self._next("list")

    def watch(
        self, kind: Any, *, namespace: str | None = None, selector: str = "", seconds: int
    ) -> Generator[tuple[str, Any], None, None]:
        self.asked.append(seconds)
        events, took = self._next("watch")  # type: ignore[misc]
        try:
            yield from events
            self.clock.now += timedelta(seconds=took)
        finally:
            self.closed += 1

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call: {name}")


def deployment(name: str, ready: int, *, deadline: bool = False) -> dict:
    conditions = [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}] if deadline else []
    return {
        "metadata": {"name": name, "generation": 2},
        "spec": {"replicas": 2},
        "status": {
            "observedGeneration": 2,
            "replicas": 2,
            "updatedReplicas": 2,
            "availableReplicas": ready,
            "conditions": conditions,
        },
    }


def wait(cluster: Scripted, clock: Clock, names: list[str], budget: float = 10.0) -> None:
    wait_healthy(
        cluster,  # type: ignore[arg-type]
        "org-a",
        names,
        deadline=START + timedelta(seconds=budget),
        budget_text="the RDM's estimatedDuration 10s",
        clock=clock,
        sleep=clock.sleep,
        poll=1.0,
    )


def test_a_watch_ends_the_wait_at_the_change_that_makes_everything_healthy() -> None:
    clock = Clock()
    events = [
        ("ADDED", deployment("a", 1)),
        ("ADDED", deployment("b", 2)),
        ("ADDED", deployment("other", 0)),  # not waited for
        ("MODIFIED", deployment("a", 2)),
        ("MODIFIED", deployment("b", 0)),  # never read: the wait ended before
    ]
    cluster = Scripted(clock, ("watch", (events, 5)))
    wait(cluster, clock, ["a", "b"])
    # one request, no sleep, and the stream closed although it had more to say
    assert (cluster.calls, clock.slept, cluster.closed) == (["watch"], [], 1)
    assert cluster.asked == [5]


def test_a_watch_that_times_out_is_followed_by_another_from_the_current_state() -> None:
    clock = Clock()
    cluster = Scripted(
        clock,
        ("watch", ([("ADDED", deployment("a", 1)), ("ADDED", deployment("b", 1))], 5)),
        ("watch", ([("ADDED", deployment("a", 2)), ("ADDED", deployment("b", 2))], 5)),
    )
    wait(cluster, clock, ["a", "b"], budget=7.0)
    assert (cluster.calls, clock.slept, cluster.closed) == (["watch", "watch"], [], 2)
    assert cluster.asked == [5, 2]  # never past the deadline


def test_a_deleted_deployment_is_not_found_again() -> None:
    clock = Clock()
    gone = [("ADDED", deployment("a", 2)), ("DELETED", deployment("a", 2))]
    cluster = Scripted(clock, ("watch", ([("ADDED", deployment("b", 1)), *gone], 5)))
    with pytest.raises(HealthFailed, match=r"Deployment/a: not found; Deployment/b: 1 of 2"):
        wait(cluster, clock, ["a", "b"], budget=5.0)


def test_a_failed_watch_is_followed_by_a_list_then_a_watch_again() -> None:
    clock = Clock()
    cluster = Scripted(
        clock,
        ("watch", Unavailable("watch Deployment: 503")),  # "not known yet"
        ("list", [deployment("a", 1)]),
        ("watch", ([("ADDED", deployment("a", 2))], 5)),
    )
    wait(cluster, clock, ["a"])
    assert (cluster.calls, clock.slept) == (["watch", "list", "watch"], [1.0])


def test_a_cluster_that_forbids_watching_is_polled_with_lists() -> None:
    clock = Clock()
    cluster = Scripted(
        clock,
        ("watch", Forbidden("watch Deployment: 403 Forbidden")),
        ("list", [deployment("a", 1)]),
        ("list", Unavailable("list Deployment: 503")),
        ("list", [deployment("a", 2)]),
    )
    wait(cluster, clock, ["a"])
    assert (cluster.calls, clock.slept) == (["watch", "list", "list", "list"], [1.0, 1.0, 1.0])


def test_a_watch_cut_short_by_the_server_is_not_reopened_at_once() -> None:
    clock = Clock()
    cluster = Scripted(
        clock,
        ("watch", ([("ADDED", deployment("a", 1))], 0)),  # the server ended it at once
        ("watch", ([("ADDED", deployment("a", 2))], 0)),
    )
    wait(cluster, clock, ["a"])
    assert (cluster.calls, clock.slept) == (["watch", "watch"], [1.0])


def test_a_progress_deadline_fails_at_once() -> None:
    clock = Clock()
    failed = [("ADDED", deployment("b", 1)), ("ADDED", deployment("a", 0, deadline=True))]
    cluster = Scripted(clock, ("watch", (failed, 5)))
    with pytest.raises(HealthFailed, match=r"^Deployment/a: deployment a exceeded its progress"):
        wait(cluster, clock, ["a", "b"])
    assert (clock.slept, cluster.closed) == ([], 1)  # the first event of it decides


def test_out_of_time_names_what_was_not_healthy() -> None:
    clock = Clock()
    cluster = Scripted(
        clock,
        ("watch", ([("ADDED", deployment("a", 1))], 2)),
        ("watch", Unavailable("watch Deployment: 503")),
        ("list", Unavailable("list Deployment: 503")),  # after what is left of a poll
    )
    with pytest.raises(HealthFailed) as raised:
        wait(cluster, clock, ["a", "gone"], budget=2.5)
    assert str(raised.value) == (
        "not healthy within the RDM's estimatedDuration 10s: Deployment/a: 1 of 2 updated "
        "replicas are available; Deployment/gone: not found; last look failed: "
        "list Deployment: 503"
    )
    assert cluster.asked == [3, 1]  # whole seconds, at least one
    assert clock.slept == [0.5]  # only up to the deadline


def lease(holder: str | None, renewed: str, duration: int = 60) -> Mapping[str, Any]:
    return {
        "spec": {
            "holderIdentity": holder,
            "acquireTime": "2026-12-03T02:00:00.000000Z",
            "renewTime": renewed,
            "leaseDurationSeconds": duration,
        }
    }


@pytest.mark.parametrize(
    ("obj", "is_expired"),
    [
        (lease("ana", "2026-12-03T02:59:30.000000Z"), False),
        (lease("ana", "2026-12-03T02:59:00.000000Z"), True),  # exactly its duration ago
        (lease(None, "2026-12-03T02:59:59.000000Z"), True),  # released
        (lease("ana", "not a time"), True),
        ({"spec": {"holderIdentity": "ana", "renewTime": "2026-12-03T02:59:59Z"}}, True),
    ],
)
def test_lease_expiry(obj: Any, is_expired: bool) -> None:
    assert expired(obj, START) is is_expired


def test_a_lease_holder_as_a_second_run_reads_it() -> None:
    holder = holder_of(lease("ana", "2026-12-03T02:59:30.000000Z"))  # type: ignore[arg-type]
    assert (holder.holder, holder.acquired, holder.expires) == (
        "ana",
        "2026-12-03T02:00:00.000000Z",
        "2026-12-03T03:00:30.000000Z",
    )


def test_objects_outside_the_client_are_refused_before_any_request() -> None:
    clock = Clock()
    stray = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "x",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "rdm", "rdm/org-id": "org-a"},
        },
    }
    plan = TopologyPlan("org-a", (stray,), "rev")
    result = apply_one(
        Scripted(clock),
        plan,
        settings=Settings(identity="t"),
        clock=clock,
        sleep=clock.sleep,  # type: ignore[arg-type]
    )
    assert result.outcome is Outcome.FAILED
    assert result.failure == (
        "refused: ConfigMap/x: namespace 'kube-system' is not the client's 'org-a'"
    )
    assert result.requests == 0
