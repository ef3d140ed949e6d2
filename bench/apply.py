"""Benchmark: 1,000 topologies onto the local control plane, rdm against a kubectl loop.

Generates N topologies (copies of the example topologies under new org ids
`bench-0000`...) into a temporary repository, then, each on a FRESH control
plane of its own (so that no measurement pays for the objects and the etcd
history another left behind):

- `kubectl apply --server-side -f <topology>/` once per topology, in sequence,
  with the kubectl built with the control plane (same version as the API
  server): "apply only" is the loop, "apply + healthy" runs until every
  Deployment is rolled out (read as `kubectl get deployments` reads them);
- rdm, at each `--concurrency`: the library call `rdm apply` makes (the same
  plans, client, settings and `apply_topologies`; only the progress display is
  replaced by a recorder of timestamps), in a child process of its own, whose
  peak RSS and CPU time are the kernel's (`wait4`). rdm waits for health wave
  by wave as it always does; its "apply only" share is its time not spent in
  those waits.

For every measurement: wall time, objects/s, API requests per topology (rdm
counts its own; kubectl's are read from its `-v=6` log), peak RSS of the
client, and CPU seconds of the client, of each control-plane process (from
/proc/<pid>/stat) and of everything else on the machine (/proc/stat), to say
where the time goes.

    python bench/apply.py [--topologies 1000] [--concurrency 8,16] [--no-kubectl]
                          [--json results.json]

Needs the built control plane (`make controlplane`); `make bench-apply` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "controlplane"))

import localcluster  # noqa: E402 - after the path is set

EXAMPLES = sorted(p.stem for p in (ROOT / "topologies").glob("*.yaml"))
TICKS = os.sysconf("SC_CLK_TCK")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
HEALTH_TIMEOUT = 3600.0


# ---------------------------------------------------------------- the topologies


def org_id(index: int) -> str:
    return f"bench-{index:04d}"


def generate(repo: Path, count: int) -> list[str]:
    """`count` topologies, the examples in turn under new org ids; the policy files."""
    shutil.copytree(ROOT / "policy", repo / "policy")
    (repo / "topologies").mkdir(parents=True)
    orgs = []
    for index in range(count):
        example = EXAMPLES[index % len(EXAMPLES)]
        org = org_id(index)
        text = (ROOT / "topologies" / f"{example}.yaml").read_text(encoding="utf-8")
        (repo / "topologies" / f"{org}.yaml").write_text(
            text.replace(example, org), encoding="utf-8"
        )
        orgs.append(org)
    return orgs


def render(repo: Path, out: Path) -> tuple[int, int, float]:
    """`rdm render --out` for kubectl: (objects, Deployments, seconds)."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rdm.cli", "render", "--repo", str(repo), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    seconds = time.monotonic() - started
    files = list(out.rglob("*.yaml"))
    return len(files), sum("-deployment-" in f.name for f in files), seconds


# ---------------------------------------------------------------- the cluster and its CPU


def pod_count(manifests: Path) -> int:
    total = 0
    for path in manifests.rglob("*-deployment-*.yaml"):
        found = re.search(r"^  replicas: (\d+)$", path.read_text(encoding="utf-8"), re.M)
        total += int(found.group(1)) if found else 1
    return total


def add_capacity(connection: localcluster.Connection, pods: int) -> int:
    """Fake nodes big enough for every pod (the 3 of `up` take 330), managed by kwok like
    the others: each 2,500 pods, its own /16 of pod IPs. Returns how many were added."""
    nodes = max(1, math.ceil(pods / 2500))
    for index in range(nodes):
        node = localcluster.fake_node(f"kwok-bench-{index}", 100 + index)
        capacity = {"cpu": "100000", "memory": "4000Ti", "pods": "2500", "ephemeral-storage": "1Pi"}
        node["status"]["capacity"] = node["status"]["allocatable"] = capacity
        node["spec"]["podCIDR"] = f"10.{64 + index}.0.0/16"
        code, body = connection.request("POST", "/api/v1/nodes", node)
        if code not in (201, 409):  # 409: added by an earlier run on the same cluster
            raise SystemExit(f"cannot add node {node['metadata']['name']}: {code} {body}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        code, body = connection.request("GET", "/api/v1/nodes")
        ready = [
            n
            for n in body.get("items", [])
            if n["metadata"]["name"] in {f"kwok-bench-{i}" for i in range(nodes)}
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in n.get("status", {}).get("conditions", [])
            )
        ]
        if len(ready) == nodes:
            return nodes
        time.sleep(0.5)
    raise SystemExit("the added kwok nodes did not become Ready")


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS, sum(values[:8]) / TICKS


