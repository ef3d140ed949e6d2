"""Conflicts and capacity across RDMs: what the committee would refuse in a window.

One implementation for both ends of a change: `rdm validate` reports these at
the pull request, and `rdm gate` applies the same rules at apply time.

Rules (rule ids as `rdm validate` reports them):

- ``rdm-conflict``: two RDMs in the same window occurrence change the same part
  (a workload, or a top-level key such as `release`) of the same topology, and
  neither runs after the other through `dependsOn` (directly or through other
  RDMs): their order, and so the result, would be left to chance.
- ``rdm-capacity``: per topology and window occurrence, implementation +
  rollback of all its RDMs must fit the window's unfrozen time (each RDM on its
  own must fit one open period: that is `rdm-duration-exceeds-window`). At
  apply time, `fits_at`: an RDM may start only when now + implementation +
  rollback ends inside the open period (the rollback must still fit).
- ``rdm-depends-on``: every `dependsOn` id names an existing RDM, never the RDM
  itself, and no chain of dependencies loops.
- ``rdm-depends-on-later``: no `dependsOn` id names an RDM that the rollout
  would first run after the RDM that names it (`due.first_run`, the rollout's
  own rule): a normal or standard RDM of a later window; for an emergency, which
  runs at once, one whose window is still to come; an emergency whose clients
  are told only after the dependent has run. The rollout orders by `dependsOn`
  only the RDMs due in one run, so the dependent would run first. From the
  repository alone the merge of an RDM is known only for the change under
  review (it merges from now on); an emergency merged before is taken to have
  run when its clients were told at the earliest, and a dependency whose window
  began before now to have run then. Only what surely runs in the wrong order is
  flagged; a dependency that never runs (frozen, no window, clients not told)
  has its own finding.

What an RDM changes (`Change`) comes, for each target, from the first that is
known: its `changes.workloads`; the diff of that target's topology between the
RDM's base and head (`parts_changed`: the gate has the merge commit and its
parent, `rdm validate --since REV` the base and the work tree); otherwise it is
assumed to be every workload serving the RDM's environments.

API (the gate calls these; all pure, every finding names the other RDMs):

    parts_changed(base: Mapping | None, head: Mapping | None) -> frozenset[str]
        parts of one topology a change between two raw topology mappings
        alters (None: the topology is added or removed, i.e. all of it).
    plan(rdm: Rdm, diffs: Mapping[str, TopologyDiff] | None = None) -> Change
        what `rdm` changes, per target (diffs by org id).
    conflicts(changes: Sequence[Change], policy: CalendarPolicy) -> list[Finding]
    capacity(changes: Sequence[Change], policy: CalendarPolicy) -> list[Finding]
    window_findings(changes, policy) -> list[Finding]
        both of the above, grouping by window once.
    dependency_findings(rdms: Sequence[Rdm], known_ids: Collection[str],
                        policy: CalendarPolicy | None, now: datetime | None = None,
                        pending: Collection[str] = ()) -> list[Finding]
        `now` the instant validate judges at (None: emergencies are not judged);
        `pending` the RDMs of the change under review (they merge from `now`).
    fits_at(rdm: Rdm, instant: datetime, policy: CalendarPolicy) -> Finding | None
        None when it fits; otherwise why not (also when no window is open).

A `Finding` carries the RDM it is about, its rule, a sentence, the other RDMs
it names and a pointer into the RDM's file (`("window",)`, `("dependsOn", 0)`)
where `rdm validate` reports it.

Pure: no I/O, no clock; the instant is passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from rdm.decisions import calendar, due
from rdm.decisions.calendar import CalendarPolicy, Occurrence
from rdm.decisions.standard import TopologyDiff, changed_paths, workload_environments
from rdm.i18n import _
from rdm.model.rdms import ChangeType, Rdm, format_duration
from rdm.model.topologies import WORKLOADS

CONFLICT, CAPACITY, DEPENDS_ON = "rdm-conflict", "rdm-capacity", "rdm-depends-on"
DEPENDS_ON_LATER = "rdm-depends-on-later"
# Top-level topology keys whose change reaches one workload rather than the whole topology.
_KEY_WORKLOADS: dict[str, tuple[str, ...]] = {"database": ("protheus-dbaccess",)}


@dataclass(frozen=True)
class Finding:
    rdm_id: str
    rule: str
    message: str
    others: tuple[str, ...]  # the other RDMs the finding names
    pointer: tuple[str | int, ...]  # where in the RDM's file it belongs


@dataclass(frozen=True)
class Change:
    """What one RDM changes: the parts of each target topology."""

    rdm: Rdm
    parts: Mapping[str, frozenset[str]]  # org id -> workloads and top-level keys
    assumed: frozenset[str] = frozenset()  # targets whose parts are assumed, not known


# (window start in UTC, org id) -> the occurrence and the RDMs changing that client in it
_Groups = dict[tuple[datetime, str], tuple[Occurrence, list[Change]]]


def parts_changed(
    base: Mapping[str, object] | None, head: Mapping[str, object] | None
) -> frozenset[str]:
    """The parts of a topology that differ between two raw mappings of it.

    A workload's own keys give the workload; `images.<component>` gives every
    workload of that component; `database` gives protheus-dbaccess; any other
    top-level key (release, hosts, monitors, ...) is a part of its own name.
    A topology added or removed is changed whole.
    """
    if base is None or head is None:
        return frozenset(WORKLOADS)
    parts: set[str] = set()
    for path in changed_paths(base, head):
        key, _, rest = path.partition(".")
        name = rest.split(".", 1)[0]
        if key == "workloads" and name:
            parts.add(name)
        elif key == "images" and name:
            parts.update(w for w, component in WORKLOADS.items() if component == name)
        elif key in _KEY_WORKLOADS:
            parts.update(_KEY_WORKLOADS[key])
        elif key not in ("$schema",):
            parts.add(key)
    return frozenset(parts)


def assumed_workloads(rdm: Rdm) -> frozenset[str]:
    """Every workload that serves one of the RDM's environments."""
    return _serving(frozenset(str(e) for e in rdm.environments))


