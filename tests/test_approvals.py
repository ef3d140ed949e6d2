"""One test per committee rule, each PR served by the fake GitHub over HTTP."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from github_fake import SLUG, FakeGitHub, FakePull
from rdm.decisions.approvals import Outcome, State, Verdict, commit_status, decide
from rdm.decisions.standard import TopologyDiff
from rdm.edges.github import GitHubClient
from rdm.edges.repository import Repository

CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
CME = ["ana-gerente-mudancas", "bruno-infra", "diretor-services"]
PRODUCT_OWNER = "paula-po"
OLD = "0" * 40
NORMAL, EMERGENCY, STANDARD = (
    "rdms/2026/RDM-2026-0041.yaml",
    "rdms/2026/RDM-2026-0043.yaml",
    "rdms/2026/RDM-2026-0044.yaml",
)


def rdms_by_path(example: Repository) -> dict[str, Any]:
    return {f"rdms/2026/{rid}.yaml": rdm for rid, rdm in example.rdms.items()}


def judge(
    example: Repository,
    client: GitHubClient,
    pull: FakePull,
    diffs: tuple[TopologyDiff, ...] = (),
) -> Verdict:
    assert example.committee is not None
    pr = client.pull_request(SLUG, pull.number)
    # The rules on their own: the files the fake lists stand in for git's diff
    # (test_approvals_cli.py reads them from real repositories).
    assert pr.listed_files is not None
    pr = replace(pr, changed_files=pr.listed_files)
    return decide(
        example.committee,
        pr,
        rdms_by_path(example),
        example.standard_changes,
        diffs,
        protected_branch="main",
    )


def states(verdict: Verdict) -> dict[str, State]:
    return {m.login: m.state for m in verdict.members}


def normal_pr(fake: FakeGitHub, author: str = "eduardo-gmud", forwarded: bool = True) -> FakePull:
    """PR #12 adds the normal RDM-0041; the Product Owner has forwarded it to the CM."""
    pull = fake.pull(12, author).change(NORMAL, "added").change("topologies/grupo-alvorada.yaml")
    return pull.add_label("encaminhada", PRODUCT_OWNER) if forwarded else pull


def approve_all(pull: FakePull, logins: list[str]) -> FakePull:
    for login in logins:
        pull.review(login, "APPROVED")
    return pull


# ------------------------------------------------------------- consensus


def test_consensus_of_every_cm_member_approves(example, fake, client):
    verdict = judge(example, client, approve_all(normal_pr(fake), CM))
    assert verdict.verdict is Outcome.APPROVED
    assert (verdict.committee, verdict.rdm_id) == ("CM", "RDM-2026-0041")
    assert states(verdict) == dict.fromkeys(CM, State.APPROVED)


def test_one_member_missing_keeps_it_pending_and_names_them(example, fake, client):
    verdict = judge(example, client, approve_all(normal_pr(fake), CM[:3]))
    assert verdict.verdict is Outcome.PENDING
    assert "approval missing from @diretor-services" in verdict.reasons
    assert states(verdict)["diretor-services"] is State.MISSING


def test_approval_of_an_older_commit_is_stale_after_a_new_push(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review("diretor-services", "APPROVED", commit=OLD)
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict)["diretor-services"] is State.STALE
    assert any(r.startswith("@diretor-services's approval is stale") for r in verdict.reasons)


def test_only_the_latest_review_counts(example, fake, client):
    pull = approve_all(normal_pr(fake), CM).review("carla-dba", "CHANGES_REQUESTED")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert "@carla-dba requested changes; rejected until @carla-dba approves" in verdict.reasons


@pytest.mark.parametrize("spelling", ["changes_requested", "Changes_Requested"])
def test_review_states_are_read_without_case_a_late_request_for_changes(
    example, fake, client, spelling
):
    """A state GitHub (or a proxy) spells in lower case must not slip past as a comment."""
    pull = approve_all(normal_pr(fake), CM).review("carla-dba", spelling)
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert states(verdict)["carla-dba"] is State.CHANGES_REQUESTED


def test_review_states_are_read_without_case_approvals_and_dismissals(example, fake, client):
    pull = normal_pr(fake)
    for login in CM:
        pull.review(login, "approved")
    pull.review("bruno-infra", "Dismissed")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict) == {**dict.fromkeys(CM, State.APPROVED), "bruno-infra": State.MISSING}


def test_changes_requested_then_approved_again_approves(example, fake, client):
    pull = normal_pr(fake).review("carla-dba", "CHANGES_REQUESTED", commit=OLD)
    verdict = judge(example, client, approve_all(pull, CM))
    assert verdict.verdict is Outcome.APPROVED


def test_changes_requested_on_an_older_commit_still_rejects(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review(
        "diretor-services", "CHANGES_REQUESTED", commit=OLD
    )
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert states(verdict)["diretor-services"] is State.CHANGES_REQUESTED


def test_a_comment_after_an_approval_changes_nothing(example, fake, client):
    pull = approve_all(normal_pr(fake), CM).review("bruno-infra", "COMMENTED")
    assert judge(example, client, pull).verdict is Outcome.APPROVED


def test_dismissed_reviews_do_not_count(example, fake, client):
    # GitHub turns a dismissed review's state into DISMISSED.
    pull = approve_all(normal_pr(fake), CM[:3]).review("diretor-services", "DISMISSED")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict)["diretor-services"] is State.MISSING
    rejected_then_dismissed = approve_all(fake.pull(13, "eduardo-gmud").change(NORMAL), CM[:3])
    rejected_then_dismissed.review("diretor-services", "DISMISSED")
    assert judge(example, client, rejected_then_dismissed).verdict is Outcome.PENDING


def test_the_author_cannot_approve_their_own_pr(example, fake, client):
    verdict = judge(example, client, approve_all(normal_pr(fake, author="bruno-infra"), CM))
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict)["bruno-infra"] is State.AUTHOR
    assert "@bruno-infra is the PR author; their own review does not count" in verdict.reasons
    assert "approval missing from @bruno-infra" in verdict.reasons


def test_approvals_from_non_members_are_shown_and_never_count(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review("estagiario-dev", "APPROVED")
    pull.review("eduardo-gmud", "APPROVED")  # a change manager is no CM member
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict)["estagiario-dev"] is State.NOT_A_MEMBER
    assert states(verdict)["eduardo-gmud"] is State.AUTHOR  # and the author, here


def test_a_non_member_requesting_changes_does_not_reject(example, fake, client):
    pull = approve_all(normal_pr(fake), CM).review("estagiario-dev", "CHANGES_REQUESTED")
    assert judge(example, client, pull).verdict is Outcome.APPROVED


# ------------------------------------------------------------- delegates


def test_a_delegate_stands_in_for_an_absent_member(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review("fernanda-coord-services", "APPROVED")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.APPROVED
    assert (
        "@fernanda-coord-services approved on behalf of @diretor-services (delegate)"
        in verdict.reasons
    )
    assert states(verdict)["diretor-services"] is State.DELEGATED
    assert states(verdict)["fernanda-coord-services"] is State.APPROVED


def test_a_delegate_requesting_changes_rejects(example, fake, client):
    pull = approve_all(normal_pr(fake), CM).review("gustavo-dba", "CHANGES_REQUESTED")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert "@gustavo-dba requested changes; rejected until @gustavo-dba approves" in verdict.reasons


def test_a_delegate_does_not_override_the_member_who_requested_changes(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review("diretor-services", "CHANGES_REQUESTED")
    pull.review("fernanda-coord-services", "APPROVED")
    assert judge(example, client, pull).verdict is Outcome.REJECTED


def test_a_delegate_of_another_member_cannot_stand_in(example, fake, client):
    pull = approve_all(normal_pr(fake), CM[:3]).review(
        "gustavo-dba", "APPROVED"
    )  # carla's delegate
    assert judge(example, client, pull).verdict is Outcome.PENDING


# ------------------------------------------------------------- emergency


def emergency_pr(fake: FakeGitHub) -> FakePull:
    return (
        fake.pull(20, "plantao-noc")
        .change(EMERGENCY, "added")
        .change("topologies/cooperativa-vale-verde.yaml")
    )


def test_emergency_with_a_labeler_label_needs_only_the_cme(example, fake, client):
    pull = approve_all(emergency_pr(fake).add_label("emergency", "plantao-noc"), CME)
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.APPROVED
    assert verdict.committee == "CME"
    assert "carla-dba" not in states(verdict)


def test_emergency_without_the_label_is_not_approved(example, fake, client):
    verdict = judge(example, client, approve_all(emergency_pr(fake), CME))
    assert verdict.verdict is Outcome.PENDING
    assert "lacks the label `emergency`" in verdict.reasons[0]


def test_emergency_label_added_by_an_outsider_is_reported_and_ignored(example, fake, client):
    pull = approve_all(emergency_pr(fake).add_label("emergency", "estagiario-dev"), CME)
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.PENDING
    assert (
        "emergency label added by @estagiario-dev, who is not in emergencyLabelers: ignored"
        in verdict.reasons
    )


def test_the_last_labeled_event_gives_the_label_its_actor(example, fake, client):
    pull = emergency_pr(fake).add_label("emergency", "diretor-services")
    pull.remove_label("emergency", "estagiario-dev").add_label("emergency", "estagiario-dev")
    assert judge(example, client, approve_all(pull, CME)).verdict is Outcome.PENDING
    again = emergency_pr(fake).add_label("emergency", "estagiario-dev")
    again.remove_label("emergency", "ana-gerente-mudancas").add_label(
        "emergency", "ana-gerente-mudancas"
    )
    assert judge(example, client, approve_all(again, CME)).verdict is Outcome.APPROVED


def test_emergency_label_on_a_normal_rdm_changes_nothing(example, fake, client):
    pull = approve_all(normal_pr(fake).add_label("emergency", "plantao-noc"), CME)
    verdict = judge(example, client, pull)
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "CM")
    assert any("changes nothing: ignored" in r for r in verdict.reasons)


# -------------------------------------------------------------- standard


def homolog_image_diff(
    example: Repository, new_tag: str, workload: str = "protheus-appserver-homolog"
):
    base = example.data["topologies/hospital-santa-luzia.yaml"]
    head = copy.deepcopy(base)
    head["workloads"][workload]["image"] = f"registry.saas.local/protheus/appserver:{new_tag}"
    return (TopologyDiff("hospital-santa-luzia", base, head),)


def standard_pr(fake: FakeGitHub, author: str = "rh-sistemas-qa") -> FakePull:
    return (
        fake.pull(30, author)
        .change(STANDARD, "added")
        .change("topologies/hospital-santa-luzia.yaml")
    )


def test_standard_change_within_its_template_needs_one_change_manager(example, fake, client):
    pull = standard_pr(fake).review("eduardo-gmud", "APPROVED")
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.1.2410-20261119"))
    assert (verdict.verdict, verdict.committee) == (Outcome.APPROVED, "standard")
    assert "approved by change manager @eduardo-gmud on the head commit" in verdict.reasons


def test_standard_change_pending_without_a_change_manager(example, fake, client):
    pull = standard_pr(fake).review("bruno-infra", "APPROVED")
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.1.2410-20261119"))
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "standard")
    assert any("approval missing from a change manager" in r for r in verdict.reasons)


def test_standard_change_beyond_its_template_needs_the_full_cm(example, fake, client):
    pull = standard_pr(fake).review("eduardo-gmud", "APPROVED")
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.2.2504-20270110"))
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "CM")
    assert any(
        "beyond the standard template 'patch-de-imagem-homologacao'" in r for r in verdict.reasons
    )
    assert (
        "topologies/hospital-santa-luzia.yaml: workloads.protheus-appserver-homolog.image: "
        "tag 12.1.2410-20261105 -> 12.2.2504-20270110 changes major.minor (12.1 -> 12.2)"
    ) in verdict.reasons


def test_standard_change_touching_production_goes_beyond_a_homolog_template(example, fake, client):
    pull = standard_pr(fake).review("eduardo-gmud", "APPROVED")
    diffs = homolog_image_diff(example, "12.1.2410-20261119", workload="protheus-appserver-prod")
    verdict = judge(example, client, pull, diffs)
    assert verdict.committee == "CM"
    assert any(
        "protheus-appserver-prod is not in the template's workloads" in r for r in verdict.reasons
    )


