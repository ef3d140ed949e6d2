"""Benchmark of `rdm validate` (not a test): prints figures and ratios.

Generates 1,000 topologies and 10,000 RDMs into a temporary repository, then
times, each in its own child process (so peak memory is that measurement's own):

  floor           read every file and `yaml.load` it with PyYAML's C loader
  rdm validate    the same path as the command: load, schema, model, rules
  check-jsonschema  the same schemas over the same files (two invocations)

Targets (issue #2): validate <= 1.5x the floor, >= 3x faster than
check-jsonschema, peak memory <= 300 MB. Run: `make bench` or
`.venv/bin/python bench/validate.py [--topologies N] [--rdms N]`.
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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def generate(target: Path, topologies: int, rdm_count: int) -> None:
    shutil.copytree(ROOT / "policy", target / "policy")
    template = (ROOT / "topologies" / "grupo-alvorada.yaml").read_text(encoding="utf-8")
    (target / "topologies").mkdir()
    org_ids = [f"cliente-{n:04d}" for n in range(topologies)]
    for n, org in enumerate(org_ids):
        # Each client its own database: a shared one is a finding (topology-database-shared).
        text = (
            template.replace("grupo-alvorada", org)
            .replace("replicas: 3", f"replicas: {1 + n % 5}")
            .replace("P12_ALVORADA", f"P12_CLIENTE_{n:04d}")
        )
        (target / "topologies" / f"{org}.yaml").write_text(text, encoding="utf-8")
    rdm_template = (ROOT / "rdms" / "2026" / "RDM-2026-0041.yaml").read_text(encoding="utf-8")
    windows = _usable_windows(target)
    for n in range(rdm_count):
        year = 2026 + n // 9999
        seq = n % 9999 + 1
        rdm_id = f"RDM-{year}-{seq:04d}"
        window = windows[n % len(windows)]
        # Each client at most once per window: two RDMs of one window on one client
        # would be a conflict (rdm-conflict), which a clean benchmark must not have.
        pair = (n // len(windows)) * 2
        text = (
            rdm_template.replace("RDM-2026-0041", rdm_id)
            .replace("window: 2026-12-03", f"window: {window.isoformat()}")
            # no fixed downtime start: it would fall outside a moved window
            # (rdm-downtime-outside-window); without one it starts with the window
            .replace("  start: 2026-12-03T00:30:00-03:00\n", "")
            .replace(
                "targets: [grupo-alvorada, hospital-santa-luzia]",
                f"targets: [{org_ids[pair % topologies]}, {org_ids[(pair + 1) % topologies]}]",
            )
        )
        folder = target / "rdms" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{rdm_id}.yaml").write_text(text, encoding="utf-8")


def _usable_windows(repo: Path) -> list[date]:
    """Thursdays of the example calendar that are real windows and not frozen."""
    from rdm.decisions import calendar
    from rdm.model.documents import parse

    document = parse("calendar.yaml", (repo / "policy" / "calendar.yaml").read_bytes()).document
    assert document is not None
    policy = calendar.CalendarPolicy.from_mapping(document.data)
    days = (date(2026, 12, 3) + timedelta(weeks=w) for w in range(52))
    return [
        day
        for day in days
        if (occurrence := calendar.window_for_date(policy, day)) is not None
        and calendar.open_periods(occurrence, policy.freezes)
    ]


def measure(what: str, repo: Path) -> dict[str, float]:
    """Runs in a child process: one measurement, its wall time and peak RSS."""
    start = time.perf_counter()
    if what == "floor":
        import yaml

        files = sorted(
            p for d in ("rdms", "topologies", "policy") for p in (repo / d).rglob("*.yaml")
        )
        for path in files:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        count = len(files)
    elif what == "validate":
        from datetime import datetime

        from rdm.edges.repository import Checks, load_repository
        from rdm.edges.sources import WorkTree
        from rdm.reports.reporting import text

        # As the command does: the rules across files too, as of an instant
        # before every generated window.
        now = datetime.fromisoformat("2026-11-30T12:00:00-03:00")
        repository = load_repository(WorkTree(repo), checks=Checks(now=now))
        text(repository.problems, repository.files_checked)
        assert repository.ok, repository.problems[:3]
        count = repository.files_checked
    else:
        raise SystemExit(f"unknown measurement {what}")
    seconds = time.perf_counter() - start
    # rdm validate may check files in worker processes: the peak is the larger one.
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    peak_mb = peak_kb / 1024
    return {"seconds": seconds, "files": count, "peak_mb": peak_mb}


def child(what: str, repo: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(repo)],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"measurement {what} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def check_jsonschema(repo: Path) -> dict[str, float] | None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    if not exe.exists():
        return None
    start = time.perf_counter()
    peak = 0.0
    for kind, pattern in (("rdm", "rdms/*/*.yaml"), ("topology", "topologies/*.yaml")):
        files = sorted(str(p) for p in repo.glob(pattern))
        proc = subprocess.run(
            [
                "/usr/bin/time",
                "-f",
                "%M",
                str(exe),
                "--schemafile",
                str(ROOT / "schemas" / f"{kind}.schema.json"),
                *files,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
            raise SystemExit("check-jsonschema failed on the generated files")
        peak = max(peak, float(proc.stderr.strip().splitlines()[-1]) / 1024)
    return {"seconds": time.perf_counter() - start, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topologies", type=int, default=1000)
    parser.add_argument("--rdms", type=int, default=10000)
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "REPO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        generate(repo, args.topologies, args.rdms)
        floor = child("floor", repo)
        validate = child("validate", repo)
        cjs = check_jsonschema(repo)
    files = int(floor["files"])
    rows = [("floor: yaml C loader", floor), ("rdm validate", validate)]
    if cjs is not None:
        rows.append(("check-jsonschema", cjs))
    print(f"{files} files ({args.topologies} topologies, {args.rdms} RDMs, 4 policy files)")
    print(f"{'measurement':<24}{'seconds':>10}{'files/s':>10}{'peak MB':>10}")
    for name, row in rows:
        rate = files / row["seconds"]
        print(f"{name:<24}{row['seconds']:>10.2f}{rate:>10.0f}{row['peak_mb']:>10.0f}")
    vs_floor = validate["seconds"] / floor["seconds"]
    print(f"validate / floor            = {vs_floor:.2f}x (target <= 1.5x)")
    if cjs is not None:
        vs_cjs = cjs["seconds"] / validate["seconds"]
        print(f"check-jsonschema / validate = {vs_cjs:.2f}x (target >= 3x)")
    print(f"validate peak memory        = {validate['peak_mb']:.0f} MB (target <= 300 MB)")


if __name__ == "__main__":
    main()
