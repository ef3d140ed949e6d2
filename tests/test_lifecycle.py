"""The RDM lifecycle, the agenda and `rdm list`, on a real git history with notes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import people_repo
from conftest import ROOT
from rdm.decisions import calendar, due, lifecycle
from rdm.decisions.lifecycle import Change, Facts, GitFacts, PullFacts, State
from rdm.edges.repository import load_work_tree
from rdm.model.records import ExecutionRecord, Outcome

Run = Callable[..., tuple[int, str, str]]
T = datetime.fromisoformat


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("people") / "repo"
    people_repo.build(root)
    return root


@pytest.fixture(scope="module")
def policy() -> calendar.CalendarPolicy:
    found = load_work_tree(ROOT).calendar
    assert found is not None
    return found


def states(run_rdm: Run, repo: Path, at: str) -> dict[str, str]:
    code, out, err = run_rdm("list", "--repo", str(repo), "--at", at, "--format", "json")
    assert (code, err) == (0, "")
    return {item["id"]: item["state"] for item in json.loads(out)["rdms"]}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # --at replays the history: what happened later is left out
        ("2026-11-23T12:00:00-03:00", ["draft", "draft", "draft", "draft"]),
        ("2026-11-30T12:00:00-03:00", ["submitted", "draft", "draft", "draft"]),
        ("2026-12-02T12:00:00-03:00", ["scheduled", "draft", "rolled-back", "draft"]),
        ("2026-12-04T12:00:00-03:00", ["executed", "draft", "rolled-back", "draft"]),
        ("2026-12-08T10:00:00-03:00", ["executed", "submitted", "rolled-back", "draft"]),
        # the meeting after the runs has ended: their results were on its agenda
        ("2026-12-08T15:59:59-03:00", ["executed", "submitted", "rolled-back", "draft"]),
        ("2026-12-08T16:00:00-03:00", ["reviewed", "submitted", "reviewed", "draft"]),
        ("2026-12-17T06:00:00-03:00", ["reviewed", "submitted", "reviewed", "draft"]),
    ],
)
def test_states_move_with_time(run_rdm: Run, history: Path, at: str, expected: list[str]) -> None:
    ids = ["RDM-2026-0041", "RDM-2026-0042", "RDM-2026-0043", "RDM-2026-0044"]
    assert states(run_rdm, history, at) == dict(zip(ids, expected, strict=True))


def test_list_text_in_portuguese(run_rdm: Run, history: Path) -> None:
    code, out, _ = run_rdm("list", "--repo", str(history), "--at", "2026-12-09T12:00:00-03:00")
    assert code == 0
    assert out.splitlines() == [
        "RDM            estado     prioridade  janela      alvos",
        "RDM-2026-0041  revisada   P3          2026-12-03  grupo-alvorada, hospital-santa-luzia",
        "    submetida em 2026-11-24 09:00 -03:00 (commit que a adicionou); "
        "no prazo da reunião de 2026-12-01",
        "    executada de 2026-12-03 00:05 -03:00 a 2026-12-03 01:20 -03:00 "
        "(estimativa 1h30m, levou 1h15m)",
        "    revisada na reunião de 2026-12-08",
        "RDM-2026-0042  submetida  P2          2026-12-10  metalurgica-sao-jorge",
        "    submetida em 2026-12-08 10:00 -03:00 (commit que a adicionou); fora do prazo da "
        "reunião de 2026-12-08 (prazo 2026-12-08 10:00 -03:00); agora pode entrar na janela "
        "de 2026-12-17",
        "RDM-2026-0043  revisada   P1          emergência  cooperativa-vale-verde",
        "    submetida em 2026-12-02 08:30 -03:00 (commit que a adicionou)",
        "    revertida de 2026-12-02 09:00 -03:00 a 2026-12-02 09:18 -03:00 "
        "(estimativa 20m, levou 18m)",
        "    revisada na reunião de 2026-12-08",
        "RDM-2026-0044  rascunho   P4          2026-12-03  hospital-santa-luzia",
        "4 RDM(s)",
    ]


def test_list_in_english(run_rdm: Run, history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDM_LANG", "en")
    _, out, _ = run_rdm("list", "--repo", str(history), "--at", "2026-12-09T12:00:00-03:00")
    assert out.splitlines()[0] == "RDM            state      priority  window      targets"
    assert "    reviewed at the meeting of 2026-12-08" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--state", "draft"], ["RDM-2026-0044"]),
        (
            ["--state", "reviewed", "--state", "draft"],
            ["RDM-2026-0041", "RDM-2026-0043", "RDM-2026-0044"],
        ),
        (["--org", "hospital-santa-luzia"], ["RDM-2026-0041", "RDM-2026-0044"]),
        (["--window", "2026-12-03"], ["RDM-2026-0041", "RDM-2026-0044"]),
        (["--window", "2026-12-03", "--state", "draft"], ["RDM-2026-0044"]),
        (["--org", "nobody"], []),
    ],
)
def test_list_filters(run_rdm: Run, history: Path, args: list[str], expected: list[str]) -> None:
    code, out, _ = run_rdm(
        "list",
        "--repo",
        str(history),
        "--at",
        "2026-12-09T12:00:00-03:00",
        "--format",
        "json",
        *args,
    )
    assert code == 0
    assert [item["id"] for item in json.loads(out)["rdms"]] == expected


def test_list_json_says_when_and_for_which_meeting(run_rdm: Run, history: Path) -> None:
    _, out, _ = run_rdm(
        "list", "--repo", str(history), "--at", "2026-12-09T12:00:00-03:00", "--format", "json"
    )
    item = {i["id"]: i for i in json.loads(out)["rdms"]}["RDM-2026-0042"]
    assert item["submittedAt"] == "2026-12-08T10:00:00-03:00"
    assert item["submissionSource"] == "commit"
    assert item["meeting"] == "2026-12-08T14:00:00-03:00"
    assert item["inTime"] is False
    assert item["canMake"] == "2026-12-17T00:00:00-03:00"
    assert item["pr"] is None
    merged = {i["id"]: i for i in json.loads(out)["rdms"]}["RDM-2026-0041"]
    assert (merged["pr"], merged["record"]["outcome"]) == (12, "executed")


def test_a_folder_without_git_lists_drafts(run_rdm: Run, tmp_path: Path) -> None:
    from conftest import copy_example

    copy_example(tmp_path / "plain")
    got = states(run_rdm, tmp_path / "plain", "2026-12-09T12:00:00-03:00")
    assert set(got.values()) == {"draft"}


def test_an_unreadable_note_is_reported_and_the_rest_listed(run_rdm: Run, tmp_path: Path) -> None:
    import git

    root = tmp_path / "repo"
    merges = people_repo.build(root)
    repo = git.Repo(root)
    repo.git.notes(
        "--ref", "refs/notes/rdm", "add", "-f", "-m", "{not json", merges["RDM-2026-0043"]
    )
    code, out, err = run_rdm("list", "--repo", str(root), "--at", "2026-12-09T12:00:00-03:00")
    assert code == 0
    assert err.startswith(f"rdm: nota em {merges['RDM-2026-0043'][:12]}: a nota não é JSON")
    assert "RDM-2026-0043  agendada" in out


# ------------------------------------------------------------------ versions of an RDM
#
# A later approved PR that changes an RDM's file is a new version: the rollout runs it
# again (`due.same_run`: a record counts only when made at the commit that last changed
# the file, or after it on the first-parent line), so `rdm list` must not call it done
# on the strength of the old version's record.

EDIT_COMMITTED = "2026-12-09T09:00:00-03:00"
EDIT_MERGED = "2026-12-09T11:00:00-03:00"


def _listed(run_rdm: Run, repo: Path, at: str) -> dict[str, dict[str, object]]:
    code, out, err = run_rdm("list", "--repo", str(repo), "--at", at, "--format", "json")
    assert (code, err) == (0, "")
    return {item["id"]: item for item in json.loads(out)["rdms"]}


def _moved_0041(root: Path) -> dict[str, str]:
    """The people history, then PR #15 moves RDM-0041 (run on 12-03) to the window
    of 12-17: the committee approved a new version, which has not run."""
    return people_repo.build_with_0041_moved(root, EDIT_COMMITTED, EDIT_MERGED)


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("moved") / "repo"
    return root, _moved_0041(root)


def test_an_rdm_changed_by_a_later_merge_is_scheduled_again(
    run_rdm: Run, moved: tuple[Path, dict[str, str]]
) -> None:
    root, merges = moved
    item = _listed(run_rdm, root, "2026-12-09T12:00:00-03:00")["RDM-2026-0041"]
    assert (item["state"], item["window"], item["record"]) == ("scheduled", "2026-12-17", None)
    assert item["version"] == merges["edit"]
    assert item["earlierRecord"] == {
        "outcome": "executed",
        "startedAt": "2026-12-03T00:05:00-03:00",
        "finishedAt": "2026-12-03T01:20:00-03:00",
        "mergeCommit": merges["RDM-2026-0041"],
    }


def test_an_rdm_changed_by_a_later_merge_says_an_earlier_version_ran(
    run_rdm: Run, moved: tuple[Path, dict[str, str]]
) -> None:
    root, _ = moved
    code, out, err = run_rdm("list", "--repo", str(root), "--at", "2026-12-09T12:00:00-03:00")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index(
        "RDM-2026-0041  agendada   P3          2026-12-17  grupo-alvorada, hospital-santa-luzia"
    )
    assert lines[start + 1 : start + 4] == [
        "    submetida em 2026-11-24 09:00 -03:00 (commit que a adicionou); no prazo da "
        "reunião de 2026-12-15",
        "    uma versão anterior foi executada de 2026-12-03 00:05 -03:00 a 2026-12-03 01:20 "
        "-03:00; esta versão ainda não rodou",
        "RDM-2026-0042  submetida  P2          2026-12-10  metalurgica-sao-jorge",
    ]


def test_before_the_later_merge_the_old_version_was_the_one_that_ran(
    run_rdm: Run, moved: tuple[Path, dict[str, str]]
) -> None:
    # --at replays: until PR #15 was merged, the version on main was the one that ran.
    root, merges = moved
    item = _listed(run_rdm, root, "2026-12-09T10:59:59-03:00")["RDM-2026-0041"]
    assert (item["state"], item["version"]) == ("reviewed", merges["RDM-2026-0041"])
    assert item["record"]["mergeCommit"] == merges["RDM-2026-0041"]  # type: ignore[index]


def test_the_new_version_runs_in_its_window(run_rdm: Run, tmp_path: Path) -> None:
    import dataclasses

    from rdm.edges import notes

    root = tmp_path / "repo"
    merges = _moved_0041(root)
    old = people_repo.record_0041(merges["edit"])
    start = T("2026-12-17T00:05:00-03:00")
    ran = dataclasses.replace(
        old,
        pr=15,
        window=T("2026-12-17T00:00:00-03:00").date(),
        started_at=start,
        finished_at=start + timedelta(minutes=50),
        topologies=(),
    )
    notes.append(root, merges["edit"], [ran])
    assert _listed(run_rdm, root, "2026-12-16T12:00:00-03:00")["RDM-2026-0041"]["state"] == (
        "scheduled"
    )
    item = _listed(run_rdm, root, "2026-12-17T12:00:00-03:00")["RDM-2026-0041"]
    assert (item["state"], item["record"]["mergeCommit"]) == (  # type: ignore[index]
        "executed",
        merges["edit"],
    )


def test_an_emergency_changed_by_a_later_squash_runs_again_and_the_others_stand(
    run_rdm: Run, tmp_path: Path
) -> None:
    # No window to tell the versions apart: only the merge commit does.
    root = tmp_path / "repo"
    merges = people_repo.build(root)
    edit = people_repo.merge_edit(
        root,
        "RDM-2026-0043",
        "Troca de imagem do TSS apenas",
        "Troca de imagem do TSS e da cadeia de certificados",
        16,
        EDIT_COMMITTED,
        EDIT_MERGED,
        squash=True,
    )
    items = _listed(run_rdm, root, "2026-12-09T12:00:00-03:00")
    emergency = items["RDM-2026-0043"]
    assert (emergency["state"], emergency["version"], emergency["record"]) == (
        "scheduled",
        edit,
        None,
    )
    assert emergency["earlierRecord"]["outcome"] == "rolled-back"  # type: ignore[index]
    # RDM-0041, not changed since its run, is still what its record says
    assert items["RDM-2026-0041"]["state"] == "reviewed"
    assert items["RDM-2026-0041"]["version"] == merges["RDM-2026-0041"]
    assert items["RDM-2026-0041"]["earlierRecord"] is None


def _forged(root: Path, merges: dict[str, str], which: str) -> str:
    """A commit a record of RDM-0041's new version may name without being a run of it."""
    import git

    repo = git.Repo(root)
    edit = repo.commit(merges["edit"])
    return {
        # the PR's own commit: in the clone, not on main's first-parent line
        "pr-branch": edit.parents[1].hexsha,
        # on the line, but before the file existed
        "before-the-rdm": repo.commit(merges["RDM-2026-0041"]).parents[0].hexsha,
        # nowhere in the clone
        "unknown": "f" * 40,
        # another RDM's merge, on the line after the old version and before this one
        "another-rdm": merges["RDM-2026-0043"],
    }[which]


