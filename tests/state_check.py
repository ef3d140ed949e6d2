"""An outside check of where a topology is: at its target, exactly at its snapshot, or between.

The fault run (bench/faults.py, tests/test_fault_run.py) must not take the
applier's word for it, nor its own check (`applier.verify_state`, which
dry-runs through the applier's code). This module reads the cluster with a
plain HTTPS request of its own (`localcluster.Connection.request`, the client
certificate, no proxy, no rdm code) and decides with rules of its own:

- **target**: every rendered object exists, and the fields the field manager
  `rdm` owns (its `Apply` entry in `managedFields`, walked as the API server
  writes FieldsV1) hold exactly the rendered values -- no rendered field
  missing, none extra, none owned by someone else instead; no other object
  carries the topology's labels; the Namespace records the plan's revision.
- **snapshot**: the objects with the topology's labels are the ones read
  before the apply, with the same content (`normalize`: what the server sets
  on its own is left out), and the Namespace records the same revision and RDM.
- **between**: neither. That is a half-applied topology.

`State.before` is what the checker read itself just before the apply; the
snapshot rdm stored can be compared with it (`same_objects`), which checks
the snapshot too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# What a topology owns, by kind: (apiVersion, kind) -> (collection path, namespaced).
COLLECTIONS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("/api/v1/namespaces", False),
    ("networking.k8s.io/v1", "NetworkPolicy"): (
        "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
        True,
    ),
    ("v1", "ConfigMap"): ("/api/v1/namespaces/{ns}/configmaps", True),
    ("v1", "Service"): ("/api/v1/namespaces/{ns}/services", True),
    ("apps/v1", "Deployment"): ("/apis/apps/v1/namespaces/{ns}/deployments", True),
    ("networking.k8s.io/v1", "Ingress"): (
        "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
        True,
    ),
}
MANAGED = ("app.kubernetes.io/managed-by", "rdm")
ORG = "rdm/org-id"
REVISION = "rdm/applied-revision"
RDM = "rdm/applied-rdm"

Ref = tuple[str, str]  # (kind, name): one topology, one namespace, one object per pair
_MISSING = object()


class ReadFailed(Exception):
    """The checker could not read the cluster (not a verdict on the topology)."""


def ref_of(obj: Mapping[str, Any]) -> Ref:
    return str(obj.get("kind")), str((obj.get("metadata") or {}).get("name"))


def read_topology(connection: Any, org_id: str) -> dict[Ref, dict[str, Any]]:
    """Every object with the topology's labels, read straight from the API server."""
    selector = quote(f"{MANAGED[0]}={MANAGED[1]},{ORG}={org_id}", safe="")
    found: dict[Ref, dict[str, Any]] = {}
    for (api_version, kind), (path, _namespaced) in COLLECTIONS.items():
        url = path.format(ns=quote(org_id, safe="")) + f"?labelSelector={selector}"
        code, body = connection.request("GET", url, timeout=30.0)
        if code != 200 or not isinstance(body, dict):
            raise ReadFailed(f"GET {url}: HTTP {code}: {str(body)[:200]}")
        for item in body.get("items") or []:
            item = {"apiVersion": api_version, "kind": kind, **item}
            found[ref_of(item)] = item
    return found


# ---------------------------------------------------------------- "exactly the snapshot"

# Set by the server or a controller, never by whoever applies: they change when
# an object is restored (re-created or re-applied) without its content changing.
_SERVER_METADATA = {
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
}
_SERVER_ANNOTATIONS = {"deployment.kubernetes.io/revision"}
_RECORD_PREFIXES = ("rdm/applied-", "rdm/last-")  # rdm's record on the Namespace, kept apart


