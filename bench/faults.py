"""The fault run (issue 10, item 9): 100 applies through a fault proxy, each judged from outside.

Copies of the example topologies under new org ids are applied, one to three
at a time, in good versions and bad releases (pods kept not Ready by the local
cluster), sometimes after a Rancher- or kubectl-style edit by another field
manager, through tests/fault_proxy.py, which answers a share of the requests
with 503/500, 429 with Retry-After, 409, a slow answer (past the client's read
timeout), or drops the connection before or after the request reached the API
server. After each apply the topology is read straight from the API server and
judged by tests/state_check.py: at its target, exactly as it was before, or
between. The bar: zero half-applied.

    python bench/faults.py [--applies 100] [--seed N] [--rate 0.15] [--kubeconfig FILE]

Without --kubeconfig it starts a control plane of its own (a fresh one, the
binaries of `make controlplane`) and stops it at the end. Exit 1 when any apply
was half-applied or ended elsewhere than its outcome says.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in ("tests", "tools/controlplane", "bench"):
    sys.path.insert(0, str(ROOT / folder))

import localcluster  # noqa: E402 - after the path is set
from apply import add_capacity  # noqa: E402

from fault_run import FaultRun, Tally  # noqa: E402

DATA = ("rdms", "topologies", "policy")


@contextmanager
def control_plane(kubeconfig: str | None) -> Iterator[localcluster.Connection]:
    with tempfile.TemporaryDirectory(prefix="rdm-faults-") as scratch:
        if kubeconfig:
            yield localcluster.Connection.from_kubeconfig(Path(kubeconfig), Path(scratch) / "tls")
            return
        binaries = localcluster.cached_binaries()
        if binaries is None:
            raise SystemExit("the control plane is not built: run `make controlplane` first")
        state = Path(scratch) / "cluster"
        connection = localcluster.up(state, binaries=binaries, tie_to_parent=True, log=print)
        try:
            yield connection
        finally:
            localcluster.down(state, log=print)


def report(tally: Tally, seed: int, rate: float, topologies: int) -> str:
    categories = tally.categories()
    faults = tally.faults
    judged = sum(j.rdm_check != "n/a" for j in tally.judged)
    lines = [
        f"seed {seed}; fault rate {rate:.0%} of requests; {len(tally.judged)} applies of "
        f"{topologies} topologies in {tally.rounds} rounds (1-3 at once); "
        f"wall {tally.seconds:.0f} s",
        "",
        "| outcome (judged from the cluster) | applies |",
        "|---|---:|",
    ]
    for name in ("applied", "rolled back", "failed-but-consistent", "half-applied"):
        lines.append(f"| {name} | {categories[name]} |")
    if categories.get("contradicted"):
        lines.append(f"| ended elsewhere than its outcome says | {categories['contradicted']} |")
    lines += ["", "| applier's outcome | applies |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(tally.outcomes().items())]
    lines += ["", "| what was applied | applies |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(tally.kinds().items())]
    lines += [f"| ... after a {name} | {count} |" for name, count in sorted(tally.edits().items())]
    lines += ["", "| fault injected | count |", "|---|---:|"]
    names = {
        "status 503": "503 Service Unavailable",
        "status 500": "500 Internal Server Error",
        "status 429": "429 Too Many Requests, Retry-After: 1",
        "status 409": "409 Conflict (no field causes)",
        "slow": "slow answer (past the read timeout)",
        "drop": "connection dropped before the request reached the server",
        "drop-after": "connection dropped after the server acted",
    }
    for key, label in names.items():
        lines.append(f"| {label} | {faults.get(key, 0)} |")
    windows, seconds, failed = tally.outages
    if windows:
        lines.append(
            f"| of which in {windows} outages of 5-40 s ({seconds:.0f} s in all: every request "
            f"answered 503 or dropped) | {failed} |"
        )
    lines.append(
        f"| all, of {tally.proxied_requests} requests through the proxy | {sum(faults.values())} |"
    )
    lines += [
        "",
        f"rdm's HTTP attempts: {tally.rdm_requests}, of which retries: {tally.rdm_retries}",
        f"the applier's own check (verify_state) agreed on "
        f"{judged - len(tally.disagreements())}/{judged} (the others failed before a snapshot)",
        f"snapshots stored by rdm equal to the state read before the apply: "
        f"{sum(j.snapshot_check == 'same' for j in tally.judged)}/"
        f"{sum(j.snapshot_check != 'none' for j in tally.judged)}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applies", type=int, default=100)
    parser.add_argument("--topologies", type=int, default=6)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--rate", type=float, default=0.15, help="share of requests faulted")
    parser.add_argument(
        "--outages", type=float, default=0.1, help="share of rounds with an outage of 5-40 s"
    )
    parser.add_argument("--kubeconfig", default=None, help="a running cluster to use")
    parser.add_argument("--quiet", action="store_true", help="no line per apply")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    print(f"fault run: seed {seed} (again: python bench/faults.py --seed {seed})", flush=True)
    with control_plane(args.kubeconfig) as connection, tempfile.TemporaryDirectory() as scratch:
        add_capacity(connection, pods=2500)  # the 3 nodes of `up` hold about 15 topologies
        repo = Path(scratch) / "repo"
        for folder in DATA:
            shutil.copytree(ROOT / folder, repo / folder)
        run_id = f"{seed:06d}"[-6:]
        orgs = [f"faults-{run_id}-{index}" for index in range(args.topologies)]
        run = FaultRun(
            connection,
            repo,
            orgs,
            seed=seed,
            rate=args.rate,
            outage_share=args.outages,
            say=(lambda _line: None) if args.quiet else lambda line: print(line, flush=True),
        )
        tally = run.run(args.applies)
        version = localcluster.pinned_versions().kubernetes
    print()
    print(report(tally, seed, args.rate, args.topologies))
    print(
        f"\nkubernetes {version}; Python {platform.python_version()}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
    )
    for judged in tally.judged:
        if judged.category in ("half-applied", "contradicted"):
            print(f"FAILED: {judged.line()}")
    for judged in tally.disagreements():
        print(f"note: verify_state said {judged.rdm_check}: {judged.line()}")
    for judged in tally.snapshot_mismatches():
        print(f"note: stored snapshot {judged.snapshot_check}: {judged.line()}")
    bad = tally.categories()
    return 1 if bad["half-applied"] or bad.get("contradicted") else 0


if __name__ == "__main__":
    sys.exit(main())
