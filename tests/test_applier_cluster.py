"""The applier against the real local control plane (tests/cluster_fixture.py).

Each test gets a fresh namespace and uses it as the org id of a copy of the
example topology `metalurgica-sao-jorge` (34 objects, 9 Deployments in 7 waves,
the last its 2 Ingresses and the 3 NetworkPolicies that admit the ingress
controller), so tests never see each other's objects. Commands run through the
real entry point; the library API (`apply_topologies`) where a test needs what
no topology can render (a bad release). Another field manager's edit is made
with the client library's own dynamic client, as Rancher or kubectl would make it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cluster_fixture import NOT_READY_LABEL, Cluster, eventually
from conftest import ROOT, copy_example
from rdm.edges.cluster import KubeCluster, connect
from rdm.edges.repository import render_source
from rdm.edges.sources import WorkTree
from rdm.model.kube import DEPLOYMENT, NAMESPACE, wave
from rdm.operations import snapshots as stored
from rdm.operations.applier import (
    Outcome,
    Settings,
    TopologyPlan,
    apply_topologies,
    verify_state,
)
from rdm.operations.lock import Lock

pytestmark = pytest.mark.cluster

EXAMPLE = "metalurgica-sao-jorge"
APPSERVER_IMAGE = "registry.saas.local/protheus/appserver:12.1.2410-20261105"
Run = Callable[..., tuple[int, str, str]]


def topology_repo(tmp_path: Path, org: str, edit: Callable[[str], str] | None = None) -> Path:
    """The example repository with a copy of metalurgica-sao-jorge named `org`."""
    repo = tmp_path / "repo"
    if not repo.exists():
        copy_example(repo)
    text = (ROOT / "topologies" / f"{EXAMPLE}.yaml").read_text(encoding="utf-8")
    text = text.replace(EXAMPLE, org)
    (repo / "topologies" / f"{org}.yaml").write_text(edit(text) if edit else text, encoding="utf-8")
    return repo


def rdm_in(cluster: Cluster, run: Run, *args: str) -> tuple[int, str, str]:
    return run(*args, "--kubeconfig", str(cluster.kubeconfig))


@pytest.fixture
def kube(cluster: Cluster) -> Iterator[KubeCluster]:
    client = connect(cluster.kubeconfig)
    yield client
    client.close()


def plan_of(repo: Path, org: str, **changes: Any) -> TopologyPlan:
    rendered = render_source(WorkTree(repo), [org])
    assert not rendered.problems, rendered.problems
    return TopologyPlan.from_manifests(org, rendered.manifests[org], revision="rev-1", **changes)


def settings(who: str = "test-runner") -> Settings:
    return Settings(identity=who, poll=0.5)


def now() -> datetime:
    return datetime.now(UTC)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def managed_time(obj: dict, manager: str) -> str:
    return next(e["time"] for e in obj["metadata"]["managedFields"] if e["manager"] == manager)


# ---------------------------------------------------------------- apply, diff, status


def test_apply_an_example_topology_until_healthy(
    cluster: Cluster, namespace: str, tmp_path: Path, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    code, out, _ = rdm_in(cluster, run_rdm, "diff", org, "--repo", str(repo))
    assert code == 1
    assert out.splitlines()[-1] == f"{org}: 34 to create, 0 to change, 0 unchanged, 0 to prune"
    assert f"+++ b/{org}/deployment/protheus-appserver-prod" in out

    code, out, err = rdm_in(
        cluster, run_rdm, "apply", org, "--repo", str(repo), "--out", str(tmp_path / "out")
    )
    assert code == 0, out + err
    lines = out.splitlines()
    assert re.fullmatch(
        rf"{org}: applied: revision work-tree in \d+ s; snapshot \d{{8}}-\d{{6}}-\w{{6}}", lines[0]
    )
    assert re.fullmatch(r"  34 created, 0 changed, 0 unchanged, 0 pruned; \d+ requests", lines[1])
    assert lines[-1] == "1 topology(ies): 1 applied"
    assert "wave 5: 1 Deployment(s) healthy" in err
    snapshot_id = lines[0].rsplit(" ", 1)[1]
    assert (tmp_path / "out" / "snapshots" / org / f"{snapshot_id}.json.gz").is_file()
    assert (tmp_path / "out" / "apply.json").is_file()

    code, out, _ = rdm_in(cluster, run_rdm, "status", org)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{org}: healthy; revision work-tree at ")
    assert re.search(
        rf"protheus-appserver-prod\s+2/2\s+healthy\s+{re.escape(APPSERVER_IMAGE)}", out
    )
    assert len(re.findall(r"\s1/1\s+Running\s+0\s+\d+s", out)) == 12  # 12 pods

    code, out, _ = rdm_in(cluster, run_rdm, "diff", org, "--repo", str(repo))
    assert (code, out.strip()) == (0, f"{org}: 0 to create, 0 to change, 34 unchanged, 0 to prune")

    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 0
    assert f"{org}: unchanged: revision work-tree" in out

    code, out, _ = rdm_in(cluster, run_rdm, "snapshots", org)
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split() == ["SNAPSHOT", "TAKEN", "REVISION", "OBJECTS", "REASON"]
    assert [r.split()[3] for r in rows[1:]] == ["34", "0"]  # newest first
    assert rows[2].split()[0] == snapshot_id

    code, out, _ = rdm_in(cluster, run_rdm, "status")
    assert re.search(rf"^{org}\s+healthy\s+9/9\s+work-tree\s+-\s+\d{{4}}-", out, re.M)


# ---------------------------------------------------------------- drift and conflicts


def test_an_edit_by_another_manager_is_drift_and_apply_takes_it_only_when_forced(
    cluster: Cluster, namespace: str, tmp_path: Path, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    assert rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))[0] == 0
    api = cluster.dynamic()
    deployments = api.resources.get(api_version="apps/v1", kind="Deployment")
    # Rancher scales production up; someone adds an env var with a merge patch
    deployments.server_side_apply(
        body={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "protheus-appserver-prod", "namespace": org},
            "spec": {"replicas": 4},
        },
        field_manager="rancher",
        force_conflicts=True,
    )
    env = [{"name": "DEBUG", "value": "1"}]
    deployments.patch(
        body={"spec": {"template": {"spec": {"containers": [{"name": "tss", "env": env}]}}}},
        name="protheus-tss",
        namespace=org,
        field_manager="kubectl-edit",
    )
    kube = connect(cluster.kubeconfig)
    prod = kube.get(DEPLOYMENT, "protheus-appserver-prod", org)
    tss = kube.get(DEPLOYMENT, "protheus-tss", org)
    kube.close()
    assert prod is not None and tss is not None
    when_rancher, when_edit = managed_time(prod, "rancher"), managed_time(tss, "kubectl-edit")

    code, out, _ = rdm_in(cluster, run_rdm, "drift", org, "--repo", str(repo))
    assert code == 1
    path = f"topologies/{org}.yaml:1:1"
    assert out.splitlines() == [
        f"{path}: error: Deployment/protheus-appserver-prod .spec.replicas: changed by rancher "
        f"at {when_rancher}: live 4, rendered 2; keep it: open an RDM that puts it in the "
        f"topology; revert it: rdm apply {org} --force-conflicts [drift-changed]",
        f'{path}: error: Deployment/protheus-tss .spec.template.spec.containers[name="tss"]'
        f'.env[name="DEBUG"]: added by kubectl-edit at {when_edit} (not in the topology): '
        '{"name": "DEBUG", "value": "1"}; keep it: open an RDM that puts it in the topology; '
        f"remove it: rdm apply {org} --force-conflicts [drift-added]",
        "1 topology(ies) checked: 1 with drift, 2 finding(s)",
    ]
    code, out, _ = rdm_in(cluster, run_rdm, "drift", org, "--repo", str(repo), "--format", "github")
    assert out.startswith(f"::error file=topologies/{org}.yaml,line=1,col=1,title=drift-changed::")

    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 1
    conflict = (
        f"Deployment/protheus-appserver-prod .spec.replicas (owned by rancher at {when_rancher})"
    )
    assert (
        f"  failed: refused, nothing applied: 1 field(s) owned by other managers: {conflict}."
        in out
    )
    assert f"  conflict (owned by other managers): {conflict}" in out

    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo), "--force-conflicts")
    assert code == 0, out
    assert f"  conflict (taken from): {conflict}" in out
    assert (
        "  removed (added by another manager): Deployment/protheus-tss .spec.template.spec"
        f'.containers[name="tss"].env[name="DEBUG"] (owned by kubectl-edit at {when_edit})'
    ) in out
    code, out, _ = rdm_in(cluster, run_rdm, "drift", org, "--repo", str(repo))
    assert (code, out.strip()) == (0, "1 topology(ies) checked: 0 with drift, 0 finding(s)")


# ---------------------------------------------------------------- bad release


def bad_release(plan: TopologyPlan) -> TopologyPlan:
    """The same plan with production's pods never Ready and a 3 s progress deadline."""
    objects = []
    for obj in plan.objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "protheus-appserver-prod":
            obj = {**obj, "spec": dict(obj["spec"])}
            template = dict(obj["spec"]["template"])
            template["metadata"] = {
                **template["metadata"],
                "labels": {**template["metadata"]["labels"], NOT_READY_LABEL: "false"},
            }
            obj["spec"]["template"] = template
            obj["spec"]["progressDeadlineSeconds"] = 3
        objects.append(obj)
    return TopologyPlan(
        plan.org_id,
        tuple(objects),
        "rev-bad",
        rdm_id="RDM-2026-0042",
        budget=timedelta(minutes=2),
        rollback_budget=timedelta(minutes=1),
    )


