"""Gather what the lifecycle needs to know of every RDM: files, git, notes, GitHub.

- the RDMs of the work tree (`load_repository`; a file that does not load is
  left out and its problems counted, `rdm validate` says why);
- git: the commit that added each file, the PR merge that brought it and
  every first-parent commit that changed it (`history.rdm_facts`), and the
  first-parent line that says which commit follows which (`follows`, for the
  lifecycle to tell the records of the RDM as it stands from the others);
- execution records: every note under `refs/notes/rdm` (`notes.read_all`); a
  note that cannot be read is reported, never fatal; a record that ends before
  it starts (or holds such a rollback) is left out and reported, since every
  duration and rate built on it would be wrong; records of an RDM that is not
  in the work tree (its file deleted) are kept in `orphans` and reported;
- an RDM file that does not load is left out and reported (the lifecycle
  cannot be derived from a file that is not an RDM; `rdm validate` says why);
- with a GitHub client: for each RDM merged by a PR, that PR (draft flag, ready
  for review) and the committee's verdict recomputed from its reviews; and every
  open PR, with the RDMs it adds read at its head commit from the clone.

A GitHub failure is an `ExternalError` (exit 3); a verdict that cannot be
computed from the clone (a head commit that was never fetched) is a note and
the RDM is listed without it. This module decides nothing: `lifecycle` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdm.decisions import approvals, due
from rdm.decisions.lifecycle import Facts, GitFacts
from rdm.edges import history, notes
from rdm.edges.github import GitHubClient
from rdm.edges.repository import Repository, decide_from_git, load_repository, load_work_tree
from rdm.edges.sources import GitRevision, WorkTree, pull_request_diff
from rdm.i18n import N_, _
from rdm.model.problems import ExternalError, RdmError
from rdm.model.rdms import Rdm
from rdm.model.records import ExecutionRecord


@dataclass
class Gathered:
    repository: Repository
    facts: list[Facts] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be read, one line each
    orphans: list[ExecutionRecord] = field(default_factory=list)  # of RDMs not in the tree
    # HEAD's first-parent line: without git, a line of no commit, which nothing follows
    follows: due.Follows = field(default_factory=lambda: due.follows_along(()))


# An RDM file under rdms/, whatever its name's mistake (the layout rule says which).
_RDM_FILE = re.compile(r"(^|/)rdms/[^/]+/[^/]*\.ya?ml\Z", re.IGNORECASE)


def rdm_path(rdm_id: str) -> str:
    return f"rdms/{rdm_id[4:8]}/{rdm_id}.yaml"


def gather(
    root: Path, label: str = "", client: GitHubClient | None = None, slug: str | None = None
) -> Gathered:
    repository = load_work_tree(root, label)
    found = Gathered(repository)
    source = WorkTree(root, label)
    loaded = {source.display(rdm_path(rdm_id)) for rdm_id in repository.rdms}
    for path in sorted(
        {p.path for p in repository.problems if p.level == "error" and _is_rdm_file(p.path)}
        - loaded
    ):
        found.notes.append(
            _("{path} is not a valid RDM and is left out (`rdm validate` says why)").format(
                path=path
            )
        )
    by_rdm: dict[str, list[ExecutionRecord]] = {}
    annotated = notes.read_all(root) if history.is_repository(root) else {}
    for commit, (records, errors) in sorted(annotated.items()):
        # parse_note leaves out what is not a record (a span that ends before it
        # starts included) and says why; the rest is used
        found.notes += [
            _("note on {commit}: {error}; left out").format(commit=commit[:12], error=error)
            for error in errors
        ]
        for record in records:
            by_rdm.setdefault(record.rdm_id, []).append(record)
    for rdm_id in sorted(set(by_rdm) - set(repository.rdms)):
        found.orphans += sorted(by_rdm[rdm_id], key=lambda r: r.started_at)
        found.notes.append(
            _(
                "{rdm}: execution records of an RDM that is not in the work tree; "
                "reported from the records alone"
            ).format(rdm=rdm_id)
        )
    git_history = history.rdm_facts(root)
    git_facts = git_history.files
    found.follows = due.follows_along(git_history.line)
    github = client if client is not None and slug else None
    for rdm_id in sorted(repository.rdms):
        rdm = repository.rdms[rdm_id]
        path = rdm_path(rdm_id)
        facts = Facts(rdm, path, git_facts.get(path, GitFacts()), None, None, ())
        if github is not None and facts.git.pr is not None:
            facts = _with_pull(found, root, github, slug or "", facts, facts.git.pr)
        found.facts.append(_with_records(facts, by_rdm))
    if github is not None:
        seen = {f.rdm.id for f in found.facts}
        for number in github.open_pulls(slug or ""):
            for rdm, path in _open_pull_rdms(found, root, github, slug or "", number):
                if rdm.id in seen:
                    found.notes.append(
                        _(
                            "PR #{number} changes {rdm}, already on this branch; "
                            "listed as it is here"
                        ).format(number=number, rdm=rdm.id)
                    )
                    continue
                seen.add(rdm.id)
                facts = _with_pull(found, root, github, slug or "", Facts(rdm, path), number)
                found.facts.append(_with_records(facts, by_rdm))
        found.facts.sort(key=lambda f: f.rdm.id)
    return found


def _is_rdm_file(path: str) -> bool:
    """Is this problem's path (shown under the work tree's label) an RDM file's?"""
    return bool(_RDM_FILE.search(path))


