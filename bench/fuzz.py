"""Coverage-guided fuzzing of the loader and the validator (atheris), not a test.

Every input is one file of one kind: its first byte picks the kind (RDM,
topology, committee, calendar, priorities, standard changes, operations), the rest is the
file's bytes. The harness lays them at that kind's path over the example
repository (in memory) and runs what `rdm validate` runs on it
(`load_repository`), prints the findings in every format as the commands would
(UTF-8 encoded), and, when the file is usable, what the commands built on it
run: for a calendar, `rdm window` at a few instants and `rdm calendar` in text,
JSON and iCalendar; for a topology, the renderer; for an RDM, the cross-file
rules (they run inside `load_repository`).

Content problems are `Problem` values; a `RenderError` is the renderer's own
finding. Any other exception is an internal error: the harness records its
type and place, saves the input under `--crashes`, and goes on, so that one
campaign counts every distinct internal error instead of stopping at the first.

The seed corpus is every YAML file of the example repository and of
tests/cases/**, each under the kind its path gives.

Run (installs atheris in .venv if missing):

    make fuzz                                   # FUZZ_RUNS executions (default 150000)
    .venv/bin/python bench/fuzz.py -runs=20000  # any libFuzzer option

The figures (executions, time, coverage, internal errors) print at the end;
the log, the corpus and each crashing input stay in $TMPDIR/rdm-fuzz/. Exit 1
when any internal error was found.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import atheris  # noqa: E402  # after the path, so that rdm is importable to instrument

with atheris.instrument_imports(include=["rdm"]):
    from rdm.decisions import calendar
    from rdm.edges.repository import POLICY_FILES, kind_of, load_repository
    from rdm.edges.sources import Refused
    from rdm.model.documents import parse
    from rdm.model.problems import Problem
    from rdm.rendering import manifests
    from rdm.reports import calendar_report, reporting

# One path per kind; the fuzzed file replaces the example's file there. The policy
# files come from the repository's own list, so a new kind is fuzzed the day it is added.
TARGETS = (
    ("rdm", "rdms/2026/RDM-2026-0041.yaml"),
    ("topology", "topologies/grupo-alvorada.yaml"),
    *((kind, path) for path, kind in POLICY_FILES.items()),
)
INSTANTS = (
    datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 5, 0, tzinfo=UTC),
    datetime(2018, 11, 4, 3, 0, tzinfo=UTC),
    datetime(2999, 12, 31, 23, 0, tzinfo=UTC),
    datetime(1970, 1, 1, 0, 0, tzinfo=UTC),
)
DATA_FOLDERS = ("rdms", "topologies", "policy")


@dataclass(frozen=True)
class MemorySource:
    """A repository held in memory (the `Source` protocol of rdm.edges.sources)."""

    contents: dict[str, bytes]

    def files(self) -> Iterator[str]:
        yield from sorted(self.contents)

    def refused(self) -> list[Refused]:
        return []  # nothing in memory is a link, a FIFO or a device

    def read(self, relative: str) -> bytes:
        return self.contents[relative]

    def display(self, relative: str) -> str:
        return relative


def _example() -> dict[str, bytes]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_bytes()
        for folder in DATA_FOLDERS
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file()
    }


BASE = _example()
SEEN: Counter[str] = Counter()  # internal error signature -> how many inputs hit it
EXECUTIONS = [0]
WORK = Path(tempfile.gettempdir()) / "rdm-fuzz"
CRASHES = WORK / "crashes"
SUMMARY = WORK / "summary.json"


def run_one(data: bytes) -> None:
    """What the commands do with one file; raises only on an internal error."""
    if not data:
        return
    kind, relative = TARGETS[data[0] % len(TARGETS)]
    raw = data[1:]
    parse(relative, raw)
    # As `rdm validate <file>` does: policy is always loaded, topologies known by name.
    repository = load_repository(MemorySource({**BASE, relative: raw}), only=[relative])
    for problem in repository.problems:
        assert isinstance(problem, Problem)
    for reporter in reporting.REPORTERS.values():
        reporter(repository.problems, repository.files_checked).encode("utf-8")
    if kind == "calendar" and repository.calendar is not None:
        policy = repository.calendar
        for instant in INSTANTS:
            for emergency in (False, True):
                decision = calendar.window_at(policy, instant, emergency=emergency)
                for render in calendar_report.DECISION_FORMATS.values():
                    render(decision).encode("utf-8")
        schedule = calendar.schedule(policy, date(2026, 11, 30), 6)
        calendar_report.schedule_text(schedule).encode("utf-8")
        calendar_report.schedule_json(schedule).encode("utf-8")
        if len(raw) % 8 == 0:  # the VTIMEZONE costs ~60 ms: one calendar in eight
            calendar_report.schedule_ics(schedule, INSTANTS[0])
    elif kind == "topology":
        for topology in repository.topologies.values():
            try:
                rendered = manifests.render(topology)
                for output_format in manifests.FORMATS:
                    manifests.stream(rendered, output_format).encode("utf-8")
            except manifests.RenderError:
                pass  # the renderer's own finding


def _save_summary() -> None:
    summary = {"executions": EXECUTIONS[0], "internal_errors": dict(SEEN)}
    SUMMARY.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")


def test_one(data: bytes) -> None:
    EXECUTIONS[0] += 1
    try:
        run_one(data)
    except Exception as exc:  # every exception here is an internal error to record
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        signature = f"{type(exc).__name__} at {where}: {str(exc)[:120]}"
        if signature not in SEEN:
            CRASHES.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha1(data).hexdigest()[:16]  # noqa: S324  # a file name, not security
            (CRASHES / f"crash-{name}").write_bytes(data)
            print(f"\nINTERNAL ERROR {signature}\n  input: {CRASHES / f'crash-{name}'}", flush=True)
            traceback.print_exception(exc, file=sys.stdout)
        SEEN[signature] += 1
        _save_summary()
    if EXECUTIONS[0] % 1000 == 0:
        # libFuzzer ends the process from C, past Python's exit handlers: the
        # parent reads the counts from this file.
        _save_summary()


def seed_corpus(folder: Path) -> int:
    """Every YAML file of the example and of tests/cases, prefixed with its kind's byte."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [kind for kind, _ in TARGETS]
    count = 0
    sources = [ROOT / d for d in DATA_FOLDERS] + [ROOT / "tests" / "cases"]
    for top in sources:
        for path in sorted(top.rglob("*.y*ml")):
            relative = path.as_posix().split("/files/", 1)[-1]
            relative = relative.removeprefix(ROOT.as_posix() + "/")
            kind = kind_of(relative)
            if kind is None:
                continue
            data = bytes([kinds.index(kind)]) + path.read_bytes()
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)  # noqa: S324
            count += 1
    return count


