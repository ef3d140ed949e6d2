"""A week in the life: `rdm rollout --at ...` from Tuesday to Thursday morning, against the
real local control plane (tests/cluster_fixture.py), a real git history built in tmp,
the local GitHub (tests/merged_history.py) and a local server answering as Slack's
incoming webhooks do.

The week (window Thursday 2026-12-03 00:00-06:00 -03:00), five clients A..E:

- RDM-0101 (A, P3) and RDM-0102 (B, P2): approved, merged Tuesday: applied Thursday
  00:05, 0102 first (priority), each at its own merge commit;
- RDM-0103 (A, next week's window), merged Wednesday: not applied, not carried along;
- RDM-0105 (D): merged with a forged rdm/committee and two approvals: refused and
  recorded, flagged by `rdm audit`;
- RDM-0106 (E, P4): a bad release (pods that cannot be scheduled): rolled back
  automatically, its rollback time recorded against the declared one, Slack told;
- RDM-0107 (C): an emergency labelled by an emergency labeler on Wednesday: applied at
  once, Slack told before the cluster changed; RDM-0108 (D): an emergency labelled by an
  outsider: refused;
- RDM-0104 (C, standard): approved by a change manager during the night; at 05:50 its
  implementation + rollback no longer fit: deferred, with the reason.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluster_fixture import Cluster, eventually
from conftest import ROOT
from github_fake import SLUG
from merged_history import APP, CM, CME, History, MergingGitHub, at
from rdm.edges.cluster import KubeCluster, connect
from rdm.edges.slack import escape
from rdm.model.kube import APPLIED_RDM, APPLIED_REVISION, DEPLOYMENT, NAMESPACE, annotations_of

pytestmark = pytest.mark.cluster

HOOK = "/services/T0WEEK/B0WEEK/weekhooksecret"
HOMOLOG_BUILD = "registry.saas.local/protheus/appserver:12.1.2410-20261119"
TEMPLATE = ROOT / "topologies" / "metalurgica-sao-jorge.yaml"


def topology(org: str, number: int) -> str:
    """A client of its own, made from the example's Metalúrgica (own hosts and database)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("metalurgica-sao-jorge", org).replace("metalurgicasaojorge", org)
    return text.replace("P12_MSJ", f"P12_WEEK{number}")


def rdm(
    rdm_id: str,
    targets: list[str],
    *,
    kind: str = "normal",
    window: str | None = "2026-12-03",
    impact: str = "medium",
    urgency: str = "medium",
    estimated: str = "30m",
    rollback: str = "15m",
    **extra: Any,
) -> str:
    body: dict[str, Any] = {
        "id": rdm_id,
        "title": f"Mudança {rdm_id} da semana",
        "type": kind,
        "category": "configuracao",
        "requester": "eduardo-gmud",
        "description": "Uma mudança da semana de teste.",
        "technicalOpinion": {"author": "bruno-infra", "text": "Mudança simples.", "risk": "baixo"},
        "impact": impact,
        "urgency": urgency,
        "targets": targets,
        "environments": ["producao"],
        "estimatedDuration": estimated,
        "rollback": {"plan": "Restaurar o snapshot.", "estimatedDuration": rollback},
        "homologation": {
            "environment": "homologacao",
            "evidence": "Testado em homologação.",
            "testedBy": "fiscal-qa",
        },
        **extra,
    }
    if window is not None:
        body["window"] = window
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def emergency(rdm_id: str, targets: list[str]) -> str:
    return rdm(
        rdm_id,
        targets,
        kind="emergency",
        window=None,
        impact="high",
        urgency="high",
        estimated="20m",
        rollback="10m",
        incident="INC-31337",
        communication={
            "notified": True,
            "notice": "Prezados, indisponibilidade de até 20 minutos agora.",
            "notifiedAt": "2026-12-02T09:50:00-03:00",
        },
    )


