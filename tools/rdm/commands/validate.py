"""`rdm validate`: check every RDM, topology and policy file of a repository."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.edges.repository import load_repository, manifest_problems
from rdm.edges.sources import WorkTree
from rdm.model.problems import UsageError
from rdm.rendering import manifests as rendering
from rdm.reports import reporting


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
@click.option(
    "--manifests",
    is_flag=True,
    help="Also render every topology and check each object against the Kubernetes OpenAPI "
    f"schema ({rendering.KUBERNETES_VERSION}, strict). Slower; the pull-request workflow runs it.",
)
def command(paths: tuple[Path, ...], repo: Path, output_format: str | None, manifests: bool) -> int:
    """Check files against their schemas and the process rules.

    With PATHS, report only those files or folders (policy and topologies are still
    read for the rules that need them). Exit 0 when there is no error, 1 otherwise.
    """
    only = [_relative(p, repo) for p in paths] if paths else None
    source = WorkTree(repo, str(repo))
    repository = load_repository(source, only=only)
    if manifests:
        repository.problems = sorted(repository.problems + manifest_problems(repository, source))
    name = output_format or reporting.default_format(os.environ)
    text = reporting.REPORTERS[name](repository.problems, repository.files_checked)
    if name == "github":
        output.workflow_commands(text)  # rdm's own ::error lines, escaped by the reporter
    else:
        output.echo(text)
    return 0 if repository.ok else 1


def _relative(path: Path, repo: Path) -> str:
    # lexists: a link (even a dangling one) is named so that its finding is shown
    if not os.path.lexists(path) and not path.is_absolute() and os.path.lexists(repo / path):
        path = repo / path  # `--repo ../rdm rdms/2026/RDM-…` names a file of that repository
    if not os.path.lexists(path):
        raise UsageError(f"{path}: no such file or folder")
    # As written first, so that a link inside the repository is reported where it
    # is (`file-type`), not followed out of it; then as resolved (/tmp -> /private/tmp).
    for inside, root in (
        (_lexical(path), _lexical(repo)),
        (path.resolve(), repo.resolve()),
    ):
        try:
            return inside.relative_to(root).as_posix()
        except ValueError:
            continue
    raise UsageError(f"{path} is outside the repository {repo}")


def _lexical(path: Path) -> Path:
    """`path` made absolute without resolving links (`..` removed by its text)."""
    return Path(os.path.normpath(Path.cwd() / path))
