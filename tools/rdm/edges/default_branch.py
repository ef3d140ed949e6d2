"""The default branch as the rollout and the gate read it: git and GitHub behind
`operations.rollout.Facts`, and the git notes behind `operations.rollout.Ledger`.

- Each RDM's merge commit is the newest commit of the first-parent line that
  changed its file (`edges.gitlog`); GitHub then says which PR merged it and
  the verdict is recomputed as of the merge (`edges.merges`).
- What lies between a topology's baseline and a merge commit: the first-parent
  commits that changed `topologies/<org>.yaml`, each with the RDMs it brought
  that target the topology (read at that commit); and those that changed a
  file every client is rendered from (`repository.RENDER_INPUTS`), each with
  the verdict of the PR that merged it, recomputed as of the merge.
- Topologies are rendered as they were at the merge commit (`GitRevision`):
  a later merge never leaks into the window.

Git answers are read once per run and kept (the line, the RDMs of a commit,
the topologies of a commit); GitHub is asked once per RDM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rdm.decisions import approvals, gate, revisions
from rdm.decisions.due import Merged
from rdm.decisions.standard import TopologyDiff
from rdm.edges import gitlog, merges, notes
from rdm.edges.github import GitHubClient
from rdm.edges.repository import RENDER_INPUTS, Repository, load_repository, render_source
from rdm.edges.sources import GitRevision, load
from rdm.model.problems import RdmError
from rdm.model.records import ExecutionRecord
from rdm.operations.rollout import Verification

_RDM_PATH = re.compile(r"\Ardms/[0-9]{4}/RDM-[0-9]{4}-[0-9]{4}\.yaml\Z")


@dataclass
class DefaultBranch:
    """Git facts of the clone's default branch, and GitHub's word on its merges."""

    root: Path
    client: GitHubClient | None  # None: no verdict can be re-checked (every RDM blocked)
    slug: str
    branch: str  # the default branch's name, as GitHub gives it
    head: str = "HEAD"
    line: list[gitlog.Commit] = field(init=False)
    _position: dict[str, int] = field(init=False, repr=False)
    _rdms_at: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _diffs: dict[str, dict[str, TopologyDiff]] = field(default_factory=dict, repr=False)
    # commit -> (the PR that merged it, approved, why not): one GitHub question per commit
    _verdicts: dict[str, tuple[int | None, bool, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.line = gitlog.first_parent_line(self.root, self.head)
        count = len(self.line)
        self._position = {c.sha: count - 1 - i for i, c in enumerate(self.line)}  # 0 = oldest

    # ------------------------------------------------------------ the RDMs

    def merged(self, repository: Repository) -> list[Merged]:
        """Every valid RDM of the branch with the commit that last changed its file."""
        paths = {f"rdms/{rdm.id[4:8]}/{rdm.id}.yaml": rdm for rdm in repository.rdms.values()}
        last = gitlog.last_changes(self.line, paths)
        found = []
        for path, rdm in sorted(paths.items()):
            commit = last.get(path)
            if commit is None:
                continue  # in the work tree only: not merged
            found.append(
                Merged(
                    rdm,
                    commit.sha,
                    commit.committed_at,
                    self._position[commit.sha],
                    repository.priority(rdm),
                    rdm.depends_on,
                )
            )
        return found

    # ------------------------------------------------------------ rollout.Facts

    def verify(self, merged: Merged) -> Verification:
        if self.client is None:
            return Verification(
                gate.Committee(merged.merge_commit, None, None, "GitHub was not asked"),
                merged.merge_commit,
            )
        shas = [c.sha for c in self.line]
        found = merges.merged_by(
            self.client, self.slug, self.root, merged.merge_commit, self.branch, shas
        )
        return replace(
            verification(found, merged.merge_commit), own=self._own(found, merged.merge_commit)
        )

    def _own(self, found: merges.MergeFacts, commit: str) -> tuple[str, ...]:
        """The first-parent commits the PR that merged `commit` brought: its merge or
        squash commit; for a rebase merge, the line from `commit` to its last commit."""
        merge_commit = found.merge_commit
        if found.pull is None or merge_commit is None:
            return ()
        low, high = self._position.get(commit), self._position.get(merge_commit)
        if low is None or high is None or low >= high:
            return (merge_commit,)
        return tuple(c.sha for c in self.line if low <= self._position[c.sha] <= high)

    def verify_pull(self, merged: Merged, number: int) -> Verification:
        """The verdict of PR `number` instead of the PR GitHub says merged the RDM."""
        if self.client is None:
            return self.verify(merged)
        found = merges.pull_verdict(self.client, self.slug, self.root, number, self.branch)
        return verification(found, merged.merge_commit)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        low, high = self._position.get(ancestor), self._position.get(descendant)
        if low is not None and high is not None:
            return low <= high  # each commit of the line descends from the ones before it
        return gitlog.is_ancestor(self.root, ancestor, descendant)

    def on_line(self, sha: str) -> bool:
        return sha in self._position

    def changes_between(
        self, org_id: str, baseline: str | None, merge_commit: str
    ) -> list[revisions.TopologyChange]:
        path = f"topologies/{org_id}.yaml"
        low = self._position.get(baseline, -1) if baseline else -1
        high = self._position.get(merge_commit)
        if high is None:
            raise RdmError(f"{merge_commit[:12]} is not on the default branch's first-parent line")
        found: list[revisions.TopologyChange] = []
        for commit in reversed(self.line):  # oldest first
            position = self._position[commit.sha]
            if position <= low or position >= high or path not in commit.paths:
                continue
            # From the start of the line, the first change is the one that created the file.
            created = low < 0 and not found
            found.append(
                revisions.TopologyChange(commit.sha, self._rdms_for(commit, org_id), created)
            )
        return found

    def input_changes(
        self, org_id: str, baseline: str | None, merge_commit: str
    ) -> list[revisions.InputChange]:
        high = self._position.get(merge_commit)
        if high is None:
            raise RdmError(f"{merge_commit[:12]} is not on the default branch's first-parent line")
        start: str | None = baseline if baseline in self._position else None
        if start is None:
            # Never applied: the client's import is its starting point, with the
            # files it is rendered from as they stood at that commit.
            path = f"topologies/{org_id}.yaml"
            start = next((c.sha for c in reversed(self.line) if path in c.paths), None)
        low = self._position[start] if start is not None else -1
        found: list[revisions.InputChange] = []
        for relative in RENDER_INPUTS:
            before = gitlog.blob(self.root, start, relative) if start is not None else None
            for commit in reversed(self.line):  # oldest first
                position = self._position[commit.sha]
                if position <= low or position > high or relative not in commit.paths:
                    continue
                pr, approved, why = self._verdict_of(commit.sha)
                restored = gitlog.blob(self.root, commit.sha, relative) == before
                found.append(
                    revisions.InputChange(commit.sha, relative, pr, approved, why, restored)
                )
        return found

    def _verdict_of(self, commit: str) -> tuple[int | None, bool, str]:
        """The PR that merged `commit` and whether its verdict, recomputed as of the
        merge, is approved (with why not)."""
        if commit not in self._verdicts:
            if self.client is None:
                self._verdicts[commit] = (None, False, "GitHub was not asked")
            else:
                shas = [c.sha for c in self.line]
                found = merges.merged_by(
                    self.client, self.slug, self.root, commit, self.branch, shas
                )
                self._verdicts[commit] = _judged(found)
        return self._verdicts[commit]

    def _rdms_for(self, commit: gitlog.Commit, org_id: str) -> tuple[str, ...]:
        """The RDMs `commit` added or changed that target `org_id`, as they were there."""
        paths = [p for p in commit.paths if _RDM_PATH.match(p)]
        if not paths:
            return ()
        key = (commit.sha, ",".join(paths))
        if key not in self._rdms_at:
            repository = load_repository(GitRevision(self.root, commit.sha), only=paths)
            self._rdms_at[key] = repository.rdms
        rdms = self._rdms_at[key]
        return tuple(sorted(r.id for r in rdms.values() if org_id in r.targets))

    def diffs(self, merged: Merged) -> Mapping[str, TopologyDiff]:
        commit = merged.merge_commit
        if commit not in self._diffs:
            parents = gitlog.parents(self.root, commit)
            before = GitRevision(self.root, parents[0]) if parents else None
            after = GitRevision(self.root, commit)
            self._diffs[commit] = {
                org: TopologyDiff(
                    org,
                    _raw(before, f"topologies/{org}.yaml") if before else None,
                    _raw(after, f"topologies/{org}.yaml"),
                )
                for org in merged.rdm.targets
            }
        return self._diffs[commit]

    def render(self, revision: str, org_ids: Sequence[str]) -> Mapping[str, Sequence[Any]]:
        rendered = render_source(GitRevision(self.root, revision), org_ids)
        if rendered.problems:
            shown = "; ".join(str(p) for p in rendered.problems[:3])
            raise RdmError(f"topologies at {revision[:12]} do not render: {shown}")
        return rendered.manifests


def verification(found: merges.MergeFacts, commit: str) -> Verification:
    """What `merges` found, as the gate and the rollout read it."""
    if found.pull is None:
        others = (
            f" (GitHub associates {', '.join(f'#{n}' for n in found.associated)} with it, "
            "but none of them merged it)"
            if found.associated
            else ""
        )
        problem = f"no pull request merged it: a direct push or a bypass{others}"
        return Verification(gate.Committee(commit, None, None, problem), commit)
    merge_commit = found.merge_commit or commit
    return Verification(
        gate.Committee(merge_commit, found.pull.number, found.verdict),
        merge_commit,
        found.submitted_at,
        found.approvals,
    )


def _judged(found: merges.MergeFacts) -> tuple[int | None, bool, str]:
    if found.pull is None:
        return (None, False, "a direct push or a bypass")
    verdict = found.verdict
    if verdict is None:
        return (found.pull.number, False, found.problem or "no verdict could be computed")
    if verdict.verdict is approvals.Outcome.APPROVED:
        return (found.pull.number, True, "")
    return (
        found.pull.number,
        False,
        f"merged without the {verdict.committee}'s approval (the verdict recomputed from its "
        f"reviews as they stood at the merge is {verdict.verdict})",
    )


def _raw(source: GitRevision, relative: str) -> dict[str, object] | None:
    try:
        source.read(relative)
    except KeyError:  # not in that commit's tree
        return None
    document = load(source, relative).document
    return document.data if document is not None and isinstance(document.data, dict) else None


@dataclass
class NotesLedger:
    """The execution records under refs/notes/rdm of the clone (`edges.notes`)."""

    root: Path
    problems: list[str] = field(default_factory=list)

    def records(self) -> list[ExecutionRecord]:
        found: list[ExecutionRecord] = []
        for commit, (records, errors) in notes.read_all(self.root).items():
            found += records
            self.problems += [f"the note on {commit[:12]}: {error}" for error in errors]
        return found

    def append(self, commit: str, record: ExecutionRecord) -> None:
        notes.append(self.root, commit, [record])
