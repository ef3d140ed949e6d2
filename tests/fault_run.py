"""The fault run of issue 10: many applies through the fault proxy, each judged from outside.

Shared by bench/faults.py (100 applies, the figure in docs/benchmarks.md) and
tests/test_fault_run.py (a handful of the same cases in `make test`).

Topologies are copies of the example topologies under new org ids, each in
three good versions (`base`; `next`: new appserver image, one more production
replica, another config value; `update`: the update appserver enabled, three
objects more, pruned when a later version drops them), and bad releases made
from any of them: one Deployment's pods labelled `rdm.test/ready: "false"` (the
local cluster keeps them not Ready) with a 3 s progress deadline.

A round picks one to three topologies at random (seeded), sometimes lets
another field manager edit one of them first, straight to the API server (a
Rancher scale, a kubectl env var; then the apply is refused, or forced half of
the time), picks a version for each, reads each topology directly
(`state_check.State`), and applies them all at once through the proxy, which
injects faults at random (`fault_proxy.RandomFaults`). After the round every
topology is read again, directly, and judged: at the target, exactly as it was
before, or between (half-applied). The applier's own `verify_state` and the
snapshot it stored are compared with that verdict too.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fault_proxy import Fault, FaultProxy, RandomFaults, Request
from rdm.edges.cluster import KubeCluster, RetryPolicy, connect
from rdm.edges.repository import render_source
from rdm.edges.sources import WorkTree
from rdm.model.snapshots import SnapshotError
from rdm.operations import snapshots as stored
from rdm.operations.applier import (
    Outcome,
    Settings,
    TopologyPlan,
    TopologyResult,
    apply_topologies,
    verify_state,
)
from state_check import State, Verdict, normalize, same_objects

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = (
    "metalurgica-sao-jorge",
    "grupo-alvorada",
    "hospital-santa-luzia",
    "cooperativa-vale-verde",
)
VERSIONS = ("base", "next", "update")
NOT_READY_LABEL = "rdm.test/ready"


def _version_text(text: str, version: str) -> str:
    if version == "next":
        text = re.sub(r"(protheus/(?:appserver|lockserver):12\.1\.\d+)-\d{8}", r"\1-20261203", text)
        text = re.sub(
            r"replicas: (\d+)", lambda m: f"replicas: {int(m.group(1)) + 1}", text, count=1
        )
        text = re.sub(r"MaxStringSize: \d+", "MaxStringSize: 50", text, count=1)
    if version == "update":
        text = text.replace("    enabled: false\n", "    enabled: true\n", 1)
    return text


def make_plans(repo: Path, orgs: Sequence[str]) -> dict[str, dict[str, TopologyPlan]]:
    """For each org (a copy of an example, in turn), its plan in each good version.

    `repo` is a copy of the example repository (conftest.copy_example)."""
    plans: dict[str, dict[str, TopologyPlan]] = {org: {} for org in orgs}
    for version in VERSIONS:
        for index, org in enumerate(orgs):
            example = EXAMPLES[index % len(EXAMPLES)]
            text = (ROOT / "topologies" / f"{example}.yaml").read_text(encoding="utf-8")
            text = _version_text(text.replace(example, org), version)
            (repo / "topologies" / f"{org}.yaml").write_text(text, encoding="utf-8")
        rendered = render_source(WorkTree(repo), list(orgs))
        if rendered.problems:
            raise AssertionError("; ".join(str(p) for p in rendered.problems))
        for org in orgs:
            plans[org][version] = TopologyPlan.from_manifests(
                org,
                rendered.manifests[org],
                revision=f"rev-{version}",
                budget=timedelta(minutes=3),
                rollback_budget=timedelta(minutes=3),
            )
    return plans


def bad_release(plan: TopologyPlan, deployment: str) -> TopologyPlan:
    """`plan` with the pods of `deployment` never Ready and a 3 s progress deadline."""
    objects = []
    for obj in plan.objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == deployment:
            spec = dict(obj["spec"])
            template = dict(spec["template"])
            labels = {**template["metadata"]["labels"], NOT_READY_LABEL: "false"}
            template["metadata"] = {**template["metadata"], "labels": labels}
            spec["template"] = template
            spec["progressDeadlineSeconds"] = 3
            obj = {**obj, "spec": spec}
        objects.append(obj)
    return TopologyPlan(
        plan.org_id,
        tuple(objects),
        f"{plan.revision}-bad-{deployment}",
        budget=plan.budget,
        rollback_budget=plan.rollback_budget,
    )


def deployments_of(plan: TopologyPlan) -> list[str]:
    return [o["metadata"]["name"] for o in plan.objects if o["kind"] == "Deployment"]


class Outages:
    """`RandomFaults`, and now and then an outage: for a while every request fails (503 or a
    dropped connection), as when the API server restarts or the network is cut. Outages
    outlast the edge's retries, so they reach the applier's own recovery."""

    def __init__(
        self,
        faults: RandomFaults,
        rng: random.Random,
        share: float,
        shortest: float = 5.0,
        longest: float = 40.0,
    ) -> None:
        self.faults = faults
        self.random = rng
        self.share = share
        self.shortest, self.longest = shortest, longest
        self.window = (0.0, 0.0)
        self.windows = 0
        self.seconds = 0.0
        self.failed = 0
        self.lock = threading.Lock()

    def maybe_schedule(self) -> None:
        """At a round's start: perhaps an outage, beginning within the next 10 s."""
        if self.random.random() >= self.share:
            return
        start = time.monotonic() + self.random.uniform(0.0, 10.0)
        length = self.random.uniform(self.shortest, self.longest)
        self.window = (start, start + length)
        self.windows += 1
        self.seconds += length

    def wait_out(self) -> None:
        """At a round's end: let an outage end before the next round, so that each one
        falls on the applies of the round it was scheduled in."""
        left = self.window[1] - time.monotonic()
        if left > 0:
            time.sleep(left)

    def __call__(self, request: Request) -> Fault | None:
        start, end = self.window
        if start <= time.monotonic() < end:
            with self.lock:
                self.failed += 1
                return Fault("status", 503) if self.failed % 2 else Fault("drop")
        return self.faults(request)


