"""`rdm snapshots`: the snapshots of a topology kept in the cluster."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_OK
from rdm.commands.output import echo
from rdm.operations import snapshots as stored
from rdm.reports import cluster_report


@click.command("snapshots")
@click.argument("org_id", callback=opts.org_id)
@opts.format_option(["text", "json"])
@opts.cluster_options
def command(
    org_id: str,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """List the snapshots of topology ORG_ID kept in the cluster, newest first."""
    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        infos = stored.listing(cluster, org_id)
    finally:
        cluster.close()
    if output == "json":
        echo(cluster_report.snapshots_json(org_id, infos))
    else:
        echo(cluster_report.snapshots_text(org_id, infos))
    return EXIT_OK
