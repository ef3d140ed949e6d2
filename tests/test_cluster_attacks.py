"""The applier attacked on the real local control plane: hand edits as the team makes
them, hostile cluster state, interrupts, budgets and output (the outside review of
issue 10).

Each test gets fresh namespaces used as org ids of copies of the example topology
(`test_applier_cluster.topology_repo`). Edits by other field managers are made with
the client library's dynamic client, as kubectl or Rancher would make them; a
snapshot is forged with rdm's own encoding, as anyone who may write ConfigMaps in
`rdm-system` could.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cluster_fixture import Cluster
from rdm.edges.cluster import KubeCluster
from rdm.model.kube import NAMESPACE
from rdm.operations import snapshots as stored
from test_applier_cluster import (  # the helpers and fixtures of the applier's own tests
    Run,
    kube,  # noqa: F401  (a fixture)
    rdm_in,
    topology_repo,
)

pytestmark = pytest.mark.cluster

LABELS = "app.kubernetes.io/managed-by", "rdm/org-id"


def labels(org: str) -> dict[str, str]:
    return {LABELS[0]: "rdm", LABELS[1]: org}


def managers(obj: dict) -> list[str]:
    return sorted(e["manager"] for e in obj["metadata"].get("managedFields") or [])


# ---------------------------------------------------------------- across clients


def test_a_namespace_of_another_client_relabelled_as_this_one_is_never_taken_over(
    cluster: Cluster,
    namespaces: Callable[[], str],
    tmp_path: Path,
    kube: KubeCluster,  # noqa: F811
    run_rdm: Run,
) -> None:
    ours, theirs = namespaces(), namespaces()
    repo = topology_repo(tmp_path, ours)
    topology_repo(tmp_path, theirs)
    for org in (ours, theirs):
        assert rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))[0] == 0
    # someone copies labels by hand: the other client's Namespace now claims to be ours
    api = cluster.dynamic().resources.get(api_version="v1", kind="Namespace")
    api.patch(
        body={"metadata": {"labels": {"rdm/org-id": ours, "rdm/product": "changed-by-hand"}}},
        name=theirs,
        content_type="application/merge-patch+json",
        field_manager="kubectl-label",
    )
    before = kube.get(NAMESPACE, theirs)
    assert before is not None

    code, out, _ = rdm_in(cluster, run_rdm, "drift", ours, "--repo", str(repo))
    assert (code, out.strip()) == (0, "1 topology(ies) checked: 0 with drift, 0 finding(s)")
    code, out, _ = rdm_in(cluster, run_rdm, "apply", ours, "--repo", str(repo))
    assert code == 0 and f"{ours}: unchanged" in out, out
    (newest, *_) = stored.listing(kube, ours)
    assert newest.objects == 29
    snapshot = stored.load(kube, ours, newest.snapshot_id)
    assert all(o["metadata"]["name"] != theirs for o in snapshot.objects)
    code, out, _ = rdm_in(cluster, run_rdm, "rollback", ours)
    assert code == 0, out
    after = kube.get(NAMESPACE, theirs)
    assert after is not None
    assert after["metadata"]["labels"] == before["metadata"]["labels"]
    assert after["metadata"]["managedFields"] == before["metadata"]["managedFields"]
