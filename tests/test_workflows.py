"""The GitHub Actions workflows: GitHub's schema, zizmor, and the rules of trust.

The verdict `rdm/committee` is only as trustworthy as the workflow that
publishes it, so the shape that README's "Security notes" promises is checked
here on the files themselves: the schema (vendored in check-jsonschema) and
zizmor run offline, and the structural rules are asserted one by one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent
# Events whose runs use the workflow file and the code of the PR itself.
PR_EVENTS = {"pull_request", "pull_request_review", "pull_request_review_comment", "issue_comment"}
# Events whose runs hold the base repository's rights while a PR can trigger them.
PRIVILEGED_EVENTS = {"pull_request_target", "workflow_run"}
SHA_PIN = re.compile(r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> set[str]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return set(on)
    assert isinstance(on, dict)
    return set(on)


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, step)
        for name, job in workflow["jobs"].items()
        for step in job.get("steps", [])
    ]


def by_name(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / name)


ids = [p.name for p in WORKFLOWS]


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"validate.yml", "committee.yml", "committee-relay.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_workflow_matches_githubs_schema(workflow: Path) -> None:
    proc = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    """zizmor offline, without any configuration file that could silence an audit."""
    proc = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--no-config",
            "--min-severity",
            "medium",
            "--format",
            "json",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert proc.returncode == 0, proc.stderr


def test_zizmor_ignores_only_dangerous_triggers_on_a_trigger_line_with_a_reason() -> None:
    comment = re.compile(r"#\s*zizmor:\s*ignore\[([^\]]*)\](.*)$")
    for path in WORKFLOWS:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            match = comment.search(line)
            if not match:
                continue
            where = f"{path.name}:{number}"
            assert match.group(1) == "dangerous-triggers", where
            key = line.split("#", 1)[0].strip().rstrip(":")
            assert key in PRIVILEGED_EVENTS, f"{where}: the ignore is not on a trigger line"
            assert "safe:" in match.group(2), f"{where}: the ignore does not say why it is safe"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_permissions_are_empty_at_the_top_and_set_per_job(workflow: Path) -> None:
    data = load(workflow)
    assert data.get("permissions") == {}, "top-level permissions must be {}"
    for name, job in data["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"job {name} has no permissions block"
        assert all(v in ("read", "write", "none") for v in job["permissions"].values())


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_every_workflow_has_a_concurrency_group(workflow: Path) -> None:
    concurrency = load(workflow).get("concurrency")
    assert isinstance(concurrency, dict) and concurrency.get("group")


PR_WORKFLOWS = [p for p in WORKFLOWS if triggers(load(p)) & PR_EVENTS]


def test_the_pull_request_workflows_are_the_relay_and_validate() -> None:
    assert {p.name for p in PR_WORKFLOWS} == {"committee-relay.yml", "validate.yml"}


@pytest.mark.parametrize("workflow", PR_WORKFLOWS, ids=[p.name for p in PR_WORKFLOWS])
def test_pull_request_workflows_get_no_write_permission_and_no_secret(workflow: Path) -> None:
    data = load(workflow)
    text = workflow.read_text(encoding="utf-8")
    assert "secrets." not in text and "secrets[" not in text
    assert "github.token" not in text
    for name, job in data["jobs"].items():
        writes = [scope for scope, level in job["permissions"].items() if level == "write"]
        assert writes == [], f"job {name} of a PR-triggered workflow may write {writes}"
        assert "environment" not in job, f"job {name} would reach an environment's secrets"
    assert not triggers(data) & PRIVILEGED_EVENTS, "PR events and privileged events mixed"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_every_action_is_pinned_to_a_full_sha_with_its_version(workflow: Path) -> None:
    for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(r"^\s*-?\s*uses:", line):
            assert SHA_PIN.match(line), f"{workflow.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_every_checkout_leaves_no_credentials(workflow: Path) -> None:
    for job, step in steps(load(workflow)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, job


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids)
def test_no_expression_inside_a_run_script(workflow: Path) -> None:
    """Values reach scripts through `env:`, never pasted into the shell text."""
    for job, step in steps(load(workflow)):
        assert "${{" not in step.get("run", ""), f"{job}: {step.get('name', step['run'][:40])}"


def test_the_relay_runs_nothing_of_ours() -> None:
    relay = by_name("committee-relay.yml")
    assert triggers(relay) == {"pull_request", "pull_request_review"}
    for name, job in relay["jobs"].items():
        assert job["permissions"] == {}, name
        for step in job["steps"]:
            assert "uses" not in step
            assert "rdm" not in step["run"].replace("rdm/committee", "")
            assert "pip" not in step["run"] and "make" not in step["run"]


def test_the_verdict_is_computed_by_the_default_branchs_code() -> None:
    committee = by_name("committee.yml")
    on = committee.get("on", committee.get(True))
    assert set(on) == {"workflow_run"}
    assert on["workflow_run"] == {"workflows": ["committee-relay"], "types": ["completed"]}
    (job,) = committee["jobs"].values()
    assert job["environment"] == "rdm-committee"
    assert job["permissions"] == {"contents": "read"}
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    assert "actions/cache" not in uses  # no cache restored: cache poisoning
    checkout = job["steps"][uses.index("actions/checkout")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert checkout["with"]["fetch-depth"] == 0  # the merge base and the history
    python = job["steps"][uses.index("actions/setup-python")]
    assert "cache" not in python.get("with", {})
    runs = [step.get("run", "") for step in job["steps"]]
    install = next(r for r in runs if "pip install" in r)
    assert install.split() == ["python", "-m", "pip", "install", "--no-cache-dir", "."]
    # The PR's head is fetched as data, never checked out.
    fetch = next(r for r in runs if "git" in r and "fetch" in r)
    assert '"$HEAD_SHA"' in fetch and "checkout" not in fetch
    assert sum(u == "actions/checkout" for u in uses) == 1
    verdict = next(r for r in runs if "rdm approvals" in r)
    assert 'rdm approvals --from-workflow-run "$GITHUB_EVENT_PATH" --publish' in verdict
    token = job["steps"][uses.index("actions/create-github-app-token")]
    # statuses for the verdict, issues for rdm's comment; nothing that could
    # change a PR (pull-requests: write retargets a base) or the code.
    permissions = {k: v for k, v in token["with"].items() if k.startswith("permission-")}
    assert permissions == {
        "permission-pull-requests": "read",
        "permission-issues": "write",
        "permission-statuses": "write",
    }
    step = next(s for s in job["steps"] if "rdm approvals" in s.get("run", ""))
    assert step["env"] == {
        "GITHUB_TOKEN": "${{ steps.app-token.outputs.token }}",
        # rdm's comments are the App's: its bot account, from the token's own step
        "RDM_BOT_LOGIN": "${{ steps.app-token.outputs.app-slug }}[bot]",
    }


def test_the_verdict_runs_one_at_a_time_per_pr_branch_and_is_never_cancelled() -> None:
    """A head commit is shared by any branch or fork pointing at it: were the runs
    grouped by commit (and cancelled), a fork's PR at the same commit, retitled in
    a loop, would cancel every run of the real PR, and a veto given after an
    earlier `success` would never reach the status."""
    concurrency = by_name("committee.yml")["concurrency"]
    group = concurrency["group"]
    assert "head_sha" not in group
    assert "${{ github.event.workflow_run.head_repository.full_name }}" in group
    assert "${{ github.event.workflow_run.head_branch }}" in group
    assert concurrency["cancel-in-progress"] is False


def test_validate_runs_the_suite_and_the_data_checks_read_only() -> None:
    validate = by_name("validate.yml")
    runs = " ".join(step.get("run", "") for _, step in steps(validate))
    for command in ("make test", "rdm validate", "--manifests", "rdm codeowners --check"):
        assert command in runs
    assert all(job["permissions"] == {"contents": "read"} for job in validate["jobs"].values())


# ---------------------------------------------------------------- rollout.yml


def test_the_rollout_runs_on_schedule_push_and_dispatch_from_the_default_branch_only() -> None:
    rollout = by_name("rollout.yml")
    on = rollout.get("on", rollout.get(True))
    assert set(on) == {"schedule", "push", "workflow_dispatch"}
    assert on["push"] == {"branches": ["main"]}
    (job,) = rollout["jobs"].values()
    assert job["environment"] == "rdm-rollout"
    assert job["if"] == "github.ref_name == github.event.repository.default_branch"
    assert all(level == "read" for level in job["permissions"].values())
    assert rollout["concurrency"] == {"group": "rollout", "cancel-in-progress": False}
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    checkout = job["steps"][uses.index("actions/checkout")]
    assert checkout["with"] == {
        "ref": "${{ github.event.repository.default_branch }}",
        "fetch-depth": 0,
        "persist-credentials": False,
    }
    assert (
        "actions/cache" not in uses
        and "cache" not in job["steps"][uses.index("actions/setup-python")]["with"]
    )


def test_the_schedule_covers_the_thursday_window_in_utc() -> None:
    """Every 15 minutes through Thursday 00:00-06:00 America/Sao_Paulo, written in UTC:
    the first run at the window's start, the last one 15 minutes before its end."""
    from datetime import UTC, date, datetime, timedelta

    from rdm.decisions import calendar
    from rdm.edges.repository import load_work_tree

    rollout = by_name("rollout.yml")
    (entry,) = rollout.get("on", rollout.get(True))["schedule"]
    minute, hour, dom, month, dow = entry["cron"].split()
    assert (minute, dom, month, dow) == ("*/15", "*", "*", "4")
    first_hour, last_hour = map(int, hour.split("-"))
    policy = load_work_tree(ROOT, only=["policy/calendar.yaml"]).calendar
    assert policy is not None
    occurrence = calendar.window_for_date(policy, date(2027, 3, 4))
    assert occurrence is not None
    start = occurrence.start.astimezone(UTC)
    runs = [
        datetime(2027, 3, 4, h, m, tzinfo=UTC)
        for h in range(first_hour, last_hour + 1)
        for m in range(0, 60, 15)
    ]
    assert runs[0] == start
    assert runs[-1] == occurrence.end.astimezone(UTC) - timedelta(minutes=15)
    assert all(calendar.window_at(policy, run).open for run in runs)
    text = (ROOT / ".github" / "workflows" / "rollout.yml").read_text(encoding="utf-8")
    assert "Thursday 03:00-09:00 UTC" in text  # the conversion, said where the cron is


