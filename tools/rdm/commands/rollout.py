"""`rdm rollout`: the main job -- approved RDMs onto the cluster, in their window.

Wires the edges (the clone and GitHub: `edges.default_branch`; the notes; the
cluster; Slack) into `operations.rollout.run` and prints what happened: text on
a terminal, JSON lines otherwise; the Markdown summary to $GITHUB_STEP_SUMMARY
when set. No decision is taken here.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from rdm.commands import _cluster as opts
from rdm.commands import _github
from rdm.commands.options import (
    EXIT_EXTERNAL,
    EXIT_FINDINGS,
    EXIT_OK,
    parse_instant,
    repo_option,
)
from rdm.commands.output import echo
from rdm.edges import artifacts
from rdm.edges.default_branch import DefaultBranch, NotesLedger
from rdm.edges.repository import load_repository
from rdm.edges.slack import SlackWebhook
from rdm.edges.sources import WorkTree
from rdm.model.problems import Level, UsageError
from rdm.operations import rollout
from rdm.reports import jsontext, rollout_report


def parse_shard(value: str) -> rollout.Shard:
    parts = value.split("/")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise click.BadParameter(f"{value!r} is not I/N (e.g. 2/4)", param_hint="--shard")
    index, count = int(parts[0]), int(parts[1])
    if not 1 <= index <= count <= 256:
        raise click.BadParameter(
            f"{value!r}: I must be between 1 and N, and N at most 256", param_hint="--shard"
        )
    return rollout.Shard(index, count)


def shifted_clock(start: datetime | None) -> Callable[[], datetime]:
    """Now; with --at, the instant given plus the real time elapsed since the run began,
    so that durations, health waits and records stay real."""
    if start is None:
        return lambda: datetime.now(UTC)
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


@click.command("rollout")
@repo_option
@_github.repo_slug_option
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Run as of this instant (with an offset); the clock starts there. For tests and "
    "dry runs: the workflow never passes it. Default: now.",
)
@click.option(
    "--dry-run", is_flag=True, help="Decide and show the diffs; change and record nothing."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Topologies of one RDM applied at once.",
)
@click.option(
    "--shard",
    "shard_text",
    default="1/1",
    show_default=True,
    metavar="I/N",
    help="Apply only the topologies of shard I of N (by sha256 of the org id), for a CI matrix.",
)
@click.option(
    "--protected-branch",
    default=None,
    metavar="BRANCH",
    help="The default branch [default: GitHub's answer].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write DIR/snapshots/<org-id>/<id>.json.gz, DIR/rollout.json and "
    "DIR/summary.md (the workflow uploads them).",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["auto", "text", "jsonl"]),
    default="auto",
    show_default=True,
    help="Progress and report: text on a terminal, JSON lines otherwise.",
)
@opts.cluster_options
def command(
    repo: Path,
    repo_slug: str | None,
    at: str | None,
    dry_run: bool,
    concurrency: int,
    shard_text: str,
    protected_branch: str | None,
    out: Path | None,
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    """Apply what the committee approved: the RDMs whose window is open now, and
    merged emergencies, each at its merge commit.

    Per RDM: re-check the verdict from the reviews of the PR that merged it (a
    merge without consensus is refused and recorded), run the gate (window,
    deadline, conflicts, capacity, what the revision carries), then apply its
    targets with snapshot, waves, health and automatic rollback, and record the
    outcome as a git note on its merge commit. A second run does nothing that
    is recorded. Needs GITHUB_TOKEN (read) and a kubeconfig; tells Slack when
    RDM_SLACK_WEBHOOK is set. Exit 0 all due work done (or nothing due), 1 an
    RDM refused, deferred, held (its dependsOn has not executed) or rolled
    back, 3 an outside system failed or a rollback did not finish.
    """
    shard = parse_shard(shard_text)
    start = parse_instant(at)
    jsonl = output == "jsonl" or (output == "auto" and not sys.stdout.isatty())
    repository = load_repository(WorkTree(repo))
    policy = repository.calendar
    if policy is None:
        for problem in repository.problems:
            if problem.path.startswith("policy/"):
                echo(str(problem), err=True)
        raise UsageError("policy/calendar.yaml cannot be read: no window can be decided")
    # An RDM file with errors is never applied; say so rather than skip it in silence.
    unreadable = [
        f"not applied until fixed: {problem}"
        for problem in repository.problems
        if problem.path.startswith("rdms/") and problem.level is Level.ERROR
    ]
    slug = _github.repo_slug(repo_slug)
    client = _github.client()
    branch = protected_branch or client.default_branch(slug)
    facts = DefaultBranch(repo, client, slug, branch)
    merged = facts.merged(repository)
    clock = shifted_clock(start)
    cluster = _cluster(kubeconfig, context, request_timeout, dry_run)
    ledger = NotesLedger(repo)
    notifier = None if dry_run else SlackWebhook.from_env(os.environ, notify=_warn)

    def event(kind: str, fields: Mapping[str, Any]) -> None:
        if jsonl:
            echo(rollout_report.event_json(kind, fields, clock()))
        else:
            echo(rollout_report.event_text(kind, fields), err=True)

    settings = rollout.Settings(
        identity=opts.identity(),
        shard=shard,
        dry_run=dry_run,
        concurrency=concurrency,
        run_url=_github.run_url(slug),
        simulated=start,
    )
    try:
        report = rollout.run(
            merged=merged,
            policy=policy,
            cluster=cluster,
            facts=facts,
            ledger=ledger,
            settings=settings,
            clock=clock,
            sleep=opts.sleep,
            notifier=notifier,
            event=event,
            warnings=unreadable,
        )
    finally:
        if cluster is not None:
            cluster.close()
    zone = policy.zone
    summary = rollout_report.as_json(report)
    if jsonl:
        echo(rollout_report.event_json("report", summary, clock()))
    else:
        echo(rollout_report.text(report, zone))
        if dry_run and (diffs := rollout_report.diffs_text(report)):
            echo(diffs)
    for note in ledger.problems:
        echo(f"rdm: warning: {note}", err=True)
    markdown = rollout_report.markdown(report, zone)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        artifacts.append_text(Path(step_summary), markdown)
    if out is not None:
        _write_out(out, report, summary, markdown)
    return _exit_code(report)


def _warn(message: str) -> None:
    echo(f"rdm: {message}", err=True)


def _cluster(kubeconfig: Path | None, context: str | None, timeout: float, dry_run: bool) -> Any:
    """The cluster; for a dry run without any kubeconfig, None (nothing to diff against)."""
    if dry_run and kubeconfig is None and not _has_kubeconfig():
        echo(
            "rdm: no kubeconfig: the dry run decides and renders, but cannot diff against "
            "the cluster",
            err=True,
        )
        return None
    return opts.open_cluster(kubeconfig, context, timeout)


def _has_kubeconfig() -> bool:
    if os.environ.get("KUBECONFIG") or os.environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    return Path("~/.kube/config").expanduser().exists()


def _write_out(out: Path, report: rollout.Report, summary: dict[str, Any], markdown: str) -> None:
    for run in report.runs:
        for result in run.results:
            if result.snapshot is not None:
                artifacts.write_snapshot(out, result.snapshot)
    # jsontext: the same values, and no line a CI log or a terminal that shows the
    # file would split or obey
    artifacts.write_text(out / "rollout.json", jsontext.dumps(summary, indent=2) + "\n")
    artifacts.write_text(out / "summary.md", markdown)


def _exit_code(report: rollout.Report) -> int:
    kinds = {run.kind for run in report.runs}
    if report.unrecorded or kinds & {rollout.Kind.ERROR, rollout.Kind.FAILED}:
        return EXIT_EXTERNAL
    if kinds & {
        rollout.Kind.REFUSED,
        rollout.Kind.DEFERRED,
        rollout.Kind.HELD,
        rollout.Kind.ROLLED_BACK,
    }:
        return EXIT_FINDINGS
    return EXIT_OK
