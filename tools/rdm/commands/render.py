"""`rdm render`: the Kubernetes manifests of client topologies, from the work tree or a commit."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from rdm import rendering
from rdm.cli_options import repo_option
from rdm.documents import GitRevision, Source, WorkTree
from rdm.problems import Level, Problem, RdmError
from rdm.repository import load_repository

# Files an earlier `rdm render --out` wrote; removed first so a workload that is
# gone (the update appserver after an update) leaves no stale manifest behind.
_WRITTEN = re.compile(r"^\d{2,}-[a-z]+-[a-z0-9.-]+\.(yaml|json)$")


@dataclass
class Rendered:
    """The manifests of each org id asked for, or the problems that stopped them."""

    manifests: dict[str, list[rendering.Manifest]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def render_source(source: Source, org_ids: Sequence[str] = ()) -> Rendered:
    """Load the topologies asked for (all by default), check them, render them.

    Only the topologies are checked: a broken RDM elsewhere does not stop a render.
    """
    only = [f"topologies/{org}.yaml" for org in org_ids] if org_ids else ["topologies"]
    repository = load_repository(source, only=only)
    unknown = [org for org in org_ids if org not in repository.topology_ids]
    if unknown:
        raise RdmError(
            "no topology for " + ", ".join(f"{org} (topologies/{org}.yaml)" for org in unknown)
        )
    result = Rendered(problems=[p for p in repository.problems if p.level is Level.ERROR])
    if result.problems:
        return result
    for org in org_ids or sorted(repository.topologies):
        result.manifests[org] = rendering.render(repository.topologies[org])
    return result


def write_tree(out: Path, rendered: Rendered, output_format: str) -> int:
    """Write `out/<org-id>/<NN>-<kind>-<name>.<format>`; returns the number of files."""
    count = 0
    for org, manifests in rendered.manifests.items():
        folder = out / org
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file() and _WRITTEN.match(old.name):
                old.unlink()
        for name, text in rendering.files(manifests, output_format):
            (folder / name).write_text(text, encoding="utf-8", newline="\n")
            count += 1
    return count


@click.command("render")
@click.argument("org_ids", nargs=-1)
@repo_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write DIR/<org-id>/<NN>-<kind>-<name>.yaml instead of printing one stream.",
)
@click.option(
    "--rev", default=None, help="Render as of this git revision (read without a checkout)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(rendering.FORMATS),
    default="yaml",
    show_default=True,
    help="yaml: a multi-document stream (or one file per object); "
    "json: JSON Lines (or one file per object).",
)
def command(
    org_ids: tuple[str, ...], repo: Path, out: Path | None, rev: str | None, output_format: str
) -> int:
    """Render client topologies (all by default) into Kubernetes manifests.

    Objects come in apply order (the rdm/wave annotation, then kind and name).
    Exit 0 when every topology rendered, 1 when a topology has errors.
    """
    source: Source = GitRevision(repo, rev) if rev else WorkTree(repo, str(repo))
    rendered = render_source(source, org_ids)
    if rendered.problems:
        for problem in rendered.problems:
            click.echo(str(problem), err=True)
        return 1
    if out is not None:
        count = write_tree(out, rendered, output_format)
        click.echo(
            f"{count} manifest(s) of {len(rendered.manifests)} topology(ies) written to {out}",
            err=True,
        )
        return 0
    sys.stdout.write(
        "".join(rendering.stream(m, output_format) for m in rendered.manifests.values())
    )
    return 0
