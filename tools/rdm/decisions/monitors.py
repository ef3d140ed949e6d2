"""The uptime monitors the topologies declare against the ones that exist.

Each topology declares two monitors named org id + environment; the monitoring
service (UptimeRobot) holds what really exists. `compare` says, per monitor:
up, not checked yet, missing, extra (named after a client but not declared),
paused, down, pointing at another URL, of another type than HTTP(s), there
twice, or there under another name (its URL checked by a monitor named
otherwise). Which client an undeclared monitor belongs to is decided by the
longest org id its name starts with, so `grupo-alvorada-teste` belongs to
`grupo-alvorada` and not to a client called `grupo`.

Pure: takes the topologies and the monitors the edge read; no I/O. Messages are
in the active language (`rdm.i18n`); states stay identifiers.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rdm.i18n import _
from rdm.model.topologies import Monitor, Topology

HTTP_TYPE = 1  # UptimeRobot's monitor type 1: HTTP(s)


class Status(enum.IntEnum):
    """UptimeRobot's monitor `status` values."""

    PAUSED = 0
    NOT_CHECKED_YET = 1
    UP = 2
    SEEMS_DOWN = 8
    DOWN = 9


class State(enum.StrEnum):
    UP = "up"
    NOT_CHECKED_YET = "not-checked-yet"
    CREATED = "created"
    MISSING = "missing"
    EXTRA = "extra"
    PAUSED = "paused"
    DOWN = "down"
    OTHER_URL = "other-url"
    OTHER_TYPE = "other-type"
    DUPLICATE = "duplicate"
    OTHER_NAME = "other-name"


# States that need someone to act: they make `rdm monitors` exit 1.
FINDINGS = frozenset(
    {
        State.MISSING,
        State.EXTRA,
        State.PAUSED,
        State.DOWN,
        State.OTHER_URL,
        State.OTHER_TYPE,
        State.DUPLICATE,
        State.OTHER_NAME,
    }
)


@dataclass(frozen=True)
class Existing:
    """A monitor as the service has it."""

    id: int
    name: str  # UptimeRobot's friendly_name
    url: str
    type: int
    status: int


@dataclass(frozen=True)
class Finding:
    org_id: str
    name: str
    state: State
    message: str
    url: str  # the declared URL, or the existing one for an extra monitor
    monitor_id: int | None = None

    @property
    def needs_action(self) -> bool:
        return self.state in FINDINGS


def owner(name: str, org_ids: Collection[str]) -> str | None:
    """The client a monitor name belongs to: the longest org id it starts with + '-'.

    Looked up by the name's own prefixes (each one ending before a '-'), longest
    first, so the cost is the name's length and not the number of clients.
    """
    known = org_ids if isinstance(org_ids, (set, frozenset)) else set(org_ids)
    cut = name.rfind("-")
    while cut > 0:
        if name[:cut] in known:
            return name[:cut]
        cut = name.rfind("-", 0, cut)
    return None


def compare(
    topologies: Sequence[Topology], existing: Sequence[Existing], all_org_ids: Collection[str]
) -> list[Finding]:
    """Findings for the monitors of `topologies` (in their order), then their extras.

    `all_org_ids` are every client's ids, also those not asked about, so that a
    monitor of `grupo-alvorada` is never taken for an extra of `grupo`.
    """
    by_name: dict[str, list[Existing]] = {}
    for monitor in existing:
        by_name.setdefault(monitor.name, []).append(monitor)
    # Each monitor's owner once (not once per topology): linear in clients and monitors.
    known = set(all_org_ids)
    by_owner: dict[str, list[Existing]] = {}
    for monitor in existing:
        found_owner = owner(monitor.name, known)
        if found_owner is not None:
            by_owner.setdefault(found_owner, []).append(monitor)
    # A declared monitor absent by name may exist under another name, checking its
    # URL (renamed in the web page): that is not "missing", and --sync must not try
    # to create it again (UptimeRobot refuses a second monitor of one URL).
    declared_names = {m.name for t in topologies for m in t.monitors}
    by_url: dict[str, list[Existing]] = {}
    for monitor in existing:
        if monitor.name not in declared_names and monitor.type == HTTP_TYPE:
            by_url.setdefault(monitor.url, []).append(monitor)
    renamed: set[int] = set()
    findings: list[Finding] = []
    for topology in topologies:
        declared = {m.name for m in topology.monitors}
        for wanted in topology.monitors:
            named = by_name.get(wanted.name, [])
            if not named and by_url.get(wanted.url):
                findings += _renamed(topology.org_id, wanted, by_url[wanted.url])
                renamed |= {m.id for m in by_url[wanted.url]}
            else:
                findings += _declared(topology.org_id, wanted, named)
        for found in by_owner.get(topology.org_id, ()):
            if found.name not in declared and found.id not in renamed:
                findings.append(
                    Finding(
                        topology.org_id,
                        found.name,
                        State.EXTRA,
                        _("not declared in topologies/{org}.yaml").format(org=topology.org_id),
                        found.url,
                        found.id,
                    )
                )
    return findings