@pytest.mark.parametrize(
    ("which", "earlier"),
    [
        ("pr-branch", "RDM-2026-0041"),
        ("before-the-rdm", "RDM-2026-0041"),
        ("unknown", "RDM-2026-0041"),
        # as far as the line tells, a run of the old version (a rebase merge records
        # on its last commit): the last thing the old version did, but not this one's
        ("another-rdm", "RDM-2026-0043"),
    ],
)
def test_a_record_on_a_commit_that_is_not_the_version_does_not_count(
    run_rdm: Run, tmp_path: Path, which: str, earlier: str
) -> None:
    import dataclasses

    from rdm.edges import notes

    root = tmp_path / "repo"
    merges = _moved_0041(root)
    commit = _forged(root, merges, which)
    start = T("2026-12-09T11:30:00-03:00")
    forged = dataclasses.replace(
        people_repo.record_0041(commit),
        window=T("2026-12-17T00:00:00-03:00").date(),
        started_at=start,
        finished_at=start + timedelta(minutes=10),
    )
    notes.append(root, merges["edit"], [forged])
    item = _listed(run_rdm, root, "2026-12-09T12:00:00-03:00")["RDM-2026-0041"]
    assert (item["state"], item["record"]) == ("scheduled", None)
    assert item["earlierRecord"]["mergeCommit"] == merges[earlier]  # type: ignore[index]