def test_a_bad_release_is_rolled_back_within_its_declared_time(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster
) -> None:
    org = namespace
    good = plan_of(topology_repo(tmp_path, org), org)
    (first,) = apply_topologies(kube, [good], settings=settings(), clock=now, sleep=sleep)
    assert first.outcome is Outcome.APPLIED, first.failure

    messages: list[str] = []
    bad = bad_release(good)
    (result,) = apply_topologies(
        kube,
        [bad],
        settings=settings(),
        clock=now,
        sleep=sleep,
        reporter=lambda _org, message: messages.append(message),
    )
    assert result.outcome is Outcome.ROLLED_BACK
    assert result.failure == (
        "Deployment/protheus-appserver-prod: deployment protheus-appserver-prod exceeded its "
        "progress deadline"
    )
    assert result.changed == ("Deployment/protheus-appserver-prod",)
    rollback = result.rollback
    assert rollback is not None and rollback.complete and rollback.healthy
    assert rollback.restored == ("Deployment/protheus-appserver-prod",)
    assert rollback.declared == timedelta(minutes=1)
    assert rollback.within_declared
    assert rollback.started >= result.started and rollback.finished <= result.finished
    assert any(m.startswith(f"rolled back to {result.snapshot_id} in ") for m in messages)

    snapshot = stored.load(kube, org, result.snapshot_id)
    assert verify_state(kube, bad, snapshot).state == "snapshot"
    assert verify_state(kube, good, None).state == "target"
    namespace_obj = kube.get(NAMESPACE, org)
    assert namespace_obj is not None
    notes = namespace_obj["metadata"]["annotations"]
    assert notes["rdm/applied-revision"] == "rev-1"  # the snapshot's revision, restored
    assert f'"snapshot":"{result.snapshot_id}"' in notes["rdm/last-rollback"]


