"""Kubernetes objects as plain data: identity, the labels rdm selects by, cleaning, errors.

rdm handles Kubernetes objects as the JSON the API server sends (`KubeObject`,
a plain dict), never as the client library's typed models. This module names
them (`ObjectRef`), says which of their fields the server sets and must be
stripped before an object is applied or compared (`for_apply`, `comparable`),
and defines the cluster's failures as rdm's own error types, so that the
orchestration (`rdm.operations`) can catch them without importing the cluster
edge or the `kubernetes` package.

Labels: every object rdm renders carries `app.kubernetes.io/managed-by: rdm`
and `rdm/org-id: <org id>` (see `rdm.rendering.manifests`); together they are
the selector of "what the topology owns".

This module must never do I/O or read a clock.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdm.model.problems import ExternalError

KubeObject = dict[str, Any]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "rdm"
ORG_LABEL = "rdm/org-id"
WAVE_ANNOTATION = "rdm/wave"
FIELD_MANAGER = "rdm"

# The namespace where rdm keeps its own state: snapshots and locks.
SYSTEM_NAMESPACE = "rdm-system"

# Annotations rdm writes on a client's Namespace to record what it did (field
# manager `rdm-record`, apart from the rendered fields). They are state about
# the topology, not part of it: stripped from snapshots and comparisons.
APPLIED_REVISION = "rdm/applied-revision"
APPLIED_RDM = "rdm/applied-rdm"
APPLIED_AT = "rdm/applied-at"
APPLIED_SNAPSHOT = "rdm/applied-snapshot"
LAST_ROLLBACK = "rdm/last-rollback"
LAST_RESTART = "rdm/last-restart"
RECORD_ANNOTATIONS = frozenset(
    {APPLIED_REVISION, APPLIED_RDM, APPLIED_AT, APPLIED_SNAPSHOT, LAST_ROLLBACK, LAST_RESTART}
)
RECORD_MANAGER = "rdm-record"
RESTART_MANAGER = "rdm-restart"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # the annotation `kubectl rollout restart` sets

# Metadata the server sets on every object.
_SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)
# Annotations a controller keeps up to date; restoring an old value would fight it.
_CONTROLLER_ANNOTATIONS = frozenset({"deployment.kubernetes.io/revision"})


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which object: apiVersion, kind, namespace (None when cluster-scoped) and name."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        metadata = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            metadata.get("namespace") or None,
            str(metadata.get("name", "")),
        )

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return ((obj.get("metadata") or {}).get("labels")) or {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return ((obj.get("metadata") or {}).get("annotations")) or {}


def owned_by(obj: Mapping[str, Any], org_id: str) -> bool:
    """Does the object carry the labels that make it part of topology `org_id`?"""
    found = labels_of(obj)
    return found.get(MANAGED_BY_LABEL) == MANAGED_BY and found.get(ORG_LABEL) == org_id


def selector(org_id: str) -> str:
    """The label selector of everything topology `org_id` owns."""
    return f"{MANAGED_BY_LABEL}={MANAGED_BY},{ORG_LABEL}={org_id}"


def count_of(text: Any, maximum: int) -> int | None:
    """A whole number written in ASCII digits, at most `maximum`; None for anything else.

    Numbers rdm reads back from the cluster (annotations, headers) are text anyone
    may have written: `str.isdigit` accepts '²', which `int` refuses, and a count
    of 10**14 must not be believed (it is looped over)."""
    if not isinstance(text, str) or not 0 < len(text) <= 12:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


MAX_WAVE = 1000


def wave(obj: Mapping[str, Any]) -> int:
    """The object's apply wave (`rdm/wave`); an object without one, or with anything
    but a number up to `MAX_WAVE`, goes first."""
    return count_of(annotations_of(obj).get(WAVE_ANNOTATION, "0"), MAX_WAVE) or 0


def for_apply(obj: Mapping[str, Any]) -> KubeObject:
    """A copy fit to send as a server-side apply: server-set fields and status removed.

    The server rejects an apply that carries `managedFields`; `resourceVersion`
    would turn the apply into a compare-and-swap; `status` belongs to the
    controllers. rdm's record annotations and controller-kept annotations are
    not restored (they describe the object, they are not its configuration), nor
    a Service's cluster IPs (re-created Services get new ones) and a
    Namespace's finalizers (only the /finalize subresource may set them).
    """
    body = copy.deepcopy(dict(obj))
    body.pop("status", None)
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        for key in _SERVER_METADATA:
            metadata.pop(key, None)
        found = metadata.get("annotations")
        if isinstance(found, dict):
            for key in RECORD_ANNOTATIONS | _CONTROLLER_ANNOTATIONS:
                found.pop(key, None)
            if not found:
                metadata.pop("annotations")
    spec = body.get("spec")
    if isinstance(spec, dict):
        if body.get("kind") == "Service":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if body.get("kind") == "Namespace":
            spec.pop("finalizers", None)
            if not spec:
                body.pop("spec")
    return body


def comparable(obj: Mapping[str, Any]) -> KubeObject:
    """What two versions of an object are compared on: `for_apply` of it."""
    return for_apply(obj)


def index(objects: Iterable[Mapping[str, Any]]) -> dict[ObjectRef, KubeObject]:
    return {ObjectRef.of(obj): dict(obj) for obj in objects}


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class FieldConflict:
    """A field another manager owns with a different value than rdm would set."""

    object: str  # Kind/name
    field: str  # as the server writes it: .spec.replicas
    manager: str
    time: str | None = None  # when that manager last wrote the object (managedFields)

    def __str__(self) -> str:
        when = f" at {self.time}" if self.time else ""
        return f"{self.object} {self.field} (owned by {self.manager}{when})"


class ClusterError(ExternalError):
    """The cluster refused a request, or could not be reached, after retries."""

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.retry_after: float | None = None  # seconds the server asked to wait
        self.detail = ""  # the server's own message (its Status), cut short; "" if none


class NotFound(ClusterError):
    pass


class Conflict(ClusterError):
    """409: the object exists already, changed meanwhile, or its fields are owned by others."""

    def __init__(
        self,
        message: str,
        status: int | None = 409,
        reason: str = "Conflict",
        conflicts: tuple[FieldConflict, ...] = (),
    ) -> None:
        super().__init__(message, status, reason)
        self.conflicts = conflicts


class Forbidden(ClusterError):
    pass


class Unauthorized(ClusterError):
    pass


class Invalid(ClusterError):
    """400/422: the server will not take the object as it is."""


class Unavailable(ClusterError):
    """5xx, 429 or a connection failure that outlasted the retries."""


class Timeout(ClusterError):
    """No answer within the request timeout, on every attempt."""


@dataclass(frozen=True)
class LockHolder:
    holder: str
    acquired: str | None
    renewed: str | None
    expires: str | None


class LockHeld(ClusterError):
    """Another run holds the topology's Lease."""

    def __init__(self, message: str, holder: LockHolder) -> None:
        super().__init__(message, 409, "LockHeld")
        self.holder = holder


