"""`rdm approvals` end to end: a real git clone in tmp, the fake GitHub over HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest

from github_fake import SLUG, FakeGitHub
from rdm.cli import main

ROOT = Path(__file__).resolve().parents[1]
CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
TOPOLOGY = "topologies/hospital-santa-luzia.yaml"
STANDARD = "rdms/2026/RDM-2026-0044.yaml"
NORMAL = "rdms/2026/RDM-2026-0041.yaml"


@pytest.fixture
def clone(tmp_path: Path) -> tuple[git.Repo, str]:
    """A repository whose base commit holds the example without RDM-0041 and RDM-0044."""
    for folder in ("rdms", "topologies", "policy"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / STANDARD).unlink()
    (tmp_path / NORMAL).unlink()
    repo = git.Repo.init(tmp_path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("base")
    return repo, repo.head.commit.hexsha


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("RDM_BOT_LOGIN", "rdm-committee[bot]")  # the committee App's account
    for name in ("GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def commit_head(
    repo: git.Repo,
    new_tag: str | None = None,
    rdm: str = STANDARD,
    extra: dict[str, str] | None = None,
) -> str:
    root = Path(repo.working_tree_dir)
    shutil.copy(ROOT / rdm, root / rdm)
    if new_tag:
        topology = root / TOPOLOGY
        text = topology.read_text(encoding="utf-8").replace(
            "  protheus-appserver-homolog:\n",
            "  protheus-appserver-homolog:\n"
            f"    image: registry.saas.local/protheus/appserver:{new_tag}\n",
        )
        topology.write_text(text, encoding="utf-8")
    for relative, content in (extra or {}).items():
        (root / relative).write_text(content, encoding="utf-8")
    repo.git.add(A=True)
    repo.index.commit("head")
    return repo.head.commit.hexsha


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def approvals(capsys, number: int, repo: git.Repo, *options: str) -> tuple[int, str, str]:
    """`rdm approvals NUMBER --repo-slug SLUG --repo CLONE [options]`."""
    return run(
        capsys,
        "approvals",
        str(number),
        "--repo-slug",
        SLUG,
        "--repo",
        repo.working_tree_dir,
        *options,
    )


def standard_pull(fake: FakeGitHub, repo: git.Repo, base: str, new_tag: str) -> str:
    """PR #12: the standard RDM-0044 retags the homolog appserver; a change manager approves."""
    head = commit_head(repo, new_tag)
    fake.pull(12, "rh-sistemas-qa", head, base).change(STANDARD, "added").change(TOPOLOGY).review(
        "eduardo-gmud", "APPROVED"
    )
    return head


def test_standard_change_within_template_is_approved_and_published(clone, fake, env, capsys):
    repo, base = clone
    head = standard_pull(fake, repo, base, "12.1.2410-20261119")
    code, out, err = approvals(capsys, 12, repo, "--format", "json", "--publish")
    assert code == 0, err
    result = json.loads(out)
    assert result == {
        "pr": 12,
        "rdm": "RDM-2026-0044",
        "priority": "P4",  # low impact x medium urgency
        "rdms": ["RDM-2026-0044"],
        "priorities": {"RDM-2026-0044": "P4"},
        "committee": "standard",
        "verdict": "approved",
        "members": [
            {
                "login": "ana-gerente-mudancas",
                "state": "missing",
                "capacity": "change-manager",
                "involved": False,
                "roles": ["gestor-de-mudanca"],
            },
            {
                "login": "eduardo-gmud",
                "state": "approved",
                "capacity": "change-manager",
                "involved": False,
                "roles": [],
            },
        ],
        "gates": [],
        "vetoes": [],
        "reasons": [
            "standard change within template 'patch-de-imagem-homologacao': "
            "one change manager's approval suffices",
            "approved by change manager @eduardo-gmud on the head commit",
        ],
    }
    ((sha, status),) = fake.statuses
    assert sha == head
    assert (status["state"], status["context"]) == ("success", "rdm/committee")
    # pull, reviews, files, events (labels, base changes), the pull again (did
    # the head move?), status, the PR's comments, rdm's comment created
    assert len(fake.requests) == 8


def test_standard_change_beyond_template_read_from_git_needs_the_cm(clone, fake, env, capsys):
    repo, base = clone
    standard_pull(fake, repo, base, "12.2.2504-20270110")
    code, out, _ = approvals(capsys, 12, repo, "--format", "json")
    assert code == 1
    result = json.loads(out)
    assert (result["committee"], result["verdict"]) == ("CM", "pending")
    assert any("changes major.minor (12.1 -> 12.2)" in r for r in result["reasons"])


def test_text_output_has_a_table_of_members(clone, fake, env, capsys, monkeypatch):
    repo, base = clone
    head = commit_head(repo, rdm=NORMAL)
    pull = fake.pull(5, "eduardo-gmud", head, base).change(NORMAL, "added")
    pull.review("ana-gerente-mudancas", "APPROVED").review("bruno-infra", "APPROVED", commit=base)
    pull.review("carla-dba", "CHANGES_REQUESTED").review("estagiario-dev", "APPROVED")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    code, out, _ = run(capsys, "approvals", "5", "--repo", repo.working_tree_dir)
    assert code == 1
    assert out.splitlines()[0] == "PR #5 (RDM-2026-0041 P3): CM rejected"
    assert "  @bruno-infra           stale" in out
    assert "  @carla-dba             changes requested" in out
    assert "  @diretor-services      missing" in out
    assert "  @estagiario-dev        not a member" in out
    assert "  - approval missing from @diretor-services" in out


def test_the_committee_is_read_at_the_base_commit(clone, fake, env, capsys):
    """A PR that removes a member from policy/committee.yaml still needs that member's vote."""
    repo, base = clone
    committee = (ROOT / "policy/committee.yaml").read_text(encoding="utf-8")
    weakened = committee.replace("carla-dba, diretor-services]", "carla-dba]", 1)
    assert weakened != committee
    head = commit_head(repo, rdm=NORMAL, extra={"policy/committee.yaml": weakened})
    pull = (
        fake.pull(6, "eduardo-gmud", head, base)
        .change(NORMAL, "added")
        .change("policy/committee.yaml")
    )
    for login in CM[:3]:
        pull.review(login, "APPROVED")
    code, out, _ = approvals(capsys, 6, repo, "--format", "json")
    assert code == 1
    assert "approval missing from @diretor-services" in json.loads(out)["reasons"]


def test_a_missing_pull_request_exits_3(clone, fake, env, capsys):
    repo, _ = clone
    code, _, err = approvals(capsys, 99, repo)
    assert code == 3
    assert f"pull request #99 of {SLUG} not found (404)" in err


def test_a_head_commit_missing_from_the_clone_exits_3(clone, fake, env, capsys):
    repo, base = clone
    fake.pull(8, "eduardo-gmud", "e" * 40, base).change(NORMAL, "added")
    code, _, err = approvals(capsys, 8, repo)
    assert code == 3
    assert f"commit {'e' * 12} is not in the clone at {repo.working_tree_dir}; fetch it" in err
    assert "fetch-depth: 0" in err


def test_without_a_repository_slug_it_is_a_usage_error(env, capsys):
    code, _, err = run(capsys, "approvals", "1")
    assert code == 2
    assert "--repo-slug owner/name" in err