def test_standard_change_approved_by_its_author_change_manager_does_not_count(
    example, fake, client
):
    pull = standard_pr(fake, author="eduardo-gmud").review("eduardo-gmud", "APPROVED")
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.1.2410-20261119"))
    assert verdict.verdict is Outcome.PENDING
    assert states(verdict)["eduardo-gmud"] is State.AUTHOR


def test_standard_change_stopped_by_a_cm_member(example, fake, client):
    pull = (
        standard_pr(fake)
        .review("eduardo-gmud", "APPROVED")
        .review("carla-dba", "CHANGES_REQUESTED")
    )
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.1.2410-20261119"))
    assert (verdict.verdict, verdict.committee) == (Outcome.REJECTED, "standard")


# -------------------------------------------------------------- coverage


def test_a_changed_topology_must_be_a_target_of_an_rdm_in_the_pr(example, fake, client):
    pull = approve_all(normal_pr(fake).change("topologies/metalurgica-sao-jorge.yaml"), CM)
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert verdict.reasons[0] == (
        "topologies/metalurgica-sao-jorge.yaml changes, but no RDM in this PR "
        "has metalurgica-sao-jorge among its targets"
    )


def test_topology_change_without_any_rdm_is_rejected(example, fake, client):
    pull = approve_all(fake.pull(40, "eduardo-gmud").change("topologies/grupo-alvorada.yaml"), CM)
    verdict = judge(example, client, pull)
    assert (verdict.verdict, verdict.rdm_id) == (Outcome.REJECTED, None)


def test_an_rdm_under_a_name_rdm_does_not_read_is_named_in_the_reasons(example, fake, client):
    pull = fake.pull(41, "eduardo-gmud").change("topologies/grupo-alvorada.yaml")
    pull.change("rdms/2026/RDM-2026-0056.yml", "added")
    verdict = judge(example, client, approve_all(pull, CM))
    assert verdict.verdict is Outcome.REJECTED
    assert (
        "rdms/2026/RDM-2026-0056.yml is not read as an RDM: the name must be "
        "rdms/<year>/RDM-<year>-<4 digits>.yaml"
    ) in verdict.reasons


def test_a_policy_change_needs_a_normal_rdm(example, fake, client):
    pull = standard_pr(fake).change("policy/committee.yaml").review("eduardo-gmud", "APPROVED")
    verdict = judge(example, client, pull, homolog_image_diff(example, "12.1.2410-20261119"))
    assert verdict.verdict is Outcome.REJECTED
    assert (
        "policy/committee.yaml changes, and a policy change needs a normal RDM in this PR"
        in verdict.reasons
    )
    with_normal = approve_all(
        fake.pull(41, "eduardo-gmud")
        .change(NORMAL)
        .change("policy/calendar.yaml")
        .add_label("encaminhada", PRODUCT_OWNER),
        CM,
    )
    assert judge(example, client, with_normal).verdict is Outcome.APPROVED


def test_a_pr_without_rdm_or_data_changes_needs_the_cm(example, fake, client):
    pull = approve_all(fake.pull(42, "eduardo-gmud").change("tools/rdm/cli.py"), CM)
    verdict = judge(example, client, pull)
    assert (verdict.verdict, verdict.committee, verdict.rdm_id) == (Outcome.APPROVED, "CM", None)


def test_an_rdm_file_that_does_not_load_rejects(example, fake, client):
    pull = approve_all(
        fake.pull(43, "eduardo-gmud").change("rdms/2026/RDM-2026-0099.yaml", "added"), CM
    )
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert (
        "rdms/2026/RDM-2026-0099.yaml is not a valid RDM at the head commit" in verdict.reasons[0]
    )


def test_with_several_rdms_the_strictest_verdict_wins(example, fake, client):
    pull = normal_pr(fake).change(EMERGENCY).change("topologies/cooperativa-vale-verde.yaml")
    verdict = judge(example, client, approve_all(pull, CM))  # CM approves; no emergency label
    assert (verdict.verdict, verdict.committee, verdict.rdm_id) == (
        Outcome.PENDING,
        "CME",
        "RDM-2026-0043",
    )
    assert verdict.rdm_ids == ("RDM-2026-0041", "RDM-2026-0043")
    assert verdict.reasons[0].startswith("2 RDMs in this PR")


