"""Durations across a DST change are real time, not wall-clock differences.

A window from 01:00 to 03:00 lasts 1 h on the night clocks jump forward and 3 h
on the night they go back; the time left, the time until the next window and the
rollback-fit rule must all say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rdm.edges.repository import load_work_tree

NEW_YORK = """\
timezone: America/New_York
window:    {weekday: sunday, start: "01:00", end: "03:00", onHoliday: keep}
committee: {weekday: tuesday, start: "14:00", end: "16:00", deadline: "10:00"}
holidays:  {country: US, subdivision: NY, extra: []}
moves:     []
freezes:   []
"""
RDM = "rdms/2026/RDM-2026-0042.yaml"


@pytest.fixture
def new_york(example_repo: Path) -> Path:
    (example_repo / "policy" / "calendar.yaml").write_text(NEW_YORK, encoding="utf-8")
    return example_repo


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-01T01:00:00-04:00", "(3 h left)"),  # clocks go back: 3 real hours
        ("2026-03-08T01:00:00-05:00", "(1 h left)"),  # clocks jump forward: 1 real hour
        ("2026-03-08T01:59:59-05:00", "(1 s left)"),
    ],
)
def test_time_left_is_real_time(
    new_york: Path, run_rdm: Callable[..., tuple[int, str, str]], at: str, expected: str
) -> None:
    code, out, _ = run_rdm("window", "--repo", str(new_york), "--at", at)
    assert code == 0
    assert out.rstrip().endswith(expected)


def test_time_until_the_next_window_is_real_time(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    # São Paulo 2018: clocks jumped from 00:00 to 01:00 on Sunday 2018-11-04.
    policy = (
        NEW_YORK.replace("America/New_York", "America/Sao_Paulo")
        .replace('"01:00", end: "03:00"', '"00:00", end: "06:00"')
        .replace("US, subdivision: NY", "BR, subdivision: SP")
    )
    (example_repo / "policy" / "calendar.yaml").write_text(policy, encoding="utf-8")
    code, out, _ = run_rdm(
        "window", "--repo", str(example_repo), "--at", "2018-11-03T23:59:59-03:00"
    )
    assert code == 1
    assert out.rstrip().endswith("next window opens 2018-11-04 01:00 -02:00 (in 1 s)")


def _rdm_on(repo: Path, window: str, implementation: str, rollback: str) -> None:
    path = repo / RDM
    text = path.read_text(encoding="utf-8")
    text = text.replace("window: 2026-12-10", f"window: {window}")
    text = text.replace("estimatedDuration: 30m", f"estimatedDuration: {implementation}", 1)
    text = text.replace("  estimatedDuration: 20m", f"  estimatedDuration: {rollback}")
    path.write_text(text, encoding="utf-8")


def test_a_spring_forward_window_is_one_hour(new_york: Path) -> None:
    _rdm_on(new_york, "2026-03-08", "1h", "20m")
    problems = load_work_tree(new_york, only=[RDM]).problems
    assert [(p.rule, p.message) for p in problems] == [
        (
            "rdm-duration-exceeds-window",
            "implementation 1h + rollback 20m = 1h20m does not fit the 1h window of 2026-03-08",
        )
    ]


def test_a_fall_back_window_is_three_hours(new_york: Path) -> None:
    _rdm_on(new_york, "2026-11-01", "2h40m", "20m")
    assert load_work_tree(new_york, only=[RDM]).problems == []


def test_an_ordinary_sunday_is_two_hours(new_york: Path) -> None:
    _rdm_on(new_york, "2026-11-08", "2h", "1m")
    assert [p.rule for p in load_work_tree(new_york, only=[RDM]).problems] == [
        "rdm-duration-exceeds-window"
    ]
