"""Benchmark: `rdm validate`, `rdm window` and `rdm calendar` against the number
of moves and freezes in policy/calendar.yaml (not a test; prints figures).

For each size N (default 1,000, 8,000 and 32,000) it writes a copy of the
example repository whose calendar has N moves (windows and meetings moved or
cancelled, one per week from 2030 on) and N freezes (one per week, every fourth
one cutting the window in two), then times each command through its entry
point (`rdm.cli.main`, output captured), each in its own child process:

  validate   rdm validate                       (the whole repository)
  window     rdm window --at <an instant in the moved years>
  calendar   rdm calendar --from <same> --weeks 520 --format ics
  floor      yaml.load of that calendar.yaml alone (PyYAML's C loader)

The time per 1,000 items should stay flat as N grows (linear run time); it
grew with N while the calendar scanned every move and freeze per occurrence.
Files past 1 MiB are refused by rdm; the child raises that limit for itself,
since from 8,000 on the generated calendar is larger (this measures the
calendar, not the reader's guard).
Run: `make bench` or `.venv/bin/python bench/calendar_scale.py [--sizes 1000 8000]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_THURSDAY = date(2030, 1, 3)
AT = "2031-06-05T01:00:00-03:00"
FROM = "2031-01-01"
COMMANDS = {
    "validate": ["validate", "--format", "text"],
    "window": ["window", "--at", AT],
    "calendar": ["calendar", "--from", FROM, "--weeks", "520", "--format", "ics"],
}


def policy_text(count: int) -> str:
    """The example calendar's head with `count` moves and `count` freezes."""
    head = (ROOT / "policy" / "calendar.yaml").read_text(encoding="utf-8").split("\nmoves:")[0]
    lines = [head, "moves:"]
    for n in range(count):
        thursday = FIRST_THURSDAY + timedelta(weeks=n // 2)
        if n % 2 == 0:  # the window: to Wednesday night, or cancelled
            wednesday = thursday - timedelta(days=1)
            to = (
                "null"
                if n % 10 == 0
                else f'{{start: "{wednesday}T22:00:00-03:00", end: "{thursday}T04:00:00-03:00"}}'
            )
            lines += ["  - kind: window", f"    date: {thursday}", f"    to: {to}"]
        else:  # the meeting: to Monday
            tuesday = thursday - timedelta(days=2)
            monday = tuesday - timedelta(days=1)
            to = f'{{start: "{monday}T14:00:00-03:00", end: "{monday}T16:00:00-03:00"}}'
            lines += ["  - kind: committee", f"    date: {tuesday}", f"    to: {to}"]
        lines.append(f"    reason: remanejamento {n}")
    lines.append("freezes:")
    for n in range(count):
        thursday = FIRST_THURSDAY + timedelta(weeks=n)
        if n % 4 == 0:  # cuts the window of that week
            start, end = f"{thursday}T02:00:00-03:00", f"{thursday}T03:00:00-03:00"
        else:
            friday = thursday + timedelta(days=1)
            start, end = f"{friday}T00:00:00-03:00", f"{friday}T12:00:00-03:00"
        lines += [f'  - start: "{start}"', f'    end: "{end}"', f"    reason: congelamento {n}"]
    return "\n".join(lines) + "\n"


def make_repository(target: Path, count: int) -> None:
    for folder in ("rdms", "topologies", "policy"):
        shutil.copytree(ROOT / folder, target / folder)
    (target / "policy" / "calendar.yaml").write_text(policy_text(count), encoding="utf-8")


def measure(command: str, repo: Path) -> dict[str, float]:
    """In a child process: one command through rdm's entry point (or the floor)."""
    if command == "floor":
        import yaml

        start = time.perf_counter()
        raw = (repo / "policy" / "calendar.yaml").read_bytes()
        yaml.load(raw, Loader=yaml.CSafeLoader)
        return {"seconds": time.perf_counter() - start, "exit": 0, "output_lines": 0}
    sys.path.insert(0, str(ROOT / "tools"))
    from rdm.cli import main
    from rdm.edges import sources
    from rdm.model import documents

    # 8,000 moves and freezes take ~2 MB of YAML: past the 1 MiB a file may
    # have. The limit is raised here only, since this measures how the calendar
    # grows with its content, not the reader's guard.
    for module in (documents, sources):
        if hasattr(module, "MAX_BYTES"):
            module.MAX_BYTES = 64 * 1024 * 1024  # type: ignore[attr-defined]

    # Byte-backed, as a terminal is: the iCalendar output is written as bytes.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*COMMANDS[command], "--repo", str(repo)])
    seconds = time.perf_counter() - start
    out.flush()
    lines = out.buffer.getvalue().count(b"\n")  # type: ignore[attr-defined]
    return {"seconds": seconds, "exit": code, "output_lines": lines}


def child(command: str, repo: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", command, str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 8000, 32000])
    parser.add_argument("--measure", nargs=2, metavar=("COMMAND", "REPO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    print("moves = freezes = N; seconds through rdm.cli.main (child process each);")
    print("floor: yaml.load of the same calendar.yaml with PyYAML's C loader")
    print(f"{'N':>7}{'command':>10}{'seconds':>10}{'s per 1k':>10}{'x floor':>9}{'exit':>6}")
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            make_repository(repo, count)
            floor = child("floor", repo)["seconds"]
            for command in ("floor", *COMMANDS):
                row = child(command, repo) if command != "floor" else {"seconds": floor, "exit": 0}
                per_k = row["seconds"] / (count / 1000)
                print(
                    f"{count:>7}{command:>10}{row['seconds']:>10.2f}{per_k:>10.3f}"
                    f"{row['seconds'] / floor:>9.1f}{int(row['exit']):>6}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
