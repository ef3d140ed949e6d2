"""`rdm apply`: rendered topologies onto the cluster, with snapshot, waves, health and rollback."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands.options import EXIT_EXTERNAL, EXIT_FINDINGS, EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.edges import artifacts
from rdm.model.snapshots import DEFAULT_KEEP
from rdm.operations.applier import Outcome, Settings, apply_topologies
from rdm.reports import cluster_report


@click.command("apply")
@click.argument("org_ids", nargs=-1, required=True, callback=opts.org_id)
@repo_option
@click.option("--rev", default=None, help="Apply the topologies as of this git revision.")
@click.option(
    "--rdm",
    "rdm_id",
    default=None,
    help="The RDM this change carries out "
    "(its estimatedDuration and rollback.estimatedDuration are the time budgets).",
)
@click.option("--dry-run", is_flag=True, help="Ask the server what would change; change nothing.")
@click.option(
    "--force-conflicts",
    is_flag=True,
    help="Take fields other managers own (a "
    "Rancher or kubectl edit) and remove fields they added; the result names them.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Topologies applied at once.",
)
@click.option(
    "--budget",
    default=None,
    metavar="DURATION",
    help="Time for the whole apply to be healthy (default: the RDM's estimatedDuration, else 30m).",
)
@click.option(
    "--rollback-budget",
    default=None,
    metavar="DURATION",
    help="Declared rollback time (default: the RDM's rollback.estimatedDuration, else 30m).",
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
    help="Also write DIR/snapshots/<org-id>/<id>.json.gz and DIR/apply.json for CI.",
)
@opts.format_option(["text", "json"])
@opts.cluster_options
def command(
    org_ids: tuple[str, ...],
    repo: Path,
    rev: str | None,
    rdm_id: str | None,
    dry_run: bool,
    force_conflicts: bool,
    concurrency: int,
    budget: str | None,
    rollback_budget: str | None,
    keep_snapshots: int,
    out: Path | None,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Apply client topologies to the cluster (server-side apply, field manager rdm).

    Per topology: take its lock (a Lease in rdm-system), snapshot what it owns,
    apply wave by wave waiting for the Deployments to be healthy, prune what is
    no longer rendered, record revision and RDM on the Namespace; on any failure,
    roll back to the snapshot automatically.

    This is the operator's low-level command: it does NOT consult the calendar
    or the committee (the scheduled rollout does). Exit 0 when every topology is
    applied or unchanged, 1 when any was refused, failed or rolled back, 3 when a
    rollback could not finish (that topology needs a person).

    Ctrl-C or SIGTERM stops it safely: each topology being applied is rolled back
    to its snapshot and the result is printed; a second time, the rollbacks do
    not wait for health; a third, they are abandoned.
    """
    plans = opts.plans(
        repo,
        rev,
        org_ids,
        rdm_id=rdm_id,
        budget=opts.parse_budget(budget, "--budget"),
        rollback_budget=opts.parse_budget(rollback_budget, "--rollback-budget"),
        dry_run=dry_run,
        force_conflicts=force_conflicts,
    )
    if plans is None:
        return EXIT_FINDINGS
    from rdm.commands._progress import reporter  # rich loads only when needed

    cluster = opts.open_cluster(kubeconfig, context, request_timeout)
    settings = Settings(identity=opts.identity(), keep_snapshots=keep_snapshots)
    try:
        with opts.stop_on_signals("apply") as cancel, reporter(live=output == "text") as report:
            results = apply_topologies(
                cluster,
                plans,
                settings=settings,
                concurrency=concurrency,
                clock=opts.now,
                sleep=opts.sleep,
                reporter=report,
                cancel=cancel,
            )
    finally:
        cluster.close()
    text = cluster_report.apply_json(results)
    if out is not None:
        for result in results:
            if result.snapshot is not None:
                artifacts.write_snapshot(out, result.snapshot)
        artifacts.write_text(out / "apply.json", text + "\n")
    echo(text if output == "json" else cluster_report.apply_text(results))
    if any(r.outcome is Outcome.ROLLBACK_FAILED for r in results):
        return EXIT_EXTERNAL
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS
