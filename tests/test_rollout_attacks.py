"""Attacks on the path from a merged RDM to the cluster, from someone who can push to a
branch, write a PR's content, push git notes or shape a GitHub answer: each gets a
change onto the cluster without the committee's consensus unless the rollout catches it.

A real git history (tests/merged_history.py) and the local GitHub; `rdm rollout
--dry-run` decides without a cluster where the decision does not depend on one
(a dry run's "would run" is the decision a real run applies), and the local
control plane where it does (what the cluster says a topology is at).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from github_fake import SLUG
from merged_history import APP, CM, History, MergingGitHub, at
from test_week import rdm, set_value, topology

THURSDAY = "2026-12-03T00:05:00-03:00"
ORG = "cliente-alvo"
PATH = f"topologies/{ORG}.yaml"


@pytest.fixture
def github(httpserver) -> MergingGitHub:
    return MergingGitHub(httpserver)


@pytest.fixture
def history(tmp_path, github) -> History:
    return History(tmp_path / "repo", github)


@pytest.fixture
def env(monkeypatch, github, tmp_path) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kube/config
    for name in ("KUBECONFIG", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "RDM_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)


def rdm_path(rdm_id: str) -> str:
    return f"rdms/2026/{rdm_id}.yaml"


def text(history: History, relative: str) -> str:
    return (history.root / relative).read_text(encoding="utf-8")


def land(
    history: History,
    files: dict[str, str | None],
    opened,
    approvers: tuple[str, ...] = CM,
    poster: str = APP,
    *,
    squash: bool = False,
):
    """A PR opened at `opened`, approved an hour later by `approvers`, rdm/committee posted
    by `poster`, merged two hours after it was opened."""
    pull = history.open(files, "eduardo-gmud", opened)
    history.approve(pull, approvers, opened + timedelta(hours=1))
    history.github.post_status(pull.head, "success", poster, opened + timedelta(hours=1, minutes=1))
    return pull, history.merge(pull, opened + timedelta(hours=2), squash=squash)


def dry_run(run_rdm, history: History, instant: str = THURSDAY) -> dict[str, Any]:
    _, out, err = run_rdm(
        "rollout", "--repo", str(history.root), "--at", instant, "--dry-run", "--format", "jsonl"
    )
    events = [json.loads(line) for line in out.splitlines()]
    assert events and events[-1]["event"] == "report", out + err
    return events[-1]


def outcome(report: dict[str, Any], rdm_id: str) -> tuple[str, list[str]]:
    [found] = [r for r in report["rdms"] if r["rdm"] == rdm_id]
    return found["outcome"], found["reasons"]


# ---------------------------------------------------------------- what a merge carries


def test_a_direct_push_that_wrote_the_rdm_and_a_topology_change_is_not_laundered_by_a_later_edit(
    history, env, run_rdm
):
    """The attacker pushes (bypassing review) the first version of RDM-0201 together with
    an unapproved change to its target; the committee then approves a PR that only edits
    RDM-0201's text. That PR's diff never showed the topology change, but before the fix
    the commit counted as "RDM-0201's own" and rode along."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    draft = rdm("RDM-2026-0201", [ORG])
    pushed = history.push(
        {
            rdm_path("RDM-2026-0201"): draft,
            PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 99}"),
        },
        at(30, 9),
        "RDM-2026-0201: draft",
    )
    edited = draft.replace("Uma mudança da semana de teste.", "Ajuste de configuração.")
    pull, merge = land(history, {rdm_path("RDM-2026-0201"): edited}, at(30, 10))

    report = dry_run(run_rdm, history)
    kind, reasons = outcome(report, "RDM-2026-0201")
    assert kind == "deferred", reasons
    assert reasons[0] == (
        f"blocked: {PATH} at {merge[:12]} also holds {pushed[:12]}, which changed it together "
        "with RDM-2026-0201's own file but was not brought by the pull request that merged "
        "RDM-2026-0201 (a direct push? `rdm audit` tells): the committee never saw that change "
        "in a diff, and applying it would run it without an approval of its own"
    )
    assert pull.number == report["rdms"][0]["pr"]


