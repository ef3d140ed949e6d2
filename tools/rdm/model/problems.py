"""Problems found in content: values with a position, never exceptions.

A `Problem` is what `rdm validate` prints, one per line, as
`path:line:col: level: message [rule]`. Lines and columns are 1-based, as editors
count them. Problems sort by path, then position, then rule, so output is stable.

This module must never do I/O; printing lives in `reporting`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    level: Level
    message: str
    rule: str

    def __str__(self) -> str:
        # A file name can carry a line break as well as a message can.
        path, message = one_line(self.path), one_line(self.message)
        return f"{path}:{self.line}:{self.col}: {self.level}: {message} [{self.rule}]"


@dataclass(frozen=True)
class Located:
    """A problem known by the key it is about, before its line and column are looked up.

    Rules that see several files at once work on models, without the files'
    node trees; the caller turns each into a `Problem` with the document's
    position of `pointer`.
    """

    pointer: tuple[str | int, ...]
    message: str
    rule: str
    level: Level = Level.ERROR
    key: bool = True


@dataclass(frozen=True)
class Position:
    """Where a value starts in its file (1-based)."""

    line: int
    col: int


START = Position(1, 1)


# Every character that ends a line somewhere: in a terminal, in Python's
# splitlines, in a CI log reader. Tabs are escaped too, for the columns.
_BREAKS = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\f": "\\f",
    "\x1c": "\\x1c",
    "\x1d": "\\x1d",
    "\x1e": "\\x1e",
    "\x85": "\\x85",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_BREAK_TABLE = str.maketrans(_BREAKS)


def one_line(text: str) -> str:
    """`text` with every line-breaking character (and tab) escaped: one finding, one
    line, whatever a value or a file name contains."""
    return text.translate(_BREAK_TABLE)


# What a terminal acts on, or what reorders the text around it: the C0 controls
# but tab and line feed (ESC starts CSI, OSC 52 clipboard writes, OSC 8 links;
# CR overwrites the line), DEL, the C1 controls (U+009B is CSI on its own), and
# Unicode's Bidi_Control characters (U+202E RIGHT-TO-LEFT OVERRIDE and its kin).
TERMINAL_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
TERMINAL_CONTROL = re.compile(f"[{TERMINAL_CONTROLS}]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"  # as Python's repr writes it
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character in `TERMINAL_CONTROLS` written as a visible
    escape (`\\x1b`, `\\u202e`): what a person reads, never what drives a terminal."""
    return TERMINAL_CONTROL.sub(_shown, text)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.level is Level.ERROR for p in problems)


class RdmError(Exception):
    """Base of the project's own exceptions: an outside system or the invocation failed."""


class UsageError(RdmError):
    """The command line is wrong (exit 2)."""


class ExternalError(RdmError):
    """An outside system (GitHub, the cluster, git) failed after retries (exit 3)."""
