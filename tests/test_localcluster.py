"""The launcher itself (tools/controlplane/localcluster.py), without Go or a cluster:
it stops only what it started, reports a process that dies with its log, generates
kwok's stages and pins one Kubernetes release."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cluster_fixture import localcluster

HERE = Path(localcluster.__file__).resolve().parent


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def fake_state(state_dir: Path, name: str, pid: int, binary: str) -> None:
    (state_dir / "pids").mkdir(parents=True)
    (state_dir / "pids" / f"{name}.pid").write_text(f"{pid}\n")
    record = {"binaries": {name: binary}, "server": "https://127.0.0.1:1"}
    (state_dir / "cluster.json").write_text(json.dumps(record))


def test_down_never_stops_a_process_that_runs_another_binary(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    # a pid file naming a live process that is not the binary `up` started (a reused pid)
    fake_state(tmp_path, "etcd", sleeper.pid, "/nonexistent/etcd")
    assert localcluster.status(tmp_path).running == {}
    assert localcluster.down(tmp_path, log=lambda _: None) == []
    assert sleeper.poll() is None
    assert not (tmp_path / "pids").exists()


def test_down_stops_the_process_of_its_pid_file(tmp_path: Path) -> None:
    binary = tmp_path / "bin" / "etcd"
    binary.parent.mkdir()
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    process = subprocess.Popen([str(binary), "60"], start_new_session=True)
    try:
        fake_state(tmp_path / "state", "etcd", process.pid, str(binary))
        assert localcluster.status(tmp_path / "state").running == {"etcd": process.pid}
        assert localcluster.down(tmp_path / "state", log=lambda _: None) == ["etcd"]
        process.wait(timeout=10)  # down reaped it already (the exit status is lost): it is gone
        assert not Path(f"/proc/{process.pid}").exists()
    finally:
        if process.poll() is None:
            process.kill()


def test_a_process_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    versions = localcluster.pinned_versions()
    binaries = localcluster.Binaries(tmp_path / "bin", versions)
    binaries.directory.mkdir()
    for name in localcluster.BINARIES:
        script = binaries[name]
        script.write_text("#!/bin/sh\necho 'listen tcp: bind: address in use' >&2\nexit 3\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    binaries.stages.write_text("")
    state = tmp_path / "state"
    with pytest.raises(localcluster.ControlPlaneError) as error:
        localcluster.up(state, binaries=binaries, log=lambda _: None)
    message = str(error.value)
    assert "etcd exited with code 3 while waiting for etcd /health" in message
    assert "address in use" in message
    assert not (state / "pids").exists()
    assert not (state / "cluster.json").exists()
    assert (state / "logs" / "etcd.log").exists()


def test_a_kubeconfig_round_trips_to_a_connection(tmp_path: Path) -> None:
    pki = localcluster.make_pki(tmp_path / "pki")
    config = localcluster.kubeconfig("https://127.0.0.1:6443", pki, "admin")
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    connection = localcluster.Connection.from_kubeconfig(path, tmp_path / "scratch")
    assert connection.server == "https://127.0.0.1:6443"
    assert connection.ca_cert.read_bytes() == pki.ca_cert.read_bytes()
    assert connection.client_cert and connection.client_key
    assert connection.client_cert.read_bytes() == pki.cert("admin").read_bytes()
    assert oct(connection.client_key.stat().st_mode & 0o777) == "0o600"
    connection.ssl_context()  # the key matches the certificate


def test_the_admin_certificate_is_a_system_master(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    pki = localcluster.make_pki(tmp_path / "pki")
    admin = x509.load_pem_x509_certificate(pki.cert("admin").read_bytes())
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "system:masters"
    )
    serving = x509.load_pem_x509_certificate(pki.cert("apiserver").read_bytes())
    names = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}


def fake_kwok_source(root: Path) -> Path:
    stage = root / "kustomize" / "stage"
    (stage / "fast").mkdir(parents=True)
    (stage / "fast" / "kustomization.yaml").write_text("resources: [../node, ../pod]\n")
    sets = {"node": ["node-heartbeat-with-lease"], "pod": ["pod-ready", "pod-delete"]}
    for kind, names in sets.items():
        (stage / kind).mkdir()
        files = [f"{name}.yaml" for name in names]
        (stage / kind / "kustomization.yaml").write_text(yaml.safe_dump({"resources": files}))
        for name in names:
            doc = {
                "apiVersion": "kwok.x-k8s.io/v1alpha1",
                "kind": "Stage",
                "metadata": {"name": name},
                "spec": {
                    "selector": {
                        "matchExpressions": [
                            {"key": ".status.phase", "operator": "In", "values": ["Pending"]}
                        ]
                    },
                    "next": {"statusTemplate": "{{ $now := Now }}\nphase: Running\n"},
                },
            }
            (stage / kind / f"{name}.yaml").write_text(yaml.safe_dump(doc))
    return root


def test_kwok_stages_keep_labelled_pods_from_the_ready_stage(tmp_path: Path) -> None:
    text = localcluster.kwok_stages(fake_kwok_source(tmp_path / "kwok@v0.0.0"))
    stages = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(text)}
    assert list(stages) == [
        "node-heartbeat-with-lease",
        "pod-ready",
        "pod-delete",
        "rdm-pod-not-ready",
    ]
    label_key = f'.metadata.labels["{localcluster.NOT_READY_LABEL}"]'
    ready = stages["pod-ready"]["spec"]["selector"]["matchExpressions"]
    assert {"key": label_key, "operator": "NotIn", "values": ["false"]} in ready
    not_ready = stages["rdm-pod-not-ready"]["spec"]
    assert {"key": label_key, "operator": "In", "values": ["false"]} in not_ready["selector"][
        "matchExpressions"
    ]
    template = not_ready["next"]["statusTemplate"]
    assert "phase: Running" in template
    assert re.search(r"status: \"False\"\n\s+reason: ContainersNotReady", template)
    assert stages["pod-ready"]["spec"]["next"]["statusTemplate"].startswith("{{ $now := Now }}\n")


def test_one_kubernetes_release_is_pinned_everywhere() -> None:
    versions = localcluster.pinned_versions()
    assert re.fullmatch(r"v1\.\d+\.\d+", versions.kubernetes)
    staging = f"v0.{versions.kubernetes.split('.', 1)[1]}"
    text = (HERE / "kube" / "go.mod").read_text()
    replaced = re.findall(r"^\s+(k8s\.io/\S+) => (k8s\.io/\S+) (v\S+)$", text, re.MULTILINE)
    assert len(replaced) >= 25
    assert all(old == new and version == staging for old, new, version in replaced)
    for module in ("kube", "etcd", "kwok"):
        assert (HERE / module / "go.sum").stat().st_size > 0
        assert not list((HERE / module).glob("*.go")), "no Go code of those projects is committed"


def test_the_script_reports_a_cluster_that_is_not_running(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "localcluster.py"), "--state-dir", str(tmp_path), "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert done.returncode == 1
    assert "kube-apiserver" in done.stdout and "not running" in done.stdout


def test_the_schema_check_follows_the_control_planes_minor() -> None:
    from rdm.model import schemas
    from rdm.rendering import manifests

    assert localcluster.pinned_versions().minor == manifests.KUBERNETES_VERSION
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    assert schemas.kubernetes_errors(namespace, manifests.KUBERNETES_VERSION) == []


FAKE_ETCD = """#!{python}
import http.server, json, pathlib, sys
marker = pathlib.Path({marker!r})
if not marker.exists():
    marker.touch()
    print("listen tcp 127.0.0.1: bind: address already in use", file=sys.stderr)
    sys.exit(1)