@dataclass
class Cpu:
    processes: dict[str, float]
    busy: float
    total: float

    @classmethod
    def now(cls, pids: Mapping[str, int]) -> Cpu:
        busy, total = machine_cpu()
        return cls({name: process_cpu(pid) for name, pid in pids.items()}, busy, total)

    def since(self, before: Cpu) -> Cpu:
        return Cpu(
            {n: v - before.processes[n] for n, v in self.processes.items()},
            self.busy - before.busy,
            self.total - before.total,
        )


def etcd_bytes(pids: Mapping[str, int]) -> int | None:
    """etcd's database size, asked of etcd (its URL is on the API server's command line)."""
    arguments = Path(f"/proc/{pids['kube-apiserver']}/cmdline").read_bytes().split(b"\0")
    url = next(
        (a.decode().split("=", 1)[1] for a in arguments if a.startswith(b"--etcd-servers=")), None
    )
    if url is None:
        return None
    host, _, port = url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    found = re.search(r"^etcd_mvcc_db_total_size_in_bytes (\S+)$", text, re.M)
    return int(float(found.group(1))) if found else None


@contextlib.contextmanager
def fresh_cluster(
    binaries: localcluster.Binaries, pods: int
) -> Iterator[tuple[localcluster.Connection, dict[str, int]]]:
    with tempfile.TemporaryDirectory(prefix="rdm-bench-apply-") as scratch:
        state = Path(scratch) / "cluster"
        connection = localcluster.up(state, binaries=binaries, tie_to_parent=True, log=say)
        try:
            add_capacity(connection, pods)
            status = localcluster.status(state)
            yield connection, dict(status.running)
        finally:
            localcluster.down(state, log=say)


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- health, read from outside


def deployment_rows(connection: localcluster.Connection) -> list[list[Any]]:
    """Every Deployment as `kubectl get deployments -A` reads it (a Table, not the objects)."""
    host, _, port = connection.server.removeprefix("https://").partition(":")
    rows: list[list[Any]] = []
    token = ""
    while True:
        path = "/apis/apps/v1/deployments?limit=2000&includeObject=None"
        if token:
            path += f"&continue={quote(token, safe='')}"
        http_connection = http.client.HTTPSConnection(
            host, int(port), context=connection.ssl_context(), timeout=60
        )
        try:
            http_connection.request("GET", path, headers={"Accept": TABLE})
            body = json.loads(http_connection.getresponse().read())
        finally:
            http_connection.close()
        rows += [row["cells"] for row in body.get("rows") or []]
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return rows


def healthy(cells: Sequence[Any]) -> bool:
    # NAME, READY (ready/desired), UP-TO-DATE, AVAILABLE, ...
    ready, _, desired = str(cells[1]).partition("/")
    return ready == desired and int(cells[2]) == int(desired) and int(cells[3]) == int(desired)


def wait_healthy(connection: localcluster.Connection, deployments: int, started: float) -> float:
    """Seconds from `started` until all `deployments` are rolled out."""
    while True:
        rows = deployment_rows(connection)
        if len(rows) >= deployments and all(map(healthy, rows)):
            return time.monotonic() - started
        if time.monotonic() - started > HEALTH_TIMEOUT:
            waiting = sum(not healthy(r) for r in rows)
            raise SystemExit(f"{waiting} of {len(rows)}/{deployments} Deployments not healthy")
        time.sleep(1.0)