def test_the_write_token_exists_only_in_the_step_that_pushes_the_records() -> None:
    (job,) = by_name("rollout.yml")["jobs"].values()
    token = next(s for s in job["steps"] if s.get("id") == "records-token")
    assert token["uses"].startswith("actions/create-github-app-token@")
    assert token["with"]["permission-contents"] == "write"
    assert set(token["with"]) == {"client-id", "private-key", "permission-contents"}
    readers = [s for s in job["steps"] if "steps.records-token.outputs.token" in json.dumps(s)]
    assert len(readers) == 1
    (push,) = readers
    assert push["env"] == {"PUSH_TOKEN": "${{ steps.records-token.outputs.token }}"}
    assert "rdm notes push" in push["run"] and "git config" not in push["run"]


def test_each_secret_reaches_only_the_step_that_needs_it() -> None:
    (job,) = by_name("rollout.yml")["jobs"].values()
    where: dict[str, list[str]] = {}
    for step in job["steps"]:
        for secret in re.findall(r"secrets\.(\w+)", json.dumps(step)):
            where.setdefault(secret, []).append(step.get("name", step.get("uses", "")))
    assert where == {
        "RDM_KUBECONFIG": ["Write the kubeconfig (readable by this user only)"],
        "RDM_SLACK_WEBHOOK": ["rdm rollout"],
        "RDM_RECORDS_APP_PRIVATE_KEY": [
            "Token of the records' GitHub App (contents write, for refs/notes/rdm)"
        ],
    }
    rollout_step = next(s for s in job["steps"] if s.get("name") == "rdm rollout")
    assert rollout_step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
