"""The applier: rendered topologies onto the cluster, each ending at its target or at its snapshot.

The library API (the rollout and the benchmarks call it; `rdm apply` is a thin
command over it):

    results = apply_topologies(cluster, plans, settings=Settings(identity="..."),
                               concurrency=8, clock=..., sleep=..., reporter=...,
                               cancel=None)

`cluster` is anything with the `operations.ports.Cluster` methods (the edge's
`KubeCluster`); a `TopologyPlan` carries the org id, the rendered objects
(`TopologyPlan.from_manifests(org, rendering.manifests.render(topology), ...)`),
the git revision, the RDM id, the implementation budget (the RDM's
`estimatedDuration`), the declared rollback time (`rollback.estimatedDuration`),
`dry_run` and `force_conflicts`. Each `TopologyResult` says the outcome
(`Outcome`), the snapshot id, start and end, what failed, the rollback (start,
end, duration against the declared time, what it restored, deleted and took
back), the field conflicts (fields and managers), pruned objects and the
requests made. Results come in the order of the plans.

Per topology, in a worker thread (up to `concurrency` at once):

1. refuse objects outside the client's namespace or without its labels;
2. take the Lease (`operations.lock`), or end `refused-by-lock` at once;
3. snapshot what the topology owns and store it (`operations.snapshots`),
   keeping the newest `keep_snapshots`; no snapshot, no change (`failed`);
4. refuse when a rendered object exists without the topology's labels (the
   snapshot, taken by the labels, would not hold it: a rollback would delete
   it); look for fields other managers own with other values (`decisions.drift`);
   the server's dry run confirms them. Without `force_conflicts` the apply is
   refused before anything changes (`failed`, with the conflicts); with it,
   they are taken and reported, and fields others added are removed;
5. wave by wave (`rdm/wave`), server-side apply each object, then wait until
   the wave's Deployments that changed, or did not change but are not healthy
   (a killed apply left their spec), are healthy (`operations.health`) within
   what is left of the budget;
6. prune objects with the topology's labels that are no longer rendered;
7. record revision, RDM, time and snapshot on the Namespace;
8. any failure in 5-7 (a refused apply, a failed or slow rollout, an outside
   error after the edge's retries, a lost lock, an unexpected error, a request
   to stop): restore the snapshot (`operations.rollback`): `rolled-back`, or
   `rollback-failed` when even the restore could not finish -- the only
   outcome that leaves a topology between two states, and the loudest. A
   progress reporter that fails is ignored: progress never stops a change.

Stopping (`cancel`, a `ports.Cancel` the command counts SIGINT and SIGTERM
into): a topology not started yet is not started (`failed`, nothing changed);
one being applied stops at its next step and is rolled back to its snapshot;
asked again, the rollback puts the objects back without waiting for health;
a third time, the rollback itself is abandoned (`rollback-failed`). The lock
is released in every case.

`verify_state` is the check an outside observer (the fault run) makes after
the fact: is the topology at its target, or exactly at its snapshot?

This module imports no I/O library and reads no clock: the cluster, the clock
and the sleep are passed in, so unit tests drive it without a network.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rdm.decisions.changes import differences, plan_problems, to_prune
from rdm.decisions.drift import (
    ForeignField,
    as_conflicts,
    foreign_fields,
    group_added,
    removal_patch,
)
from rdm.decisions.health import deployment_health
from rdm.model import snapshots as snapshot_model
from rdm.model.kube import (
    APPLIED_AT,
    APPLIED_RDM,
    APPLIED_REVISION,
    APPLIED_SNAPSHOT,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    ORG_LABEL,
    ClusterError,
    Conflict,
    FieldConflict,
    KubeObject,
    LockHeld,
    LockHolder,
    ObjectRef,
    annotations_of,
    comparable,
    index,
    wave,
)
from rdm.model.rdms import format_duration
from rdm.model.snapshots import Snapshot, SnapshotError
from rdm.operations import record
from rdm.operations.health import HealthFailed, wait_healthy
from rdm.operations.lock import DEFAULT_DURATION, Lock, LockLost
from rdm.operations.ports import (
    Cancel,
    Clock,
    Cluster,
    Counted,
    Interrupted,
    Reporter,
    Sleep,
    quiet,
)
from rdm.operations.rollback import RestoreReport, restore
from rdm.operations.snapshots import (
    ensure_system_namespace,
    live_objects,
    retain,
    store,
    unlabelled,
)


def _short(revision: str) -> str:
    """A commit SHA cut to 12 characters for people (the record keeps it whole)."""
    head, plus, rest = revision.partition("+")
    if len(head) == 40 and all(c in "0123456789abcdef" for c in head):
        return head[:12] + plus + rest
    return revision


class Outcome(enum.StrEnum):
    APPLIED = "applied"  # at the target revision
    UNCHANGED = "unchanged"  # was at the target already; nothing changed
    ROLLED_BACK = "rolled-back"  # failed, and is exactly at its snapshot again
    FAILED = "failed"  # refused or failed before changing anything
    ROLLBACK_FAILED = "rollback-failed"  # failed, and the restore did not finish: needs a person
    REFUSED_BY_LOCK = "refused-by-lock"  # another run holds the topology
    DRY_RUN = "dry-run"  # nothing applied: `changed` says what would be


@dataclass(frozen=True)
class TopologyPlan:
    org_id: str
    objects: tuple[Mapping[str, Any], ...]
    revision: str
    rdm_id: str | None = None
    budget: timedelta = timedelta(minutes=30)
    rollback_budget: timedelta = timedelta(minutes=30)
    dry_run: bool = False
    force_conflicts: bool = False

    @classmethod
    def from_manifests(cls, org_id: str, manifests: Sequence[Any], **kwargs: Any) -> TopologyPlan:
        """From `rendering.manifests.render` output (anything with an `obj`)."""
        return cls(org_id, tuple(m.obj for m in manifests), **kwargs)


@dataclass(frozen=True)
class Settings:
    identity: str  # who holds the lock: shown to a second run
    keep_snapshots: int = snapshot_model.DEFAULT_KEEP
    poll: float = 1.0  # seconds between health polls
    lease_seconds: int = DEFAULT_DURATION
    part_bytes: int = snapshot_model.PART_BYTES
    max_parts: int = snapshot_model.MAX_PARTS


@dataclass(frozen=True)
class TopologyResult:
    org_id: str
    outcome: Outcome
    revision: str
    rdm_id: str | None
    started: datetime
    finished: datetime
    snapshot_id: str | None = None
    failure: str | None = None  # what failed
    created: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: int = 0
    pruned: tuple[str, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()  # fields other managers own (taken if forced)
    conflicts_taken: bool = False
    removed_fields: tuple[FieldConflict, ...] = ()  # fields others added, removed by force
    rollback: RestoreReport | None = None
    requests: int = 0
    lock_holder: LockHolder | None = None
    snapshot: Snapshot | None = field(default=None, repr=False, compare=False)
    warnings: tuple[str, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.finished - self.started

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.DRY_RUN)


def apply_topologies(
    cluster: Cluster,
    plans: Sequence[TopologyPlan],
    *,
    settings: Settings,
    concurrency: int = 8,
    clock: Clock,
    sleep: Sleep,
    reporter: Reporter = quiet,
    cancel: Cancel | None = None,
) -> list[TopologyResult]:
    """Apply every plan, `concurrency` topologies at a time; results in plan order."""
    cancel = cancel or Cancel()
    if any(not plan.dry_run for plan in plans):
        try:
            ensure_system_namespace(cluster)
        except ClusterError as exc:
            now = clock()
            return [
                TopologyResult(
                    plan.org_id,
                    Outcome.FAILED,
                    plan.revision,
                    plan.rdm_id,
                    now,
                    now,
                    failure=f"cannot prepare the rdm-system namespace: {exc}",
                )
                for plan in plans
            ]

    def one(plan: TopologyPlan) -> TopologyResult:
        return apply_one(
            cluster,
            plan,
            settings=settings,
            clock=clock,
            sleep=sleep,
            reporter=reporter,
            cancel=cancel,
        )

    if concurrency <= 1 or len(plans) <= 1:
        return [one(plan) for plan in plans]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="rdm-apply") as pool:
        return list(pool.map(one, plans))


def apply_one(
    cluster: Cluster,
    plan: TopologyPlan,
    *,
    settings: Settings,
    clock: Clock,
    sleep: Sleep,
    reporter: Reporter = quiet,
    cancel: Cancel | None = None,
) -> TopologyResult:
    counted = Counted(cluster)
    run = _Run(counted, plan, settings, clock, sleep, reporter, cancel or Cancel())
    try:
        return run.go()
    except Exception as exc:  # a bug must not leave the other topologies' results unwritten
        return run.result(Outcome.FAILED, failure=f"internal error: {type(exc).__name__}: {exc}")


class _Run:
    """One topology's apply; its fields are what the result reports."""

    def __init__(
        self,
        cluster: Counted,
        plan: TopologyPlan,
        settings: Settings,
        clock: Clock,
        sleep: Sleep,
        reporter: Reporter,
        cancel: Cancel,
    ) -> None:
        self.cluster = cluster
        self.cancel = cancel
        self.plan = plan
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.reporter = reporter
        self.started = clock()
        self.snapshot: Snapshot | None = None
        self.created: list[str] = []
        self.changed: list[str] = []
        self.unchanged = 0
        self.pruned: list[str] = []
        self.conflicts: list[FieldConflict] = []
        self.removed: list[FieldConflict] = []
        self.warnings: list[str] = []
        self.lock: Lock | None = None
        self.additions: dict[ObjectRef, list[ForeignField]] = {}

    def result(self, outcome: Outcome, **extra: Any) -> TopologyResult:
        return TopologyResult(
            org_id=self.plan.org_id,
            outcome=outcome,
            revision=self.plan.revision,
            rdm_id=self.plan.rdm_id,
            started=self.started,
            finished=self.clock(),
            snapshot_id=self.snapshot.snapshot_id if self.snapshot else None,
            created=tuple(self.created),
            changed=tuple(self.changed),
            unchanged=self.unchanged,
            pruned=tuple(self.pruned),
            conflicts=tuple(self.conflicts),
            conflicts_taken=self.plan.force_conflicts and bool(self.conflicts),
            removed_fields=tuple(self.removed),
            requests=self.cluster.requests,
            snapshot=self.snapshot,
            warnings=tuple(self.warnings),
            **extra,
        )

    def report(self, message: str) -> None:
        # progress is for people: a reporter that fails never stops a change
        with contextlib.suppress(Exception):
            self.reporter(self.plan.org_id, message)

    def keep(self) -> None:
        """Between two steps of the change: renew the lock; stop here when asked to."""
        if self.lock is not None:
            self.lock.keep()
        self.cancel.check(1)

    def keep_lock(self) -> None:
        """Between two steps of a rollback: the lock only (`restore` reads `cancel`)."""
        if self.lock is not None:
            self.lock.keep()

    # ------------------------------------------------------------ the steps

    def go(self) -> TopologyResult:
        plan = self.plan
        problems = plan_problems(plan.org_id, plan.objects)
        if problems:
            return self.result(Outcome.FAILED, failure="refused: " + "; ".join(problems))
        if plan.dry_run:
            return self.dry_run()
        if self.cancel.level:
            return self.result(
                Outcome.FAILED, failure=f"{self.cancel_text()} before it started; nothing changed"
            )
        settings = self.settings
        self.lock = Lock(
            self.cluster, plan.org_id, settings.identity, self.clock, settings.lease_seconds
        )
        try:
            self.lock.acquire()
        except LockHeld as exc:
            self.report(f"refused: {exc}")
            return self.result(Outcome.REFUSED_BY_LOCK, failure=str(exc), lock_holder=exc.holder)
        except ClusterError as exc:
            return self.result(Outcome.FAILED, failure=f"cannot take the lock: {exc}")
        try:
            return self.locked()
        finally:
            if not self.lock.release():
                self.warnings.append("the lock could not be released; it expires by itself")

    def locked(self) -> TopologyResult:
        plan = self.plan
        rdm = f" ({plan.rdm_id})" if plan.rdm_id else ""
        try:
            live = live_objects(self.cluster, plan.org_id)
            self.snapshot = snapshot_model.take(
                plan.org_id, live, self.clock(), f"before applying {_short(plan.revision)}{rdm}"
            )
            store(
                self.cluster,
                self.snapshot,
                part_bytes=self.settings.part_bytes,
                max_parts=self.settings.max_parts,
            )
        except (ClusterError, SnapshotError) as exc:
            self.snapshot = None
            return self.result(Outcome.FAILED, failure=f"snapshot failed, nothing applied: {exc}")
        self.report(
            f"snapshot {self.snapshot.snapshot_id} taken ({len(self.snapshot.objects)} objects)"
        )
        try:
            retain(self.cluster, plan.org_id, self.settings.keep_snapshots)
        except ClusterError as exc:
            self.warnings.append(f"old snapshots not cleaned up: {exc}")
        live_by_ref = index(live)
        try:
            refusal = self.check_strays(live_by_ref) or self.check_conflicts(live_by_ref)
        except ClusterError as exc:
            return self.result(Outcome.FAILED, failure=f"nothing applied: {exc}")
        if refusal is not None:
            return self.result(Outcome.FAILED, failure=refusal)
        if self.cancel.level:
            return self.result(
                Outcome.FAILED, failure=f"{self.cancel_text()} before any change; nothing applied"
            )
        try:
            self.apply_waves(live_by_ref)
            self.prune(live)
            self.record(live_by_ref)
        except (ClusterError, HealthFailed, LockLost, Interrupted) as exc:
            return self.roll_back(str(exc))
        except Exception as exc:  # a bug, an answer of an unseen shape: the snapshot still holds
            return self.roll_back(f"internal error: {type(exc).__name__}: {exc}")
        changed = self.created or self.changed or self.pruned or self.removed
        outcome = Outcome.APPLIED if changed else Outcome.UNCHANGED
        self.report(
            f"{outcome}: revision {_short(plan.revision)}{rdm}: {len(self.created)} created, "
            f"{len(self.changed)} changed, {self.unchanged} unchanged, {len(self.pruned)} pruned"
        )
        return self.result(outcome)

    def check_strays(self, live_by_ref: Mapping[ObjectRef, KubeObject]) -> str | None:
        """A refusal when a rendered object exists without the topology's labels: the
        snapshot (taken by the labels) does not hold it, so a rollback after adopting it
        would delete it."""
        org = self.plan.org_id
        strays = unlabelled(self.cluster, org, self.plan.objects, live_by_ref)
        if not strays:
            return None
        labels = f"{MANAGED_BY_LABEL}={MANAGED_BY}, {ORG_LABEL}={org}"
        return "refused, nothing applied: " + "; ".join(
            f"{ref} exists without the topology's labels ({labels}); rdm does not take an "
            f"object over silently: adopt it (kubectl -n {org} label "
            f"{ref.kind.lower()}/{ref.name} {MANAGED_BY_LABEL}={MANAGED_BY} {ORG_LABEL}={org}) "
            "or delete it, then apply again"
            for ref in strays
        )

    def check_conflicts(self, live_by_ref: Mapping[ObjectRef, KubeObject]) -> str | None:
        """Conflicts with other managers, found before anything changes; a refusal or None."""
        for obj in self.plan.objects:
            ref = ObjectRef.of(obj)
            current = live_by_ref.get(ref)
            if current is None:
                continue
            changed, added = foreign_fields(current, obj)
            if added and self.plan.force_conflicts:
                self.additions[ref] = group_added(added, obj, current)
                self.removed += as_conflicts(ref, self.additions[ref])
            if not changed:
                continue
            times = {f.manager: f.time for f in changed}
            try:
                self.cluster.apply(obj, dry_run=True)
            except Conflict as exc:
                if not exc.conflicts:
                    raise
                self.conflicts += [
                    FieldConflict(str(ref), c.field, c.manager, times.get(c.manager))
                    for c in exc.conflicts
                ]
        if self.conflicts and not self.plan.force_conflicts:
            listed = "; ".join(str(c) for c in self.conflicts)
            return (
                f"refused, nothing applied: {len(self.conflicts)} field(s) owned by other "
                f"managers: {listed}. Keep them: put them in the topology through an RDM; "
                "take them: rdm apply --force-conflicts"
            )
        if self.conflicts:
            self.report(
                "taking fields from other managers: " + "; ".join(str(c) for c in self.conflicts)
            )
        return None

    def apply_waves(self, live_by_ref: Mapping[ObjectRef, KubeObject]) -> None:
        plan = self.plan
        deadline = self.started + plan.budget
        # the budget is the RDM's estimatedDuration unless --budget replaced it
        budget = f"the apply's time budget of {format_duration(plan.budget)}"
        grouped: dict[int, list[Mapping[str, Any]]] = {}
        for obj in plan.objects:
            grouped.setdefault(wave(obj), []).append(obj)
        for number in sorted(grouped):
            waiting: list[str] = []
            for obj in grouped[number]:
                self.keep()
                ref = ObjectRef.of(obj)
                current = live_by_ref.get(ref)
                added = self.additions.get(ref)
                removal: list[dict[str, Any]] = []
                if added and current is not None:
                    removal = removal_patch(current, added)
                    if removal:
                        self.cluster.patch(
                            (ref.api_version, ref.kind), ref.name, ref.namespace, removal
                        )
                try:
                    result = self.cluster.apply(obj, force=plan.force_conflicts)
                except ClusterError as exc:
                    raise ClusterError(f"wave {number}: {exc}", exc.status, exc.reason) from exc
                # compared without server-set fields: a status update in between (a
                # controller at work) bumps resourceVersion without changing anything
                if current is None:
                    self.created.append(str(ref))
                elif removal or comparable(result) != comparable(current):
                    self.changed.append(str(ref))
                else:
                    self.unchanged += 1
                    # unchanged, but maybe not rolled out: the spec of an apply that was
                    # killed or timed out half-way is already live. Only its health says
                    # whether the target is reached.
                    if ref.kind != "Deployment" or deployment_health(current).healthy:
                        continue
                if ref.kind == "Deployment":
                    waiting.append(ref.name)
            self.report(f"wave {number}: {len(grouped[number])} objects applied")
            if waiting:
                wait_healthy(
                    self.cluster,
                    plan.org_id,
                    waiting,
                    deadline=deadline,
                    budget_text=budget,
                    clock=self.clock,
                    sleep=self.sleep,
                    poll=self.settings.poll,
                    keep=self.keep,
                )
                self.report(f"wave {number}: {len(waiting)} Deployment(s) healthy")

    def prune(self, live: Sequence[KubeObject]) -> None:
        wanted = {ObjectRef.of(obj) for obj in self.plan.objects}
        for ref in to_prune(self.plan.org_id, live, wanted):
            self.keep()
            self.cluster.delete((ref.api_version, ref.kind), ref.name, ref.namespace)
            self.pruned.append(str(ref))
            self.report(f"pruned {ref}")

    def record(self, live_by_ref: Mapping[ObjectRef, KubeObject]) -> None:
        plan = self.plan
        namespace = live_by_ref.get(ObjectRef("v1", "Namespace", None, plan.org_id))
        record.write(
            self.cluster,
            plan.org_id,
            {
                APPLIED_REVISION: plan.revision,
                APPLIED_RDM: plan.rdm_id,
                APPLIED_AT: self.clock().isoformat(timespec="seconds"),
                APPLIED_SNAPSHOT: self.snapshot.snapshot_id if self.snapshot else None,
            },
            namespace if namespace is not None else {"metadata": {"name": plan.org_id}},
        )

    def roll_back(self, failure: str) -> TopologyResult:
        assert self.snapshot is not None
        plan = self.plan
        self.report(f"failed: {failure}; rolling back to snapshot {self.snapshot.snapshot_id}")
        try:
            report = restore(
                self.cluster,
                self.snapshot,
                reason=failure,
                declared=plan.rollback_budget,
                clock=self.clock,
                sleep=self.sleep,
                poll=self.settings.poll,
                keep=self.keep_lock,
                reporter=lambda _org, message: self.report(message),
                cancel=self.cancel,
            )
        except Exception as exc:  # even a failed restore must end in a result
            now = self.clock()
            report = RestoreReport(
                self.snapshot.snapshot_id,
                now,
                now,
                plan.rollback_budget,
                failure,
                complete=False,
                error=f"internal error: {type(exc).__name__}: {exc}",
            )
        if not report.complete:
            self.report(f"ROLLBACK FAILED: {report.error}")
            return self.result(Outcome.ROLLBACK_FAILED, failure=failure, rollback=report)
        seconds = int(report.duration.total_seconds())
        self.report(
            f"rolled back to {self.snapshot.snapshot_id} in {seconds} s "
            f"(declared {format_duration(plan.rollback_budget)})"
        )
        return self.result(Outcome.ROLLED_BACK, failure=failure, rollback=report)

    def cancel_text(self) -> str:
        return f"interrupted by {self.cancel.reason}"

    def dry_run(self) -> TopologyResult:
        from rdm.operations.diff import preview  # the diff is the dry run's whole job

        try:
            found = preview(self.cluster, self.plan.org_id, self.plan.objects)
        except ClusterError as exc:
            return self.result(Outcome.FAILED, failure=str(exc))
        self.created = [str(e.ref) for e in found.entries if e.change == "create"]
        self.changed = [str(e.ref) for e in found.entries if e.change == "change"]
        self.unchanged = sum(1 for e in found.entries if e.change == "unchanged")
        self.pruned = [str(ref) for ref in found.prune]
        self.conflicts = list(found.conflicts)
        if found.errors:
            # the server refused to dry-run them (admission, validation) or could not be
            # asked: the apply would not go through as the dry run says
            return self.result(
                Outcome.FAILED,
                failure=f"dry run: the server refuses {len(found.errors)} object(s): "
                + "; ".join(found.errors),
            )
        return self.result(Outcome.DRY_RUN)


