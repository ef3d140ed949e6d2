"""Is a workload healthy? `kubectl rollout status`'s rules, and `kubectl get pods`'s line.

`deployment_health` decides as `kubectl rollout status deployment/NAME` does
(k8s.io/kubectl, polymorphichelpers/rollout_status.go), in this order:

1. while `metadata.generation > status.observedGeneration`: waiting, the
   controller has not seen the new spec;
2. the `Progressing` condition with reason `ProgressDeadlineExceeded`: failed,
   at once (waiting longer does not help: the Deployment gave up);
3. while `updatedReplicas < spec.replicas`: waiting for new replicas;
4. while `status.replicas > updatedReplicas`: old replicas pending termination;
5. while `availableReplicas < updatedReplicas`: updated replicas not available;
6. otherwise healthy.

While waiting, the reason also carries the `ReplicaFailure` condition when it
is true (`kubectl rollout status` does not show it): a ResourceQuota or a
LimitRange that refuses the new pods, which otherwise reads as a rollout that
merely makes no progress.

`pod_status` is the STATUS column of `kubectl get pods` (the pod's reason,
else a container's waiting or terminated reason, else the phase;
`Terminating` once deleted), with READY and RESTARTS.

Pure: objects in, decisions out; the caller passes the time for ages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"


class State(enum.StrEnum):
    HEALTHY = "healthy"
    PROGRESSING = "progressing"
    FAILED = "failed"


@dataclass(frozen=True)
class Health:
    state: State
    reason: str

    @property
    def healthy(self) -> bool:
        return self.state is State.HEALTHY


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def deployment_health(deployment: Mapping[str, Any]) -> Health:
    """The rollout state of one Deployment, with the sentence kubectl would print."""
    metadata = deployment.get("metadata") or {}
    status = deployment.get("status") or {}
    name = metadata.get("name", "?")
    generation = _int(metadata.get("generation"))
    observed = _int(status.get("observedGeneration"))
    if generation > observed:
        return Health(State.PROGRESSING, "waiting for the deployment spec update to be observed")
    for condition in status.get("conditions") or ():
        if (
            isinstance(condition, Mapping)
            and condition.get("type") == "Progressing"
            and condition.get("reason") == PROGRESS_DEADLINE_EXCEEDED
        ):
            return Health(State.FAILED, f"deployment {name} exceeded its progress deadline")
    waiting = _waiting(deployment)
    if waiting.state is State.PROGRESSING:
        failure = _replica_failure(status)
        if failure:
            return Health(State.PROGRESSING, f"{waiting.reason} ({failure})")
    return waiting


def _replica_failure(status: Mapping[str, Any]) -> str:
    """The true `ReplicaFailure` condition as `Reason: message` (cut short), or ''."""
    for condition in status.get("conditions") or ():
        if (
            isinstance(condition, Mapping)
            and condition.get("type") == "ReplicaFailure"
            and condition.get("status") == "True"
        ):
            reason = condition.get("reason") or "ReplicaFailure"
            text = " ".join(f"{reason}: {condition.get('message') or ''}".split())
            return text if len(text) <= 300 else text[:300] + "…"
    return ""


def _waiting(deployment: Mapping[str, Any]) -> Health:
    """Rules 3-6 (the counts), after the generation and the deadline are settled."""
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    desired = spec.get("replicas", 1)
    desired = _int(desired) if desired is not None else 1
    updated = _int(status.get("updatedReplicas"))
    replicas = _int(status.get("replicas"))
    available = _int(status.get("availableReplicas"))
    if updated < desired:
        return Health(
            State.PROGRESSING, f"{updated} out of {desired} new replicas have been updated"
        )
    if replicas > updated:
        return Health(
            State.PROGRESSING, f"{replicas - updated} old replicas are pending termination"
        )
    if available < updated:
        return Health(State.PROGRESSING, f"{available} of {updated} updated replicas are available")
    return Health(State.HEALTHY, "successfully rolled out")


@dataclass(frozen=True)
class PodLine:
    """One line of `kubectl get pods`."""

    name: str
    ready: str  # ready containers / containers
    status: str
    restarts: int
    age: str


def pod_line(pod: Mapping[str, Any], now: datetime) -> PodLine:
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    containers = spec.get("containers") or []
    statuses = [s for s in status.get("containerStatuses") or [] if isinstance(s, Mapping)]
    reason = status.get("reason") or status.get("phase") or "Unknown"
    restarts = sum(_int(s.get("restartCount")) for s in statuses)
    ready = sum(1 for s in statuses if s.get("ready") is True)
    for container in reversed(statuses):
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
        if waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            signal, code = terminated.get("signal"), terminated.get("exitCode")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{code}"
    if metadata.get("deletionTimestamp"):
        reason = "Terminating"
    return PodLine(
        name=str(metadata.get("name", "?")),
        ready=f"{ready}/{len(containers)}",
        status=str(reason),
        restarts=restarts,
        age=age(metadata.get("creationTimestamp"), now),
    )


def age(timestamp: Any, now: datetime) -> str:
    """kubectl's short age: 45s, 12m, 3h20m, 2d5h, 40d."""
    if not isinstance(timestamp, str):
        return "<unknown>"
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    return short_duration(now - then)


def short_duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    return f"{days}d"
