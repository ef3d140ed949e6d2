"""The repository as checked data: every file loaded, checked and modelled.

`load_repository` reads a `Source` (work tree or git revision), sorts files into
kinds by their place in the layout, checks each against its schema and its own
rules, builds the model, then applies the rules that span files (an RDM's
targets exist, its window is scheduled and holds it). A broken file is a set of
problems and never stops the others from being checked.

The same loading serves the commands that need checked data from a source:
`render_source` (and `write_tree`, which writes what it rendered) for `rdm
render`, `decide_from_git` for `rdm approvals`. This module decides nothing
itself: rendering and the committee's rule stay in `rendering` and `approvals`.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdm.decisions import approvals, calendar, conflicts
from rdm.decisions.standard import TopologyDiff, scope_findings
from rdm.edges import writing
from rdm.edges.sources import (
    GitRevision,
    Source,
    WorkTree,
    load,
    pull_request_diff,
    refused_problem,
)
from rdm.model import dates, policy, rdms, schemas, topologies
from rdm.model.documents import Document, at_start
from rdm.model.problems import ExternalError, Level, Located, Problem, RdmError, has_errors
from rdm.model.rdms import ChangeType, Rdm

if TYPE_CHECKING:  # Jinja2 and the Kubernetes schemas load only when a command renders
    from rdm.rendering.manifests import Manifest

POLICY_FILES: dict[str, str] = {
    "policy/committee.yaml": "committee",
    "policy/calendar.yaml": "calendar",
    "policy/priorities.yaml": "priorities",
    "policy/standard-changes.yaml": "standard-changes",
    "policy/cluster.yaml": "cluster",
    "policy/operations.yaml": "operations",
}
CALENDAR = "policy/calendar.yaml"
CLUSTER = "policy/cluster.yaml"
STANDARD_CHANGES = "policy/standard-changes.yaml"
# Every file of the repository, besides the topology itself, that `render_source`
# feeds into a topology's rendered objects. The rollout renders each RDM's targets
# at its merge commit and lets a change to one of these ride along only when the
# committee approved it (`decisions.revisions`): a new input of the renderer goes
# here, or it is a way onto every client without the committee.
RENDER_INPUTS: tuple[str, ...] = (CLUSTER,)
# ASCII digits only ([0-9]: Python's \d matches any Unicode digit) and \Z, not $
# (which also matches before a final line break): a name matches whole or not at all.
_RDM_PATH = re.compile(r"^rdms/[0-9]{4}/RDM-[0-9]{4}-[0-9]{4}\.yaml\Z")
_TOPOLOGY_PATH = re.compile(r"^topologies/[^/]+\.yaml\Z")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Files people keep beside the data that are not data.
_IGNORED = re.compile(r"(?:.*/)?(?:README(?:\.md)?|\.gitkeep|\.keep)")  # used with fullmatch

# kind -> rules a schema-valid document of that kind must also follow
_POLICY_RULES: dict[str, Callable[[Document], list[Problem]]] = {
    "committee": policy.check_committee,
    "calendar": calendar.check_policy,
    "priorities": policy.check_priorities,
    "standard-changes": policy.check_standard_changes,
    "cluster": policy.check_cluster,
}


@dataclass
class Repository:
    """What a repository holds, as far as it could be read, and what is wrong with it."""

    rdms: dict[str, Rdm] = field(default_factory=dict)
    topologies: dict[str, topologies.Topology] = field(default_factory=dict)
    committee: policy.CommitteePolicy | None = None
    calendar: calendar.CalendarPolicy | None = None
    priorities: policy.PriorityMatrix | None = None
    standard_changes: dict[str, policy.StandardTemplate] = field(default_factory=dict)
    cluster: policy.ClusterPolicy | None = None
    operations: policy.OperationsPolicy | None = None
    # relative path -> parsed value of every schema-valid file (node trees are not
    # kept: at 10,000 files they cost more memory, and GC time, than the data)
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0
    topology_ids: set[str] = field(default_factory=set)  # from file names, parsed or not
    rdm_ids: set[str] = field(default_factory=set)  # from file names, parsed or not
    # where each model came from (relative paths), for rules that span files
    rdm_paths: dict[str, str] = field(default_factory=dict)
    topology_paths: dict[str, str] = field(default_factory=dict)

    def priority(self, rdm: Rdm) -> str | None:
        return (
            None if self.priorities is None else self.priorities.priority(rdm.impact, rdm.urgency)
        )

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def kind_of(relative: str) -> str | None:
    if relative in POLICY_FILES:
        return POLICY_FILES[relative]
    if _RDM_PATH.fullmatch(relative):
        return "rdm"
    if _TOPOLOGY_PATH.fullmatch(relative):
        return "topology"
    return None


@dataclass(frozen=True)
class Checks:
    """What `rdm validate` adds to loading: the rules across files, as of an instant.

    `now` is the instant time rules are judged at (None: they are skipped);
    `base` the revision the change under review started from (`--since REV`,
    shown as `since`): RDMs added or changed since then are the change, and the
    topologies' diff says what they change.
    """

    now: datetime | None = None
    base: Source | None = None
    since: str = ""


def load_repository(
    source: Source, only: Iterable[str] | None = None, checks: Checks | None = None
) -> Repository:
    """Load and check a repository; with `only`, report just those files (and folders).

    Policy is always loaded, since every other rule depends on it; topologies are
    known by file name, so checking one RDM does not parse every topology. With
    `checks`, the rules across RDMs (conflicts, capacity, dependencies, times) and
    across topologies (a shared database) run too, which reads every RDM when one
    is asked for, and every topology when one is.
    """
    selected = None if only is None else tuple(p.rstrip("/") for p in only)

    def wanted(relative: str) -> bool:
        return selected is None or any(
            relative == p or relative.startswith(p + "/") or p in ("", ".") for p in selected
        )

    repo = Repository()
    files = sorted(source.files())
    # Links, FIFOs, devices, folders named like files, folders that cannot be
    # listed: findings, never read. One inside a folder that was asked for, or
    # holding a path that was asked for, is reported.
    refused = source.refused()
    refused_paths = {r.relative for r in refused}
    for entry in refused:
        inside = entry.relative + "/"
        if wanted(entry.relative) or any(p.startswith(inside) for p in selected or ()):
            repo.problems.append(refused_problem(source, entry))
    for asked in selected or ():
        # A path given by name that holds no RDM, topology or policy file would
        # otherwise pass in silence, as if it had been checked.
        known = asked in ("", ".") or asked in POLICY_FILES  # those have `layout-missing`
        known = known or any(
            asked == r or asked.startswith(r + "/") or r.startswith(asked + "/")
            for r in refused_paths
        )
        if not known and not any(f == asked or f.startswith(asked + "/") for f in files):
            repo.problems.append(
                at_start(
                    source.display(asked),
                    "not checked: rdm reads rdms/<year>/RDM-*.yaml, topologies/<org-id>.yaml "
                    "and policy/*.yaml",
                    "layout",
                    Level.WARNING,
                )
            )
    for relative in files:
        if _TOPOLOGY_PATH.fullmatch(relative):
            repo.topology_ids.add(relative.removeprefix("topologies/").removesuffix(".yaml"))
        elif _RDM_PATH.match(relative):
            repo.rdm_ids.add(relative.rsplit("/", 1)[-1].removesuffix(".yaml"))

    # Policy files that cannot be used and whose own problems this run does not
    # show (only some files were asked for): the rules that need them say so.
    unreported: set[str] = set()
    for relative, kind in POLICY_FILES.items():
        if relative not in files:
            if any(relative == r or relative.startswith(r + "/") for r in refused_paths):
                if not wanted(relative):
                    unreported.add(relative)  # refused: reported above when asked for
            elif wanted(relative):
                repo.problems.append(
                    at_start(source.display(relative), f"{relative} is missing", "layout-missing")
                )
            else:
                unreported.add(relative)
            continue
        document, problems = _parse_and_check(source, relative, kind)
        if wanted(relative):
            repo.problems += problems
        elif document is None:
            unreported.add(relative)
        if document is not None:
            repo.data[relative] = document.data
            _set_policy(repo, kind, document.data)

    data_files: list[tuple[str, str]] = []
    for relative in files:
        if relative in POLICY_FILES or not wanted(relative):
            continue
        found = kind_of(relative)
        if found is None:
            problem = _layout_problem(source.display(relative), relative)
            if problem is not None:
                repo.problems.append(problem)
        else:
            data_files.append((relative, found))
    if checks is not None and selected is not None:
        # Rules across files need every file of a kind asked for; the others are
        # checked for their models only.
        kinds_asked = {kind for _, kind in data_files}
        listed = {relative for relative, _ in data_files}
        for relative in files:
            other = kind_of(relative)
            if relative not in listed and other is not None and other in kinds_asked:
                data_files.append((relative, other))
        data_files.sort()

    context = _Context(
        frozenset(repo.topology_ids),
        repo.calendar,
        repo.standard_changes,
        frozenset(unreported),
        repo.cluster,
    )
    for result in _check_all(source, data_files, context):
        if isinstance(result.model, rdms.Rdm):
            repo.rdms[result.model.id] = result.model
            repo.rdm_paths.setdefault(result.model.id, result.relative)
        elif isinstance(result.model, topologies.Topology):
            repo.topologies[result.model.org_id] = result.model
            repo.topology_paths.setdefault(result.model.org_id, result.relative)
        if not wanted(result.relative):
            continue
        repo.files_checked += 1
        repo.problems += result.problems
        if result.data is not None:
            repo.data[result.relative] = result.data
    repo.files_checked += sum(1 for r in POLICY_FILES if r in files and wanted(r))
    if checks is not None:
        repo.problems += _across(source, repo, checks, wanted)
    repo.problems.sort()
    return repo


def load_work_tree(root: Path, label: str = "", only: Iterable[str] | None = None) -> Repository:
    return load_repository(WorkTree(root, label), only)


@dataclass(frozen=True)
class _Context:
    """What checking one RDM or topology needs to know about the rest."""

    topology_ids: frozenset[str]
    calendar: calendar.CalendarPolicy | None
    standard_changes: Mapping[str, policy.StandardTemplate]
    unusable_policy: frozenset[str] = frozenset()  # broken or missing, and not reported
    cluster: policy.ClusterPolicy | None = None


@dataclass(frozen=True)
class _FileResult:
    relative: str
    problems: list[Problem]
    data: Any
    model: rdms.Rdm | topologies.Topology | None


def _check_file(source: Source, relative: str, kind: str, context: _Context) -> _FileResult:
    """Parse, schema-check, model and rule-check one RDM or topology file."""
    document, problems = _parse_and_check(source, relative, kind)
    if document is None:
        return _FileResult(relative, problems, None, None)
    model: rdms.Rdm | topologies.Topology
    if kind == "rdm":
        model = rdms.Rdm.from_mapping(document.data)
        problems += rdms.check(model, document, relative)
        problems += _cross_file_rdm_rules(context, model, document)
    else:
        model = topologies.Topology.from_mapping(document.data)
        problems += topologies.check(model, document, relative)
        if context.cluster is not None:
            problems += [
                document.problem(list(f.pointer), f.message, f.rule, f.level, key=f.key)
                for f in topologies.exposure_findings(model, context.cluster)
            ]
    return _FileResult(relative, problems, document.data, model)


# Below this many files one process is faster than starting workers.
PARALLEL_THRESHOLD = 2000
_WORKER_STATE: tuple[Source, _Context] | None = None


def _check_all(
    source: Source, data_files: list[tuple[str, str]], context: _Context
) -> Iterable[_FileResult]:
    """Check files in order; large work trees are split across the machine's cores.

    Each file is independent once policy is known, so workers (forked, so they
    inherit the source and the policy instead of receiving them) check chunks and
    send back problems and models; results keep the files' order.
    """
    workers = min(os.cpu_count() or 1, 4)
    if len(data_files) < PARALLEL_THRESHOLD or workers < 2 or not isinstance(source, WorkTree):
        return [_check_file(source, rel, kind, context) for rel, kind in data_files]
    global _WORKER_STATE
    _WORKER_STATE = (source, context)
    try:
        size = max(1, len(data_files) // (workers * 8))
        chunks = [data_files[i : i + size] for i in range(0, len(data_files), size)]
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=fork) as pool:
            return [result for chunk in pool.map(_check_chunk, chunks) for result in chunk]
    finally:
        _WORKER_STATE = None


def _check_chunk(chunk: list[tuple[str, str]]) -> list[_FileResult]:
    assert _WORKER_STATE is not None, "set by the parent before forking"
    source, context = _WORKER_STATE
    return [_check_file(source, rel, kind, context) for rel, kind in chunk]


def _parse_and_check(
    source: Source, relative: str, kind: str
) -> tuple[Document | None, list[Problem]]:
    """Parse and schema-check one file; the document is returned only when it is valid."""
    result = load(source, relative)
    problems = list(result.problems)
    document = result.document
    if document is not None:
        problems += schemas.check(document, kind)
        if not problems and kind in _POLICY_RULES:
            problems += _POLICY_RULES[kind](document)
    # A policy model is built only from a file that passed its own rules too (a
    # zone that does not exist cannot become a ZoneInfo).
    if document is None or has_errors(problems):
        return None, problems
    return document, problems


def _set_policy(repo: Repository, kind: str, data: Mapping[str, Any]) -> None:
    if kind == "committee":
        repo.committee = policy.CommitteePolicy.from_mapping(data)
    elif kind == "calendar":
        repo.calendar = calendar.CalendarPolicy.from_mapping(data)
    elif kind == "priorities":
        repo.priorities = policy.PriorityMatrix.from_mapping(data)
    elif kind == "standard-changes":
        repo.standard_changes = policy.standard_templates(data)
    elif kind == "cluster":
        repo.cluster = policy.ClusterPolicy.from_mapping(data)
    elif kind == "operations":
        repo.operations = policy.OperationsPolicy.from_mapping(data)


def _cross_file_rdm_rules(context: _Context, rdm: rdms.Rdm, document: Document) -> list[Problem]:
    problems: list[Problem] = []
    for index, target in enumerate(rdm.targets):
        if target not in context.topology_ids:
            problems.append(
                document.problem(
                    ["targets", index],
                    f"target {target!r} has no topology (topologies/{target}.yaml)",
                    "rdm-target-unknown",
                    key=False,
                )
            )
    templates = context.standard_changes
    if rdm.template is not None and STANDARD_CHANGES in context.unusable_policy:
        problems.append(_policy_unusable(document, ["template"], STANDARD_CHANGES))
    elif rdm.template is not None and templates and rdm.template not in templates:
        known = ", ".join(sorted(templates))
        problems.append(
            document.problem(
                ["template"],
                f"template {rdm.template!r} is not in policy/standard-changes.yaml ({known})",
                "rdm-template",
            )
        )
    if rdm.window is not None and not dates.in_range(rdm.window):
        pass  # `rdm-date-range` says so; no calendar is reasoned about that far
    elif rdm.window is not None and context.calendar is not None:
        problems += _window_rules(context.calendar, rdm, document)
        problems += _downtime_rules(context.calendar, rdm, document)
    elif rdm.window is not None and CALENDAR in context.unusable_policy:
        problems.append(_policy_unusable(document, ["window"], CALENDAR))
    return problems


def _policy_unusable(document: Document, pointer: list[str | int], relative: str) -> Problem:
    return document.problem(
        pointer,
        f"cannot be checked: {relative} is missing or invalid (`rdm validate {relative}` says why)",
        "rdm-policy-unusable",
    )


def _window_rules(
    policy_: calendar.CalendarPolicy, rdm: rdms.Rdm, document: Document
) -> list[Problem]:
    """The window exists, is not frozen, and holds implementation plus rollback."""
    assert rdm.window is not None
    day = rdm.window.isoformat()
    occurrence = calendar.window_for_date(policy_, rdm.window)
    if occurrence is None:
        return [
            document.problem(
                ["window"],
                f"{day} is not a change window of policy/calendar.yaml (a scheduled "
                f"{_WEEKDAYS[policy_.window.weekday]} that is not cancelled or skipped, "
                "or the date of a moved window)",
                "rdm-window-not-scheduled",
            )
        ]
    usable = calendar.open_periods(occurrence, policy_.frozen)
    if not usable:
        reasons = calendar.freeze_reasons(
            policy_.frozen.overlapping(occurrence.start, occurrence.end)
        )
        return [
            document.problem(
                ["window"],
                f"the window of {day} is inside a freeze ({reasons}); "
                "only emergencies run during a freeze",
                "rdm-window-frozen",
            )
        ]
    length = max(calendar.duration(piece) for piece in usable)
    if rdm.total_duration <= length:
        return []
    fmt = rdms.format_duration
    frozen = " outside the freeze" if len(usable) > 1 or usable[0].clipped else ""
    return [
        document.problem(
            ["estimatedDuration"],
            f"implementation {fmt(rdm.estimated_duration)} + rollback "
            f"{fmt(rdm.rollback_duration)} = {fmt(rdm.total_duration)} does not fit "
            f"the {fmt(length)} window of {day}{frozen}",
            "rdm-duration-exceeds-window",
        )
    ]


def _downtime_rules(
    policy_: calendar.CalendarPolicy, rdm: rdms.Rdm, document: Document
) -> list[Problem]:
    """A normal or standard change's downtime happens inside its window (the clients
    are told when; `rdm notice` says so)."""
    downtime = rdm.downtime
    occurrence = calendar.window_for_date(policy_, rdm.window) if rdm.window else None
    if downtime is None or downtime.start is None or occurrence is None:
        return []
    start, end = downtime.start, downtime.start + downtime.duration
    fmt = calendar.format_instant
    window = f"the window {fmt(occurrence.start)} to {fmt(occurrence.end)}"
    if not occurrence.contains(start):
        return [
            document.problem(
                ["downtime", "start"],
                f"the downtime starts at {fmt(start)}, outside {window}",
                "rdm-downtime-outside-window",
            )
        ]
    if end > occurrence.end:
        return [
            document.problem(
                ["downtime", "duration"],
                f"the downtime ends at {fmt(end)}, after {window}",
                "rdm-downtime-outside-window",
            )
        ]
    return []


# ---------------------------------------------------------------- rules across files


@dataclass
class _Since:
    """The change under review: what differs from the base revision."""

    rdms: set[str] = field(default_factory=set)  # RDM ids added or changed
    added: set[str] = field(default_factory=set)
    new_windows: set[str] = field(default_factory=set)  # added, or their window changed
    diffs: dict[str, TopologyDiff] = field(default_factory=dict)  # by org id


def _across(
    source: Source, repo: Repository, checks: Checks, wanted: Callable[[str], bool]
) -> list[Problem]:
    """Rules that need several files: RDMs against each other, the calendar and the
    change under review; topologies against each other."""
    since = _since(source, checks.base) if checks.base is not None else _Since()
    found: list[tuple[str, Located]] = []

    def add(rdm_id: str, located: Located) -> None:
        path = repo.rdm_paths.get(rdm_id)
        if path is not None:
            found.append((path, located))

    # An RDM filed under another name has its own finding (rdm-id-filename); which
    # id is meant is unknown, so it takes no part in rules about other RDMs.
    placed = [
        rdm for rdm in repo.rdms.values() if repo.rdm_paths.get(rdm.id) == _rdm_path(rdm.id)
    ]
    plans: list[conflicts.Change] = []
    for rdm in placed:
        in_change = rdm.id in since.rdms
        diffs = {t: since.diffs[t] for t in rdm.targets if t in since.diffs} if in_change else {}
        plans.append(conflicts.plan(rdm, diffs))
        template = repo.standard_changes.get(rdm.template or "")
        if rdm.type is ChangeType.STANDARD and template is not None:
            for located in scope_findings(rdm, template, tuple(diffs.values())):
                add(rdm.id, located)
    if repo.calendar is not None:
        for finding in conflicts.window_findings(plans, repo.calendar):
            add(finding.rdm_id, Located(finding.pointer, finding.message, finding.rule))
    found_dependencies = conflicts.dependency_findings(
        placed, repo.rdm_ids, repo.calendar, checks.now, since.rdms
    )
    for finding in found_dependencies:
        add(finding.rdm_id, Located(finding.pointer, finding.message, finding.rule, key=False))
    for rdm_id, located in _undeclared(repo, since):
        add(rdm_id, located)
    if checks.now is not None:
        for rdm in placed:
            for located in _time_findings(repo, rdm, checks, since):
                add(rdm.id, located)
    shared = topologies.shared_databases(repo.topologies.values())
    if repo.cluster is not None:
        shared += topologies.shared_hosts(repo.topologies.values(), repo.cluster)
    for org_id, located in shared:
        found.append((repo.topology_paths[org_id], located))
    return _place(source, [(path, f) for path, f in found if wanted(path)])


def _rdm_path(rdm_id: str) -> str:
    return f"rdms/{rdm_id[4:8]}/{rdm_id}.yaml"


def _time_findings(repo: Repository, rdm: Rdm, checks: Checks, since: _Since) -> list[Located]:
    assert checks.now is not None
    now = checks.now
    window_end = None
    if repo.calendar is not None:
        now = now.astimezone(repo.calendar.zone)
        if rdm.window is not None and rdm.type is not ChangeType.EMERGENCY:
            occurrence = calendar.window_for_date(repo.calendar, rdm.window)
            window_end = occurrence.end if occurrence is not None else None
    notice_days = (
        repo.committee.emergency_notice_days
        if repo.committee is not None
        else policy.DEFAULT_EMERGENCY_NOTICE_DAYS
    )
    new = None
    if rdm.id in since.new_windows:
        new = "is new" if rdm.id in since.added else "names another window"
    return rdms.time_findings(rdm, now, notice_days, window_end, new, checks.since)


def _undeclared(repo: Repository, since: _Since) -> list[tuple[str, Located]]:
    """A topology's diff alters a workload that no RDM of the change says it changes."""
    found: list[tuple[str, Located]] = []
    for org_id, diff in sorted(since.diffs.items()):
        covering = [
            repo.rdms[i]
            for i in sorted(since.rdms)
            if i in repo.rdms and org_id in repo.rdms[i].targets
        ]
        if not covering or any(r.declared_workloads is None for r in covering):
            continue  # no RDM (approvals' coverage says so), or one that changes it all
        declared = {w for r in covering for w in r.declared_workloads or ()}
        changed = conflicts.parts_changed(diff.base, diff.head) & set(topologies.WORKLOADS)
        missing = sorted(changed - declared)
        if not missing:
            continue
        for rdm in covering:
            found.append(
                (
                    rdm.id,
                    Located(
                        ("changes", "workloads"),
                        f"topologies/{org_id}.yaml also changes {', '.join(missing)}, which no "
                        "RDM of this change lists in changes.workloads; add it, so that "
                        "conflicts in the window are found",
                        "rdm-changes-undeclared",
                    ),
                )
            )
    return found