# ---------------------------------------------------------------- edits by other managers


def edit_by_another_manager(connection: Any, org: str, deployment: str, how: str) -> bool:
    """What a person does in Rancher or with kubectl, straight to the API server; False
    when there is no such Deployment (yet) to edit."""
    path = f"/apis/apps/v1/namespaces/{org}/deployments/{deployment}"
    code, live = connection.request("GET", path)
    if code != 200:
        return False
    if how == "scale":
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": deployment, "namespace": org},
            "spec": {"replicas": int(live["spec"].get("replicas", 1)) + 1},
        }
        _patch(connection, path + "?fieldManager=rancher&force=true", body, "apply")
    else:
        container = live["spec"]["template"]["spec"]["containers"][0]["name"]
        env = [{"name": "DEBUG", "value": "1"}]
        body = {"spec": {"template": {"spec": {"containers": [{"name": container, "env": env}]}}}}
        _patch(connection, path + "?fieldManager=kubectl-edit", body, "strategic")
    return True


def _patch(connection: Any, path: str, body: Mapping[str, Any], how: str) -> None:
    # localcluster.Connection.request sends JSON; a patch needs its own content type
    address = connection.server.removeprefix("https://")
    host, _, port = address.partition(":")
    http_connection = http.client.HTTPSConnection(
        host, int(port), context=connection.ssl_context(), timeout=30
    )
    content_type = {
        "apply": "application/apply-patch+yaml",
        "strategic": "application/strategic-merge-patch+json",
    }[how]
    try:
        http_connection.request(
            "PATCH",
            path,
            body=json.dumps(body).encode(),
            headers={"Content-Type": content_type, "Accept": "application/json"},
        )
        response = http_connection.getresponse()
        text = response.read()
        if response.status >= 300:
            raise AssertionError(f"PATCH {path}: {response.status} {text[:300]!r}")
    finally:
        http_connection.close()


