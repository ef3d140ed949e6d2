"""Exit codes, options and option parsers shared by the commands.

Parsing only: a value that cannot be read is a `click.BadParameter` (exit 2);
nothing here loads files or decides anything.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

# DESIGN.md: 0 ok; 1 the input is wrong or a gate said no; 2 usage; 3 an outside system failed.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_EXTERNAL = 0, 1, 2, 3

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
        raise click.BadParameter(
            f"{value!r} has no offset; write e.g. {value}-03:00 or {value}Z", param_hint=option
        )
    return instant


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A click callback for a YYYY-MM-DD option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc
