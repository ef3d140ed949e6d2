"""`rdm committee`: who holds which role, who sits on the CM and the CME, who delegates
for whom, who forwards, labels and approves what (`reports.committee_report`)."""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands import output
from rdm.commands.options import repo_option
from rdm.edges.repository import load_work_tree
from rdm.reports import committee_report, jsontext


@click.command("committee")
@repo_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def command(repo: Path, output_format: str) -> int:
    """Show the committee of policy/committee.yaml: roles, members, delegates.

    Exit 0; 1 when policy/committee.yaml is missing or invalid (its problems
    are printed, as `rdm validate` would).
    """
    repository = load_work_tree(repo, label=str(repo), only=["policy/committee.yaml"])
    if repository.committee is None:
        for problem in repository.problems:
            output.echo(str(problem))
        output.echo("rdm: policy/committee.yaml is not valid; run `rdm validate`", err=True)
        return 1
    for problem in repository.problems:  # warnings: the policy is usable
        output.echo(f"rdm: {problem}", err=True)
    if output_format == "json":
        output.echo(jsontext.dumps(committee_report.as_json(repository.committee), indent=2))
    else:
        output.echo(committee_report.text(repository.committee))
    return 0
