"""`rdm history`: the audit chain of an RDM, of a client, or of everything recorded.

Reads git alone: the RDMs of the work tree, the default branch's first-parent
line (`edges.gitlog`) and the execution records under refs/notes/rdm
(`edges.notes`; `rdm notes fetch` brings the remote's). Printing is
`reports.history_report`'s.
"""

from __future__ import annotations

from pathlib import Path

import click

from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, repo_option
from rdm.commands.output import echo
from rdm.edges import gitlog, notes
from rdm.edges.repository import load_repository
from rdm.edges.sources import WorkTree
from rdm.model.problems import UsageError
from rdm.model.records import ExecutionRecord
from rdm.reports import history_report
from rdm.reports.history_report import Chain, Change


@click.command("history")
@click.argument("rdm_id", required=False, metavar="[RDM-ID]")
@click.option("--org", "org_id", default=None, metavar="ORG_ID", help="Only this client's changes.")
@repo_option
@click.option("--rev", default="HEAD", show_default=True, help="The tip of the default branch.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def command(rdm_id: str | None, org_id: str | None, repo: Path, rev: str, output: str) -> int:
    """The chain from an RDM to the cluster: PR, approvals, revision, records, rollbacks.

    With RDM-ID, that RDM; with --org, every recorded change of that client;
    with neither, every RDM that has a record. Read from git only (the notes
    under refs/notes/rdm). Exit 0, or 1 when the RDM or client has no trace.
    """
    if rdm_id is not None and org_id is not None:
        raise UsageError("give an RDM-ID or --org, not both")
    repository = load_repository(WorkTree(repo))
    zone = repository.calendar.zone if repository.calendar is not None else None
    records: dict[str, list[ExecutionRecord]] = {}
    problems: list[str] = []
    for noted, (found, errors) in notes.read_all(repo).items():
        for record in found:
            records.setdefault(record.rdm_id, []).append(record)
        problems += [f"note on {noted[:12]}: {error}" for error in errors]
    by_path = {f"rdms/{r.id[4:8]}/{r.id}.yaml": r for r in repository.rdms.values()}
    line = gitlog.first_parent_line(repo, rev)
    changes: dict[str, list[Change]] = {}
    for commit in reversed(line):
        for path in commit.paths:
            if path in by_path:
                changes.setdefault(by_path[path].id, []).append(
                    Change(commit.sha, commit.committed_at, commit.subject)
                )
    if rdm_id is not None:
        wanted = [rdm_id]
    elif org_id is not None:
        wanted = sorted(
            {i for i, rs in records.items() if any(_touches(r, org_id) for r in rs)}
            | {r.id for r in repository.rdms.values() if org_id in r.targets and r.id in records}
        )
    else:
        wanted = sorted(records)
    chains = []
    for key in wanted:
        rdm = repository.rdms.get(key)
        own = sorted(records.get(key, []), key=lambda r: r.started_at)
        if org_id is not None:
            own = [r for r in own if _touches(r, org_id)]
        chains.append(
            Chain(
                key,
                rdm,
                repository.priority(rdm) if rdm else None,
                tuple(changes.get(key, [])),
                tuple(own),
                tuple(problems) if rdm_id is None else (),
            )
        )
    if output == "json":
        echo(history_report.as_json(chains, org_id))
    else:
        echo(history_report.text(chains, zone, org_id))
    traced = [c for c in chains if c.rdm is not None or c.records]
    return EXIT_OK if traced else EXIT_FINDINGS


def _touches(record: ExecutionRecord, org_id: str) -> bool:
    return any(t.org_id == org_id for t in record.topologies)
