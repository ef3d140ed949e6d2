"""Restoring a snapshot: exactly the objects it holds, nothing more, in waves, with health.

`restore` brings a topology back to a snapshot (the applier's automatic
rollback and `rdm rollback` both use it):

0. refuse, before touching anything, a snapshot holding anything rdm does not
   render for that client (`model.snapshots.check_restorable`: a snapshot in
   the cluster or in a file is only as trustworthy as who could write it);
1. read what the topology owns now;
2. wave by wave, apply each snapshot object whole with server-side apply and
   force. Fields other managers changed since the snapshot are taken back
   (force); fields other managers *added* since (an env var, an annotation)
   are first taken into rdm's ownership and then dropped by applying the
   snapshot object alone -- server-side apply removes only fields their last
   owner stops applying. Both are reported, with the manager and its time.
   After each wave, its restored Deployments must become healthy;
3. delete the objects with the topology's labels that the snapshot does not
   hold (what the failed change created). A Namespace is never deleted (it
   holds the client's Secrets): rdm only gives up its fields on it;
4. wait until the Deployments it restored are healthy, within the declared
   rollback time, and record the snapshot's revision and the rollback on the
   Namespace.

`rollback_topology` is `rdm rollback`: under the topology's lock, it snapshots
the current state first (so the rollback itself can be undone), then restores.

Every step is idempotent, so a step that fails after the edge's retries is
tried again: the whole restore, while the declared rollback time lasts, as long
as the cluster is unreachable or busy (`Unavailable`, `Timeout`, a bare
`Conflict`: an outage longer than the edge's retries is waited out); up to
`attempts` times for other errors; never once the lock is lost. The record on
the Namespace is retried the same way. Asked to stop (`cancel`, see
`ports.Cancel`), a restore goes on: it is what makes an interrupted change
safe. Asked twice, it puts the objects back without waiting for health; three
times, it stops at its next step, a retry after an outage included
(`complete=False`, the topology may be between two states). A restore whose
objects are all back but whose Deployments do not get healthy in time still
restored the snapshot exactly; that is reported (`healthy=False`), not treated
as a failed rollback.

No I/O but through the `Cluster`; time from the clock and sleep passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rdm.decisions.changes import to_prune
from rdm.decisions.drift import as_conflicts, foreign_fields, group_added, removal_patch
from rdm.model import snapshots as snapshot_model
from rdm.model.kube import (
    APPLIED_AT,
    APPLIED_RDM,
    APPLIED_REVISION,
    APPLIED_SNAPSHOT,
    LAST_ROLLBACK,
    ClusterError,
    Conflict,
    FieldConflict,
    KubeObject,
    ObjectRef,
    Timeout,
    Unavailable,
    comparable,
    for_apply,
    index,
    wave,
)
from rdm.model.rdms import format_duration
from rdm.model.snapshots import DEFAULT_KEEP, Snapshot
from rdm.operations import record
from rdm.operations import snapshots as stored
from rdm.operations.health import HealthFailed, wait_healthy
from rdm.operations.lock import DEFAULT_DURATION, Lock, LockLost
from rdm.operations.ports import Cancel, Clock, Cluster, Interrupted, Reporter, Sleep, quiet
from rdm.operations.snapshots import live_objects


@dataclass(frozen=True)
class RestoreReport:
    snapshot_id: str
    started: datetime
    finished: datetime
    declared: timedelta  # the RDM's rollback.estimatedDuration (or the budget given)
    reason: str  # why: what failed, or "asked by <who>"
    restored: tuple[str, ...] = ()  # objects re-applied that had changed or were gone
    deleted: tuple[str, ...] = ()  # objects the change had created
    taken: tuple[FieldConflict, ...] = ()  # fields taken back from other managers
    healthy: bool = True
    health: str = ""  # why not healthy
    complete: bool = True  # every object restored (False: rollback failed)
    error: str | None = None

    @property
    def duration(self) -> timedelta:
        return self.finished - self.started

    @property
    def within_declared(self) -> bool:
        return self.duration <= self.declared


def _waves(objects: Sequence[KubeObject]) -> list[tuple[int, list[KubeObject]]]:
    grouped: dict[int, list[KubeObject]] = {}
    for obj in sorted(objects, key=lambda o: ObjectRef.of(o)):
        grouped.setdefault(wave(obj), []).append(obj)
    return sorted(grouped.items())


def _deployment(ref: ObjectRef) -> bool:
    return ref.kind == "Deployment"


@dataclass
class _Progress:
    restored: set[str]
    deleted: set[str]
    taken: dict[tuple[str, str, str], FieldConflict]


def restore(
    cluster: Cluster,
    snapshot: Snapshot,
    *,
    reason: str,
    declared: timedelta,
    clock: Clock,
    sleep: Sleep,
    poll: float = 1.0,
    keep: Callable[[], None] = lambda: None,
    reporter: Reporter = quiet,
    attempts: int = 3,
    extra: dict[str, str | None] | None = None,
    cancel: Cancel | None = None,
) -> RestoreReport:
    """Bring topology `snapshot.org_id` back to `snapshot` (see the module docstring)."""
    cancel = cancel or Cancel()

    def keep_restoring() -> None:
        keep()
        cancel.check(3)

    def keep_waiting() -> None:
        keep()
        cancel.check(2)

    org = snapshot.org_id
    started = clock()
    deadline = started + declared
    progress = _Progress(set(), set(), {})

    def again(attempt: int, exc: ClusterError) -> bool:
        """After a failed step: try again? An outage longer than the edge's retries is
        waited out while the declared time lasts (a half-restored topology is the worst
        end); another error gets `attempts` tries; a lost lock, none."""
        if isinstance(exc, LockLost) or clock() >= deadline:
            return False
        return attempt < attempts - 1 or isinstance(exc, (Unavailable, Timeout, Conflict))

    def pause(attempt: int) -> None:
        left = (deadline - clock()).total_seconds()
        sleep(max(0.0, min(poll * 2**attempt, 10.0, left)))

    error: str | None = None
    try:
        snapshot_model.check_restorable(snapshot)
    except snapshot_model.SnapshotError as exc:
        reporter(org, f"rollback refused: {exc}")
        return RestoreReport(
            snapshot.snapshot_id, started, clock(), declared, reason, complete=False, error=str(exc)
        )
    attempt = 0
    while True:
        try:
            if attempt:
                # an outage is waited out for as long as the declared time lasts:
                # a third request to stop must not wait with it
                cancel.check(3)
            _restore_once(cluster, snapshot, progress, keep_restoring, reporter)
            error = None
            break
        except Interrupted as exc:
            error = f"{exc} again, while rolling back: stopped half-way"
            reporter(org, f"rollback abandoned: {error}")
            break
        except ClusterError as exc:
            error = str(exc)
            if not again(attempt, exc):
                reporter(org, f"rollback step failed ({error}); giving up")
                break
            reporter(org, f"rollback step failed ({error}); trying again")
            pause(attempt)
            attempt += 1
    healthy, health = True, ""
    if error is None:
        restored_deployments = [
            ObjectRef.of(o).name
            for o in snapshot.objects
            if _deployment(ObjectRef.of(o)) and str(ObjectRef.of(o)) in progress.restored
        ]
        try:
            wait_healthy(
                cluster,
                org,
                restored_deployments,
                deadline=max(deadline, clock() + timedelta(seconds=poll)),
                budget_text=f"the declared rollback time {format_duration(declared)}",
                clock=clock,
                sleep=sleep,
                poll=poll,
                keep=keep_waiting,
            )
        except HealthFailed as exc:
            healthy, health = False, str(exc)
        except Interrupted as exc:
            healthy, health = False, f"not waited for: {exc} again"
        updates: dict[str, str | None] = {
            APPLIED_REVISION: snapshot.revision,
            APPLIED_RDM: snapshot.rdm_id,
            APPLIED_AT: snapshot.applied_at,
            APPLIED_SNAPSHOT: None,
            LAST_ROLLBACK: record.compact(
                {
                    "at": clock().isoformat(timespec="seconds"),
                    "snapshot": snapshot.snapshot_id,
                    "reason": reason[:500],
                    "seconds": int((clock() - started).total_seconds()),
                    "declaredSeconds": int(declared.total_seconds()),
                }
            ),
            **(extra or {}),
        }
        attempt = 0
        while True:
            try:
                record.write(cluster, org, updates)
                break
            except ClusterError as exc:
                if cancel.level >= 3 or not again(attempt, exc):
                    reporter(org, f"rollback done, but its record on the Namespace failed: {exc}")
                    break
                pause(attempt)
                attempt += 1
    finished = clock()
    return RestoreReport(
        snapshot_id=snapshot.snapshot_id,
        started=started,
        finished=finished,
        declared=declared,
        reason=reason,
        restored=tuple(sorted(progress.restored)),
        deleted=tuple(sorted(progress.deleted)),
        taken=tuple(progress.taken[k] for k in sorted(progress.taken)),
        healthy=healthy,
        health=health,
        complete=error is None,
        error=error,
    )


def _restore_once(
    cluster: Cluster,
    snapshot: Snapshot,
    progress: _Progress,
    keep: Callable[[], None],
    reporter: Reporter,
) -> None:
    org = snapshot.org_id
    live = live_objects(cluster, org)
    live_by_ref = index(live)
    for number, objects in _waves(snapshot.objects):
        keep()
        for obj in objects:
            body = for_apply(obj)
            ref = ObjectRef.of(body)
            current = live_by_ref.get(ref)
            if current is not None:
                changed, added = foreign_fields(current, body)
                grouped = group_added(added, body, current)
                for conflict in as_conflicts(ref, [*changed, *grouped]):
                    progress.taken[(conflict.object, conflict.field, conflict.manager)] = conflict
                removal = removal_patch(current, grouped)
                if removal:
                    cluster.patch((ref.api_version, ref.kind), ref.name, ref.namespace, removal)
            result = cluster.apply(body, force=True)
            if current is None or removal or comparable(result) != comparable(current):
                progress.restored.add(str(ref))
        reporter(org, f"rollback wave {number}: {len(objects)} objects applied")
    wanted = snapshot.refs()
    for ref in to_prune(org, live, wanted):
        keep()
        cluster.delete((ref.api_version, ref.kind), ref.name, ref.namespace)
        progress.deleted.add(str(ref))
    namespace_ref = ObjectRef("v1", "Namespace", None, org)
    if namespace_ref in live_by_ref and namespace_ref not in wanted:
        # the change created the Namespace: rdm lets go of its fields, never deletes it
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": org}})
        progress.deleted.add(f"{namespace_ref} (rdm's labels only; a Namespace is never deleted)")
    if progress.deleted:
        reporter(org, f"rollback removed {len(progress.deleted)} objects the change created")


@dataclass(frozen=True)
class RollbackRun:
    """`rdm rollback`: the snapshot taken of the state rolled back from, and the restore."""

    org_id: str
    before: Snapshot | None  # the state before the rollback, itself restorable
    report: RestoreReport


def rollback_topology(
    cluster: Cluster,
    org_id: str,
    *,
    snapshot_id: str | None = None,
    snapshot: Snapshot | None = None,
    identity: str,
    declared: timedelta,
    clock: Clock,
    sleep: Sleep,
    poll: float = 1.0,
    lease_seconds: int = DEFAULT_DURATION,
    keep_snapshots: int = DEFAULT_KEEP,
    reporter: Reporter = quiet,
    cancel: Cancel | None = None,
) -> RollbackRun:
    """Restore a snapshot (the newest by default, or `snapshot` read from a file) under
    the topology's lock, after snapshotting the state it replaces."""
    stored.ensure_system_namespace(cluster)
    lock = Lock(cluster, org_id, identity, clock, lease_seconds)
    lock.acquire()
    try:
        target = snapshot or stored.load(cluster, org_id, snapshot_id)
        if target.org_id != org_id:
            raise snapshot_model.SnapshotError(
                f"snapshot {target.snapshot_id} is of {target.org_id}, not {org_id}"
            )
        snapshot_model.check_restorable(target)
        reporter(org_id, f"rolling back to snapshot {target.snapshot_id} ({target.reason})")
        before = stored.take_and_store(
            cluster, org_id, clock(), f"before rolling back to {target.snapshot_id}"
        )
        reporter(org_id, f"snapshot {before.snapshot_id} of the current state taken")
        stored.retain(cluster, org_id, keep_snapshots)
        report = restore(
            cluster,
            target,
            reason=f"rdm rollback by {identity}",
            declared=declared,
            clock=clock,
            sleep=sleep,
            poll=poll,
            keep=lock.keep,
            reporter=reporter,
            cancel=cancel,
        )
    finally:
        lock.release()
    return RollbackRun(org_id, before, report)
