"""What rdm did, written on the client's Namespace: applied revision, RDM, time, last rollback.

The annotations (`model.kube.RECORD_ANNOTATIONS`) belong to the field manager
`rdm-record`, apart from the rendered fields of the Namespace (manager `rdm`):
applying a topology never removes them, and they are not part of a snapshot's
objects. With server-side apply, the record manager owns exactly the
annotations of its last write, so every write carries all of them: the
current ones, updated; a value of None removes one.

No I/O but through the `Cluster`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rdm.model.kube import NAMESPACE, RECORD_ANNOTATIONS, RECORD_MANAGER, annotations_of
from rdm.operations.ports import Cluster


def current(namespace: Mapping[str, Any] | None) -> dict[str, str]:
    if namespace is None:
        return {}
    return {k: v for k, v in annotations_of(namespace).items() if k in RECORD_ANNOTATIONS}


def write(
    cluster: Cluster,
    org_id: str,
    updates: Mapping[str, str | None],
    now_on_namespace: Mapping[str, Any] | None = None,
) -> None:
    """Merge `updates` into the record on Namespace `org_id` (read it when not given)."""
    namespace = now_on_namespace if now_on_namespace is not None else cluster.get(NAMESPACE, org_id)
    if namespace is None:
        return  # no Namespace, nothing to record on (a rollback of a first apply may leave none)
    record = current(namespace)
    for key, value in updates.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": org_id, "annotations": record},
        },
        field_manager=RECORD_MANAGER,
        force=True,  # ours alone; force only settles a hand edit of our own annotations
    )


def compact(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