@dataclass(frozen=True)
class LogRead:
    """One container's log as the cluster edge read it: never more than the bytes asked for.

    `more` says the log went on past that limit; `late` that reading stopped at the
    deadline with the log still coming. Either way `data` may end inside a line.
    """

    data: bytes
    more: bool = False
    late: bool = False


@dataclass(frozen=True)
class ResourceKind:
    """Where the API serves a kind: its group/version path, plural, and scope."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def base(self) -> str:
        """`/api/v1` for the core group, `/apis/<group>/<version>` for the others."""
        if "/" in self.api_version:
            return f"/apis/{self.api_version}"
        return f"/api/{self.api_version}"


# Every kind rdm reads or writes. rdm renders only the first five (see
# rendering.manifests.KINDS): those are what a topology owns, is snapshotted,
# pruned and checked for drift.
RESOURCES: dict[tuple[str, str], ResourceKind] = {
    ("v1", "Namespace"): ResourceKind("v1", "Namespace", "namespaces", namespaced=False),
    ("networking.k8s.io/v1", "NetworkPolicy"): ResourceKind(
        "networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"
    ),
    ("v1", "ConfigMap"): ResourceKind("v1", "ConfigMap", "configmaps"),
    ("v1", "Service"): ResourceKind("v1", "Service", "services"),
    ("apps/v1", "Deployment"): ResourceKind("apps/v1", "Deployment", "deployments"),
    ("networking.k8s.io/v1", "Ingress"): ResourceKind(
        "networking.k8s.io/v1", "Ingress", "ingresses"
    ),
    ("apps/v1", "ReplicaSet"): ResourceKind("apps/v1", "ReplicaSet", "replicasets"),
    ("v1", "Pod"): ResourceKind("v1", "Pod", "pods"),
    ("coordination.k8s.io/v1", "Lease"): ResourceKind("coordination.k8s.io/v1", "Lease", "leases"),
}
OWNED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Namespace"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("networking.k8s.io/v1", "Ingress"),
)
DEPLOYMENT = ("apps/v1", "Deployment")
POD = ("v1", "Pod")
CONFIG_MAP = ("v1", "ConfigMap")
NAMESPACE = ("v1", "Namespace")
LEASE = ("coordination.k8s.io/v1", "Lease")
