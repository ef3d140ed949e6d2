"""Benchmark of the people tools on a long history (not a test): prints figures.

Builds a real git repository (through `git fast-import`, in seconds) with N RDMs,
each added on the default branch by a commit whose subject is GitHub's merge
subject (`Merge pull request #n from …`), and an execution record (a git note
under refs/notes/rdm) on each merge commit, naming it as the rollout's records
do. Then times, each in a child process:

  rdm list      every RDM's lifecycle (git log three times, notes, the calendar per RDM)
  rdm agenda    one meeting's agenda
  rdm report    a one-year post-implementation review
  rdm monitors  the comparison alone (N topologies x 2 monitors, in process)

at several N, so a cost that grows faster than N shows as a growing per-RDM time.
Run: `.venv/bin/python bench/people.py [--sizes 500,1000,2000]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
AT = "2027-12-01T12:00:00-03:00"


def _windows() -> list[date]:
    """Thursdays of the example calendar that are real, unfrozen windows (2026-2027)."""
    from rdm.decisions import calendar
    from rdm.model.documents import parse

    document = parse("calendar.yaml", (ROOT / "policy" / "calendar.yaml").read_bytes()).document
    assert document is not None
    policy = calendar.CalendarPolicy.from_mapping(document.data)
    days = (date(2026, 1, 1) + timedelta(weeks=w) for w in range(100))
    return [
        day
        for day in days
        if (occurrence := calendar.window_for_date(policy, day)) is not None
        and calendar.open_periods(occurrence, policy.freezes)
    ]


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"data %d\n" % len(raw) + raw + b"\n"


def generate(repo: Path, count: int) -> None:
    """`count` RDMs, one merge-subject commit each, each with an execution note."""
    for folder in ("policy", "topologies", "schemas"):
        shutil.copytree(ROOT / folder, repo / folder)
    template = (ROOT / "rdms" / "2026" / "RDM-2026-0041.yaml").read_text(encoding="utf-8")
    windows = _windows()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream: list[bytes] = []
    base = int(datetime.fromisoformat("2026-01-01T12:00:00-03:00").timestamp())
    stream.append(b"commit refs/heads/main\nmark :1\n")
    stream.append(b"committer bench <bench@example.invalid> %d -0300\n" % base)
    stream.append(_data("policy and topologies"))
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts):
        stream.append(b"M 100644 inline " + str(path.relative_to(repo)).encode() + b"\n")
        stream.append(_data(path.read_text(encoding="utf-8")))
    notes: list[tuple[int, str]] = []
    for n in range(count):
        rdm_id = f"RDM-2026-{n + 1:04d}"
        window = windows[n % len(windows)]
        text = template.replace("RDM-2026-0041", rdm_id).replace(
            "window: 2026-12-03", f"window: {window.isoformat()}"
        )
        mark = n + 2
        # Submitted the week before its window; merged the day before.
        when = int(datetime.combine(window, datetime.min.time()).timestamp()) - 86400
        stream.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        stream.append(b"committer bench <bench@example.invalid> %d -0300\n" % when)
        stream.append(_data(f"Merge pull request #{n + 1} from team/rdm-{n + 1}\n\n{rdm_id}"))
        stream.append(b"from :%d\n" % (mark - 1))
        stream.append(f"M 100644 inline rdms/2026/{rdm_id}.yaml\n".encode())
        stream.append(_data(text))
        notes.append((mark, rdm_id))
    # The commits first: each record names its RDM's merge commit, as the rollout's do
    # (a record on another commit is no run of the RDM, and `rdm list` leaves it out).
    marks_file = repo / ".git" / "bench-marks"
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet", f"--export-marks={marks_file}"],
        input=b"".join(stream),
        check=True,
    )
    sha_of = {
        int(mark[1:]): sha
        for mark, sha in (line.split() for line in marks_file.read_text().splitlines())
    }
    marks_file.unlink()
    # The notes: one commit on refs/notes/rdm holding every note.
    from rdm.model.records import ExecutionRecord, Outcome, note_text

    stream = []
    stream.append(b"commit refs/notes/rdm\n")
    stream.append(b"committer bench <bench@example.invalid> %d -0300\n" % base)
    stream.append(_data("execution records"))
    windows_of = {f"RDM-2026-{n + 1:04d}": windows[n % len(windows)] for n in range(count)}
    zone = datetime.fromisoformat("2026-01-01T00:00:00-03:00").tzinfo
    for mark, rdm_id in notes:
        window = windows_of[rdm_id]
        start = datetime.combine(window, datetime.min.time(), zone) + timedelta(minutes=5)
        record = ExecutionRecord(
            rdm_id=rdm_id,
            outcome=Outcome.EXECUTED if mark % 7 else Outcome.ROLLED_BACK,
            merge_commit=sha_of[mark],
            revision=sha_of[mark],
            started_at=start,
            finished_at=start + timedelta(minutes=70),
            estimated_duration=timedelta(minutes=90),
            rollback_declared=timedelta(minutes=45),
            window=window,
        )
        stream.append(b"N inline %s\n" % sha_of[mark].encode())
        stream.append(_data(note_text([record])))
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True)


def measure(what: str, repo: Path) -> dict[str, float]:
    """Runs in a child process: one command through the real entry point."""
    from click.testing import CliRunner

    from rdm.cli import main

    argv = {
        "list": ["list", "--format", "json"],
        "agenda": ["agenda", "--meeting", "2027-06-01"],
        "report": ["report", "--from", "2026-01-01", "--to", "2027-12-31"],
        # every week from 1970 to 2999: the trends must not scan every row per week
        "report-1000y": [
            "report",
            "--from",
            "1970-01-01",
            "--to",
            "2999-12-31",
            "--format",
            "json",
        ],
    }[what]
    start = time.perf_counter()
    with CliRunner().isolation() as (out, _err, *_):
        code = main([*argv, "--repo", str(repo), "--at", AT])
        size = len(out.getvalue())
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{what} exited {code}")
    return {"seconds": seconds, "bytes": size}


def monitors(count: int) -> float:
    """`decisions.monitors.compare` for `count` topologies and their 2 monitors each."""
    from rdm.decisions.monitors import Existing, compare
    from rdm.model.topologies import Monitor

    class Topology:  # the two attributes compare reads
        def __init__(self, org_id: str) -> None:
            self.org_id = org_id
            self.monitors = tuple(
                Monitor(f"{org_id}-{env}", env, f"https://{org_id}.example/{env}")
                for env in ("producao", "homologacao")
            )

    topologies = [Topology(f"cliente-{n:05d}") for n in range(count)]
    existing = [
        Existing(n * 2 + i, m.name, m.url, 1, 2)
        for n, t in enumerate(topologies)
        for i, m in enumerate(t.monitors)
    ]
    start = time.perf_counter()
    compare(topologies, existing, [t.org_id for t in topologies])  # type: ignore[arg-type]
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child(what: str, repo: Path) -> dict[str, float]:
    """One measurement in a child process; its CPU time counts the git processes too
    (the machine is shared, so wall time alone says little)."""
    before = _children_cpu()
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(repo)],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"measurement {what} failed:\n{out.stderr[-3000:]}")
    found = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    found["cpu"] = _children_cpu() - before
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="500,1000,2000")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "REPO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'RDMs':>6}{'command':>14}{'wall s':>9}{'CPU s':>9}{'CPU ms/RDM':>12}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            generate(repo, size)
            for what in ("list", "agenda", "report", "report-1000y"):
                row = child(what, repo)
                per = 1000 * row["cpu"] / size
                print(
                    f"{size:>6}{what:>14}{row['seconds']:>9.2f}{row['cpu']:>9.2f}{per:>12.2f}",
                    flush=True,
                )
        seconds = monitors(size)
        per = 1000 * seconds / size
        print(f"{size:>6}{'monitors':>14}{seconds:>9.2f}{seconds:>9.2f}{per:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