def test_a_direct_push_to_a_topology_rdm_never_applied_is_not_its_starting_point(
    history, env, run_rdm
):
    """The client came into the repository with the seed; later someone pushed a change to
    it without any RDM; then an approved RDM targets it. The seed is the starting point;
    the push is not, and before the fix it rode along with the approved RDM."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    pushed = history.push(
        {PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 99}")},
        at(30, 9),
    )
    _, merge = land(
        history,
        {
            rdm_path("RDM-2026-0202"): rdm("RDM-2026-0202", [ORG]),
            PATH: set_value(
                text(history, PATH),
                "protheus-tss:\n    replicas: 1",
                "protheus-tss:\n    replicas: 2",
            ),
        },
        at(30, 10),
    )

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0202")
    assert kind == "deferred", reasons
    assert reasons[0] == (
        f"blocked: {PATH} at {merge[:12]} also holds {pushed[:12]}, which changed it without an "
        f"RDM that targets {ORG} (a direct push? `rdm audit` tells): applying RDM-2026-0202 "
        "would run that change without an approval of its own"
    )


def test_the_import_of_a_client_is_its_starting_point(history, env, run_rdm):
    """What held: the commit that created the topology is not held against the first RDM,
    with a merge commit or a squash."""
    history.seed(at(2, 9))
    history.push({PATH: topology(ORG, 1)}, at(30, 8), "import cliente-alvo")
    land(
        history,
        {
            rdm_path("RDM-2026-0203"): rdm("RDM-2026-0203", [ORG]),
            PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 30}"),
        },
        at(30, 10),
        squash=True,
    )
    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0203")
    assert kind == "dry-run", reasons


# ---------------------------------------------------------------- the records ledger


@pytest.fixture
def kube(cluster) -> Iterator[Any]:
    from rdm.edges.cluster import connect

    client = connect(cluster.kubeconfig)
    yield client
    client.close()


def rollout(run_rdm, history: History, instant: str = THURSDAY) -> tuple[int, dict[str, Any]]:
    code, out, err = run_rdm(
        "rollout", "--repo", str(history.root), "--at", instant, "--format", "jsonl"
    )
    events = [json.loads(line) for line in out.splitlines()]
    assert events and events[-1]["event"] == "report", out + err
    return code, events[-1]


def forge(history: History, rdm_id: str, merge: str, org: str, outcome: str = "executed") -> None:
    """What anyone who can push refs/notes/rdm can write: a record saying `rdm_id` ran."""
    from datetime import date

    from rdm.edges import notes
    from rdm.model.records import ExecutionRecord, Outcome, TopologyOutcome, TopologyRecord

    when = at(3, 0, 1, month=12)
    record = ExecutionRecord(
        rdm_id=rdm_id,
        outcome=Outcome(outcome),
        merge_commit=merge,
        revision=merge,
        started_at=when,
        finished_at=when + timedelta(minutes=1),
        estimated_duration=timedelta(minutes=30),
        rollback_declared=timedelta(minutes=15),
        window=date(2026, 12, 3),
        topologies=(
            TopologyRecord(org, TopologyOutcome.APPLIED, when, when + timedelta(minutes=1)),
        ),
    )
    notes.append(history.root, merge, [record])


@pytest.mark.cluster
def test_a_forged_record_does_not_let_an_unapproved_change_ride_along(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """RDM-0211 merged with a forged status and two approvals; before the window, someone
    pushes a note saying it ran. RDM-0212, approved, targets the same client after it:
    applying the client at RDM-0212's merge commit would run RDM-0211's change too. Before
    the fix the forged record made RDM-0211 "live", and RDM-0212 carried it onto the
    cluster."""
    from rdm.model.kube import NAMESPACE

    org = f"atk{secrets.token_hex(2)}-x"
    path = f"topologies/{org}.yaml"
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        history.seed(at(2, 9), {path: topology(org, 1)})
        _, unapproved = land(
            history,
            {
                rdm_path("RDM-2026-0211"): rdm("RDM-2026-0211", [org]),
                path: set_value(text(history, path), "MaxStringSize: 20}", "MaxStringSize: 99}"),
            },
            at(30, 9),
            approvers=CM[:2],
            poster="mallory",
        )
        forge(history, "RDM-2026-0211", unapproved, org)
        _, approved = land(
            history,
            {
                rdm_path("RDM-2026-0212"): rdm("RDM-2026-0212", [org]),
                path: set_value(
                    text(history, path),
                    "protheus-tss:\n    replicas: 1",
                    "protheus-tss:\n    replicas: 2",
                ),
            },
            at(30, 12),
        )

        code, report = rollout(run_rdm, history)
        kind, reasons = outcome(report, "RDM-2026-0212")
        assert kind == "deferred", reasons
        assert reasons[0] == (
            f"blocked: {path} at {approved[:12]} also holds the change of RDM-2026-0211 (merged "
            f"in {unapproved[:12]}), which is not live (not run yet, refused or rolled back): "
            "applying RDM-2026-0212 now would run it; run RDM-2026-0211 first, or revert its "
            "change and merge it again afterwards"
        )
        assert code == 1
        assert kube.get(NAMESPACE, org) is None  # nothing of either reached the cluster
    finally:
        cluster.delete_namespace(org)


# ---------------------------------------------------------------- which PR merged it


def test_a_later_merge_does_not_vouch_for_a_direct_push_before_it(history, github, env, run_rdm):
    """A direct push writes RDM-0221 and an unapproved change to its client; a PR the
    committee approved, whose branch held the same RDM file (not the client's change),
    merges later with a merge commit. GitHub lists that PR for the pushed commit (its
    branch contained a commit like it; an answer we do not control). Before the fix, any
    merged PR whose merge commit came later on the line was taken for a rebase merge of the
    pushed commit, and the pushed change ran with the PR's approvals."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    body = rdm("RDM-2026-0221", [ORG])
    pull = history.open({rdm_path("RDM-2026-0221"): body}, "eduardo-gmud", at(30, 8))
    pushed = history.push(
        {
            rdm_path("RDM-2026-0221"): body,
            PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 99}"),
        },
        at(30, 9),
    )
    history.approve(pull, CM, at(30, 10))
    github.post_status(pull.head, "success", APP, at(30, 10, 1))
    history.merge(pull, at(30, 11))
    github.associations[pushed] = [pull.number]

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0221")
    assert kind == "refused", reasons
    assert reasons[0] == (
        f"blocked: no committee verdict for RDM-2026-0221 (merged in {pushed[:12]}): no pull "
        f"request merged it: a direct push or a bypass (GitHub associates #{pull.number} with "
        "it, but none of them merged it)"
    )