@lru_cache(maxsize=8)
def _serving(environments: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in WORKLOADS if environments & set(workload_environments(w)))


def plan(rdm: Rdm, diffs: Mapping[str, TopologyDiff] | None = None) -> Change:
    """What `rdm` changes in each target: declared, else from its diff, else assumed."""
    parts: dict[str, frozenset[str]] = {}
    assumed: set[str] = set()
    for target in rdm.targets:
        diff = (diffs or {}).get(target)
        if rdm.declared_workloads is not None:
            parts[target] = frozenset(rdm.declared_workloads)
        elif diff is not None:
            parts[target] = parts_changed(diff.base, diff.head)
        else:
            parts[target] = assumed_workloads(rdm)
            assumed.add(target)
    return Change(rdm, parts, frozenset(assumed))


# ---------------------------------------------------------------- windows


def _window_name(occurrence: Occurrence) -> str:
    return f"the window of {calendar.format_instant(occurrence.start)}"


def _groups(changes: Sequence[Change], policy: CalendarPolicy) -> _Groups:
    """RDMs by (window occurrence, topology): who shares a window on one client."""
    groups: dict[tuple[datetime, str], tuple[Occurrence, list[Change]]] = {}
    for change in changes:
        occurrence = due.occurrence(change.rdm, policy)
        if occurrence is None:
            continue
        start = occurrence.start.astimezone(UTC)
        for org in change.parts:
            key = (start, org)
            groups.setdefault(key, (occurrence, []))[1].append(change)
    return groups


