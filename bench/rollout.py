"""How long the rollout takes per topology, on the local control plane, and what that
projects for 1,000 clients.

One RDM targets N copies of the example's Metalúrgica (each its own namespace, 36
objects, 9 Deployments in 6 waves); `rdm rollout` applies them at --concurrency C,
as the scheduled job would (verdict re-check against the local GitHub-shaped server,
gate, snapshot, waves, health, record). kwok makes pods Ready at once, so this
measures rdm and the API server, not the containers: the projection adds the health
waits of a real cluster (see docs/benchmarks.md).

    python bench/rollout.py [--topologies N] [--concurrency C] [--write]

Needs the control plane up (`make cluster-up`); uses build/cluster/kubeconfig.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools" / "controlplane")]

import localcluster  # noqa: E402
import yaml  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from merged_history import APP, CM, History, MergingGitHub, at  # noqa: E402

TEMPLATE = ROOT / "topologies" / "metalurgica-sao-jorge.yaml"
# Health waits of a real cluster per topology, for the projection: image pulls and the
# readiness of each wave (the appserver loads its RPO for about two minutes).
REAL_HEALTH_SECONDS = 6 * 60


def topology(org: str, number: int) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("metalurgica-sao-jorge", org).replace("metalurgicasaojorge", org)
    return text.replace("P12_MSJ", f"P12_BENCH{number}")


def rdm(targets: list[str]) -> str:
    return yaml.safe_dump(
        {
            "id": "RDM-2026-0900",
            "title": "Bench: configuração em todos os clientes",
            "type": "normal",
            "category": "configuracao",
            "requester": "eduardo-gmud",
            "description": "Benchmark.",
            "technicalOpinion": {"author": "bruno-infra", "text": "Benchmark.", "risk": "baixo"},
            "impact": "medium",
            "urgency": "medium",
            "targets": targets,
            "environments": ["producao"],
            "window": "2026-12-03",
            "estimatedDuration": "2h",
            "rollback": {
                "plan": "Restaurar o snapshot de cada cliente.",
                "estimatedDuration": "1h",
            },
            "homologation": {
                "environment": "homologacao",
                "evidence": "Benchmark em homologação.",
                "testedBy": "fiscal-qa",
            },
        },
        allow_unicode=True,
        sort_keys=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topologies", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="print the Markdown table")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = localcluster.status()
    if not state.up:
        print("the control plane is not up: make cluster-up", file=sys.stderr)
        return 2
    kubeconfig = localcluster.StateDir(localcluster.DEFAULT_STATE_DIR).kubeconfig
    server = HTTPServer(port=0)
    server.start()
    tag = secrets.token_hex(2)
    orgs = [f"bench{tag}-{n:03d}" for n in range(args.topologies)]
    try:
        with tempfile.TemporaryDirectory(prefix="rdm-bench-") as scratch:
            github = MergingGitHub(server)
            history = History(Path(scratch) / "repo", github)
            history.seed(
                at(2, 9), {f"topologies/{o}.yaml": topology(o, n) for n, o in enumerate(orgs)}
            )
            changed = {
                f"topologies/{o}.yaml": topology(o, n).replace(
                    "MaxStringSize: 20}", "MaxStringSize: 30}"
                )
                for n, o in enumerate(orgs)
            }
            pull = history.open(
                {"rdms/2026/RDM-2026-0900.yaml": rdm(orgs), **changed}, "eduardo-gmud", at(27, 9)
            )
            history.approve(pull, CM, at(27, 10))
            github.post_status(pull.head, "success", APP, at(27, 10) + timedelta(minutes=1))
            history.merge(pull, at(27, 11))
            env = {
                **os.environ,
                "GITHUB_API_URL": github.api_url,
                "GITHUB_TOKEN": "bench",
                "GITHUB_REPOSITORY": github.slug,
                "KUBECONFIG": str(kubeconfig),
                "RDM_ACTOR": "bench",
            }
            for name in ("RDM_SLACK_WEBHOOK", "GITHUB_STEP_SUMMARY"):
                env.pop(name, None)
            rdm_bin = Path(sys.executable).parent / "rdm"
            started = time.monotonic()
            proc = subprocess.run(
                [
                    str(rdm_bin),
                    "rollout",
                    "--repo",
                    str(history.root),
                    "--at",
                    "2026-12-03T00:05:00-03:00",
                    "--concurrency",
                    str(args.concurrency),
                    "--format",
                    "jsonl",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.monotonic() - started
            report = json.loads(proc.stdout.splitlines()[-1])
            if [r["outcome"] for r in report["rdms"]] != ["executed"]:
                print(proc.stderr[-3000:], json.dumps(report, indent=1)[:3000], file=sys.stderr)
                return 1
    finally:
        server.stop()
        delete = [
            str(Path(localcluster.cached_binaries()["kubectl"])),
            "--kubeconfig",
            str(kubeconfig),
            "delete",
            "namespace",
            "--wait=false",
            *orgs,
        ]
        subprocess.run(delete, capture_output=True, check=False)
    per = elapsed / args.topologies
    projected_kwok = 1000 * per
    rows = [
        (
            "measured",
            f"{args.topologies} topologies, concurrency {args.concurrency}",
            f"{elapsed:.1f} s",
            f"{per:.2f} s",
        ),
    ]
    for shards in (1, 4, 8):
        real = math.ceil(1000 / (args.concurrency * shards)) * (
            REAL_HEALTH_SECONDS + per * args.concurrency
        )
        rows.append(
            (
                "projected",
                f"1,000 topologies, {shards} shard(s) x concurrency {args.concurrency}",
                f"{projected_kwok / shards / 60:.1f} min (kwok)",
                f"{real / 3600:.1f} h (+{REAL_HEALTH_SECONDS // 60} min health waits each)",
            )
        )
    print("| | run | time | per topology / real cluster |")
    print("|---|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
