"""`rdm status` and `rdm restart`: what runs in the cluster; a rollout restart."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import cluster_options as opts
from rdm.commands._calendar_policy import load_policy
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_instant, repo_option
from rdm.decisions import calendar
from rdm.operations.status import all_status, restart, topology_status
from rdm.reports import cluster_report


@click.command("status")
@click.argument("org_id", required=False, callback=opts.org_id)
@opts.format_option(["text", "json"])
@opts.cluster_options
def status(
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
        click.echo(cluster_report.status_json(found))
    elif org_id is not None:
        click.echo(cluster_report.status_text(found[0]))
    else:
        click.echo(cluster_report.status_all_text(found))
    return EXIT_OK if all(s.healthy for s in found) else EXIT_FINDINGS


@click.command("restart")
@click.argument("org_id", callback=opts.org_id)
@repo_option
@click.option("--workload", default=None, help="Restart this workload only (default: all).")
@click.option("--emergency", is_flag=True, help="Restart outside the window (an emergency).")
@click.option(
    "--at", "at", metavar="ISO8601", help="Decide the window as of this instant (default: now)."
)
@click.option(
    "--budget",
    default="15m",
    show_default=True,
    metavar="DURATION",
    help="Time for the restarted workloads to be healthy again.",
)
@opts.cluster_options
def restart_command(
    org_id: str,
    repo: Path,
    workload: str | None,
    emergency: bool,
    at: str | None,
    budget: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Rollout restart of a topology's workloads (one with --workload), waiting for
    health. Refused outside the change window unless --emergency (the calendar in
    policy/calendar.yaml decides). Exit 0 when healthy again, 1 when refused or not
    healthy in time."""
    instant = parse_instant(at) or opts.now()
    policy = load_policy(repo)
    if policy is None and not emergency:
        return EXIT_FINDINGS
    decision = (
        calendar.window_at(policy, instant, emergency=emergency)
        if policy is not None
        else calendar.emergency_without_policy(instant)
    )
    if not decision.open:
        click.echo(f"{org_id}: restart refused: {decision.reason} (an emergency: --emergency)")
        return EXIT_FINDINGS
    time_budget = opts.parse_budget(budget, "--budget")
    assert time_budget is not None
    from rdm.commands.progress import reporter  # rich loads only when needed

    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        with reporter(live=True) as report:
            result = restart(
                cluster,
                org_id,
                workload,
                identity=opts.identity(),
                budget=time_budget,
                clock=opts.now,
                sleep=opts.sleep,
                reporter=report,
            )
    finally:
        cluster.close()
    took = cluster_report.seconds(result.finished - result.started)
    names = ", ".join(result.workloads)
    if result.healthy:
        click.echo(f"{org_id}: restarted {names}; healthy again in {took}")
        return EXIT_OK
    click.echo(f"{org_id}: restarted {names}; not healthy: {result.failure}")
    return EXIT_FINDINGS
