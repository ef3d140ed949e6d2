"""The one way rdm prints: every line on stdout and stderr goes through here.

Commands print with `echo` (and rdm's own GitHub workflow commands with
`workflow_commands`); `guard` wraps `sys.stdout` and `sys.stderr` for the whole
run (`cli.main` and the `cli` group both install it), so that click's own
messages and anything else printed go through the same gate.

Three jobs:

- **No value drives the terminal.** Every control character a terminal acts on
  (`rdm.model.problems.TERMINAL_CONTROLS`: C0 but tab and line feed, DEL, C1,
  the bidirectional controls) is written as a visible escape (`\\x1b`,
  `\\u202e`), always, with or without Actions; a CRLF stays a line end (the
  iCalendar output). Data outputs escape them in their own syntax first.

- **No injected workflow command.** Under GitHub Actions (`GITHUB_ACTIONS=true`)
  the runner reads every output line, on stdout and stderr, as a possible
  workflow command: `::error …`, `::add-mask::`, `::stop-commands::` after
  leading whitespace and after `\\r` as well as `\\n`, and the older `##[…]`
  form anywhere in a line (`ActionCommand.TryParse` finds it with `IndexOf`).
  A file name or a value from the repository (an RDM title, a holiday name, an
  error message) can carry either. Every line that would start one gets a
  backslash before its first visible character (`\\::error::x`), and every
  `##[` is written `##\\[`; the runner reads neither as a command and a person
  still reads the text it was. Lines are cut at every line-breaking character
  (`\\r`, `\\n`, `\\v`, `\\f`, `\\x1c`-`\\x1e`, U+0085, U+2028, U+2029), not
  only where the runner cuts them. Only `workflow_commands` writes a command
  line as it is: the lines that `reports.reporting.github` built, with
  properties and message escaped by GitHub's rules.
- **Output errors are one line.** A closed stdout, a full disk (`/dev/full`) or
  any other failed write raises `OutputError` (exit 3, one line on stderr); a
  broken pipe (`rdm … | head`) is the quiet exit 141 that any Unix tool killed
  by SIGPIPE gives (`cli.main` handles both).

Data outputs stay exact: the YAML, JSON, iCalendar and HTML that rdm prints
never contain a line that starts a workflow command, a `##[`, or a
line-breaking character other than `\\n` (see `rendering.manifests` and
`reports`), so the guard never changes them.

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

from rdm.model.problems import ExternalError, visible

# What ends a line for some reader; the group keeps the break when splitting.
_BREAK = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_SPLIT = re.compile(f"([{_BREAK}])")
_CRLF = re.compile("(\r\n)")
# A line whose visible text starts with `::` is a workflow command to the runner
# (ActionCommand.TryParseV2, after TrimStart).
COMMAND_STARTS = ("::",)
# The legacy form is a command wherever it is in a line (ActionCommand.TryParse
# finds it with IndexOf): `##[` is written `##\[`.
LEGACY_COMMAND = "##["
_LEGACY = re.compile(re.escape(LEGACY_COMMAND))
_LEGACY_SAFE = "##\\["
# Visible line starts that could still become `::` when more text arrives.
_UNDECIDED = frozenset({":"})


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
        self._at_start = True  # whether `_held` starts a line
        self._held = ""  # text whose escaping depends on what comes next
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
        whole = self._held + text
        cut = self._undecided(whole)
        self._raw(self._escaped(whole[:cut]))
        self._held = whole[cut:]
        return len(text)

    def _undecided(self, text: str) -> int:
        """Where the tail of `text` starts whose escaping the next write may change:
        a `\\r` that may be half of a CRLF and, under Actions, a line start that
        may still become `::` or `#`/`##` that may become `##[`."""
        if text.endswith("\r"):
            return len(text) - 1
        if not self.escape:
            return len(text)
        pieces = _SPLIT.split(text)
        last = pieces[-1]
        starts_line = self._at_start if len(pieces) == 1 else True
        if last and starts_line and (not last.lstrip() or last.lstrip() in _UNDECIDED):
            return len(text) - len(last)
        hashes = len(last) - len(last.rstrip("#"))
        return len(text) - min(hashes, 2)

    def _escaped(self, text: str) -> str:
        """`text` as it may go out: every control shown as an escape (a CRLF stays a
        line end); under Actions, `\\` before a line's `::` and `##\\[` for `##[`."""
        if not text:
            return text
        text = shown(text)
        if not self.escape:
            return text
        out: list[str] = []
        at_start = self._at_start
        for piece in _SPLIT.split(text):
            if not piece:
                continue
            if piece in _BREAK:
                out.append(piece)
                at_start = True
                continue
            out.append(_LEGACY.sub(_LEGACY_SAFE, neutralize(piece) if at_start else piece))
            at_start = False
        self._at_start = at_start
        return "".join(out)

    def write_trusted(self, line: str) -> None:
        """One line rdm means as a workflow command, written as it is, on a line of
        its own."""
        self._raw(self._release())
        self._raw(line + "\n" if self._at_start else f"\n{line}\n")
        self._at_start = True

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
        """What is held back, escaped as it stands (nothing more is coming for it)."""
        held, self._held = self._held, ""
        return self._escaped(held)

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


def terminal(stream: TextIO) -> TextIO:
    """The stream under the guard, for a live display (rich) that writes its own
    escape sequences to a terminal: every text it shows must have gone through
    `shown` first (and through rich's markup escape)."""
    if isinstance(stream, GuardedStream) and stream.stream is not None:
        stream.finish()  # what the guard holds goes out first
        return stream.stream
    return stream


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print `text` (a line, or several) on stdout, or on stderr with `err`."""
    # Shown before click sees it: click drops `ESC[…` sequences (only those) from
    # what goes to a pipe or a file, which would hide what the file holds.
    click.echo(shown(text), err=err, nl=nl)


def shown(text: str) -> str:
    """`text` with every control shown as an escape, a CRLF kept as a line end."""
    return "".join(part if part == "\r\n" else visible(part) for part in _CRLF.split(text))


def workflow_commands(text: str) -> None:
    """Print the output of `reports.reporting.github`: its `::` lines are rdm's own
    workflow commands and go out as they are; any other line is guarded as usual."""
    stream = sys.stdout
    for line in text.split("\n"):
        if isinstance(stream, GuardedStream) and line.startswith("::"):
            stream.write_trusted(line)
        else:
            echo(line)
