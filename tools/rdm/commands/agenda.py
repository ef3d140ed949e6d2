"""`rdm agenda`: the agenda of a change-committee meeting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rdm.commands import _people
from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_OK, parse_date, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.decisions import agenda as agendas
from rdm.i18n import N_, _
from rdm.model.problems import UsageError
from rdm.reports import agenda_report


@click.command(
    "agenda",
    cls=TranslatedCommand,
    help=N_(
        "The agenda of a committee meeting: normal RDMs submitted before its deadline, "
        "late ones with the window they can still make, emergencies to ratify and results "
        "to review; each member's vote when GITHUB_TOKEN is set."
    ),
)
@repo_option
@click.option(
    "--meeting",
    metavar="DATE",
    callback=parse_date,
    help=N_(
        "The meeting's date (or the date it was scheduled for, when moved). "
        "Default: the next meeting."
    ),
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["md", "html", "json"]),
    default="md",
    show_default=True,
    help=N_("Output format."),
)
@_people.at_option
@_people.repo_slug_option
def command(
    repo: Path, meeting: date | None, output: str, at: str | None, repo_slug: str | None
) -> int:
    people = _people.load(repo, parse_instant(at), repo_slug)
    policy = people.policy
    found = (
        agendas.meeting_on(policy, meeting)
        if meeting is not None
        else agendas.next_meeting(policy, people.now)
    )
    if found is None:
        raise UsageError(
            _("no committee meeting on {day} (see `rdm calendar`)").format(day=meeting)
            if meeting is not None
            else _("no committee meeting in the next weeks (see `rdm calendar`)")
        )
    # SEAM (issue 12): pass rdm.decisions.conflicts' window check here when it lands.
    result = agendas.build(people.statuses, policy, found, checker=None)
    if output == "json":
        echo(agenda_report.agenda_json(result, policy))
    elif output == "html":
        echo(agenda_report.agenda_html(result, policy, people.with_github), nl=False)
    else:
        echo(agenda_report.agenda_md(result, policy, people.with_github), nl=False)
    return EXIT_OK
