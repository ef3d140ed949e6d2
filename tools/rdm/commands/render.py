"""`rdm render`: the Kubernetes manifests of client topologies, from the work tree or a commit."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.edges.repository import render_source, write_tree
from rdm.edges.sources import GitRevision, Source, WorkTree
from rdm.model.problems import one_line
from rdm.rendering import manifests as rendering


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
    source: Source = GitRevision(repo, rev) if rev is not None else WorkTree(repo, str(repo))
    rendered = render_source(source, org_ids)
    if rendered.problems:
        for problem in rendered.problems:
            output.echo(str(problem), err=True)
        return 1
    if out is not None:
        result = write_tree(out, rendered, output_format, anchors=[repo])
        for path in result.kept:
            output.echo(
                f"rdm: kept {one_line(str(path))}: it looks like an old manifest, but rdm did not "
                "write it (or it changed since); remove it yourself if it is not needed",
                err=True,
            )
        output.echo(
            f"{result.written} manifest(s) of {len(rendered.manifests)} topology(ies) "
            f"written to {one_line(str(out))}",
            err=True,
        )
        return 0
    output.echo(
        "".join(rendering.stream(m, output_format) for m in rendered.manifests.values()), nl=False
    )
    return 0
