"""`rdm status`: what runs in the cluster, per topology or for all."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK
from rdm.commands.output import echo
from rdm.operations.status import all_status, topology_status
from rdm.reports import cluster_report


@click.command("status")
@click.argument("org_id", required=False, callback=opts.org_id)
@opts.format_option(["text", "json"])
@opts.cluster_options
def command(
    org_id: str | None,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """What runs now: per workload ready/desired, state, image and pods (STATUS,
    RESTARTS, AGE), with the revision and RDM last applied; without ORG_ID, one
    line per topology, what is not healthy first. Exit 0 when healthy, 1 when not."""

    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        if org_id is not None:
            found = [topology_status(cluster, org_id, opts.now())]
        else:
            found = all_status(cluster)
    finally:
        cluster.close()
    if output == "json":
        echo(cluster_report.status_json(found))
    elif org_id is not None:
        echo(cluster_report.status_text(found[0]))
    else:
        echo(cluster_report.status_all_text(found))
    return EXIT_OK if all(s.healthy for s in found) else EXIT_FINDINGS
