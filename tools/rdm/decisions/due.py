"""Which RDMs the rollout takes up at an instant, in which order, and what is already done.

- **Candidates**: RDMs on the default branch whose window occurrence contains
  the instant (normal and standard), plus emergencies merged in the last
  `EMERGENCY_HORIZON` (an emergency that did not run within a week is no
  longer applied by the schedule: `rdm apply` remains for a person). Whether a
  candidate may really run now (freeze, verdict, capacity...) is the gate's
  question, asked for each in turn. `first_run` joins the two into the first
  instant an RDM may run, which `rdm validate` compares along `dependsOn`
  (`rdm-depends-on-later`), so that the pull request and the rollout agree.
- **Done**: per RDM, window *and merge*, from the execution records. A
  record counts for the RDM as it now stands only when it was made at the
  commit that last changed the RDM's file (or, for a rebase merge, at a later
  commit of the same PR: the record's merge commit comes after that change).
  An RDM edited by a later merge, in the same window, is a new change: the
  committee approved something else, the new version has not run, and the
  records of the old one say nothing of it (the rollout re-checks the new
  merge's verdict, as for any merge). A refusal is final for its merge (the
  verdict re-check is computed as of the merge, so it cannot change); an
  executed, rolled-back or failed run is final for every topology it names.
  A topology that a record names as skipped, or names not at all (another
  shard's, or a run cut short), is still to do: that is how an interrupted
  run resumes.
- **Order**: by priority (P1 first, from policy/priorities.yaml), then by the
  order of the merges, under two constraints that win over priority: an RDM
  runs after the due RDMs it names in `dependsOn`, and two due RDMs with a
  target in common run in the order of their merges (the later one's revision
  holds the earlier one's change; the other way round would take it back).
  RDMs the constraints cannot order (a `dependsOn` against the merge order)
  are set apart with the reason.
- **Dependencies met** (`unmet`): ordering alone lets an RDM run after a
  dependency that was refused, failed, was rolled back or deferred, or is not
  due in this run at all. An RDM runs only when every RDM in its `dependsOn`
  has executed in its current version -- the records matched as for
  **Done** (`progress`), on every target -- or executed earlier in the same
  run; otherwise it is held (not applied, not failed) and the next run asks
  again. A `dependsOn` naming no RDM of the default branch is never met.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rdm.decisions import calendar
from rdm.decisions.calendar import CalendarPolicy, Occurrence
from rdm.decisions.gate import BLOCKED
from rdm.i18n import N_, _
from rdm.model.rdms import ChangeType, Rdm
from rdm.model.records import ExecutionRecord, Outcome, TopologyOutcome

EMERGENCY_HORIZON = timedelta(days=7)
# Topology outcomes that end the topology's part of an RDM: it is not applied again.
_FINAL = {
    TopologyOutcome.APPLIED,
    TopologyOutcome.UNCHANGED,
    TopologyOutcome.ROLLED_BACK,
    TopologyOutcome.ROLLBACK_FAILED,
}


@dataclass(frozen=True)
class Merged:
    """An RDM of the default branch and the commit that merged it (its last change there)."""

    rdm: Rdm
    merge_commit: str
    merged_at: datetime
    position: int  # on the first-parent line, 0 = oldest: the order of merges
    priority: str | None = None  # P1..P4 from the policy
    depends_on: tuple[str, ...] = ()


def candidates(merged: Sequence[Merged], at: datetime, policy: CalendarPolicy) -> list[Merged]:
    """RDMs whose window contains `at`, and emergencies merged in the last week; only
    what was merged by `at` (a replay with --at does not see later merges)."""
    found: list[Merged] = []
    for item in merged:
        rdm = item.rdm
        if calendar.elapsed(item.merged_at, at) < timedelta(0):
            continue
        if rdm.type is ChangeType.EMERGENCY:
            age = calendar.elapsed(item.merged_at, at)
            if timedelta(0) <= age <= EMERGENCY_HORIZON:
                found.append(item)
            continue
        window = occurrence(rdm, policy)
        if window is not None and window.contains(at):
            found.append(item)
    return found


def occurrence(rdm: Rdm, policy: CalendarPolicy) -> Occurrence | None:
    """The window occurrence a normal or standard RDM runs in (a moved window by either
    of its dates); None for an emergency, or a window the calendar does not hold."""
    if rdm.type is ChangeType.EMERGENCY or rdm.window is None:
        return None
    return calendar.window_for_date(policy, rdm.window)


def first_run(
    rdm: Rdm, policy: CalendarPolicy, merged_at: datetime | None = None
) -> datetime | None:
    """The first instant (UTC) the rollout may apply `rdm`; None when it never does.

    What `candidates` and the gate say together: a normal or standard RDM runs in the
    open part (outside freezes) of its window occurrence, from its merge when that
    comes inside it, never when it comes after; an emergency runs once merged and once
    its clients are told (`communication.notifiedAt`: the gate holds it until then),
    within `EMERGENCY_HORIZON` of its merge.

    `merged_at` None means "merged long before": for an emergency, its notice is
    then only the earliest it can have run (None without one). `rdm validate` asks
    this, from the repository alone, of RDMs whose merge it does not know.
    """
    merged = merged_at.astimezone(UTC) if merged_at is not None else None
    if rdm.type is ChangeType.EMERGENCY:
        notice = rdm.communication
        if notice is None or notice.notified is not True:
            return None
        told = notice.notified_instant
        if notice.notified_at is not None and told is None:
            return None  # a notice the gate cannot read holds the emergency
        known = [t.astimezone(UTC) for t in (merged, told) if t is not None]
        if not known:
            return None
        first = max(known)
        if merged is not None and first - merged > EMERGENCY_HORIZON:
            return None
        return first
    window = occurrence(rdm, policy)
    if window is None:
        return None
    for period in calendar.open_periods(window, policy.frozen):
        start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
        if merged is None or merged < end:
            return start if merged is None else max(start, merged)
    return None


# (earlier, later): is `later` the commit `earlier` or one after it on the default
# branch's first-parent line? The rollout answers from git; `follows_along` answers
# from the line itself.
Follows = Callable[[str, str], bool]


def follows_along(line: Sequence[str]) -> Follows:
    """`Follows` on a first-parent line given newest first (as `git log` lists it): a
    commit not on the line (a record's, as anyone may write one) follows nothing."""
    position = {sha: len(line) - index for index, sha in enumerate(line)}  # 1 = oldest

    def follows(earlier: str, later: str) -> bool:
        low, high = position.get(earlier), position.get(later)
        return low is not None and high is not None and low <= high

    return follows


def made_at(record: ExecutionRecord, change: str, follows: Follows) -> bool:
    """Was `record` made at `change` -- the commit that changed the RDM's file -- or at
    a commit after it (a rebase merge records on its last commit)?"""
    return record.merge_commit == change or follows(change, record.merge_commit)


def of_version(record: ExecutionRecord, rdm: Rdm, change: str, follows: Follows) -> bool:
    """Is `record` a run of `rdm` as the commit `change`, the last to change its file,
    left it -- for its current window (or, for an emergency, at all)?

    The record's merge commit must be that commit, or follow it (`made_at`): a
    record made at an earlier merge is of a version the file no longer holds.
    `rdm list` asks it too, so that the lifecycle and the rollout agree on
    what has run.
    """
    if record.rdm_id != rdm.id or record.window != _window(rdm):
        return False
    return made_at(record, change, follows)


def same_run(record: ExecutionRecord, item: Merged, follows: Follows) -> bool:
    """Is `record` a run of `item` -- the RDM as its last merge left it (`of_version`)?"""
    return of_version(record, item.rdm, item.merge_commit, follows)


def _window(rdm: Rdm) -> date | None:
    return None if rdm.type is ChangeType.EMERGENCY else rdm.window


@dataclass(frozen=True)
class Progress:
    """What the records say of one RDM in its window."""

    refused: ExecutionRecord | None  # a final refusal
    finished: Mapping[str, TopologyOutcome]  # org id -> final outcome

    def remaining(self, targets: Sequence[str]) -> tuple[str, ...]:
        if self.refused is not None:
            return ()
        return tuple(org for org in targets if org not in self.finished)

    def executed(self, targets: Sequence[str]) -> bool:
        """Is the RDM's change live on every target (applied or already there)?"""
        return self.refused is None and all(
            self.finished.get(org) in (TopologyOutcome.APPLIED, TopologyOutcome.UNCHANGED)
            for org in targets
        )


def progress(item: Merged, records: Sequence[ExecutionRecord], follows: Follows) -> Progress:
    """What the records say of `item` as its last merge left it (see `same_run`)."""
    refused: ExecutionRecord | None = None
    finished: dict[str, TopologyOutcome] = {}
    for record in records:
        if not same_run(record, item, follows):
            continue
        if record.outcome is Outcome.REFUSED:
            refused = refused or record
            continue
        for topology in record.topologies:
            if topology.outcome in _FINAL:
                finished[topology.org_id] = topology.outcome
    return Progress(refused, finished)


_RANK = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}