class _Order:
    """Who runs after whom through `dependsOn` (transitively).

    The strongly connected components (Tarjan's, iteratively) come once; then,
    for the RDMs of one window and client, which of them each one runs after:
    a pass over the part of the graph they reach, successors first. A full
    transitive closure would cost the square of the RDMs on a long chain.
    """

    def __init__(self, rdms: Sequence[Rdm]) -> None:
        self.direct: dict[str, tuple[str, ...]] = {}
        for rdm in rdms:
            self.direct.setdefault(rdm.id, rdm.depends_on)
        self.component: dict[str, int] = {}
        self.components: list[list[str]] = []  # successors' components first
        self._tarjan()
        self.cyclic = {
            node
            for members in self.components
            for node in members
            if len(members) > 1 or node in self.direct.get(node, ())
        }

    def _successors(self, node: str) -> list[str]:
        return [d for d in self.direct.get(node, ()) if d in self.direct]

    def _tarjan(self) -> None:
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        for root in self.direct:
            if root in index:
                continue
            work: list[tuple[str, int]] = [(root, 0)]
            while work:
                node, child = work.pop()
                if child == 0:
                    index[node] = low[node] = len(index)
                    stack.append(node)
                    on_stack.add(node)
                successors = self._successors(node)
                if child < len(successors):
                    work.append((node, child + 1))
                    successor = successors[child]
                    if successor not in index:
                        work.append((successor, 0))
                    elif successor in on_stack:
                        low[node] = min(low[node], index[successor])
                    continue
                for successor in successors:
                    if successor in on_stack:
                        low[node] = min(low[node], low[successor])
                if low[node] == index[node]:
                    members: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        self.component[member] = len(self.components)
                        members.append(member)
                        if member == node:
                            break
                    self.components.append(members)

    def within(self, group: set[str]) -> dict[str, set[str]]:
        """For each RDM of `group`, the others of `group` it runs after."""
        reached: set[int] = set()
        queue = [self.component[g] for g in group if g in self.component]
        while queue:
            current = queue.pop()
            if current in reached:
                continue
            reached.add(current)
            for node in self.components[current]:
                queue.extend(self.component[s] for s in self._successors(node))
        before: dict[int, set[str]] = {}
        for number in sorted(reached):  # Tarjan numbers successors' components first
            members = self.components[number]
            found: set[str] = set()
            for node in members:
                for successor in self._successors(node):
                    other = self.component[successor]
                    if other != number:
                        found |= before[other]
                        if successor in group:
                            found.add(successor)
            if members[0] in self.cyclic:
                found |= group.intersection(members)
            before[number] = found
        return {g: before[self.component[g]] - {g} for g in group if g in self.component}

    def runs_after(self, later: str, earlier: str) -> bool:
        return earlier in self.within({later, earlier}).get(later, set())


def window_findings(changes: Sequence[Change], policy: CalendarPolicy) -> list[Finding]:
    """`conflicts` and `capacity` together, grouping the RDMs by window once."""
    groups = _groups(changes, policy)
    return _conflicts(groups, _Order([c.rdm for c in changes])) + _capacity(groups, policy)


def conflicts(changes: Sequence[Change], policy: CalendarPolicy) -> list[Finding]:
    """Pairs of RDMs of one window that change the same part of the same topology, unordered."""
    return _conflicts(_groups(changes, policy), _Order([c.rdm for c in changes]))


def _conflicts(groups: _Groups, order: _Order) -> list[Finding]:
    findings: list[Finding] = []
    for (_start, org), (occurrence, members) in sorted(groups.items()):
        if len(members) < 2:
            continue
        after = order.within({c.rdm.id for c in members})
        for change in members:
            clashes: list[tuple[Change, frozenset[str]]] = []
            for other in members:
                if other is change or other.rdm.id == change.rdm.id:
                    continue
                shared = change.parts[org] & other.parts[org]
                ordered = other.rdm.id in after.get(change.rdm.id, set()) or (
                    change.rdm.id in after.get(other.rdm.id, set())
                )
                if shared and not ordered:
                    clashes.append((other, shared))
            if clashes:
                findings.append(_conflict(change, org, occurrence, clashes))
    return findings


