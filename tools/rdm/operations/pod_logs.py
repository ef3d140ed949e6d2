"""`rdm logs ORG_ID --tail N`: the pods of a topology (or of one workload) and their logs.

The pods are those the topology owns (`model.kube.selector`: managed by rdm,
labelled with the org id), in the org id's namespace; `--workload` adds the
`app` label the rendered pods carry. Each container's log is read through the
cluster edge (`LogReader.pod_log`), one container at a time and never more
than `LogQuery.limit_bytes` of it, so rdm holds at most one capped log at once
whatever the topology's size.

What the server cannot give for one container is a `ContainerLog` with the
reason (the server's status and message), and reading goes on: a 400 (the
kubelet has no log: the container has not started, has no earlier instance for
`previous`, the node keeps none), a 404 (the pod went away meanwhile), a pod or
container name that is not a Kubernetes name (the edge refuses to put it in a
path). Any other failure (forbidden, unauthorized, unreachable after the
retries) is raised: the command prints what it has read so far and exits 3.

No I/O but through the reader; no clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rdm.model.kube import (
    POD,
    ClusterError,
    Invalid,
    KubeObject,
    LogRead,
    NotFound,
    labels_of,
    selector,
)
from rdm.model.topologies import WORKLOADS
from rdm.operations.ports import Kind

APP_LABEL = "app"  # the workload name, on every rendered pod (rendering.manifests)
DEFAULT_LIMIT_BYTES = 1024 * 1024  # per container: a screenful of hours, never the memory


class LogReader(Protocol):
    """What reading logs needs of the cluster (`rdm.edges.cluster.KubeCluster` has it)."""

    def list(
        self, kind: Kind, *, namespace: str | None = None, selector: str = ""
    ) -> list[KubeObject]: ...

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        limit_bytes: int,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        timestamps: bool = False,
    ) -> LogRead: ...


@dataclass(frozen=True)
class LogQuery:
    """Which logs: the topology (its org id is its namespace), and how much of each."""

    org_id: str
    tail_lines: int
    workload: str | None = None
    container: str | None = None
    since_seconds: int | None = None
    previous: bool = False
    timestamps: bool = False
    limit_bytes: int = DEFAULT_LIMIT_BYTES

    @property
    def selector(self) -> str:
        owned = selector(self.org_id)
        return f"{owned},{APP_LABEL}={self.workload}" if self.workload else owned


@dataclass(frozen=True)
class ContainerLog:
    """One container's log; or why there is none: `missing` (the cluster's answer, which
    names the pod and container), or `absent` (the pod has no such container)."""

    pod: str
    container: str
    containers: tuple[str, ...]  # all of the pod's
    read: LogRead | None = None
    missing: str | None = None
    absent: bool = False

    @property
    def several(self) -> bool:
        """The pod has more than one container: its lines name the container."""
        return len(self.containers) > 1


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _order(pod: Mapping[str, Any]) -> tuple[int, str]:
    """The topology's workload order (appserver first, as `rdm status` and the links
    list them), then the pod's name."""
    app = labels_of(pod).get(APP_LABEL, "")
    names = list(WORKLOADS)
    return (names.index(app) if app in names else len(names), _name(pod))


def pods(reader: LogReader, query: LogQuery) -> list[KubeObject]:
    """The topology's pods (of the workload, when asked), in the order they are shown."""
    found = reader.list(POD, namespace=query.org_id, selector=query.selector)
    return sorted(found, key=_order)


def _containers(pod: Mapping[str, Any]) -> list[str]:
    listed = ((pod.get("spec") or {}).get("containers")) or []
    return [str(c.get("name") or "") for c in listed if isinstance(c, Mapping)]


def _why(error: ClusterError) -> str:
    """The server's answer (the line already names the pod and container), or rdm's own
    refusal of a name."""
    if error.status and error.detail:
        status = " ".join(part for part in (str(error.status), error.reason) if part)
        return f"{status}: {error.detail}"
    return str(error)


def container_logs(
    reader: LogReader, query: LogQuery, found: Sequence[Mapping[str, Any]]
) -> Iterator[ContainerLog]:
    """Each container's log of the pods `found`, one at a time, as it is read."""
    for pod in found:
        name = _name(pod)
        containers = tuple(_containers(pod))
        if query.container is not None and query.container not in containers:
            yield ContainerLog(name, query.container, containers, absent=True)
            continue
        for container in [query.container] if query.container else containers:
            try:
                read = reader.pod_log(
                    query.org_id,
                    name,
                    container,
                    limit_bytes=query.limit_bytes,
                    tail_lines=query.tail_lines,
                    since_seconds=query.since_seconds,
                    previous=query.previous,
                    timestamps=query.timestamps,
                )
            except (Invalid, NotFound) as error:
                yield ContainerLog(name, container, containers, missing=_why(error))
            else:
                yield ContainerLog(name, container, containers, read=read)
