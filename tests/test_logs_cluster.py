"""`rdm logs ORG_ID --tail N` against the real local control plane (tests/cluster_fixture.py).

The API server proxies `pods/log` to the node's kubelet endpoint; on the local
cluster kwok plays it and serves, for a container, the file a kwok `Logs`
object names (tools/controlplane/localcluster.py). So every line here is
written to a file in the kubelet's CRI format, read by kwok, streamed through
the real API server and printed by rdm's real entry point. The failures are
real too: a pod kwok has no log for (its 400), a service account whose role
does not reach `pods/log` (403), a node whose kubelet does not answer (the
API server's 500, retried, then exit 3). What only a hostile server would do
(a log that ignores `limitBytes`, a log sent one line at a time forever) comes
from the fault proxy in front of the API server.
"""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_fixture import Cluster, eventually, localcluster
from fault_proxy import Fault, FaultProxy, Request
from rdm.edges.cluster import KubeCluster, connect
from rdm.model.kube import POD, Invalid
from test_applier_cluster import rdm_in, topology_repo

pytestmark = pytest.mark.cluster

Run = Callable[..., tuple[int, str, str]]
START = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
OWNED = {"app.kubernetes.io/managed-by": "rdm"}


@pytest.fixture
def kube(cluster: Cluster) -> Iterator[KubeCluster]:
    client = connect(cluster.kubeconfig)
    yield client
    client.close()


def owned_pod(
    cluster: Cluster,
    namespace: str,
    name: str,
    *,
    app: str = "protheus-tss",
    containers: Sequence[str] = ("tss",),
    node: str | None = None,
    wait: bool = True,
) -> None:
    """A bare pod with the labels of the topology `namespace` (org id = namespace)."""
    spec: dict[str, Any] = {
        "containers": [{"name": c, "image": "protheus/x:1"} for c in containers]
    }
    if node:
        spec["nodeName"] = node  # bound without the scheduler: a node with no kubelet
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**OWNED, "rdm/org-id": namespace, "app": app},
        },
        "spec": spec,
    }
    pods = cluster.dynamic().resources.get(api_version="v1", kind="Pod")
    pods.create(body=body)
    if wait:
        eventually(
            f"{namespace}/{name} Running",
            lambda: pods.get(name=name, namespace=namespace).status.phase == "Running",
        )


def serve(
    cluster: Cluster,
    kube: KubeCluster,
    namespace: str,
    pod: str,
    files: dict[str, Path],
    previous: dict[str, Path] | None = None,
) -> None:
    """Make kwok serve `files[container]` as the container's log, and wait until it does."""
    logs = cluster.dynamic().resources.get(api_version="kwok.x-k8s.io/v1alpha1", kind="Logs")
    logs.create(body=localcluster.pod_logs(namespace, pod, files, previous))

    def served() -> bool:
        try:
            kube.pod_log(namespace, pod, next(iter(files)), limit_bytes=1, tail_lines=1)
        except Invalid:
            return False  # kwok has not seen the Logs object yet
        return True

    eventually(f"kwok serving the log of {namespace}/{pod}", served)


def log_file(path: Path, lines: Sequence[str], start: datetime = START, **cri: Any) -> Path:
    path.write_text(localcluster.cri_log(lines, start, **cri), encoding="utf-8")
    return path


def pod_names(kube: KubeCluster, namespace: str, app: str) -> list[str]:
    found = kube.list(POD, namespace=namespace, selector=f"app={app}")
    return sorted(p["metadata"]["name"] for p in found)


# ---------------------------------------------------------------- what the analyst reads


