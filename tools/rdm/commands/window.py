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
    if emergency:
        return _emergency(repo, instant, output_format)
    policy = load_policy(repo)  # prints the problems of a broken policy
    if policy is None:
        return EXIT_FINDINGS
    decision = calendar.window_at(policy, instant)
    _warn(decision)
    output.echo(calendar_report.DECISION_FORMATS[output_format](decision))
    return EXIT_OK if decision.open else EXIT_FINDINGS


def _emergency(repo: Path, instant: datetime, output_format: str) -> int:
    """Open, whatever the policy files hold: the fix of an incident is never held up.

    The normal windows are described when the policy can be read; a policy that
    cannot (missing, broken, hostile, or one that trips a fault in rdm itself)
    is reported on stderr and the answer stays open.
    """
    try:
        policy = load_policy(repo)  # prints the problems of a broken policy
        decision = (
            calendar.window_at(policy, instant, emergency=True)
            if policy is not None
            else calendar.emergency_without_policy(instant)
        )
        text = calendar_report.DECISION_FORMATS[output_format](decision)
        _warn(decision)
    except Exception as exc:  # on purpose: nothing in the policy may block an emergency
        output.echo(
            f"rdm: warning: the calendar policy could not be used ({type(exc).__name__}); "
            "emergency changes may run at any time",
            err=True,
        )
        decision = calendar.emergency_without_policy(instant)
        text = calendar_report.DECISION_FORMATS[output_format](decision)
    output.echo(text)
    return EXIT_OK


def _warn(decision: calendar.WindowDecision) -> None:
    for warning in decision.warnings:
        output.echo(f"warning: {warning}", err=True)
