"""How problems are printed: text, JSON or GitHub workflow commands.

Results are kept apart from their printing (as check-jsonschema does): a
reporter takes the problems and a file count and returns text. Chosen by name;
`github` is the default under GitHub Actions so findings land on the PR's lines.
A reporter never prints, reads the environment (`default_format` is handed it)
or drops, reorders or re-words a problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rdm.model.problems import Level, Problem, visible
from rdm.reports import jsontext


@dataclass(frozen=True)
class RdmSummary:
    """One RDM as `rdm validate --format json` lists it, with its derived priority."""

    id: str
    path: str
    type: str
    window: str | None
    targets: tuple[str, ...]
    priority: str | None  # None when policy/priorities.yaml cannot be read

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "path": self.path,
            "type": self.type,
            "window": self.window,
            "targets": list(self.targets),
            "priority": self.priority,
        }


class Reporter(Protocol):
    """Problems, the number of files checked and (optionally) the RDMs checked -> text."""

    def __call__(
        self, problems: Sequence[Problem], files: int, rdms: Sequence[RdmSummary] = ...
    ) -> str: ...


def text(problems: Sequence[Problem], files: int, rdms: Sequence[RdmSummary] = ()) -> str:
    return "\n".join([*(str(p) for p in problems), _summary(problems, files)])


def _summary(problems: Sequence[Problem], files: int) -> str:
    errors = sum(1 for p in problems if p.level == Level.ERROR)
    return f"{files} file(s) checked: {errors} error(s), {len(problems) - errors} warning(s)"


def as_json(problems: Sequence[Problem], files: int, rdms: Sequence[RdmSummary] = ()) -> str:
    payload = {
        "files": files,
        "rdms": [rdm.as_json() for rdm in rdms],
        "problems": [
            {
                "path": p.path,
                "line": p.line,
                "col": p.col,
                "level": str(p.level),
                "message": p.message,
                "rule": p.rule,
            }
            for p in problems
        ],
    }
    return jsontext.dumps(payload, indent=2)


# Line breaks other than \r and \n, which GitHub's encoding does not cover: some
# readers of a log end a line there, so they are written as escapes, as text.
_OTHER_BREAKS = str.maketrans({ch: f"\\u{ord(ch):04x}" for ch in "\u2028\u2029"})


def _escape_data(value: str) -> str:
    # GitHub's workflow-command encoding: these characters would end the message.
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    # Other controls (\v, U+0085, ESC…) as visible escapes: the log is read on a
    # terminal too, and this line goes out as it is.
    return visible(escaped).translate(_OTHER_BREAKS)


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(problems: Sequence[Problem], files: int, rdms: Sequence[RdmSummary] = ()) -> str:
    lines = [
        f"::{p.level} file={_escape_property(p.path)},line={p.line},col={p.col},"
        f"title={_escape_property(p.rule)}::{_escape_data(p.message)}"
        for p in problems
    ]
    lines.append(_summary(problems, files))
    return "\n".join(lines)


REPORTERS: Mapping[str, Reporter] = {"text": text, "json": as_json, "github": github}


def default_format(environ: Mapping[str, str]) -> str:
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"


def workflow_data(value: str) -> str:
    """`value` as the data of a workflow command of rdm's own (`::error ...::data`),
    for the other reports that speak to the runner."""
    return _escape_data(value)
