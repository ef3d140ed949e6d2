"""`rdm window` and `rdm calendar` driven through click against a repository in tmp."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from rdm.cli import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "policy").mkdir()
    shutil.copy(ROOT / "policy" / "calendar.yaml", tmp_path / "policy" / "calendar.yaml")
    return tmp_path


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--repo", str(repo)], standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    code = result.return_value if result.exit_code == 0 else result.exit_code
    return int(code or 0), result.stdout, result.stderr


def window_json(repo: Path, *args: str) -> tuple[int, dict[str, object]]:
    code, out, _ = run(repo, "window", "--format", "json", *args)
    return code, json.loads(out)


def test_window_open_json_has_exactly_the_promised_keys(repo: Path) -> None:
    code, value = window_json(repo, "--at", "2026-12-03T01:00:00-03:00")
    assert code == 0
    assert value == {
        "at": "2026-12-03T01:00:00-03:00",
        "open": True,
        "reason": "open: window until 2026-12-03 06:00 -03:00 (5 h left)",
        "current": {"start": "2026-12-03T00:00:00-03:00", "end": "2026-12-03T06:00:00-03:00"},
        "next": {"start": "2026-12-10T00:00:00-03:00", "end": "2026-12-10T06:00:00-03:00"},
    }


@pytest.mark.parametrize(
    ("instant", "code"),
    [
        ("2026-12-03T00:00:00-03:00", 0),
        ("2026-12-03T05:59:59-03:00", 0),
        ("2026-12-03T06:00:00-03:00", 1),
        ("2026-12-02T23:59:59-03:00", 1),
    ],
)
def test_window_boundaries_and_exit_codes(repo: Path, instant: str, code: int) -> None:
    assert run(repo, "window", "--at", instant)[0] == code


def test_at_in_utc_and_other_offsets_gives_the_same_answer(repo: Path) -> None:
    answers = [
        window_json(repo, "--at", at)
        for at in (
            "2026-12-03T05:30:00-03:00",
            "2026-12-03T08:30:00Z",
            "2026-12-03T08:30:00+00:00",
            "2026-12-03T17:30:00+09:00",
            "2026-12-03T00:30:00-08:00",
        )
    ]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][1]["at"] == "2026-12-03T05:30:00-03:00"


def test_closed_text_and_exit_one(repo: Path) -> None:
    code, out, _ = run(repo, "window", "--at", "2026-11-30T20:00:00-03:00")
    assert code == 1
    assert out == (
        "2026-11-30 20:00 -03:00: closed: next window opens 2026-12-03 00:00 -03:00 "
        "(in 2 days 4 h)\n"
    )


def test_emergency_is_open_inside_a_freeze(repo: Path) -> None:
    code, value = window_json(repo, "--at", "2026-12-31T02:00:00-03:00", "--emergency")
    assert code == 0
    assert value["open"] is True
    assert str(value["reason"]).startswith("open: emergency changes may run at any time")
    assert value["current"] is None


def test_moved_window_is_open_at_its_new_time(repo: Path) -> None:
    code, value = window_json(repo, "--at", "2026-12-22T23:00:00-03:00")
    assert code == 0
    assert value["current"] == {
        "start": "2026-12-22T22:00:00-03:00",
        "end": "2026-12-23T04:00:00-03:00",
    }
    code, out, _ = run(repo, "window", "--at", "2026-12-24T01:00:00-03:00")
    assert code == 1
    assert "closed: the window of 2026-12-24 was moved to 2026-12-22 22:00 -03:00" in out


@pytest.mark.parametrize("bad", ["2026-12-03T01:00:00", "2026-12-03", "tomorrow"])
def test_at_without_offset_is_a_usage_error(repo: Path, bad: str) -> None:
    result = CliRunner().invoke(cli, ["window", "--repo", str(repo), "--at", bad])
    assert result.exit_code == 2
    assert "--at" in result.output


def test_window_defaults_to_now(repo: Path) -> None:
    code, value = window_json(repo)
    assert code in (0, 1)
    assert datetime.fromisoformat(str(value["at"])).utcoffset() is not None


def test_a_broken_policy_prints_problems_and_exits_one(repo: Path) -> None:
    path = repo / "policy" / "calendar.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "timezone: America/Sao_Paulo", "timezone: America/Sao_Paolo"
        ),
        encoding="utf-8",
    )
    code, out, err = run(repo, "window", "--at", "2026-12-03T01:00:00-03:00")
    assert code == 1
    assert out == ""
    assert err.endswith(
        "policy/calendar.yaml:6:1: error: 'America/Sao_Paolo' is not a time zone of the tz "
        "database (e.g. America/Sao_Paulo) [calendar-timezone]\n"
    )


def test_a_missing_policy_is_a_finding(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "calendar", "--from", "2026-12-01")
    assert code == 1
    assert err.endswith(
        "policy/calendar.yaml:1:1: error: policy/calendar.yaml is missing [layout-missing]\n"
    )


def test_calendar_text_marks_moves_cancellations_and_freezes(repo: Path) -> None:
    code, out, _ = run(repo, "calendar", "--from", "2026-12-21", "--weeks", "3")
    assert code == 0
    assert "window  moved from 2026-12-24: Véspera de Natal" in out
    assert "committee  cancelled: Congelamento de fechamento fiscal" in out
    assert "2026-12-31 Thu 00:00-06:00 -03:00  window  frozen: Fechamento fiscal" in out
    # Christmas is a Friday: nothing is scheduled on it, and it is listed as a holiday.
    assert not any(line.startswith("2026-12-25") for line in out.splitlines())
    assert "holiday 2026-12-25 Fri: Natal" in out.splitlines()
    assert out.count("freeze 2026-12-28 00:00 -03:00 to 2027-01-08 00:00 -03:00") == 1
    assert "warning" not in out


def test_calendar_json_lists_holidays_and_deadlines(repo: Path) -> None:
    code, out, _ = run(repo, "calendar", "--from", "2026-06-01", "--weeks", "1", "--format", "json")
    assert code == 0
    value = json.loads(out)
    assert value["timezone"] == "America/Sao_Paulo"
    window = next(e for e in value["entries"] if e["kind"] == "window")
    meeting = next(e for e in value["entries"] if e["kind"] == "committee")
    assert window["holiday"] == "feriado extra (policy/calendar.yaml)"  # Corpus Christi
    assert window["status"] == "scheduled"  # onHoliday: keep
    assert meeting["deadline"] == "2026-06-02T10:00:00-03:00"
    assert value["holidays"] == [
        {"date": "2026-06-04", "name": "feriado extra (policy/calendar.yaml)"}
    ]


def test_calendar_warns_about_a_meeting_on_a_holiday_without_replacement(repo: Path) -> None:
    path = repo / "policy" / "calendar.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - kind: committee\n    date: 2026-04-21")
    end = text.index("  # Semana do Natal")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    code, out, _ = run(repo, "calendar", "--from", "2026-04-20", "--weeks", "1")
    assert code == 0
    assert out.splitlines()[-1] == (
        "warning: the committee meeting of 2026-04-21 falls on a holiday (Tiradentes) "
        "and no replacement is recorded in moves"
    )
    code, _, err = run(repo, "calendar", "--from", "2026-04-20", "--weeks", "1", "--format=ics")
    assert code == 0 and "Tiradentes" in err


def test_calendar_ics_parses_back_with_one_event_per_window_and_meeting(repo: Path) -> None:
    code, out, _ = run(repo, "calendar", "--from", "2026-12-01", "--weeks", "6", "--format", "ics")
    assert code == 0
    parsed = icalendar.Calendar.from_ical(out.encode())
    events = parsed.walk("VEVENT")
    # 6 weeks: 6 windows (the 24th moved to the 22nd) less the two inside the
    # year-end freeze, and 6 meetings minus the cancelled 2026-12-29 one.
    windows = [e for e in events if "Change window" in str(e["SUMMARY"])]
    meetings = [e for e in events if "committee" in str(e["SUMMARY"])]
    assert (len(events), len(windows), len(meetings)) == (9, 4, 5)
    assert {str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")} == {"America/Sao_Paulo"}
    first = windows[0]
    assert first["DTSTART"].params["TZID"] == "America/Sao_Paulo"
    assert first["DTSTART"].dt.isoformat() == "2026-12-03T00:00:00-03:00"
    moved = next(e for e in windows if "moved" in str(e["SUMMARY"]))
    assert moved["DTSTART"].dt.isoformat() == "2026-12-22T22:00:00-03:00"
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_calendar_rejects_a_bad_from_date(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["calendar", "--repo", str(repo), "--from", "2026-13-01"])
    assert result.exit_code == 2


def test_both_commands_have_help() -> None:
    for name in ("window", "calendar"):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "--repo" in result.output and "--format" in result.output


def test_an_emergency_is_open_even_when_the_policy_is_broken(repo: Path) -> None:
    path = repo / "policy" / "calendar.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("America/Sao_Paulo", "America/Sao_Paolo"), encoding="utf-8")
    code, out, err = run(
        repo, "window", "--emergency", "--format", "json", "--at", "2026-12-30T10:00:00-03:00"
    )
    assert code == 0
    assert json.loads(out) == {
        "at": "2026-12-30T10:00:00-03:00",
        "open": True,
        "reason": "open: emergency changes may run at any time (the calendar policy cannot be "
        "read, so the normal windows are unknown)",
        "current": None,
        "next": None,
    }
    assert "[calendar-timezone]" in err
    code, _, _ = run(repo, "window", "--at", "2026-12-30T10:00:00-03:00")
    assert code == 1  # a normal change is not allowed on a policy nobody can read


def test_calendar_ics_exports_only_the_open_parts_of_a_frozen_window(repo: Path) -> None:
    policy = repo / "policy" / "calendar.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8")
        + """  - start: "2026-12-10T02:00:00-03:00"
    end: "2026-12-10T03:30:00-03:00"
    reason: Virada do eSocial S-1.3
