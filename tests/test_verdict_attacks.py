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
from test_approvals_trust import Clone, homolog_retag, standard_head, standard_pull

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
    fake.fail(rf"^/repos/{SLUG}/pulls/12/reviews$", 404)  # no retry: the test never sleeps
    code, _, err = approvals(run_rdm, clone, "12", "--publish")
    assert code == 3
    assert "published" not in err
    assert fake.statuses == []


def test_without_publish_a_failure_publishes_nothing(clone, fake, env, run_rdm):
    fake.pull(12, "rh-sistemas-qa", "e" * 40, clone.base)
    code, _, _ = approvals(run_rdm, clone, "12")
    assert code == 3
    assert fake.statuses == []


# --------------------------- an emergency carries only RDMs and topologies


def emergency_pr(clone: Clone, fake: FakeGitHub, extra: dict[str, str]) -> FakePull:
    """A new emergency RDM (RDM-0045, like RDM-0043) and a new TSS image, plus `extra`."""
    rdm = "rdms/2026/RDM-2026-0045.yaml"
    clone.branch("rdm-45", clone.base)
    topology = clone.text(VALE_VERDE).replace(
        "tss: registry.saas.local/protheus/tss:",
        "tss: registry.saas.local/protheus/tss-nova-cadeia:",
        1,
    )
    assert topology != clone.text(VALE_VERDE)
    head = clone.commit(
        "emergency",
        {
            rdm: clone.text(EMERGENCY).replace("RDM-2026-0043", "RDM-2026-0045"),
            VALE_VERDE: topology,
            **extra,
        },
    )
    pull = fake.pull(45, "plantao-noc", head, clone.base).change(rdm, "added").change(VALE_VERDE)
    for path in extra:
        pull.change(path, "added" if not (clone.root / path).exists() else "modified")
    pull.add_label("emergency", "plantao-noc")
    return approve(pull, CME)


def test_an_emergency_with_only_rdms_and_topologies_needs_only_the_cme(
    clone, fake, env, run_rdm
):
    emergency_pr(clone, fake, {})
    result = verdict(run_rdm, clone, 45)
    assert (result["committee"], result["verdict"]) == ("CME", "approved")


@pytest.mark.parametrize(
    "path",
    [
        "tools/rdm/decisions/approvals.py",
        ".github/workflows/committee.yml",
        ".github/CODEOWNERS",
        "schemas/committee.schema.json",
        "pyproject.toml",
    ],
)
def test_an_emergency_that_changes_rdms_own_code_or_settings_needs_the_cm_too(
    clone, fake, env, run_rdm, path
):
    """The CME decides a client's emergency, not a change to how rdm decides: an
    emergency label from the NOC and three approvals must not ship verdict code."""
    emergency_pr(clone, fake, {path: "# every PR is approved\n"})
    result = verdict(run_rdm, clone, 45)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert result["reasons"][:2] == [
        "label `emergency` added by @plantao-noc (an emergency labeler)",
        f"RDM-2026-0045 is an emergency, but the PR also changes {path}, which is neither "
        "an RDM nor a topology: the CM decides it with the CME",
    ]
    assert result["reasons"][-1] == "approval missing from @carla-dba"
    assert {m["login"]: m["state"] for m in result["members"]}["carla-dba"] == "missing"


def test_an_emergency_beyond_rdms_and_topologies_is_approved_by_the_cm_and_the_cme(
    clone, fake, env, run_rdm
):
    pull = emergency_pr(clone, fake, {"tools/rdm/hotfix.py": "FIX = True\n"})
    pull.review("carla-dba", "APPROVED")
    result = verdict(run_rdm, clone, 45)
    assert (result["committee"], result["verdict"]) == ("CM", "approved")


def test_an_emergency_beyond_rdms_and_topologies_still_needs_its_label(
    clone, fake, env, run_rdm
):
    pull = emergency_pr(clone, fake, {"tools/rdm/hotfix.py": "FIX = True\n"})
    pull.review("carla-dba", "APPROVED")
    pull.remove_label("emergency", "ana-gerente-mudancas")
    result = verdict(run_rdm, clone, 45)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert result["reasons"][0].startswith(
        "RDM-2026-0045 is an emergency, but the PR lacks the label `emergency`"
    )


