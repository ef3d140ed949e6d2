"""A new RDM from the answers of `rdm new`: the next free id, each answer's check
and the file's text.

Pure: the answers, the ids that exist and the year come in; a mapping and YAML
text go out. Each answer is checked against the RDM schema as it is typed
(`answer_problem`); checking the whole result is the repository's job (the same
rules as `rdm validate`), writing it the edge's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from rdm.i18n import N_, _
from rdm.model import schemas

_ID = re.compile(r"^RDM-([0-9]{4})-([0-9]{4})\Z")
MAX_SEQUENCE = 9999


def next_id(existing: Iterable[str], year: int) -> str | None:
    """`RDM-<year>-<n+1>` after the highest sequence of that year; None when 9999 is taken."""
    highest = 0
    for rdm_id in existing:
        match = _ID.fullmatch(rdm_id)
        if match and int(match.group(1)) == year:
            highest = max(highest, int(match.group(2)))
    return None if highest >= MAX_SEQUENCE else f"RDM-{year}-{highest + 1:04d}"


@dataclass(frozen=True)
class Answers:
    title: str
    type: str
    category: str
    requester: str
    description: str
    opinion_author: str
    opinion: str
    risk: str | None
    impact: str
    urgency: str
    targets: tuple[str, ...]
    environments: tuple[str, ...]
    window: str | None  # YYYY-MM-DD; None for emergencies
    estimate: str
    rollback_plan: str
    rollback_estimate: str
    homologation_environment: str
    evidence: str
    tested_by: str
    incident: str | None = None
    notice: str | None = None
    notified_at: str | None = None
    template: str | None = None


def mapping(rdm_id: str, answers: Answers) -> dict[str, Any]:
    """The RDM as the schema wants it, keys in the order people read them."""
    opinion: dict[str, Any] = {"author": answers.opinion_author, "text": answers.opinion}
    if answers.risk:
        opinion["risk"] = answers.risk
    data: dict[str, Any] = {
        "id": rdm_id,
        "title": answers.title,
        "type": answers.type,
    }
    if answers.template:
        data["template"] = answers.template
    data |= {
        "category": answers.category,
        "requester": answers.requester,
        "description": answers.description,
        "technicalOpinion": opinion,
        "impact": answers.impact,
        "urgency": answers.urgency,
        "targets": list(answers.targets),
        "environments": list(answers.environments),
    }
    if answers.window is not None:
        data["window"] = answers.window
    data |= {
        "estimatedDuration": answers.estimate,
        "rollback": {"plan": answers.rollback_plan, "estimatedDuration": answers.rollback_estimate},
        "homologation": {
            "environment": answers.homologation_environment,
            "evidence": answers.evidence,
            "testedBy": answers.tested_by,
        },
    }
    if answers.incident is not None:
        data["incident"] = answers.incident
    if answers.notice is not None:
        data["communication"] = {
            "notified": answers.notified_at is not None,
            "notice": answers.notice,
            **({"notifiedAt": answers.notified_at} if answers.notified_at else {}),
        }
    return data


def to_yaml(data: Mapping[str, Any]) -> str:
    """The file's text: the editor's schema line, then the RDM.

    PyYAML quotes every string a YAML 1.1 or 1.2 reader could take for another
    type (`no`, `06:00`, `2026-12-03`), so the file reads back as written.
    """
    body = yaml.safe_dump(
        dict(data), allow_unicode=True, sort_keys=False, width=88, default_flow_style=False
    )
    return "# yaml-language-server: $schema=../../schemas/rdm.schema.json\n" + body


# Where each free-text answer of the form goes in the file (for the schema's rules).
ANSWER_PATHS: Mapping[str, tuple[str, ...]] = {
    "title": ("title",),
    "requester": ("requester",),
    "description": ("description",),
    "opinion_author": ("technicalOpinion", "author"),
    "opinion": ("technicalOpinion", "text"),
    "rollback_plan": ("rollback", "plan"),
    "evidence": ("homologation", "evidence"),
    "tested_by": ("homologation", "testedBy"),
    "incident": ("incident",),
    "notice": ("communication", "notice"),
    "notified_at": ("communication", "notifiedAt"),
    "window": ("window",),
}
# What a person is told when an answer does not have the form the schema wants.
_LOGIN = N_("{value!r} is not a GitHub login (letters, digits and single hyphens, up to 39)")
_FORMS: Mapping[str, str] = {
    "requester": _LOGIN,
    "opinion_author": _LOGIN,
    "tested_by": _LOGIN,
    "incident": N_("{value!r} is not a ticket id like INC-20931"),
    "notified_at": N_(
        "{value!r} is not a date and time with its offset, like 2026-11-26T08:15:00-03:00"
    ),
    "window": N_("{value!r} is not a date YYYY-MM-DD"),
}


def answer_problem(name: str, value: str) -> str | None:
    """What `rdm validate` would refuse in this one answer, said for a person; None if fine.

    The answer is checked against the RDM schema at its place in the file (the
    same schema, so the form and the file never disagree); the other fields'
    absence is not this answer's problem.
    """
    path = ANSWER_PATHS.get(name)
    if path is None:
        return None
    instance: Any = value
    for key in reversed(path):
        instance = {key: instance}
    for error in schemas.validator("rdm").iter_errors(instance):
        if tuple(error.absolute_path) != path:
            continue  # "required" and the like, about fields not asked yet
        limit = error.validator_value
        if error.validator == "minLength":
            return _("{value!r} is too short: at least {n} characters").format(value=value, n=limit)
        if error.validator == "maxLength":
            return _("too long: at most {n} characters (this one has {length})").format(
                n=limit, length=len(value)
            )
        if name in _FORMS:
            return _(_FORMS[name]).format(value=value)
        return str(error.message)
    return None
