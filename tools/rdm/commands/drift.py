"""`rdm drift`: changes made in the cluster outside rdm, with who made them and when."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.operations.diff import topology_drift
from rdm.reports import cluster_report, reporting


@click.command("drift")
@click.argument("org_ids", nargs=-1, callback=opts.org_id)
@repo_option
@click.option("--rev", default=None, help="Compare with the topologies as of this git revision.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format (default: github under GitHub Actions, else text).",
)
@opts.cluster_options
def command(
    org_ids: tuple[str, ...],
    repo: Path,
    rev: str | None,
    output: str | None,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Find unauthorized changes to the topologies (all by default).

    For each topology: fields that differ from the rendered objects, with the
    field manager that owns them and when it wrote them (a Rancher or kubectl
    edit); fields other managers added; objects with the topology's labels that
    rdm did not render; rendered objects missing. Each finding says what to do:
    open an RDM that keeps the change, or revert it with rdm apply.
    Exit 1 on drift or when an object could not be checked, 0 without.
    """
    output = output or reporting.default_format(os.environ)
    plans = opts.plans(repo, rev, org_ids, rdm_id=None, budget=None, rollback_budget=None)
    if plans is None:
        return EXIT_FINDINGS
    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        drifts = [
            topology_drift(cluster, plan.org_id, plan.objects, plan.revision) for plan in plans
        ]
    finally:
        cluster.close()
    if output == "json":
        echo(cluster_report.drift_json(drifts))
    else:
        problems = cluster_report.drift_problems(drifts)
        lines = [reporting.REPORTERS[output](problems, 0).rsplit("\n", 1)[0]] if problems else []
        echo("\n".join([*lines, cluster_report.drift_summary(drifts)]))
    return EXIT_FINDINGS if any(d.drifted or d.errors for d in drifts) else EXIT_OK
