"""The committee as the team's rules define it, end to end: `rdm approvals` on a real
git clone in tmp, the fake GitHub over HTTP.

- Forwarding: a normal RDM reaches the CM once the Product Owner (or a change
  manager) put the label `encaminhada` on the PR; anyone else's label is
  reported and ignored.
- People involved: an RDM's `involved` logins join its committee's consensus;
  a member who is also involved counts once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from github_fake import SLUG, FakeGitHub, FakePull
from rdm.decisions.approvals import ChangedFile, LabelEvent, Outcome, PullRequest, Review
from rdm.decisions.approvals import decide as approvals_decide
from rdm.decisions.standard import TopologyDiff
from rdm.model.records import Capacity
from test_approvals_trust import Clone, homolog_retag

CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
CME = ["ana-gerente-mudancas", "bruno-infra", "diretor-services"]
NORMAL = "rdms/2026/RDM-2026-0041.yaml"
INVOLVING = "rdms/2026/RDM-2026-0042.yaml"  # involved: [lucas-analista-cloud, bruno-infra]
EMERGENCY = "rdms/2026/RDM-2026-0043.yaml"
STANDARD = "rdms/2026/RDM-2026-0044.yaml"
HOSPITAL = "topologies/hospital-santa-luzia.yaml"
PO, MANAGER, CLOUD = "paula-po", "eduardo-gmud", "lucas-analista-cloud"


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    """`main`: the example without RDM-0041, RDM-0042 and RDM-0044."""
    clone = Clone(tmp_path / "clone")
    clone.base = clone.commit("without RDM-0042", {INVOLVING: None})
    return clone


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    monkeypatch.setenv("RDM_BOT_LOGIN", "rdm-committee[bot]")
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def decide(run_rdm, clone: Clone, number: int, *options: str) -> tuple[int, dict, str]:
    code, out, err = run_rdm(
        "approvals", str(number), "--format", "json", "--repo", str(clone.root), *options
    )
    assert code in (0, 1), err
    return code, json.loads(out), err


def add_rdm(fake: FakeGitHub, clone: Clone, number: int, rdm: str, author: str = MANAGER):
    clone.branch(f"pr-{number}", clone.base)
    head = clone.commit(f"PR {number}", {rdm: clone.text(rdm)})
    return fake.pull(number, author, head, clone.base).change(rdm, "added")


def approve(pull: FakePull, logins: list[str]) -> FakePull:
    for login in logins:
        pull.review(login, "APPROVED")
    return pull


def row(result: dict, login: str) -> dict:
    (found,) = [m for m in result["members"] if m["login"] == login]
    return found


# ------------------------------------------------------------ forwarding


def test_forwarded_by_the_product_owner_the_cm_decides(clone, fake, env, run_rdm):
    pull = approve(add_rdm(fake, clone, 50, NORMAL), CM).add_label("encaminhada", PO)
    code, result, _ = decide(run_rdm, clone, 50)
    assert (code, result["verdict"], result["committee"]) == (0, "approved", "CM")
    assert result["reasons"][0] == (
        "label `encaminhada` added by @paula-po (Product Owner): forwarded to the CM"
    )
    assert result["gates"] == [
        {
            "label": "encaminhada",
            "by": PO,
            "allowed": [PO, "ana-gerente-mudancas", MANAGER],
            "ignored": [],
        }
    ]
    assert pull.number == 50


def test_forwarded_by_a_change_manager_the_cm_decides(clone, fake, env, run_rdm):
    approve(add_rdm(fake, clone, 51, NORMAL), CM).add_label("encaminhada", MANAGER)
    code, result, _ = decide(run_rdm, clone, 51)
    assert (code, result["verdict"]) == (0, "approved")
    assert result["reasons"][0] == (
        "label `encaminhada` added by @eduardo-gmud (a change manager): forwarded to the CM"
    )


def test_a_label_by_anyone_else_is_reported_ignored_and_published_as_pending(
    clone, fake, env, run_rdm
):
    approve(add_rdm(fake, clone, 52, NORMAL), CM).add_label("encaminhada", "mallory")
    code, result, _ = decide(run_rdm, clone, 52, "--publish")
    assert (code, result["verdict"]) == (1, "pending")
    assert result["reasons"][:2] == [
        "awaiting forwarding by @paula-po (Product Owner): the PR needs the label "
        "`encaminhada` added by @paula-po or by a change manager "
        "(@ana-gerente-mudancas or @eduardo-gmud)",
        "encaminhada label added by @mallory, who is neither the Product Owner nor a change "
        "manager: ignored",
    ]
    assert result["gates"][0]["ignored"] == ["mallory"]
    ((_, status),) = fake.statuses
    assert status["state"] == "pending"
    assert status["description"].startswith(
        "CM pending: RDM-2026-0041: awaiting forwarding by @paula-po (Product Owner)"
    )


def test_only_the_latest_labeled_event_counts(clone, fake, env, run_rdm):
    """The PO forwarded it; someone removed the label and put it back: not forwarded."""
    pull = approve(add_rdm(fake, clone, 53, NORMAL), CM).add_label("encaminhada", PO)
    pull.remove_label("encaminhada", "mallory").add_label("encaminhada", "mallory")
    code, result, _ = decide(run_rdm, clone, 53)
    assert (code, result["verdict"]) == (1, "pending")
    assert result["gates"][0]["by"] is None


def test_label_names_are_read_without_case(clone, fake, env, run_rdm):
    approve(add_rdm(fake, clone, 54, NORMAL), CM).add_label("Encaminhada", PO)
    assert decide(run_rdm, clone, 54)[1]["verdict"] == "approved"


def test_not_forwarded_a_veto_still_rejects_and_the_status_names_the_veto(
    clone, fake, env, run_rdm
):
    pull = approve(add_rdm(fake, clone, 55, NORMAL), CM[:3])
    pull.review("diretor-services", "CHANGES_REQUESTED")
    code, result, _ = decide(run_rdm, clone, 55, "--publish")
    assert (code, result["verdict"]) == (1, "rejected")
    assert result["reasons"][0].startswith("awaiting forwarding by @paula-po")
    ((_, status),) = fake.statuses
    assert status["description"] == (
        "CM rejected: RDM-2026-0041: @diretor-services requested changes; "
        "rejected until @diretor-services approves"
    )


def test_a_policy_without_a_product_owner_keeps_its_old_rule(clone, fake, env, run_rdm):
    """Old committee files (no `roles`) stay valid, and nobody needs to forward."""
    text = clone.text("policy/committee.yaml")
    start, end = text.index("roles:"), text.index("committees:")
    old_policy = (text[:start] + text[end:]).replace("    fixedRoles:", "    # fixedRoles:")
    clone.branch("main", clone.base)
    clone.base = clone.commit("policy without roles", {"policy/committee.yaml": old_policy})
    approve(add_rdm(fake, clone, 56, NORMAL), CM)
    code, result, _ = decide(run_rdm, clone, 56)
    assert (code, result["verdict"], result["gates"]) == (0, "approved", [])


def test_an_emergency_needs_no_forwarding_and_the_label_on_it_changes_nothing(
    clone, fake, env, run_rdm
):
    clone.branch("pr-57", clone.base)
    text = clone.text(EMERGENCY).replace("title:", "title: (revisada)", 1)
    head = clone.commit("emergency edit", {EMERGENCY: text})
    pull = fake.pull(57, MANAGER, head, clone.base).change(EMERGENCY)
    approve(pull, CME).add_label("emergency", "plantao-noc").add_label("encaminhada", "mallory")
    code, result, _ = decide(run_rdm, clone, 57)
    assert (code, result["verdict"], result["committee"]) == (0, "approved", "CME")
    assert (
        "label `encaminhada` on an emergency RDM (RDM-2026-0043) changes nothing: only normal "
        "changes are forwarded to the CM"
    ) in result["reasons"]


def test_a_standard_change_within_its_template_needs_no_forwarding(clone, fake, env, run_rdm):
    clone.branch("pr-58", clone.base)
    head = clone.commit(
        "standard", {STANDARD: clone.text(STANDARD), HOSPITAL: homolog_retag(clone.text(HOSPITAL))}
    )
    pull = fake.pull(58, "rh-sistemas-qa", head, clone.base).change(STANDARD, "added")
    pull.change(HOSPITAL).review(MANAGER, "APPROVED")
    code, result, _ = decide(run_rdm, clone, 58)
    assert (code, result["verdict"], result["committee"]) == (0, "approved", "standard")


def test_a_standard_change_beyond_its_template_goes_to_the_cm_forwarded(clone, fake, env, run_rdm):
    clone.branch("pr-59", clone.base)
    image = "registry.saas.local/protheus/appserver:12.2.2504-20270110"
    head = clone.commit(
        "standard beyond",
        {STANDARD: clone.text(STANDARD), HOSPITAL: homolog_retag(clone.text(HOSPITAL), image)},
    )
    pull = fake.pull(59, "rh-sistemas-qa", head, clone.base).change(STANDARD, "added")
    approve(pull.change(HOSPITAL), CM)
    code, result, _ = decide(run_rdm, clone, 59)
    assert (code, result["verdict"], result["committee"]) == (1, "pending", "CM")
    assert result["reasons"][1].startswith("awaiting forwarding by @paula-po (Product Owner)")
    pull.add_label("encaminhada", PO)
    code, result, _ = decide(run_rdm, clone, 59)
    assert (code, result["verdict"], result["committee"]) == (0, "approved", "CM")


# ----------------------------------------------------------- involved


def involving_pr(fake: FakeGitHub, clone: Clone, number: int, author: str = MANAGER) -> FakePull:
    """Adds RDM-0042 (involved: lucas-analista-cloud and bruno-infra), forwarded by the PO."""
    return add_rdm(fake, clone, number, INVOLVING, author).add_label("encaminhada", PO)


def test_an_involved_person_missing_keeps_it_pending_and_is_named(clone, fake, env, run_rdm):
    approve(involving_pr(fake, clone, 60), CM)
    code, result, _ = decide(run_rdm, clone, 60)
    assert (code, result["verdict"]) == (1, "pending")
    assert result["reasons"][-1] == (
        "approval missing from @lucas-analista-cloud (involved in RDM-2026-0042)"
    )
    assert row(result, CLOUD) == {
        "login": CLOUD,
        "state": "missing",
        "capacity": "involved",
        "involved": True,
        "roles": [],
    }


def test_an_involved_persons_approval_completes_the_consensus(clone, fake, env, run_rdm):
    pull = approve(involving_pr(fake, clone, 61), [*CM, CLOUD])
    code, result, _ = decide(run_rdm, clone, 61)
    assert (code, result["verdict"]) == (0, "approved")
    assert result["reasons"][-1] == (
        "consensus of the CM: @ana-gerente-mudancas, @bruno-infra, @carla-dba and "
        f"@diretor-services, with @lucas-analista-cloud involved in RDM-2026-0042, "
        f"on {pull.head[:7]}"
    )


def test_an_involved_person_requesting_changes_rejects_with_their_text(clone, fake, env, run_rdm):
    pull = approve(involving_pr(fake, clone, 62), CM)
    pull.review(CLOUD, "CHANGES_REQUESTED", body="O limite de memória do nó não comporta 8Gi.")
    code, result, _ = decide(run_rdm, clone, 62)
    assert (code, result["verdict"]) == (1, "rejected")
    assert (
        "@lucas-analista-cloud (involved in RDM-2026-0042) requested changes; "
        "rejected until @lucas-analista-cloud approves"
    ) in result["reasons"]
    ((veto),) = result["vetoes"]
    assert (veto["login"], veto["capacity"], veto["rdm"], veto["body"]) == (
        CLOUD,
        "involved",
        "RDM-2026-0042",
        "O limite de memória do nó não comporta 8Gi.",
    )
    assert veto["review_id"] == pull.reviews[-1]["id"]


def test_an_involved_persons_approval_of_an_older_commit_is_stale(clone, fake, env, run_rdm):
    pull = approve(involving_pr(fake, clone, 63), CM).review(CLOUD, "APPROVED", commit="0" * 40)
    code, result, _ = decide(run_rdm, clone, 63)
    assert (code, result["verdict"]) == (1, "pending")
    assert row(result, CLOUD)["state"] == "stale"
    assert (
        f"@lucas-analista-cloud (involved in RDM-2026-0042)'s approval is stale "
        f"(given before the latest push to {pull.head[:7]})"
    ) in result["reasons"]


def test_a_member_who_is_also_involved_counts_once(clone, fake, env, run_rdm):
    approve(involving_pr(fake, clone, 64), [*CM, CLOUD])
    _, result, _ = decide(run_rdm, clone, 64)
    rows = [m for m in result["members"] if m["login"] == "bruno-infra"]
    assert rows == [
        {
            "login": "bruno-infra",
            "state": "approved",
            "capacity": "member",
            "involved": True,
            "roles": ["gestor-de-suporte-services"],
        }
    ]
    assert [m["login"] for m in result["members"]] == [*CM, CLOUD]


def test_a_member_who_is_also_involved_and_missing_is_named_once(clone, fake, env, run_rdm):
    approve(involving_pr(fake, clone, 65), ["ana-gerente-mudancas", "carla-dba", CLOUD])
    approve(fake.pulls[65], ["diretor-services"])
    _, result, _ = decide(run_rdm, clone, 65)
    missing = [r for r in result["reasons"] if r.startswith("approval missing")]
    assert missing == ["approval missing from @bruno-infra"]


def test_an_involved_author_cannot_approve_their_own_pr(clone, fake, env, run_rdm):
    approve(involving_pr(fake, clone, 66, author=CLOUD), [*CM, CLOUD])
    code, result, _ = decide(run_rdm, clone, 66)
    assert (code, result["verdict"]) == (1, "pending")
    assert row(result, CLOUD)["state"] == "author"
    assert (
        "@lucas-analista-cloud (involved in RDM-2026-0042) is the PR author; "
        "their own review does not count"
    ) in result["reasons"]


def test_the_text_table_says_why_each_person_votes(clone, fake, env, run_rdm):
    pull = approve(involving_pr(fake, clone, 67), ["ana-gerente-mudancas", "bruno-infra"])
    pull.review("fernanda-coord-services", "APPROVED").review("estagiario-dev", "APPROVED")
    code, out, _ = run_rdm("approvals", "67", "--repo", str(clone.root))
    assert code == 1
    table = [line for line in out.splitlines() if line.startswith("  @")]
    assert table == [
        "  @ana-gerente-mudancas     approved      member (gestor-de-mudanca)",
        "  @bruno-infra              approved      member (gestor-de-suporte-services), "
        "involved in RDM-2026-0042",
        "  @carla-dba                missing       member (coordenador-suporte)",
        "  @diretor-services         delegated     member (diretor-services), "
        "@fernanda-coord-services approved for them",
        "  @fernanda-coord-services  approved      delegate of @diretor-services",
        "  @lucas-analista-cloud     missing       involved in RDM-2026-0042",
        "  @estagiario-dev           not a member",
    ]


# ------------------------------------------ the rules on their own (pure)

HEAD, OLDER = "h" * 40, "o" * 40


def pure_verdict(example, rdm_id: str, involved: tuple[str, ...], reviews, labels=(), **kw):
    """`decide` on a PR that adds `rdm_id`, with `involved` replacing the RDM's own list."""
    rdm = replace(example.rdms[rdm_id], involved=involved)
    path = f"rdms/2026/{rdm_id}.yaml"
    pr = PullRequest(
        number=1,
        author=kw.get("author", MANAGER),
        head_sha=HEAD,
        base_sha=OLDER,
        labels=tuple(LabelEvent(name, actor) for name, actor in labels),
        reviews=tuple(Review(who, state, HEAD, "2026-11-24T15:00:00Z") for who, state in reviews),
        changed_files=(ChangedFile(path, "added"), *kw.get("files", ())),
        base_ref="main",
    )
    return verdict_of_decide(
        example.committee, pr, {path: rdm}, example.standard_changes, kw.get("diffs", ())
    )


