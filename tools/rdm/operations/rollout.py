"""The rollout: what the committee approved reaches the cluster, in the window, and is recorded.

`run` is the main job (`rdm rollout`, every 15 minutes through the window and
on every push to the default branch). At the instant the clock gives:

1. **Lock**: a Lease per shard (`rdm-rollout-<i>-of-<n>` in rdm-system), held
   for the whole run and renewed by a thread of its own (a run that dies frees
   it within the Lease's duration); a second run of the same shard finds it
   held and stops at once, doing nothing (`busy`). The applier also locks each
   topology.
2. **Candidates** (`decisions.due`): RDMs whose window contains the instant,
   plus emergencies merged in the last week; minus what the execution records
   say is done for this window and this merge (a refusal, or every target of
   this shard with a final outcome): a second run does nothing already
   recorded, a run cut short resumes with the targets it had not finished,
   and an RDM edited by a later merge is a new change, due in its window.
3. **Verdict re-check** (`Facts.verify`, the GitHub and git edges): the PR
   that merged each candidate and its verdict recomputed as of the merge. A
   candidate without consensus is refused -- recorded, whatever status it
   carried -- and never applied.
4. **Order** (`decisions.due.order`): priority, then merge order; `dependsOn`
   and shared targets keep revisions moving forward. Ordering is not enough:
   an RDM whose `dependsOn` has not executed in its current version -- not run
   yet, refused, failed, rolled back, deferred or held, earlier or in this run
   (`decisions.due.unmet`) -- is **held**: not applied, recorded as held (once
   for the same reasons, so a run every 15 minutes does not pile records up),
   and asked again by the next run.
5. For each, in order, at the clock's instant: the **gate**
   (`decisions.gate`, with conflicts and capacity from `decisions.conflicts` -- the rules
   `rdm validate` applies at the pull request -- and
   what the revision would carry, `decisions.revisions`: other RDMs' changes to the
   topology, and changes to the files every client is rendered from that the
   committee did not approve). Blocked: deferred
   with the reasons, nothing recorded (the next run asks again). Allowed: an
   emergency is announced first (Slack); then every target of this shard is
   rendered **as of the RDM's merge commit** and applied by the applier
   (`operations.applier.apply_topologies`: snapshot, waves, health, automatic
   rollback). If any target fails, the targets that were applied are brought
   back to their snapshots too, so an RDM ends whole or not at all within a
   shard; every rollback is announced.
6. **Record**: one `rdm.execution/v1` record per RDM and run, appended to the
   git note of its merge commit (`Ledger`); pushing the notes is the
   workflow's next step, with a write token this step never holds.

`dry_run` does all of it but the Lease, the apply and the records: the
applier's server-side dry run shows the diffs, or, without a cluster, the
rendered objects are listed. Outside failures of one RDM (GitHub, git, a
render) stop that RDM, not the run; the report says which.

This module imports no I/O library and reads no clock: the cluster (the
applier's `Cluster`), git and GitHub (`Facts`), the notes (`Ledger`), Slack
(`Notifier`), the clock and the sleep are passed in.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from rdm.decisions import calendar, conflicts, due, gate, revisions
from rdm.decisions.calendar import CalendarPolicy
from rdm.decisions.due import Merged
from rdm.decisions.standard import TopologyDiff
from rdm.i18n import N_, _, ngettext
from rdm.model.kube import APPLIED_REVISION, NAMESPACE, ClusterError, LockHeld, annotations_of
from rdm.model.problems import ExternalError, RdmError
from rdm.model.rdms import ChangeType, Rdm
from rdm.model.records import (
    Approver,
    ExecutionRecord,
    Outcome,
    Rollback,
    TopologyOutcome,
    TopologyRecord,
)
from rdm.operations import applier
from rdm.operations.applier import Outcome as ApplyOutcome
from rdm.operations.applier import TopologyPlan, TopologyResult
from rdm.operations.lock import Lock
from rdm.operations.ports import Clock, Cluster, Sleep
from rdm.operations.rollback import restore
from rdm.operations.snapshots import ensure_system_namespace

# ---------------------------------------------------------------- the ports


@dataclass(frozen=True)
class Verification:
    """The verdict re-check of one RDM: who merged it, and how the committee stood then."""

    committee: gate.Committee
    merge_commit: str  # the PR's merge commit (the note goes there)
    submitted_at: datetime | None = None
    approvals: tuple[Approver, ...] = ()
    # The first-parent commits that PR brought to the branch: its merge or squash
    # commit, or a rebase merge's commits. A change to a target that came with the
    # RDM's own file in any other commit was never in the PR's diff.
    own: tuple[str, ...] = ()


class Facts(Protocol):
    """What the rollout asks of git and GitHub (`rdm.edges`)."""

    def verify(self, merged: Merged) -> Verification:
        """The PR that merged `merged.merge_commit` and its verdict as of the merge."""
        ...

    def changes_between(
        self, org_id: str, baseline: str | None, merge_commit: str
    ) -> list[revisions.TopologyChange]:
        """First-parent commits after `baseline` (or from the start) and before
        `merge_commit` that changed topologies/<org_id>.yaml, oldest first."""
        ...

    def input_changes(
        self, org_id: str, baseline: str | None, merge_commit: str
    ) -> list[revisions.InputChange]:
        """First-parent commits after `baseline` (without one: after the commit that
        created topologies/<org_id>.yaml) up to `merge_commit` itself that changed a
        file every client is rendered from, oldest first, each with the verdict of
        the PR that merged it, recomputed as of the merge."""
        ...

    def is_ancestor(self, ancestor: str, descendant: str) -> bool: ...

    def on_line(self, sha: str) -> bool:
        """Is `sha` a commit of the default branch's first-parent line?"""
        ...

    def diffs(self, merged: Merged) -> Mapping[str, TopologyDiff]:
        """Each target topology before and after the RDM's merge (raw mappings), for
        what the RDM changes (`conflicts.plan`)."""
        ...

    def render(self, revision: str, org_ids: Sequence[str]) -> Mapping[str, Sequence[Any]]:
        """The rendered objects (anything with `.obj`) of each topology at `revision`;
        an `RdmError` when one cannot be rendered."""
        ...


