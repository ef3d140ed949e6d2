"""Benchmark: the full `rdm render --out` path against a bare Jinja2 render (the floor).

Generates 1,000 topologies from the examples (org ids, replicas, images and
config varied) into a temporary repository, then in one run times:

- floor: a bare `jinja2.Environment` (no sandbox) rendering the same templates
  with the same data (`rendering.jobs`, built beforehand), no parsing, no checks;
- render stage: `rendering.render` + YAML text for every topology already loaded;
- full path: what `rdm render --out` does in-process: load and check the
  repository, render, check, write the files.

Prints ratio, objects/s and peak memory; `--write` records them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from rdm.edges.repository import load_repository, render_source, write_tree  # noqa: E402
from rdm.edges.sources import WorkTree  # noqa: E402
from rdm.rendering import manifests as rendering  # noqa: E402 - after the path is set

COUNT = 1000
TARGET = 1.3


def generate(root: Path, count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    (root / "topologies").mkdir(parents=True)
    (root / "policy").mkdir()
    for policy in (ROOT / "policy").glob("*.yaml"):
        (root / "policy" / policy.name).write_text(
            policy.read_text(encoding="utf-8"), encoding="utf-8"
        )
    examples = sorted((ROOT / "topologies").glob("*.yaml"))
    for index in range(count):
        source = examples[index % len(examples)]
        old = source.stem
        org = f"cliente-{index:04d}"
        text = source.read_text(encoding="utf-8").replace(old, org)
        text = re.sub(r"replicas: \d+", lambda _: f"replicas: {rng.randint(1, 4)}", text)
        text = text.replace("MaxStringSize: 10", f"MaxStringSize: {rng.choice([10, 20, 50])}")
        text = re.sub(r"(appserver:12\.1\.\d+)-(\d+)", rf"\1-2026{rng.randint(1000, 1231)}", text)
        if index % 10 == 0:  # an update running for some clients
            text = text.replace("    enabled: false\n", "    enabled: true\n")
        (root / "topologies" / f"{org}.yaml").write_text(text, encoding="utf-8")


def timed(fn: Callable[[], object]) -> tuple[float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def best(fn: Callable[[], object], repeat: int) -> float:
    return min(_once(fn) for _ in range(repeat))


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--write", action="store_true", help="record the table in docs/benchmarks.md"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        generate(repo, args.count)
        source = WorkTree(repo)
        loaded = load_repository(source, only=["topologies"])
        assert loaded.ok, [str(p) for p in loaded.problems[:5]]
        topologies = list(loaded.topologies.values())

        bare = rendering.environment(rendering.TEMPLATE_DIR, sandboxed=False)
        work = [
            (bare.get_template(j.template), j.context)
            for t in topologies
            for j in rendering.jobs(t)
        ]
        objects = len(work)

        def floor() -> None:
            for template, context in work:
                template.render(context)

        def render_stage() -> None:
            for topology in topologies:
                rendering.stream(rendering.render(topology))

        out = Path(tmp) / "out"

        def full() -> None:
            write_tree(out, render_source(source), "yaml")

        full()  # warm caches (compiled templates, schema validators) as a long run would
        t_floor = best(floor, args.repeat)
        t_stage = best(render_stage, args.repeat)
        t_full = best(full, args.repeat)
        t_load = best(lambda: load_repository(source, only=["topologies"]), args.repeat)
        _, peak = timed(full)

    rows = [
        ("floor: bare Jinja2 render, same templates and data", t_floor, 1.0),
        (
            "render stage: render + checks + YAML text (topologies loaded)",
            t_stage,
            t_stage / t_floor,
        ),
        (
            "load + schema/rule checks alone (rdm.edges.repository; part of the full path)",
            t_load,
            t_load / t_floor,
        ),
        ("full `rdm render --out` path: load + check + render + write", t_full, t_full / t_floor),
    ]
    lines = [
        f"{args.count:,} topologies, {objects:,} objects; best of {args.repeat}; "
        f"Python {platform.python_version()} on {platform.machine()}",
        "",
        "| path | seconds | objects/s | ratio to floor |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {secs:.3f} | {objects / secs:,.0f} | {ratio:.2f}x |"
            for name, secs, ratio in rows
        ),
        "",
        f"Peak memory of the full path (tracemalloc): {peak / 2**20:.1f} MiB. "
        f"Target: <= {TARGET}x the floor; full path "
        f"{'meets' if t_full / t_floor <= TARGET else 'misses'} it. The rest of the full path "
        "(full - load - render stage) is writing one file per object to disk.",
    ]
    print("\n".join(lines))
    if args.write:
        record(lines)
    return 0


def record(lines: list[str]) -> None:
    """Replace the `## Render` section of docs/benchmarks.md, leaving the others alone."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = "## Render\n\n`python bench/render.py --write`\n\n" + "\n".join(lines) + "\n"
    pattern = re.compile(r"^## Render\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