def _renamed(org_id: str, monitor: Monitor, found: Sequence[Existing]) -> list[Finding]:
    return [
        Finding(
            org_id,
            monitor.name,
            State.OTHER_NAME,
            _("exists as {name!r} (id {id}), checking this URL; rename it {declared}").format(
                name=existing.name, id=existing.id, declared=monitor.name
            ),
            monitor.url,
            existing.id,
        )
        for existing in found
    ]


def _declared(org_id: str, monitor: Monitor, found: Sequence[Existing]) -> list[Finding]:
    if not found:
        return [
            Finding(
                org_id,
                monitor.name,
                State.MISSING,
                _("not in UptimeRobot (--sync creates it)"),
                monitor.url,
            )
        ]
    findings: list[Finding] = []
    if len(found) > 1:
        ids = ", ".join(str(m.id) for m in found)
        findings.append(
            Finding(
                org_id,
                monitor.name,
                State.DUPLICATE,
                _("{n} monitors have this name (ids {ids}); keep one").format(
                    n=len(found), ids=ids
                ),
                monitor.url,
            )
        )
    for existing in found:
        findings += _one(org_id, monitor, existing)
    return findings


def _one(org_id: str, monitor: Monitor, existing: Existing) -> list[Finding]:
    def finding(state: State, message: str) -> Finding:
        return Finding(org_id, monitor.name, state, message, monitor.url, existing.id)

    findings: list[Finding] = []
    if existing.type != HTTP_TYPE:
        findings.append(
            finding(
                State.OTHER_TYPE,
                _("type {type}, not an HTTP(s) monitor (type 1)").format(type=existing.type),
            )
        )
    if existing.url != monitor.url:
        findings.append(
            finding(
                State.OTHER_URL,
                _("checks {url}; the topology says {declared}").format(
                    url=existing.url, declared=monitor.url
                ),
            )
        )
    if existing.status == Status.PAUSED:
        findings.append(finding(State.PAUSED, _("paused: nobody is told when it goes down")))
    elif existing.status in (Status.SEEMS_DOWN, Status.DOWN):
        word = _("seems down") if existing.status == Status.SEEMS_DOWN else _("down")
        findings.append(finding(State.DOWN, word))
    elif existing.status not in (Status.UP, Status.NOT_CHECKED_YET):
        findings.append(
            finding(State.DOWN, _("unknown status {status}").format(status=existing.status))
        )
    if findings:
        return findings
    if existing.status == Status.NOT_CHECKED_YET:
        return [finding(State.NOT_CHECKED_YET, _("not checked yet"))]
    return [finding(State.UP, _("up"))]


def summary(findings: Sequence[Finding], declared: int, topologies: int) -> str:
    """One line: how many monitors were declared and what was found."""
    counts: dict[State, int] = {}
    for item in findings:
        counts[item.state] = counts.get(item.state, 0) + 1
    parts = [f"{counts[state]} {state.value}" for state in State if counts.get(state)]
    found = ", ".join(parts) if parts else _("nothing")
    return _("{declared} monitor(s) declared in {topologies} topology(ies): {found}").format(
        declared=declared, topologies=topologies, found=found
    )