def _conflict(
    change: Change,
    org: str,
    occurrence: Occurrence,
    clashes: list[tuple[Change, frozenset[str]]],
) -> Finding:
    named = "; ".join(
        f"{other.rdm.id} changes {', '.join(sorted(shared))}" for other, shared in clashes
    )
    assumed = [c.rdm.id for c in (change, *(o for o, _ in clashes)) if org in c.assumed]
    note = (
        f" (assumed from the environments of {', '.join(assumed)}: `changes.workloads` says "
        "exactly what an RDM changes)"
        if assumed
        else ""
    )
    return Finding(
        change.rdm.id,
        CONFLICT,
        f"{_window_name(occurrence)} has other changes to {org}: {named}; name the one that "
        f"runs first in the other's dependsOn, or move one to another window{note}",
        tuple(other.rdm.id for other, _ in clashes),
        ("window",),
    )


def capacity(changes: Sequence[Change], policy: CalendarPolicy) -> list[Finding]:
    """Per topology and window, implementation + rollback of all its RDMs fit the open time."""
    return _capacity(_groups(changes, policy), policy)


def _capacity(groups: _Groups, policy: CalendarPolicy) -> list[Finding]:
    findings: list[Finding] = []
    for (_start, org), (occurrence, members) in sorted(groups.items()):
        unique = list({c.rdm.id: c for c in members}.values())
        if len(unique) < 2:
            continue  # one RDM alone: rdm-duration-exceeds-window says it
        needed = sum((c.rdm.total_duration for c in unique), timedelta())
        pieces = calendar.open_periods(occurrence, policy.freezes)
        available = sum((calendar.duration(p) for p in pieces), timedelta())
        if needed <= available or not pieces:
            continue
        longest = max(calendar.duration(p) for p in pieces)
        if any(c.rdm.total_duration > longest for c in unique):
            continue  # one does not fit alone: rdm-duration-exceeds-window says it first
        listed = ", ".join(f"{c.rdm.id} ({format_duration(c.rdm.total_duration)})" for c in unique)
        frozen = " outside the freeze" if len(pieces) > 1 or pieces[0].clipped else ""
        for change in unique:
            others = tuple(c.rdm.id for c in unique if c is not change)
            findings.append(
                Finding(
                    change.rdm.id,
                    CAPACITY,
                    f"{_window_name(occurrence)} holds {format_duration(available)}{frozen}, and "
                    f"the RDMs on {org} need {format_duration(needed)} of implementation and "
                    f"rollback: {listed}; move one to another window",
                    others,
                    ("window",),
                )
            )
    return findings


def dependency_findings(
    rdms: Sequence[Rdm],
    known_ids: Collection[str],
    policy: CalendarPolicy | None,
    now: datetime | None = None,
    pending: Collection[str] = (),
) -> list[Finding]:
    """`dependsOn` names existing RDMs, without loops, that run before the RDM naming them."""
    by_id = {rdm.id: rdm for rdm in rdms}
    order = _Order(rdms)
    findings: list[Finding] = []
    for rdm in rdms:
        for index, dependency in enumerate(rdm.depends_on):
            pointer: tuple[str | int, ...] = ("dependsOn", index)
            message: str | None = None
            rule = DEPENDS_ON
            if dependency == rdm.id:
                message = f"{rdm.id} cannot depend on itself"
            elif dependency not in known_ids:
                message = (
                    f"{dependency} does not exist (no rdms/{dependency[4:8]}/{dependency}.yaml); "
                    "name an RDM that must run first"
                )
            elif (
                rdm.id in order.cyclic
                and order.component.get(dependency) == order.component[rdm.id]
            ):
                message = (
                    f"{dependency} runs after {rdm.id} again (a loop of dependsOn), so neither "
                    "can run first; remove one dependency of the loop"
                )
            elif policy is not None and dependency in by_id:
                message = _runs_later(rdm, by_id[dependency], policy, now, pending)
                rule = DEPENDS_ON_LATER
            if message is not None:
                findings.append(Finding(rdm.id, rule, message, (dependency,), pointer))
    return findings