def set_value(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture
def kube(cluster: Cluster) -> Iterator[KubeCluster]:
    client = connect(cluster.kubeconfig)
    yield client
    client.close()


class Slack:
    """Slack's incoming webhook, answering "ok"; each message with what the cluster held
    for the emergency's client when it arrived (Slack must be told first)."""

    def __init__(self, kube: KubeCluster, watched: str) -> None:
        self.server = HTTPServer(port=0)
        self.messages: list[tuple[str, str | None]] = []
        self.kube, self.watched = kube, watched
        self.server.expect_request(HOOK, method="POST").respond_with_handler(self.handle)
        self.server.start()

    def handle(self, request: Request) -> Response:
        namespace = self.kube.get(NAMESPACE, self.watched)
        applied = annotations_of(namespace).get(APPLIED_RDM) if namespace else None
        self.messages.append((json.loads(request.get_data(as_text=True))["text"], applied))
        return Response("ok", 200, content_type="text/plain")

    @property
    def url(self) -> str:
        return self.server.url_for(HOOK)


def records_of(history: History) -> dict[str, list[dict[str, Any]]]:
    """Every record in the notes, by RDM."""
    found: dict[str, list[dict[str, Any]]] = {}
    listing = history.repo.git.notes("--ref", "refs/notes/rdm", "list")
    for line in listing.splitlines():
        commit = line.split()[1]
        note = json.loads(history.repo.git.notes("--ref", "refs/notes/rdm", "show", commit))
        for record in note["records"]:
            assert record["mergeCommit"] == commit
            found.setdefault(record["rdm"], []).append(record)
    return found


def live(kube: KubeCluster, org: str, workload: str) -> dict[str, Any] | None:
    return kube.get(DEPLOYMENT, workload, org)


def test_a_week_in_the_life(
    cluster: Cluster, kube: KubeCluster, httpserver, tmp_path, monkeypatch, run_rdm
) -> None:
    tag = secrets.token_hex(2)
    a, b, c, d, e, f = (f"wk{tag}-{x}" for x in "abcdef")
    github = MergingGitHub(httpserver)
    history = History(tmp_path / "repo", github)
    slack = Slack(kube, c)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("RDM_SLACK_WEBHOOK", slack.url)
    monkeypatch.setenv("RDM_ACTOR", "week-test")
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "RDM_COMMITTEE_APP"):
        monkeypatch.delenv(name, raising=False)
    try:
        week(history, github, kube, slack, run_rdm, (a, b, c, d, e, f))
    finally:
        slack.server.stop()
        for org in (a, b, c, d, e, f):
            cluster.delete_namespace(org)


def rollout(run_rdm, history: History, instant: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_rdm(
        "rollout", "--repo", str(history.root), "--at", instant, "--format", "jsonl"
    )
    events = [json.loads(line) for line in out.splitlines()]
    assert events and events[-1]["event"] == "report", out + err
    return code, events[-1], err


def outcomes(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["rdm"], r["outcome"]) for r in report["rdms"]]