def test_a_record_of_the_new_version_for_another_window_does_not_count(
    run_rdm: Run, tmp_path: Path
) -> None:
    # Made at the right commit, but for the old window: not a run of this version.
    import dataclasses

    from rdm.edges import notes

    root = tmp_path / "repo"
    merges = _moved_0041(root)
    start = T("2026-12-09T11:30:00-03:00")
    stale = dataclasses.replace(
        people_repo.record_0041(merges["edit"]),
        started_at=start,
        finished_at=start + timedelta(minutes=10),
    )
    notes.append(root, merges["edit"], [stale])
    item = _listed(run_rdm, root, "2026-12-09T12:00:00-03:00")["RDM-2026-0041"]
    assert (item["state"], item["record"]) == ("scheduled", None)


# ------------------------------------------------------------------ pure rules


def _facts(**changes: object) -> Facts:
    rdm = load_work_tree(ROOT).rdms["RDM-2026-0042"]  # window 2026-12-10, meeting 12-08
    base: dict[str, object] = {"rdm": rdm, "path": "rdms/2026/RDM-2026-0042.yaml"}
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def _pull(**changes: object) -> PullFacts:
    base: dict[str, object] = {
        "number": 7,
        "open": True,
        "draft": False,
        "merged": False,
        "created_at": T("2026-12-01T09:00:00-03:00"),
    }
    base.update(changes)
    return PullFacts(**base)  # type: ignore[arg-type]