def test_a_rebase_merge_is_still_found_from_any_of_its_commits(history, github, env, run_rdm):
    """What held: a real rebase merge whose RDM file is in its first commit and whose last
    commit (GitHub's merge commit) only edits a document."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    pull = history.open(
        {
            rdm_path("RDM-2026-0222"): rdm("RDM-2026-0222", [ORG]),
            PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 30}"),
        },
        "eduardo-gmud",
        at(30, 8),
    )
    history.add(pull, {"docs/notes.md": "Nota da mudança.\n"}, at(30, 8, 30))
    history.approve(pull, CM, at(30, 10))
    github.post_status(pull.head, "success", APP, at(30, 10, 1))
    merge = history.merge(pull, at(30, 11), rebase=True)

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0222")
    assert kind == "dry-run", reasons
    assert reasons[0].startswith(f"ok: PR #{pull.number} (merged in {merge[:12]}) approved by")


def test_a_merge_commit_claimed_by_several_prs_is_judged_by_the_one_it_merged(
    history, github, env, run_rdm
):
    """GitHub's answer for a merge commit lists two merged PRs: the one it really merged
    (RDM-0231's, two approvals and a forged status), and, first, another PR the committee
    approved whose head holds something else. Before the fix the first PR that claimed the
    commit was taken, and RDM-0231 ran under the other PR's consensus."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    files = {
        rdm_path("RDM-2026-0231"): rdm("RDM-2026-0231", [ORG]),
        PATH: set_value(text(history, PATH), "MaxStringSize: 20}", "MaxStringSize: 99}"),
    }
    decoy = history.open(files | {"docs/decoy.md": "outra coisa\n"}, "eduardo-gmud", at(30, 8))
    history.approve(decoy, CM, at(30, 9))
    real, merge = land(history, files, at(30, 10), approvers=CM[:2], poster="mallory")
    decoy.merged_at, decoy.merge_commit_sha = real.merged_at, merge
    github.associations[merge] = [decoy.number, real.number]

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0231")
    assert kind == "refused", reasons
    assert reasons[0] == (
        f"blocked: PR #{real.number} (merged in {merge[:12]}) was merged without the CM's "
        "approval: the verdict recomputed from its reviews as they stood at the merge is pending"
    )