def week(history, github, kube, slack, run_rdm, orgs) -> None:
    a, b, c, d, e, f = orgs
    paths = {org: f"topologies/{org}.yaml" for org in orgs}
    files = {paths[org]: topology(org, n) for n, org in enumerate(orgs)}
    history.seed(at(2, 9), files)

    def text(org: str) -> str:
        return (history.root / paths[org]).read_text(encoding="utf-8")

    def land(rdm_id, body, changes, opened, approvers=CM, author="eduardo-gmud", forged=False):
        pull = history.open({f"rdms/2026/{rdm_id}.yaml": body, **changes}, author, opened)
        history.approve(pull, approvers, opened + timedelta(hours=1))
        poster = "mallory" if forged else APP
        github.post_status(pull.head, "success", poster, opened + timedelta(hours=1, minutes=1))
        return pull, history.merge(pull, opened + timedelta(hours=2))

    # ---- Tuesday: the committee approves; the PRs merge.
    _, m101 = land(
        "RDM-2026-0101",
        rdm("RDM-2026-0101", [a]),
        {paths[a]: set_value(text(a), "MaxStringSize: 20}", "MaxStringSize: 30}")},
        at(1, 13, month=12) - timedelta(days=3),  # opened on Saturday, in time
    )
    _, m102 = land(
        "RDM-2026-0102",
        rdm("RDM-2026-0102", [b], impact="high"),
        {paths[b]: set_value(text(b), "MaxStringSize: 20}", "MaxStringSize: 25}")},
        at(28, 13),
    )
    forged, m105 = land(
        "RDM-2026-0105",
        rdm("RDM-2026-0105", [d]),
        {paths[d]: set_value(text(d), "MaxStringSize: 20}", "MaxStringSize: 40}")},
        at(28, 14),
        approvers=CM[:2],
        forged=True,
    )
    _, m106 = land(
        "RDM-2026-0106",
        rdm("RDM-2026-0106", [e, f], impact="low", urgency="low", estimated="2m", rollback="5m"),
        # A release whose pods can never be scheduled on E (a bad release, found by the health
        # wait), and a harmless one on F: F goes back too, the RDM is all or nothing.
        {
            paths[e]: set_value(
                text(e),
                "memory: {request: 2Gi, limit: 4Gi}",
                "memory: {request: 900Gi, limit: 900Gi}",
            ),
            paths[f]: set_value(text(f), "MaxStringSize: 20}", "MaxStringSize: 21}"),
        },
        at(28, 15),
    )

    # Tuesday evening: nothing runs.
    code, report, _ = rollout(run_rdm, history, "2026-12-01T20:00:00-03:00")
    assert (code, report["rdms"]) == (0, [])
    assert all(kube.get(NAMESPACE, org) is None for org in orgs)

    # ---- Wednesday: next week's change merges; two emergencies.
    _, m103 = land(
        "RDM-2026-0103",
        rdm("RDM-2026-0103", [a], window="2026-12-10"),
        {
            paths[a]: set_value(
                text(a), "protheus-tss:\n    replicas: 1", "protheus-tss:\n    replicas: 2"
            )
        },
        at(2, 8, month=12),
    )
    good = history.open(
        {
            "rdms/2026/RDM-2026-0107.yaml": emergency("RDM-2026-0107", [c]),
            paths[c]: set_value(text(c), "MaxStringSize: 20}", "MaxStringSize: 22}"),
        },
        "plantao-noc",
        at(2, 9, 55, month=12),
    )
    good.label_at("emergency", "plantao-noc", at(2, 9, 56, month=12))
    history.approve(good, CME, at(2, 9, 58, month=12), forwarded=False)
    github.post_status(good.head, "success", APP, at(2, 9, 59, month=12))
    m107 = history.merge(good, at(2, 10, month=12))
    outsider = history.open(
        {"rdms/2026/RDM-2026-0108.yaml": emergency("RDM-2026-0108", [d])},
        "plantao-noc",
        at(2, 10, 10, month=12),
    )
    outsider.label_at("emergency", "estagiario-ti", at(2, 10, 11, month=12))
    history.approve(outsider, CME, at(2, 10, 12, month=12), forwarded=False)
    # The committee's App said pending (the label does not count); an admin merged anyway.
    github.post_status(outsider.head, "pending", APP, at(2, 10, 13, month=12))
    m108 = history.merge(outsider, at(2, 10, 15, month=12))

    code, report, _ = rollout(run_rdm, history, "2026-12-02T10:20:00-03:00")
    assert outcomes(report) == [("RDM-2026-0108", "refused"), ("RDM-2026-0107", "executed")], (
        json.dumps(report["rdms"])
    )
    assert code == 1
    namespace = kube.get(NAMESPACE, c)
    assert annotations_of(namespace)[APPLIED_REVISION] == m107
    # Slack heard of the emergency before the cluster changed, then the run's summary,
    # in the team's language.
    assert [m for m, _ in slack.messages] == [
        f":rotating_light: Emergência *RDM-2026-0107* (INC-31337) começa agora em {c}: "
        f"Mudança RDM-2026-0107 da semana. Aprovada pelo CME na PR #{good.number}; "
        "plano de rollback (10 min): Restaurar o snapshot.",
        ":white_check_mark: rdm rollout em 2026-12-02 10:20 -03:00 (shard 1/1): "
        "1 executada, 1 recusada; nenhuma outra RDM pendente\n"
        "• RDM-2026-0108 recusada: Mudança RDM-2026-0108 da semana\n"
        "• RDM-2026-0107 executada: Mudança RDM-2026-0107 da semana",
    ]
    assert slack.messages[0][1] is None
    del slack.messages[:]
    records = records_of(history)
    assert records["RDM-2026-0108"][0]["outcome"] == "refused"
    assert any(
        "emergency label added by @estagiario-ti, who is not in emergencyLabelers: ignored" in r
        for r in records["RDM-2026-0108"][0]["reasons"]
    )
    assert kube.get(NAMESPACE, d) is None

    # ---- Thursday 00:05: the window.
    code, report, _ = rollout(run_rdm, history, "2026-12-03T00:05:00-03:00")
    assert code == 1  # a refusal and a rollback
    assert outcomes(report) == [
        ("RDM-2026-0105", "refused"),
        ("RDM-2026-0102", "executed"),
        ("RDM-2026-0101", "executed"),
        ("RDM-2026-0106", "rolled-back"),
    ]
    records = records_of(history)
    assert records["RDM-2026-0105"][0]["mergeCommit"] == m105
    assert records["RDM-2026-0105"][0]["reasons"][0].startswith(
        f"blocked: PR #{forged.number} (merged in {m105[:12]}) was merged without the CM's approval"
    )
    first, second = records["RDM-2026-0102"][0], records["RDM-2026-0101"][0]
    assert first["startedAt"] < second["startedAt"]  # P2 before P3, though merged later
    assert (first["revision"], second["revision"]) == (m102, m101)
    assert [x["login"] for x in second["approvers"]] == list(CM)
    assert all(x["reviewId"] > 0 for x in second["approvers"])
    # A is at RDM-0101's merge commit: next week's RDM-0103 did not leak in.
    assert annotations_of(kube.get(NAMESPACE, a))[APPLIED_REVISION] == m101
    assert live(kube, a, "protheus-tss")["spec"]["replicas"] == 1
    assert m103 not in {r["revision"] for rs in records.values() for r in rs}
    bad = records["RDM-2026-0106"][0]
    assert (bad["outcome"], bad["mergeCommit"]) == ("rolled-back", m106)
    target, sibling = sorted(bad["topologies"], key=lambda t: t["orgId"] != e)
    assert target["orgId"] == e and sibling["orgId"] == f
    assert target["outcome"] == "rolled-back" and target["rollback"]["declaredSeconds"] == 300
    assert target["rollback"]["withinDeclared"] is True
    assert 0 <= target["rollback"]["seconds"] <= 300
    assert sibling["outcome"] == "rolled-back"
    assert sibling["rollback"]["reason"] == (
        f"RDM-2026-0106 failed on {e}: its other targets go back too"
    )
    # Both are back at their snapshots: nothing of them ran before.
    for org in (e, f):
        eventually(
            f"{org} back at its snapshot", lambda o=org: live(kube, o, "protheus-dbaccess") is None
        )
    back = [
        f"• {t['orgId']}: de volta ao snapshot {t['snapshot']} em {t['rollback']['seconds']} s "
        f"(dentro do tempo declarado de 5 min): {escape(t['rollback']['reason'][:300])}"
        for t in bad["topologies"]
    ]
    assert [m for m, _ in slack.messages] == [
        "\n".join([":warning: *RDM-2026-0106* revertida: Mudança RDM-2026-0106 da semana", *back]),
        ":white_check_mark: rdm rollout em 2026-12-03 00:05 -03:00 (shard 1/1): "
        "2 executadas, 1 revertida, 1 recusada; nenhuma outra RDM pendente\n"
        "• RDM-2026-0105 recusada: Mudança RDM-2026-0105 da semana\n"
        "• RDM-2026-0102 executada: Mudança RDM-2026-0102 da semana\n"
        "• RDM-2026-0101 executada: Mudança RDM-2026-0101 da semana\n"
        "• RDM-2026-0106 revertida: Mudança RDM-2026-0106 da semana",
    ]

    # A second run in the window does nothing already recorded.
    code, report, _ = rollout(run_rdm, history, "2026-12-03T00:20:00-03:00")
    assert (code, report["rdms"]) == (0, [])
    assert sum(len(rs) for rs in records_of(history).values()) == 6

    # ---- Thursday 05:40: a standard change approved by a change manager in the night.
    standard = rdm(
        "RDM-2026-0104",
        [c],
        kind="standard",
        template="patch-de-imagem-homologacao",
        environments=["homologacao"],
        impact="low",
        estimated="30m",
        rollback="20m",
    )
    pull = history.open(
        {
            "rdms/2026/RDM-2026-0104.yaml": standard,
            paths[c]: set_value(
                text(c),
                "  protheus-appserver-homolog:\n",
                f"  protheus-appserver-homolog:\n    image: {HOMOLOG_BUILD}\n",
            ),
        },
        "rh-sistemas-qa",
        at(3, 5, 30, month=12),
    )
    history.approve(pull, ("eduardo-gmud",), at(3, 5, 35, month=12), forwarded=False)
    github.post_status(pull.head, "success", APP, at(3, 5, 36, month=12))
    history.merge(pull, at(3, 5, 40, month=12))
    code, report, _ = rollout(run_rdm, history, "2026-12-03T05:50:00-03:00")
    assert code == 1
    assert outcomes(report) == [("RDM-2026-0104", "deferred")]
    assert report["rdms"][0]["reasons"][0] == (
        "blocked: implementation 30m + rollback 20m from 2026-12-03 05:50 -03:00 would end at "
        "2026-12-03 06:40 -03:00, after the window closes at 2026-12-03 06:00 -03:00; it had to "
        "start by 2026-12-03 05:10 -03:00"
    )
    assert "RDM-2026-0104" not in records_of(history)

    # The auditor's view: the forged merge is flagged.
    code, out, _ = run_rdm(
        "audit",
        "--repo",
        str(history.root),
        "--since",
        "2026-11-27",
        "--committee-app",
        "rdm-committee",
        "--format",
        "json",
    )
    assert code == 1
    flagged = {
        c["commit"]: [f["rule"] for f in c["findings"]]
        for c in json.loads(out)["commits"]
        if c["findings"]
    }
    assert flagged[m105] == ["no-consensus", "status-source"]
    assert flagged[m108] == ["no-consensus", "no-status"]
    assert m101 not in flagged and m107 not in flagged

    # And the chain, from git alone.
    code, out, _ = run_rdm("history", "RDM-2026-0106", "--repo", str(history.root))
    assert code == 0
    assert "revertida: PR #" in out and f"{e}: revertida, snapshot " in out
    assert "(dentro do tempo declarado de 5 min)" in out
