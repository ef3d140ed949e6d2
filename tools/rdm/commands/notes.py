"""`rdm notes fetch|push`: the execution records (refs/notes/rdm) to and from the remote.

The rollout writes records into the clone; the workflow's next step pushes
them with a token that only that step holds. Two runs that wrote to the same
note are merged record by record (`edges.notes.push_merging`).
"""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands.options import EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.edges import notes as notes_edge
from rdm.model.problems import ExternalError
from rdm.model.records import NOTES_REF


@click.group("notes")
def command() -> None:
    """Fetch or push the execution records (git notes under refs/notes/rdm)."""


@command.command("fetch")
@repo_option
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
def fetch(repo: Path, remote: str) -> int:
    """Replace the clone's records by the remote's (run before `rdm rollout`). Exit 3
    when git fails (a remote without any records yet is not a failure)."""
    try:
        notes_edge.fetch(repo, remote)
    except ExternalError as exc:
        if "couldn't find remote ref" not in str(exc):
            raise
        echo(f"{remote} has no {NOTES_REF} yet", err=True)
    return EXIT_OK


@command.command("push")
@repo_option
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
def push(repo: Path, remote: str) -> int:
    """Push the clone's records; if another run pushed first, merge and push again.
    Exit 3 when git fails."""
    moved = notes_edge.push_merging(repo, remote)
    merged = f" (merged with {moved} push(es) of other runs)" if moved else ""
    echo(f"pushed {NOTES_REF} to {remote}{merged}", err=True)
    return EXIT_OK
