"""`rdm validate` on folders of example cases, each with its exact expected problems.

A case is `tests/cases/validate/{valid,invalid}/<name>/files/...`, laid over a
copy of the bundled example repository; `expected` lists `path:line:col level
rule` lines (paths relative to the repository). A valid case expects no
problem. Cases are judged as of `AT` (the rules about times need an instant).
A case with a `base/` folder is a change under review: the example with
`base/` laid over it is committed in a git repository, `files/` is laid over
the work tree, and the case is checked `--since` that commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import git
import pytest

from conftest import ROOT, copy_example, overlay
from rdm.edges.repository import Checks, Repository, load_repository, load_work_tree
from rdm.edges.sources import GitRevision, WorkTree

CASES = Path(__file__).parent / "cases" / "validate"
INVALID = sorted(p.name for p in (CASES / "invalid").iterdir())
VALID = sorted(p.name for p in (CASES / "valid").iterdir())


AT = "2026-11-30T12:00:00-03:00"


def _case_repo(tmp_path: Path, group: str, name: str) -> Path:
    repo = copy_example(tmp_path / "repo")
    base = CASES / group / name / "base"
    if base.is_dir():
        overlay(repo, base)
        repository = git.Repo.init(repo)
        with repository.config_writer() as config:
            config.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
        repository.git.add(A=True)
        repository.index.commit("base")
    overlay(repo, CASES / group / name / "files")
    return repo


def _since(group: str, name: str) -> list[str]:
    return ["--since", "HEAD"] if (CASES / group / name / "base").is_dir() else []


def _load(repo: Path, group: str, name: str) -> Repository:
    base = GitRevision(repo, "HEAD") if _since(group, name) else None
    checks = Checks(now=datetime.fromisoformat(AT), base=base, since="HEAD")
    return load_repository(WorkTree(repo), checks=checks)


def _expected(group: str, name: str) -> list[tuple[str, int, int, str, str]]:
    path = CASES / group / name / "expected"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            where, level, rule = line.rsplit(" ", 2)
            file, row, col = where.rsplit(":", 2)
            rows.append((file, int(row), int(col), level, rule))
    return rows


@pytest.mark.parametrize("name", INVALID)
def test_invalid_case_reports_exact_problems(tmp_path: Path, name: str) -> None:
    repo = _case_repo(tmp_path, "invalid", name)
    found = [
        (p.path, p.line, p.col, str(p.level), p.rule)
        for p in _load(repo, "invalid", name).problems
    ]
    assert found == _expected("invalid", name)


@pytest.mark.parametrize("name", VALID)
def test_valid_case_has_no_problem(tmp_path: Path, name: str) -> None:
    repo = _case_repo(tmp_path, "valid", name)
    assert [str(p) for p in _load(repo, "valid", name).problems] == []


def test_example_repository_is_valid(run_rdm: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_rdm("validate", "--repo", str(ROOT), "--format", "text", "--at", AT)
    assert code == 0, out
    assert out.strip().endswith("0 error(s), 0 warning(s)")


@pytest.mark.parametrize("name", INVALID)
def test_every_invalid_case_exits_by_its_levels_without_traceback(
    tmp_path: Path, name: str, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    repo = _case_repo(tmp_path, "invalid", name)
    since = _since("invalid", name)
    options = ("--format", "text", "--at", AT, *since)
    code, out, err = run_rdm("validate", "--repo", str(repo), *options)
    has_error = any(level == "error" for *_, level, _rule in _expected("invalid", name))
    assert code == (1 if has_error else 0)
    assert "Traceback" not in out + err
    assert err == ""


def test_text_format_is_path_line_col_level_message_rule(
    tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    repo = _case_repo(tmp_path, "invalid", "rdm-enum")
    code, out, _ = run_rdm("validate", "--repo", str(repo), "--format", "text")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{repo}/rdms/2026/RDM-2026-0041.yaml:17:1: error: "
        "impact: 'medio' is not one of 'high', 'medium', 'low': did you mean 'medium'? [schema]"
    )


def test_json_format(tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]]) -> None:
    repo = _case_repo(tmp_path, "invalid", "yaml-duplicate-key")
    code, out, _ = run_rdm("validate", "--repo", str(repo), "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert payload["files"] == 14  # 4 RDMs, 4 topologies, 6 policy files
    assert payload["problems"] == [
        {
            "path": f"{repo}/rdms/2026/RDM-2026-0042.yaml",
            "line": 16,
            "col": 1,
            "level": "error",
            "message": "duplicate key 'impact'",
            "rule": "yaml-duplicate-key",
        }
    ]


def test_github_format_is_chosen_under_actions(
    tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _case_repo(tmp_path, "invalid", "rdm-target-unknown")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_rdm("validate")
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=rdms/2026/RDM-2026-0041.yaml,line=19,col=27,title=rdm-target-unknown::"
        "target 'padaria-do-ze' has no topology (topologies/padaria-do-ze.yaml)"
    )


def test_paths_limit_the_report_but_keep_cross_file_rules(
    tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _case_repo(tmp_path, "invalid", "rdm-target-unknown")
    overlay(repo, CASES / "invalid" / "topology-monitors" / "files")
    monkeypatch.chdir(repo)
    code, out, _ = run_rdm("validate", "rdms/2026/RDM-2026-0041.yaml", "--format", "text")
    assert code == 1
    assert [line.rsplit(" ", 1)[-1] for line in out.splitlines()[:-1]] == ["[rdm-target-unknown]"]
    code, out, _ = run_rdm("validate", "topologies", "--format", "text")
    assert code == 1
    assert "[topology-monitors]" in out and "rdm-target-unknown" not in out


def test_oversize_file(example_repo: Path) -> None:
    big = example_repo / "rdms" / "2026" / "RDM-2026-0099.yaml"
    big.write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    problems = load_work_tree(example_repo).problems
    assert [(p.path, p.line, p.col, p.rule) for p in problems] == [
        ("rdms/2026/RDM-2026-0099.yaml", 1, 1, "yaml-size")
    ]


def test_missing_path_is_a_usage_error(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = run_rdm("validate", "--repo", str(example_repo), str(example_repo / "nope.yaml"))
    assert code == 2
    assert "no such file" in err


def test_unknown_option_is_a_usage_error(run_rdm: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_rdm("validate", "--formato", "json")
    assert code == 2
    assert "--formato" in err


def test_missing_policy_file(example_repo: Path) -> None:
    (example_repo / "policy" / "committee.yaml").unlink()
    problems = load_work_tree(example_repo).problems
    assert [(p.path, p.rule) for p in problems] == [("policy/committee.yaml", "layout-missing")]


def test_a_named_file_rdm_does_not_read_is_a_warning_not_silence(
    example_repo: Path,
    run_rdm: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (example_repo / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.chdir(example_repo)
    code, out, _ = run_rdm("validate", "notes.yaml")
    assert code == 0
    assert out.splitlines()[0] == (
        "notes.yaml:1:1: warning: not checked: rdm reads rdms/<year>/RDM-*.yaml, "
        "topologies/<org-id>.yaml and policy/*.yaml [layout]"
    )


def test_a_repo_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = run_rdm("validate", "--repo", str(tmp_path / "nope"))
    assert code == 2
    assert "does not exist" in err


def test_paths_may_be_given_relative_to_the_repo(
    example_repo: Path,
    tmp_path: Path,
    run_rdm: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run_rdm("validate", "--repo", str(example_repo), "rdms/2026/RDM-2026-0042.yaml")
    assert (code, out.strip()) == (0, "1 file(s) checked: 0 error(s), 0 warning(s)")


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-12-03", "write e.g. 2026-12-03T00:00:00-03:00 or 2026-12-03T00:00:00Z"),
        ("9999-12-31T23:59:59Z", "outside the years 1970-2999"),
    ],
)
def test_window_at_edges_are_usage_errors(
    run_rdm: Callable[..., tuple[int, str, str]], at: str, message: str
) -> None:
    code, _, err = run_rdm("window", "--repo", str(ROOT), "--at", at)
    assert code == 2
    assert message in err


def test_json_lists_each_rdm_with_its_derived_priority(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    code, out, _ = run_rdm("validate", "--repo", str(example_repo), "--format", "json", "--at", AT)
    assert code == 0
    rdms = json.loads(out)["rdms"]
    assert [(r["id"], r["type"], r["window"], r["priority"]) for r in rdms] == [
        ("RDM-2026-0041", "normal", "2026-12-03", "P3"),  # medium x medium
        ("RDM-2026-0042", "normal", "2026-12-10", "P2"),  # medium x high
        ("RDM-2026-0043", "emergency", None, "P1"),  # high x high
        ("RDM-2026-0044", "standard", "2026-12-03", "P4"),  # low x medium
    ]
    assert rdms[0]["path"] == "rdms/2026/RDM-2026-0041.yaml"
    assert rdms[0]["targets"] == ["grupo-alvorada", "hospital-santa-luzia"]
    # Only the RDMs a run checks, and none that failed to parse.
    overlay(example_repo, CASES / "invalid" / "yaml-duplicate-key" / "files")
    code, out, _ = run_rdm(
        "validate", "--repo", str(example_repo), "--format", "json", "--at", AT,
        str(example_repo / "rdms"),
    )
    assert [r["id"] for r in json.loads(out)["rdms"]] == [
        "RDM-2026-0041", "RDM-2026-0043", "RDM-2026-0044"
    ]


def test_outside_a_repository_it_says_so_and_suggests_repo(
    tmp_path: Path, run_rdm: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_rdm("validate")
    assert (code, out) == (2, "")
    assert err == (
        "rdm: usage: . does not look like an rdm repository (it has no policy/ folder); run rdm "
        "in the repository's root or name it with --repo DIR\n"
    )


def test_since_and_at_are_checked_like_the_other_commands(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = run_rdm("validate", "--repo", str(example_repo), "--at", "2026-11-30")
    assert code == 2
    assert "write e.g. 2026-11-30T00:00:00-03:00 or 2026-11-30T00:00:00Z" in err
    git.Repo.init(example_repo)
    code, out, err = run_rdm("validate", "--repo", str(example_repo), "--since", "no-such-rev")
    assert (code, out) == (3, "")
    assert err.startswith("rdm: cannot read revision 'no-such-rev'")