def normalize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object's content: what a person or a tool set, not what the server added."""
    body = copy.deepcopy(dict(obj))
    body.pop("status", None)
    metadata = body.get("metadata") or {}
    for key in _SERVER_METADATA:
        metadata.pop(key, None)
    annotations = {
        k: v
        for k, v in (metadata.get("annotations") or {}).items()
        if k not in _SERVER_ANNOTATIONS and not k.startswith(_RECORD_PREFIXES)
    }
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    spec = body.get("spec")
    if body.get("kind") == "Service" and isinstance(spec, dict):
        # a Service re-created by a rollback gets a new cluster IP from the server
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    if body.get("kind") == "Namespace" and isinstance(spec, dict):
        spec.pop("finalizers", None)  # the server's own, set when the Namespace is created
        if not spec:
            body.pop("spec")
    return body


def record_of(objects: Mapping[Ref, Mapping[str, Any]], org_id: str) -> tuple[str, str]:
    """What the Namespace says was applied last: (revision, RDM)."""
    namespace = objects.get(("Namespace", org_id)) or {}
    annotations = (namespace.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(REVISION, "")), str(annotations.get(RDM, ""))


def same_objects(
    live: Mapping[Ref, Mapping[str, Any]], expected: Iterable[Mapping[str, Any]]
) -> list[str]:
    """How `live` differs from `expected` in content (empty: the same objects, the same)."""
    wanted = {ref_of(obj): obj for obj in expected}
    found = []
    for ref in sorted(wanted.keys() | live.keys()):
        name = "/".join(ref)
        if ref not in live:
            found.append(f"{name} is missing")
        elif ref not in wanted:
            found.append(f"{name} should not exist")
        else:
            difference = first_difference(normalize(live[ref]), normalize(wanted[ref]))
            if difference:
                found.append(f"{name}: {difference}")
    return found


# ---------------------------------------------------------------- "exactly the target"


def _key_matches(item: Any, key: str) -> bool:
    """Does a list item match a FieldsV1 list key (k: by keys, v: by value, i: never here)?"""
    kind, _, raw = key.partition(":")
    if kind == "k":
        wanted = json.loads(raw)
        return isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items())
    if kind == "v":
        return bool(item == json.loads(raw))
    return False


def project(value: Any, fields: Mapping[str, Any]) -> Any:
    """The parts of `value` that a FieldsV1 set names (`{}`: the whole value)."""
    children = {k: v for k, v in fields.items() if k != "."}
    if not children:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in children.items():
            if not key.startswith("f:"):
                out[key] = _MISSING  # a list key on a map: not what the server writes
                continue
            name = key[2:]
            out[name] = project(value[name], sub) if name in value else _MISSING
        return out
    if isinstance(value, list):
        items = []
        for key, sub in children.items():
            if key.startswith("i:"):
                index = int(key[2:])
                items.append(
                    (index, project(value[index], sub) if index < len(value) else _MISSING)
                )
                continue
            matches = [i for i, item in enumerate(value) if _key_matches(item, key)]
            if len(matches) != 1:
                items.append((len(value), _MISSING))
                continue
            items.append((matches[0], project(value[matches[0]], sub)))
        return [item for _, item in sorted(items, key=lambda pair: pair[0])]
    return _MISSING  # fields under a scalar: the object is not what managedFields says


def owned_by(obj: Mapping[str, Any], manager: str = "rdm") -> dict[str, Any] | None:
    """The values of the fields `manager` applied (its Apply entry), or None if it owns none."""
    entries = [
        entry
        for entry in (obj.get("metadata") or {}).get("managedFields") or []
        if entry.get("manager") == manager
        and entry.get("operation") == "Apply"
        and not entry.get("subresource")
    ]
    if len(entries) != 1:
        return None
    projected: dict[str, Any] = project(dict(obj), entries[0].get("fieldsV1") or {})
    return projected


