"""What the orchestration needs from the outside, as Protocols: the cluster, a reporter.

`rdm.operations` never imports the cluster edge: the commands build a
`rdm.edges.cluster.KubeCluster` and hand it in as a `Cluster`; unit tests hand
in anything with the same methods. Failures come back as the error types of
`rdm.model.kube` (`NotFound`, `Conflict`, `Unavailable`, ...), already retried
by the edge as far as retrying makes sense.

`Counted` wraps a `Cluster` to count the requests one topology makes (the edge
counts attempts, retries included, for the whole process). `Cancel` carries a
request to stop (SIGINT, SIGTERM) from the command into the workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from rdm.model.kube import FIELD_MANAGER, KubeObject
from rdm.model.problems import RdmError

Kind = tuple[str, str]  # (apiVersion, kind)
Clock = Callable[[], datetime]  # an aware datetime: now
Sleep = Callable[[float], None]


class Cluster(Protocol):
    def get(self, kind: Kind, name: str, namespace: str | None = None) -> KubeObject | None:
        """The object, or None when it does not exist."""
        ...

    def list(
        self, kind: Kind, *, namespace: str | None = None, selector: str = ""
    ) -> list[KubeObject]:
        """Objects of a kind (in a namespace, or everywhere), by label selector."""
        ...

    def watch(
        self, kind: Kind, *, namespace: str | None = None, selector: str = "", seconds: int
    ) -> Generator[tuple[str, KubeObject], None, None]:
        """(ADDED | MODIFIED | DELETED, object): first every current object as ADDED,
        then each change as it happens, for at most `seconds`."""
        ...

    def apply(
        self,
        body: Mapping[str, Any],
        *,
        field_manager: str = FIELD_MANAGER,
        force: bool = False,
        dry_run: bool = False,
    ) -> KubeObject:
        """Server-side apply; a field owned by another manager is a `Conflict` unless force."""
        ...

    def patch(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        operations: Sequence[Mapping[str, Any]],
        *,
        field_manager: str = FIELD_MANAGER,
    ) -> KubeObject:
        """A JSON patch (RFC 6902): how rdm removes fields other managers added."""
        ...

    def create(self, body: Mapping[str, Any]) -> KubeObject: ...

    def replace(self, body: Mapping[str, Any]) -> KubeObject:
        """PUT, with the body's resourceVersion: a `Conflict` when it changed meanwhile."""
        ...

    def delete(
        self,
        kind: Kind,
        name: str,
        namespace: str | None = None,
        *,
        preconditions: Mapping[str, str] | None = None,
    ) -> bool:
        """Delete (background propagation); False when it was already gone."""
        ...


# One progress line about a topology: (org id, message); called from several threads.
Reporter = Callable[[str, str], None]


def quiet(_org_id: str, _message: str) -> None:
    """A reporter that says nothing."""


class Counted:
    """A `Cluster` that counts the calls made through it (one topology's requests)."""

    def __init__(self, inner: Cluster) -> None:
        self.inner = inner
        self.requests = 0
        self._lock = threading.Lock()

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> KubeObject | None:
        self._count()
        return self.inner.get(kind, name, namespace)

    def list(
        self, kind: Kind, *, namespace: str | None = None, selector: str = ""
    ) -> list[KubeObject]:
        self._count()
        return self.inner.list(kind, namespace=namespace, selector=selector)

    def watch(
        self, kind: Kind, *, namespace: str | None = None, selector: str = "", seconds: int
    ) -> Generator[tuple[str, KubeObject], None, None]:
        self._count()
        return self.inner.watch(kind, namespace=namespace, selector=selector, seconds=seconds)

    def apply(
        self,
        body: Mapping[str, Any],
        *,
        field_manager: str = FIELD_MANAGER,
        force: bool = False,
        dry_run: bool = False,
    ) -> KubeObject:
        self._count()
        return self.inner.apply(body, field_manager=field_manager, force=force, dry_run=dry_run)

    def patch(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        operations: Sequence[Mapping[str, Any]],
        *,
        field_manager: str = FIELD_MANAGER,
    ) -> KubeObject:
        self._count()
        return self.inner.patch(kind, name, namespace, operations, field_manager=field_manager)

    def create(self, body: Mapping[str, Any]) -> KubeObject:
        self._count()
        return self.inner.create(body)

    def replace(self, body: Mapping[str, Any]) -> KubeObject:
        self._count()
        return self.inner.replace(body)

    def delete(
        self,
        kind: Kind,
        name: str,
        namespace: str | None = None,
        *,
        preconditions: Mapping[str, str] | None = None,
    ) -> bool:
        self._count()
        return self.inner.delete(kind, name, namespace, preconditions=preconditions)


# ---------------------------------------------------------------- interrupts


class Interrupted(RdmError):
    """A person or CI asked rdm to stop (a signal): raised at the next safe step."""


class Cancel:
    """How far rdm has been asked to stop, by signals counted from outside (the commands
    install the handlers; `rdm.operations` only looks at the count between steps):

    1. stop changing: a topology being applied is rolled back to its snapshot, one not
       started is not started;
    2. roll back without waiting for health (the objects are put back, the wait is cut);
    3. abandon even that: the rollback stops at its next step and says so.

    Thread-safe: the signal handler writes, the workers read.
    """

    def __init__(self) -> None:
        self._level = 0
        self._reason = ""
        self._lock = threading.Lock()

    def request(self, reason: str) -> int:
        """One more request to stop; the new level."""
        with self._lock:
            self._level += 1
            self._reason = reason
            return self._level

    @property
    def level(self) -> int:
        return self._level

    @property
    def reason(self) -> str:
        return self._reason

    def check(self, level: int) -> None:
        """`Interrupted` when asked to stop at least `level` times."""
        if self._level >= level:
            raise Interrupted(f"interrupted by {self._reason}")