def test_tail_reads_each_pod_of_an_applied_topology_through_the_api_server(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    repo = topology_repo(tmp_path, org)
    code, out, err = rdm_in(cluster, run_rdm, "apply", org, "--repo", str(repo))
    assert code == 0, out + err
    appservers = pod_names(kube, org, "protheus-appserver-prod")
    dbaccess = pod_names(kube, org, "protheus-dbaccess")[0]
    assert len(appservers) == 2
    serve(
        cluster,
        kube,
        org,
        appservers[0],
        {
            "appserver": log_file(
                tmp_path / "appserver-0.log",
                [
                    "[INFO] AppServer 12.1.2410 iniciado",
                    "\x1b[31m[ERROR]\x1b[0m THREAD ERROR ([4508], user01)",
                    "\tat PROTHEUS.FATA010(FATA010.PRW) 12/05/2026 line: 231",
                    "[INFO] conexões ativas: 42\r",
                    "\x1b]0;pwned\x07[WARN] fim\u202edo log",
                ],
            )
        },
    )
    serve(
        cluster,
        kube,
        org,
        dbaccess,
        {"dbaccess": log_file(tmp_path / "dbaccess.log", ["[dbaccess] ouvindo 7890", "pronto"])},
    )

    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "4")
    assert code == 0, err
    first = f"[pod/{appservers[0]}]"
    assert out.splitlines() == [
        f"{first} \\x1b[31m[ERROR]\\x1b[0m THREAD ERROR ([4508], user01)",
        f"{first} \tat PROTHEUS.FATA010(FATA010.PRW) 12/05/2026 line: 231",
        f"{first} [INFO] conexões ativas: 42",
        f"{first} \\x1b]0;pwned\\x07[WARN] fim\\u202edo log",
        f"[pod/{dbaccess}] [dbaccess] ouvindo 7890",
        f"[pod/{dbaccess}] pronto",
    ]
    notes = err.splitlines()
    # 12 pods: two serve a log, ten have none (kwok answers 400 for them)
    assert len(notes) == 10
    assert notes[0] == (
        f"rdm: [pod/{appservers[1]}] sem log: 400 BadRequest: no logs found for container "
        f'"appserver" in pod "{org}/{appservers[1]}"'
    )
    assert all(" sem log: " in note for note in notes)

    code, out, err = rdm_in(
        cluster, run_rdm, "logs", org, "--workload", "protheus-dbaccess", "--tail", "1"
    )
    assert (code, out) == (0, f"[pod/{dbaccess}] pronto\n")
    assert (
        err.split(" sem log: ")[0] == f"rdm: [pod/{pod_names(kube, org, 'protheus-dbaccess')[1]}]"
    )

    code, out, err = rdm_in(
        cluster, run_rdm, "logs", org, "--workload", "protheus-tss", "--tail", "1"
    )
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == f"rdm: nenhuma linha de log do 1 pod de {org}"


def test_containers_previous_instance_since_and_timestamps(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    owned_pod(cluster, org, "appserver-a", app="protheus-appserver-prod", containers=("appserver",))
    owned_pod(
        cluster,
        org,
        "appserver-b",
        app="protheus-appserver-prod",
        containers=("appserver", "proxy"),
    )
    now = datetime.now(UTC)
    serve(
        cluster,
        kube,
        org,
        "appserver-a",
        {"appserver": log_file(tmp_path / "a.log", ["a1", "a2"])},
        previous={"appserver": log_file(tmp_path / "a-prev.log", ["a0: panic: out of memory"])},
    )
    serve(
        cluster,
        kube,
        org,
        "appserver-b",
        {
            "appserver": log_file(
                tmp_path / "b.log",
                ["b: old", "b: older than an hour", "b: recent"],
                now - timedelta(hours=3),
                step=timedelta(hours=1, minutes=20),
            ),
            "proxy": log_file(tmp_path / "proxy.log", ["proxy: up"], now - timedelta(minutes=1)),
        },
    )

    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "5")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "[pod/appserver-a] a1",
        "[pod/appserver-a] a2",
        "[pod/appserver-b/appserver] b: old",
        "[pod/appserver-b/appserver] b: older than an hour",
        "[pod/appserver-b/appserver] b: recent",
        "[pod/appserver-b/proxy] proxy: up",
    ]

    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "5", "--since", "1h")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "[pod/appserver-b/appserver] b: recent",
        "[pod/appserver-b/proxy] proxy: up",
    ]

    code, out, err = rdm_in(
        cluster, run_rdm, "logs", org, "--tail", "1", "--container", "proxy", "--timestamps"
    )
    assert code == 0
    stamp = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert re.fullmatch(rf"\[pod/appserver-b/proxy\] {stamp}\.\d{{9}}Z proxy: up\n", out)
    assert err == "rdm: [pod/appserver-a] não tem o contêiner proxy (seus contêineres: appserver)\n"

    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "3", "--previous")
    assert code == 0
    assert out == "[pod/appserver-a] a0: panic: out of memory\n"
    # kwok keeps no earlier instance of appserver-b's containers: the kubelet's 400, per container
    assert [line.split(" sem log: ")[0] for line in err.splitlines()] == [
        "rdm: [pod/appserver-b/appserver]",
        "rdm: [pod/appserver-b/proxy]",
    ]


def test_nothing_to_show_is_exit_1(
    cluster: Cluster, namespace: str, tmp_path: Path, run_rdm: Run
) -> None:
    org = namespace
    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "10")
    assert (code, out, err) == (1, "", f"rdm: nenhum pod de {org} no cluster\n")
    owned_pod(cluster, org, "tss-1")
    code, out, err = rdm_in(
        cluster, run_rdm, "logs", org, "--tail", "10", "--workload", "protheus-dbaccess"
    )
    assert (code, out, err) == (
        1,
        "",
        f"rdm: nenhum pod de protheus-dbaccess de {org} no cluster\n",
    )
    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "10")
    assert (code, out) == (1, "")
    assert err == (
        f'rdm: [pod/tss-1] sem log: 400 BadRequest: no logs found for container "tss" in pod '
        f'"{org}/tss-1"\n'
        f"rdm: nenhuma linha de log do 1 pod de {org}\n"
    )
    # a pod of the same labels in another org's namespace is not this org's
    code, out, err = rdm_in(cluster, run_rdm, "logs", "t-nobody-here", "--tail", "10")
    assert (code, err) == (1, "rdm: nenhum pod de t-nobody-here no cluster\n")


