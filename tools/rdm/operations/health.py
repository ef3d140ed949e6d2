"""Waiting for Deployments to be healthy, by the rules of `decisions.health`.

A watch of the topology's Deployments (one request a wave, not one a poll):
the server first sends every Deployment as it is (a consistent read), then each
change as the controllers make it, and the wait judges each one as it comes.
It ends as soon as every Deployment waited for is healthy, at once when one has
failed (`ProgressDeadlineExceeded`: no point waiting), or when the deadline
passes. A watch lasts a few seconds at most (`session`), so the lock is renewed
and a request to stop is seen between two; the next one starts again from the
current state, so a change missed in between is never lost.

When a watch fails after the edge's retries, the next look is a LIST after a
`poll` interval, then a watch again; a cluster that forbids watching is polled
with LISTs for the rest of the wait. A failed look counts as "not known yet":
the wait goes on until the deadline, so a flaky API server does not turn a
good release into a rollback.

No I/O but through the `Cluster`; time from the clock and sleep passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from contextlib import closing
from datetime import datetime

from rdm.decisions.health import Health, State, deployment_health
from rdm.model.kube import DEPLOYMENT, ClusterError, Forbidden, KubeObject, selector
from rdm.model.problems import RdmError
from rdm.operations.ports import Clock, Cluster, Sleep

SESSION = 5  # seconds a watch lasts at most


class HealthFailed(RdmError):
    """A Deployment failed its rollout, or was not healthy in time."""


def _judge(wanted: Collection[str], seen: Mapping[str, KubeObject]) -> dict[str, Health]:
    """The health of each Deployment waited for; `HealthFailed` at once for a failed one."""
    judged: dict[str, Health] = {}
    for name in sorted(wanted):
        if name not in seen:
            judged[name] = Health(State.PROGRESSING, "not found")
            continue
        judged[name] = deployment_health(seen[name])
        if judged[name].state is State.FAILED:
            raise HealthFailed(f"Deployment/{name}: {judged[name].reason}")
    return judged


def _name(found: KubeObject) -> str:
    return str((found.get("metadata") or {}).get("name"))


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
    session: int = SESSION,
) -> None:
    """Return when every Deployment in `names` is healthy; `HealthFailed` otherwise."""
    wanted = frozenset(names)
    if not wanted:
        return
    last: dict[str, Health] = {}
    error: ClusterError | None = None
    can_watch = True
    watch_next = True
    pause = False  # the last watch ended early: a server that cuts watches is not hammered
    while True:
        now = clock()
        if now >= deadline and (last or error is not None):
            waiting = "; ".join(
                f"Deployment/{n}: {h.reason}" for n, h in sorted(last.items()) if not h.healthy
            )
            if error is not None:
                waiting = f"{waiting}; last look failed: {error}".lstrip("; ")
            raise HealthFailed(f"not healthy within {budget_text}: {waiting}")
        left = (deadline - now).total_seconds()
        watching = can_watch and watch_next
        if not watching or pause:
            sleep(max(0.0, min(poll, left)))
            pause = False
        keep()
        try:
            if watching:
                seen: dict[str, KubeObject] = {}
                seconds = max(1, math.ceil(min(session, left)))
                events = cluster.watch(
                    DEPLOYMENT, namespace=org_id, selector=selector(org_id), seconds=seconds
                )
                with closing(events):
                    for change, found in events:
                        name = _name(found)
                        if change == "DELETED":
                            seen.pop(name, None)
                        else:
                            seen[name] = found
                        if name in wanted:
                            last = _judge(wanted, seen)
                            if all(h.healthy for h in last.values()):
                                return
                        keep()
                        if clock() >= deadline:
                            break
                last = _judge(wanted, seen)
                pause = (clock() - now).total_seconds() < seconds - 1
            else:
                found_now = cluster.list(DEPLOYMENT, namespace=org_id, selector=selector(org_id))
                last = _judge(wanted, {_name(d): d for d in found_now})
                if all(h.healthy for h in last.values()):
                    return
                watch_next = True
        except Forbidden as exc:
            error = exc
            if watching:
                can_watch = False  # a role without `watch`: LISTs from here on
            continue
        except ClusterError as exc:
            error = exc
            watch_next = not watching
            continue
        error = None