def verdict_of_decide(committee, pr, rdms, templates, diffs):
    return approvals_decide(committee, pr, rdms, templates, diffs, protected_branch="main")


FORWARDED = (("encaminhada", PO),)


def test_a_delegate_who_is_involved_stands_in_and_counts_as_involved(example):
    approvals = [(m, "APPROVED") for m in CM[:3]] + [("fernanda-coord-services", "APPROVED")]
    verdict = pure_verdict(
        example, "RDM-2026-0041", ("fernanda-coord-services",), approvals, FORWARDED
    )
    assert verdict.verdict is Outcome.APPROVED
    fernanda = [m for m in verdict.members if m.login == "fernanda-coord-services"]
    assert [(m.capacity, m.involved, m.stands_in_for) for m in fernanda] == [
        (Capacity.DELEGATE, True, "diretor-services")
    ]


def test_a_delegate_who_is_involved_and_silent_is_missing_twice_over(example):
    approvals = [(m, "APPROVED") for m in CM[:3]]
    verdict = pure_verdict(
        example, "RDM-2026-0041", ("fernanda-coord-services",), approvals, FORWARDED
    )
    assert verdict.verdict is Outcome.PENDING
    assert [r for r in verdict.reasons if r.startswith("approval missing")] == [
        "approval missing from @diretor-services",
        "approval missing from @fernanda-coord-services (involved in RDM-2026-0041)",
    ]


