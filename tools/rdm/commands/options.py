"""Exit codes, options and option parsers shared by the commands.

Parsing only: a value that cannot be read is a `click.BadParameter` (exit 2);
nothing here loads files or decides anything.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from rdm.model.dates import FIRST_YEAR, LAST_YEAR

# DESIGN.md: 0 ok; 1 the input is wrong or a gate said no; 2 usage; 3 an outside system failed.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_EXTERNAL = 0, 1, 2, 3
# stdout's reader went away (`rdm … | head`): what a process killed by SIGPIPE
# gives, without a message, as `yes | head` does.
EXIT_BROKEN_PIPE = 128 + 13


repo_option = click.option(
    "--repo",
    "repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Root of the RDM repository (rdms/, topologies/, policy/).",
)


def parse_instant(value: str | None, option: str = "--at") -> datetime | None:
    """An ISO 8601 instant that must carry an offset (Z or ±hh:mm)."""
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 instant", param_hint=option
        ) from exc
    if instant.tzinfo is None or instant.utcoffset() is None:
        example = value if "T" in value or " " in value else f"{value}T00:00:00"
        raise click.BadParameter(
            f"{value!r} has no offset; write e.g. {example}-03:00 or {example}Z",
            param_hint=option,
        )
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        # Calendars look years ahead and behind; far dates overflow datetime.
        raise click.BadParameter(
            f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR} rdm works with",
            param_hint=option,
        )
    return instant


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A click callback for a YYYY-MM-DD option."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise click.BadParameter(f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return day