# ---------------------------------------------------------------- one judged apply


@dataclass(frozen=True)
class Judged:
    """One topology's apply in a round, and the outside verdict on it."""

    round: int
    org_id: str
    kind: str  # base | next | update | bad
    edited: str | None  # scale | env: another manager edited the topology first
    forced: bool
    result: TopologyResult
    verdict: Verdict
    rdm_check: str  # verify_state's answer
    snapshot_check: str  # "same" | "differs: ..." | "none"

    @property
    def category(self) -> str:
        """applied | rolled back | failed-but-consistent | half-applied | contradicted."""
        outcome, state = self.result.outcome, self.verdict.state
        if state == "between":
            return "half-applied"
        ok = outcome in (Outcome.APPLIED, Outcome.UNCHANGED)
        if ok and state in ("target", "both"):
            return "applied"
        if not ok and state in ("snapshot", "both"):
            return "rolled back" if outcome is Outcome.ROLLED_BACK else "failed-but-consistent"
        return "contradicted"  # consistent, but not where the outcome says

    def line(self) -> str:
        edit = ""
        if self.edited:
            edit = f" after a {self.edited} edit" + (" (forced)" if self.forced else "")
        text = (
            f"round {self.round} {self.org_id} {self.kind}{edit}: {self.result.outcome} -> "
            f"{self.verdict.state} [{self.category}]"
        )
        if self.category == "failed-but-consistent" and self.result.failure:
            text += f": {self.result.failure[:160]}"
        if self.category in ("half-applied", "contradicted"):
            text += f": {self.verdict.explain()}; failure: {self.result.failure}"
            rollback = self.result.rollback
            if rollback is not None and rollback.error:
                text += f"; the rollback failed on: {rollback.error}"
        return text


@dataclass
class Tally:
    judged: list[Judged] = field(default_factory=list)
    rounds: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    proxied_requests: int = 0
    rdm_requests: int = 0
    rdm_retries: int = 0
    seconds: float = 0.0
    outages: tuple[int, float, int] = (0, 0.0, 0)  # windows, seconds, requests failed in them

    def categories(self) -> Counter[str]:
        found = Counter(j.category for j in self.judged)
        for name in ("applied", "rolled back", "failed-but-consistent", "half-applied"):
            found.setdefault(name, 0)
        return found

    def outcomes(self) -> Counter[str]:
        return Counter(str(j.result.outcome) for j in self.judged)

    def kinds(self) -> Counter[str]:
        return Counter(j.kind for j in self.judged)

    def edits(self) -> Counter[str]:
        return Counter(
            f"{j.edited} edit" + (", forced" if j.forced else ", not forced")
            for j in self.judged
            if j.edited
        )

    def disagreements(self) -> list[Judged]:
        """Where the applier's own check (verify_state) says otherwise than this one."""
        found = []
        for j in self.judged:
            if j.rdm_check == "n/a":
                continue
            mine = {"both": {"target", "snapshot"}}.get(j.verdict.state, {j.verdict.state})
            if j.rdm_check not in mine:
                found.append(j)
        return found

    def snapshot_mismatches(self) -> list[Judged]:
        return [j for j in self.judged if j.snapshot_check.startswith("differs")]