@pytest.mark.cluster
def test_a_note_made_unreadable_does_not_stop_the_window(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """Someone pushes a note that is not a record onto the merge commit of RDM-0241 (no
    consensus: it will be refused first). A note is never overwritten, so its refusal
    cannot be recorded; before the fix that failure ended the run there (exit 3), and
    RDM-0242, approved, never ran -- in this run or any other of the window."""
    from rdm.model.kube import APPLIED_RDM, NAMESPACE, annotations_of

    tag = secrets.token_hex(2)
    one, two = f"atk{tag}-a", f"atk{tag}-b"
    paths = {org: f"topologies/{org}.yaml" for org in (one, two)}
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        history.seed(at(2, 9), {paths[one]: topology(one, 1), paths[two]: topology(two, 2)})
        _, refused = land(
            history,
            {
                rdm_path("RDM-2026-0241"): rdm("RDM-2026-0241", [one]),
                paths[one]: set_value(
                    text(history, paths[one]), "MaxStringSize: 20}", "MaxStringSize: 99}"
                ),
            },
            at(30, 9),
            approvers=CM[:2],
            poster="mallory",
        )
        history.repo.git.notes("--ref", "refs/notes/rdm", "add", "-m", "{not a record", refused)
        land(
            history,
            {
                rdm_path("RDM-2026-0242"): rdm("RDM-2026-0242", [two]),
                paths[two]: set_value(
                    text(history, paths[two]), "MaxStringSize: 20}", "MaxStringSize: 30}"
                ),
            },
            at(30, 12),
        )

        code, report = rollout(run_rdm, history)
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0241", "refused"),
            ("RDM-2026-0242", "executed"),
        ]
        assert report["unrecorded"] == ["RDM-2026-0241"]
        [warning] = [w for w in report["warnings"] if w.startswith("RDM-2026-0241")]
        assert warning.startswith(
            f"RDM-2026-0241: its record was not written (the note on {refused[:12]} under "
            "refs/notes/rdm cannot be read ("
        )
        assert warning.endswith("); not overwriting it); it is in this report")
        assert code == 3  # a person must look at the note
        assert annotations_of(kube.get(NAMESPACE, two))[APPLIED_RDM] == "RDM-2026-0242"
        assert kube.get(NAMESPACE, one) is None
    finally:
        for org in (one, two):
            cluster.delete_namespace(org)


# ------------------------------------------------------- what every client is rendered from

CLUSTER = "policy/cluster.yaml"
CONTROLLER = "controllerNamespace: {kubernetes.io/metadata.name: ingress-nginx}"
WIDENED = "controllerNamespace: {rdm-atacante/aberto: sim}"
NETWORK_POLICY = ("networking.k8s.io/v1", "NetworkPolicy")
INGRESS = ("networking.k8s.io/v1", "Ingress")


def widened(history: History) -> str:
    """policy/cluster.yaml letting any namespace its author labels reach every client."""
    return set_value(text(history, CLUSTER), CONTROLLER, WIDENED)


def ridden(rdm_id: str, merge: str, commit: str, how: str) -> str:
    return (
        f"blocked: {CLUSTER} at {merge[:12]} also holds {commit[:12]}, which changed it {how}: "
        f"every client is rendered from {CLUSTER}, and applying {rdm_id} would take that change "
        "to its targets without the committee's approval; put the file back as it was, then "
        "merge the change through a pull request the committee approves"
    )


def policy_pull(history: History, rdm_id: str, cluster_text: str, opened, **kwargs):
    """A PR that changes policy/cluster.yaml with the normal RDM a policy change needs
    (for grupo-alvorada, an example client, in next week's window)."""
    return land(
        history,
        {
            rdm_path(rdm_id): rdm(rdm_id, ["grupo-alvorada"], window="2026-12-10"),
            CLUSTER: cluster_text,
        },
        opened,
        **kwargs,
    )


def test_a_direct_push_to_the_cluster_policy_does_not_ride_along(history, env, run_rdm):
    """Someone pushes a wider `controllerNamespace` straight onto main; the committee then
    approves an RDM for a client. Every client is rendered at the RDM's merge commit with
    policy/cluster.yaml as it stands there: before the fix the push went out with it."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    pushed = history.push({CLUSTER: widened(history)}, at(30, 9))
    _, merge = land(history, {rdm_path("RDM-2026-0251"): rdm("RDM-2026-0251", [ORG])}, at(30, 10))

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0251")
    assert kind == "deferred", reasons
    assert reasons[0] == ridden(
        "RDM-2026-0251",
        merge,
        pushed,
        "without a pull request (a direct push or a bypass; `rdm audit` tells)",
    )


def test_a_cluster_policy_merged_without_consensus_does_not_ride_along(history, env, run_rdm):
    """The change to policy/cluster.yaml comes through a PR with two approvals and a status
    posted by hand, with an RDM of next week's window: that RDM will be refused in its
    window, but before the fix its policy change went out this week with another RDM."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    pull, changed = policy_pull(
        history, "RDM-2026-0252", widened(history), at(30, 8), approvers=CM[:2], poster="mallory"
    )
    _, merge = land(history, {rdm_path("RDM-2026-0253"): rdm("RDM-2026-0253", [ORG])}, at(30, 12))

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0253")
    assert kind == "deferred", reasons
    assert reasons[0] == ridden(
        "RDM-2026-0253",
        merge,
        changed,
        f"through PR #{pull.number}, merged without the CM's approval (the verdict recomputed "
        "from its reviews as they stood at the merge is pending)",
    )