def test_an_emergency_that_deletes_another_rdm_needs_the_cm_too(clone, fake, env, run_rdm):
    pull = emergency_pr(clone, fake, {})
    clone.repo.git.rm(INVOLVING)
    pull.head = clone.commit("and forget RDM-0042")
    pull.reviews.clear()
    approve(pull.change(INVOLVING, "removed"), CME)
    result = verdict(run_rdm, clone, 45)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert result["reasons"][1] == (
        f"RDM-2026-0045 is an emergency, but the PR also deletes {INVOLVING}, an RDM: "
        "the CM decides it with the CME"
    )


# ------------------------------------------------ an RDM is its file name


def test_an_rdm_claiming_another_rdms_id_is_rejected(clone, fake, env, run_rdm):
    """RDM-0042 is on main; a standard RDM filed as RDM-0050 says it is RDM-0042.
    Loaded together, the later file would take RDM-0042's place in the repository."""
    impostor = "rdms/2026/RDM-2026-0050.yaml"
    clone.branch("rdm-50", clone.base)
    head = clone.commit(
        "impostor",
        {
            impostor: clone.text(STANDARD).replace("RDM-2026-0044", "RDM-2026-0042"),
            HOSPITAL: homolog_retag(clone.text(HOSPITAL)),
        },
    )
    pull = fake.pull(50, "rh-sistemas-qa", head, clone.base).change(impostor, "added")
    pull.change(HOSPITAL).review("eduardo-gmud", "APPROVED")
    result = verdict(run_rdm, clone, 50)
    assert result["verdict"] == "rejected"
    assert result["rdms"] == []
    assert result["reasons"][:2] == [
        "topologies/hospital-santa-luzia.yaml changes, but no RDM in this PR has "
        "hospital-santa-luzia among its targets",
        f"{impostor} is not a valid RDM at the head commit (run `rdm validate {impostor}`)",
    ]


def test_an_rdm_in_another_years_folder_is_rejected(clone, fake, env, run_rdm):
    misfiled = "rdms/2025/RDM-2026-0044.yaml"
    clone.branch("rdm-44", clone.base)
    head = clone.commit(
        "misfiled",
        {misfiled: clone.text(STANDARD), HOSPITAL: homolog_retag(clone.text(HOSPITAL))},
    )
    pull = fake.pull(44, "rh-sistemas-qa", head, clone.base).change(misfiled, "added")
    pull.change(HOSPITAL).review("eduardo-gmud", "APPROVED")
    result = verdict(run_rdm, clone, 44)
    assert result["verdict"] == "rejected"
    assert f"{misfiled} is not a valid RDM at the head commit (run `rdm validate {misfiled}`)" in (
        result["reasons"]
    )


# ------------------------------ an RDM on main keeps the bar of its type


def retyped_as_standard(clone: Clone) -> str:
    text = clone.text(INVOLVING).replace(
        "type: normal\n", "type: standard\ntemplate: patch-de-imagem-homologacao\n", 1
    )
    return text.replace("window: 2026-12-10", "window: 2026-12-03", 1)


def test_a_normal_rdm_on_main_retyped_as_standard_still_needs_the_cm(clone, fake, env, run_rdm):
    """The CM approved RDM-0042 as a normal change; one change manager must not be
    able to rewrite it (its window here) by calling it a standard change."""
    clone.branch("retype", clone.base)
    head = clone.commit("retype", {INVOLVING: retyped_as_standard(clone)})
    pull = fake.pull(60, "rh-sistemas-qa", head, clone.base).change(INVOLVING)
    pull.review("eduardo-gmud", "APPROVED")
    result = verdict(run_rdm, clone, 60)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert result["reasons"][0] == (
        "RDM-2026-0042 was a normal RDM on main (at the base commit); a PR cannot make it "
        "a standard change: it is decided as a normal one"
    )
    assert "approval missing from @lucas-analista-cloud (involved in RDM-2026-0042)" in (
        result["reasons"]
    )


def test_a_renamed_normal_rdm_retyped_as_standard_still_needs_the_cm(clone, fake, env, run_rdm):
    clone.branch("retype", clone.base)
    clone.repo.git.mv(INVOLVING, "rdms/2026/RDM-2026-0052.yaml")
    text = retyped_as_standard(clone).replace("RDM-2026-0042", "RDM-2026-0052")
    head = clone.commit("rename and retype", {"rdms/2026/RDM-2026-0052.yaml": text})
    pull = fake.pull(60, "rh-sistemas-qa", head, clone.base)
    pull.change("rdms/2026/RDM-2026-0052.yaml", "renamed", INVOLVING)
    pull.review("eduardo-gmud", "APPROVED")
    result = verdict(run_rdm, clone, 60)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert result["reasons"][0].startswith(
        "RDM-2026-0052 was a normal RDM on main (at the base commit, as "
        f"{INVOLVING}); a PR cannot make it a standard change"
    )


