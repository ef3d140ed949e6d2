"""How `rdm monitors` prints its findings: aligned text or JSON. Pure: returns text.

Names and URLs come from the monitoring service and are hostile: line breaks,
tabs, terminal escapes and bidi overrides in them are shown escaped, so one
monitor is always one line and never drives the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdm.decisions.monitors import Finding
from rdm.model.problems import one_line
from rdm.reports import jsontext
from rdm.reports.printable import printable


def _shown(value: str) -> str:
    return printable(one_line(value))


def text(findings: Sequence[Finding], summary: str) -> str:
    width = max((len(_shown(f.name)) for f in findings), default=0)
    state_width = max((len(f.state.value) for f in findings), default=0)
    lines = []
    for finding in findings:
        name = _shown(finding.name).ljust(width)
        state = finding.state.value.ljust(state_width)
        message = _shown(finding.message)
        lines.append(f"{name}  {state}  {message}".rstrip())
    lines.append(summary)
    return "\n".join(lines) + "\n"


def as_json(findings: Sequence[Finding], summary: str) -> str:
    return (
        jsontext.dumps(
            {
                "monitors": [
                    {
                        "orgId": f.org_id,
                        "name": f.name,
                        "state": f.state.value,
                        "message": f.message,
                        "url": f.url,
                        "id": f.monitor_id,
                    }
                    for f in findings
                ],
                "summary": summary,
            },
            indent=2,
        )
        + "\n"
    )