# ---------------------------------------------------------------- the lock


def test_the_lock_is_refused_while_held_and_taken_over_after_expiry(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    stored.ensure_system_namespace(kube)
    since = now()
    other = Lock(kube, org, "ana@ci (run 41)", lambda: since, duration=3600)
    other.acquire()
    try:
        code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
        assert code == 1
        assert f"{org}: refused-by-lock: revision work-tree" in out
        stamp = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert f"  failed: {org}: locked by ana@ci (run 41) since {stamp}" in out
        assert kube.get(DEPLOYMENT, "protheus-tss", org) is None  # nothing applied
    finally:
        other.release()

    # a holder that stopped renewing: its lease expired an hour ago
    stale = Lock(kube, org, "crashed@ci", lambda: since - timedelta(hours=2), duration=60)
    stale.acquire()
    (result,) = apply_topologies(
        kube, [plan_of(repo, org)], settings=settings("second@ci"), clock=now, sleep=sleep
    )
    assert result.outcome is Outcome.APPLIED, result.failure
    assert kube.get(("coordination.k8s.io/v1", "Lease"), f"rdm-lock-{org}", "rdm-system") is None


# ---------------------------------------------------------------- prune


def test_the_update_appserver_is_pruned_after_an_update(
    cluster: Cluster, namespace: str, tmp_path: Path, run_rdm: Run
) -> None:
    org = namespace

    def enable(text: str) -> str:
        return text.replace(
            "protheus-appserver-update:\n    enabled: false",
            "protheus-appserver-update:\n    enabled: true",
        )

    repo = topology_repo(tmp_path, org, enable)
    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 0 and "  37 created, 0 changed" in out
    topology_repo(tmp_path, org)  # the update is over: disabled again
    code, out, _ = rdm_in(cluster, run_rdm, "diff", org, "--repo", str(repo))
    assert code == 1
    assert "  would prune: Deployment/protheus-appserver-update" in out
    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 0, out
    assert "  0 created, 0 changed, 34 unchanged, 3 pruned;" in out
    assert [line for line in out.splitlines() if line.startswith("  pruned:")] == [
        "  pruned: Deployment/protheus-appserver-update",
        "  pruned: Service/protheus-appserver-update",
        "  pruned: ConfigMap/protheus-appserver-update-config",
    ]
    kube = connect(cluster.kubeconfig)
    assert kube.get(DEPLOYMENT, "protheus-appserver-update", org) is None
    kube.close()


# ---------------------------------------------------------------- rollback


def test_rollback_restores_the_snapshot_exactly_and_names_fields_taken_back(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    assert rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))[0] == 0
    new_image = APPSERVER_IMAGE.replace("20261105", "20261201")

    def upgrade(text: str) -> str:
        return text.replace(f"appserver: {APPSERVER_IMAGE}", f"appserver: {new_image}")

    topology_repo(tmp_path, org, upgrade)
    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 0 and "0 created, 2 changed, 32 unchanged" in out, out
    before_upgrade = out.splitlines()[0].rsplit(" ", 1)[1]
    # after the upgrade, someone scales production by hand and labels the Service
    cluster.dynamic().resources.get(api_version="apps/v1", kind="Deployment").patch(
        body={"spec": {"replicas": 3}},
        name="protheus-appserver-prod",
        namespace=org,
        content_type="application/merge-patch+json",
        field_manager="kubectl-edit",
    )
    cluster.dynamic().resources.get(api_version="v1", kind="Service").patch(
        body={"metadata": {"labels": {"team": "fiscal"}}},
        name="protheus-tss",
        namespace=org,
        content_type="application/merge-patch+json",
        field_manager="rancher",
    )
    prod = kube.get(DEPLOYMENT, "protheus-appserver-prod", org)
    service = kube.get(("v1", "Service"), "protheus-tss", org)
    assert prod is not None and service is not None
    edited, labelled = managed_time(prod, "kubectl-edit"), managed_time(service, "rancher")

    code, out, err = rdm_in(cluster, run_rdm, "rollback", org, "--rollback-budget", "5m")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == f"{org}: rolled back"
    assert re.fullmatch(
        rf"  rollback to snapshot {before_upgrade} took \d+ s \(declared 5m: within\)", lines[1]
    )
    assert (
        f"  taken back: Deployment/protheus-appserver-prod .spec.replicas "
        f"(owned by kubectl-edit at {edited})"
    ) in lines
    assert (
        f"  taken back: Service/protheus-tss .metadata.labels.team (owned by rancher at {labelled})"
    ) in lines
    assert re.fullmatch(r"  the state before is snapshot \d{8}-\d{6}-\w{6}", lines[-1])

    snapshot = stored.load(kube, org, before_upgrade)
    plan = plan_of(repo, org)
    assert verify_state(kube, plan, snapshot).state == "snapshot"
    prod = kube.get(DEPLOYMENT, "protheus-appserver-prod", org)
    assert prod is not None
    assert prod["spec"]["replicas"] == 2
    assert prod["spec"]["template"]["spec"]["containers"][0]["image"] == APPSERVER_IMAGE
    code, out, _ = rdm_in(cluster, run_rdm, "status", org)
    assert "last rollback: " in out and f"to snapshot {before_upgrade}" in out