url = next(a for a in sys.argv if a.startswith("--listen-client-urls="))
port = int(url.rsplit(":", 1)[1])

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"health": "true"}}).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


def test_a_port_taken_before_the_process_binds_it_is_retried(tmp_path: Path) -> None:
    binaries = localcluster.Binaries(tmp_path / "bin", localcluster.pinned_versions())
    binaries.directory.mkdir()
    for name in localcluster.BINARIES:
        script = binaries[name]
        if name == "etcd":
            marker = str(tmp_path / "first-try-done")
            script.write_text(FAKE_ETCD.format(python=sys.executable, marker=marker))
        else:
            script.write_text("#!/bin/sh\necho 'no API server here' >&2\nexit 3\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    binaries.stages.write_text("")
    said: list[str] = []
    with pytest.raises(localcluster.ControlPlaneError) as error:
        localcluster.up(tmp_path / "state", binaries=binaries, log=said.append)
    assert any("etcd: port" in line and "trying another" in line for line in said)
    assert "kube-apiserver exited with code 3" in str(error.value)
    assert "no API server here" in str(error.value)
    assert localcluster.status(tmp_path / "state").running == {}


def test_kwok_serves_the_nodes_kubelet_endpoint_with_a_certificate_of_the_run(
    tmp_path: Path,
) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    pki = localcluster.make_pki(tmp_path / "pki")
    kwok = x509.load_pem_x509_certificate(pki.cert("kwok").read_bytes())
    names = kwok.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {localcluster.NODE_IP}
    usage = kwok.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    client = x509.load_pem_x509_certificate(pki.cert("kubelet-client").read_bytes())
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "kube-apiserver-kubelet-client"
    )
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    kwok.verify_directly_issued_by(ca)
    client.verify_directly_issued_by(ca)
    node = localcluster.fake_node("kwok-node-0", 0)
    assert {"type": "InternalIP", "address": localcluster.NODE_IP} in node["status"]["addresses"]


