"""`rdm status` and `rdm restart`: what runs now, and a rollout restart.

`topology_status` is what the team reads in a desktop cluster viewer, per
workload: ready/desired, the image, its pods with STATUS, RESTARTS and AGE,
plus what the Namespace records (revision, RDM, time, last rollback). Three
requests: the Namespace, the Deployments, the Pods. `all_status` is one line
per topology from two requests (the rdm Namespaces, every rdm Deployment),
what is not healthy first.

`restart` sets the pod-template annotation `kubectl.kubernetes.io/restartedAt`
(as `kubectl rollout restart` does) under the field manager `rdm-restart`,
apart from `rdm`: the next apply neither removes it nor rolls the pods again.
It holds the topology's lock, waits for health and records the restart on the
Namespace. Whether a restart may run now is the calendar's decision, taken by
the command.

No I/O but through the `Cluster`; time passed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rdm.decisions.health import Health, PodLine, deployment_health, pod_line
from rdm.model.kube import (
    APPLIED_AT,
    APPLIED_RDM,
    APPLIED_REVISION,
    DEPLOYMENT,
    LAST_RESTART,
    LAST_ROLLBACK,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NAMESPACE,
    ORG_LABEL,
    POD,
    RESTART_MANAGER,
    RESTARTED_AT,
    ClusterError,
    KubeObject,
    annotations_of,
    labels_of,
    selector,
)
from rdm.model.problems import RdmError
from rdm.model.rdms import format_duration
from rdm.operations import record
from rdm.operations.health import HealthFailed, wait_healthy
from rdm.operations.lock import DEFAULT_DURATION, Lock
from rdm.operations.ports import Cancel, Clock, Cluster, Interrupted, Reporter, Sleep, quiet

NAME_LABEL = "app.kubernetes.io/name"


@dataclass(frozen=True)
class WorkloadStatus:
    name: str
    ready: int
    desired: int
    images: tuple[str, ...]
    health: Health
    pods: tuple[PodLine, ...] = ()


@dataclass(frozen=True)
class TopologyStatus:
    org_id: str
    exists: bool
    workloads: tuple[WorkloadStatus, ...]
    revision: str | None = None
    rdm_id: str | None = None
    applied_at: str | None = None
    last_rollback: Mapping[str, Any] | None = None
    last_restart: str | None = None

    @property
    def healthy(self) -> bool:
        return self.exists and all(w.health.healthy for w in self.workloads)

    @property
    def not_healthy(self) -> int:
        return sum(1 for w in self.workloads if not w.health.healthy)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _workload(deployment: Mapping[str, Any], pods: Sequence[PodLine]) -> WorkloadStatus:
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    desired = spec.get("replicas", 1)
    return WorkloadStatus(
        name=str((deployment.get("metadata") or {}).get("name", "?")),
        ready=_int(status.get("readyReplicas")),
        desired=_int(desired) if desired is not None else 1,
        images=tuple(str(c.get("image", "")) for c in containers if isinstance(c, Mapping)),
        health=deployment_health(deployment),
        pods=tuple(pods),
    )


def _last_rollback(text: str | None) -> Mapping[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # an annotation anyone may write
        return {"raw": text[:200]}
    return value if isinstance(value, dict) else {"raw": text[:200]}


def _status(
    org_id: str,
    namespace: Mapping[str, Any] | None,
    deployments: Sequence[Mapping[str, Any]],
    pods_by_workload: Mapping[str, Sequence[PodLine]],
) -> TopologyStatus:
    notes = annotations_of(namespace) if namespace is not None else {}
    workloads = sorted(
        (
            _workload(d, pods_by_workload.get(str(d["metadata"].get("name")), ()))
            for d in deployments
        ),
        key=lambda w: w.name,
    )
    return TopologyStatus(
        org_id=org_id,
        exists=namespace is not None,
        workloads=tuple(workloads),
        revision=notes.get(APPLIED_REVISION),
        rdm_id=notes.get(APPLIED_RDM),
        applied_at=notes.get(APPLIED_AT),
        last_rollback=_last_rollback(notes.get(LAST_ROLLBACK)),
        last_restart=notes.get(LAST_RESTART),
    )


def topology_status(cluster: Cluster, org_id: str, now: datetime) -> TopologyStatus:
    namespace = cluster.get(NAMESPACE, org_id)
    if namespace is None:
        return TopologyStatus(org_id, False, ())
    deployments = cluster.list(DEPLOYMENT, namespace=org_id, selector=selector(org_id))
    pods = cluster.list(POD, namespace=org_id, selector=selector(org_id))
    by_workload: dict[str, list[PodLine]] = {}
    for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
        by_workload.setdefault(labels_of(pod).get(NAME_LABEL, ""), []).append(pod_line(pod, now))
    return _status(org_id, namespace, deployments, by_workload)


def all_status(cluster: Cluster) -> list[TopologyStatus]:
    """Every topology rdm manages, one entry each, the unhealthy first."""
    managed = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
    namespaces = cluster.list(NAMESPACE, selector=managed)
    deployments = cluster.list(DEPLOYMENT, selector=managed)
    by_org: dict[str, list[KubeObject]] = {}
    for deployment in deployments:
        by_org.setdefault(labels_of(deployment).get(ORG_LABEL, ""), []).append(deployment)
    found = []
    for namespace in namespaces:
        org = labels_of(namespace).get(ORG_LABEL)
        if not org or (namespace.get("metadata") or {}).get("name") != org:
            continue
        found.append(_status(org, namespace, by_org.get(org, []), {}))
    return sorted(found, key=lambda s: (s.healthy, -s.not_healthy, s.org_id))


# ---------------------------------------------------------------- restart


class RestartError(RdmError):
    """Nothing to restart: no such workload in the topology."""


@dataclass(frozen=True)
class RestartResult:
    org_id: str
    workloads: tuple[str, ...]
    started: datetime
    finished: datetime
    healthy: bool
    failure: str | None = None


def restart(
    cluster: Cluster,
    org_id: str,
    workload: str | None,
    *,
    identity: str,
    budget: timedelta,
    clock: Clock,
    sleep: Sleep,
    poll: float = 1.0,
    lease_seconds: int = DEFAULT_DURATION,
    reporter: Reporter = quiet,
    cancel: Cancel | None = None,
) -> RestartResult:
    """Restart `workload` (all when None) and wait for health. Asked to stop (`cancel`),
    it stops waiting; the restart annotation already written stays (the new pods
    come up as they would after `kubectl rollout restart`)."""
    cancel = cancel or Cancel()

    def keep() -> None:
        lock.keep()
        cancel.check(1)

    started = clock()
    deployments = cluster.list(DEPLOYMENT, namespace=org_id, selector=selector(org_id))
    names = sorted(str(d["metadata"]["name"]) for d in deployments)
    if workload is not None:
        if workload not in names:
            shown = ", ".join(names) or "none"
            raise RestartError(f"{org_id} has no workload {workload!r} (it has: {shown})")
        names = [workload]
    if not names:
        raise RestartError(f"{org_id} has no workloads to restart")
    lock = Lock(cluster, org_id, identity, clock, lease_seconds)
    lock.acquire()
    try:
        stamp = clock().isoformat(timespec="seconds")
        for name in names:
            lock.keep()
            cluster.apply(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": name, "namespace": org_id},
                    "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}},
                },
                field_manager=RESTART_MANAGER,
                force=True,
            )
            reporter(org_id, f"restarting Deployment/{name}")
        failure = None
        try:
            wait_healthy(
                cluster,
                org_id,
                names,
                deadline=started + budget,
                budget_text=format_duration(budget),
                clock=clock,
                sleep=sleep,
                poll=poll,
                keep=keep,
            )
        except HealthFailed as exc:
            failure = str(exc)
        except Interrupted as exc:
            failure = f"{exc}: not waited for"
        try:
            record.write(
                cluster,
                org_id,
                {LAST_RESTART: record.compact({"at": stamp, "workloads": names, "by": identity})},
            )
        except ClusterError as exc:
            reporter(org_id, f"restart not recorded on the Namespace: {exc}")
    finally:
        lock.release()
    return RestartResult(org_id, tuple(names), started, clock(), failure is None, failure)
