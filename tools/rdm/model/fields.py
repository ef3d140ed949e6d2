"""Field ownership: the `managedFields` of an object, read as paths.

Server-side apply records, for every field manager (rdm, kubectl, a Rancher
edit, a controller), the set of fields it owns, in the `FieldsV1` format: a
tree whose keys are `f:<field>` (a field of a map), `k:<json>` (the item of a
list whose key fields have these values, e.g. `k:{"name":"appserver"}`),
`v:<json>` (an item of a set-like list) and `i:<n>` (an item by position);
`.` marks the node itself. Here a field is a `Path`: the tuple of those keys
from the root to a leaf, kept as the server wrote them, so paths from two
objects compare equal when they name the same field.

`resolve` reads the value a path names in an object, `pointer` gives its JSON
pointer (to remove it with a JSON patch), `show` writes the path the way the
API server's conflict messages do (`.spec.template.spec.containers[name="x"].image`).

This module must never do I/O or read a clock; it trusts nothing in the tree
(a hostile or cut `managedFields` gives fewer paths, never an exception).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Path = tuple[str, ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# Managers whose fields are the cluster's own bookkeeping, not a person's change.
SYSTEM_MANAGER_PREFIXES = ("kube-", "kwok")
# rdm's own managers: `rdm` (apply), `rdm-record` (namespace annotations),
# `rdm-restart` (rollout restarts).
OWN_MANAGER = "rdm"


def is_own(manager: str) -> bool:
    return manager == OWN_MANAGER or manager.startswith(OWN_MANAGER + "-")


def is_system(manager: str, subresource: str = "") -> bool:
    """Fields a controller keeps (status, the revision annotation): never drift."""
    return subresource == "status" or manager.startswith(SYSTEM_MANAGER_PREFIXES)


@dataclass(frozen=True)
class ManagedEntry:
    """One entry of `metadata.managedFields`."""

    manager: str
    operation: str  # Apply | Update
    time: str | None
    subresource: str
    paths: frozenset[Path]


def managed_entries(obj: Mapping[str, Any]) -> list[ManagedEntry]:
    metadata = obj.get("metadata")
    raw = metadata.get("managedFields") if isinstance(metadata, Mapping) else None
    if not isinstance(raw, list):
        return []
    entries = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        tree = item.get("fieldsV1")
        entries.append(
            ManagedEntry(
                manager=str(item.get("manager", "")),
                operation=str(item.get("operation", "")),
                time=item.get("time") if isinstance(item.get("time"), str) else None,
                subresource=str(item.get("subresource") or ""),
                paths=frozenset(leaf_paths(tree)) if isinstance(tree, Mapping) else frozenset(),
            )
        )
    return entries


def leaf_paths(tree: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every owned leaf of a `FieldsV1` tree (a node owning only itself is a leaf)."""
    for key, child in tree.items():
        if key == "." or not isinstance(key, str):
            continue
        path = (*prefix, key)
        if isinstance(child, Mapping) and any(k != "." for k in child):
            yield from leaf_paths(child, path)
        else:
            yield path


def _key_fields(element: str) -> dict[str, Any] | None:
    try:
        value = json.loads(element[2:])
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _matches(item: Any, key: Mapping[str, Any]) -> bool:
    return isinstance(item, Mapping) and all(item.get(k, MISSING) == v for k, v in key.items())


def _position(element: str) -> int | None:
    """The n of `i:<n>`: ASCII digits only ('²' passes `str.isdigit`, not `int`)."""
    digits = element[2:]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


def resolve(obj: Any, path: Path) -> Any:
    """The value `path` names in `obj`, or `MISSING`."""
    current = obj
    for element in path:
        tag = element[:2]
        if tag == "f:":
            if not isinstance(current, Mapping) or element[2:] not in current:
                return MISSING
            current = current[element[2:]]
        elif tag == "k:":
            key = _key_fields(element)
            if key is None or not isinstance(current, list):
                return MISSING
            found = [item for item in current if _matches(item, key)]
            if not found:
                return MISSING
            current = found[0]
        elif tag == "v:":
            try:
                value = json.loads(element[2:])
            except (ValueError, RecursionError):
                return MISSING
            if not isinstance(current, list) or value not in current:
                return MISSING
            current = value
        elif tag == "i:" and _position(element) is not None:
            position = _position(element)
            if not isinstance(current, list) or position is None or position >= len(current):
                return MISSING
            current = current[position]
        else:
            return MISSING
    return current


def pointer(obj: Any, path: Path) -> str | None:
    """The JSON pointer (RFC 6901) of the value `path` names in `obj`, with list
    positions as they are in `obj`; None when `obj` has no such value."""
    tokens: list[str] = []
    current = obj
    for element in path:
        tag = element[:2]
        if tag == "f:":
            if not isinstance(current, Mapping) or element[2:] not in current:
                return None
            tokens.append(element[2:].replace("~", "~0").replace("/", "~1"))
            current = current[element[2:]]
            continue
        if not isinstance(current, list):
            return None
        position: int | None = None
        if tag == "k:":
            key = _key_fields(element)
            found = [i for i, item in enumerate(current) if key and _matches(item, key)]
            position = found[0] if found else None
        elif tag == "v:":
            try:
                value = json.loads(element[2:])
            except (ValueError, RecursionError):
                return None
            position = current.index(value) if value in current else None
        elif tag == "i:" and (_position(element) or 0) < len(current):
            position = _position(element)
        if position is None:
            return None
        tokens.append(str(position))
        current = current[position]
    return "".join(f"/{token}" for token in tokens)


def show(path: Path) -> str:
    """The path as the API server writes it in conflict messages."""
    out: list[str] = []
    for element in path:
        tag, rest = element[:2], element[2:]
        if tag == "f:":
            out.append(f".{rest}")
        elif tag == "k:":
            key = _key_fields(element)
            if key is None:
                out.append(f"[{rest}]")
            else:
                out.append(
                    "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(key.items())) + "]"
                )
        elif tag == "v:":
            out.append(f"[={rest}]")
        elif tag == "i:":
            out.append(f"[{rest}]")
        else:
            out.append(f".{element}")
    return "".join(out) or "."