def test_involved_people_join_the_cme_for_an_emergency(example):
    approvals = [(m, "APPROVED") for m in CME]
    labels = (("emergency", "plantao-noc"),)
    verdict = pure_verdict(example, "RDM-2026-0043", (CLOUD,), approvals, labels)
    assert (verdict.verdict, verdict.committee) == (Outcome.PENDING, "CME")
    assert "approval missing from @lucas-analista-cloud (involved in RDM-2026-0043)" in (
        verdict.reasons
    )
    approved = pure_verdict(
        example, "RDM-2026-0043", (CLOUD,), [*approvals, (CLOUD, "APPROVED")], labels
    )
    assert approved.verdict is Outcome.APPROVED


def test_an_involved_person_may_stop_a_standard_change(example):
    diff = homolog_diff(example)
    files = (ChangedFile(HOSPITAL),)
    qa = "rh-sistemas-qa"
    ok = pure_verdict(
        example,
        "RDM-2026-0044",
        (CLOUD,),
        [(MANAGER, "APPROVED")],
        files=files,
        diffs=diff,
        author=qa,
    )
    assert (ok.verdict, ok.committee) == (Outcome.APPROVED, "standard")
    stopped = pure_verdict(
        example,
        "RDM-2026-0044",
        (CLOUD,),
        [(MANAGER, "APPROVED"), (CLOUD, "CHANGES_REQUESTED")],
        files=files,
        diffs=diff,
        author=qa,
    )
    assert stopped.verdict is Outcome.REJECTED
    assert (
        "@lucas-analista-cloud (involved in RDM-2026-0044) requested changes; "
        "rejected until @lucas-analista-cloud approves"
    ) in stopped.reasons
    assert [(v.login, v.capacity) for v in stopped.vetoes] == [(CLOUD, Capacity.INVOLVED)]


