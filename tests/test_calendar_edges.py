"""Calendar edges (issue 8, items 5 and 10): frozen spans made of several freezes,
windows that start in a DST gap, and work that grows linearly with the policy.

Driven through `rdm window` / `rdm calendar` (CliRunner) on a policy in tmp,
except the operation count, which wraps the policy's moves and freezes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner

from rdm.cli import cli
from rdm.decisions import calendar as cal
from rdm.model.documents import parse

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "policy" / "calendar.yaml").read_text(encoding="utf-8")
FISCAL = "Fechamento fiscal e contábil de fim de ano dos clientes"


def _repo(tmp_path: Path, text: str) -> Path:
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "calendar.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _run(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--repo", str(repo)], standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    code = result.return_value if result.exit_code == 0 else result.exit_code
    return int(code or 0), result.stdout, result.stderr


def _with_freezes(*freezes: tuple[str, str, str]) -> str:
    head = BASE.split("\nfreezes:")[0]
    items = "".join(
        f'  - start: "{start}"\n    end: "{end}"\n    reason: {reason}\n'
        for start, end, reason in freezes
    )
    return f"{head}\nfreezes:\n{items}"


# ---------------------------------------------------------------- frozen spans


@pytest.mark.parametrize(
    ("freezes", "at", "until"),
    [
        (  # overlapping: the second one goes on after the first ends
            [
                ("2026-12-28T00:00:00-03:00", "2027-01-08T00:00:00-03:00", FISCAL),
                (
                    "2027-01-05T00:00:00-03:00",
                    "2027-01-20T00:00:00-03:00",
                    "Migração do datacenter",
                ),
            ],
            "2026-12-31T02:00:00-03:00",
            f"freeze until 2027-01-20 00:00 -03:00 ({FISCAL}; Migração do datacenter)",
        ),
        (  # adjacent: one ends when the other starts
            [
                ("2026-12-28T00:00:00-03:00", "2027-01-08T00:00:00-03:00", FISCAL),
                ("2027-01-08T00:00:00-03:00", "2027-01-15T00:00:00-03:00", "Inventário"),
            ],
            "2027-01-07T02:00:00-03:00",
            f"freeze until 2027-01-15 00:00 -03:00 ({FISCAL}; Inventário)",
        ),
        (  # a short one inside a long one, listed first: the long one's end counts
            [
                ("2026-12-30T00:00:00-03:00", "2026-12-31T12:00:00-03:00", "Virada do sistema"),
                ("2026-12-28T00:00:00-03:00", "2027-01-08T00:00:00-03:00", FISCAL),
            ],
            "2026-12-31T02:00:00-03:00",
            f"freeze until 2027-01-08 00:00 -03:00 ({FISCAL}; Virada do sistema)",
        ),
        (  # a chain of four, asked about in the last link
            [
                (f"2027-01-{d:02d}T00:00:00-03:00", f"2027-01-{d + 4:02d}T00:00:00-03:00", f"F{d}")
                for d in (1, 4, 7, 10)
            ],
            "2027-01-13T02:00:00-03:00",
            "freeze until 2027-01-14 00:00 -03:00 (F1; F4; F7; and 1 more)",
        ),
        (  # two apart: only the one the instant is in
            [
                ("2026-12-28T00:00:00-03:00", "2027-01-01T00:00:00-03:00", FISCAL),
                ("2027-01-01T00:00:01-03:00", "2027-01-20T00:00:00-03:00", "Outro"),
            ],
            "2026-12-31T02:00:00-03:00",
            f"freeze until 2027-01-01 00:00 -03:00 ({FISCAL})",
        ),
    ],
)
def test_a_freeze_reports_the_end_of_the_whole_frozen_span(
    tmp_path: Path, freezes: list[tuple[str, str, str]], at: str, until: str
) -> None:
    repo = _repo(tmp_path, _with_freezes(*freezes))
    code, out, err = _run(repo, "window", "--at", at)
    assert (code, err) == (1, "")
    reason = out.split(": closed: ", 1)[1]
    assert reason.startswith(until + "; next window opens ")


def test_the_next_window_after_a_span_is_after_its_end(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        _with_freezes(
            ("2026-12-28T00:00:00-03:00", "2027-01-08T00:00:00-03:00", FISCAL),
            ("2027-01-08T00:00:00-03:00", "2027-01-15T00:00:00-03:00", "Inventário"),
        ),
    )
    code, out, _ = _run(repo, "window", "--format", "json", "--at", "2026-12-31T02:00:00-03:00")
    assert code == 1
    assert json.loads(out)["next"] == {
        "start": "2027-01-21T00:00:00-03:00",
        "end": "2027-01-21T06:00:00-03:00",
    }


# ---------------------------------------------------------------- DST gaps

# São Paulo, 2018-11-04: the clocks jumped from 00:00 to 01:00 (DST began).
SUNDAY_WINDOW = (
    BASE.replace(
        'window:    {weekday: thursday, start: "00:00", end: "06:00", onHoliday: keep}',
        'window:    {weekday: sunday, start: "00:00", end: "02:00", onHoliday: keep}',
    ).split("\nmoves:")[0]
    + "\nmoves: []\nfreezes: []\n"
)
GAP = (
    "the window of 2018-11-04 starts at 2018-11-04 01:00 -02:00, not 00:00: 00:00 does not "
    "exist in America/Sao_Paulo that day (the clocks jump forward), so it opens when they do"
)


def test_calendar_shows_the_real_start_and_warns(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SUNDAY_WINDOW)
    code, out, err = _run(repo, "calendar", "--from", "2018-10-28", "--weeks", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "2018-11-04 Sun 01:00-02:00 -02:00  window" in lines
    assert "2018-10-28 Sun 00:00-02:00 -03:00  window" in lines
    assert lines[-1] == f"warning: {GAP}"
    code, out, _ = _run(
        repo, "calendar", "--from", "2018-10-28", "--weeks", "2", "--format", "json"
    )
    value = json.loads(out)
    assert value["warnings"] == [GAP]
    [entry] = [e for e in value["entries"] if e["scheduled"] == "2018-11-04"]
    assert (entry["start"], entry["end"]) == (
        "2018-11-04T01:00:00-02:00",
        "2018-11-04T02:00:00-02:00",
    )


def test_the_ics_event_keeps_its_real_start_and_duration(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SUNDAY_WINDOW)
    code, out, err = _run(
        repo, "calendar", "--from", "2018-10-28", "--weeks", "2", "--format", "ics"
    )
    assert code == 0
    assert err == f"warning: {GAP}\n"
    events = {e.get("uid"): e for e in icalendar.Calendar.from_ical(out).walk("VEVENT")}
    event = events["rdm-window-2018-11-04@rdm"]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.astimezone(UTC) == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)  # 01:00 -02:00
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1)
    ordinary = events["rdm-window-2018-10-28@rdm"]
    assert ordinary.decoded("dtend") - ordinary.decoded("dtstart") == timedelta(hours=2)


def test_window_warns_on_stderr_and_keeps_stdout_clean(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SUNDAY_WINDOW)
    code, out, err = _run(repo, "window", "--at", "2018-11-03T23:00:00-03:00")
    assert code == 1
    assert (
        out
        == "2018-11-03 23:00 -03:00: closed: next window opens 2018-11-04 01:00 -02:00 (in 1 h)\n"
    )
    assert err == f"warning: {GAP}\n"
    code, out, err = _run(repo, "window", "--format", "json", "--at", "2018-11-04T01:30:00-02:00")
    assert code == 0
    assert json.loads(out)["current"]["start"] == "2018-11-04T01:00:00-02:00"
    assert err == f"warning: {GAP}\n"
    code, _, err = _run(repo, "window", "--at", "2018-10-21T01:00:00-03:00")
    assert (code, err) == (0, "")  # an ordinary Sunday: nothing to warn about


def test_an_ambiguous_moved_time_is_written_in_utc_in_the_ics(tmp_path: Path) -> None:
    # New York, 2026-11-01: 01:00-02:00 happens twice. A window moved to the
    # second 01:30 (EST, -05:00) must not be read as the first one (EDT).
    policy = (
        BASE.replace("America/Sao_Paulo", "America/New_York")
        .replace("country: BR", "country: US")
        .replace("subdivision: SP", "subdivision: NY")
        .split("\nmoves:")[0]
        + "\nmoves:\n  - kind: window\n    date: 2026-11-05\n"
        '    to: {start: "2026-11-01T01:30:00-05:00", end: "2026-11-01T04:00:00-05:00"}\n'
        "    reason: teste\nfreezes: []\n"
    )
    repo = _repo(tmp_path, policy)
    code, out, _ = _run(repo, "calendar", "--from", "2026-10-26", "--weeks", "2", "--format", "ics")
    assert code == 0
    text = out.decode() if isinstance(out, bytes) else out
    assert "DTSTART:20261101T063000Z" in text
    [event] = [
        e
        for e in icalendar.Calendar.from_ical(text).walk("VEVENT")
        if e.get("uid") == "rdm-window-2026-11-05@rdm"
    ]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=2, minutes=30)


# ---------------------------------------------------------------- linear work


class Counted(tuple):  # type: ignore[type-arg]
    """A tuple that counts the items anyone iterates over."""

    seen = 0

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            Counted.seen += 1
            yield item


def _policy(count: int) -> cal.CalendarPolicy:
    lines = [BASE.split("\nmoves:")[0], "moves:"]
    first = date(2030, 1, 3)
    for n in range(count):
        thursday = first + timedelta(weeks=n)
        lines += [
            "  - kind: window",
            f"    date: {thursday}",
            f'    to: {{start: "{thursday - timedelta(days=1)}T22:00:00-03:00", '
            f'end: "{thursday}T04:00:00-03:00"}}',
            "    reason: x",
        ]
    lines.append("freezes:")
    for n in range(count):
        friday = first + timedelta(weeks=n, days=1)
        lines += [f'  - start: "{friday}T00:00:00-03:00"', f'    end: "{friday}T12:00:00-03:00"']
        lines.append("    reason: y")
    document = parse("policy/calendar.yaml", "\n".join(lines).encode()).document
    assert document is not None
    assert cal.check_policy(document) == []
    policy = cal.CalendarPolicy.from_mapping(document.data)
    return dataclasses.replace(policy, moves=Counted(policy.moves), freezes=Counted(policy.freezes))


def _work(count: int) -> int:
    """How many moves and freezes the commands' questions look at, for `count` of each."""
    policy = _policy(count)
    Counted.seen = 0
    at = datetime(2031, 6, 5, 4, 0, tzinfo=UTC)
    cal.window_at(policy, at).reason  # noqa: B018  # the sentence is part of the work
    cal.window_at(policy, datetime(2030, 1, 4, 15, 0, tzinfo=UTC)).reason  # noqa: B018
    cal.schedule(policy, date(2030, 1, 1), 520)
    for weeks in range(0, 50, 7):
        cal.window_for_date(policy, date(2030, 1, 3) + timedelta(weeks=weeks))
    return Counted.seen


def test_the_work_grows_linearly_with_moves_and_freezes() -> None:
    small, large = _work(250), _work(1000)
    # Indexes are built once (each move and freeze seen a few times); a scan per
    # occurrence would make four times the items sixteen times the work.
    assert small <= 10 * 250
    assert large <= 4.5 * small