def fuzz(args: list[str]) -> None:
    """The child: atheris over `test_one`, with libFuzzer's options in `args`."""
    WORK.mkdir(parents=True, exist_ok=True)
    _save_summary()
    atheris.Setup(args, test_one)
    atheris.Fuzz()


def main() -> None:
    """The parent: seed, run the campaign in a child, print its figures."""
    options = [a for a in sys.argv[1:] if a.startswith("-") and a != "--child"]
    if "--child" in sys.argv:
        fuzz([sys.argv[0], *options, *[a for a in sys.argv[1:] if not a.startswith("-")]])
        return
    corpus = WORK / "corpus"
    seeds = seed_corpus(corpus)
    if not any(a.startswith("-runs=") for a in options):
        options.append("-runs=200000")
    # Inputs up to 16 KiB (a real topology is ~4 KiB; the size limit has its own test).
    # A single input that takes over 20 s is a finding too (libFuzzer stops on it).
    options += [
        "-max_len=16384",
        "-timeout=20",
        "-print_final_stats=1",
        f"-dict={ROOT / 'bench' / 'fuzz.dict'}",
    ]
    print(f"seed corpus: {seeds} files; work folder {WORK}", flush=True)
    started = time.perf_counter()
    log = WORK / "fuzz.log"
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.run(
            [sys.executable, __file__, "--child", *options, str(corpus)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=WORK,  # where libFuzzer writes crash-*, timeout-* and slow-unit-* inputs
            check=False,
        )
    seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
    summary = json.loads(SUMMARY.read_text(encoding="utf-8"))
    errors: dict[str, int] = summary["internal_errors"]
    print(f"libFuzzer exit code {child.returncode}; log {log}")
    print(f"executions        {summary['executions']:,}")
    print(f"seconds           {seconds:,.0f} ({summary['executions'] / seconds:,.0f}/s)")
    if done:
        _runs, cov, features, units = done[-1]
        print(f"coverage          {cov} edges, {features} features, corpus {units} inputs")
    slowest = re.findall(r"stat::slowest_unit_time_sec:\s+(\d+)", text)
    if slowest:
        print(f"slowest input     {slowest[-1]} s")
    print(f"internal errors   {len(errors)} distinct, {sum(errors.values())} inputs")
    for signature, count in sorted(errors.items()):
        print(f"  {count:>6}  {signature}")
    stopped = re.findall(r"==\d+== ERROR: libFuzzer: (.*)", text)
    for reason in stopped:
        print(f"stopped early     {reason} (input saved in the work folder; see the log)")
    sys.exit(1 if errors or stopped or child.returncode != 0 else 0)


if __name__ == "__main__":
    main()
