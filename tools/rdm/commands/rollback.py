"""`rdm rollback`: restore a topology exactly to a snapshot."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_EXTERNAL, EXIT_FINDINGS, EXIT_OK
from rdm.commands.output import echo
from rdm.edges import artifacts
from rdm.model.snapshots import DEFAULT_KEEP
from rdm.operations.rollback import rollback_topology
from rdm.reports import cluster_report, jsontext


@click.command("rollback")
@click.argument("org_id", callback=opts.org_id)
@click.option(
    "--snapshot",
    "snapshot_id",
    default=None,
    help="The snapshot to restore (default: the newest; see rdm snapshots ORG_ID).",
)
@click.option(
    "--file",
    "snapshot_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Restore a snapshot file rdm apply --out wrote (a CI artifact).",
)
@click.option(
    "--rollback-budget",
    default="30m",
    show_default=True,
    metavar="DURATION",
    help="Declared rollback time: the wait for health, and the yardstick reported.",
)
@click.option(
    "--keep-snapshots",
    type=click.IntRange(1, 1000),
    default=DEFAULT_KEEP,
    show_default=True,
    help="Snapshots kept per topology in the cluster.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the snapshot of the state rolled back from under DIR.",
)
@opts.format_option(["text", "json"])
@opts.cluster_options
def command(
    org_id: str,
    snapshot_id: str | None,
    snapshot_file: Path | None,
    rollback_budget: str,
    keep_snapshots: int,
    out: Path | None,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Restore topology ORG_ID exactly to a snapshot, in waves, waiting for health.

    Fields other managers changed or added since are taken back, and named with
    their manager. Objects the snapshot does not hold are deleted (a Namespace
    never: rdm only gives up its labels). The current state is snapshotted
    first, so a rollback can itself be undone. Like rdm apply, it does not
    consult the calendar. Exit 0 when restored and healthy, 1 when restored but
    not healthy in time, 3 when it could not finish.

    Ctrl-C or SIGTERM does not stop it (a half-done rollback helps nobody): a
    second time, it stops waiting for health; a third, it is abandoned.
    """
    if snapshot_id and snapshot_file:
        raise click.UsageError("give --snapshot or --file, not both")
    declared = opts.parse_budget(rollback_budget, "--rollback-budget")
    assert declared is not None
    snapshot = artifacts.read_snapshot(snapshot_file) if snapshot_file else None
    from rdm.commands._progress import reporter  # rich loads only when needed

    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    try:
        with opts.stop_on_signals("rollback") as cancel, reporter(live=output == "text") as report:
            run = rollback_topology(
                cluster,
                org_id,
                snapshot_id=snapshot_id,
                snapshot=snapshot,
                identity=opts.identity(),
                declared=declared,
                clock=opts.now,
                sleep=opts.sleep,
                keep_snapshots=keep_snapshots,
                reporter=report,
                cancel=cancel,
            )
    finally:
        cluster.close()
    if out is not None and run.before is not None:
        artifacts.write_snapshot(out, run.before)
    if output == "json":
        payload = {
            "orgId": org_id,
            "before": run.before.snapshot_id if run.before else None,
            **cluster_report.rollback_json(run.report),
        }
        echo(jsontext.dumps(payload, indent=2))
    else:
        echo(cluster_report.restore_text(org_id, run.report))
        if run.before is not None:
            echo(f"  the state before is snapshot {run.before.snapshot_id}")
    if not run.report.complete:
        return EXIT_EXTERNAL
    return EXIT_OK if run.report.healthy else EXIT_FINDINGS
