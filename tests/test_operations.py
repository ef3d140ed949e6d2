"""The orchestration driven without a network: a scripted cluster, a clock the sleeps move.

`rdm.operations` receives the cluster as a Protocol and the clock and sleep as
arguments; these tests hand it answers in the API server's shapes, one per
call, to pin down the waiting and refusing rules. Everything the cluster
itself decides (apply, conflicts, rollouts) is tested on the real control
plane (test_applier_cluster.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rdm.model.kube import Unavailable
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
    """Answers `list` calls from a script; any other call fails the test."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls = 0

    def list(self, kind: Any, *, namespace: str | None = None, selector: str = "") -> Any:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

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


def test_waits_until_every_deployment_waited_for_is_healthy() -> None:
    clock = Clock()
    cluster = Scripted(
        [deployment("a", 1), deployment("b", 2)],
        Unavailable("list Deployment: 503"),  # a failed poll is "not known yet"
        [deployment("a", 2), deployment("b", 2), deployment("other", 0)],
    )
    wait(cluster, clock, ["a", "b"])
    # the first poll after half an interval: what was just applied is never healthy at once
    assert (cluster.calls, clock.slept) == (3, [0.5, 1.0, 1.0])


def test_a_progress_deadline_fails_at_once() -> None:
    clock = Clock()
    cluster = Scripted([deployment("a", 0, deadline=True)])
    with pytest.raises(HealthFailed, match=r"^Deployment/a: deployment a exceeded its progress"):
        wait(cluster, clock, ["a"])
    assert clock.slept == [0.5]  # the first poll decides


def test_out_of_time_names_what_was_not_healthy() -> None:
    clock = Clock()
    cluster = Scripted(*([[deployment("a", 1)]] * 3), Unavailable("list Deployment: 503"))
    with pytest.raises(HealthFailed) as raised:
        wait(cluster, clock, ["a", "gone"], budget=3.0)
    assert str(raised.value) == (
        "not healthy within the RDM's estimatedDuration 10s: Deployment/a: 1 of 2 updated "
        "replicas are available; Deployment/gone: not found; last poll failed: "
        "list Deployment: 503"
    )
    assert clock.slept == [0.5, 1.0, 1.0, 0.5]  # the last one only up to the deadline


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
        Scripted(),
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
