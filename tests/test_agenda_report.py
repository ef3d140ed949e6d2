"""`rdm agenda` and `rdm report` through the real entry point, on a git history with notes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import people_repo
from rdm.reports import html, review

Run = Callable[..., tuple[int, str, str]]
HOSTILE = '<script>alert(1)</script> | [x](javascript:alert(1)) "q" & *b*'


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("people") / "repo"
    people_repo.build(root, title_0041=json.dumps(HOSTILE))
    return root


def test_agenda_json(run_rdm: Run, history: Path) -> None:
    code, out, err = run_rdm(
        "agenda", "--repo", str(history), "--meeting", "2026-12-08", "--format", "json",
        "--at", "2026-12-08T13:00:00-03:00",
    )  # fmt: skip
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert body["meeting"]["deadline"] == "2026-12-08T10:00:00-03:00"
    assert body["previousMeeting"] == "2026-12-01T14:00:00-03:00"
    assert [i["id"] for i in body["inTime"]] == []
    assert [(i["id"], i["canMake"]) for i in body["late"]] == [
        ("RDM-2026-0042", "2026-12-17T00:00:00-03:00")
    ]
    assert [i["id"] for i in body["ratification"]] == ["RDM-2026-0043"]
    assert [i["id"] for i in body["review"]] == ["RDM-2026-0041"]


def test_agenda_in_time_for_the_meeting_of_its_window(run_rdm: Run, history: Path) -> None:
    # The meeting of 12-01 approves the window of 12-03; RDM-0041 was submitted 11-24.
    # (It is merged by now, so it is not up for decision: the agenda of a past meeting
    # is rebuilt from today's states.) The default meeting is the next one.
    code, out, _ = run_rdm(
        "agenda", "--repo", str(history), "--format", "json", "--at", "2026-12-09T12:00:00-03:00"
    )
    assert code == 0
    assert json.loads(out)["meeting"]["start"] == "2026-12-15T14:00:00-03:00"


def test_agenda_markdown_escapes_and_reads_portuguese(run_rdm: Run, history: Path) -> None:
    code, out, _ = run_rdm(
        "agenda", "--repo", str(history), "--meeting", "2026-12-08",
        "--at", "2026-12-08T13:00:00-03:00",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Pauta do comitê de mudanças — 2026-12-08"
    assert "## Emergências desde a última reunião, para ratificação" in lines
    row = next(line for line in lines if line.startswith("| RDM-2026-0041"))
    assert row.count(" | ") == 6  # the title's '|' did not open a cell
    assert "\\<script\\>" in row and "\\[x\\]" in row


def test_agenda_html_escapes(run_rdm: Run, history: Path) -> None:
    _, out, _ = run_rdm(
        "agenda", "--repo", str(history), "--meeting", "2026-12-08", "--format", "html",
        "--at", "2026-12-08T13:00:00-03:00",
    )  # fmt: skip
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'lang="pt-BR"' in out and "http" not in out.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meeting", "2026-12-09"], "rdm: usage: nenhuma reunião do comitê em 2026-12-09"),
        (["--meeting", "2026-12-29"], "rdm: usage: nenhuma reunião do comitê em 2026-12-29"),
    ],
)
def test_agenda_without_a_meeting(
    run_rdm: Run, history: Path, args: list[str], message: str
) -> None:
    code, _, err = run_rdm("agenda", "--repo", str(history), *args)
    assert code == 2
    assert err.startswith(message)


def test_report_window_json(run_rdm: Run, history: Path) -> None:
    code, out, err = run_rdm(
        "report", "--repo", str(history), "--window", "2026-12-03", "--format", "json",
        "--at", "2026-12-09T12:00:00-03:00",
    )  # fmt: skip
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert [r["id"] for r in body["rdms"]] == ["RDM-2026-0041"]
    row = body["rdms"][0]
    assert (row["durationSeconds"], row["estimatedSeconds"]) == (75 * 60, 90 * 60)
    # submitted 2026-11-24 09:00 (the branch commit), started 2026-12-03 00:05
    assert row["leadTimeSeconds"] == (8 * 24 * 60 + 15 * 60 + 5) * 60
    assert body["metrics"]["successRate"] == 1.0


def test_report_period(run_rdm: Run, history: Path) -> None:
    code, out, _ = run_rdm(
        "report", "--repo", str(history), "--from", "2026-11-30", "--to", "2026-12-06",
        "--format", "json", "--at", "2026-12-09T12:00:00-03:00",
    )  # fmt: skip
    assert code == 0
    metrics = json.loads(out)["metrics"]
    assert (metrics["executed"], metrics["rolledBack"]) == (1, 1)
    assert (metrics["successRate"], metrics["rollbackRate"], metrics["emergencyShare"]) == (
        0.5,
        0.5,
        0.5,
    )
    assert metrics["perClient"] == {
        "cooperativa-vale-verde": 1,
        "grupo-alvorada": 1,
        "hospital-santa-luzia": 1,
    }
    _, md, _ = run_rdm(
        "report", "--repo", str(history), "--from", "2026-11-30", "--to", "2026-12-06",
        "--at", "2026-12-09T12:00:00-03:00",
    )  # fmt: skip
    assert "- Taxa de sucesso: **50,0 %**" in md.splitlines()
    assert any("12m / 10m (acima)" in line for line in md.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "rdm: usage: informe --window DATA, ou --from DATA e --to DATA"),
        (["--window", "2026-12-03", "--from", "2026-12-01"], "rdm: usage: informe --window ou"),
        (["--window", "2026-12-04"], "rdm: usage: 2026-12-04 não é uma janela de mudança"),
        (["--from", "2026-12-04", "--to", "2026-12-01"], "rdm: usage: --to vem antes de --from"),
    ],
)
def test_report_usage(run_rdm: Run, history: Path, args: list[str], message: str) -> None:
    code, _, err = run_rdm("report", "--repo", str(history), *args)
    assert code == 2
    assert err.startswith(message)


def test_gantt_geometry_follows_the_clock() -> None:
    record = people_repo.record_0043("a" * 40)
    start = people_repo.t("2026-12-02T09:00:00-03:00")
    rows = review.rows([record], {}, {}, start, start.replace(hour=15))
    gantt = review.gantt(start, start.replace(hour=15), rows)
    bars = {(b.kind, b.topology): b for b in gantt.rows[0].bars}
    per_minute = review.GANTT_PLOT / 360
    assert bars[("actual", None)].x == review.GANTT_LEFT
    assert bars[("actual", None)].width == pytest.approx(18 * per_minute)
    assert bars[("planned", None)].width == pytest.approx(20 * per_minute)
    assert bars[("budget", None)].x == pytest.approx(review.GANTT_LEFT + 20 * per_minute)
    rollback = bars[("rollback", "cooperativa-vale-verde")]
    assert (rollback.x, rollback.width) == pytest.approx(
        (review.GANTT_LEFT + 6 * per_minute, 12 * per_minute)
    )
    # a span past the window is cut at its edge and flagged
    late = review.gantt(start, start.replace(minute=10), rows)
    actual = next(b for b in late.rows[0].bars if b.kind == "actual")
    assert (actual.width, actual.clipped_end) == (review.GANTT_PLOT, True)


def test_markdown_cells_cannot_carry_markup() -> None:
    assert html.md("a|b [l](javascript:x) <i>\nz") == "a\\|b \\[l\\](javascript:x) \\<i\\> z"


def _changed_after_its_run(root: Path) -> dict[str, str]:
    """The people history, then PR #15 (merged 12-08 11:00, before the meeting) moves
    RDM-0041, which ran on 12-03, to the window of 12-17: a new version, not run."""
    return people_repo.build_with_0041_moved(
        root, "2026-12-08T10:30:00-03:00", "2026-12-08T11:00:00-03:00"
    )


def test_a_run_is_reviewed_though_a_later_merge_changed_the_rdm(
    run_rdm: Run, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    merges = _changed_after_its_run(root)
    at = ("--meeting", "2026-12-08", "--at", "2026-12-08T13:00:00-03:00")
    code, out, err = run_rdm("agenda", "--repo", str(root), *at, "--format", "json")
    assert (code, err) == (0, "")
    review_items = json.loads(out)["review"]
    assert [(i["id"], i["state"], i["record"]) for i in review_items] == [
        ("RDM-2026-0041", "scheduled", None)
    ]
    assert review_items[0]["earlierRecord"]["mergeCommit"] == merges["RDM-2026-0041"]
    _, md, _ = run_rdm("agenda", "--repo", str(root), *at)
    row = next(line for line in md.splitlines() if line.startswith("| RDM-2026-0041"))
    assert "versão anterior executada em 2026-12-03 00:05 -03:00" in row


def test_the_report_counts_the_run_of_an_earlier_version(run_rdm: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _changed_after_its_run(root)
    code, out, _ = run_rdm(
        "report", "--repo", str(root), "--window", "2026-12-03", "--format", "json",
        "--at", "2026-12-09T12:00:00-03:00",
    )  # fmt: skip
    assert code == 0
    assert [(r["id"], r["outcome"]) for r in json.loads(out)["rdms"]] == [
        ("RDM-2026-0041", "executed")
    ]


def test_a_hold_is_no_row_of_the_report_and_a_later_run_is() -> None:
    from dataclasses import replace
    from datetime import timedelta

    from rdm.model.records import Outcome

    ran = people_repo.record_0043("a" * 40)
    held = replace(
        ran,
        outcome=Outcome.HELD,
        topologies=(),
        started_at=ran.started_at - timedelta(minutes=15),
        finished_at=ran.started_at - timedelta(minutes=15),
    )
    start = people_repo.t("2026-12-02T00:00:00-03:00")
    end = start + timedelta(days=1)
    assert review.rows([held], {}, {}, start, end) == []
    [row] = review.rows([held, ran], {}, {}, start, end)
    assert row.outcome is ran.outcome