def _without_empty(value: Any) -> Any:
    """An empty list or a null is no value at all once stored (`omitempty`): drop them."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def applied_view(rendered: Mapping[str, Any]) -> dict[str, Any]:
    """A rendered object as its owner's fields read back: without apiVersion, kind, name
    and namespace (the server records those as the object's identity, not as fields),
    nor empty lists and nulls (the server stores no value for them)."""
    body: dict[str, Any] = _without_empty(copy.deepcopy(dict(rendered)))
    body.pop("apiVersion", None)
    body.pop("kind", None)
    metadata = body.get("metadata") or {}
    metadata.pop("name", None)
    metadata.pop("namespace", None)
    if not metadata:
        body.pop("metadata", None)
    return body


def first_difference(actual: Any, expected: Any, path: str = "") -> str | None:
    """Where two values first differ, as `path: actual != expected`; None when equal."""
    if actual is _MISSING:
        return f"{path or '.'}: missing"
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in sorted(actual.keys() | expected.keys()):
            where = f"{path}.{key}"
            if key not in actual:
                return f"{where}: missing"
            if key not in expected:
                return f"{where}: not expected ({json.dumps(actual[key], default=str)[:80]})"
            found = first_difference(actual[key], expected[key], where)
            if found:
                return found
        return None
    if isinstance(actual, list) and isinstance(expected, list):
        if len(actual) != len(expected):
            return f"{path}: {len(actual)} items != {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            found = first_difference(a, e, f"{path}[{index}]")
            if found:
                return found
        return None
    if actual != expected:
        return f"{path}: {json.dumps(actual, default=str)[:80]} != {json.dumps(expected)[:80]}"
    return None


def at_target(
    live: Mapping[Ref, Mapping[str, Any]],
    rendered: Sequence[Mapping[str, Any]],
    revision: str,
    org_id: str,
) -> list[str]:
    """How `live` differs from the rendered target (empty: at the target)."""
    found = []
    wanted = {ref_of(obj): obj for obj in rendered}
    for ref in sorted(wanted.keys() | live.keys()):
        name = "/".join(ref)
        if ref not in live:
            found.append(f"{name} is missing")
            continue
        if ref not in wanted:
            found.append(f"{name} should not exist")
            continue
        owned = owned_by(live[ref])
        if owned is None:
            found.append(f"{name}: rdm owns no field of it")
            continue
        difference = first_difference(owned, applied_view(wanted[ref]))
        if difference:
            found.append(f"{name}: rdm's fields: {difference}")
    recorded = record_of(live, org_id)[0]
    if recorded != revision:
        found.append(f"the Namespace records revision {recorded or '(none)'}, not {revision}")
    return found


# ---------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Verdict:
    state: str  # "target" | "snapshot" | "both" (the apply changed nothing) | "between"
    to_target: tuple[str, ...] = ()
    to_snapshot: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        return self.state != "between"

    def explain(self, limit: int = 4) -> str:
        parts = [f"target: {d}" for d in self.to_target[:limit]]
        parts += [f"snapshot: {d}" for d in self.to_snapshot[:limit]]
        return "; ".join(parts)


@dataclass
class State:
    """One topology read before an apply, to judge where it is after."""

    org_id: str
    before: dict[Ref, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, connection: Any, org_id: str) -> State:
        return cls(org_id, read_topology(connection, org_id))

    def judge(
        self, connection: Any, rendered: Sequence[Mapping[str, Any]], revision: str
    ) -> Verdict:
        live = read_topology(connection, self.org_id)
        to_target = at_target(live, rendered, revision, self.org_id)
        to_snapshot = same_objects(live, self.before.values())
        if record_of(live, self.org_id) != record_of(self.before, self.org_id) and (
            ("Namespace", self.org_id) in self.before
        ):
            to_snapshot.append(
                f"the Namespace records {record_of(live, self.org_id)}, "
                f"before {record_of(self.before, self.org_id)}"
            )
        if not to_target and not to_snapshot:
            state = "both"
        elif not to_target:
            state = "target"
        elif not to_snapshot:
            state = "snapshot"
        else:
            state = "between"
        return Verdict(state, tuple(to_target), tuple(to_snapshot))
