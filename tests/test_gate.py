"""`rdm gate` and `rdm rollout --dry-run` on the example's history (a real git repository,
the local GitHub): the committee re-checked from the reviews as of the merge, the window,
the deadline, capacity, emergencies, and what a merge commit would carry along. No
cluster here: tests/test_week.py runs the rollout against the local control plane."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from github_fake import SLUG
from merged_history import (
    APP,
    CM,
    RDM41,
    Example,
    History,
    MergingGitHub,
    at,
    example,
)
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


@pytest.fixture
def github(httpserver) -> MergingGitHub:
    return MergingGitHub(httpserver)


@pytest.fixture
def history(tmp_path, github) -> History:
    return History(tmp_path / "repo", github)


@pytest.fixture
def story(history) -> Example:
    return example(history)


@pytest.fixture(autouse=True)
def env(monkeypatch, github, tmp_path) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kube/config
    for name in ("KUBECONFIG", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "RDM_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)


def gate(run_rdm, history: History, rdm_id: str, instant: str, *args: str):
    return run_rdm("gate", rdm_id, "--repo", str(history.root), "--at", instant, *args)


def test_an_approved_rdm_is_allowed_in_its_window(story, history, run_rdm):
    code, out, err = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 0, out + err
    merge = story.merges["RDM-2026-0041"]
    number = story.pulls["RDM-2026-0041"].number
    assert out.splitlines() == [
        "RDM-2026-0041: liberada em 2026-12-03 00:05 -03:00",
        f"  ok: PR #{number} (merged in {merge[:12]}) approved by the CM: consensus of the CM: "
        f"@ana-gerente-mudancas, @bruno-infra, @carla-dba and @diretor-services on "
        f"{story.pulls['RDM-2026-0041'].head[:7]}",
        "  ok: its window is open until 2026-12-03 06:00 -03:00 (5 h 55 min left)",
        "  ok: submitted 2026-11-27 09:00 -03:00, before the deadline 2026-12-01 10:00 -03:00",
        "  ok: implementation 1h30m + rollback 45m end by 2026-12-03 02:20 -03:00, inside the "
        "window",
        "  ok: no other RDM of its window changes the same workloads",
    ]


def test_tuesday_the_window_has_not_opened(story, history, run_rdm):
    code, out, _ = gate(
        run_rdm, history, "RDM-2026-0041", "2026-12-01T20:00:00-03:00", "--format", "json"
    )
    assert code == 1
    answer = json.loads(out)
    assert answer["allowed"] is False
    assert (
        answer["reasons"][0] == "blocked: its window opens 2026-12-03 00:00 -03:00 (in 1 day 4 h)"
    )


def test_late_in_the_window_implementation_and_rollback_no_longer_fit(story, history, run_rdm):
    code, out, _ = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T05:50:00-03:00")
    assert code == 1
    assert out.splitlines()[1] == (
        "  blocked: implementation 1h30m + rollback 45m from 2026-12-03 05:50 -03:00 would end "
        "at 2026-12-03 08:05 -03:00, after the window closes at 2026-12-03 06:00 -03:00; it had "
        "to start by 2026-12-03 03:45 -03:00"
    )


def test_an_emergency_runs_at_once_once_the_clients_know(story, history, run_rdm):
    code, out, _ = gate(run_rdm, history, "RDM-2026-0043", "2026-11-26T08:50:00-03:00")
    assert code == 0, out
    assert (
        "  ok: emergency: runs at any hour; the clients were told at 2026-11-26 08:15 -03:00" in out
    )
    assert "approved by the CME" in out.splitlines()[1]


def test_a_merge_without_consensus_is_blocked_whatever_its_status(history, github, run_rdm):
    history.seed(at(2, 9))
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", at(27, 9))
    history.approve(pull, CM[:3], at(1, 15, month=12))
    github.post_status(pull.head, "success", "mallory", at(1, 15, 1, month=12))  # forged
    merge = history.merge(pull, at(1, 16, month=12))
    # An approval after the merge does not count.
    pull.review_at(CM[3], "APPROVED", at(1, 17, month=12))
    code, out, _ = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == (
        f"  blocked: PR #{pull.number} ({'merged in ' + merge[:12]}) was merged without the CM's "
        "approval: the verdict recomputed from its reviews as they stood at the merge is pending"
    )
    assert f"  PR #{pull.number}: approval missing from @diretor-services" in lines


def test_a_direct_push_has_no_verdict(history, run_rdm):
    history.seed(at(2, 9))
    pushed = history.push({RDM41: history.text(RDM41)}, at(30, 9), "RDM-0041 straight to main")
    code, out, _ = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 1
    assert out.splitlines()[1] == (
        f"  blocked: no committee verdict for RDM-2026-0041 (merged in {pushed[:12]}): no pull "
        "request merged it: a direct push or a bypass"
    )


def test_a_later_submission_misses_the_deadline(history, github, run_rdm):
    history.seed(at(2, 9))
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", at(1, 11, month=12))
    history.approve(pull, CM, at(1, 15, month=12))
    github.post_status(pull.head, "success", APP, at(1, 15, month=12))
    history.merge(pull, at(1, 16, month=12))
    code, out, _ = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 1
    assert out.splitlines()[1] == (
        "  blocked: submitted 2026-12-01 11:00 -03:00, after the deadline 2026-12-01 10:00 -03:00 "
        "of the committee meeting that approves the window of 2026-12-03 00:00 -03:00; the first "
        "window it can make is 2026-12-10 00:00 -03:00: move `window` there through a new pull "
        "request"
    )


def test_an_rdm_not_merged_is_not_gated(history, run_rdm):
    history.seed(at(2, 9))
    (history.root / RDM41).parent.mkdir(parents=True)
    (history.root / RDM41).write_text(history.text(RDM41), encoding="utf-8")
    code, _, err = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 1
    assert err == "rdm: RDM-2026-0041 is not on main in the clone: it has not been merged\n"


def test_a_merge_carrying_another_rdms_pending_change_is_blocked(history, github, run_rdm):
    """RDM-0042 (next week) and then RDM-0041 (this week) change grupo-alvorada: applying
    0041 at its merge commit would run 0042's change a week early."""
    history.seed(at(2, 9))
    alvorada = "topologies/grupo-alvorada.yaml"
    next_week = history.text("rdms/2026/RDM-2026-0042.yaml").replace(
        "targets: [metalurgica-sao-jorge]", "targets: [grupo-alvorada]"
    )
    early = history.open(
        {
            "rdms/2026/RDM-2026-0042.yaml": next_week,
            alvorada: history.text(alvorada).replace("replicas: 3", "replicas: 5", 1),
        },
        "eduardo-gmud",
        at(27, 8),
    )
    history.approve(early, CM, at(27, 9))
    first = history.merge(early, at(27, 10))
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", at(27, 11))
    history.approve(pull, CM, at(27, 12))
    merge = history.merge(pull, at(27, 13))
    code, out, _ = gate(run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00")
    assert code == 1
    assert out.splitlines()[1] == (
        f"  blocked: topologies/grupo-alvorada.yaml at {merge[:12]} also holds the change of "
        f"RDM-2026-0042 (merged in {first[:12]}), which is not live (not run yet, refused or "
        "rolled back): applying RDM-2026-0041 now would run it; run RDM-2026-0042 first, or "
        "revert its change and merge it again afterwards"
    )


def test_dry_run_without_a_cluster_decides_renders_and_records_nothing(story, history, run_rdm):
    code, out, err = run_rdm(
        "rollout",
        "--repo",
        str(history.root),
        "--at",
        "2026-12-03T00:05:00-03:00",
        "--dry-run",
        "--format",
        "text",
    )
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == (
        "rdm rollout em 2026-12-03 00:05 -03:00, shard 1/1 (dry run), simulado com --at "
        "2026-12-03 00:05 -03:00"
    )
    # Priority first: the emergency (P1), then RDM-0041 (P3), then the standard RDM-0044 (P4).
    heads = [line for line in lines if line.startswith("RDM-")]
    assert [h.split(" ")[0] for h in heads] == ["RDM-2026-0043", "RDM-2026-0041", "RDM-2026-0044"]
    assert heads[1] == (
        f"RDM-2026-0041 (P3, normal, PR #{story.pulls['RDM-2026-0041'].number}, "
        f"{story.merges['RDM-2026-0041'][:12]}): seria executada (dry run)"
    )
    assert all(h.endswith(": seria executada (dry run)") for h in heads)
    assert "no kubeconfig: the dry run decides and renders" in err
    assert history.repo.git.notes("--ref", "refs/notes/rdm", "list") == ""


def test_jsonl_is_the_output_when_not_on_a_terminal(story, history, run_rdm):
    code, out, _ = run_rdm(
        "rollout", "--repo", str(history.root), "--at", "2026-12-08T20:00:00-03:00", "--dry-run"
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "report"
    assert events[-1]["rdms"] == []
    assert events[-1]["simulatedAt"] == "2026-12-08T20:00:00-03:00"


def test_the_step_summary_is_written_in_markdown(story, history, run_rdm, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run_rdm(
        "rollout", "--repo", str(history.root), "--at", "2026-12-03T00:05:00-03:00", "--dry-run"
    )
    text = summary.read_text(encoding="utf-8")
    pulls, merges = story.pulls, story.merges
    assert text.splitlines()[:8] == [
        "earlier step",
        "## rdm rollout em 2026-12-03 00:05 -03:00, shard 1/1 (dry run), simulado com --at "
        "2026-12-03 00:05 -03:00",
        "",
        "| RDM | prioridade | PR | revisão | resultado |",
        "|---|---|---|---|---|",
        f"| RDM-2026-0043 | P1 | #{pulls['RDM-2026-0043'].number} | "
        f"`{merges['RDM-2026-0043'][:12]}` | seria executada (dry run) |",
        f"| RDM-2026-0041 | P3 | #{pulls['RDM-2026-0041'].number} | "
        f"`{merges['RDM-2026-0041'][:12]}` | seria executada (dry run) |",
        f"| RDM-2026-0044 | P4 | #{pulls['RDM-2026-0044'].number} | "
        f"`{merges['RDM-2026-0044'][:12]}` | seria executada (dry run) |",
    ]


@pytest.mark.parametrize("value", ["0/2", "3/2", "1/0", "a/b", "1", "1/300"])
def test_a_bad_shard_is_a_usage_error(history, run_rdm, value):
    history.seed(at(2, 9))
    code, _, err = run_rdm("rollout", "--repo", str(history.root), "--shard", value, "--dry-run")
    assert code == 2
    assert "--shard" in err


def test_shards_split_topologies_deterministically():
    from rdm.operations.rollout import Shard, shard_of

    orgs = [f"cliente-{n:04d}" for n in range(1000)]
    counts = [sum(1 for org in orgs if Shard(i, 4).holds(org)) for i in range(1, 5)]
    assert sum(counts) == 1000 and min(counts) > 200  # every org in one shard, spread evenly
    assert [shard_of(org, 4) for org in orgs[:5]] == [shard_of(org, 4) for org in orgs[:5]]
    assert (
        shard_of("grupo-alvorada", 4)
        == 1
        + int.from_bytes(__import__("hashlib").sha256(b"grupo-alvorada").digest()[:8], "big") % 4
    )


def test_pr_names_the_pull_request_to_take_the_verdict_from(story, history, run_rdm):
    own = story.pulls["RDM-2026-0041"].number
    code, out, _ = gate(
        run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00", "--pr", str(own)
    )
    assert code == 0, out
    other = story.pulls["RDM-2026-0044"].number
    code, out, _ = gate(
        run_rdm, history, "RDM-2026-0041", "2026-12-03T00:05:00-03:00", "--pr", str(other)
    )
    assert code == 1
    assert out.splitlines()[1] == (
        f"  blocked: PR #{other}, which merged in {story.merges['RDM-2026-0044'][:12]}, does not "
        "carry RDM-2026-0041: its verdict cannot approve it"
    )


def test_the_gate_answers_in_english_with_rdm_lang_en(story, history, run_rdm, monkeypatch):
    monkeypatch.setenv("RDM_LANG", "en")
    code, out, _ = gate(run_rdm, history, "RDM-2026-0042", "2026-12-03T00:05:00-03:00")
    assert code == 1
    assert out.splitlines()[:2] == [
        "RDM-2026-0042: blocked at 2026-12-03 00:05 -03:00",
        "  blocked: its window opens 2026-12-10 00:00 -03:00 (in 6 days 23 h)",
    ]
    code, out, _ = run_rdm(
        "rollout",
        "--repo",
        str(history.root),
        "--at",
        "2026-12-03T00:05:00-03:00",
        "--dry-run",
        "--format",
        "text",
    )
    assert code == 0
    assert out.splitlines()[:2] == [
        "rdm rollout at 2026-12-03 00:05 -03:00, shard 1/1 (dry run), as of --at "
        "2026-12-03 00:05 -03:00",
        f"RDM-2026-0043 (P1, emergency, PR #{story.pulls['RDM-2026-0043'].number}, "
        f"{story.merges['RDM-2026-0043'][:12]}): would run (dry run)",
    ]


def _rolled_back_record(story) -> ExecutionRecord:
    merge = story.merges["RDM-2026-0041"]
    start = datetime.fromisoformat("2026-12-03T00:05:00-03:00")
    back = Rollback(
        start + timedelta(minutes=3),
        start + timedelta(minutes=3, seconds=50),
        timedelta(minutes=45),
        "protheus-appserver: 0/2 Ready after 10 min",
    )
    return ExecutionRecord(
        rdm_id="RDM-2026-0041",
        outcome=Outcome.ROLLED_BACK,
        merge_commit=merge,
        revision=merge,
        started_at=start,
        finished_at=start + timedelta(minutes=4),
        estimated_duration=timedelta(minutes=90),
        rollback_declared=timedelta(minutes=45),
        pr=story.pulls["RDM-2026-0041"].number,
        window=date(2026, 12, 3),
        priority="P3",
        approvers=(
            Approver("ana-gerente-mudancas", 80, Capacity.MEMBER),
            Approver("lucas-analista-cloud", 81, Capacity.DELEGATE, stood_in_for="bruno-infra"),
        ),
        topologies=(
            TopologyRecord(
                "grupo-alvorada",
                TopologyOutcome.ROLLED_BACK,
                start,
                start + timedelta(minutes=4),
                "20261203-030502-4f53cd",
                "protheus-appserver: 0/2 Ready after 10 min",
                back,
            ),
            TopologyRecord(
                "hospital-santa-luzia",
                TopologyOutcome.UNCHANGED,
                start,
                start,
                error="already at 0123456789ab, after this RDM's merge commit; not applied",
            ),
        ),
        reasons=("protheus-appserver: 0/2 Ready after 10 min",),
        extra={"shard": "1/2"},
    )


def test_history_tells_the_chain_in_portuguese_and_english(story, history, run_rdm, monkeypatch):
    notes.append(history.root, story.merges["RDM-2026-0041"], [_rolled_back_record(story)])
    merge, pr = story.merges["RDM-2026-0041"][:12], story.pulls["RDM-2026-0041"].number
    code, out, _ = run_rdm("history", "RDM-2026-0041", "--repo", str(history.root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("RDM-2026-0041  Atualização do Protheus")
    assert lines[1:3] == [
        "  normal, P3, janela 2026-12-03; alvos grupo-alvorada, hospital-santa-luzia",
        f"  merge {merge} de 2026-12-01 16:30 -03:00: Merge pull request #{pr} from "
        f"saas-team/rdm-changes/rdm-{pr}",
    ]
    assert lines[3:] == [
        f"  2026-12-03 00:05 -03:00  revertida: PR #{pr} em {merge}, 4 min, shard 1/2",
        "    aprovações: @ana-gerente-mudancas (revisão 80, membro), @lucas-analista-cloud "
        "(revisão 81, substituto de @bruno-infra)",
        "    grupo-alvorada: revertida, snapshot 20261203-030502-4f53cd; revertida em 50 s "
        "(dentro do tempo declarado de 45 min): protheus-appserver: 0/2 Ready after 10 min",
        "    hospital-santa-luzia: sem mudança: already at 0123456789ab, after this RDM's merge "
        "commit; not applied",
        "    protheus-appserver: 0/2 Ready after 10 min",
    ]
    monkeypatch.setenv("RDM_LANG", "en")
    code, out, _ = run_rdm("history", "RDM-2026-0041", "--repo", str(history.root))
    assert out.splitlines()[1:6] == [
        "  normal, P3, window 2026-12-03; targets grupo-alvorada, hospital-santa-luzia",
        f"  merged in {merge} at 2026-12-01 16:30 -03:00: Merge pull request #{pr} from "
        f"saas-team/rdm-changes/rdm-{pr}",
        f"  2026-12-03 00:05 -03:00  rolled back: PR #{pr} at {merge}, 4 min, shard 1/2",
        "    approvals: @ana-gerente-mudancas (review 80, member), @lucas-analista-cloud "
        "(review 81, delegate for @bruno-infra)",
        "    grupo-alvorada: rolled back, snapshot 20261203-030502-4f53cd; rolled back in 50 s "
        "(within the declared 45 min): protheus-appserver: 0/2 Ready after 10 min",
    ]
    code, out, _ = run_rdm(
        "history", "--format", "json", "RDM-2026-0041", "--repo", str(history.root)
    )
    topology = json.loads(out)["rdms"][0]["records"][0]["topologies"][0]
    assert (topology["outcome"], topology["rollback"]["withinDeclared"]) == ("rolled-back", True)
