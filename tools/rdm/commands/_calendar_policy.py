"""Loading `policy/calendar.yaml` for the calendar commands (`window`, `calendar`).

Not a command: the shared edge of the two, so that both refuse a broken policy
the same way (problems on stderr, exit 1) and neither repeats the checks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rdm.commands import output
from rdm.decisions import calendar
from rdm.edges.repository import load_repository
from rdm.edges.sources import WorkTree
from rdm.model.rdms import ChangeType

POLICY = "policy/calendar.yaml"


def load_policy(repo: Path) -> calendar.CalendarPolicy | None:
    """The policy, or None after printing every problem found in it."""
    repository = load_repository(WorkTree(repo, str(repo)), only=[POLICY])
    if repository.calendar is None or not repository.ok:
        for problem in repository.problems:
            output.echo(str(problem), err=True)
        return None
    return repository.calendar


def window_rdms(
    repo: Path, policy: calendar.CalendarPolicy
) -> dict[date, tuple[tuple[str, str | None], ...]]:
    """The RDMs of each window with their derived priority. RDM files that cannot
    be read are left out silently: `rdm validate` is where they are reported."""
    repository = load_repository(
        WorkTree(repo, str(repo)), only=["rdms", "policy/priorities.yaml"]
    )
    return calendar.rdms_by_window(
        policy,
        (
            (rdm.id, rdm.window, repository.priority(rdm))
            for rdm in repository.rdms.values()
            if rdm.window is not None and rdm.type is not ChangeType.EMERGENCY
        ),
    )
