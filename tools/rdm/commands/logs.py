"""`rdm logs ORG_ID [--workload NAME] [--tail N ...]`: a client's logs, for the on-call analyst.

Without `--tail`: the log service's links (`rdm.reports.logs`, with the log
service of `policy/operations.yaml`), from the repository. With `--tail N`: the
last N lines of each pod of the topology (or of one workload) from the cluster,
read through the cluster edge by `rdm.operations.pod_logs` and printed, pod
after pod, by `rdm.reports.logs`; the repository is not read, the cluster's
labels say which pods the topology owns.

Parsing and printing only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import click

from rdm.commands import _cluster as opts
from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.edges.repository import load_work_tree
from rdm.i18n import N_, _
from rdm.model.problems import UsageError
from rdm.model.topologies import WORKLOADS
from rdm.operations import pod_logs
from rdm.reports import logs

OPERATIONS = "policy/operations.yaml"
MAX_TAIL = 1_000_000
# 30s, 15m, 2h, 1h30m, 2d (the units kubectl's --since takes, and days)
_SINCE = re.compile(r"(?:([0-9]{1,6})d)?(?:([0-9]{1,6})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,6})s)?")
_MAX_SINCE = 366 * 24 * 3600  # no kubelet keeps logs longer; and int64 on the server
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@click.command(
    "logs",
    cls=TranslatedCommand,
    help=N_(
        "Print the log service's links for client ORG_ID, one per workload; with --tail N, "
        "the last N lines of each of its pods, read from the cluster.\n\nThe search "
        "URL and query come from policy/operations.yaml (logs). With --tail, each line "
        "starts with its pod ([pod/NAME], and the container when the pod has several); "
        "at most 1 MiB is read of each container's log. Exit 0; 1 when the topology or "
        "the policy has errors, there is no link to give, or no pod or log line to show; "
        "2 usage error; 3 the cluster failed."
    ),
)
@click.argument("org_id")
@repo_option
@click.option(
    "--workload",
    default=None,
    metavar="NAME",
    help=N_(
        "Only this workload's link, or with --tail its pods' logs (protheus-appserver-prod, "
        "protheus-dbaccess, ...)."
    ),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("Output format."),
)
@click.option(
    "--tail",
    type=int,
    default=None,
    metavar="N",
    help=N_("Read the last N lines of each pod's log from the cluster."),
)
@click.option(
    "--since",
    default=None,
    metavar="DURATION",
    help=N_("With --tail: only lines of the last DURATION (30s, 15m, 2h, 1h30m, 2d)."),
)
@click.option(
    "--container",
    default=None,
    metavar="NAME",
    help=N_("With --tail: only this container of each pod (default: all of them)."),
)
@click.option(
    "--previous",
    is_flag=True,
    help=N_("With --tail: the log of the instance before the last restart (after a crash)."),
)
@click.option(
    "--timestamps", is_flag=True, help=N_("With --tail: each line with the time it was written.")
)
@opts.cluster_options
def command(
    org_id: str,
    repo: Path,
    workload: str | None,
    output_format: str,
    tail: int | None,
    since: str | None,
    container: str | None,
    previous: bool,
    timestamps: bool,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
) -> int:
    if workload is not None and not logs.known_workload(workload):
        raise UsageError(
            _("--workload {name!r} is not a workload; one of {names}").format(
                name=workload, names=", ".join(WORKLOADS)
            )
        )
    if tail is not None:
        query = _query(org_id, workload, output_format, tail, since, container)
        query = replace(query, previous=previous, timestamps=timestamps)
        return _tail(query, kubeconfig, context, request_timeout)
    given = [
        option
        for option, value in (
            ("--since", since),
            ("--container", container),
            ("--previous", previous or None),
            ("--timestamps", timestamps or None),
        )
        if value is not None
    ]
    if given:
        raise UsageError(_("{option} goes with --tail N").format(option=given[0]))
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


def _since(value: str) -> int:
    match = _SINCE.fullmatch(value)
    if not value or match is None:
        raise UsageError(
            _("--since {value!r} is not a duration like 30s, 15m, 2h, 1h30m or 2d").format(
                value=value
            )
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if not 1 <= total <= _MAX_SINCE:
        raise UsageError(_("--since {value!r}: from 1s to 366d").format(value=value))
    return total


def _query(
    org_id: str,
    workload: str | None,
    output_format: str,
    tail: int,
    since: str | None,
    container: str | None,
) -> pod_logs.LogQuery:
    if output_format != "text":
        raise UsageError(_("--tail prints log lines as text; --format json is for the links"))
    if not 1 <= tail <= MAX_TAIL:
        raise UsageError(_("--tail {n}: from 1 to {most} lines").format(n=tail, most=MAX_TAIL))
    # the org id names a namespace in a URL path and a label selector: a DNS label only
    if not _DNS_LABEL.fullmatch(org_id):
        raise UsageError(
            _(
                "{org!r} is not an org id (a namespace name: lower-case letters, digits "
                "and '-', at most 63)"
            ).format(org=org_id)
        )
    if container is not None and not _DNS_LABEL.fullmatch(container):
        raise UsageError(_("--container {name!r} is not a container name").format(name=container))
    return pod_logs.LogQuery(
        org_id,
        tail,
        workload=workload,
        container=container,
        since_seconds=_since(since) if since is not None else None,
    )


def _tail(
    query: pod_logs.LogQuery, kubeconfig: Path | None, context: str | None, timeout: float
) -> int:
    cluster = opts.open_cluster(kubeconfig, context, timeout)
    try:
        found = pod_logs.pods(cluster, query)
        if not found:
            echo(logs.no_pods(query), err=True)
            return EXIT_FINDINGS
        shown = 0
        # printed as each container's log arrives: a failure later leaves these on screen
        for one in pod_logs.container_logs(cluster, query, found):
            lines = logs.tail_lines(one)
            if lines:
                echo("\n".join(lines))
            shown += len(lines)
            for note in logs.tail_notes(one, query.limit_bytes, timeout):
                echo(note, err=True)
    finally:
        cluster.close()
    if not shown:
        echo(logs.no_lines(query, len(found)), err=True)
        return EXIT_FINDINGS
    return EXIT_OK
