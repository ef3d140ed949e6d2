"""The GitHub Actions workflows against GitHub's workflow schema (vendored, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"validate.yml", "committee.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(workflow: Path) -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_committee_workflow_publishes_with_the_rights_it_needs() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "committee.yml").read_text())
    assert workflow["permissions"]["statuses"] == "write"
    steps = workflow["jobs"]["approvals"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0  # base and head commits are read from git
    assert any(
        "rdm approvals" in step.get("run", "") and "--publish" in step["run"] for step in steps
    )
