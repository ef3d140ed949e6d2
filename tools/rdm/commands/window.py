"""`rdm window`: may a change run at an instant?"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from rdm.commands import output
from rdm.commands._calendar_policy import load_policy
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_instant, repo_option
from rdm.decisions import calendar
from rdm.reports import calendar_report


@click.command("window")
@repo_option
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="The instant to decide for, with an offset (e.g. 2026-12-03T01:00:00-03:00 or "
    "...Z). Default: now.",
)
@click.option("--emergency", is_flag=True, help="Decide for an emergency change (always open).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(calendar_report.DECISION_FORMATS)),
    default="text",
    show_default=True,
    help="Output format.",
)
def command(repo: Path, at: str | None, emergency: bool, output_format: str) -> int:
    """Is a change allowed to run at an instant? Exit 0 when open, 1 when closed."""
    instant = parse_instant(at) or datetime.now(UTC)
    policy = load_policy(repo)  # prints the problems of a broken policy
    if policy is None and not emergency:
        return EXIT_FINDINGS
    decision = (
        calendar.window_at(policy, instant, emergency=emergency)
        if policy is not None
        else calendar.emergency_without_policy(instant)
    )
    output.echo(calendar_report.DECISION_FORMATS[output_format](decision))
    return EXIT_OK if decision.open else EXIT_FINDINGS
