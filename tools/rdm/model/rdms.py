"""The RDM (Requisição de Mudança) model and its own rules.

An RDM is built from a schema-valid mapping; rules that need other files (the
targets exist, the window is scheduled) live in `repository`, which has them.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rdm.model import dates
from rdm.model.documents import Document
from rdm.model.problems import Level, Located, Problem

FILE_NAME = re.compile(r"^RDM-([0-9]{4})-([0-9]{4})\.yaml\Z")
_DURATION = re.compile(r"^(?:([0-9]+)h)?(?:([0-9]+)m)?\Z")


class ChangeType(enum.StrEnum):
    NORMAL = "normal"
    EMERGENCY = "emergency"
    STANDARD = "standard"


class Environment(enum.StrEnum):
    PRODUCAO = "producao"
    HOMOLOGACAO = "homologacao"


def parse_duration(text: str) -> timedelta:
    """`45m`, `2h`, `1h30m` -> timedelta (the schema has already checked the form)."""
    match = _DURATION.fullmatch(text)
    if match is None or not text:
        raise ValueError(f"{text!r} is not a duration like 45m, 2h or 1h30m")
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes)


def format_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


@dataclass(frozen=True)
class Communication:
    notified: bool
    notice: str
    notified_at: str | None
    message_ids: tuple[str, ...] = ()

    @property
    def notified_instant(self) -> datetime | None:
        """`notifiedAt` as an instant; None when absent or not a date-time with an offset."""
        return _aware(self.notified_at)


@dataclass(frozen=True)
class Downtime:
    """What the clients lose while the change runs: from `start` (or the window's
    start) for at most `duration`; `workloads` empty means every service."""

    duration: timedelta
    start: datetime | None = None
    workloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rdm:
    id: str
    title: str
    type: ChangeType
    category: str
    requester: str
    description: str
    opinion_author: str
    opinion: str
    impact: str
    urgency: str
    targets: tuple[str, ...]
    environments: tuple[Environment, ...]
    window: date | None
    estimated_duration: timedelta
    rollback_plan: str
    rollback_duration: timedelta
    tested_by: str
    evidence: str
    incident: str | None
    communication: Communication | None
    template: str | None
    incident_at: str | None = None
    depends_on: tuple[str, ...] = ()
    # `changes.workloads`: what the RDM says it changes; None when it does not say
    declared_workloads: tuple[str, ...] | None = None
    downtime: Downtime | None = None
    # Logins of the people the change involves (the DBA, the cloud analyst who
    # runs it): their approval joins the consensus of the RDM's committee.
    involved: tuple[str, ...] = ()

    @property
    def total_duration(self) -> timedelta:
        """Implementation plus rollback: what the window must hold if it goes wrong."""
        return self.estimated_duration + self.rollback_duration

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Rdm:
        communication = data.get("communication")
        return cls(
            id=data["id"],
            title=data["title"],
            type=ChangeType(data["type"]),
            category=data["category"],
            requester=data["requester"],
            description=data["description"],
            opinion_author=data["technicalOpinion"]["author"],
            opinion=data["technicalOpinion"]["text"],
            impact=data["impact"],
            urgency=data["urgency"],
            targets=tuple(data["targets"]),
            environments=tuple(Environment(e) for e in data["environments"]),
            window=date.fromisoformat(data["window"]) if "window" in data else None,
            estimated_duration=parse_duration(data["estimatedDuration"]),
            rollback_plan=data["rollback"]["plan"],
            rollback_duration=parse_duration(data["rollback"]["estimatedDuration"]),
            tested_by=data["homologation"]["testedBy"],
            evidence=data["homologation"]["evidence"],
            incident=data.get("incident"),
            communication=(
                Communication(
                    communication["notified"],
                    communication["notice"],
                    communication.get("notifiedAt"),
                    tuple(communication.get("messageIds", ())),
                )
                if communication is not None
                else None
            ),
            template=data.get("template"),
            incident_at=data.get("incidentAt"),
            depends_on=tuple(data.get("dependsOn", ())),
            declared_workloads=(
                tuple(data["changes"]["workloads"]) if "changes" in data else None
            ),
            downtime=_downtime(data.get("downtime")),
            involved=tuple(data.get("involved", ())),
        )


def _downtime(data: Mapping[str, Any] | None) -> Downtime | None:
    if data is None:
        return None
    return Downtime(
        duration=parse_duration(data["duration"]),
        start=datetime.fromisoformat(data["start"]) if "start" in data else None,
        workloads=tuple(data.get("workloads", ())),
    )


def check(rdm: Rdm, document: Document, relative: str) -> list[Problem]:
    """Rules an RDM can be held to on its own (its file name included)."""
    problems: list[Problem] = []
    name = relative.rsplit("/", 1)[-1]
    if name != f"{rdm.id}.yaml":
        problems.append(
            document.problem(
                ["id"], f"id {rdm.id} does not match the file name {name}", "rdm-id-filename"
            )
        )
    folder_year = relative.split("/")[1] if relative.count("/") >= 2 else ""
    if folder_year != rdm.id[4:8]:
        problems.append(
            document.problem(
                ["id"],
                f"{rdm.id} belongs in rdms/{rdm.id[4:8]}/, not rdms/{folder_year}/",
                "rdm-id-filename",
            )
        )
    problems += _zero_durations(rdm, document)
    seen: set[str] = set()
    for index, login in enumerate(rdm.involved):
        if login.lower() in seen:
            problems.append(
                document.problem(
                    ["involved", index],
                    f"{login} appears twice in involved",
                    "rdm-involved",
                    key=False,
                )
            )
        seen.add(login.lower())
    problems += _date_range(document)
    if rdm.type is ChangeType.EMERGENCY:
        problems += _emergency_rules(rdm, document)
    elif rdm.window is None:
        problems.append(
            document.problem(
                [],
                f"a {rdm.type} RDM needs `window`: the date of the Thursday it runs in",
                "rdm-window-required",
            )
        )
    if rdm.type is ChangeType.STANDARD and rdm.template is None:
        problems.append(
            document.problem(
                ["type"],
                "a standard RDM names its pre-approved template in `template`",
                "rdm-template",
            )
        )
    if rdm.type is not ChangeType.STANDARD and rdm.template is not None:
        problems.append(
            document.problem(
                ["template"],
                f"`template` applies only to standard RDMs, not {rdm.type}",
                "rdm-template",
            )
        )
    return problems


def _zero_durations(rdm: Rdm, document: Document) -> list[Problem]:
    """A change or a rollback that takes no time at all is an estimate nobody made."""
    problems: list[Problem] = []
    if rdm.estimated_duration <= timedelta():
        problems.append(
            document.problem(
                ["estimatedDuration"],
                "an implementation of 0m cannot be true; write the time it takes, e.g. 30m",
                "rdm-duration-zero",
            )
        )
    if rdm.rollback_duration <= timedelta():
        problems.append(
            document.problem(
                ["rollback", "estimatedDuration"],
                "a rollback of 0m cannot be true (restoring the snapshot takes time); write "
                "the time it takes, e.g. 15m",
                "rdm-duration-zero",
            )
        )
    return problems


def time_findings(
    rdm: Rdm,
    now: datetime,
    notice_days: int,
    window_end: datetime | None,
    new: str | None,
    since: str = "",
) -> list[Located]:
    """Times that cannot be true as of `now`.

    - an emergency's notice or incident in the future of `now` (the file's commit,
      or the present for a work tree);
    - a notice more than `notice_days` days before the incident it announces;
    - a window that has ended (`window_end`, the end of the occurrence it names):
      a warning, since a record of a past change is legitimate, and an error when
      the change under review made it so (`new` says how: "is new", "names
      another window", since the revision `since`).
    """
    found: list[Located] = []
    shown_now = _instant_text(now)
    communication = rdm.communication
    notified = _aware(communication.notified_at) if communication is not None else None
    incident = _aware(rdm.incident_at)
    if notified is not None and notified > now:
        found.append(
            Located(
                ("communication", "notifiedAt"),
                f"the clients cannot have been told at {_instant_text(notified)}: that is in the "
                f"future (it is {shown_now}); write when they were told",
                "rdm-emergency-notice",
            )
        )
    if incident is not None and incident > now:
        found.append(
            Located(
                ("incidentAt",),
                f"the incident cannot begin at {_instant_text(incident)}: that is in the future "
                f"(it is {shown_now})",
                "rdm-emergency-notice",
            )
        )
    if notified is not None and incident is not None:
        early = incident - notified
        if early > timedelta(days=notice_days):
            found.append(
                Located(
                    ("communication", "notifiedAt"),
                    f"the notice ({_instant_text(notified)}) is {early.days} days before the "
                    f"incident began ({_instant_text(incident)}); a notice of this emergency "
                    f"comes at most {notice_days} day(s) before it (emergencyNoticeDays in "
                    "policy/committee.yaml): is it the notice of another change?",
                    "rdm-emergency-notice",
                )
            )
    if window_end is not None and window_end <= now and rdm.window is not None:
        if new is not None:
            found.append(
                Located(
                    ("window",),
                    f"the window of {rdm.window} ended at {_instant_text(window_end)}, before "
                    f"now ({shown_now}), and this RDM {new} since {since}: a change under "
                    "review needs a window still to come",
                    "rdm-window-past",
                )
            )
        else:
            found.append(
                Located(
                    ("window",),
                    f"the window of {rdm.window} ended at {_instant_text(window_end)}: a record "
                    "of a past change (a new RDM needs a window still to come)",
                    "rdm-window-past",
                    Level.WARNING,
                )
            )
    return found


def _aware(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _instant_text(instant: datetime) -> str:
    """`2026-12-03 06:00 -03:00`, as the calendar's decisions write an instant."""
    offset = instant.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{instant:%Y-%m-%d %H:%M} {sign}{minutes // 60:02d}:{minutes % 60:02d}"



# The dates of an RDM: (pointer, reader) for each.
_DATES: tuple[tuple[tuple[str, ...], Callable[[str], date]], ...] = (
    (("window",), dates.parse_date),
    (("homologation", "testedAt"), dates.parse_date),
    (("communication", "notifiedAt"), dates.parse_instant),
)


def _date_range(document: Document) -> list[Problem]:
    """Dates within the years rdm works with (a window in 9999 has no calendar)."""
    problems: list[Problem] = []
    for pointer, read in _DATES:
        value: Any = document.data
        for key in pointer:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and not dates.in_range(read(value)):
            problems.append(
                document.problem(
                    list(pointer), dates.out_of_range(value), "rdm-date-range", key=False
                )
            )
    return problems


def _emergency_rules(rdm: Rdm, document: Document) -> list[Problem]:
    problems: list[Problem] = []
    if rdm.incident is None:
        problems.append(
            document.problem(
                [], "an emergency RDM needs `incident`: the ticket it answers", "rdm-emergency"
            )
        )
    if rdm.communication is None:
        problems.append(
            document.problem(
                [],
                "an emergency RDM needs `communication`: proof the clients were told",
                "rdm-emergency",
            )
        )
    elif not rdm.communication.notified:
        problems.append(
            document.problem(
                ["communication", "notified"],
                "an emergency may run only once the clients know: "
                "communication.notified must be true",
                "rdm-emergency",
            )
        )
    if rdm.window is not None:
        problems.append(
            document.problem(
                ["window"],
                "an emergency runs at any hour; it has no `window`",
                "rdm-emergency-window",
            )
        )
    return problems