NOW = T("2026-12-08T12:00:00-03:00")
LATER = T("2026-12-11T12:00:00-03:00")
MERGE = "a" * 40  # the commit test_records.record's records name
# HEAD's first-parent line: the merge of RDM-0042, then one more commit
LINE = due.follows_along(["b" * 40, MERGE])
MERGED = GitFacts(
    committed=True,
    merge_commit=MERGE,
    merged_at=T("2026-12-01T17:00:00-03:00"),
    pr=7,
    changes=(Change(MERGE, T("2026-12-01T17:00:00-03:00")),),
)


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (_facts(), State.DRAFT),
        (
            _facts(git=GitFacts(committed=True, added_at=T("2026-12-01T09:00:00-03:00"))),
            State.SUBMITTED,
        ),
        (_facts(pull=_pull(draft=True)), State.DRAFT),
        (_facts(pull=_pull(open=False)), State.WITHDRAWN),
        (_facts(pull=_pull()), State.SUBMITTED),
        (_facts(pull=_pull(merged=True, open=False)), State.SCHEDULED),
        (
            _facts(git=GitFacts(committed=True, merge_commit="a" * 40, pr=7)),
            State.SCHEDULED,
        ),
    ],
)
def test_state_rules(policy: calendar.CalendarPolicy, facts: Facts, state: State) -> None:
    assert lifecycle.derive(facts, policy, "P2", NOW, LINE).state is state


