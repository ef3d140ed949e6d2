"""Benchmark: the local control plane (tools/controlplane/localcluster.py).

Times, with the binaries already built (`make controlplane`):

- the warm build: `localcluster.py build` finding the binaries in the cache;
- cluster start, `--runs` times, each in a fresh state directory, with the phases
  `up` records (etcd healthy, API server /readyz, nodes Ready, ...), and stop;
- the 4 example topologies (`rdm render`), applied with `kubectl apply
  --server-side` into their namespaces, until every Deployment has rolled out
  (observedGeneration, updated, available = spec.replicas).

The cold build is a one-off, measured by hand with empty caches (the command is in
docs/benchmarks.md). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "controlplane"))

import localcluster  # noqa: E402 - after the path is set


def rolled_out(deployment: dict[str, Any]) -> bool:
    status, spec = deployment.get("status", {}), deployment["spec"]
    wanted = spec.get("replicas", 1)
    return bool(
        status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
        and status.get("updatedReplicas", 0) == wanted
        and status.get("replicas", 0) == wanted
        and status.get("availableReplicas", 0) == wanted
    )


def apply_topologies(binaries: localcluster.Binaries, connection: localcluster.Connection) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "manifests"
        subprocess.run(
            [sys.executable, "-m", "rdm.cli", "render", "--out", str(out), "--repo", str(ROOT)],
            check=True,
            capture_output=True,
        )
        started = time.monotonic()
        subprocess.run(
            [str(binaries["kubectl"]), "--kubeconfig", str(connection.kubeconfig), "apply",
             "--server-side", "-R", "-f", str(out)],
            check=True,
            capture_output=True,
        )
        count = len(list(out.rglob("*deployment-*")))
        while True:
            code, body = connection.request("GET", "/apis/apps/v1/deployments")
            items = body["items"] if code == 200 else []
            if len(items) == count and all(map(rolled_out, items)):
                return time.monotonic() - started
            if time.monotonic() - started > 300:
                raise SystemExit("the topologies did not roll out in 300 s")
            time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binaries = localcluster.cached_binaries()
    if binaries is None:
        print("the control plane is not built: run `make controlplane` first", file=sys.stderr)
        return 1

    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "controlplane" / "localcluster.py"), "build"],
        check=True,
        capture_output=True,
    )
    warm = time.monotonic() - started

    starts, stops, phases = [], [], []
    apply_seconds = None
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as scratch:
            state = Path(scratch) / "cluster"
            began = time.monotonic()
            connection = localcluster.up(
                state, binaries=binaries, tie_to_parent=True, log=lambda _: None
            )
            starts.append(time.monotonic() - began)
            phases.append(json.loads((state / "cluster.json").read_text())["timings"])
            if run == 0:
                apply_seconds = apply_topologies(binaries, connection)
            began = time.monotonic()
            localcluster.down(state, log=lambda _: None)
            stops.append(time.monotonic() - began)

    print(f"{binaries.versions.key}; Python {platform.python_version()} on {platform.machine()}")
    print()
    print("| measurement | seconds |")
    print("|---|---:|")
    print(f"| warm build (`localcluster.py build`, cache hit) | {warm:.2f} |")
    print(f"| cluster start, median of {args.runs} (" + ", ".join(f"{s:.1f}" for s in starts)
          + f") | {statistics.median(starts):.1f} |")
    for phase in phases[0]:
        values = [p[phase] for p in phases]
        print(f"| - of which {phase} (median) | {statistics.median(values):.1f} |")
    print(f"| cluster stop, median | {statistics.median(stops):.1f} |")
    print(f"| 4 example topologies: `kubectl apply --server-side` to all rolled out | "
          f"{apply_seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