def test_a_standard_rdm_on_main_edited_as_standard_stays_a_standard_change(
    clone, fake, env, run_rdm
):
    """Only lowering the bar is refused: a standard RDM stays standard."""
    main = clone.commit("RDM-0044 merged", {STANDARD: clone.text(STANDARD)})
    clone.branch("edit", main)
    head = clone.commit(
        "retag again",
        {
            STANDARD: clone.text(STANDARD).replace("15m", "20m", 1),
            HOSPITAL: homolog_retag(clone.text(HOSPITAL)),
        },
    )
    pull = fake.pull(61, "rh-sistemas-qa", head, main).change(STANDARD).change(HOSPITAL)
    pull.review("eduardo-gmud", "APPROVED")
    result = verdict(run_rdm, clone, 61)
    assert (result["committee"], result["verdict"]) == ("standard", "approved")


# ------------------------------------------------- one person, one vote


@pytest.mark.parametrize(
    "members",
    [
        "[diretor-services, ana-gerente-mudancas, bruno-infra, carla-dba]",
        "[ana-gerente-mudancas, bruno-infra, carla-dba, diretor-services]",
    ],
    ids=["absent-member-first", "absent-member-last"],
)
def test_a_member_who_is_also_a_delegate_votes_once(clone, fake, env, run_rdm, members):
    """bruno-infra sits on the CM and is diretor-services's delegate: three people
    must not make the consensus of four, whatever order the policy lists them in."""
    policy = (
        clone.text("policy/committee.yaml")
        .replace(
            "members: [ana-gerente-mudancas, bruno-infra, carla-dba, diretor-services]",
            f"members: {members}",
            1,
        )
        .replace("diretor-services: [fernanda-coord-services]", "diretor-services: [bruno-infra]")
    )
    main = clone.commit("the director's delegate is bruno-infra", {"policy/committee.yaml": policy})
    clone.branch("rdm-41", main)
    normal = "rdms/2026/RDM-2026-0041.yaml"
    head = clone.commit("RDM-0041", {normal: clone.text(normal)})
    pull = fake.pull(41, "rh-sistemas-qa", head, main).change(normal, "added")
    pull.add_label("encaminhada", "paula-po")
    approve(pull, ["ana-gerente-mudancas", "bruno-infra", "carla-dba"])
    result = verdict(run_rdm, clone, 41)
    assert result["verdict"] == "pending"
    assert result["reasons"][-1] == "approval missing from @diretor-services"
    logins = [m["login"] for m in result["members"]]
    assert logins.count("bruno-infra") == 1
    assert {m["login"]: m["state"] for m in result["members"]}["diretor-services"] == "missing"


# ------------------------------------- approvals answer the diff they saw


NORMAL = "rdms/2026/RDM-2026-0041.yaml"
TOOL = "tools/rdm/decisions/approvals.py"


def retargeted(clone: Clone, fake: FakeGitHub) -> FakePull:
    """The CM approves a one-file diff into `staging`, a branch that already holds a
    change to rdm's code; then the author retargets the PR to main, whose diff now
    carries that change too, on the same head commit."""
    clone.branch("staging", clone.base)
    staging = clone.commit("staging", {TOOL: "APPROVE = True\n"})
    clone.branch("rdm-41", staging)
    head = clone.commit("RDM-0041", {NORMAL: clone.text(NORMAL)})
    pull = fake.pull(41, "rh-sistemas-qa", head, staging).change(NORMAL, "added")
    pull.base_ref = "staging"
    pull.add_label("encaminhada", "paula-po")
    approve(pull, CM)
    pull.change_base("main", clone.base, "rh-sistemas-qa", at="2026-11-24T10:03:30Z")
    return pull.change(TOOL, "added")


def test_approvals_given_before_the_base_changed_are_stale(clone, fake, env, run_rdm):
    retargeted(clone, fake)
    result = verdict(run_rdm, clone, 41)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert {m["login"]: m["state"] for m in result["members"]} == dict.fromkeys(CM, "stale")
    assert (
        "@ana-gerente-mudancas's approval is stale (given before the PR's base was "
        "changed to `main`)" in result["reasons"]
    )