def test_merged_and_window_over_without_record_is_missed(policy: calendar.CalendarPolicy) -> None:
    facts = _facts(pull=_pull(merged=True, open=False))
    assert (
        lifecycle.derive(facts, policy, "P2", T("2026-12-10T05:59:59-03:00"), LINE).state
        is State.SCHEDULED
    )
    over = lifecycle.derive(facts, policy, "P2", T("2026-12-10T06:00:00-03:00"), LINE)
    assert over.state is State.MISSED


@pytest.mark.parametrize(
    ("ready", "in_time"),
    [
        ("2026-12-08T09:59:59-03:00", True),
        ("2026-12-08T10:00:00-03:00", False),
        ("2026-12-08T12:59:59Z", True),
    ],
)
def test_ready_for_review_decides_the_deadline(
    policy: calendar.CalendarPolicy, ready: str, in_time: bool
) -> None:
    status = lifecycle.derive(_facts(pull=_pull(ready_at=T(ready))), policy, "P2", NOW, LINE)
    assert status.submission is not None
    assert (status.submission.source, status.submission.in_time) == ("ready-for-review", in_time)
    expected = None if in_time else T("2026-12-17T00:00:00-03:00")
    got = status.submission.can_make
    assert (got.start if got else None) == expected


def test_a_refusal_then_a_run_is_the_run(policy: calendar.CalendarPolicy) -> None:
    from test_records import record

    refused = record(rdm_id="RDM-2026-0042", outcome=Outcome.REFUSED)
    ran = record(
        rdm_id="RDM-2026-0042",
        outcome=Outcome.EXECUTED,
        started_at=refused.started_at + timedelta(hours=1),
        finished_at=refused.started_at + timedelta(hours=2),
    )
    def derive(*records: ExecutionRecord) -> lifecycle.Status:
        return lifecycle.derive(_facts(git=MERGED, records=records), policy, "P2", LATER, LINE)

    assert derive(refused).state is State.REFUSED
    status = derive(refused, ran)
    assert (status.state, status.record) == (State.EXECUTED, ran)
    failed = record(rdm_id="RDM-2026-0042", outcome=Outcome.FAILED)
    assert derive(failed).state is State.FAILED


def test_records_count_only_at_or_after_the_version_on_the_line(
    policy: calendar.CalendarPolicy,
) -> None:
    from test_records import record

    def derive(merge_commit: str) -> lifecycle.Status:
        ran = record(rdm_id="RDM-2026-0042", outcome=Outcome.EXECUTED, merge_commit=merge_commit)
        return lifecycle.derive(_facts(git=MERGED, records=(ran,)), policy, "P2", LATER, LINE)

    # the merge itself, and a later commit of the line (a rebase merge records on its last)
    assert derive(MERGE).state is State.EXECUTED
    assert derive("b" * 40).state is State.EXECUTED
    # a commit off the line: no run of it, nor of an earlier version (its window is over)
    status = derive("c" * 40)
    assert (status.state, status.record, status.earlier, status.runs) == (
        State.MISSED,
        None,
        None,
        (),
    )
    # an RDM not on the line (no version): no record is a run of it
    unmerged = _facts(pull=_pull(), records=(record(rdm_id="RDM-2026-0042"),))
    assert lifecycle.derive(unmerged, policy, "P2", LATER, LINE).state is State.SUBMITTED