def order(due: Sequence[Merged]) -> tuple[list[Merged], list[tuple[Merged, str]]]:
    """Due RDMs in the order they run, and those that cannot be ordered, with why."""
    by_id = {item.rdm.id: item for item in due}
    before: dict[str, set[str]] = {item.rdm.id: set() for item in due}
    for item in due:
        for dependency in item.depends_on:
            if dependency in by_id and dependency != item.rdm.id:
                before[item.rdm.id].add(dependency)
    for first in due:
        for second in due:
            shared = set(first.rdm.targets) & set(second.rdm.targets)
            if shared and first.position < second.position:
                before[second.rdm.id].add(first.rdm.id)

    def key(item: Merged) -> tuple[int, int, str]:
        return (_RANK.get(item.priority or "", 9), item.position, item.rdm.id)

    waiting = {rdm_id: set(deps) for rdm_id, deps in before.items()}
    ready = [key(by_id[r]) for r, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Merged] = []
    while ready:
        *_, rdm_id = heapq.heappop(ready)
        ordered.append(by_id[rdm_id])
        del waiting[rdm_id]
        for other, deps in waiting.items():
            if rdm_id in deps:
                deps.discard(rdm_id)
                if not deps:
                    heapq.heappush(ready, key(by_id[other]))
    stuck = [
        (
            by_id[rdm_id],
            f"{rdm_id} cannot be ordered: it must run after {', '.join(sorted(deps))} "
            "(its dependsOn, or an earlier merge on a shared target), and the order of the "
            "merges says the opposite; fix dependsOn or the window",
        )
        for rdm_id, deps in sorted(waiting.items())
    ]
    return ordered, stuck