def crd(kind: str, scope: str) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}.kwok.x-k8s.io"},
        "spec": {"group": "kwok.x-k8s.io", "names": {"kind": kind}, "scope": scope},
    }


def test_the_log_crds_come_from_kwoks_module_source(tmp_path: Path) -> None:
    bases = tmp_path / "kwok@v0.0.0" / "kustomize" / "crd" / "bases"
    bases.mkdir(parents=True)
    for kind, scope in (("Logs", "Namespaced"), ("ClusterLogs", "Cluster"), ("Stage", "Cluster")):
        (bases / f"kwok.x-k8s.io_{kind.lower()}.yaml").write_text(
            "---\n" + yaml.safe_dump(crd(kind, scope))
        )
    text = localcluster.kwok_crds(tmp_path / "kwok@v0.0.0")
    assert text.startswith("# Generated by tools/controlplane/localcluster.py")
    documents = list(yaml.safe_load_all(text))
    assert documents == [crd("Logs", "Namespaced"), crd("ClusterLogs", "Cluster")]
    (bases / "kwok.x-k8s.io_clusterlogs.yaml").write_text(yaml.safe_dump(crd("Stage", "Cluster")))
    with pytest.raises(localcluster.ControlPlaneError, match="is not the one CRD of ClusterLogs"):
        localcluster.kwok_crds(tmp_path / "kwok@v0.0.0")
    (bases / "kwok.x-k8s.io_logs.yaml").unlink()
    with pytest.raises(localcluster.ControlPlaneError, match="kwok's CRD of Logs is missing"):
        localcluster.kwok_crds(tmp_path / "kwok@v0.0.0")


def test_a_cache_built_before_the_crds_is_complete_only_with_them(tmp_path: Path) -> None:
    binaries = localcluster.Binaries(tmp_path, localcluster.pinned_versions())
    for name in (*localcluster.BINARIES, "versions.json", localcluster.STAGES_FILE):
        (tmp_path / name).write_text("")
    assert binaries.built and not binaries.complete
    binaries.crds.write_text("")
    assert binaries.complete


def node(port: object, ready: str = "True", taints: list[dict[str, str]] | None = None) -> dict:
    return {
        "spec": {"taints": taints or []},
        "status": {
            "conditions": [{"type": "Ready", "status": ready}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        },
    }


def test_a_node_is_schedulable_once_its_kubelet_endpoint_is_the_running_kwok() -> None:
    assert localcluster._schedulable(node(4242), 4242)
    assert not localcluster._schedulable(node(4141), 4242)  # an earlier kwok's port
    assert not localcluster._schedulable(node(0), 4242)
    assert not localcluster._schedulable(node(4242, ready="Unknown"), 4242)
    taint = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}
    assert not localcluster._schedulable(node(4242, taints=[taint]), 4242)


def test_cri_log_lines_are_what_the_kubelet_writes() -> None:
    import datetime as dt

    start = dt.datetime(2026, 5, 12, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    text = localcluster.cri_log(["one", "two \x1b[2J"], start, stream="stderr")
    assert text == (
        "2026-05-12T10:00:00.000000000Z stderr F one\n"
        "2026-05-12T10:00:01.000000000Z stderr F two \x1b[2J\n"
    )
    logs = localcluster.pod_logs("ns", "pod-1", {"c": Path("/l/c.log")}, {"c": Path("/l/p.log")})
    assert logs["spec"] == {
        "logs": [{"containers": ["c"], "logsFile": "/l/c.log", "previousLogsFile": "/l/p.log"}]
    }


class Answers:
    """A stand-in for `Connection.request` giving the API server's answers in turn."""

    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)

    def request(self, method: str, path: str, body: object = None, timeout: float = 10.0) -> object:
        return self.answers.pop(0)


def test_a_crd_is_established_only_once_the_server_says_so() -> None:
    established = {"status": {"conditions": [{"type": "Established", "status": "True"}]}}
    answers = Answers(
        (200, {"status": {"conditions": None}}),  # just created: the server has not looked yet
        (200, {"status": None}),
        (404, "not found"),
        (200, {"status": {"conditions": [{"type": "Established", "status": "False"}]}}),
        (200, established),
    )
    check = localcluster._established(answers, "/apis/x")  # type: ignore[arg-type]
    assert [check() for _ in range(5)] == [False, False, False, False, True]
    assert not localcluster._schedulable({"status": None, "spec": None}, 4242)
