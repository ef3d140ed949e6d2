"""A real git repository with an RDM history, notes and all, for the people tools.

main:  policy + topologies (2026-11-16)
       <- RDM-2026-0041 added on branch rdm-41 (2026-11-24 09:00),
          merged by PR #12 after the meeting that approved it (12-01 16:30)
       <- RDM-2026-0043 (emergency) squash-merged as "(#14)" (2026-12-02 08:30)
       <- RDM-2026-0042 committed straight to main at 2026-12-08 10:00:00 (the deadline: late)
work tree only (staged, never committed): RDM-2026-0044 (a draft); or, with
merge_0044, RDM-0044 (standard) on branch rdm-44 (2026-11-30 10:00) merged by
PR #13 after RDM-0041 (12-01 17:10)

Notes: RDM-0041 executed in the window of 2026-12-03 (00:05-01:20, estimate
1h30m); RDM-0043 executed 2026-12-02 09:00-09:18 with a rollback of one topology.

`merge_edit` adds, on top of that, a later PR that changes an RDM already merged
(a new version the committee approved, which the rollout runs again).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import git

from conftest import copy_example
from rdm.edges import notes
from rdm.model.records import (
    Approver,
    Capacity,
    ExecutionRecord,
    Outcome,
    Rollback,
    TopologyOutcome,
    TopologyRecord,
)

BRT = datetime.fromisoformat("2026-01-01T00:00:00-03:00").tzinfo


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _commit(
    repo: git.Repo, message: str, when: str, parents: list[git.Commit] | None = None
) -> git.Commit:
    return repo.index.commit(
        message,
        parent_commits=parents,
        author_date=t(when),
        commit_date=t(when),
    )


def build(root: Path, title_0041: str | None = None, merge_0044: bool = False) -> dict[str, str]:
    """Build the repository at `root`; returns the merge commit of each merged RDM."""
    copy_example(root)
    rdm_files = {p.stem: p.read_bytes() for p in (root / "rdms" / "2026").glob("*.yaml")}
    if title_0041 is not None:
        text = rdm_files["RDM-2026-0041"].decode()
        text = text.replace(
            "title: Atualização do Protheus para o pacote de expedição 12.1.2410 de novembro",
            f"title: {title_0041}",
        )
        rdm_files["RDM-2026-0041"] = text.encode()
    for path in (root / "rdms" / "2026").glob("*.yaml"):
        path.unlink()
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "rdm-test")
        config.set_value("user", "email", "rdm-test@example.invalid")
    repo.index.add([str(p.relative_to(root)) for p in root.rglob("*.yaml")])
    base = _commit(repo, "policy and topologies", "2026-11-16T12:00:00-03:00")

    def add(rdm_id: str) -> None:
        path = root / "rdms" / "2026" / f"{rdm_id}.yaml"
        path.write_bytes(rdm_files[rdm_id])
        repo.index.add([str(path.relative_to(root))])

    # RDM-0041 on a branch, merged by PR #12
    add("RDM-2026-0041")
    branch = _commit(repo, "RDM-2026-0041", "2026-11-24T09:00:00-03:00", [base])
    merge41 = _commit(
        repo,
        "Merge pull request #12 from saas-team/rdm-41\n\nRDM-2026-0041",
        "2026-12-01T16:30:00-03:00",
        [base, branch],
    )
    main = merge41
    if merge_0044:
        repo.git.read_tree(base.hexsha)  # the branch starts at the base, without RDM-0041
        add("RDM-2026-0044")
        branch44 = _commit(repo, "RDM-2026-0044", "2026-11-30T10:00:00-03:00", [base])
        repo.git.read_tree(merge41.hexsha)
        add("RDM-2026-0044")
        main = _commit(
            repo,
            "Merge pull request #13 from saas-team/rdm-44\n\nRDM-2026-0044",
            "2026-12-01T17:10:00-03:00",
            [merge41, branch44],
        )
    add("RDM-2026-0043")
    squash43 = _commit(
        repo, "Emergência TSS sem transmitir NF-e (#14)", "2026-12-02T08:30:00-03:00", [main]
    )
    add("RDM-2026-0042")
    _commit(repo, "RDM-2026-0042", "2026-12-08T10:00:00-03:00", [squash43])
    merges = {"RDM-2026-0041": merge41.hexsha, "RDM-2026-0043": squash43.hexsha}
    if merge_0044:
        merges["RDM-2026-0044"] = main.hexsha
    else:
        add("RDM-2026-0044")  # staged, never committed: a draft
    notes.append(root, merge41.hexsha, [record_0041(merge41.hexsha)])
    notes.append(root, squash43.hexsha, [record_0043(squash43.hexsha)])
    return merges


def merge_edit(
    root: Path,
    rdm_id: str,
    old: str,
    new: str,
    number: int,
    committed: str,
    merged: str,
    squash: bool = False,
) -> str:
    """A PR that changes `old` into `new` in `rdm_id`'s file, committed on its branch
    at `committed` and merged at `merged` (GitHub's merge or squash subject); the
    staged draft (RDM-0044) stays staged and out of both commits. Returns the commit
    that brought the change to main."""
    repo = git.Repo(root)
    draft = "rdms/2026/RDM-2026-0044.yaml"
    in_head = {item.path for item in repo.head.commit.tree.traverse()}
    staged = draft not in in_head and any(path == draft for path, _ in repo.index.entries)
    if staged:
        repo.index.remove([draft])
    relative = f"rdms/2026/{rdm_id}.yaml"
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    repo.index.add([relative])
    main = repo.head.commit
    if squash:
        commit = _commit(repo, f"Nova versão da {rdm_id} (#{number})", merged, [main])
    else:
        branch = _commit(repo, f"{rdm_id}: nova versão", committed, [main])
        commit = _commit(
            repo,
            f"Merge pull request #{number} from saas-team/rdm-edit-{number}\n\n{rdm_id}",
            merged,
            [main, branch],
        )
    if staged:
        repo.index.add([draft])
    return commit.hexsha


def record_0041(sha: str) -> ExecutionRecord:
    start = t("2026-12-03T00:05:00-03:00")
    return ExecutionRecord(
        rdm_id="RDM-2026-0041",
        outcome=Outcome.EXECUTED,
        merge_commit=sha,
        revision=sha,
        started_at=start,
        finished_at=start + timedelta(minutes=75),
        estimated_duration=timedelta(minutes=90),
        rollback_declared=timedelta(minutes=45),
        pr=12,
        window=date(2026, 12, 3),
        priority="P3",
        approvers=(Approver("ana-gerente-mudancas", 101, Capacity.MEMBER),),
        topologies=(
            TopologyRecord(
                "grupo-alvorada", TopologyOutcome.APPLIED, start, start + timedelta(minutes=40)
            ),
            TopologyRecord(
                "hospital-santa-luzia",
                TopologyOutcome.APPLIED,
                start + timedelta(minutes=40),
                start + timedelta(minutes=75),
            ),
        ),
    )


def record_0043(sha: str) -> ExecutionRecord:
    start = t("2026-12-02T09:00:00-03:00")
    return ExecutionRecord(
        rdm_id="RDM-2026-0043",
        outcome=Outcome.ROLLED_BACK,
        merge_commit=sha,
        revision=sha,
        started_at=start,
        finished_at=start + timedelta(minutes=18),
        estimated_duration=timedelta(minutes=20),
        rollback_declared=timedelta(minutes=10),
        pr=14,
        change_type="emergency",
        priority="P1",
        topologies=(
            TopologyRecord(
                "cooperativa-vale-verde",
                TopologyOutcome.ROLLED_BACK,
                start,
                start + timedelta(minutes=18),
                error="protheus-tss: not Ready",
                rollback=Rollback(
                    start + timedelta(minutes=6),
                    start + timedelta(minutes=18),
                    timedelta(minutes=10),
                    "protheus-tss did not become Ready",
                ),
            ),
        ),
    )


def build_with_0041_moved(root: Path, committed: str, merged: str) -> dict[str, str]:
    """The people history, then PR #15 moves RDM-0041 (run on 12-03) to the window of
    12-17, committed and merged at the instants given: a new version, approved, not run."""
    merges = build(root)
    merges["edit"] = merge_edit(
        root, "RDM-2026-0041", "window: 2026-12-03", "window: 2026-12-17", 15, committed, merged
    )
    return merges