def test_involved_logins_are_compared_without_case(example):
    approvals = [(m, "APPROVED") for m in CM] + [("Lucas-Analista-Cloud", "APPROVED")]
    verdict = pure_verdict(example, "RDM-2026-0041", (CLOUD,), approvals, FORWARDED)
    assert verdict.verdict is Outcome.APPROVED


def test_several_rdms_keep_each_ones_verdict_and_every_veto(example):
    path41, path42 = "rdms/2026/RDM-2026-0041.yaml", INVOLVING
    pr = PullRequest(
        number=1,
        author=MANAGER,
        head_sha=HEAD,
        base_sha=OLDER,
        labels=(LabelEvent("encaminhada", PO),),
        reviews=(
            *(Review(m, "APPROVED", HEAD, "2026-11-24T15:00:00Z") for m in CM),
            Review(CLOUD, "CHANGES_REQUESTED", HEAD, "2026-11-24T15:10:00Z", "Não.", 7),
        ),
        changed_files=(ChangedFile(path41, "added"), ChangedFile(path42, "added")),
        base_ref="main",
    )
    rdms = {path41: example.rdms["RDM-2026-0041"], path42: example.rdms["RDM-2026-0042"]}
    verdict = verdict_of_decide(example.committee, pr, rdms, example.standard_changes, ())
    assert (verdict.verdict, verdict.rdm_id) == (Outcome.REJECTED, "RDM-2026-0042")
    assert [(p.rdm_id, p.verdict) for p in verdict.each()] == [
        ("RDM-2026-0041", Outcome.APPROVED),
        ("RDM-2026-0042", Outcome.REJECTED),
    ]
    assert [(v.login, v.body, v.review_id) for v in verdict.vetoes] == [(CLOUD, "Não.", 7)]