class Ledger(Protocol):
    """The execution records, in git notes (`rdm.edges.notes`)."""

    def records(self) -> Sequence[ExecutionRecord]: ...

    def append(self, commit: str, record: ExecutionRecord) -> None: ...


class Notifier(Protocol):
    """Tells the team (Slack); `None` is passed when nobody is to be told."""

    def send(self, text: str) -> None: ...


# ---------------------------------------------------------------- settings and results


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count} does not exist")

    def holds(self, org_id: str) -> bool:
        return shard_of(org_id, self.count) == self.index

    @property
    def lease(self) -> str:
        return f"rdm-rollout-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(org_id: str, count: int) -> int:
    """The shard (1-based) of a topology: sha256 of its org id, modulo `count`.

    Stable across runs, machines and Python versions (no `hash()`), and
    independent of which other topologies exist, so a new client never moves
    an old one to another runner.
    """
    digest = hashlib.sha256(org_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Settings:
    identity: str  # who holds the locks, as another run reads it
    shard: Shard = Shard(1, 1)
    dry_run: bool = False
    concurrency: int = 8
    run_url: str | None = None
    simulated: datetime | None = None  # the --at instant, when the clock starts there
    applier: applier.Settings | None = None  # default: Settings(identity=identity)


class Kind(enum.StrEnum):
    EXECUTED = "executed"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"  # a rollback did not finish: a person must look
    REFUSED = "refused"  # the verdict re-check said no: recorded
    DEFERRED = "deferred"  # the gate said not now: not recorded
    HELD = "held"  # an RDM of its dependsOn has not executed: recorded, asked again
    DRY_RUN = "dry-run"
    ERROR = "error"  # an outside system failed for this RDM


@dataclass(frozen=True)
class RdmRun:
    """What one RDM came to in this run."""

    rdm: Rdm
    kind: Kind
    priority: str | None
    merge_commit: str
    reasons: tuple[str, ...] = ()
    gate: gate.Gate | None = None
    results: tuple[TopologyResult, ...] = ()
    record: ExecutionRecord | None = None
    diffs: tuple[Any, ...] = ()  # operations.diff.TopologyDiff of a dry run
    pr: int | None = None


@dataclass(frozen=True)
class Report:
    started: datetime
    finished: datetime
    shard: Shard
    dry_run: bool
    runs: tuple[RdmRun, ...]
    busy: str | None = None  # another run holds this shard's Lease: who
    remaining: tuple[str, ...] = ()  # due RDMs not finished when the run ended
    warnings: tuple[str, ...] = ()
    simulated: datetime | None = None
    # RDMs whose record could not be written to their note (the run went on; the
    # record is in this report): a person must look, so the job fails.
    unrecorded: tuple[str, ...] = ()

    @property
    def acted(self) -> bool:
        """Did this run change something or record something?"""
        return any(
            r.kind not in (Kind.DEFERRED, Kind.DRY_RUN)
            and not (r.kind is Kind.HELD and r.record is None)  # a hold already recorded
            for r in self.runs
        )


Event = Callable[[str, Mapping[str, Any]], None]  # (kind, fields): progress for the command


def _quiet(_kind: str, _fields: Mapping[str, Any]) -> None:
    pass


# ---------------------------------------------------------------- the run


@dataclass
class _Context:
    cluster: Cluster | None
    facts: Facts
    ledger: Ledger
    notifier: Notifier | None
    policy: CalendarPolicy
    settings: Settings
    clock: Clock
    sleep: Sleep
    event: Event
    warnings: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    baselines: dict[str, revisions.Baseline] = field(default_factory=dict)
    # org id -> the RDMs whose change is live on it (executed there, or applied in this run)
    settled: dict[str, set[str]] = field(default_factory=dict)
    # targets of the RDM being decided that are already at a newer revision
    already: dict[str, revisions.Baseline] = field(default_factory=dict)


def run(
    *,
    merged: Sequence[Merged],
    policy: CalendarPolicy,
    cluster: Cluster | None,
    facts: Facts,
    ledger: Ledger,
    settings: Settings,
    clock: Clock,
    sleep: Sleep,
    notifier: Notifier | None = None,
    event: Event = _quiet,
    warnings: Sequence[str] = (),
) -> Report:
    """The main job at the clock's instant (see the module docstring). `warnings`: what
    the caller found while loading (an RDM file that cannot be read is never applied)."""
    started = clock()
    context = _Context(cluster, facts, ledger, notifier, policy, settings, clock, sleep, event)
    context.warnings += warnings
    lock: Lock | None = None
    if not settings.dry_run:
        if cluster is None:
            raise RdmError("a rollout that applies needs a cluster")
        lock = _ShardLock(cluster, settings.shard.lease, settings.identity, clock)
        try:
            ensure_system_namespace(cluster)
            lock.acquire()
        except LockHeld as exc:
            event("busy", {"shard": str(settings.shard), "holder": exc.holder.holder})
            return Report(
                started,
                clock(),
                settings.shard,
                False,
                (),
                busy=str(exc),
                simulated=settings.simulated,
            )
    keeper = _Keeper(lock) if lock is not None else None
    try:
        runs, remaining = _run(context, merged, started, lock)
    finally:
        if keeper is not None:
            keeper.stop()
        if lock is not None and not lock.release():
            context.warnings.append(
                f"the Lease {settings.shard.lease} could not be released; it expires by itself"
            )
    report = Report(
        started,
        clock(),
        settings.shard,
        settings.dry_run,
        tuple(runs),
        remaining=tuple(remaining),
        warnings=tuple(context.warnings),
        simulated=settings.simulated,
        unrecorded=tuple(context.unrecorded),
    )
    if report.acted and not settings.dry_run:
        _tell(context, _summary_message(report, policy))
    return report


def _run(
    context: _Context, merged: Sequence[Merged], started: datetime, lock: Lock | None
) -> tuple[list[RdmRun], list[str]]:
    settings, policy = context.settings, context.policy
    records = list(context.ledger.records())
    context.settled = _settled(merged, records, context.cluster, context.facts)
    runs: list[RdmRun] = []
    verified: list[tuple[Merged, Verification]] = []
    for item in due.candidates(merged, started, policy):
        targets = [org for org in item.rdm.targets if settings.shard.holds(org)]
        state = due.progress(item, records, _follows(context.facts))
        if not targets or not state.remaining(targets):
            continue  # done (or not this shard's): a second run does nothing recorded
        try:
            verification = context.facts.verify(item)
        except ExternalError as exc:
            runs.append(_error(item, f"the verdict could not be re-checked: {exc}"))
            continue
        committee = verification.committee
        refusal = _refusal(item.rdm, committee)
        if refusal:
            runs.append(_refuse(context, item, verification, refusal))
            continue
        verified.append((item, verification))
    ordered, stuck = due.order([item for item, _ in verified])
    by_id = {item.rdm.id: verification for item, verification in verified}
    for item, why in stuck:
        runs.append(_deferred(item, (gate.BLOCKED + why,), by_id[item.rdm.id]))
    window_rdms = [item for item in merged if item.rdm.window is not None]
    follows = _follows(context.facts)
    for item in ordered:
        this_run = {r.rdm.id: _AS_DEPENDENCY[r.kind] for r in runs}
        unmet = due.unmet(item, merged, records, follows, this_run, _live(context, records))
        if unmet:
            runs.append(_hold(context, item, by_id[item.rdm.id], unmet, records))
            continue
        runs.append(_one(context, item, by_id[item.rdm.id], window_rdms, records))
    remaining = [r.rdm.id for r in runs if r.kind in (Kind.DEFERRED, Kind.ERROR, Kind.HELD)]
    return runs, remaining


def _settled(
    merged: Sequence[Merged],
    records: Sequence[ExecutionRecord],
    cluster: Cluster | None,
    facts: Facts,
) -> dict[str, set[str]]:
    """Per topology, the RDMs whose change the records say is live there.

    Only without a cluster (a dry run's preview, `rdm gate`): the notes are
    writable by anyone who can push to the repository, so a record proves
    nothing, and a forged one would let an RDM that never ran -- refused, or
    next week's -- ride along with another RDM on the same client. With a
    cluster, the Namespace's applied revision says what is live (every commit
    up to it is behind the baseline), and this run adds what it applies.
    """
    if cluster is not None:
        return {}
    live = (TopologyOutcome.APPLIED, TopologyOutcome.UNCHANGED)
    found: dict[str, set[str]] = {}
    for item in merged:
        for org, outcome in due.progress(item, records, _follows(facts)).finished.items():
            if outcome in live:
                found.setdefault(org, set()).add(item.rdm.id)
    return found


def _follows(facts: Facts) -> due.Follows:
    """Does `later` come at or after `earlier` on the default branch's line? A commit
    not on it (a record's, as anyone may write one) follows nothing."""

    def follows(earlier: str, later: str) -> bool:
        return facts.on_line(later) and facts.is_ancestor(earlier, later)

    return follows


def _refusal(rdm: Rdm, committee: gate.Committee) -> tuple[str, ...]:
    """The committee part of the gate, when it refuses: final, so recorded."""
    reasons = gate.committee_reasons(rdm, committee)  # the gate's own wording
    return tuple(reasons) if reasons and reasons[0].startswith(gate.BLOCKED) else ()


def _decide(
    context: _Context,
    item: Merged,
    verification: Verification,
    window_rdms: Sequence[Merged],
    records: Sequence[ExecutionRecord],
    targets: Sequence[str],
) -> gate.Gate | RdmRun:
    """The gate for `item` at the clock's instant, or the error that kept it from deciding.

    A target already at a revision newer than the merge commit holds the change
    already: it gets an `ok:` reason, and `context.already` names it, so that it
    is recorded unchanged rather than applied (which would take it back in time).
    """
    rdm, policy = item.rdm, context.policy
    merge_commit = verification.merge_commit
    now = context.clock()
    carried: list[str] = []
    live: list[str] = []
    context.already = {}
    try:
        for org in targets:
            baseline = _baseline(context, org, merge_commit, records)
            if baseline.newer and baseline.revision is not None:
                context.already[org] = baseline
                live.append(
                    f"{gate.OK}{org} holds the change already: it is at "
                    f"{baseline.revision[:12]} ({baseline.source}), which came after "
                    f"{merge_commit[:12]}; nothing is applied there"
                )
                continue
            between = context.facts.changes_between(org, baseline.revision, merge_commit)
            inputs = context.facts.input_changes(org, baseline.revision, merge_commit)
            carried += revisions.carried(
                rdm.id,
                org,
                merge_commit,
                baseline,
                between,
                context.settled.get(org, set()),
                own=(merge_commit, *verification.own),
                inputs=inputs,
            )
    except (ExternalError, ClusterError) as exc:
        return _error(item, f"what {merge_commit[:12]} carries could not be read: {exc}")
    same_window = [
        other for other in window_rdms if rdm.window is not None and other.rdm.window == rdm.window
    ]
    try:
        changes = [conflicts.plan(other.rdm, context.facts.diffs(other)) for other in same_window]
    except ExternalError as exc:
        return _error(item, f"what the RDMs of its window change could not be read: {exc}")
    found = conflicts.conflicts(changes, policy) if changes else []
    capacity = conflicts.fits_at(rdm, now, policy) if rdm.type is not ChangeType.EMERGENCY else None
    decision = gate.decide(
        rdm,
        at=now,
        policy=policy,
        committee=verification.committee,
        submitted_at=verification.submitted_at,
        conflicts=found,
        capacity=capacity,
        carried=list(dict.fromkeys(carried)),  # a shared file's commit, once for all targets
    )
    return replace(decision, reasons=(*decision.reasons, *live)) if live else decision


def check(
    item: Merged,
    verification: Verification,
    *,
    merged: Sequence[Merged],
    policy: CalendarPolicy,
    facts: Facts,
    ledger: Ledger,
    clock: Clock,
    cluster: Cluster | None = None,
) -> gate.Gate:
    """`rdm gate`: the rollout's gate for one RDM, without applying anything; an
    `ExternalError` when an outside system kept it from deciding."""
    context = _Context(
        cluster,
        facts,
        ledger,
        None,
        policy,
        Settings(identity="rdm gate"),
        clock,
        _no_sleep,
        _quiet,
    )
    records = list(ledger.records())
    context.settled = _settled(merged, records, context.cluster, facts)
    window_rdms = [m for m in merged if m.rdm.window is not None]
    follows = _follows(facts)
    state = due.progress(item, records, follows)
    targets = state.remaining(item.rdm.targets)
    decided = _decide(context, item, verification, window_rdms, records, targets)
    if isinstance(decided, RdmRun):
        raise ExternalError(decided.reasons[0])
    if targets:
        # Its dependsOn as the records stand now: a dependency due in the same run,
        # not run yet, holds it here, where the rollout would run that one first.
        unmet = due.unmet(item, merged, records, follows, {})
        if unmet:
            held = tuple(due.hold_reason(name, state) for name, state in unmet)
            return replace(decided, allowed=False, reasons=(*held, *decided.reasons))
        return decided
    # Nothing left to apply: the records say how it ended.
    ran = [r for r in records if due.same_run(r, item, follows)]
    last = max(ran, key=lambda r: r.started_at)
    when = calendar.format_instant(last.started_at.astimezone(policy.zone))
    done = (
        f"{gate.BLOCKED}{item.rdm.id} already ran for this window: {last.outcome} at {when}, "
        f"recorded on {last.merge_commit[:12]} (`rdm history {item.rdm.id}`)"
    )
    return replace(decided, allowed=False, reasons=(done, *decided.reasons))


def _no_sleep(_seconds: float) -> None:
    pass


def _one(
    context: _Context,
    item: Merged,
    verification: Verification,
    window_rdms: Sequence[Merged],
    records: Sequence[ExecutionRecord],
) -> RdmRun:
    rdm, settings = item.rdm, context.settings
    state = due.progress(item, records, _follows(context.facts))
    targets = [org for org in state.remaining(rdm.targets) if settings.shard.holds(org)]
    merge_commit = verification.merge_commit
    decided = _decide(context, item, verification, window_rdms, records, targets)
    if isinstance(decided, RdmRun):
        return decided
    decision = decided
    context.event(
        "gate",
        {"rdm": rdm.id, "allowed": decision.allowed, "reasons": list(decision.blocking)},
    )
    if not decision.allowed:
        return _deferred(item, decision.reasons, verification, decision)
    already = dict(context.already)
    targets = [org for org in targets if org not in already]
    if not targets:  # every target holds the change already
        if settings.dry_run:
            return _dry_run(context, item, verification, decision, [])
        return _finish(context, item, verification, decision, [], already)
    if rdm.type is ChangeType.EMERGENCY and not settings.dry_run:
        _tell(context, _emergency_message(rdm, verification, targets))
    try:
        rendered = context.facts.render(merge_commit, targets)
    except (RdmError, ExternalError) as exc:
        return _error(item, f"the topologies at {merge_commit[:12]} cannot be rendered: {exc}")
    plans = [
        TopologyPlan.from_manifests(
            org,
            rendered[org],
            revision=merge_commit,
            rdm_id=rdm.id,
            budget=rdm.estimated_duration,
            rollback_budget=rdm.rollback_duration,
            dry_run=settings.dry_run,
        )
        for org in targets
    ]
    if settings.dry_run:
        return _dry_run(context, item, verification, decision, plans)
    assert context.cluster is not None
    context.event("apply", {"rdm": rdm.id, "revision": merge_commit, "targets": targets})
    results = applier.apply_topologies(
        context.cluster,
        plans,
        settings=settings.applier or applier.Settings(identity=settings.identity),
        concurrency=settings.concurrency,
        clock=context.clock,
        sleep=context.sleep,
        reporter=lambda org, message: context.event(
            "progress", {"rdm": rdm.id, "org": org, "message": message}
        ),
    )
    return _finish(context, item, verification, decision, list(results), already)


def _baseline(
    context: _Context, org: str, merge_commit: str, records: Sequence[ExecutionRecord]
) -> revisions.Baseline:
    """The revision `org` is at: the Namespace's record; without a cluster (a preview), the
    execution records."""
    known = context.baselines.get(org)
    if known is None:
        known = _read_baseline(context, org, records)
        context.baselines[org] = known
    if known.revision is None or known.revision == merge_commit:
        return replace(known, newer=False)
    newer = context.facts.is_ancestor(merge_commit, known.revision)
    return replace(known, newer=newer)


def _read_baseline(
    context: _Context, org: str, records: Sequence[ExecutionRecord]
) -> revisions.Baseline:
    facts = context.facts
    if context.cluster is not None:
        # The cluster alone says where a topology is: a record (a note anyone who can
        # push may write) naming a later revision would hide the commits before it.
        namespace = context.cluster.get(NAMESPACE, org)
        revision = annotations_of(namespace).get(APPLIED_REVISION) if namespace else None
        if revision and facts.on_line(revision):
            return revisions.Baseline(revision, source="the Namespace")
        return revisions.Baseline(None)
    applied = [
        (record.started_at, record.revision)
        for record in records
        for topology in record.topologies
        if topology.org_id == org
        and topology.outcome in (TopologyOutcome.APPLIED, TopologyOutcome.UNCHANGED)
        and facts.on_line(record.revision)
    ]
    if applied:
        return revisions.Baseline(max(applied)[1], source="the records")
    return revisions.Baseline(None)


# ---------------------------------------------------------------- outcomes


def _error(item: Merged, reason: str) -> RdmRun:
    return RdmRun(item.rdm, Kind.ERROR, item.priority, item.merge_commit, (reason,))


def _deferred(
    item: Merged,
    reasons: Sequence[str],
    verification: Verification,
    decision: gate.Gate | None = None,
) -> RdmRun:
    return RdmRun(
        item.rdm,
        Kind.DEFERRED,
        item.priority,
        verification.merge_commit,
        tuple(reasons),
        decision,
        pr=verification.committee.pr,
    )


def _record(
    context: _Context,
    item: Merged,
    verification: Verification,
    outcome: Outcome,
    started: datetime,
    topologies: Sequence[TopologyRecord],
    reasons: Sequence[str],
) -> ExecutionRecord:
    settings = context.settings
    extra: dict[str, Any] = {}
    if settings.shard.count > 1:
        extra["shard"] = str(settings.shard)
    if settings.simulated is not None:
        # The run's clock started at --at: say so, so nobody mistakes it for a real night.
        extra["simulatedAt"] = settings.simulated.isoformat()
    rdm = item.rdm
    return ExecutionRecord(
        rdm_id=rdm.id,
        outcome=outcome,
        merge_commit=verification.merge_commit,
        revision=verification.merge_commit,
        started_at=started,
        finished_at=context.clock(),
        estimated_duration=rdm.estimated_duration,
        rollback_declared=rdm.rollback_duration,
        pr=verification.committee.pr,
        window=None if rdm.type is ChangeType.EMERGENCY else rdm.window,
        change_type=str(rdm.type),
        priority=item.priority,
        approvers=verification.approvals,
        topologies=tuple(topologies),
        reasons=tuple(reasons),
        run_url=settings.run_url,
        extra=extra,
    )


def _keep(context: _Context, commit: str, record: ExecutionRecord) -> None:
    """Append `record` to the note of `commit`; when that fails, say so and go on.

    The note can be made unreadable by anyone who can push refs/notes/rdm, and it
    is never overwritten (`edges.notes`): were that failure to stop the run, the
    RDM just applied would go unrecorded and every RDM after it would never run,
    window after window. The record stays in the run's report (and --out).
    """
    try:
        context.ledger.append(commit, record)
    except ExternalError as exc:
        message = f"{record.rdm_id}: its record was not written ({exc}); it is in this report"
        context.warnings.append(message)
        context.unrecorded.append(record.rdm_id)
        context.event("warning", {"message": message})


def _refuse(
    context: _Context, item: Merged, verification: Verification, reasons: Sequence[str]
) -> RdmRun:
    started = context.clock()
    record = _record(context, item, verification, Outcome.REFUSED, started, (), reasons)
    if not context.settings.dry_run:
        _keep(context, verification.merge_commit, record)
    context.event("refused", {"rdm": item.rdm.id, "reasons": list(reasons)})
    return RdmRun(
        item.rdm,
        Kind.REFUSED,
        item.priority,
        verification.merge_commit,
        tuple(reasons),
        record=None if context.settings.dry_run else record,
        pr=verification.committee.pr,
    )


def _live(context: _Context, records: Sequence[ExecutionRecord]) -> Callable[[Merged], bool] | None:
    """With a cluster: is a dependency the records call executed really there -- every
    target's Namespace at its merge commit or after it? A forged record (a note
    anyone who can push may write) must not release the RDMs that depend on it.
    Without a cluster (a dry run's preview) the records are taken at their word."""
    if context.cluster is None:
        return None

    def live(dependency: Merged) -> bool:
        try:
            for org in dependency.rdm.targets:
                known = context.baselines.get(org)
                if known is None:
                    known = _read_baseline(context, org, records)
                    context.baselines[org] = known
                revision = known.revision
                if revision is None or not (
                    revision == dependency.merge_commit
                    or context.facts.is_ancestor(dependency.merge_commit, revision)
                ):
                    return False
        except (ExternalError, ClusterError) as exc:
            context.warnings.append(f"{dependency.rdm.id}: its targets could not be read: {exc}")
            return False  # not shown to be there: the RDMs naming it wait
        return True

    return live


# What an RDM taken up by this run is to the RDMs that name it in `dependsOn`: a
# dry run's "would run" lets the preview go on as the real run would.
_AS_DEPENDENCY = {
    Kind.EXECUTED: due.Dependency.MET,
    Kind.DRY_RUN: due.Dependency.MET,
    Kind.ROLLED_BACK: due.Dependency.ROLLED_BACK,
    Kind.FAILED: due.Dependency.FAILED,
    Kind.REFUSED: due.Dependency.REFUSED,
    Kind.DEFERRED: due.Dependency.DEFERRED,
    Kind.HELD: due.Dependency.HELD,
    Kind.ERROR: due.Dependency.NOT_RUN,
}


def _hold(
    context: _Context,
    item: Merged,
    verification: Verification,
    unmet: Sequence[tuple[str, due.Dependency]],
    records: Sequence[ExecutionRecord],
) -> RdmRun:
    """Not applied, because of its `dependsOn`: recorded like a refusal (so `rdm history`
    and `rdm list` show it), but not final -- `due.progress` ignores it. The same hold
    of the same version is recorded once: the schedule runs every 15 minutes."""
    reasons = tuple(due.hold_reason(name, state) for name, state in unmet)
    context.event("held", {"rdm": item.rdm.id, "reasons": list(reasons)})
    ran = [r for r in records if due.same_run(r, item, _follows(context.facts))]
    last = max(ran, key=lambda r: r.started_at, default=None)
    record: ExecutionRecord | None = None
    repeated = last is not None and last.outcome is Outcome.HELD and last.reasons == reasons
    if not context.settings.dry_run and not repeated:
        record = _record(context, item, verification, Outcome.HELD, context.clock(), (), reasons)
        _keep(context, verification.merge_commit, record)
    return RdmRun(
        item.rdm,
        Kind.HELD,
        item.priority,
        verification.merge_commit,
        reasons,
        record=record,
        pr=verification.committee.pr,
    )


def _dry_run(
    context: _Context,
    item: Merged,
    verification: Verification,
    decision: gate.Gate,
    plans: Sequence[TopologyPlan],
) -> RdmRun:
    diffs: list[Any] = []
    reasons = list(decision.reasons)
    if context.cluster is None:
        reasons.append("no cluster to compare with: the rendered objects are counted, not diffed")
    else:
        from rdm.operations.diff import preview  # the diffs are the dry run's whole job

        for plan in plans:
            try:
                diffs.append(preview(context.cluster, plan.org_id, plan.objects))
            except ClusterError as exc:
                reasons.append(f"{plan.org_id}: the server's dry run failed: {exc}")
    for plan in plans:  # later RDMs of this run see these revisions as applied
        context.baselines[plan.org_id] = revisions.Baseline(plan.revision, source="this run")
        context.settled.setdefault(plan.org_id, set()).add(item.rdm.id)
    return RdmRun(
        item.rdm,
        Kind.DRY_RUN,
        item.priority,
        verification.merge_commit,
        tuple(reasons),
        decision,
        diffs=tuple(diffs),
        pr=verification.committee.pr,
    )


_OK = (ApplyOutcome.APPLIED, ApplyOutcome.UNCHANGED)


def _finish(
    context: _Context,
    item: Merged,
    verification: Verification,
    decision: gate.Gate,
    results: list[TopologyResult],
    already: Mapping[str, revisions.Baseline] | None = None,
) -> RdmRun:
    rdm = item.rdm
    started = min((r.started for r in results), default=context.clock())
    failed = [r for r in results if r.outcome not in _OK]
    changed_anything = any(
        r.outcome in (ApplyOutcome.APPLIED, ApplyOutcome.ROLLED_BACK, ApplyOutcome.ROLLBACK_FAILED)
        for r in results
    )
    if failed and not changed_anything:
        # Refused before any change (the lock of a topology, another manager's
        # fields, a snapshot that failed): nothing to record; the next run asks again.
        reasons = tuple(f"{gate.BLOCKED}{r.org_id}: {r.failure}" for r in failed)
        return RdmRun(
            rdm,
            Kind.DEFERRED,
            item.priority,
            verification.merge_commit,
            reasons,
            decision,
            tuple(results),
            pr=verification.committee.pr,
        )
    if failed:
        results = _undo_the_others(context, rdm, results, failed)
    topologies = [_topology_record(r) for r in results]
    for org, baseline in (already or {}).items():
        topologies.append(
            TopologyRecord(
                org,
                TopologyOutcome.UNCHANGED,
                started,
                started,
                error=f"already at {baseline.revision}, after this RDM's merge commit; not applied",
            )
        )
        context.settled.setdefault(org, set()).add(rdm.id)
    if any(r.outcome is ApplyOutcome.ROLLBACK_FAILED for r in results):
        outcome, kind = Outcome.FAILED, Kind.FAILED
    elif failed:
        outcome, kind = Outcome.ROLLED_BACK, Kind.ROLLED_BACK
    else:
        outcome, kind = Outcome.EXECUTED, Kind.EXECUTED
    said = [*decision.reasons, *(f"{r.org_id}: {r.failure}" for r in failed if r.failure)]
    record = _record(context, item, verification, outcome, started, topologies, said)
    _keep(context, verification.merge_commit, record)
    for result in results:
        if result.outcome in _OK:
            context.baselines[result.org_id] = revisions.Baseline(
                result.revision, source="this run"
            )
            context.settled.setdefault(result.org_id, set()).add(rdm.id)
        else:
            context.baselines.pop(result.org_id, None)  # read again from the Namespace
    if kind is not Kind.EXECUTED:
        _tell(context, _rollback_message(record, rdm))
    context.event("recorded", {"rdm": rdm.id, "outcome": str(outcome)})
    return RdmRun(
        rdm,
        kind,
        item.priority,
        verification.merge_commit,
        tuple(said),
        decision,
        tuple(results),
        record,
        pr=verification.committee.pr,
    )


def _undo_the_others(
    context: _Context, rdm: Rdm, results: list[TopologyResult], failed: list[TopologyResult]
) -> list[TopologyResult]:
    """Bring the targets this RDM applied back to their snapshots: all or nothing."""
    assert context.cluster is not None
    cause = ", ".join(r.org_id for r in failed)
    undone: list[TopologyResult] = []
    for result in results:
        if result.outcome is not ApplyOutcome.APPLIED or result.snapshot is None:
            undone.append(result)
            continue
        reason = f"{rdm.id} failed on {cause}: its other targets go back too"
        context.event("progress", {"rdm": rdm.id, "org": result.org_id, "message": reason})
        lock = Lock(context.cluster, result.org_id, context.settings.identity, context.clock)
        try:
            lock.acquire()
            try:
                report = restore(
                    context.cluster,
                    result.snapshot,
                    reason=reason,
                    declared=rdm.rollback_duration,
                    clock=context.clock,
                    sleep=context.sleep,
                    keep=lock.keep,
                )
            finally:
                lock.release()
        except ClusterError as exc:
            undone.append(
                replace(result, outcome=ApplyOutcome.ROLLBACK_FAILED, failure=f"{reason}: {exc}")
            )
            continue
        outcome = ApplyOutcome.ROLLED_BACK if report.complete else ApplyOutcome.ROLLBACK_FAILED
        undone.append(replace(result, outcome=outcome, failure=reason, rollback=report))
    return undone


def _topology_record(result: TopologyResult) -> TopologyRecord:
    outcome = {
        ApplyOutcome.APPLIED: TopologyOutcome.APPLIED,
        ApplyOutcome.UNCHANGED: TopologyOutcome.UNCHANGED,
        ApplyOutcome.ROLLED_BACK: TopologyOutcome.ROLLED_BACK,
        ApplyOutcome.ROLLBACK_FAILED: TopologyOutcome.ROLLBACK_FAILED,
    }.get(result.outcome, TopologyOutcome.SKIPPED)
    rollback = None
    if result.rollback is not None:
        rollback = Rollback(
            result.rollback.started,
            result.rollback.finished,
            result.rollback.declared,
            result.rollback.reason,
        )
    return TopologyRecord(
        result.org_id,
        outcome,
        result.started,
        result.finished,
        result.snapshot_id,
        result.failure,
        rollback,
    )


# ---------------------------------------------------------------- telling people


def _tell(context: _Context, text: str) -> None:
    if context.notifier is None:
        return
    try:
        context.notifier.send(text)
    except ExternalError as exc:
        context.warnings.append(f"Slack was not told: {exc}")
        context.event("warning", {"message": f"Slack was not told: {exc}"})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _emergency_message(rdm: Rdm, verification: Verification, targets: Sequence[str]) -> str:
    pr = verification.committee.pr
    incident = f" ({_escape(rdm.incident)})" if rdm.incident else ""
    return ":rotating_light: " + _(
        "Emergency *{rdm}*{incident} starts now on {targets}: {title}. Approved by the CME "
        "in PR #{pr}; rollback plan ({span}): {plan}"
    ).format(
        rdm=rdm.id,
        incident=incident,
        targets=_escape(", ".join(targets)),
        title=_escape(rdm.title),
        pr=pr,
        span=calendar.format_span(rdm.rollback_duration),
        plan=_escape(rdm.rollback_plan.strip()),
    )


def _rollback_message(record: ExecutionRecord, rdm: Rdm) -> str:
    headline = (
        _("*{rdm}* FAILED: {title}")
        if record.outcome is Outcome.FAILED
        else _("*{rdm}* rolled back: {title}")
    )
    lines = [":warning: " + headline.format(rdm=rdm.id, title=_escape(rdm.title))]
    for topology in record.topologies:
        if topology.rollback is not None:
            rollback = topology.rollback
            line = (
                _(
                    "• {org}: back to snapshot {snapshot} in {seconds} s (within the declared "
                    "{declared}): {reason}"
                )
                if rollback.within_declared
                else _(
                    "• {org}: back to snapshot {snapshot} in {seconds} s (OVER the declared "
                    "{declared}): {reason}"
                )
            )
            lines.append(
                line.format(
                    org=_escape(topology.org_id),
                    snapshot=topology.snapshot_id,
                    seconds=int(rollback.duration.total_seconds()),
                    declared=calendar.format_span(rollback.declared),
                    reason=_escape(rollback.reason[:300]),
                )
            )
        elif topology.outcome is TopologyOutcome.ROLLBACK_FAILED:
            lines.append(
                _("• {org}: ROLLBACK FAILED, a person must look: {error}").format(
                    org=_escape(topology.org_id), error=_escape((topology.error or "")[:300])
                )
            )
    return "\n".join(lines)


def _count(kind: Kind, n: int) -> str:
    """`n` RDMs that came to `kind`, for Slack (each form spelled out for the catalog)."""
    if kind is Kind.EXECUTED:
        text = ngettext("{n} executed", "{n} executed", n)
    elif kind is Kind.ROLLED_BACK:
        text = ngettext("{n} rolled back", "{n} rolled back", n)
    elif kind is Kind.FAILED:
        text = ngettext(
            "{n} FAILED (a rollback did not finish)", "{n} FAILED (a rollback did not finish)", n
        )
    elif kind is Kind.REFUSED:
        text = ngettext("{n} refused", "{n} refused", n)
    elif kind is Kind.DEFERRED:
        text = ngettext("{n} deferred", "{n} deferred", n)
    elif kind is Kind.HELD:
        text = ngettext(
            "{n} held (a dependsOn has not executed)", "{n} held (a dependsOn has not executed)", n
        )
    elif kind is Kind.DRY_RUN:
        text = ngettext("{n} dry run", "{n} dry runs", n)
    else:
        text = ngettext(
            "{n} not run (an outside system failed)", "{n} not run (an outside system failed)", n
        )
    return text.format(n=n)


# One RDM's outcome on its bullet line.
_WORDS = {
    Kind.EXECUTED: N_("executed"),
    Kind.ROLLED_BACK: N_("rolled back"),
    Kind.FAILED: N_("FAILED"),
    Kind.REFUSED: N_("refused"),
    Kind.DEFERRED: N_("deferred"),
    Kind.HELD: N_("held"),
    Kind.DRY_RUN: N_("dry run"),
    Kind.ERROR: N_("not run"),
}


def _summary_message(report: Report, policy: CalendarPolicy) -> str:
    counts: dict[Kind, int] = {}
    for item in report.runs:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    # In the order of `Kind` (done, then what needs a look), the same in every language.
    told = ", ".join(_count(kind, counts[kind]) for kind in Kind if kind in counts)
    at = calendar.format_instant(report.started.astimezone(policy.zone))
    done = (
        _("nothing else is due")
        if not report.remaining
        else _("still waiting: {rdms}").format(rdms=", ".join(report.remaining))
    )
    lines = [
        ":white_check_mark: "
        + _("rdm rollout at {at} (shard {shard}): {counts}; {rest}").format(
            at=at, shard=report.shard, counts=told, rest=done
        )
    ]
    for item in report.runs:
        lines.append(f"• {item.rdm.id} {_(_WORDS[item.kind])}: {_escape(item.rdm.title)}")
    return "\n".join(lines)


class _Keeper:
    """Renews the shard's Lease from a thread of its own while the run goes on.

    The applier's health waits can last an RDM's whole implementation time and
    renew only the topologies' Leases; the shard's is renewed here, every few
    seconds (`Lock.keep` writes only once a third of its duration has passed),
    so that a run that dies frees its shard within the Lease's duration.
    """

    INTERVAL = 5.0  # seconds between checks

    def __init__(self, lock: Lock) -> None:
        self.lock = lock
        self.stopped = threading.Event()
        self.guard = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name="rdm-shard-lease", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.wait(self.INTERVAL):
            with self.guard:
                try:
                    self.lock.keep()
                except ClusterError:
                    return  # lost (taken over): the topologies' own Leases still guard them

    def stop(self) -> None:
        self.stopped.set()
        with self.guard:
            pass
        self.thread.join()


class _ShardLock(Lock):
    """The applier's Lease, named for a rollout shard instead of a topology."""

    def __init__(self, cluster: Cluster, name: str, identity: str, clock: Clock) -> None:
        super().__init__(cluster, name, identity, clock)
        self._lease_name = name

    @property
    def name(self) -> str:
        return self._lease_name

    def _body(self, now: datetime, acquired: datetime, transitions: int) -> dict[str, Any]:
        body = super()._body(now, acquired, transitions)
        body["metadata"]["labels"] = {
            "app.kubernetes.io/part-of": "rdm",
            "rdm/rollout-shard": self._lease_name.removeprefix("rdm-rollout-"),
        }
        return body
