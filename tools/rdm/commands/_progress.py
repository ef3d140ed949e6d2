"""Progress of the cluster commands: a live display on a terminal, plain lines otherwise.

On a terminal (and text output) `rich` shows one line per topology with its
latest step and the time since it started; in CI, or with `--format json`,
each step is one plain line on stderr, `HH:MM:SS org: message`, so the log
reads in order. The result itself is printed on stdout by the command.
Reporters are called from the applier's worker threads: both are thread-safe.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from rdm.commands import output
from rdm.model.problems import one_line

ProgressReporter = Callable[[str, str], None]


def _plain(stream: TextIO) -> ProgressReporter:
    lock = threading.Lock()

    def report(org_id: str, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        with lock:
            stream.write(f"{stamp} {org_id}: {one_line(message)}\n")
            stream.flush()

    return report


@contextmanager
def reporter(*, live: bool, stream: TextIO | None = None) -> Iterator[ProgressReporter]:
    """A progress reporter for the duration of a command."""
    stream = stream or sys.stderr
    if not live or not stream.isatty():
        yield _plain(stream)
        return
    # rich writes its own escape sequences, so it gets the terminal itself; what it
    # shows is made safe here: controls as escapes, no rich markup from a message.
    console = Console(file=output.terminal(stream))
    lock = threading.Lock()
    tasks: dict[str, TaskID] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[org]}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def report(org_id: str, message: str) -> None:
            text = escape(output.shown(one_line(message)))
            org_id = escape(output.shown(org_id))
            with lock:
                if org_id not in tasks:
                    tasks[org_id] = progress.add_task(text, org=org_id, total=None)
                else:
                    progress.update(tasks[org_id], description=text)

        yield report
