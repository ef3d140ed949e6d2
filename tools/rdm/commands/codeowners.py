"""`rdm codeowners`: write or check `.github/CODEOWNERS` from the committee policy."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.decisions import codeowners
from rdm.edges.repository import load_work_tree
from rdm.edges.sources import read_text
from rdm.edges.writing import write_file
from rdm.model.problems import RdmError


@click.command("codeowners")
@repo_option
@click.option(
    "--check",
    is_flag=True,
    help="Do not write; exit 1 when .github/CODEOWNERS is missing or out of date (for CI).",
)
def command(repo: Path, check: bool) -> int:
    """Render .github/CODEOWNERS from policy/committee.yaml.

    rdms/, topologies/, policy/, schemas/, tools/ and .github/ are owned by the
    CM and CME members and the change managers.
    """
    repository = load_work_tree(repo, label=str(repo), only=["policy/committee.yaml"])
    if repository.committee is None:
        for problem in repository.problems:
            output.echo(str(problem))
        output.echo("rdm: cannot render CODEOWNERS without a valid policy/committee.yaml", err=True)
        return 1
    text = codeowners.render(repository.committee)
    try:
        current = read_text(repo, codeowners.PATH)
    except RdmError:
        if check:
            raise  # a link, a FIFO, ...: named, exit 1
        current = None  # regenerated: the file replaces whatever is there
    if check:
        if current == text:
            output.echo(f"{codeowners.PATH} is up to date")
            return 0
        state = "missing" if current is None else "out of date"
        output.echo(f"{codeowners.PATH} is {state}; run `rdm codeowners` and commit it", err=True)
        return 1
    if current != text:
        write_file(repo, codeowners.PATH, text)  # replaces a planted link, never writes through it
        output.echo(f"wrote {codeowners.PATH}")
    else:
        output.echo(f"{codeowners.PATH} is up to date")
    return 0