def test_a_cluster_policy_put_back_as_it_was_no_longer_blocks(history, env, run_rdm):
    """What held: once policy/cluster.yaml is back byte for byte as it stood when the client
    came in, the push before it reaches no client, and the approved RDM runs."""
    history.seed(at(2, 9), {PATH: topology(ORG, 1)})
    original = text(history, CLUSTER)
    history.push({CLUSTER: widened(history)}, at(30, 8))
    history.push({CLUSTER: original}, at(30, 9), "revert")
    land(history, {rdm_path("RDM-2026-0254"): rdm("RDM-2026-0254", [ORG])}, at(30, 10))

    kind, reasons = outcome(dry_run(run_rdm, history), "RDM-2026-0254")
    assert kind == "dry-run", reasons


@pytest.mark.cluster
def test_an_approved_cluster_policy_goes_out_with_the_next_rdm(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """What must hold: a change to policy/cluster.yaml the committee approved (another
    ingress class and controller namespace) reaches the client with its next approved RDM."""
    org = f"atk{secrets.token_hex(2)}-p"
    path = f"topologies/{org}.yaml"
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        history.seed(at(2, 9), {path: topology(org, 1)})
        approved = set_value(
            set_value(text(history, CLUSTER), "className: nginx", "className: nginx-interno"),
            CONTROLLER,
            "controllerNamespace: {kubernetes.io/metadata.name: ingress-interno}",
        )
        policy_pull(history, "RDM-2026-0255", approved, at(30, 8))
        land(history, {rdm_path("RDM-2026-0256"): rdm("RDM-2026-0256", [org])}, at(30, 12))

        code, report = rollout(run_rdm, history)
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0256", "executed")
        ], report
        assert code == 0
        status = kube.get(NETWORK_POLICY, "rdm-ingress-protheus-status", org)
        assert status is not None
        [rule] = status["spec"]["ingress"]
        selector = {"kubernetes.io/metadata.name": "ingress-interno"}
        assert rule["from"] == [{"namespaceSelector": {"matchLabels": selector}}]
        ingress = kube.get(INGRESS, "protheus-producao", org)
        assert ingress is not None and ingress["spec"]["ingressClassName"] == "nginx-interno"
    finally:
        cluster.delete_namespace(org)


@pytest.mark.cluster
def test_a_push_to_the_cluster_policy_after_the_live_revision_blocks_the_next_rdm(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """The client runs RDM-0257 in one window (the Namespace says at which revision); then
    someone pushes a wider controllerNamespace; the next week's approved RDM-0258 would
    have taken it onto the client's NetworkPolicies. Deferred, and the cluster untouched."""
    from rdm.model.kube import APPLIED_RDM, NAMESPACE, annotations_of

    org = f"atk{secrets.token_hex(2)}-q"
    path = f"topologies/{org}.yaml"
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        history.seed(at(2, 9), {path: topology(org, 1)})
        land(history, {rdm_path("RDM-2026-0257"): rdm("RDM-2026-0257", [org])}, at(30, 9))
        code, report = rollout(run_rdm, history)
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0257", "executed")
        ], report

        pushed = history.push({CLUSTER: widened(history)}, at(4, 9, month=12))
        _, merge = land(
            history,
            {rdm_path("RDM-2026-0258"): rdm("RDM-2026-0258", [org], window="2026-12-10")},
            at(4, 10, month=12),
        )
        code, report = rollout(run_rdm, history, "2026-12-10T00:05:00-03:00")
        kind, reasons = outcome(report, "RDM-2026-0258")
        assert kind == "deferred", reasons
        assert reasons[0] == ridden(
            "RDM-2026-0258",
            merge,
            pushed,
            "without a pull request (a direct push or a bypass; `rdm audit` tells)",
        )
        assert code == 1
        assert annotations_of(kube.get(NAMESPACE, org))[APPLIED_RDM] == "RDM-2026-0257"
        status = kube.get(NETWORK_POLICY, "rdm-ingress-protheus-status", org)
        assert status is not None
        selector = {"kubernetes.io/metadata.name": "ingress-nginx"}
        [rule] = status["spec"]["ingress"]
        assert rule["from"] == [{"namespaceSelector": {"matchLabels": selector}}]
    finally:
        cluster.delete_namespace(org)


# ------------------------------------------------------- a record is of one merge


