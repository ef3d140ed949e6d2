"""`rdm list`: every RDM with its lifecycle state, priority, window and targets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rdm.commands import _people
from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_OK, parse_date, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.decisions import calendar
from rdm.decisions.lifecycle import State
from rdm.i18n import N_
from rdm.reports import lifecycle_report


@click.command(
    "list",
    cls=TranslatedCommand,
    help=N_(
        "Every RDM with its state (draft, submitted, approved, scheduled, executed, "
        "reviewed...), priority, window and targets, and the committee's verdict when "
        "GITHUB_TOKEN is set. The state is derived from git, GitHub and the execution "
        "records, never typed."
    ),
)
@repo_option
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in State]),
    help=N_("Only RDMs in this state (repeatable)."),
)
@click.option(
    "--window",
    metavar="DATE",
    callback=parse_date,
    help=N_("Only RDMs of this window (its scheduled date or, when moved, its new date)."),
)
@click.option("--org", "org", metavar="ORG_ID", help=N_("Only RDMs that target this client."))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("Output format."),
)
@_people.at_option
@_people.repo_slug_option
def command(
    repo: Path,
    states: tuple[str, ...],
    window: date | None,
    org: str | None,
    output: str,
    at: str | None,
    repo_slug: str | None,
) -> int:
    people = _people.load(repo, parse_instant(at), repo_slug)
    statuses = people.statuses
    if states:
        statuses = [s for s in statuses if s.state.value in states]
    if window is not None:
        asked = calendar.window_for_date(people.policy, window)
        statuses = [
            s
            for s in statuses
            if (asked is not None and s.window is not None and s.window.start == asked.start)
            or s.rdm.window == window
        ]
    if org is not None:
        statuses = [s for s in statuses if org in s.rdm.targets]
    if output == "json":
        echo(lifecycle_report.list_json(statuses, people.policy, people.gathered.notes))
    else:
        echo(lifecycle_report.list_text(statuses, people.policy, people.with_github))
    return EXIT_OK