def _runs_later(
    rdm: Rdm,
    dependency: Rdm,
    policy: CalendarPolicy,
    now: datetime | None,
    pending: Collection[str],
) -> str | None:
    """Why `dependency` would first run after `rdm`, which names it; None when it would not.

    `rdm`'s own time is the latest it can start: an emergency merges by `now` at the
    latest (one already merged ran before), so it runs from `now` or its notice. The
    dependency's is the earliest: its merge is `now` only when the change under review
    brings it, otherwise unknown and earlier.
    """
    emergency = rdm.type is ChangeType.EMERGENCY
    if emergency and now is None:
        return None

    def merged(item: Rdm) -> datetime | None:
        known = now is not None and (item.id in pending or (item.id == rdm.id and emergency))
        return now if known else None

    own = due.first_run(rdm, policy, merged(rdm))
    theirs = due.first_run(dependency, policy, merged(dependency))
    if own is None or theirs is None or theirs <= own:
        return None
    window = due.occurrence(rdm, policy)
    shown = window.start if window is not None and not emergency else own
    fields = {
        "dependency": dependency.id,
        "theirs": calendar.format_instant(theirs.astimezone(policy.zone)),
        "own": calendar.format_instant(shown.astimezone(policy.zone)),
        "date": dependency.window.isoformat() if dependency.window else "",
    }
    if dependency.type is ChangeType.EMERGENCY and emergency:
        text = _(
            "{dependency} is an emergency that runs only once approved with its clients told, "
            "from {theirs}, after this emergency ({own}): it would run before what it depends "
            "on; tell the clients of {dependency} and approve it first, or remove {dependency} "
            "from dependsOn"
        )
    elif dependency.type is ChangeType.EMERGENCY:
        text = _(
            "{dependency} is an emergency that runs only once approved with its clients told, "
            "from {theirs}, after this RDM's window opened ({own}): this RDM runs before what "
            "it depends on; move this RDM to a window after {theirs}, or remove {dependency} "
            "from dependsOn"
        )
    elif emergency:
        text = _(
            "{dependency} runs in its window, from {theirs}, after this emergency, which runs "
            "at once ({own}, once approved with its clients told): it would run before what it "
            "depends on; bring {dependency} forward (an emergency of its own, or a window "
            "already open), make this RDM a normal one in {dependency}'s window or a later one "
            "(type: normal, window: {date}), or remove {dependency} from dependsOn"
        )
    else:
        text = _(
            "{dependency} runs in its window, from {theirs}, after this RDM ({own}): this RDM "
            "would run before what it depends on; move {dependency} to this RDM's window or an "
            "earlier one, move this RDM to {dependency}'s window or a later one (window: "
            "{date}), or remove {dependency} from dependsOn"
        )
    return text.format(**fields)


def fits_at(rdm: Rdm, instant: datetime, policy: CalendarPolicy) -> Finding | None:
    """May `rdm` start at `instant` and still roll back inside the open period? None: yes."""
    decision = calendar.window_at(policy, instant)
    current = decision.current
    at = calendar.format_instant(decision.at)
    if current is None:
        return Finding(rdm.id, CAPACITY, f"no window is open at {at}", (), ("window",))
    # In UTC: adding to a zoned time would add wall-clock time, wrong across DST.
    end = decision.at.astimezone(UTC) + rdm.total_duration
    if calendar.elapsed(end, current.end) >= timedelta():
        return None
    latest = current.end.astimezone(UTC) - rdm.total_duration
    return Finding(
        rdm.id,
        CAPACITY,
        f"implementation {format_duration(rdm.estimated_duration)} + rollback "
        f"{format_duration(rdm.rollback_duration)} from {at} would end at "
        f"{calendar.format_instant(end.astimezone(policy.zone))}, after the window closes at "
        f"{calendar.format_instant(current.end)}; it had to start by "
        f"{calendar.format_instant(latest.astimezone(policy.zone))}",
        (),
        ("estimatedDuration",),
    )


__all__ = [
    "CAPACITY",
    "CONFLICT",
    "DEPENDS_ON",
    "DEPENDS_ON_LATER",
    "Change",
    "Finding",
    "assumed_workloads",
    "capacity",
    "conflicts",
    "dependency_findings",
    "fits_at",
    "parts_changed",
    "plan",
    "window_findings",
]