@pytest.mark.cluster
def test_an_rdm_edited_after_it_ran_is_a_new_change_in_its_window(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """RDM-0261 runs at the start of the window; then a PR the committee approved before
    the deadline, editing RDM-0261 (one more TSS replica), merges, and so does RDM-0262 on
    the same client. Before the fix the record of the first version made RDM-0261 look
    done: its new version never ran, and RDM-0262, whose merge commit holds that change,
    stayed blocked behind it for the whole window."""
    from rdm.edges import notes
    from rdm.model.kube import APPLIED_RDM, APPLIED_REVISION, DEPLOYMENT, NAMESPACE, annotations_of

    org = f"atk{secrets.token_hex(2)}-r"
    path = f"topologies/{org}.yaml"
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        history.seed(at(2, 9), {path: topology(org, 1)})
        first = rdm("RDM-2026-0261", [org])
        land(
            history,
            {
                rdm_path("RDM-2026-0261"): first,
                path: set_value(text(history, path), "MaxStringSize: 20}", "MaxStringSize: 30}"),
            },
            at(30, 9),
        )
        # Both PRs are opened (and approved) before the deadline, and merge in the window.
        edit = history.open(
            {
                rdm_path("RDM-2026-0261"): first.replace(
                    "Uma mudança da semana de teste.", "Também uma réplica a mais do TSS."
                ),
                path: set_value(
                    text(history, path),
                    "protheus-tss:\n    replicas: 1",
                    "protheus-tss:\n    replicas: 2",
                ),
            },
            "eduardo-gmud",
            at(30, 13),
        )
        history.approve(edit, CM, at(30, 14))
        other = history.open(
            {
                rdm_path("RDM-2026-0262"): rdm("RDM-2026-0262", [org]),
                path: set_value(
                    text(history, path),
                    "protheus-license:\n    replicas: 1",
                    "protheus-license:\n    replicas: 2",
                ),
            },
            "eduardo-gmud",
            at(30, 15),
        )
        history.approve(other, CM, at(30, 16))

        code, report = rollout(run_rdm, history)
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0261", "executed")
        ], report

        edited = history.merge(edit, at(3, 0, 30, month=12))
        last = history.merge(other, at(3, 0, 40, month=12))
        code, report = rollout(run_rdm, history, "2026-12-03T01:00:00-03:00")
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0261", "executed"),
            ("RDM-2026-0262", "executed"),
        ], report
        assert code == 0
        namespace = annotations_of(kube.get(NAMESPACE, org))
        assert (namespace[APPLIED_RDM], namespace[APPLIED_REVISION]) == ("RDM-2026-0262", last)
        tss = kube.get(DEPLOYMENT, "protheus-tss", org)
        assert tss is not None and tss["spec"]["replicas"] == 2
        records, errors = notes.read_all(history.root)[edited]
        assert not errors
        assert [(r.rdm_id, str(r.outcome), r.merge_commit) for r in records] == [
            ("RDM-2026-0261", "executed", edited)
        ]

        # Idempotent still: a third run in the window finds both versions recorded.
        code, report = rollout(run_rdm, history, "2026-12-03T01:30:00-03:00")
        assert (code, report["rdms"]) == (0, [])
    finally:
        cluster.delete_namespace(org)


# ---------------------------------------------------------------- dependsOn that did not run


def depends_history(history: History, orgs: list[str]) -> dict[str, str]:
    """RDM-0221 merged without consensus (refused at rollout); RDM-0222 depends on it;
    RDM-0223 depends on an RDM that does not exist; RDM-0224 (P1) and RDM-0225, which
    depends on it, both approved; RDM-0226 depends on next week's RDM-0227. Each its own
    client. Returns the merge commits."""
    history.seed(at(2, 9), {f"topologies/{org}.yaml": topology(org, 1) for org in orgs})
    merges: dict[str, str] = {}
    plan = [
        ("RDM-2026-0221", orgs[0], {}, CM[:2], "mallory"),
        ("RDM-2026-0222", orgs[1], {"dependsOn": ["RDM-2026-0221"]}, CM, APP),
        ("RDM-2026-0223", orgs[2], {"dependsOn": ["RDM-2026-0999"]}, CM, APP),
        ("RDM-2026-0224", orgs[3], {"impact": "high", "urgency": "high"}, CM, APP),
        ("RDM-2026-0225", orgs[4], {"dependsOn": ["RDM-2026-0224"]}, CM, APP),
        ("RDM-2026-0227", orgs[0], {"window": "2026-12-10"}, CM, APP),
        ("RDM-2026-0226", orgs[5], {"dependsOn": ["RDM-2026-0227"]}, CM, APP),
    ]
    for hour, (rdm_id, org, extra, approvers, poster) in enumerate(plan):
        path = f"topologies/{org}.yaml"
        _, merges[rdm_id] = land(
            history,
            {
                rdm_path(rdm_id): rdm(rdm_id, [org], **extra),
                path: set_value(
                    text(history, path),
                    "protheus-tss:\n    replicas: 1",
                    "protheus-tss:\n    replicas: 2",
                )
                if rdm_id != "RDM-2026-0227"
                else set_value(text(history, path), "MaxStringSize: 20}", "MaxStringSize: 99}"),
            },
            at(27, 8 + hour),
            approvers=approvers,
            poster=poster,
        )
    return merges