# ---------------------------------------------------- pages and requests


def test_120_reviews_across_two_pages(example, fake, client):
    pull = normal_pr(fake)
    for index in range(116):
        pull.review(f"observer-{index:03d}", "COMMENTED")
    approve_all(pull, CM)  # reviews 117..120 sit on the second page
    verdict = judge(example, client, pull)
    assert len(pull.reviews) == 120
    assert verdict.verdict is Outcome.APPROVED
    review_calls = [p for m, p in fake.requests if "/reviews" in p]
    assert review_calls == [
        f"/repos/{SLUG}/pulls/12/reviews?per_page=100",
        f"/repos/{SLUG}/pulls/12/reviews?per_page=100&page=2",
    ]
    # pull + 2 review pages + files + events (who added the forwarding label)
    assert len(fake.requests) == 5


# The events are read whether or not the PR has a label: they also say when its
# base branch changed.
@pytest.mark.parametrize(("labelled", "expected"), [(False, 4), (True, 4)])
def test_requests_per_pull_request(example, fake, client, labelled, expected):
    pull = approve_all(normal_pr(fake, forwarded=False), CM)
    if labelled:
        pull.add_label("emergency", "plantao-noc")
    judge(example, client, pull)
    assert len(fake.requests) == expected
    assert client.requests_made == expected


def test_commit_status_maps_the_verdict_and_fits_140_characters(example, fake, client):
    verdict = judge(example, client, approve_all(normal_pr(fake), CM[:1]))
    state, description = commit_status(verdict)
    assert state == "pending"
    assert len(description) <= 140
    assert description.startswith("CM pending: RDM-2026-0041: approval missing from @bruno-infra")


# ------------------------------------------------------------- the headline and the reasons agree


def test_a_pending_emergency_is_not_described_as_a_reached_consensus(example, fake, client):
    verdict = judge(example, client, approve_all(emergency_pr(fake), CME))
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "CME")
    assert not any("consensus of the" in reason for reason in verdict.reasons)
    assert verdict.reasons[-1] == (
        "every CME member approved (@ana-gerente-mudancas, @bruno-infra and @diretor-services "
        "on ddddddd), but the PR is pending for the reasons above"
    )


def test_a_rejection_for_coverage_keeps_the_approvals_as_facts(example, fake, client):
    pull = approve_all(normal_pr(fake).change("topologies/hospital-santa-luzia.yaml"), CM)
    pull.change("topologies/metalurgica-sao-jorge.yaml")
    verdict = judge(example, client, pull)
    assert verdict.verdict is Outcome.REJECTED
    assert verdict.reasons[0].startswith("topologies/metalurgica-sao-jorge.yaml changes, but no")
    assert verdict.reasons[-1].startswith("every CM member approved (")
    assert verdict.reasons[-1].endswith("but the PR is rejected for the reasons above")


def test_a_delegate_who_stood_in_for_another_rdm_is_not_shown_as_not_a_member(
    example, fake, client
):
    # Emergency (CME, unlabelled: pending) and a normal RDM (CM: carla's delegate
    # stands in) in one PR: the pending CME verdict is the strictest, and its table
    # still shows who stood in for the CM.
    pull = emergency_pr(fake).change(NORMAL, "added").change("topologies/grupo-alvorada.yaml")
    pull.add_label("encaminhada", "paula-po")  # the normal RDM forwarded to the CM
    approve_all(pull, ["ana-gerente-mudancas", "bruno-infra", "diretor-services"])
    pull.review("gustavo-dba", "APPROVED")
    verdict = judge(example, client, pull)
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "CME")
    assert states(verdict)["gustavo-dba"] is State.APPROVED
    assert states(verdict)["carla-dba"] is State.DELEGATED
    assert State.NOT_A_MEMBER not in states(verdict).values()
    assert (
        "RDM-2026-0041: @gustavo-dba approved on behalf of @carla-dba (delegate)"
        in verdict.reasons
    )
