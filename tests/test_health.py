"""Rollout health as `kubectl rollout status` decides it, and the pod line of `kubectl get pods`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rdm.decisions.health import State, age, deployment_health, pod_line, short_duration


def deployment(generation: int = 2, desired: int | None = 3, **status: object) -> dict:
    spec = {} if desired is None else {"replicas": desired}
    return {"metadata": {"name": "web", "generation": generation}, "spec": spec, "status": status}


HEALTHY = {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}


@pytest.mark.parametrize(
    ("obj", "state", "reason"),
    [
        (deployment(**HEALTHY), State.HEALTHY, "successfully rolled out"),
        (
            deployment(**{**HEALTHY, "observedGeneration": 1}),
            State.PROGRESSING,
            "waiting for the deployment spec update to be observed",
        ),
        (
            deployment(**{**HEALTHY, "updatedReplicas": 1}),
            State.PROGRESSING,
            "1 out of 3 new replicas have been updated",
        ),
        (
            deployment(**{**HEALTHY, "replicas": 4}),
            State.PROGRESSING,
            "1 old replicas are pending termination",
        ),
        (
            deployment(**{**HEALTHY, "availableReplicas": 2}),
            State.PROGRESSING,
            "2 of 3 updated replicas are available",
        ),
        (
            deployment(generation=1, desired=None, observedGeneration=1),
            State.PROGRESSING,
            "0 out of 1 new replicas",
        ),
        (deployment(desired=0, observedGeneration=2), State.HEALTHY, "successfully rolled out"),
    ],
)
def test_rollout_rules_in_kubectl_order(obj: dict, state: State, reason: str) -> None:
    health = deployment_health(obj)
    assert health.state is state
    assert health.reason.startswith(reason)


def test_progress_deadline_exceeded_fails_at_once_even_with_replicas_missing() -> None:
    obj = deployment(
        observedGeneration=2,
        updatedReplicas=1,
        conditions=[
            {"type": "Available", "status": "True"},
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"},
        ],
    )
    health = deployment_health(obj)
    assert health.state is State.FAILED
    assert health.reason == "deployment web exceeded its progress deadline"


def test_an_unobserved_generation_waits_even_past_a_deadline_condition() -> None:
    # a new spec resets the condition: kubectl waits for the controller to see it first
    obj = deployment(
        observedGeneration=1,
        conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}],
    )
    assert deployment_health(obj).state is State.PROGRESSING


NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def pod(**status: object) -> dict:
    return {
        "metadata": {"name": "web-1", "creationTimestamp": "2026-12-03T02:45:00Z"},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": status,
    }


def test_pod_line_running_with_restarts_and_age() -> None:
    line = pod_line(
        pod(
            phase="Running",
            containerStatuses=[
                {"ready": True, "restartCount": 2, "state": {"running": {}}},
                {"ready": False, "restartCount": 1, "state": {"running": {}}},
            ],
        ),
        NOW,
    )
    assert (line.name, line.ready, line.status, line.restarts, line.age) == (
        "web-1",
        "1/2",
        "Running",
        3,
        "15m",
    )


def test_pod_line_shows_the_waiting_reason_and_terminating() -> None:
    waiting = pod(
        phase="Pending",
        containerStatuses=[{"ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}],
    )
    assert pod_line(waiting, NOW).status == "ImagePullBackOff"
    gone = pod(phase="Running")
    gone["metadata"]["deletionTimestamp"] = "2026-12-03T02:59:00Z"
    assert pod_line(gone, NOW).status == "Terminating"
    crashed = pod(phase="Running", containerStatuses=[{"state": {"terminated": {"exitCode": 137}}}])
    assert pod_line(crashed, NOW).status == "ExitCode:137"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600 + 1200, "3h20m"),
        (30 * 3600, "30h"),
        (2 * 86400 + 5 * 3600, "2d5h"),
        (40 * 86400, "40d"),
        (-5, "0s"),
    ],
)
def test_short_duration_like_kubectl(seconds: int, text: str) -> None:
    assert short_duration(timedelta(seconds=seconds)) == text


def test_age_of_a_missing_or_bad_timestamp() -> None:
    assert age(None, NOW) == "<unknown>"
    assert age("yesterday", NOW) == "<unknown>"


def test_a_true_replica_failure_says_why_the_new_pods_do_not_come() -> None:
    failure = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": 'pods "web-7d9c-x2" is forbidden: exceeded quota: pods, requested: pods=1,\n'
        "used: pods=12, limited: pods=12",
    }
    waiting = deployment(**{**HEALTHY, "updatedReplicas": 1, "conditions": [failure]})
    assert deployment_health(waiting).reason == (
        '1 out of 3 new replicas have been updated (FailedCreate: pods "web-7d9c-x2" is '
        "forbidden: exceeded quota: pods, requested: pods=1, used: pods=12, limited: pods=12)"
    )
    over = deployment(
        **{**HEALTHY, "updatedReplicas": 1, "conditions": [{**failure, "status": "False"}]}
    )
    assert deployment_health(over).reason == "1 out of 3 new replicas have been updated"
    healthy = deployment(**{**HEALTHY, "conditions": [failure]})
    assert deployment_health(healthy).state is State.HEALTHY