HELD = {
    "RDM-2026-0222": "blocked: retida: depende de RDM-2026-0221 (dependsOn), que foi recusada; "
    "a próxima execução tenta de novo",
    "RDM-2026-0223": "blocked: retida: depende de RDM-2026-0999 (dependsOn), que não existe no "
    "branch padrão; a próxima execução tenta de novo",
    "RDM-2026-0226": "blocked: retida: depende de RDM-2026-0227 (dependsOn), que ainda não foi "
    "executada; a próxima execução tenta de novo",
}


def test_a_hold_is_shown_by_history_and_list(history, env, run_rdm):
    """The record a hold leaves (as the rollout writes it) is what `rdm history` and
    `rdm list` show; a later execution of the same RDM wins over it in `rdm list`."""
    from datetime import date

    from rdm.edges import notes
    from rdm.model.records import ExecutionRecord, Outcome

    merges = depends_history(history, [f"dep-{n}" for n in range(6)])
    when = at(3, 0, 5, month=12)
    held = ExecutionRecord(
        rdm_id="RDM-2026-0222",
        outcome=Outcome.HELD,
        merge_commit=merges["RDM-2026-0222"],
        revision=merges["RDM-2026-0222"],
        started_at=when,
        finished_at=when,
        estimated_duration=timedelta(minutes=30),
        rollback_declared=timedelta(minutes=15),
        window=date(2026, 12, 3),
        reasons=(HELD["RDM-2026-0222"],),
    )
    notes.append(history.root, merges["RDM-2026-0222"], [held])
    code, out, _ = run_rdm("history", "RDM-2026-0222", "--repo", str(history.root))
    assert code == 0
    lines = out.splitlines()
    assert (
        "  2026-12-03 00:05 -03:00  retida: uma RDM do seu dependsOn não tinha sido executada: "
        f"sem PR em {merges['RDM-2026-0222'][:12]}, 0 s"
    ) in lines, out
    assert f"    {HELD['RDM-2026-0222']}" in lines, out
    code, out, _ = run_rdm(
        "list",
        "--repo",
        str(history.root),
        "--at",
        "2026-12-03T00:30:00-03:00",
        "--format",
        "json",
    )
    states = {r["id"]: r["state"] for r in json.loads(out)["rdms"]}
    assert (states["RDM-2026-0222"], states["RDM-2026-0224"]) == ("held", "scheduled"), out


def test_an_rdm_whose_depends_on_did_not_run_is_held_in_a_dry_run(history, env, run_rdm):
    depends_history(history, [f"dep-{n}" for n in range(6)])
    report = dry_run(run_rdm, history)
    assert outcome(report, "RDM-2026-0221")[0] == "refused"
    for rdm_id, reason in HELD.items():
        assert outcome(report, rdm_id) == ("held", [reason])
    assert outcome(report, "RDM-2026-0224")[0] == "dry-run"
    assert outcome(report, "RDM-2026-0225")[0] == "dry-run"  # after its dependency, this run
    assert sorted(report["remaining"]) == sorted(HELD)


@pytest.mark.cluster
def test_an_rdm_whose_depends_on_did_not_run_is_held_recorded_once_and_shown(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """Before the fix `dependsOn` only ordered the RDMs due in the same run: RDM-0222 was
    applied although RDM-0221, which it depends on, was refused; so was RDM-0223, whose
    dependency does not exist, and RDM-0226, whose dependency runs next week."""
    from rdm.edges import notes
    from rdm.model.kube import NAMESPACE

    tag = secrets.token_hex(2)
    orgs = [f"atk{tag}-d{n}" for n in range(6)]
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        merges = depends_history(history, orgs)
        code, report = rollout(run_rdm, history)
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0221", "refused"),
            ("RDM-2026-0224", "executed"),  # P1
            ("RDM-2026-0222", "held"),
            ("RDM-2026-0223", "held"),
            ("RDM-2026-0225", "executed"),  # its dependency ran earlier in this run
            ("RDM-2026-0226", "held"),
        ], report
        for rdm_id, reason in HELD.items():
            assert outcome(report, rdm_id)[1] == [reason]
        assert code == 1
        for org in (orgs[1], orgs[2], orgs[5]):
            assert kube.get(NAMESPACE, org) is None  # held: nothing applied
        assert kube.get(NAMESPACE, orgs[4]) is not None

        def held_records(rdm_id: str) -> list[tuple[str, tuple[str, ...]]]:
            records, errors = notes.read_all(history.root)[merges[rdm_id]]
            assert not errors
            return [(str(r.outcome), r.reasons) for r in records if r.rdm_id == rdm_id]

        assert held_records("RDM-2026-0222") == [("held", (HELD["RDM-2026-0222"],))]

        # The next run asks again, holds again, and does not pile up records.
        code, report = rollout(run_rdm, history, "2026-12-03T00:20:00-03:00")
        assert [(r["rdm"], r["outcome"]) for r in report["rdms"]] == [
            ("RDM-2026-0222", "held"),
            ("RDM-2026-0223", "held"),
            ("RDM-2026-0226", "held"),
        ], report
        assert code == 1
        assert held_records("RDM-2026-0222") == [("held", (HELD["RDM-2026-0222"],))]

        code, out, _ = run_rdm("history", "RDM-2026-0222", "--repo", str(history.root))
        assert code == 0
        assert f"    {HELD['RDM-2026-0222']}" in out.splitlines()
    finally:
        for org in orgs:
            cluster.delete_namespace(org)


