"""Dates and instants as rdm reads them from files: strict forms, bounded years.

The schemas' `date` and `date-time` formats, the calendar policy and the RDMs
all read dates through here, so that one rule holds everywhere: a date is
``YYYY-MM-DD`` and an instant RFC 3339 with an offset, in ASCII digits (Python's
``fromisoformat`` alone also takes ``20261203``, ``2026-W49-4`` and more), and a
year is between `FIRST_YEAR` and `LAST_YEAR`. The calendar looks years ahead
and behind every date it is given; near year 1 or 9999 that arithmetic would
overflow ``datetime``, so a date outside the range is a finding, never a value
the decisions see.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# The years rdm works with, in files and on the command line (`--at`, `--from`).
FIRST_YEAR, LAST_YEAR = 1970, 2999
YEARS = f"{FIRST_YEAR}-{LAST_YEAR}"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date; ValueError for any other form or an impossible day."""
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    return date.fromisoformat(text)


def parse_instant(text: str) -> datetime:
    """An RFC 3339 date and time with an offset; ValueError otherwise."""
    if not _DATE_TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not a date and time with an offset")
    parsed = datetime.fromisoformat(text)  # 3.11+: takes Z and fractions past microseconds
    if parsed.utcoffset() is None:  # pragma: no cover - the form requires an offset
        raise ValueError(f"{text!r} has no offset")
    return parsed


def in_range(value: date) -> bool:
    """Is the (local, as written) year one rdm works with?"""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def out_of_range(text: str) -> str:
    """The finding's wording for a date or instant outside the years."""
    return f"{text} is outside the years {YEARS} rdm works with"


__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "YEARS",
    "in_range",
    "out_of_range",
    "parse_date",
    "parse_instant",
]