def _since(source: Source, base: Source) -> _Since:
    """What the change under review adds or alters, compared file by file with `base`."""
    result = _Since()
    base_files = {f for f in base.files() if kind_of(f) in ("rdm", "topology")}
    head_files = {f for f in source.files() if kind_of(f) in ("rdm", "topology")}
    for relative in sorted(base_files | head_files):
        old = _bytes(base, relative) if relative in base_files else None
        new = _bytes(source, relative) if relative in head_files else None
        if old == new:
            continue
        stem = relative.rsplit("/", 1)[-1].removesuffix(".yaml")
        before, after = _raw(base, relative, base_files), _raw(source, relative, head_files)
        if kind_of(relative) == "topology":
            result.diffs[stem] = TopologyDiff(stem, before, after)
        elif after is not None:
            result.rdms.add(stem)
            if before is None:
                result.added.add(stem)
            if before is None or before.get("window") != after.get("window"):
                result.new_windows.add(stem)
    return result


def _bytes(source: Source, relative: str) -> bytes | None:
    try:
        return source.read(relative)
    except (OSError, KeyError):
        return None


def _place(source: Source, found: list[tuple[str, Located]]) -> list[Problem]:
    """Positioned problems; each file is parsed again (once) for the positions."""
    problems: list[Problem] = []
    documents: dict[str, Document | None] = {}
    for path, located in found:
        if path not in documents:
            documents[path] = load(source, path).document
        document = documents[path]
        if document is None:
            continue
        problems.append(
            document.problem(
                list(located.pointer), located.message, located.rule, located.level, key=located.key
            )
        )
    return problems