def test_the_gate_says_the_hold_too(history, env, run_rdm):
    depends_history(history, [f"dep-{n}" for n in range(6)])
    code, out, _ = run_rdm("gate", "RDM-2026-0222", "--repo", str(history.root), "--at", THURSDAY)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "RDM-2026-0222: bloqueada em 2026-12-03 00:05 -03:00", out
    # The gate reads the records; RDM-0221's refusal is the rollout's to find and record.
    assert lines[1] == (
        "  blocked: retida: depende de RDM-2026-0221 (dependsOn), que ainda não foi executada; "
        "a próxima execução tenta de novo"
    )
    # RDM-0224 has not run yet: the gate, asked alone, holds RDM-0225 (the rollout runs
    # RDM-0224 first in the same run, and then RDM-0225).
    code, out, _ = run_rdm("gate", "RDM-2026-0225", "--repo", str(history.root), "--at", THURSDAY)
    assert code == 1
    assert out.splitlines()[1] == (
        "  blocked: retida: depende de RDM-2026-0224 (dependsOn), que ainda não foi executada; "
        "a próxima execução tenta de novo"
    )
    code, out, _ = run_rdm("gate", "RDM-2026-0224", "--repo", str(history.root), "--at", THURSDAY)
    assert code == 0, out


@pytest.mark.cluster
def test_a_forged_record_of_the_dependency_does_not_release_the_rdm_that_depends_on_it(
    cluster, kube, history, github, env, monkeypatch, run_rdm
):
    """RDM-0226 depends on next week's RDM-0227. Anyone who can push refs/notes/rdm writes
    a record saying RDM-0227 executed at its merge commit: the records alone would let
    RDM-0226 run; the cluster, where RDM-0227's client was never touched, says no."""
    from datetime import date

    from rdm.edges import notes
    from rdm.model.kube import NAMESPACE
    from rdm.model.records import ExecutionRecord, Outcome, TopologyOutcome, TopologyRecord

    tag = secrets.token_hex(2)
    orgs = [f"atk{tag}-f{n}" for n in range(6)]
    monkeypatch.setenv("RDM_ACTOR", "attack-test")
    try:
        merges = depends_history(history, orgs)
        when = at(2, 23, month=12)
        forged = ExecutionRecord(
            rdm_id="RDM-2026-0227",
            outcome=Outcome.EXECUTED,
            merge_commit=merges["RDM-2026-0227"],
            revision=merges["RDM-2026-0227"],
            started_at=when,
            finished_at=when + timedelta(minutes=1),
            estimated_duration=timedelta(minutes=30),
            rollback_declared=timedelta(minutes=15),
            window=date(2026, 12, 10),
            topologies=(
                TopologyRecord(orgs[0], TopologyOutcome.APPLIED, when, when + timedelta(minutes=1)),
            ),
        )
        notes.append(history.root, merges["RDM-2026-0227"], [forged])
        # A preview without a cluster takes the records at their word; with one, it asks
        # the cluster, as the real run does.
        assert outcome(dry_run(run_rdm, history), "RDM-2026-0226")[0] == "dry-run"
        monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
        assert outcome(dry_run(run_rdm, history), "RDM-2026-0226")[0] == "held"
        code, report = rollout(run_rdm, history)
        assert outcome(report, "RDM-2026-0226") == ("held", [HELD["RDM-2026-0226"]])
        assert code == 1
        assert kube.get(NAMESPACE, orgs[5]) is None
    finally:
        for org in orgs:
            cluster.delete_namespace(org)
