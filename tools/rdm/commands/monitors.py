"""`rdm monitors [ORG_ID...] [--sync]`: the topologies' uptime monitors against UptimeRobot.

Reads the monitors through `rdm.edges.uptimerobot`, compares them with
`rdm.decisions.monitors.compare`, prints with `rdm.reports.monitors`; `--sync`
creates the missing ones (it never deletes or edits one).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_FINDINGS, repo_option
from rdm.commands.output import echo
from rdm.decisions import monitors
from rdm.edges.repository import load_work_tree
from rdm.edges.uptimerobot import UptimeRobotClient, UptimeRobotError
from rdm.i18n import N_, _
from rdm.model.problems import UsageError
from rdm.reports import monitors as report


@click.command(
    "monitors",
    cls=TranslatedCommand,
    help=N_(
        "Compare each topology's two uptime monitors with the ones in "
        "UptimeRobot.\n\nMissing, extra (named after the client, not declared), paused, "
        "down, checking another URL, not HTTP(s), or there twice. Needs "
        "RDM_UPTIMEROBOT_API_KEY; the API is RDM_UPTIMEROBOT_API_URL (default "
        "https://api.uptimerobot.com/v2). Exit 0 all declared monitors exist and none "
        "needs action, 1 findings, 2 usage error, 3 UptimeRobot failed."
    ),
)
@click.argument("org_ids", nargs=-1, metavar="[ORG_ID...]")
@repo_option
@click.option(
    "--sync", is_flag=True, help=N_("Create the missing monitors (never deletes or edits one).")
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("Output format."),
)
def command(org_ids: tuple[str, ...], repo: Path, sync: bool, output_format: str) -> int:
    repository = load_work_tree(repo)
    wanted = list(dict.fromkeys(org_ids)) or sorted(repository.topology_ids)
    unknown = [org for org in wanted if org not in repository.topology_ids]
    if unknown:
        raise UsageError(
            _("no topology for {orgs} (topologies/<org-id>.yaml)").format(orgs=", ".join(unknown))
        )
    broken = [org for org in wanted if org not in repository.topologies]
    for problem in repository.problems:
        if problem.level == "error" and any(
            problem.path.endswith(f"topologies/{org}.yaml") for org in broken
        ):
            echo(str(problem), err=True)
    if broken:
        return EXIT_FINDINGS
    client = UptimeRobotClient.from_env(
        os.environ, notify=lambda message: echo(f"rdm: {message}", err=True)
    )
    topologies = [repository.topologies[org] for org in wanted]
    findings = monitors.compare(topologies, client.monitors(), repository.topology_ids)
    if sync:
        findings = _sync(client, findings)
    summary = monitors.summary(findings, sum(len(t.monitors) for t in topologies), len(topologies))
    output = report.as_json if output_format == "json" else report.text
    echo(output(findings, summary), nl=False)
    return EXIT_FINDINGS if any(f.needs_action for f in findings) else 0


def _sync(client: UptimeRobotClient, findings: list[monitors.Finding]) -> list[monitors.Finding]:
    done: list[monitors.Finding] = []
    try:
        for finding in findings:
            missing = finding.state is monitors.State.MISSING
            done.append(_create(client, finding) if missing else finding)
    except UptimeRobotError:
        # Say what was already created before the failure (exit 3) is reported.
        created = [f.name for f in done if f.state is monitors.State.CREATED]
        if created:
            message = _("rdm: created before the failure: {names}").format(names=", ".join(created))
            echo(message, err=True)
        raise
    return done


def _create(client: UptimeRobotClient, finding: monitors.Finding) -> monitors.Finding:
    monitor_id = client.new_monitor(finding.name, finding.url)
    return replace(
        finding,
        state=monitors.State.CREATED,
        message=_("created (id {id}), checking {url}").format(id=monitor_id, url=finding.url),
        monitor_id=monitor_id,
    )