""",
        encoding="utf-8",
    )
    code, out, _ = run(repo, "calendar", "--from", "2026-12-07", "--weeks", "1", "--format", "ics")
    assert code == 0
    windows = [
        e
        for e in icalendar.Calendar.from_ical(out.encode()).walk("VEVENT")
        if "Change window" in str(e["SUMMARY"])
    ]
    assert [(e["DTSTART"].dt.isoformat(), e["DTEND"].dt.isoformat()) for e in windows] == [
        ("2026-12-10T00:00:00-03:00", "2026-12-10T02:00:00-03:00"),
        ("2026-12-10T03:30:00-03:00", "2026-12-10T06:00:00-03:00"),
    ]
    assert str(windows[0]["SUMMARY"]).endswith("(fora do congelamento / outside the freeze)")
    assert [str(e["UID"]) for e in windows] == [
        "rdm-window-2026-12-10-1@rdm",
        "rdm-window-2026-12-10-2@rdm",
    ]
    # Entirely frozen (2026-12-31, 2027-01-07): not exported at all.
    code, out, _ = run(repo, "calendar", "--from", "2026-12-28", "--weeks", "2", "--format", "ics")
    events = icalendar.Calendar.from_ical(out.encode()).walk("VEVENT")
    assert not [e for e in events if "Change window" in str(e["SUMMARY"])]


@pytest.mark.parametrize(
    ("at", "code", "expected"),
    [
        (
            "2026-12-25T10:00:00-03:00",
            1,
            "2026-12-25 10:00 -03:00: closed: next window opens 2027-01-14 00:00 -03:00 "
            "(in 19 days 14 h); 2026-12-25 is a holiday (Natal)",
        ),
        (
            "2026-06-04T01:00:00-03:00",
            0,
            "2026-06-04 01:00 -03:00: open: window until 2026-06-04 06:00 -03:00 (5 h left); "
            "2026-06-04 is a holiday (feriado extra (policy/calendar.yaml))",
        ),
        (
            # 23:30 on the 24th in UTC-3 is the 25th in UTC: the policy's day counts.
            "2026-12-25T02:30:00Z",
            1,
            "2026-12-24 23:30 -03:00: closed: next window opens 2027-01-14 00:00 -03:00 "
            "(in 20 days)",
        ),
    ],
)
def test_window_on_a_holiday_says_so(repo: Path, at: str, code: int, expected: str) -> None:
    assert run(repo, "window", "--at", at)[:2] == (code, expected + "\n")


def test_calendar_lists_the_rdms_of_each_window_with_their_priority(tmp_path: Path) -> None:
    for folder in ("policy", "rdms"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    code, out, _ = run(tmp_path, "calendar", "--from", "2026-11-30", "--weeks", "2")
    assert code == 0
    assert out.splitlines()[2] == (
        "2026-12-03 Thu 00:00-06:00 -03:00  window  RDMs: RDM-2026-0041 (P3), RDM-2026-0044 (P4)"
    )
    assert out.splitlines()[4] == (
        "2026-12-10 Thu 00:00-06:00 -03:00  window  RDMs: RDM-2026-0042 (P2)"
    )
    code, out, _ = run(
        tmp_path, "calendar", "--from", "2026-11-30", "--weeks", "2", "--format", "json"
    )
    windows = [e for e in json.loads(out)["entries"] if e["kind"] == "window"]
    assert [w["rdms"] for w in windows] == [
        [{"id": "RDM-2026-0041", "priority": "P3"}, {"id": "RDM-2026-0044", "priority": "P4"}],
        [{"id": "RDM-2026-0042", "priority": "P2"}],
    ]