class FaultRun:
    """Rounds of applies through a fault proxy in front of a real API server."""

    def __init__(
        self,
        connection: Any,  # localcluster.Connection: the direct way in
        repo: Path,
        orgs: Sequence[str],
        *,
        seed: int,
        rate: float = 0.15,
        slow: float = 2.5,
        bad_share: float = 0.25,
        edit_share: float = 0.15,
        outage_share: float = 0.0,
        max_together: int = 3,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.connection = connection
        self.orgs = list(orgs)
        self.random = random.Random(seed)  # noqa: S311 - test choices, not security
        self.faults = Outages(
            RandomFaults(rate=rate, seed=seed, slow=slow), self.random, outage_share
        )
        self.slow = slow
        self.bad_share = bad_share
        self.edit_share = edit_share
        self.max_together = max_together
        self.say = say
        self.plans = make_plans(repo, self.orgs)
        self.tally = Tally()
        self.direct = connect(connection.kubeconfig)

    def client(self, proxy: FaultProxy) -> KubeCluster:
        # a read timeout below the proxy's slow delay: slow answers time out and are retried
        retry = RetryPolicy(read_timeout=self.slow - 0.5, base=0.05, cap=0.5)
        return connect(self.connection.kubeconfig, server=proxy.url, retry=retry)

    def run(self, applies: int) -> Tally:
        started = time.monotonic()
        proxy = FaultProxy(self.connection.server, self.connection.ssl_context(), self.faults)
        with proxy:
            kube = self.client(proxy)
            try:
                while len(self.tally.judged) < applies:
                    left = applies - len(self.tally.judged)
                    self.round(kube, min(left, self.random.randint(1, self.max_together)))
            finally:
                kube.close()
            self.tally.faults = Counter(proxy.injected)
            self.tally.outages = (self.faults.windows, self.faults.seconds, self.faults.failed)
            self.tally.proxied_requests = proxy.requests
            self.tally.rdm_requests, self.tally.rdm_retries = kube.requests, kube.retries
        self.direct.close()
        self.tally.seconds = time.monotonic() - started
        return self.tally

    def round(self, kube: KubeCluster, count: int) -> None:
        self.tally.rounds += 1
        number = self.tally.rounds
        orgs = self.random.sample(self.orgs, count)
        chosen: list[tuple[str, TopologyPlan, str | None]] = []
        for org in orgs:
            version = self.random.choice(VERSIONS)
            plan = self.plans[org][version]
            kind = version
            if self.random.random() < self.bad_share:
                plan = bad_release(plan, self.random.choice(deployments_of(plan)))
                kind = "bad"
            edited = None
            if self.random.random() < self.edit_share:
                edited = self.random.choice(["scale", "env"])
                target = self.random.choice(deployments_of(self.plans[org]["base"]))
                if not edit_by_another_manager(self.connection, org, target, edited):
                    edited = None
            forced = bool(edited) and self.random.random() < 0.5
            if forced:
                plan = dataclasses.replace(plan, force_conflicts=True)
            chosen.append((kind, plan, edited))
        self.faults.maybe_schedule()
        before = {plan.org_id: State.read(self.connection, plan.org_id) for _, plan, _ in chosen}
        results = apply_topologies(
            kube,
            [plan for _, plan, _ in chosen],
            settings=Settings(identity="fault-run", poll=0.5),
            concurrency=len(chosen),
            clock=lambda: datetime.now(UTC),
            sleep=time.sleep,
        )
        self.faults.wait_out()
        for (kind, plan, edited), result in zip(chosen, results, strict=True):
            state = before[plan.org_id]
            verdict = state.judge(self.connection, plan.objects, plan.revision)
            judged = Judged(
                number,
                plan.org_id,
                kind,
                edited,
                plan.force_conflicts,
                result,
                verdict,
                self.rdm_check(plan, result),
                self.snapshot_check(state, result),
            )
            self.tally.judged.append(judged)
            self.say(judged.line())

    def rdm_check(self, plan: TopologyPlan, result: TopologyResult) -> str:
        """What the applier's own `verify_state` says; it needs the snapshot, so an apply
        that failed before taking one is "n/a" unless it finds the target."""
        state = verify_state(self.direct, plan, result.snapshot).state
        return "n/a" if result.snapshot is None and state != "target" else state

    def snapshot_check(self, state: State, result: TopologyResult) -> str:
        """Does the snapshot rdm stored hold exactly what this checker read before?"""
        if result.snapshot_id is None:
            return "none"
        try:
            snapshot = stored.load(self.direct, state.org_id, result.snapshot_id)
        except SnapshotError as exc:
            return f"differs: cannot be loaded: {exc}"
        differences = same_objects(
            {(o["kind"], o["metadata"]["name"]): o for o in map(normalize, snapshot.objects)},
            state.before.values(),
        )
        return "same" if not differences else "differs: " + "; ".join(differences[:3])