# ---------------------------------------------------------------- the outside check


@dataclass(frozen=True)
class StateCheck:
    state: str  # "target" | "snapshot" | "between"
    details: tuple[str, ...] = ()  # how it differs from each, when between


def verify_state(cluster: Cluster, plan: TopologyPlan, snapshot: Snapshot | None) -> StateCheck:
    """Is the topology at the plan's target (objects and recorded revision), or
    exactly at `snapshot`? Reads the cluster; dry-runs the rendered objects."""
    live = live_objects(cluster, plan.org_id)
    try:
        targets = [cluster.apply(obj, dry_run=True, force=True) for obj in plan.objects]
        to_target = differences(live, targets)
    except ClusterError as exc:
        to_target = [f"the target cannot be dry-run: {exc}"]
    namespace = next((o for o in live if o.get("kind") == "Namespace"), None)
    revision = annotations_of(namespace).get(APPLIED_REVISION) if namespace else None
    if not to_target and revision == plan.revision:
        return StateCheck("target")
    if snapshot is not None:
        to_snapshot = differences(live, list(snapshot.objects))
        if not to_snapshot:
            return StateCheck("snapshot")
    else:
        to_snapshot = ["no snapshot"]
    if not to_target:
        to_target = [f"objects at target, but the recorded revision is {revision}"]
    return StateCheck(
        "between",
        tuple(f"target: {d}" for d in to_target) + tuple(f"snapshot: {d}" for d in to_snapshot),
    )
