"""`rdm validate`: check every RDM, topology and policy file of a repository."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rdm import reporting
from rdm.cli_options import repo_option
from rdm.problems import UsageError
from rdm.repository import load_work_tree


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(reporting.REPORTERS)),
    default=None,
    help="Output format; github is the default when GITHUB_ACTIONS=true, text otherwise.",
)
def command(paths: tuple[Path, ...], repo: Path, output_format: str | None) -> int:
    """Check files against their schemas and the process rules.

    With PATHS, report only those files or folders (policy and topologies are still
    read for the rules that need them). Exit 0 when there is no error, 1 otherwise.
    """
    only = [_relative(p, repo) for p in paths] if paths else None
    repository = load_work_tree(repo, label=str(repo), only=only)
    name = output_format or reporting.default_format(os.environ)
    click.echo(reporting.REPORTERS[name](repository.problems, repository.files_checked))
    return 0 if repository.ok else 1


def _relative(path: Path, repo: Path) -> str:
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError as exc:
        raise UsageError(f"{path} is outside the repository {repo}") from exc
