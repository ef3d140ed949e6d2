"""Waiting for Deployments to be healthy, by the rules of `decisions.health`.

One LIST of the topology's Deployments per poll (not one GET per Deployment),
the first after half an interval (nothing just applied is healthy at once), until
every Deployment waited for is healthy, one has failed
(`ProgressDeadlineExceeded`: at once, no point waiting), or the deadline
passes. A poll that fails after the edge's retries counts as "not known yet":
the wait goes on until the deadline, so a flaky API server does not turn a
good release into a rollback. The lock is renewed between polls.

No I/O but through the `Cluster`; time from the clock and sleep passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from rdm.decisions.health import Health, State, deployment_health
from rdm.model.kube import DEPLOYMENT, ClusterError, selector
from rdm.model.problems import RdmError
from rdm.operations.ports import Clock, Cluster, Sleep


class HealthFailed(RdmError):
    """A Deployment failed its rollout, or was not healthy in time."""


def wait_healthy(
    cluster: Cluster,
    org_id: str,
    names: Collection[str],
    *,
    deadline: datetime,
    budget_text: str,
    clock: Clock,
    sleep: Sleep,
    poll: float = 1.0,
    keep: Callable[[], None] = lambda: None,
) -> None:
    """Return when every Deployment in `names` is healthy; `HealthFailed` otherwise."""
    wanted = set(names)
    if not wanted:
        return
    last: dict[str, Health] = {}
    error: ClusterError | None = None
    # What was just applied is never healthy at once (a controller has to act on it
    # first): the first poll comes after half an interval, not straight away.
    delay = poll / 2
    while True:
        now = clock()
        if now >= deadline and (last or error is not None):
            waiting = "; ".join(
                f"Deployment/{n}: {h.reason}" for n, h in sorted(last.items()) if not h.healthy
            )
            if error is not None:
                waiting = f"{waiting}; last poll failed: {error}".lstrip("; ")
            raise HealthFailed(f"not healthy within {budget_text}: {waiting}")
        sleep(max(0.0, min(delay, (deadline - now).total_seconds())))
        delay = poll
        keep()
        try:
            found = cluster.list(DEPLOYMENT, namespace=org_id, selector=selector(org_id))
        except ClusterError as exc:
            error = exc
            continue
        error = None
        by_name = {str((d.get("metadata") or {}).get("name")): d for d in found}
        last = {}
        for name in sorted(wanted):
            if name not in by_name:
                last[name] = Health(State.PROGRESSING, "not found")
                continue
            last[name] = deployment_health(by_name[name])
            if last[name].state is State.FAILED:
                raise HealthFailed(f"Deployment/{name}: {last[name].reason}")
        if all(h.healthy for h in last.values()):
            return
