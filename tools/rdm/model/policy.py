"""Policy files other than the calendar: committees, priorities, standard changes.

Each model is built from a schema-valid mapping; `check_*` functions hold the
rules a schema cannot say. Pure: no I/O. The calendar has its own module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdm.model.documents import Document
from rdm.model.problems import Problem

LEVELS = ("high", "medium", "low")
DEFAULT_EMERGENCY_NOTICE_DAYS = 2


@dataclass(frozen=True)
class Committee:
    name: str  # "CM" or "CME"
    members: tuple[str, ...]


@dataclass(frozen=True)
class CommitteePolicy:
    cm: Committee
    cme: Committee
    emergency_labelers: tuple[str, ...]
    change_managers: tuple[str, ...]
    delegates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # how many days an emergency's client notice may precede its incident
    emergency_notice_days: int = DEFAULT_EMERGENCY_NOTICE_DAYS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CommitteePolicy:
        committees = data["committees"]
        return cls(
            cm=Committee("CM", tuple(committees["CM"]["members"])),
            cme=Committee("CME", tuple(committees["CME"]["members"])),
            emergency_labelers=tuple(data["emergencyLabelers"]),
            change_managers=tuple(data["changeManagers"]),
            delegates={k: tuple(v) for k, v in data.get("delegates", {}).items()},
            emergency_notice_days=data.get("emergencyNoticeDays", DEFAULT_EMERGENCY_NOTICE_DAYS),
        )

    def everyone(self) -> tuple[str, ...]:
        """Every login the policy names, in a stable order (for CODEOWNERS)."""
        seen: dict[str, None] = {}
        for login in (*self.cm.members, *self.cme.members, *self.change_managers):
            seen.setdefault(login, None)
        return tuple(seen)


def check_committee(document: Document) -> list[Problem]:
    """Members and labelers are distinct, non-empty lists; delegates stand in for members."""
    data = document.data
    problems: list[Problem] = []
    lists: list[tuple[list[str | int], Sequence[str]]] = [
        (["committees", "CM", "members"], data["committees"]["CM"]["members"]),
        (["committees", "CME", "members"], data["committees"]["CME"]["members"]),
        (["emergencyLabelers"], data["emergencyLabelers"]),
        (["changeManagers"], data["changeManagers"]),
    ]
    for pointer, logins in lists:
        label = ".".join(str(p) for p in pointer)
        if not logins:
            problems.append(
                document.problem(
                    pointer, f"{label} is empty; name at least one person", "committee-members"
                )
            )
        seen: set[str] = set()
        for index, login in enumerate(logins):
            if login.lower() in seen:
                problems.append(
                    document.problem(
                        [*pointer, index],
                        f"{login} appears twice in {label}",
                        "committee-members",
                        key=False,
                    )
                )
            seen.add(login.lower())
    members = {
        m.lower()
        for m in (*data["committees"]["CM"]["members"], *data["committees"]["CME"]["members"])
    }
    for member, substitutes in data.get("delegates", {}).items():
        if member.lower() not in members:
            problems.append(
                document.problem(
                    ["delegates", member],
                    f"{member} is not a member of CM or CME; only members have delegates",
                    "committee-delegates",
                )
            )
        if member.lower() in {s.lower() for s in substitutes}:
            problems.append(
                document.problem(
                    ["delegates", member],
                    f"{member} cannot be their own delegate",
                    "committee-delegates",
                )
            )
    return problems


@dataclass(frozen=True)
class PriorityMatrix:
    table: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PriorityMatrix:
        return cls({impact: dict(row) for impact, row in data["matrix"].items()})

    def priority(self, impact: str, urgency: str) -> str:
        return self.table[impact][urgency]


def check_priorities(document: Document) -> list[Problem]:
    """Priority never falls as impact or urgency rises (P1 is the highest)."""
    matrix = document.data["matrix"]
    problems: list[Problem] = []
    rank = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}
    for i, impact in enumerate(LEVELS):
        for j, urgency in enumerate(LEVELS):
            here = rank[matrix[impact][urgency]]
            below = [matrix[LEVELS[i + 1]][urgency]] if i + 1 < len(LEVELS) else []
            right = [matrix[impact][LEVELS[j + 1]]] if j + 1 < len(LEVELS) else []
            if any(rank[p] < here for p in below + right):
                problems.append(
                    document.problem(
                        ["matrix", impact, urgency],
                        f"{impact} impact x {urgency} urgency gives {matrix[impact][urgency]}, "
                        "lower than a less severe cell; the matrix must not invert",
                        "priorities-monotonic",
                        key=False,
                    )
                )
    return problems


@dataclass(frozen=True)
class StandardTemplate:
    name: str
    description: str
    fields: tuple[str, ...]
    image_tags: str | None
    workloads: tuple[str, ...] | None
    environments: tuple[str, ...] | None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StandardTemplate:
        allows = data["allows"]
        return cls(
            name=data["name"],
            description=data["description"],
            fields=tuple(allows.get("fields", ())),
            image_tags=allows.get("imageTags"),
            workloads=tuple(allows["workloads"]) if "workloads" in allows else None,
            environments=tuple(allows["environments"]) if "environments" in allows else None,
        )


def standard_templates(data: Mapping[str, Any]) -> dict[str, StandardTemplate]:
    return {t["name"]: StandardTemplate.from_mapping(t) for t in data["templates"]}


def check_standard_changes(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, template in enumerate(document.data["templates"]):
        if template["name"] in seen:
            problems.append(
                document.problem(
                    ["templates", index, "name"],
                    f"template {template['name']} is defined twice",
                    "standard-duplicate",
                )
            )
        seen.add(template["name"])
        # A change may only touch paths that match `fields`; the other keys narrow
        # it further. Without a field there is nothing a change could touch.
        if not template["allows"].get("fields"):
            problems.append(
                document.problem(
                    ["templates", index, "allows"],
                    "a template that allows no field (`allows.fields`) allows nothing; "
                    "list the topology paths a change may alter",
                    "standard-empty",
                )
            )
    return problems