def test_a_log_past_the_byte_limit_is_cut_at_a_line(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    owned_pod(cluster, org, "tss-1")
    # 30 000 lines of 100 bytes (3 MiB): more than the 1 MiB rdm reads of one container
    lines = [f"{n:06d} " + "x" * 92 for n in range(30_000)]
    serve(cluster, kube, org, "tss-1", {"tss": log_file(tmp_path / "big.log", lines)})
    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "100000")
    assert code == 0
    shown = out.splitlines()
    whole = 1024 * 1024 // 100  # lines that fit whole in 1 MiB: the cut one is left out
    assert len(shown) == whole
    assert shown[0] == f"[pod/tss-1] {lines[0]}" and shown[-1] == f"[pod/tss-1] {lines[whole - 1]}"
    assert err == (
        "rdm: [pod/tss-1] log cortado em 1 MiB: peça menos linhas (--tail) ou um --since menor\n"
    )
    # the server's limitBytes is asked one byte over the limit: a log of exactly 1 MiB is whole
    code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "10")
    assert (code, err, len(out.splitlines())) == (0, "", 10)


# ---------------------------------------------------------------- the cluster fails


def token_kubeconfig(
    cluster: Cluster, namespace: str, role: dict[str, Any] | None, path: Path
) -> Path:
    """A kubeconfig of a new service account of `namespace`, bound to `role` if given."""
    account = f"reader-{len(list(path.parent.glob('*.kubeconfig')))}"
    request = cluster.connection.request
    code, body = request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account}},
    )
    assert code == 201, body
    if role is not None:
        rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
        code, body = request(
            "POST",
            f"{rbac}/roles",
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", **role},
        )
        assert code == 201, body
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": account},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": role["metadata"]["name"],
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        }
        code, body = request("POST", f"{rbac}/rolebindings", binding)
        assert code == 201, body
    code, body = request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 600},
        },
    )
    assert code == 201, body
    ca = base64.b64encode(cluster.ca_cert.read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": cluster.server, "certificate-authority-data": ca}}
        ],
        "users": [{"name": account, "user": {"token": body["status"]["token"]}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": account}}],
        "current-context": "c",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_forbidden_is_exit_3_with_the_servers_words(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    owned_pod(cluster, org, "tss-1")
    serve(cluster, kube, org, "tss-1", {"tss": log_file(tmp_path / "tss.log", ["ok"])})
    pods_only = {
        "metadata": {"name": "pods-only"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    }
    lister = token_kubeconfig(cluster, org, pods_only, tmp_path / "lister.kubeconfig")
    code, out, err = run_rdm("logs", org, "--tail", "1", "--kubeconfig", str(lister))
    assert (code, out) == (3, "")
    assert err == (
        'rdm: log of pod/tss-1 (tss): 403 Forbidden: pods "tss-1" is forbidden: User '
        f'"system:serviceaccount:{org}:reader-0" cannot get resource "pods/log" in API group '
        f'"" in the namespace "{org}"\n'
    )
    nobody = token_kubeconfig(cluster, org, None, tmp_path / "nobody.kubeconfig")
    code, out, err = run_rdm("logs", org, "--tail", "1", "--kubeconfig", str(nobody))
    assert (code, out) == (3, "")
    assert err == (
        f'rdm: list Pod: 403 Forbidden: pods is forbidden: User "system:serviceaccount:{org}:'
        f'reader-1" cannot list resource "pods" in API group "" in the namespace "{org}"\n'
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_kubelet_that_does_not_answer_is_exit_3_after_what_was_read(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster, run_rdm: Run
) -> None:
    org = namespace
    node = f"dead-{org}"
    nodes = cluster.dynamic().resources.get(api_version="v1", kind="Node")
    # a node no kwok manages, whose kubelet endpoint is a port nobody listens on
    nodes.create(
        body={
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}},
            "status": {
                "addresses": [{"type": "InternalIP", "address": localcluster.NODE_IP}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": free_port()}},
            },
        }
    )
    pods = cluster.dynamic().resources.get(api_version="v1", kind="Pod")
    try:
        owned_pod(cluster, org, "a-alive")
        serve(cluster, kube, org, "a-alive", {"tss": log_file(tmp_path / "a.log", ["vivo"])})
        owned_pod(cluster, org, "stranded", node=node, wait=False)
        code, out, err = rdm_in(cluster, run_rdm, "logs", org, "--tail", "1")
        assert (code, out) == (3, "[pod/a-alive] vivo\n")
        assert err.startswith("rdm: log of pod/stranded (tss): 500 ")
        assert "connection refused" in err and err.endswith(" (after 6 attempts)\n")
    finally:
        pods.delete(name="stranded", namespace=org, grace_period_seconds=0)
        nodes.delete(name=node)


# ---------------------------------------------------------------- a hostile server


@pytest.fixture
def proxied(cluster: Cluster, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """A kubeconfig whose server is a fault proxy in front of the API server."""
    proxies: list[FaultProxy] = []

    def start(plan: Callable[[Request], Fault | None]) -> Path:
        proxy = FaultProxy(cluster.server, cluster.connection.ssl_context(), plan).__enter__()
        proxies.append(proxy)
        path = tmp_path / f"proxy-{len(proxies)}.kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "p", "cluster": {"server": proxy.url}}],
            "users": [{"name": "u", "user": {}}],
            "contexts": [{"name": "p", "context": {"cluster": "p", "user": "u"}}],
            "current-context": "p",
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    yield start
    for proxy in proxies:
        proxy.__exit__()


def on_logs(fault: Fault) -> Callable[[Request], Fault | None]:
    return lambda request: fault if "/log?" in request.path else None


def test_a_log_that_ignores_limit_bytes_is_cut_by_rdm(
    cluster: Cluster, namespace: str, proxied: Callable[..., Path], run_rdm: Run
) -> None:
    org = namespace
    owned_pod(cluster, org, "tss-1")
    config = proxied(on_logs(Fault("flood")))
    code, out, err = run_rdm("logs", org, "--tail", "5", "--kubeconfig", str(config))
    assert code == 0
    line = "2026-05-12T10:00:00Z flood of a log that ignores limitBytes " + "x" * 64
    assert set(out.splitlines()) == {f"[pod/tss-1] {line}"}
    assert len(out.splitlines()) == 1024 * 1024 // (len(line) + 1)
    assert err == (
        "rdm: [pod/tss-1] log cortado em 1 MiB: peça menos linhas (--tail) ou um --since menor\n"
    )
    # the edge itself, with a small limit: never a byte more than asked
    kube = connect(config)
    try:
        read = kube.pod_log(org, "tss-1", "tss", limit_bytes=1000)
    finally:
        kube.close()
    assert (len(read.data), read.more, read.late) == (1000, True, False)


def test_a_log_that_never_ends_is_cut_at_the_deadline(
    cluster: Cluster, namespace: str, proxied: Callable[..., Path], run_rdm: Run
) -> None:
    org = namespace
    owned_pod(cluster, org, "tss-1")
    config = proxied(on_logs(Fault("drip", delay=0.2)))
    code, out, err = run_rdm(
        "logs", org, "--tail", "5", "--kubeconfig", str(config), "--request-timeout", "1"
    )
    assert code == 0
    assert out.startswith("[pod/tss-1] 2026-05-12T10:00:00Z flood of a log")
    assert err == (
        "rdm: [pod/tss-1] log cortado após 1 s de leitura: o resto não chegou a tempo "
        "(--request-timeout)\n"
    )


def test_log_reads_are_retried_like_every_request(
    cluster: Cluster, namespace: str, tmp_path: Path, kube: KubeCluster
) -> None:
    org = namespace
    owned_pod(cluster, org, "tss-1")
    serve(cluster, kube, org, "tss-1", {"tss": log_file(tmp_path / "tss.log", ["um", "dois"])})
    faults = iter([Fault("status", 503), Fault("drop"), Fault("status", 429, retry_after=1)])

    def plan(request: Request) -> Fault | None:
        return next(faults, None) if "/log?" in request.path else None

    with FaultProxy(cluster.server, cluster.connection.ssl_context(), plan) as proxy:
        sleeps: list[float] = []
        client = connect(cluster.kubeconfig, server=proxy.url, sleep=sleeps.append)
        read = client.pod_log(org, "tss-1", "tss", limit_bytes=3, tail_lines=2)
        assert (read.data, read.more, read.late) == (b"um\n", True, False)
        assert (client.requests, client.retries) == (4, 3)
        assert proxy.injected == {"status 503": 1, "drop": 1, "status 429": 1}
        # names are checked before they make a path: nothing is sent
        with pytest.raises(Invalid, match=r"'\.\./x' is not a pod name"):
            client.pod_log(org, "../x", "tss", limit_bytes=3)
        with pytest.raises(Invalid, match=r"'tss\?follow=true' is not a container name"):
            client.pod_log(org, "tss-1", "tss?follow=true", limit_bytes=3)
        assert client.requests == 4
        client.close()
