"""The committee's verdict attacked by the people around a PR, end to end.

Each test is something a PR author, a random member of the organisation, a
reviewer or someone who may add labels can do, run through `rdm approvals` on a
real git clone in tmp and the fake GitHub over HTTP: keep an earlier `success`
standing after a veto, carry changes to rdm's own code under an emergency,
give an RDM another RDM's id, or re-type an approved RDM as a standard change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from github_fake import SLUG, FakeGitHub, FakePull
from test_approvals_trust import Clone, standard_head, standard_pull

CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
CME = ["ana-gerente-mudancas", "bruno-infra", "diretor-services"]
EMERGENCY = "rdms/2026/RDM-2026-0043.yaml"  # already on main in `Clone`
INVOLVING = "rdms/2026/RDM-2026-0042.yaml"  # a normal RDM already on main in `Clone`
STANDARD = "rdms/2026/RDM-2026-0044.yaml"
HOSPITAL = "topologies/hospital-santa-luzia.yaml"
VALE_VERDE = "topologies/cooperativa-vale-verde.yaml"


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    return Clone(tmp_path / "clone")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("RDM_BOT_LOGIN", "rdm-committee[bot]")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def approvals(run_rdm, clone: Clone, *args: str) -> tuple[int, str, str]:
    return run_rdm("approvals", *args, "--repo", str(clone.root))


def verdict(run_rdm, clone: Clone, number: int) -> dict:
    code, out, err = approvals(run_rdm, clone, str(number), "--format", "json")
    assert code in (0, 1), err
    return json.loads(out)


def states(fake: FakeGitHub) -> list[str]:
    return [body["state"] for _, body in fake.statuses]


def approve(pull: FakePull, logins: list[str]) -> FakePull:
    for login in logins:
        pull.review(login, "APPROVED")
    return pull


# ----------------------------------- a run that cannot decide takes success back


def pad_reviews(pull: FakePull) -> None:
    """10,001 comments as reviews (anyone who may review can post them): 101 pages."""
    for _ in range(10_001):
        pull.review("rh-sistemas-qa", "COMMENTED", body="ok")


def pad_label_events(pull: FakePull) -> None:
    """A triager adds and removes a label 5,001 times: 10,002 issue events."""
    for _ in range(5_001):
        pull.add_label("wip", "estagiario-dev").remove_label("wip", "estagiario-dev")


@pytest.mark.parametrize(
    ("attack", "failure"),
    [
        (
            pad_reviews,
            f"reviews of pull request #12 of {SLUG}: more than 100 pages of 100 items; "
            "rdm reads no further",
        ),
        (
            pad_label_events,
            f"events of pull request #12 of {SLUG}: more than 100 pages of 100 items; "
            "rdm reads no further",
        ),
    ],
    ids=["reviews-past-the-page-cap", "label-events-past-the-page-cap"],
)
def test_a_veto_behind_more_pages_than_rdm_reads_does_not_leave_the_success_standing(
    clone, fake, env, run_rdm, attack, failure
):
    """The status belongs to the commit: a run that stops before deciding must take
    back the `success` an earlier run put there, or the veto after it never counts."""
    head = standard_head(clone)
    pull = standard_pull(fake, 12, head, clone.base)
    pull.add_label("prioridade", "eduardo-gmud")  # the PR has a label: its events are read
    code, _, err = approvals(run_rdm, clone, "12", "--publish")
    assert (code, states(fake)) == (0, ["success"]), err
    attack(pull)
    pull.review("carla-dba", "CHANGES_REQUESTED")  # a CM member stops it
    code, out, err = approvals(run_rdm, clone, "12", "--publish")
    assert (code, out) == (3, "")
    assert err == (
        f"published rdm/committee = error on {head[:7]}: rdm could not decide\n"
        f"rdm: {failure}\n"
    )
    sha, status = fake.statuses[-1]
    assert (sha, status["state"], status["context"]) == (head, "error", "rdm/committee")
    assert status["description"] == f"rdm could not decide: {failure}"  # 140 at most


def test_a_head_missing_from_the_clone_publishes_error_not_silence(clone, fake, env, run_rdm):
    pull = fake.pull(12, "rh-sistemas-qa", "e" * 40, clone.base)
    pull.review("eduardo-gmud", "APPROVED")
    code, _, err = approvals(run_rdm, clone, "12", "--publish")
    assert code == 3
    assert err.startswith(f"published rdm/committee = error on {'e' * 7}: rdm could not decide\n")
    assert [(sha, body["state"]) for sha, body in fake.statuses] == [("e" * 40, "error")]
    assert fake.statuses[0][1]["description"].startswith(
        "rdm could not decide: commit eeeeeeeeeeee is not in the clone at "
    )


def test_a_pr_into_another_branch_that_cannot_be_decided_still_publishes_nothing(
    clone, fake, env, run_rdm
):
    """A status on a side branch's head would also block the same commit into main."""
    pull = fake.pull(12, "rh-sistemas-qa", "e" * 40, clone.base)
    pull.base_ref = "release-x"
    pull.add_label("prioridade", "eduardo-gmud")
    fake.fail(rf"^/repos/{SLUG}/pulls/12/reviews$", 500, times=4)
    code, _, err = approvals(run_rdm, clone, "12", "--publish")
    assert code == 3
    assert "published" not in err
    assert fake.statuses == []


def test_without_publish_a_failure_publishes_nothing(clone, fake, env, run_rdm):
    fake.pull(12, "rh-sistemas-qa", "e" * 40, clone.base)
    code, _, _ = approvals(run_rdm, clone, "12")
    assert code == 3
    assert fake.statuses == []
