"""`make run`: the main job on the bundled example, against the local control plane.

Demo tooling, not part of rdm (rdm never imports it). It

1. builds the example's history as a real git repository under build/demo/repo: the
   four clients at their old images, then the four RDMs merged through pull requests
   the committee approved (tests/merged_history.py, the same history the tests use);
2. serves that history's pull requests, reviews, labels and statuses from a local
   server in GitHub's REST shapes (tests/github_fake.py), and a local server in
   Slack's incoming-webhook shape that prints what #monitoring would read;
3. brings up the local control plane (tools/controlplane/localcluster.py; the first
   time it is built from its Go modules, which takes 15-30 minutes on 2 cores);
4. runs `rdm rollout` as of the emergency's morning (Thursday 2026-11-26 08:50) and as
   of the window (Thursday 2026-12-03 00:05), then `rdm status` and `rdm history`.

Without Go (and without a control plane built before) it says so and shows
`rdm rollout --dry-run` instead. The cluster stays up afterwards (`make cluster-down`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools" / "controlplane")]

import localcluster  # noqa: E402  (tools/controlplane is not a package)
from pytest_httpserver import HTTPServer  # noqa: E402
from werkzeug import Request, Response  # noqa: E402

from merged_history import History, MergingGitHub, example  # type: ignore[import-not-found]  # noqa: E402

BUILD = ROOT / "build" / "demo"
RDM = Path(sys.executable).parent / "rdm"
EMERGENCY_MORNING = "2026-11-26T08:50:00-03:00"
WINDOW = "2026-12-03T00:05:00-03:00"
SLACK_HOOK = "/services/T0DEMO/B0DEMO/demo"


def say(text: str) -> None:
    print(text, flush=True)


def rdm(repo: Path, env: dict[str, str], *args: str) -> int:
    say(f"\n$ rdm {' '.join(args)}")
    return subprocess.run([str(RDM), *args], cwd=repo, env=env, check=False).returncode


def slack_server() -> HTTPServer:
    server = HTTPServer(port=0)

    def handle(request: Request) -> Response:
        text = json.loads(request.get_data(as_text=True))["text"]
        say("\n".join(f"  [slack #monitoring] {line}" for line in text.splitlines()))
        return Response("ok", 200, content_type="text/plain")

    server.expect_request(SLACK_HOOK, method="POST").respond_with_handler(handle)
    server.start()
    return server


def cluster() -> tuple[Path | None, str]:
    """The kubeconfig of the local control plane (brought up, built first if needed), or
    None with why not."""
    binaries = localcluster.cached_binaries()
    if binaries is None:
        if localcluster.go_toolchain() is None:
            return None, (
                "Go is not installed and no control plane was built before: the local "
                "cluster cannot be built here"
            )
        versions = localcluster.pinned_versions()
        say(
            "The local control plane is built the first time: kubernetes "
            f"{versions.kubernetes}, etcd {versions.etcd} and kwok {versions.kwok} from their "
            "Go modules. Expect 15-30 minutes and 1-2 GB of module cache on 2 cores; later "
            "runs reuse the build."
        )
        binaries = localcluster.build()
    connection = localcluster.up(binaries=binaries)
    return connection.kubeconfig, ""


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log of the local servers
    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True)
    github_server = HTTPServer(port=0)
    github_server.start()
    slack = slack_server()
    try:
        github = MergingGitHub(github_server)
        history = History(BUILD / "repo", github)
        story = example(history)
        say(f"Example history in {history.root.relative_to(ROOT)}: seed {story.seed[:12]}, then")
        for rdm_id, commit in story.merges.items():
            say(f"  {rdm_id} merged in {commit[:12]} (PR #{story.pulls[rdm_id].number})")
        env = {
            **os.environ,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_TOKEN": "demo-token",  # the local GitHub-shaped server takes any
            "GITHUB_REPOSITORY": github.slug,
            "RDM_SLACK_WEBHOOK": slack.url_for(SLACK_HOOK),
            "RDM_ACTOR": "make run",
        }
        env.pop("GITHUB_STEP_SUMMARY", None)
        repo = history.root
        kubeconfig, why = cluster()
        if kubeconfig is None:
            say(f"\n{why}: showing `rdm rollout --dry-run` instead of a real rollout.")
            env.pop("KUBECONFIG", None)
            env["HOME"] = str(BUILD)  # no ~/.kube/config: nothing to diff against
            code = rdm(repo, env, "rollout", "--at", WINDOW, "--dry-run", "--format", "text")
            return 0 if code in (0, 1) else code
        env["KUBECONFIG"] = str(kubeconfig)
        failures = 0
        for instant in (EMERGENCY_MORNING, WINDOW):
            code = rdm(repo, env, "rollout", "--at", instant, "--format", "text")
            failures += code not in (0, 1)
        rdm(repo, env, "status")
        failures += rdm(repo, env, "history") != 0
        say("\nThe local cluster stays up (kubeconfig build/cluster/kubeconfig): make cluster-down")
        return 1 if failures else 0
    finally:
        github_server.stop()
        slack.stop()


if __name__ == "__main__":
    sys.exit(main())