def test_rollback_without_snapshots_says_so(cluster: Cluster, namespace: str, run_rdm: Run) -> None:
    code, _, err = rdm_in(cluster, run_rdm, "rollback", namespace)
    assert code == 1
    assert err.strip() == f"rdm: {namespace} has no snapshot in rdm-system"


# ---------------------------------------------------------------- restart


def test_restart_waits_for_health_and_respects_the_window(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    assert rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))[0] == 0
    closed = "2026-11-30T20:00:00-03:00"
    code, out, _ = rdm_in(cluster, run_rdm, "restart", org, "--repo", str(repo), "--at", closed)
    assert code == 1
    assert out.strip() == (
        f"{org}: restart refused: closed: next window opens 2026-12-03 00:00 -03:00 "
        "(in 2 days 4 h) (an emergency: --emergency)"
    )
    code, out, _ = rdm_in(
        cluster,
        run_rdm,
        "restart",
        org,
        "--repo",
        str(repo),
        "--workload",
        "protheus-tss",
        "--emergency",
    )
    assert code == 0, out
    assert re.fullmatch(rf"{org}: restarted protheus-tss; healthy again in \d+ s", out.strip())
    tss = kube.get(DEPLOYMENT, "protheus-tss", org)
    assert tss is not None
    assert "kubectl.kubernetes.io/restartedAt" in tss["spec"]["template"]["metadata"]["annotations"]
    # the restart is rdm's own: no drift, and the next apply does not undo it
    code, out, _ = rdm_in(cluster, run_rdm, "drift", org, "--repo", str(repo))
    assert code == 0, out
    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert f"{org}: unchanged" in out