def _layout_problem(shown: str, relative: str) -> Problem | None:
    if _IGNORED.fullmatch(relative):
        return None
    if relative.endswith(".yml"):
        return at_start(shown, "use the .yaml extension; .yml files are not read", "layout")
    top = relative.split("/", 1)[0]
    expected = {
        "rdms": "rdms/<year>/RDM-<year>-<4 digits>.yaml",
        "topologies": "topologies/<org-id>.yaml",
        "policy": "policy/{committee,calendar,priorities,standard-changes,operations,cluster}.yaml",
    }[top]
    # A YAML file in a data folder under the wrong name is data nobody checks
    # (a typo in an RDM's name would let it skip every rule): an error. Other
    # files (notes, images) only get a warning.
    # A name with a control character is built to be misread, wherever it is.
    hidden = any(unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" for ch in relative)
    level = Level.ERROR if relative.endswith(".yaml") or hidden else Level.WARNING
    return at_start(shown, f"not a file rdm reads; expected {expected}", "layout", level)


def manifest_problems(repository: Repository, source: Source) -> list[Problem]:
    """Render every topology that loaded cleanly and check its objects (`--manifests`).

    A problem points at the topology's `orgId`; the file is parsed again for that
    position only when there is a problem, since node trees are not kept.
    """
    problems: list[Problem] = []
    for relative, data in sorted(repository.data.items()):
        topology = (
            repository.topologies.get(data.get("orgId", ""))
            if kind_of(relative) == "topology"
            else None
        )
        if topology is None:
            continue
        found = topology_manifest_problems(
            topology, source.display(relative), cluster=repository.cluster
        )
        document = load(source, relative).document if found else None
        if document is not None:
            position = document.position(["orgId"])
            found = [replace(p, line=position.line, col=position.col) for p in found]
        problems += found
    return problems


def topology_manifest_problems(
    topology: topologies.Topology,
    document_path: str,
    line: int = 1,
    col: int = 1,
    cluster: policy.ClusterPolicy | None = None,
) -> list[Problem]:
    """Render `topology` (with its way in, given the `cluster` policy) and check every
    object against the Kubernetes schema."""
    # Jinja2 and the Kubernetes schemas load only when asked
    from rdm.rendering import manifests as rendering

    def problem(message: str) -> Problem:
        return Problem(document_path, line, col, Level.ERROR, message, "manifest-schema")

    try:
        manifests = rendering.render(topology, cluster)
    except rendering.RenderError as exc:
        return [problem(str(exc))]
    found: list[Problem] = []
    for manifest in manifests:
        try:
            errors = schemas.kubernetes_errors(manifest.obj, rendering.KUBERNETES_VERSION)
        except schemas.MissingSchema as exc:
            found.append(problem(f"{manifest}: {exc}"))
            continue
        found += [problem(f"{manifest}: {message}") for message in errors]
    return found


# ---------------------------------------------------------------- rdm render


@dataclass
class Rendered:
    """The manifests of each org id asked for, or the problems that stopped them."""

    manifests: dict[str, list[Manifest]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def render_source(source: Source, org_ids: Sequence[str] = ()) -> Rendered:
    """Load the topologies asked for (all by default), check them, render them.

    Only the topologies are checked: a broken RDM elsewhere does not stop a render.
    """
    from rdm.rendering import manifests as rendering

    only = [f"topologies/{org}.yaml" for org in org_ids] if org_ids else ["topologies"]
    # The way in comes from policy/cluster.yaml; a revision from before it existed
    # renders as the cluster ran then, without it; a broken one stops the render.
    present = set(source.files())
    inputs = [relative for relative in RENDER_INPUTS if relative in present]
    repository = load_repository(source, only=[*only, *inputs])
    unknown = [org for org in org_ids if org not in repository.topology_ids]
    if unknown:
        where = f" at revision {source.revision}" if isinstance(source, GitRevision) else ""
        raise RdmError(
            f"no topology{where} for "
            + ", ".join(f"{org} (topologies/{org}.yaml)" for org in unknown)
        )
    result = Rendered(problems=[p for p in repository.problems if p.level is Level.ERROR])
    if result.problems:
        return result
    if not repository.topologies:
        # Empty output would read as "this repository runs nothing" to whatever
        # applies it; a wrong --repo or a missing folder must not say that.
        raise RdmError(
            f"nothing to render: no topology in {source.display('topologies')}/ "
            "(topologies/<org-id>.yaml); is --repo the RDM repository?"
        )
    for org in org_ids or sorted(repository.topologies):
        result.manifests[org] = rendering.render(repository.topologies[org], repository.cluster)
    return result


def write_tree(
    out: Path, rendered: Rendered, output_format: str, anchors: Sequence[Path] = ()
) -> writing.TreeResult:
    """Write `out/<org-id>/<NN>-<kind>-<name>.<format>` (see `rdm.edges.writing`).

    Each file is written beside its place and renamed over it; manifests of an
    earlier render that are no longer produced (the update appserver after an
    update) are removed only once every new file is in place, and only those rdm
    wrote itself: a disk that fails half-way leaves whole files, never a cut one,
    and a file rdm did not write is never deleted. No link is followed below
    `anchors` (the repository) or the current folder, nor at `out` or under it.
    """
    from rdm.rendering import manifests as rendering

    trees = {
        org: rendering.files(manifests, output_format)
        for org, manifests in rendered.manifests.items()
    }
    try:
        return writing.write_tree(
            out, trees, lambda name: bool(rendering.FILE_NAME.match(name)), anchors
        )
    except writing.WriteError as exc:
        raise ExternalError(f"cannot write the manifests under {out}: {exc}") from exc
    except OSError as exc:
        raise ExternalError(
            f"cannot write the manifests under {out}: {exc.strerror or exc}"
        ) from exc


# ---------------------------------------------------------------- rdm approvals


def decide_from_git(
    repo: Path, pr: approvals.PullRequest, protected_branch: str
) -> approvals.Verdict:
    """Read what the decision needs from the clone, then decide.

    A PR into another branch than `protected_branch` is rejected before
    anything is read. The changed paths are git's diff from the merge base of
    the PR's base and head commits to its head (three dots, as GitHub computes
    a PR's diff; renames detected), never GitHub's list, which only
    cross-checks them. The committee policy and standard templates come from
    the PR's *base* commit, so that a PR cannot vote itself in by editing
    policy/committee.yaml; the RDMs from head; the topologies from the merge
    base and head (CI checks out with fetch-depth 0).
    """
    refused = approvals.off_branch(pr, protected_branch)
    if refused is not None:
        return refused
    diff = pull_request_diff(repo, pr.base_sha, pr.head_sha)
    pr = replace(
        pr,
        changed_files=tuple(
            approvals.ChangedFile(change.path, change.status, change.previous)
            for change in diff.changes
        ),
    )
    base = GitRevision(repo, pr.base_sha)
    head = GitRevision(repo, pr.head_sha)
    committee, templates, priorities = _policy_at(base)
    changes = _rdms_at(head, pr.rdm_paths())
    diffs: tuple[TopologyDiff, ...] = ()
    on_main: dict[str, Rdm] = {}
    if any(rdm.type is ChangeType.STANDARD for rdm in changes.values()):
        on_main = _on_main(base, pr, changes)
        since = GitRevision(repo, diff.merge_base)
        since_files, head_files = set(since.files()), set(head.files())
        diffs = tuple(
            TopologyDiff(
                org_id,
                _raw(since, f"topologies/{org_id}.yaml", since_files),
                _raw(head, f"topologies/{org_id}.yaml", head_files),
            )
            for org_id in pr.topology_ids()
        )
    verdict = approvals.decide(
        committee,
        pr,
        changes,
        templates,
        diffs,
        protected_branch=protected_branch,
        on_main=on_main,
    )
    if priorities is None:
        return verdict
    # The priority shown beside each RDM, from the base's matrix as the policy is.
    return replace(
        verdict,
        priorities={
            rdm.id: priorities.priority(rdm.impact, rdm.urgency) for rdm in changes.values()
        },
    )


def _on_main(
    base: GitRevision, pr: approvals.PullRequest, changes: Mapping[str, Rdm]
) -> dict[str, Rdm]:
    """The standard RDMs of the PR as they are at its base commit, under their old
    name if the PR renames them; those not there yet are new."""
    old_names = {
        f.filename: f.previous_filename or f.filename
        for f in pr.changed_files
        if f.filename in changes and changes[f.filename].type is ChangeType.STANDARD
    }
    present = set(base.files())
    earlier = _rdms_at(base, tuple(sorted({old for old in old_names.values() if old in present})))
    return {path: earlier[old] for path, old in old_names.items() if old in earlier}


def _policy_at(
    source: GitRevision,
) -> tuple[
    policy.CommitteePolicy, dict[str, policy.StandardTemplate], policy.PriorityMatrix | None
]:
    repository = load_repository(source, only=["policy"])
    if repository.committee is None:
        details = "; ".join(str(p) for p in repository.problems if "committee" in p.path)
        raise RdmError(
            f"policy/committee.yaml cannot be read at the base commit {source.revision[:7]}"
            + (f": {details}" if details else "")
        )
    return repository.committee, repository.standard_changes, repository.priorities


# An RDM is known by its file name: one whose `id` says otherwise would take
# another RDM's place when the repository is loaded (the later file wins), and
# the verdict would name an RDM the PR does not carry.
_IDENTITY_RULES = frozenset({"rdm-id-filename"})


def _rdms_at(source: Source, paths: tuple[str, ...]) -> dict[str, Rdm]:
    """The schema-valid RDMs among `paths` whose id is their file name; the others are
    left out, which rejects the PR."""
    if not paths:
        return {}
    repository = load_repository(source, only=list(paths))
    misnamed = {
        p.path
        for p in repository.problems
        if p.rule in _IDENTITY_RULES and p.level is Level.ERROR
    }
    return {
        path: Rdm.from_mapping(repository.data[path])
        for path in paths
        if path in repository.data and source.display(path) not in misnamed
    }


def _raw(source: Source, relative: str, files: set[str]) -> dict[str, object] | None:
    if relative not in files:
        return None
    document = load(source, relative).document
    return document.data if document is not None and isinstance(document.data, dict) else None