def homolog_diff(example) -> tuple[TopologyDiff, ...]:
    import copy

    before = example.data[HOSPITAL]
    after = copy.deepcopy(before)
    after["workloads"]["protheus-appserver-homolog"]["image"] = (
        "registry.saas.local/protheus/appserver:12.1.2410-20261119"
    )
    return (TopologyDiff("hospital-santa-luzia", before, after),)


def test_the_approvers_are_what_the_execution_records_keep(example):
    rdm = replace(example.rdms["RDM-2026-0041"], involved=(CLOUD,))
    reviews = [
        Review(login, "APPROVED", HEAD, f"2026-11-24T15:0{i}:00Z", "", 100 + i)
        for i, login in enumerate([*CM[:3], "fernanda-coord-services", CLOUD, "estagiario-dev"])
    ]
    pr = PullRequest(
        number=1,
        author=MANAGER,
        head_sha=HEAD,
        base_sha=OLDER,
        labels=(LabelEvent("encaminhada", PO),),
        reviews=tuple(reviews),
        changed_files=(ChangedFile(NORMAL, "added"),),
        base_ref="main",
    )
    verdict = verdict_of_decide(example.committee, pr, {NORMAL: rdm}, {}, ())
    assert verdict.verdict is Outcome.APPROVED
    assert [
        (a.login, a.review_id, a.capacity, a.stood_in_for, a.submitted_at.minute)
        for a in verdict.approvers()
    ] == [
        ("ana-gerente-mudancas", 100, Capacity.MEMBER, None, 0),
        ("bruno-infra", 101, Capacity.MEMBER, None, 1),
        ("carla-dba", 102, Capacity.MEMBER, None, 2),
        ("fernanda-coord-services", 103, Capacity.DELEGATE, "diretor-services", 3),
        (CLOUD, 104, Capacity.INVOLVED, None, 4),
    ]
    pending = replace(pr, labels=())
    assert verdict_of_decide(example.committee, pending, {NORMAL: rdm}, {}, ()).approvers() == ()


def test_a_standard_changes_approver_is_the_one_change_manager(example):
    verdict = pure_verdict(
        example,
        "RDM-2026-0044",
        (),
        [(MANAGER, "APPROVED"), ("ana-gerente-mudancas", "APPROVED")],
        files=(ChangedFile(HOSPITAL),),
        diffs=homolog_diff(example),
        author="rh-sistemas-qa",
    )
    assert verdict.verdict is Outcome.APPROVED
    assert [(a.login, a.capacity) for a in verdict.approvers()] == [
        ("ana-gerente-mudancas", Capacity.CHANGE_MANAGER)
    ]