class Dependency(enum.StrEnum):
    """Where an RDM named in `dependsOn` stands, for the RDM that names it."""

    MET = "met"  # executed in its current version, on every target
    NOT_RUN = "not-run"  # no run of its current version (or only part of one)
    REFUSED = "refused"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    DEFERRED = "deferred"  # in this run: the gate said not now
    HELD = "held"  # itself waiting for one of its own dependencies
    MISSING = "missing"  # no RDM of that id on the default branch


# What a record of the dependency's current version says, when it did not execute.
_ENDED = {
    Outcome.REFUSED: Dependency.REFUSED,
    Outcome.FAILED: Dependency.FAILED,
    Outcome.ROLLED_BACK: Dependency.ROLLED_BACK,
    Outcome.HELD: Dependency.HELD,
}


def unmet(
    item: Merged,
    merged: Sequence[Merged],
    records: Sequence[ExecutionRecord],
    follows: Follows,
    this_run: Mapping[str, Dependency],
    live: Callable[[Merged], bool] | None = None,
) -> list[tuple[str, Dependency]]:
    """The RDMs of `item`'s `dependsOn` that do not let it run yet, each with its state;
    empty when it may run.

    `this_run`: what the RDMs already taken up by this run came to (it wins over
    the records, which were read when the run began). Otherwise the records of
    the dependency as it now stands (`same_run`: its current merge and window)
    decide: met only when its change is live on every target (`Progress.executed`)
    with an executed record among them; else the last of them says why, and none
    means it has not run. An RDM naming itself has never run before itself.

    `live`, when given, must also confirm what the records say is met: the
    records are notes anyone who can push may write, so the rollout asks the
    cluster whether the dependency's change is really there (`rdm gate` and a
    dry run without a cluster take the records' word).
    """
    by_id = {other.rdm.id: other for other in merged}
    found: list[tuple[str, Dependency]] = []
    for name in dict.fromkeys(item.depends_on):
        state = this_run.get(name)
        if state is None:
            dependency = by_id.get(name)
            if dependency is None:
                state = Dependency.MISSING
            elif name == item.rdm.id:
                state = Dependency.NOT_RUN
            else:
                state = _recorded_state(dependency, records, follows)
                if state is Dependency.MET and live is not None and not live(dependency):
                    state = Dependency.NOT_RUN
        if state is not Dependency.MET:
            found.append((name, state))
    return found


def _recorded_state(
    dependency: Merged, records: Sequence[ExecutionRecord], follows: Follows
) -> Dependency:
    ran = sorted(
        (r for r in records if same_run(r, dependency, follows)), key=lambda r: r.started_at
    )
    targets = dependency.rdm.targets
    if any(r.outcome is Outcome.EXECUTED for r in ran) and progress(
        dependency, ran, follows
    ).executed(targets):
        return Dependency.MET
    for record in reversed(ran):
        if record.outcome in _ENDED:
            return _ENDED[record.outcome]
    return Dependency.NOT_RUN


# How the hold names the dependency's state (translated where said).
_STATE_WORDS = {
    Dependency.NOT_RUN: N_("has not run yet"),
    Dependency.REFUSED: N_("was refused"),
    Dependency.FAILED: N_("failed"),
    Dependency.ROLLED_BACK: N_("was rolled back"),
    Dependency.DEFERRED: N_("was deferred in this run"),
    Dependency.HELD: N_("is held too"),
    Dependency.MISSING: N_("does not exist on the default branch"),
}


def hold_reason(dependency: str, state: Dependency) -> str:
    """The reason a held RDM gives, in the active language, `blocked: ` first like the
    gate's (the rollout and the records tell blocking reasons by it)."""
    return BLOCKED + _(
        "held: it depends on {dependency} (dependsOn), which {state}; the next run tries again"
    ).format(dependency=dependency, state=_(_STATE_WORDS[state]))
