"""Options and parsers shared by several commands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

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
