"""`rdm audit` on a real history: merges with and without consensus, a forged status, a
direct push, a squash merge, an approval given after the merge, a status from the wrong
poster. GitHub is the local fake (tests/merged_history.py); git is a real repository."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from github_fake import SLUG
from merged_history import APP, CM, History, MergingGitHub

BRT = timezone(timedelta(hours=-3))
SEED = datetime(2026, 11, 2, 9, 0, tzinfo=BRT)
MON = datetime(2026, 11, 23, 9, 0, tzinfo=BRT)
RDM41 = "rdms/2026/RDM-2026-0041.yaml"
RDM42 = "rdms/2026/RDM-2026-0042.yaml"
ALVORADA = "topologies/grupo-alvorada.yaml"
METALURGICA = "topologies/metalurgica-sao-jorge.yaml"


@pytest.fixture
def github(httpserver) -> MergingGitHub:
    return MergingGitHub(httpserver)


@pytest.fixture
def history(tmp_path, github) -> History:
    return History(tmp_path / "repo", github)


@pytest.fixture
def env(monkeypatch, github) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    for name in ("GITHUB_ACTIONS", "RDM_COMMITTEE_APP", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def bumped(text: str) -> str:
    """The topology with one more replica of its first workload."""
    match = re.search(r"replicas: (\d+)", text)
    assert match is not None
    return text[: match.start(1)] + str(int(match.group(1)) + 1) + text[match.end(1) :]


def approved_merge(history: History, files: dict[str, str | None], at: datetime) -> tuple[int, str]:
    """A PR approved by the whole CM on its head, rdm/committee = success from the App."""
    pull = history.open(files, "eduardo-gmud", at)
    history.approve(pull, CM, at + timedelta(hours=1))
    history.github.post_status(pull.head, "success", APP, at + timedelta(hours=1, minutes=1))
    return pull.number, history.merge(pull, at + timedelta(hours=2))


def audit(run_rdm, history: History, *args: str) -> tuple[int, str, str]:
    """Audit since the Monday: the seed commit before it has no PR, as a real import would."""
    return run_rdm("audit", "--repo", str(history.root), "--since", "2026-11-23", *args)


def test_a_clean_history_passes_and_names_who_approved(history, env, run_rdm):
    history.seed(SEED)
    number, sha = approved_merge(
        history, {RDM41: history.text(RDM41), ALVORADA: bumped(history.text(ALVORADA))}, MON
    )
    code, out, err = audit(run_rdm, history, "--committee-app", "rdm-committee")
    assert code == 0, out + err
    assert out.splitlines() == [
        "rdm audit of main since 2026-11-23: 1 commit(s) audited, 0 flagged",
        f"{sha[:12]} 2026-11-23 PR #{number}: ok: CM approved (RDM-2026-0041); approvals of "
        "@ana-gerente-mudancas, @bruno-infra, @carla-dba, @diretor-services",
    ]
    assert err == ""


def test_the_seed_commit_without_a_pr_is_a_direct_push(history, env, run_rdm):
    seed = history.seed(SEED)
    code, out, _ = run_rdm("audit", "--repo", str(history.root))
    assert code == 1
    assert out.splitlines() == [
        "rdm audit of main: 1 commit(s) audited, 1 flagged",
        f"{seed[:12]} 2026-11-02 no PR: flagged [direct-push]: {seed[:12]} reached the default "
        "branch without a pull request (a direct push or an administrator's bypass)",
    ]


def test_a_forged_status_without_consensus_is_flagged(history, env, run_rdm):
    history.seed(SEED)
    approved_merge(history, {RDM41: history.text(RDM41)}, MON)
    # Two members approved; someone with push access posted the status with a personal token.
    pull = history.open({RDM42: history.text(RDM42)}, "eduardo-gmud", MON + timedelta(days=1))
    history.approve(pull, CM[:2], MON + timedelta(days=1, hours=1))
    history.github.post_status(pull.head, "success", "mallory", MON + timedelta(days=1, hours=2))
    forged = history.merge(pull, MON + timedelta(days=1, hours=3))

    code, out, _ = audit(run_rdm, history, "--committee-app", "rdm-committee", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["audited"], report["flagged"]) == (2, 1)
    entry = report["commits"][1]
    assert entry["commit"] == forged
    assert entry["verdict"] == "pending"
    assert entry["status"] == {
        "state": "success",
        "poster": "mallory",
        "at": "2026-11-24T14:00:00Z",
    }
    assert [f["rule"] for f in entry["findings"]] == ["no-consensus", "status-source"]
    assert entry["findings"][0]["message"] == (
        f"{forged[:12]}: PR #{pull.number} was merged without the CM's consensus: the verdict "
        "recomputed from its reviews as of the merge is pending (label `encaminhada` added by "
        "@paula-po (Product Owner): forwarded to the CM; approval missing from @carla-dba; "
        "approval missing from @diretor-services; approval missing from @lucas-analista-cloud "
        "(involved in RDM-2026-0042))"
    )
    assert entry["findings"][1]["message"] == (
        f"{forged[:12]}: rdm/committee = success on PR #{pull.number}'s head {pull.head[:12]} "
        "was posted by @mallory, not by the committee's App @rdm-committee[bot]"
    )


def test_a_direct_push_and_an_approval_after_the_merge_are_flagged(history, env, run_rdm):
    history.seed(SEED)
    pushed = history.push({METALURGICA: bumped(history.text(METALURGICA))}, MON)
    history.push({"README.md": "docs only\n"}, MON + timedelta(minutes=5), "docs")  # not audited
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", MON + timedelta(hours=1))
    history.approve(pull, CM[:3], MON + timedelta(hours=2))
    merged = history.merge(pull, MON + timedelta(hours=3))
    # The fourth approval comes after the merge: it does not launder the merge.
    pull.review_at(CM[3], "APPROVED", MON + timedelta(hours=4))

    code, out, err = audit(run_rdm, history)
    assert code == 1
    assert out.splitlines() == [
        "rdm audit of main since 2026-11-23: 2 commit(s) audited, 2 flagged",
        f"{pushed[:12]} 2026-11-23 no PR: flagged [direct-push]: {pushed[:12]} reached the "
        "default branch without a pull request (a direct push or an administrator's bypass)",
        f"{merged[:12]} 2026-11-23 PR #{pull.number}: flagged [no-consensus]: {merged[:12]}: "
        f"PR #{pull.number} was merged without the CM's consensus: the verdict recomputed from "
        "its reviews as of the merge is pending (label `encaminhada` added by @paula-po "
        "(Product Owner): forwarded to the CM; approval missing from @diretor-services)",
        f"{merged[:12]} 2026-11-23 PR #{pull.number}: flagged [no-status]: {merged[:12]}: "
        f"PR #{pull.number} was merged with no rdm/committee status on its head "
        f"{pull.head[:12]} (branch protection bypassed)",
    ]
    assert err == (
        "rdm: who posted rdm/committee was not checked: name the committee's App with "
        "--committee-app or RDM_COMMITTEE_APP\n"
    )


def test_a_squash_merge_is_found(history, env, run_rdm):
    history.seed(SEED)
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", MON)
    history.approve(pull, CM, MON + timedelta(hours=1))
    history.github.post_status(pull.head, "success", APP, MON + timedelta(hours=1))
    squash = history.merge(pull, MON + timedelta(hours=2), squash=True)
    assert len(history.repo.commit(squash).parents) == 1
    code, out, _ = audit(run_rdm, history, "--format", "github")
    assert code == 0, out
    assert out.splitlines() == [
        "rdm audit of main since 2026-11-23: 1 commit(s) audited, 0 flagged"
    ]
    code, out, _ = run_rdm("audit", "--repo", str(history.root), "--format", "github")
    assert code == 1
    assert out.splitlines()[1].startswith("::error title=rdm audit direct-push::")


def test_an_open_pr_that_contains_the_commit_does_not_pass_for_its_merge(history, env, run_rdm):
    history.seed(SEED)
    pushed = history.push({METALURGICA: bumped(history.text(METALURGICA))}, MON)
    # An approved PR branched after the push: GitHub associates the pushed commit with it.
    pull = history.open({RDM41: history.text(RDM41)}, "eduardo-gmud", MON + timedelta(hours=1))
    history.approve(pull, CM, MON + timedelta(hours=2))
    history.github.associations[pushed] = [pull.number]
    code, out, _ = audit(run_rdm, history)
    assert code == 1
    assert out.splitlines()[1] == (
        f"{pushed[:12]} 2026-11-23 no PR: flagged [direct-push]: {pushed[:12]} reached the "
        f"default branch without a pull request (a direct push or an administrator's bypass); "
        f"GitHub associates #{pull.number} with it, but none of them merged it"
    )
