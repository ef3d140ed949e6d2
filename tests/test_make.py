"""`make example` (the first half of `make run`) on the example repository: every
step ends clean, and the window's answer is told in words rather than as a failure
make ignored."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_example_explains_the_window_and_exits_clean() -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", "example"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Error" not in output and "ignored" not in output
    explained = [line for line in proc.stdout.splitlines() if line.startswith("(exit ")]
    assert explained in (
        ["(exit 0: the window is open, a normal change may run now)"],
        ["(exit 1: the window is closed, no normal change may run now; only emergencies may)"],
    )
