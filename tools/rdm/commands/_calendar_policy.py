"""Loading `policy/calendar.yaml` for the calendar commands (`window`, `calendar`).

Not a command: the shared edge of the two, so that both refuse a broken policy
the same way (problems on stderr, exit 1) and neither repeats the checks.
"""

from __future__ import annotations

from pathlib import Path

import click

from rdm import calendar, schemas
from rdm.documents import WorkTree, load

POLICY = "policy/calendar.yaml"


def load_policy(repo: Path) -> calendar.CalendarPolicy | None:
    """The policy, or None after printing every problem found in it."""
    result = load(WorkTree(repo, str(repo)), POLICY)
    problems = list(result.problems)
    document = result.document
    if document is not None:
        problems = schemas.check(document, "calendar")
        if not problems:
            problems = calendar.check_policy(document)
    if problems or document is None:
        for problem in sorted(problems):
            click.echo(str(problem), err=True)
        return None
    return calendar.CalendarPolicy.from_mapping(document.data)
