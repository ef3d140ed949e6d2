"""`rdm calendar`: the schedule of windows, meetings, deadlines and freezes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from rdm.commands import output
from rdm.commands._calendar_policy import load_policy, window_rdms
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_date, repo_option
from rdm.decisions import calendar
from rdm.reports import calendar_report


@click.command("calendar")
@repo_option
@click.option(
    "--from",
    "first",
    metavar="DATE",
    callback=parse_date,
    help="First day (YYYY-MM-DD) in the policy's zone. Default: today there.",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=8,
    show_default=True,
    help="How many weeks to list.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(calendar_report.SCHEDULE_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
def command(repo: Path, first: date | None, weeks: int, output_format: str) -> int:
    """The schedule: windows with their RDMs (and priorities), committee meetings with
    their deadlines, holidays, moves, cancellations, freezes, and warnings for
    meetings on holidays."""
    policy = load_policy(repo)
    if policy is None:
        return EXIT_FINDINGS
    now = datetime.now(UTC)
    start = first if first is not None else now.astimezone(policy.zone).date()
    schedule = calendar.schedule(policy, start, weeks)
    rdms = window_rdms(repo, policy)
    if output_format == "ics":
        output.echo(calendar_report.schedule_ics(schedule, now, rdms), nl=False)
        for warning in schedule.warnings:
            output.echo(f"warning: {warning}", err=True)
    elif output_format == "json":
        output.echo(calendar_report.schedule_json(schedule, rdms))
    else:
        output.echo(calendar_report.schedule_text(schedule, rdms))
    return EXIT_OK