# ---------------------------------------------------------------- many at once


class HealthLooks:
    """The cluster, counting the watches (and LISTs) of Deployments made in each
    namespace: the health waits; every other call passes straight through."""

    def __init__(self, inner: KubeCluster) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()
        self.watches: Counter[str] = Counter()
        self._lock = threading.Lock()

    def list(self, kind: Any, *, namespace: str | None = None, selector: str = "") -> Any:
        if kind == DEPLOYMENT and namespace is not None:
            with self._lock:
                self.counts[namespace] += 1
        return self.inner.list(kind, namespace=namespace, selector=selector)

    def watch(self, kind: Any, *, namespace: str | None = None, **options: Any) -> Any:
        if kind == DEPLOYMENT and namespace is not None:
            with self._lock:
                self.counts[namespace] += 1
                self.watches[namespace] += 1
        return self.inner.watch(kind, namespace=namespace, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_topologies_in_parallel_each_with_its_result(
    cluster: Cluster, namespaces: Callable[[], str], tmp_path: Path, kube: KubeCluster
) -> None:
    orgs = [namespaces() for _ in range(3)]
    repo = tmp_path / "repo"
    for org in orgs:
        topology_repo(tmp_path, org)
    plans = [plan_of(repo, org) for org in orgs]
    tally = HealthLooks(kube)
    results = apply_topologies(
        tally, plans, settings=settings(), concurrency=3, clock=now, sleep=sleep
    )
    assert [(r.org_id, r.outcome) for r in results] == [(o, Outcome.APPLIED) for o in orgs]
    waves_with_deployments = len({wave(o) for o in plans[0].objects if o["kind"] == "Deployment"})
    for result in results:
        # Each wave's health wait is one watch of the Deployments (another after each
        # few seconds a wave lasts, a LIST after a failed one), so how many depends on
        # how fast the pods come up (the machine's load): they are counted apart, at
        # least one watch per wave. Everything else (snapshot, lock, record) is a
        # small constant on top of one apply per object.
        looks = tally.counts[result.org_id]
        assert tally.watches[result.org_id] >= waves_with_deployments
        assert 34 < result.requests - looks < 34 + 20, (result.requests, looks)
    eventually(
        "the three topologies",
        lambda: all(verify_state(kube, plan, None).state == "target" for plan in plans),
    )


def test_dry_run_changes_nothing_and_json_carries_the_result(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    import json

    org = namespace
    repo = topology_repo(tmp_path, org)
    code, out, _ = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo), "--dry-run")
    assert code == 0
    assert f"{org}: dry-run: revision work-tree" in out
    assert "  would be 34 created, 0 changed, 0 unchanged, 0 pruned;" in out
    assert kube.get(DEPLOYMENT, "protheus-tss", org) is None
    code, out, _ = rdm_in(
        cluster,
        run_rdm,
        "apply",
        org,
        "--repo",
        str(repo),
        "--format",
        "json",
        "--rollback-budget",
        "20m",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["outcomes"] == {"applied": 1}
    (result,) = payload["topologies"]
    assert result["orgId"] == org and result["outcome"] == "applied"
    assert result["revision"] == "work-tree" and result["rdm"] is None
    assert len(result["created"]) == 34 and result["failure"] is None
    assert result["rollback"] is None and result["conflicts"] == []
    assert result["requests"] > 34
    assert result["snapshot"] == stored.listing(kube, org)[0].snapshot_id