def test_approvals_after_the_base_changed_count(clone, fake, env, run_rdm):
    pull = retargeted(clone, fake)
    approve(pull, CM)
    result = verdict(run_rdm, clone, 41)
    assert (result["committee"], result["verdict"]) == ("CM", "approved")


def test_a_base_change_github_made_itself_counts_too(clone, fake, env, run_rdm):
    """GitHub retargets a PR whose base branch was merged and deleted."""
    pull = retargeted(clone, fake)
    pull.events[-1]["event"] = "automatic_base_change_succeeded"
    result = verdict(run_rdm, clone, 41)
    assert result["verdict"] == "pending"


def test_a_base_change_without_a_time_makes_every_approval_stale(clone, fake, env, run_rdm):
    pull = retargeted(clone, fake)
    approve(pull, CM)
    pull.events[-1]["created_at"] = None
    result = verdict(run_rdm, clone, 41)
    assert {m["login"]: m["state"] for m in result["members"]} == dict.fromkeys(CM, "stale")


def test_the_comment_says_the_approvals_predate_the_base_change(clone, fake, env, run_rdm):
    pull = retargeted(clone, fake)
    code, _, err = approvals(run_rdm, clone, "41", "--publish")
    assert code == 1, err
    (comment,) = pull.comments
    assert (
        "| `@carla-dba` | membro do CM · Coordenador de Suporte (Smart eSocial) | "
        "⚠️ aprovou antes da troca do branch base da PR |" in comment["body"]
    )
    assert (
        "- a aprovação de `@carla-dba` (membro do CM · Coordenador de Suporte (Smart eSocial)) "
        f"no commit `{pull.head[:7]}` (a anterior foi dada antes da troca do branch base da PR)"
        in comment["body"]
    )


# ------------------------------------ what the PR's tree holds is data (held)


def test_an_rdm_that_is_a_symlink_is_not_read_through_it(clone, fake, env, run_rdm):
    """rdms/…/RDM-2026-0045.yaml -> RDM-2026-0043.yaml (a valid emergency on main):
    git stores the link's text, which is no RDM, so the PR is rejected."""
    link = "rdms/2026/RDM-2026-0045.yaml"
    clone.branch("link", clone.base)
    (clone.root / link).symlink_to("RDM-2026-0043.yaml")
    head = clone.commit("a link")
    pull = fake.pull(45, "plantao-noc", head, clone.base).change(link, "added")
    pull.add_label("emergency", "plantao-noc")
    approve(pull, CME)
    result = verdict(run_rdm, clone, 45)
    assert result["verdict"] == "rejected"
    assert result["reasons"] == [
        f"{link} is not a valid RDM at the head commit (run `rdm validate {link}`)",
        *result["reasons"][1:],
    ]


def test_an_rdm_that_is_a_submodule_is_not_a_valid_rdm(clone, fake, env, run_rdm):
    gitlink = "rdms/2026/RDM-2026-0045.yaml"
    clone.branch("submodule", clone.base)
    clone.repo.git.update_index("--add", "--cacheinfo", f"160000,{clone.base},{gitlink}")
    clone.repo.git.commit("-m", "a submodule named like an RDM")
    head = clone.repo.head.commit.hexsha
    pull = fake.pull(45, "plantao-noc", head, clone.base).change(gitlink, "added")
    approve(pull, CM)
    result = verdict(run_rdm, clone, 45)
    assert result["verdict"] == "rejected"
    assert f"{gitlink} is not a valid RDM at the head commit" in result["reasons"][0]


@pytest.mark.parametrize(
    "path",
    [
        "rdmѕ/2026/RDM-2026-0045.yaml",  # Cyrillic ѕ
        "rdms/2026/RDM-2026-００45.yaml",  # full-width digits
        "topologies/hospital-santa-luzia.yaml ",  # a trailing space
        ".gitattributes",
    ],
    ids=["cyrillic-folder", "fullwidth-digits", "trailing-space", "gitattributes"],
)
def test_a_lookalike_file_in_a_standard_change_is_beyond_its_template(
    clone, fake, env, run_rdm, path
):
    head = standard_head(clone, {path: "type: standard\n"})
    standard_pull(fake, 12, head, clone.base).change(path, "added")
    result = verdict(run_rdm, clone, 12)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert f"{path}: not an RDM nor a topology file, which no template covers" in (
        result["reasons"]
    )
