"""`rdm validate`: check every RDM, topology and policy file of a repository."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import parse_instant, repo_option
from rdm.edges.repository import Checks, load_repository, manifest_problems
from rdm.edges.sources import GitRevision, WorkTree
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
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Judge times (a window already past, a notice in the future) as of this instant, "
    "with an offset. Default: now.",
)
@click.option(
    "--since",
    metavar="REV",
    default=None,
    help="The git revision the change under review started from (the PR's base): RDMs added "
    "since then may not name a past window, and the topologies' diff says what they change.",
)
def command(
    paths: tuple[Path, ...],
    repo: Path,
    output_format: str | None,
    manifests: bool,
    at: str | None,
    since: str | None,
) -> int:
    """Check files against their schemas and the process rules.

    With PATHS, report only those files or folders (policy and topologies are still
    read for the rules that need them). Exit 0 when there is no error, 1 otherwise.
    """
    now = parse_instant(at) or datetime.now(UTC)
    if not (repo / "policy").is_dir():
        raise UsageError(
            f"{repo} does not look like an rdm repository (it has no policy/ folder); run rdm "
            "in the repository's root or name it with --repo DIR"
        )
    only = [_relative(p, repo) for p in paths] if paths else None
    source = WorkTree(repo, str(repo))
    base = GitRevision(repo, since) if since is not None else None
    checks = Checks(now=now, base=base, since=since or "")
    repository = load_repository(source, only=only, checks=checks)
    if manifests:
        repository.problems = sorted(repository.problems + manifest_problems(repository, source))
    name = output_format or reporting.default_format(os.environ)
    summaries = [
        reporting.RdmSummary(
            rdm.id,
            repository.rdm_paths[rdm_id],
            str(rdm.type),
            rdm.window.isoformat() if rdm.window else None,
            rdm.targets,
            repository.priority(rdm),
        )
        for rdm_id, rdm in sorted(repository.rdms.items())
        if repository.rdm_paths.get(rdm_id) in repository.data
    ]
    reporter = reporting.REPORTERS[name]
    text = reporter(repository.problems, repository.files_checked, summaries)
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
