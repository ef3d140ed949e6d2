"""`rdm codeowners`: write or check `.github/CODEOWNERS` from the committee policy."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands.options import repo_option
from rdm.decisions import codeowners
from rdm.edges.repository import load_work_tree


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
            click.echo(str(problem))
        click.echo("rdm: cannot render CODEOWNERS without a valid policy/committee.yaml", err=True)
        return 1
    text = codeowners.render(repository.committee)
    target = repo / codeowners.PATH
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if check:
        if current == text:
            click.echo(f"{codeowners.PATH} is up to date")
            return 0
        state = "missing" if current is None else "out of date"
        click.echo(f"{codeowners.PATH} is {state}; run `rdm codeowners` and commit it", err=True)
        return 1
    if current != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {codeowners.PATH}")
    else:
        click.echo(f"{codeowners.PATH} is up to date")
    return 0
