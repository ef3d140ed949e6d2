"""The fault run of issue 10, in small: bench/faults.py runs 100 applies; these run a few
of the same cases in every `make test`, and show that the outside check can say "between".

Applies go through tests/fault_proxy.py (random 5xx, 429 with Retry-After, 409, slow
answers, connections dropped before and after the server acted) to the real control
plane; each topology is then read straight from the API server and judged by
tests/state_check.py, which shares no code with the applier.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cluster_fixture import Cluster
from conftest import copy_example
from fault_run import FaultRun, edit_by_another_manager, make_plans
from rdm.edges.cluster import connect
from state_check import State

pytestmark = pytest.mark.cluster


def test_applies_under_faults_end_at_their_target_or_exactly_as_before(
    cluster: Cluster, namespaces: Callable[[], str], tmp_path: Path
) -> None:
    orgs = [namespaces() for _ in range(3)]
    run = FaultRun(
        cluster.connection,
        copy_example(tmp_path / "repo"),
        orgs,
        seed=20261203,
        rate=0.2,
        bad_share=0.4,
        edit_share=0.3,
    )
    tally = run.run(6)
    lines = "\n".join(j.line() for j in tally.judged)
    assert len(tally.judged) == 6, lines
    categories = tally.categories()
    assert categories["half-applied"] == 0, lines
    assert "contradicted" not in categories, lines
    assert categories["applied"] > 0 and categories["rolled back"] > 0, lines
    assert sum(tally.faults.values()) > 0 and tally.rdm_retries > 0
    assert not tally.disagreements(), lines  # the applier's own verify_state agrees
    assert not tally.snapshot_mismatches(), lines  # its snapshots hold what was there


def test_the_outside_check_tells_a_half_applied_topology(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    org = namespace
    plan = make_plans(copy_example(tmp_path / "repo"), [org])[org]["base"]
    before = State.read(cluster.connection, org)
    kube = connect(cluster.kubeconfig)
    for obj in plan.objects[:12]:  # wave 0 (the Namespace, 10 objects) and one Service
        kube.apply(obj)

    verdict = before.judge(cluster.connection, plan.objects, plan.revision)
    assert verdict.state == "between"
    assert verdict.to_target[0] == "Deployment/protheus-appserver-homolog is missing"
    assert verdict.to_target[-1] == "the Namespace records revision (none), not rev-base"
    assert verdict.to_snapshot[0] == (
        "ConfigMap/protheus-appserver-homolog-config should not exist"
    )

    for obj in plan.objects[12:]:
        kube.apply(obj)
    verdict = before.judge(cluster.connection, plan.objects, plan.revision)
    assert verdict.state == "between"  # every object, but no record of the revision
    assert verdict.to_target == ("the Namespace records revision (none), not rev-base",)

    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": org, "annotations": {"rdm/applied-revision": "rev-base"}},
        },
        field_manager="rdm-record",
    )
    assert before.judge(cluster.connection, plan.objects, plan.revision).state == "target"
    now = State.read(cluster.connection, org)
    assert now.judge(cluster.connection, plan.objects, plan.revision).state == "both"

    # another manager takes a field rdm rendered: no longer rdm's value, so not the target
    assert edit_by_another_manager(cluster.connection, org, "protheus-tss", "scale")
    verdict = now.judge(cluster.connection, plan.objects, plan.revision)
    assert verdict.state == "between"
    assert verdict.to_target == ("Deployment/protheus-tss: rdm's fields: .spec.replicas: missing",)
    assert verdict.to_snapshot == ("Deployment/protheus-tss: .spec.replicas: 2 != 1",)
    kube.close()
