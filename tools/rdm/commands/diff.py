"""`rdm diff`: what `rdm apply` would change, by a server-side dry run."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.operations.diff import preview
from rdm.reports import cluster_report


@click.command("diff")
@click.argument("org_ids", nargs=-1, callback=opts.org_id)
@repo_option
@click.option("--rev", default=None, help="Compare with the topologies as of this git revision.")
@opts.format_option(["text", "json"])
@opts.cluster_options
def command(
    org_ids: tuple[str, ...],
    repo: Path,
    rev: str | None,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Show what applying the topologies (all by default) would change in the cluster.

    Each rendered object is applied as a server-side dry run (dryRun=All) and
    compared with the live one, server-set fields removed on both sides: a
    unified diff per object, then per topology the objects to create, change,
    leave and prune, and fields other managers own. Exit 0 when nothing would
    change, 1 when something would or an object could not be checked (the server
    refused its dry run: the apply would be refused too).
    """
    plans = opts.plans(repo, rev, org_ids, rdm_id=None, budget=None, rollback_budget=None)
    if plans is None:
        return EXIT_FINDINGS
    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        diffs = [preview(cluster, plan.org_id, plan.objects) for plan in plans]
    finally:
        cluster.close()
    text = cluster_report.diff_json(diffs) if output == "json" else cluster_report.diff_text(diffs)
    echo(text)
    # an object the server would not dry-run (refused by admission, unreachable) may
    # well change or fail: never "nothing would change"
    return EXIT_FINDINGS if any(d.changes or d.conflicts or d.errors for d in diffs) else EXIT_OK