# ---------------------------------------------------------------- the measurements


@dataclass
class Measurement:
    name: str
    topologies: int
    objects: int
    apply_seconds: float  # kubectl: the loop; rdm: the whole run (it waits wave by wave)
    healthy_seconds: float
    requests: list[int]  # per topology
    client_cpu: float
    client_rss_mb: float
    cpu: dict[str, float]
    machine_busy: float
    machine_total: float
    etcd_mb: float | None
    load: float
    extra: dict[str, Any] = field(default_factory=dict)


def run_kubectl(
    binaries: localcluster.Binaries,
    manifests: Path,
    orgs: Sequence[str],
    objects: int,
    deployments: int,
    pods: int,
) -> Measurement:
    with fresh_cluster(binaries, pods) as (connection, pids), tempfile.TemporaryDirectory() as tmp:
        before = Cpu.now(pids)
        requests, cpu, rss = [], 0.0, 0
        started = time.monotonic()
        for index, org in enumerate(orgs):
            process = subprocess.Popen(
                [
                    str(binaries["kubectl"]),
                    "--kubeconfig",
                    str(connection.kubeconfig),
                    "--cache-dir",
                    tmp,
                    "apply",
                    "--server-side",
                    "-f",
                    str(manifests / org),
                    "-v=6",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            assert process.stderr is not None
            log = process.stderr.read().decode("utf-8", "replace")
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                raise SystemExit(f"kubectl failed on {org}: {log[-2000:]}")
            requests.append(log.count('"Response"'))
            cpu += usage.ru_utime + usage.ru_stime
            rss = max(rss, usage.ru_maxrss)
            if (index + 1) % 100 == 0:
                say(f"kubectl: {index + 1} topologies applied")
        applied = time.monotonic() - started
        say(f"kubectl: all applied in {applied:.0f} s; waiting for the Deployments")
        healthy_after = wait_healthy(connection, deployments, started)
        spent = Cpu.now(pids).since(before)
        return Measurement(
            "kubectl apply --server-side, one topology after another",
            len(orgs),
            objects,
            applied,
            healthy_after,
            requests,
            cpu,
            rss / 1024,
            spent.processes,
            spent.busy,
            spent.total,
            _mb(etcd_bytes(pids)),
            os.getloadavg()[0],
        )


def run_rdm(
    binaries: localcluster.Binaries,
    repo: Path,
    orgs: Sequence[str],
    objects: int,
    deployments: int,
    pods: int,
    concurrency: int,
) -> Measurement:
    with fresh_cluster(binaries, pods) as (connection, pids), tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "child.json"
        (Path(tmp) / "orgs").write_text("\n".join(orgs), encoding="utf-8")
        before = Cpu.now(pids)
        started = time.monotonic()
        process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                json.dumps(
                    {
                        "repo": str(repo),
                        "orgs": str(Path(tmp) / "orgs"),
                        "kubeconfig": str(connection.kubeconfig),
                        "concurrency": concurrency,
                        "out": str(out),
                    }
                ),
            ],
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("the rdm run failed")
        spent = Cpu.now(pids).since(before)
        child = json.loads(out.read_text(encoding="utf-8"))
        # rdm said healthy: read it from outside too
        rows = deployment_rows(connection)
        outside = sum(map(healthy, rows))
        return Measurement(
            f"rdm, concurrency {concurrency}",
            len(orgs),
            objects,
            wall,
            wall,
            child["requests"],
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            spent.processes,
            spent.busy,
            spent.total,
            _mb(etcd_bytes(pids)),
            os.getloadavg()[0],
            {
                **{k: v for k, v in child.items() if k != "requests"},
                "healthy_read_from_outside": f"{outside}/{deployments}",
            },
        )


def _mb(value: int | None) -> float | None:
    return None if value is None else value / 2**20


class CallCounter:
    """The cluster handed to the applier, counting its calls by method and kind (what the
    requests per topology are made of); everything else is the edge's own."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    def get(self, kind: Any, name: str, namespace: str | None = None) -> Any:
        self._count(f"get {kind[1]}")
        return self.inner.get(kind, name, namespace)

    def list(self, kind: Any, *, namespace: str | None = None, selector: str = "") -> Any:
        self._count(f"list {kind[1]}")
        return self.inner.list(kind, namespace=namespace, selector=selector)

    def watch(self, kind: Any, **options: Any) -> Any:
        self._count(f"watch {kind[1]}")
        return self.inner.watch(kind, **options)

    def apply(self, body: Mapping[str, Any], **options: Any) -> Any:
        what = "dry-run" if options.get("dry_run") else "apply"
        self._count(
            f"{what} {body.get('kind')}" if body.get("kind") in ("ConfigMap", "Namespace") else what
        )
        return self.inner.apply(body, **options)

    def patch(self, *args: Any, **options: Any) -> Any:
        self._count("patch")
        return self.inner.patch(*args, **options)

    def create(self, body: Mapping[str, Any]) -> Any:
        self._count(f"create {body.get('kind')}")
        return self.inner.create(body)

    def replace(self, body: Mapping[str, Any]) -> Any:
        self._count(f"replace {body.get('kind')}")
        return self.inner.replace(body)

    def delete(self, kind: Any, *args: Any, **options: Any) -> Any:
        self._count(f"delete {kind[1]}")
        return self.inner.delete(kind, *args, **options)


def child(arguments: Mapping[str, Any]) -> int:
    """The rdm side, in a process of its own: what `rdm apply ORG... --concurrency N` does."""
    import resource
    from datetime import timedelta

    sys.path.insert(0, str(ROOT / "tools"))
    from rdm.commands import _cluster as opts
    from rdm.operations.applier import Settings, apply_topologies

    orgs = Path(arguments["orgs"]).read_text(encoding="utf-8").split()
    started = time.monotonic()
    plans = opts.plans(
        Path(arguments["repo"]), None, orgs, rdm_id=None, budget=None, rollback_budget=None
    )
    assert plans is not None
    rendered = time.monotonic() - started
    events: list[tuple[float, str, str]] = []  # list.append is atomic: safe across workers

    def record(org: str, message: str) -> None:
        events.append((time.monotonic(), org, message))

    cluster = opts.open_cluster(Path(arguments["kubeconfig"]), None, 30.0)
    calls = CallCounter(cluster)
    try:
        results = apply_topologies(
            calls,
            plans,
            settings=Settings(identity=opts.identity()),
            concurrency=int(arguments["concurrency"]),
            clock=opts.now,
            sleep=opts.sleep,
            reporter=record,
        )
    finally:
        cluster.close()
    applied = time.monotonic() - started - rendered
    # health waits: from "wave N: k objects applied" to "wave N: k Deployment(s) healthy"
    waits: Counter[str] = Counter()
    applied_at: dict[tuple[str, str], float] = {}
    for moment, org, message in events:
        wave, _, rest = message.partition(": ")
        if rest.endswith("objects applied"):
            applied_at[(org, wave)] = moment
        elif rest.endswith("healthy") and (org, wave) in applied_at:
            waits[org] += moment - applied_at[(org, wave)]
    durations = [r.duration.total_seconds() for r in results]
    summary = {
        "outcomes": dict(Counter(str(r.outcome) for r in results)),
        "failures": [f"{r.org_id}: {r.failure}" for r in results if r.failure][:10],
        "requests": [r.requests for r in results],
        "calls_per_topology": {
            name: round(count / len(results), 1) for name, count in sorted(calls.counts.items())
        },
        "http_requests": cluster.requests,
        "http_retries": cluster.retries,
        "render_seconds": rendered,
        "apply_seconds": applied,
        "topology_seconds_median": statistics.median(durations),
        "topology_seconds_max": max(durations),
        "health_wait_share": sum(waits.values()) / sum(durations),
        "health_wait_per_topology_median": statistics.median(waits[r.org_id] for r in results),
        "peak_rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "budget": str(timedelta(minutes=30)),
    }
    Path(arguments["out"]).write_text(json.dumps(summary), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- the report


def table(measurements: Sequence[Measurement], cores: int) -> list[str]:
    lines = [
        "| run | apply only s | apply + healthy s | objects/s (healthy) | s per topology "
        "(healthy) | requests per topology (median, max) | client peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        apply_only = m.apply_seconds
        if "health_wait_share" in m.extra:
            apply_only = m.apply_seconds * (1 - m.extra["health_wait_share"])
            shown = f"~{apply_only:.0f} (busy share)"
        else:
            shown = f"{apply_only:.0f}"
        lines.append(
            f"| {m.name} | {shown} | {m.healthy_seconds:.0f} | "
            f"{m.objects / m.healthy_seconds:.1f} | {m.healthy_seconds / m.topologies:.2f} | "
            f"{statistics.median(m.requests):.0f}, {max(m.requests)} | {m.client_rss_mb:.0f} |"
        )
    lines += [
        "",
        f"Where the time goes (CPU seconds during the run; the machine has {cores} cores, "
        f"so a run of W s has {cores}xW CPU seconds):",
        "",
        "| run | wall s | client | kube-apiserver | etcd | controller-manager | scheduler | kwok "
        "| everything else on the machine | idle | etcd db MB | load avg at end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        ours = m.client_cpu + sum(m.cpu.values())
        others = max(0.0, m.machine_busy - ours)
        idle = m.machine_total - m.machine_busy
        lines.append(
            f"| {m.name} | {m.healthy_seconds:.0f} | {m.client_cpu:.0f} | "
            f"{m.cpu.get('kube-apiserver', 0):.0f} | {m.cpu.get('etcd', 0):.0f} | "
            f"{m.cpu.get('kube-controller-manager', 0):.0f} | "
            f"{m.cpu.get('kube-scheduler', 0):.0f} | {m.cpu.get('kwok', 0):.0f} | "
            f"{others:.0f} | {idle:.0f} | "
            f"{m.etcd_mb:.0f} | {m.load:.1f} |".replace("| None |", "| - |")
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topologies", type=int, default=1000)
    parser.add_argument("--concurrency", default="8,16", help="rdm runs, comma-separated")
    parser.add_argument("--no-kubectl", action="store_true", help="leave out the kubectl loop")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    binaries = localcluster.cached_binaries()
    if binaries is None:
        print("the control plane is not built: run `make controlplane` first", file=sys.stderr)
        return 1
    began = time.monotonic()
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="rdm-bench-repo-") as scratch:
        repo = Path(scratch) / "repo"
        orgs = generate(repo, args.topologies)
        manifests = Path(scratch) / "manifests"
        objects, deployments, render_seconds = render(repo, manifests)
        pods = pod_count(manifests)
        say(
            f"{len(orgs)} topologies: {objects} objects, {deployments} Deployments, "
            f"{pods} pods (rendered in {render_seconds:.1f} s)"
        )
        if not args.no_kubectl:
            measurements.append(run_kubectl(binaries, manifests, orgs, objects, deployments, pods))
            say(f"{measurements[-1].name}: {measurements[-1].healthy_seconds:.0f} s")
        for concurrency in [int(c) for c in args.concurrency.split(",") if c]:
            measurements.append(
                run_rdm(binaries, repo, orgs, objects, deployments, pods, concurrency)
            )
            say(f"{measurements[-1].name}: {measurements[-1].healthy_seconds:.0f} s")
    cores = os.cpu_count() or 1
    print(
        f"{len(orgs):,} topologies, {objects:,} objects ({deployments:,} Deployments, "
        f"{pods:,} pods); {binaries.versions.key}; Python {platform.python_version()} on "
        f"{platform.machine()}, {cores} cores; a fresh control plane per run; "
        f"{time.monotonic() - began:.0f} s in all"
    )
    print()
    print("\n".join(table(measurements, cores)))
    for m in measurements:
        if m.extra:
            print(f"\n{m.name}: " + json.dumps(m.extra, default=str))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(m) for m in measurements], indent=2, default=str), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
