"""`rdm logs ORG_ID [--workload NAME]`: the log service's links for a client.

Links come from `rdm.reports.logs` with the log service of
`policy/operations.yaml`. Reading pod logs from the cluster (`--tail N`) comes
with the cluster edge (`rdm.edges.cluster`); it is not offered before that edge
exists.
"""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_FINDINGS, repo_option
from rdm.commands.output import echo
from rdm.edges.repository import load_work_tree
from rdm.i18n import N_, _
from rdm.model.problems import UsageError
from rdm.model.topologies import WORKLOADS
from rdm.reports import logs

OPERATIONS = "policy/operations.yaml"


@click.command(
    "logs",
    cls=TranslatedCommand,
    help=N_(
        "Print the log service's links for client ORG_ID, one per workload.\n\nThe search "
        "URL and query come from policy/operations.yaml (logs). Exit 0; 1 when the "
        "topology or the policy has errors, or there is no link to give; 2 usage error."
    ),
)
@click.argument("org_id")
@repo_option
@click.option(
    "--workload",
    default=None,
    metavar="NAME",
    help=N_("Only this workload's link (protheus-appserver-prod, protheus-dbaccess, ...)."),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("Output format."),
)
def command(org_id: str, repo: Path, workload: str | None, output_format: str) -> int:
    if workload is not None and not logs.known_workload(workload):
        raise UsageError(
            _("--workload {name!r} is not a workload; one of {names}").format(
                name=workload, names=", ".join(WORKLOADS)
            )
        )
    repository = load_work_tree(repo)
    if org_id not in repository.topology_ids:
        raise UsageError(_("no topology for {org} (topologies/<org-id>.yaml)").format(org=org_id))
    topology = repository.topologies.get(org_id)
    operations = repository.operations
    needed = {f"topologies/{org_id}.yaml", OPERATIONS}
    blocking = [p for p in repository.problems if p.level == "error" and p.path in needed]
    for problem in blocking:
        echo(str(problem), err=True)
    if topology is None or operations is None:
        return EXIT_FINDINGS
    found = logs.links(topology, operations.logs, workload)
    if output_format == "json":
        echo(logs.as_json(org_id, found), nl=False)
    else:
        echo(logs.text(found), nl=False)
    if not found:
        echo(
            _(
                "rdm: {org} has no workload running and {policy} has no logs.namespaceQuery: "
                "no link to give (--workload NAME gives any workload's)"
            ).format(org=org_id, policy=OPERATIONS),
            err=True,
        )
        return EXIT_FINDINGS
    return 0
