"""The one way rdm prints: every line on stdout and stderr goes through here.

Commands print with `echo` (and rdm's own GitHub workflow commands with
`workflow_commands`); `guard` wraps `sys.stdout` and `sys.stderr` for the whole
run (`cli.main` and the `cli` group both install it), so that click's own
messages and anything else printed go through the same gate.

Two jobs:

- **No injected workflow command.** Under GitHub Actions (`GITHUB_ACTIONS=true`)
  the runner reads every output line, on stdout and stderr, as a possible
  workflow command (`::error …`, `::add-mask::`, `::stop-commands::`, and the
  older `##[…]` form), after leading whitespace and after `\\r` as well as
  `\\n`. A file name or a value from the repository (an RDM title, a holiday
  name, an error message) can carry such a line. Every line that would start one
  gets a backslash before its first visible character (`\\::error::x`), which
  the runner does not read as a command and a person still reads as the text it
  was. Lines are cut at every line-breaking character (`\\r`, `\\n`, `\\v`,
  `\\f`, `\\x1c`-`\\x1e`, U+0085, U+2028, U+2029), not only where the runner cuts
  them. Only `workflow_commands` writes a command line as it is: the lines that
  `reports.reporting.github` built, with properties and message escaped by
  GitHub's rules.
- **Output errors are one line.** A closed stdout, a full disk (`/dev/full`) or
  any other failed write raises `OutputError` (exit 3, one line on stderr); a
  broken pipe (`rdm … | head`) is the quiet exit 141 that any Unix tool killed
  by SIGPIPE gives (`cli.main` handles both).

Data outputs stay exact: the YAML and JSON that rdm prints never contain a line
that starts a workflow command or a line-breaking character other than `\\n`
(see `rendering.manifests` and `reports`), so the guard never changes them.

This module decides nothing about content and never reads files.
"""

from __future__ import annotations

import contextlib
import errno
import io
import re
import sys
from collections.abc import Iterator, Mapping
from typing import TextIO

import click

from rdm.model.problems import ExternalError

# What ends a line for some reader; the group keeps the break when splitting.
_BREAK = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_SPLIT = re.compile(f"([{_BREAK}])")
# A line whose visible text starts with these is a workflow command to the runner.
COMMAND_STARTS = ("::", "##[")
# Visible starts that could still become one when more text arrives.
_UNDECIDED = frozenset({":", "#", "##"})


class OutputError(ExternalError):
    """Writing to stdout or stderr failed: exit 3, or the quiet 141 for a broken pipe."""

    def __init__(self, stream: str, reason: str, *, broken_pipe: bool = False) -> None:
        super().__init__(f"cannot write to {stream}: {reason}")
        self.stream = stream
        self.broken_pipe = broken_pipe


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def neutralize(line: str) -> str:
    """`line` with a backslash before its first visible character if it would start
    a workflow command."""
    visible = line.lstrip()
    if visible.startswith(COMMAND_STARTS):
        at = len(line) - len(visible)
        return f"{line[:at]}\\{visible}"
    return line


class GuardedStream(io.TextIOBase):
    """A text stream that escapes workflow commands (when asked) and reports failed writes."""

    def __init__(self, stream: TextIO | None, name: str, *, escape: bool) -> None:
        super().__init__()
        self.stream = stream
        self.name_ = name
        self.escape = escape
        self._at_start = True
        self._pending = ""  # the start of a line that may still become a command
        self.failed = False  # a write or flush failed: what is buffered cannot go out

    # -- what click and others look at
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.stream, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.stream, "errors", "strict")

    def isatty(self) -> bool:
        try:
            return self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self.stream is None:
            raise io.UnsupportedOperation("fileno")
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    # -- writing
    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes streams with write(b"")
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not self.escape:
            self._raw(text)
            return len(text)
        out: list[str] = []
        for piece in _SPLIT.split(text):
            if not piece:
                continue
            if piece in _BREAK:
                out.append(self._release())
                out.append(piece)
                self._at_start = True
            elif self._at_start:
                self._pending += piece
                visible = self._pending.lstrip()
                if not visible or visible in _UNDECIDED:
                    continue  # not yet known whether this line starts a command
                out.append(self._release())
                self._at_start = False
            else:
                out.append(piece)
        self._raw("".join(out))
        return len(text)

    def write_trusted(self, line: str) -> None:
        """One line rdm means as a workflow command, written as it is."""
        self._raw(self._release())
        self._at_start = True
        self._raw(line + "\n")

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise self._failure(exc) from exc

    def finish(self) -> None:
        """Write what is held back (a last line without a line break) and flush."""
        self._raw(self._release())
        self.flush()

    def _release(self) -> str:
        held, self._pending = self._pending, ""
        return neutralize(held) if held else ""

    def _raw(self, text: str) -> None:
        if not text:
            return
        if self.stream is None:
            self.failed = True
            raise OutputError(self.name_, "it is closed")
        buffer = getattr(self.stream, "buffer", None)
        try:
            if buffer is None:
                self.stream.write(text)
                return
            # Bytes to the binary layer, in a loop: a text stream's write drops
            # the rest of a partial write (a pipe whose reader left) in silence.
            # backslashreplace: a file name that is not valid UTF-8 is shown, not fatal.
            data = memoryview(text.encode(self.encoding, "backslashreplace"))
            self.stream.flush()  # whatever reached the text layer some other way goes first
            while data:
                written = buffer.write(data)
                if not written:
                    raise OSError(errno.EAGAIN, "the output does not take more")
                data = data[written:]
        except (OSError, ValueError) as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: Exception) -> OutputError:
        self.failed = True
        if isinstance(exc, BrokenPipeError):
            return OutputError(self.name_, "the reader went away", broken_pipe=True)
        if isinstance(exc, OSError):
            return OutputError(self.name_, exc.strerror or str(exc))
        return OutputError(self.name_, "it is closed")


@contextlib.contextmanager
def guard(environ: Mapping[str, str]) -> Iterator[None]:
    """Route sys.stdout and sys.stderr through `GuardedStream` for the block.

    Nested uses (cli.main, then the click group it runs) install it once.
    """
    if isinstance(sys.stdout, GuardedStream):
        yield
        return
    escape = in_github_actions(environ)
    saved = sys.stdout, sys.stderr
    out = GuardedStream(sys.stdout, "standard output", escape=escape)
    err = GuardedStream(sys.stderr, "standard error", escape=escape)
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream in (out, err):
            # cli.main finishes stdout itself, where a failure can still be reported
            with contextlib.suppress(OutputError):
                stream.finish()


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print `text` (a line, or several) on stdout, or on stderr with `err`."""
    click.echo(text, err=err, nl=nl)


def workflow_commands(text: str) -> None:
    """Print the output of `reports.reporting.github`: its `::` lines are rdm's own
    workflow commands and go out as they are; any other line is guarded as usual."""
    stream = sys.stdout
    for line in text.split("\n"):
        if isinstance(stream, GuardedStream) and line.startswith("::"):
            stream.write_trusted(line)
        else:
            echo(line)