def test_github_ready_for_review_and_verdict(
    run_rdm: Run, tmp_path: Path, fake: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a token, PR #12's ready_for_review event is the submission and its
    verdict is shown; an open PR whose head is not in the clone is reported."""
    from github_fake import SLUG, FakeGitHub

    assert isinstance(fake, FakeGitHub)
    root = tmp_path / "repo"
    merges = people_repo.build(root)
    import git

    repo = git.Repo(root)
    merge = repo.commit(merges["RDM-2026-0041"])
    base, head = merge.parents[0].hexsha, merge.parents[1].hexsha
    pull = fake.pull(12, "bruno-infra", head=head, base=base)
    pull.created_at = "2026-11-20T12:00:00Z"
    pull.draft = True
    pull.ready_for_review("bruno-infra", "2026-11-24T15:00:00Z")
    pull.merged_at = "2026-11-26T19:00:00Z"
    pull.open = False
    pull.change("rdms/2026/RDM-2026-0041.yaml", "added")
    for member in ("ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"):
        pull.review(member, "APPROVED")
    squash = fake.pull(14, "plantao-noc", head="c" * 40, base=base)
    squash.merged_at = "2026-12-02T11:30:00Z"
    squash.open = False
    squash.change("rdms/2026/RDM-2026-0043.yaml", "added")
    waiting = fake.pull(20, "eduardo-gmud", head="d" * 40, base=base)
    waiting.change("rdms/2026/RDM-2026-0050.yaml", "added")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    code, out, err = run_rdm(
        "list", "--repo", str(root), "--repo-slug", SLUG, "--at", "2026-12-02T12:00:00-03:00",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    items = {i["id"]: i for i in json.loads(out)["rdms"]}
    assert items["RDM-2026-0041"]["submittedAt"] == "2026-11-24T15:00:00+00:00"
    assert items["RDM-2026-0041"]["submissionSource"] == "ready-for-review"
    assert items["RDM-2026-0041"]["verdict"] == "pending"  # bruno-infra is the author
    assert "PR #20: o head dddddddddddd não está no clone" in err
    assert "RDM-2026-0043: veredito da PR #14 não calculado" in err
    assert all(a == "Bearer ghs_test" for a in fake.authorizations)


# ------------------------------------------------------------------ the rollout agrees


def _ran(sha: str, rdm_id: str, window: str, start: str, *targets: str) -> ExecutionRecord:
    """`rdm_id` executed at its merge commit `sha` on `targets`, as the rollout records it."""
    import dataclasses

    from rdm.model.records import TopologyOutcome, TopologyRecord

    began = T(start)
    ended = began + timedelta(minutes=20)
    return dataclasses.replace(
        people_repo.record_0041(sha),
        rdm_id=rdm_id,
        window=T(f"{window}T00:00:00-03:00").date(),
        started_at=began,
        finished_at=ended,
        topologies=tuple(
            TopologyRecord(org, TopologyOutcome.APPLIED, began, ended) for org in targets
        ),
    )


def test_rdm_list_and_the_rollout_agree_on_what_is_left_to_run(
    run_rdm: Run, tmp_path: Path, httpserver: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's history through GitHub's merges: RDM-0041 and RDM-0044 ran on
    12-03; PR #N moves RDM-0041 to the window of 12-10 (approved, merged 12-04);
    RDM-0042 ran at 12-10 00:05. At 12-10 00:30 the rollout takes up RDM-0041 again
    and leaves RDM-0042 alone: `rdm list` says scheduled and executed."""
    from github_fake import SLUG
    from merged_history import APP, CM, RDM41, History, MergingGitHub, at, example
    from rdm.edges import notes

    github = MergingGitHub(httpserver)  # type: ignore[arg-type]
    history = History(tmp_path / "repo", github)
    story = example(history)
    root = history.root
    for rdm_id, targets in (
        ("RDM-2026-0041", ("grupo-alvorada", "hospital-santa-luzia")),
        ("RDM-2026-0044", ("hospital-santa-luzia",)),
    ):
        sha = story.merges[rdm_id]
        ran = _ran(sha, rdm_id, "2026-12-03", "2026-12-03T00:05:00-03:00", *targets)
        notes.append(root, sha, [ran])
    text = history.text(RDM41).replace("2026-12-03", "2026-12-10")  # window and downtime
    moved = history.open(
        {RDM41: text},
        "eduardo-gmud",
        at(4, 9, month=12),
    )
    history.approve(moved, CM, at(8, 15, month=12))
    github.post_status(moved.head, "success", APP, at(8, 15, 1, month=12))
    edit = history.merge(moved, at(8, 16, month=12))
    sha = story.merges["RDM-2026-0042"]
    ran = _ran(
        sha, "RDM-2026-0042", "2026-12-10", "2026-12-10T00:05:00-03:00", "metalurgica-sao-jorge"
    )
    notes.append(root, sha, [ran])
    now = "2026-12-10T00:30:00-03:00"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kube/config: a dry run
    for name in ("KUBECONFIG", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "RDM_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    code, out, err = run_rdm(
        "rollout", "--repo", str(root), "--at", now, "--dry-run", "--format", "text"
    )
    assert code == 0, out + err
    heads = [line for line in out.splitlines() if line.startswith("RDM-")]
    assert heads == [
        f"RDM-2026-0041 (P3, normal, PR #{moved.number}, {edit[:12]}): seria executada (dry run)"
    ]
    monkeypatch.delenv("GITHUB_TOKEN")
    items = _listed(run_rdm, root, now)
    assert (items["RDM-2026-0041"]["state"], items["RDM-2026-0041"]["version"]) == (
        "scheduled",
        edit,
    )
    assert items["RDM-2026-0042"]["state"] == "executed"
