"""`rdm restart`: a rollout restart of a topology's workloads, inside the window."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands._calendar_policy import load_policy
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.decisions import calendar
from rdm.operations.status import restart
from rdm.reports import cluster_report


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
def command(
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
        echo(f"{org_id}: restart refused: {decision.reason} (an emergency: --emergency)")
        return EXIT_FINDINGS
    time_budget = opts.parse_budget(budget, "--budget")
    assert time_budget is not None
    from rdm.commands._progress import reporter  # rich loads only when needed

    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        with opts.stop_on_signals("restart") as cancel, reporter(live=True) as report:
            result = restart(
                cluster,
                org_id,
                workload,
                identity=opts.identity(),
                budget=time_budget,
                clock=opts.now,
                sleep=opts.sleep,
                reporter=report,
                cancel=cancel,
            )
    finally:
        cluster.close()
    took = cluster_report.seconds(result.finished - result.started)
    names = ", ".join(result.workloads)
    if result.healthy:
        echo(f"{org_id}: restarted {names}; healthy again in {took}")
        return EXIT_OK
    echo(f"{org_id}: restarted {names}; not healthy: {result.failure}")
    return EXIT_FINDINGS