def _with_records(facts: Facts, by_rdm: dict[str, list[ExecutionRecord]]) -> Facts:
    records = sorted(by_rdm.get(facts.rdm.id, ()), key=lambda r: r.started_at)
    return Facts(facts.rdm, facts.path, facts.git, facts.pull, facts.verdict, tuple(records))


def _with_pull(
    found: Gathered, root: Path, client: GitHubClient, slug: str, facts: Facts, number: int
) -> Facts:
    pull = client.pull_facts(slug, number)
    verdict: approvals.Verdict | None = None
    head = client.pull_head(slug, number)
    pr = client.pull_request(slug, number, head)
    try:
        # The same rule as `rdm approvals`: only a PR into the default branch is decided.
        verdict = decide_from_git(root, pr, head.default_branch)
    except (ExternalError, RdmError) as exc:
        found.notes.append(
            _("{rdm}: verdict of PR #{number} not computed: {reason}").format(
                rdm=facts.rdm.id, number=number, reason=exc
            )
        )
    return Facts(facts.rdm, facts.path, facts.git, pull, verdict, facts.records)


def _open_pull_rdms(
    found: Gathered, root: Path, client: GitHubClient, slug: str, number: int
) -> list[tuple[Rdm, str]]:
    pr = client.pull_request(slug, number)
    for commit, which in (
        (
            pr.head_sha,
            N_(
                "PR #{number}: its head {commit} is not in the clone; fetch it "
                "(fetch-depth: 0) to list its RDMs"
            ),
        ),
        (
            pr.base_sha,
            N_(
                "PR #{number}: its base {commit} is not in the clone; fetch it "
                "(fetch-depth: 0) to list its RDMs"
            ),
        ),
    ):
        if not history.commit_exists(root, commit):
            found.notes.append(_(which).format(number=number, commit=commit[:12]))
            return []
    # Which RDMs the PR changes comes from git's diff, never GitHub's file list
    # (truncated, and only what GitHub chose to list): the same rule as the verdict.
    try:
        diff = pull_request_diff(root, pr.base_sha, pr.head_sha)
    except ExternalError as exc:
        found.notes.append(
            _("PR #{number}: its RDMs cannot be listed: {reason}").format(number=number, reason=exc)
        )
        return []
    pr = replace(
        pr,
        changed_files=tuple(
            approvals.ChangedFile(c.path, c.status, c.previous) for c in diff.changes
        ),
    )
    paths = pr.rdm_paths()
    if not paths:
        return []
    at_head = load_repository(GitRevision(root, pr.head_sha), only=list(paths))
    listed: list[tuple[Rdm, str]] = []
    for path in paths:
        data = at_head.data.get(path)
        if data is None:
            found.notes.append(
                _("PR #{number}: {path} is not a valid RDM at its head").format(
                    number=number, path=path
                )
            )
            continue
        listed.append((Rdm.from_mapping(data), path))
    return listed
