"""A real Kubernetes control plane on this machine, for the tests and the demo (issue 9).

`build` compiles kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
etcd and kwok from the Go modules pinned next to this file (`kube/`, `etcd/`,
`kwok/`: go.mod and go.sum only) into a cache outside the repository, keyed by
their versions: ``${XDG_CACHE_HOME:-~/.cache}/rdm/controlplane/<versions>/``.
`up` starts etcd, the API server (TLS with a CA made for the run, RBAC), the
controller manager, the scheduler and kwok, which plays the kubelets of a few
fake nodes: pods are scheduled and become Ready, but no container, image or
probe runs. `down` stops what `up` started. Usable as a library (the pytest
fixture in tests/cluster_fixture.py) and as a script::

    python tools/controlplane/localcluster.py build|up|down|status [--state-dir DIR]

A pod whose template carries the label ``rdm.test/ready: "false"`` is made
Running but never Ready (see `NOT_READY_LABEL`), so a test can play a bad release.

Pod logs: kwok also plays every node's kubelet endpoint (HTTPS with this run's CA,
at the nodes' InternalIP and daemonEndpoints port), so the API server's
``pods/log`` reaches it as it reaches a kubelet. kwok answers with the file that
a ``Logs`` object of kwok.x-k8s.io/v1alpha1 (in the pod's namespace, named after
the pod) or a ``ClusterLogs`` object (by namespace and pod name) gives for the
container, in the kubelet's CRI log format (see `cri_log`); a pod that has none
has no logs (400 from the API server). Whoever may create those objects makes
kwok read a file of this machine: here that is only the cluster's admin.

This module is not part of the rdm package and rdm never imports it. It must
never stop a process that `up` did not start (a pid counts only while its
executable is the binary `up` launched), never find processes by name, write no
machine-specific path into the repository, and never stand in for the API server.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import fcntl
import http.client
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_STATE_DIR = ROOT / "build" / "cluster"

KUBE_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
BINARIES = (*KUBE_COMMANDS, "etcd", "kwok")
STAGES_FILE = "kwok-stages.yaml"

# The controllers' and the scheduler's own client rate limits. Left at their
# defaults (20 and 50 requests/s, per controller), the ReplicaSet controller's
# pod creations alone cap every rollout on this cluster at a few topologies a
# second, whoever applies them: a benchmark would measure the limit, not the
# applier. kwok's own client has no limit, and kwokctl lifts these two the same
# way for its clusters; a production cluster's are its operator's choice.
CLIENT_RATE_FLAGS = ("--kube-api-qps=5000", "--kube-api-burst=10000")
CRDS_FILE = "kwok-crds.yaml"
# kwok's own CRDs for the pod logs it serves: a `Logs` object (namespaced, named after
# a pod) or a `ClusterLogs` (by namespace and pod name) maps a container to a log file
# on this machine, in the kubelet's CRI format. kwok reads them from the API server
# (`--enable-crds`), so a test or the demo gives pods logs with a plain create.
LOG_KINDS = ("Logs", "ClusterLogs")
# Stop order: the simulated kubelets first, the store last.
PROCESSES = ("kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd")

NOT_READY_LABEL = "rdm.test/ready"
"""Pods labelled ``rdm.test/ready: "false"`` run but never become Ready."""
FAKE_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
# Room for the benchmark's 1,000 topologies (9 Services each): a /24 filled up after 28.
SERVICE_CIDR = "10.0.0.0/16"
SERVICE_IP = "10.0.0.1"
POD_CIDR = "10.244.0.0/16"
# Every fake node's InternalIP: where kwok, playing their kubelets, listens. The API
# server reaches a node's kubelet there (pods/log, exec), at the node's daemonEndpoints
# port, which kwok sets from `--node-port`.
NODE_IP = "127.0.0.1"

Log = Callable[[str], None]


class ControlPlaneError(Exception):
    """The control plane could not be built, started or stopped; the message says why."""


class ToolchainMissing(ControlPlaneError):
    """No `go` on PATH: the binaries cannot be built here."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class Versions:
    """The pinned versions, read from our go.mod files (the only place they are written)."""

    kubernetes: str
    etcd: str
    kwok: str

    @property
    def key(self) -> str:
        return f"kubernetes-{self.kubernetes}_etcd-{self.etcd}_kwok-{self.kwok}"

    @property
    def minor(self) -> str:
        """The Kubernetes minor version, "1.35"."""
        return ".".join(self.kubernetes.lstrip("v").split(".")[:2])


def _required(module_dir: Path, module: str) -> str:
    text = (module_dir / "go.mod").read_text(encoding="utf-8")
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", text, re.MULTILINE)
    if not match:
        raise ControlPlaneError(f"{module_dir / 'go.mod'} does not require {module}")
    return match.group(1)


def pinned_versions() -> Versions:
    return Versions(
        kubernetes=_required(HERE / "kube", "k8s.io/kubernetes"),
        etcd=_required(HERE / "etcd", "go.etcd.io/etcd/server/v3"),
        kwok=_required(HERE / "kwok", "sigs.k8s.io/kwok"),
    )


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rdm" / "controlplane"


@dataclass(frozen=True)
class Binaries:
    """A complete set of built binaries and the kwok stages generated with them."""

    directory: Path
    versions: Versions

    def __getitem__(self, name: str) -> Path:
        if name not in BINARIES:
            raise KeyError(name)
        return self.directory / name

    @property
    def stages(self) -> Path:
        return self.directory / STAGES_FILE

    @property
    def crds(self) -> Path:
        return self.directory / CRDS_FILE

    @property
    def built(self) -> bool:
        """The compiled binaries are there (what takes many minutes to make)."""
        files = [self[name] for name in BINARIES] + [self.directory / "versions.json"]
        return all(path.is_file() for path in files)

    @property
    def complete(self) -> bool:
        return self.built and self.stages.is_file() and self.crds.is_file()


def cached_binaries(versions: Versions | None = None) -> Binaries | None:
    """The binaries of the pinned versions if a complete build is in the cache."""
    versions = versions or pinned_versions()
    binaries = Binaries(cache_root() / versions.key, versions)
    return binaries if binaries.complete else None


def go_toolchain() -> str | None:
    return shutil.which("go")


def build(log: Log = _say) -> Binaries:
    """The pinned binaries: from the cache, or built into it (a cold build takes many minutes)."""
    versions = pinned_versions()
    cached = cached_binaries(versions)
    if cached:
        log(f"control plane: reusing {cached.directory}")
        return cached
    go = go_toolchain()
    if go is None:
        raise ToolchainMissing(
            "the Go toolchain (`go`) is not on PATH: the control plane is built from its Go "
            f"modules (kubernetes {versions.kubernetes}, etcd {versions.etcd}, "
            f"kwok {versions.kwok}); install Go >= 1.26"
        )
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{versions.key}.lock"):
        cached = cached_binaries(versions)  # another build may have finished while we waited
        if cached:
            log(f"control plane: reusing {cached.directory}")
            return cached
        earlier = Binaries(root / versions.key, versions)
        if earlier.built:
            # built by an older localcluster.py: only the files generated from kwok's
            # module source are missing, no need to compile again
            return _generate(go, earlier, log)
        return _build(go, versions, root, log)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(go: str, versions: Versions, root: Path, log: Log) -> Binaries:
    target = root / versions.key
    partial = root / f"{versions.key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    build_log = root / f"{versions.key}.build.log"
    log(
        f"control plane: building kubernetes {versions.kubernetes}, etcd {versions.etcd} and "
        f"kwok {versions.kwok} from their Go modules into {target}.\n"
        "  A cold build downloads ~1-2 GB of modules and takes 15-30 minutes on 2 cores; "
        f"later runs reuse the result. Go's output: {build_log}"
    )
    env = {
        **os.environ,
        "CGO_ENABLED": "0",
        "GOTOOLCHAIN": "local",  # build with the Go that is here, never download another
        "GOFLAGS": "-mod=readonly -buildvcs=false",  # go.sum is the pin: never rewrite it
    }
    build_log.write_text("", encoding="utf-8")
    started = time.monotonic()

    kube = _module_info(go, HERE / "kube", f"k8s.io/kubernetes@{versions.kubernetes}", env)
    etcd = _module_info(go, HERE / "etcd", f"go.etcd.io/etcd/server/v3@{versions.etcd}", env)
    kwok = _module_info(go, HERE / "kwok", f"sigs.k8s.io/kwok@{versions.kwok}", env)

    steps: list[tuple[str, Path, list[str], list[str]]] = [
        (
            "etcd",
            HERE / "etcd",
            ["-X", f"go.etcd.io/etcd/api/v3/version.GitSHA={_commit(etcd)[:12]}"],
            ["go.etcd.io/etcd/server/v3"],
        ),
        ("kwok", HERE / "kwok", [], ["sigs.k8s.io/kwok/cmd/kwok"]),
        (
            ", ".join(KUBE_COMMANDS),
            HERE / "kube",
            _kube_version_ldflags(versions.kubernetes, kube),
            [f"k8s.io/kubernetes/cmd/{command}" for command in KUBE_COMMANDS],
        ),
    ]
    for number, (what, module_dir, ldflags, packages) in enumerate(steps, 1):
        log(f"control plane: [{number}/{len(steps)}] go build {what} ...")
        step_started = time.monotonic()
        output = partial / "etcd" if what == "etcd" else partial
        argv = [go, "build", "-trimpath", "-ldflags", " ".join(["-s", "-w", *ldflags])]
        argv += ["-o", f"{output}/" if output == partial else str(output), *packages]
        _run_logged(argv, module_dir, env, build_log)
        seconds = time.monotonic() - step_started
        log(f"control plane: [{number}/{len(steps)}] done in {seconds:.0f} s")

    kwok_source = Path(str(kwok["Dir"]))
    (partial / STAGES_FILE).write_text(kwok_stages(kwok_source), encoding="utf-8")
    (partial / CRDS_FILE).write_text(kwok_crds(kwok_source), encoding="utf-8")
    go_version = subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    record = {
        "kubernetes": versions.kubernetes,
        "etcd": versions.etcd,
        "kwok": versions.kwok,
        "go": go_version,
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started),
    }
    (partial / "versions.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    log(f"control plane: built in {time.monotonic() - started:.0f} s -> {target}")
    return Binaries(target, versions)


def _generate(go: str, binaries: Binaries, log: Log) -> Binaries:
    """Add the files generated from kwok's module source to a cache that lacks them."""
    versions = binaries.versions
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"}
    kwok = _module_info(go, HERE / "kwok", f"sigs.k8s.io/kwok@{versions.kwok}", env)
    kwok_source = Path(str(kwok["Dir"]))
    written = []
    for path, make in ((binaries.stages, kwok_stages), (binaries.crds, kwok_crds)):
        if not path.is_file():
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(make(kwok_source), encoding="utf-8")
            partial.rename(path)  # atomic: a reader sees the whole file or none
            written.append(path.name)
    log(f"control plane: reusing {binaries.directory} (generated {', '.join(written)})")
    return binaries


def _module_info(go: str, module_dir: Path, module: str, env: Mapping[str, str]) -> dict[str, Any]:
    """`go mod download -json` of a pinned module: its source directory and origin."""
    done = subprocess.run(
        [go, "mod", "download", "-json", module],
        cwd=module_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        info: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        info = {}
    if done.returncode != 0 or "Dir" not in info:
        raise ControlPlaneError(
            f"`go mod download {module}` failed in {module_dir}:\n"
            f"{info.get('Error') or done.stderr.strip() or done.stdout.strip()}"
        )
    return info


def _commit(info: Mapping[str, Any]) -> str:
    origin = info.get("Origin")
    return str(origin.get("Hash", "")) if isinstance(origin, dict) else ""


def _kube_version_ldflags(version: str, info: Mapping[str, Any]) -> list[str]:
    """The -X flags that make `/version` and `kubectl version` tell the truth."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitCommit": _commit(info),
        "gitTreeState": "clean",
        "buildDate": str(info.get("Time") or "1970-01-01T00:00:00Z").replace(".000", ""),
    }
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{name}={value}" for name, value in values.items() if value]
    return [part for flag in flags for part in flag.split(" ")]


def _run_logged(argv: Sequence[str], cwd: Path, env: Mapping[str, str], log_file: Path) -> None:
    with log_file.open("a", encoding="utf-8") as handle:
        handle.write(f"$ (cd {cwd} && {' '.join(argv)})\n")
        handle.flush()
        done = subprocess.run(
            list(argv), cwd=cwd, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise ControlPlaneError(
            f"`{' '.join(argv)}` failed (exit {done.returncode}) in {cwd}; "
            f"last lines of {log_file}:\n{_tail(log_file)}"
        )


# ------------------------------------------------------------------------- kwok stages


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings (kwok's Go templates) as literal blocks, as they were written."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)

# kwok's template function giving a pod its IPs (as its own pod-ready stage calls it)
_POD_IPS = (
    "PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid \"\" ) "
    "( or .metadata.name \"\" ) ( or .metadata.namespace \"\" )"
)
_NOT_READY_STAGE = f"""
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: rdm-pod-not-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: '.metadata.labels["{NOT_READY_LABEL}"]'
      operator: In
      values: ["false"]
    - key: .status.phase
      operator: In
      values: [Pending]
  weight: 1
  next:
    statusTemplate: |
      {{{{ $now := Now }}}}
      conditions:
      - lastTransitionTime: {{{{ $now | Quote }}}}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{{{ $now | Quote }}}}
        status: "False"
        reason: ContainersNotReady
        message: "{NOT_READY_LABEL}=false: kept not Ready on purpose"
        type: Ready
      - lastTransitionTime: {{{{ $now | Quote }}}}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      containerStatuses:
      {{{{ range .spec.containers }}}}
      - image: {{{{ .image | Quote }}}}
        name: {{{{ .name | Quote }}}}
        ready: false
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{{{ $now | Quote }}}}
      {{{{ end }}}}
      {{{{ with NodeIPsWith .spec.nodeName }}}}
      hostIP: {{{{ index . 0 | Quote }}}}
      {{{{ end }}}}
      {{{{ $ips := {_POD_IPS} }}}}
      {{{{ with $ips }}}}
      podIP: {{{{ index . 0 | Quote }}}}
      podIPs:
      {{{{ range . }}}}
      - ip: {{{{ . | Quote }}}}
      {{{{ end }}}}
      {{{{ end }}}}
      phase: Running
      startTime: {{{{ $now | Quote }}}}
"""


def kwok_stages(kwok_source: Path) -> str:
    """The stages kwok runs with: its own "fast" set, read from the module source of the
    pinned tag (so their text is never committed here), plus rdm's not-Ready stage.

    Given any pod stage, kwok uses only the stages it is given, so the whole set goes
    in one file. The default pod-ready stage learns to leave labelled pods alone;
    rdm-pod-not-ready takes them (Running, not Ready) and, as their phase is no longer
    Pending, never matches them again. kwok's pod-delete stage still deletes them.
    """
    stage_dir = kwok_source / "kustomize" / "stage"
    documents: list[dict[str, Any]] = []
    for path in _kustomize_resources(stage_dir / "fast"):
        documents += [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc]
    names = [doc["metadata"]["name"] for doc in documents]
    if "pod-ready" not in names or not any(n.startswith("node-heartbeat") for n in names):
        raise ControlPlaneError(f"unexpected kwok stages in {stage_dir / 'fast'}: {names}")
    for doc in documents:
        if doc["metadata"]["name"] == "pod-ready":
            doc["spec"]["selector"]["matchExpressions"].append(
                {
                    "key": f'.metadata.labels["{NOT_READY_LABEL}"]',
                    "operator": "NotIn",
                    "values": ["false"],
                }
            )
    documents.append(yaml.safe_load(_NOT_READY_STAGE))
    header = (
        f"# Generated by tools/controlplane/localcluster.py from {stage_dir.name}/fast of\n"
        f"# {kwok_source.name} (kwok's own stages) plus rdm-pod-not-ready.\n"
    )
    body = yaml.dump_all(documents, Dumper=_LiteralDumper, sort_keys=False, width=1000)
    return header + body


def kwok_crds(kwok_source: Path) -> str:
    """kwok's CustomResourceDefinitions of `LOG_KINDS`, as its module source has them."""
    bases = kwok_source / "kustomize" / "crd" / "bases"
    documents = []
    for kind in LOG_KINDS:
        path = bases / f"kwok.x-k8s.io_{kind.lower()}.yaml"
        try:
            found = [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc]
        except OSError as error:
            raise ControlPlaneError(f"kwok's CRD of {kind} is missing: {error}") from error
        if [doc.get("spec", {}).get("names", {}).get("kind") for doc in found] != [kind]:
            raise ControlPlaneError(f"{path} is not the one CRD of {kind}")
        documents += found
    header = (
        f"# Generated by tools/controlplane/localcluster.py: kwok's CRDs of "
        f"{' and '.join(LOG_KINDS)}\n# from kustomize/crd/bases of {kwok_source.name}.\n"
    )
    return header + yaml.dump_all(documents, Dumper=_LiteralDumper, sort_keys=False, width=1000)


def _kustomize_resources(directory: Path) -> list[Path]:
    """The files a kustomization lists, depth first (kwok's stage sets are plain lists)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    files: list[Path] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        files += _kustomize_resources(path) if path.is_dir() else [path]
    return files


# -------------------------------------------------------------------------------- PKI


@dataclass(frozen=True)
class Pki:
    """The files of the CA made for one run, under `directory`."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    def cert(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key"


# name -> (common name, organization) of each client certificate
CLIENTS = {
    "admin": ("rdm-admin", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", None),
    "kube-scheduler": ("system:kube-scheduler", None),
}


# The API server's identity towards the kubelets (kwok), as kubeadm names it.
KUBELET_CLIENT = ("kube-apiserver-kubelet-client", "system:masters")


def make_pki(directory: Path) -> Pki:
    """A CA for this run, the serving certificates of the API server and of kwok's kubelet
    endpoint, a client certificate for the admin (O=system:masters), for each component
    and for the API server towards the kubelets, and the service-account keys."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pki = Pki(directory)
    now = dt.datetime.now(dt.UTC)
    not_before, not_after = now - dt.timedelta(hours=1), now + dt.timedelta(days=365)

    def new_key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)

    def name(common: str, organization: str | None = None) -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
        if organization:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        return x509.Name(attributes)

    ca_key = new_key()
    ca_name = name("rdm-local-cluster-ca")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    write_key(pki.ca_key, ca_key)
    pki.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def issue(
        file: str, subject: x509.Name, usage: x509.ObjectIdentifier, sans: list[x509.GeneralName]
    ) -> None:
        key = new_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        write_key(pki.key(file), key)
        cert = builder.sign(ca_key, hashes.SHA256())
        pki.cert(file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    dns = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    ips = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address(SERVICE_IP)]
    issue(
        "apiserver",
        name("kube-apiserver"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        [*map(x509.DNSName, dns), *map(x509.IPAddress, ips)],
    )
    # the API server reaches the nodes' kubelet endpoint (kwok) at their InternalIP
    issue(
        "kwok",
        name("kwok-kubelet"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(NODE_IP))],
    )
    for file, (common, organization) in {**CLIENTS, "kubelet-client": KUBELET_CLIENT}.items():
        issue(file, name(common, organization), ExtendedKeyUsageOID.CLIENT_AUTH, [])
    service_accounts = new_key()
    write_key(pki.key("service-account"), service_accounts)
    pki.directory.joinpath("service-account.pub").write_bytes(
        service_accounts.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pki


def kubeconfig(server: str, pki: Pki, client: str) -> dict[str, Any]:
    """A self-contained kubeconfig (certificates inline) for one of `CLIENTS`."""

    def data(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode("ascii")

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "rdm-local",
                "cluster": {"server": server, "certificate-authority-data": data(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": client,
                "user": {
                    "client-certificate-data": data(pki.cert(client)),
                    "client-key-data": data(pki.key(client)),
                },
            }
        ],
        "contexts": [{"name": "rdm-local", "context": {"cluster": "rdm-local", "user": client}}],
        "current-context": "rdm-local",
    }


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ the running cluster


@dataclass(frozen=True)
class Connection:
    """How to reach a cluster: what tests and tools need, nothing else."""

    kubeconfig: Path
    server: str
    ca_cert: Path
    client_cert: Path | None = None
    client_key: Path | None = None

    def api_client(self) -> ApiClient:
        """A fresh `kubernetes.client.ApiClient` for this cluster (from the kubeconfig)."""
        from kubernetes import config

        client: ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig), persist_config=False
        )
        return client

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if self.client_cert and self.client_key:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 10.0
    ) -> tuple[int, Any]:
        """One HTTPS request with the client certificate: (status, parsed JSON or text)."""
        address = self.server.removeprefix("https://")
        host, _, port = address.partition(":")
        connection = http.client.HTTPSConnection(
            host, int(port or 443), context=self.ssl_context(), timeout=timeout
        )
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        try:
            return response.status, json.loads(text)
        except json.JSONDecodeError:
            return response.status, text

    @classmethod
    def from_kubeconfig(cls, path: Path, scratch: Path) -> Connection:
        """Read a kubeconfig's current context; inline certificates are written under `scratch`."""
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        context_name = config.get("current-context")
        contexts = {c["name"]: c["context"] for c in config.get("contexts", [])}
        context = contexts.get(context_name) or next(iter(contexts.values()))
        cluster = {c["name"]: c["cluster"] for c in config["clusters"]}[context["cluster"]]
        user = {u["name"]: u["user"] for u in config.get("users", [])}.get(context.get("user"), {})
        scratch.mkdir(parents=True, exist_ok=True, mode=0o700)

        def file(section: Mapping[str, Any], key: str, name: str) -> Path | None:
            if f"{key}-data" in section:
                target = scratch / name
                target.touch(mode=0o600)
                target.write_bytes(base64.b64decode(section[f"{key}-data"]))
                return target
            if key in section:
                return (path.parent / str(section[key])).resolve()
            return None

        ca = file(cluster, "certificate-authority", "ca.crt")
        if ca is None:
            raise ControlPlaneError(f"{path}: the cluster has no certificate authority")
        return cls(
            kubeconfig=path.resolve(),
            server=str(cluster["server"]),
            ca_cert=ca,
            client_cert=file(user, "client-certificate", "client.crt"),
            client_key=file(user, "client-key", "client.key"),
        )


@dataclass(frozen=True)
class StateDir:
    """Where `up` keeps what `down` needs: pid files, kubeconfig, PKI, logs."""

    path: Path

    @property
    def kubeconfig(self) -> Path:
        return self.path / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def pids(self) -> Path:
        return self.path / "pids"

    @property
    def pki(self) -> Pki:
        return Pki(self.path / "pki")

    @property
    def record(self) -> Path:
        return self.path / "cluster.json"

    def pid_file(self, name: str) -> Path:
        return self.pids / f"{name}.pid"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def read_record(self) -> dict[str, Any]:
        try:
            record: dict[str, Any] = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return record

    def connection(self) -> Connection:
        record = self.read_record()
        pki = self.pki
        return Connection(
            kubeconfig=self.kubeconfig,
            server=str(record["server"]),
            ca_cert=pki.ca_cert,
            client_cert=pki.cert("admin"),
            client_key=pki.key("admin"),
        )


def _executable(pid: int) -> str | None:
    """The executable of a live (not zombie) process, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        if stat.rpartition(")")[2].split()[0] == "Z":
            return None
        return str(Path(f"/proc/{pid}/exe").readlink()).removesuffix(" (deleted)")
    except (OSError, IndexError):
        return None


def _ours(state: StateDir, name: str) -> int | None:
    """The pid in `name`'s pid file if that process is alive and runs the binary `up` started."""
    try:
        pid = int(state.pid_file(name).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    expected = state.read_record().get("binaries", {}).get(name)
    executable = _executable(pid)
    if executable is None or expected is None:
        return None
    return pid if Path(executable) == Path(expected).resolve() else None


@dataclass(frozen=True)
class Status:
    state_dir: Path
    running: dict[str, int]
    missing: list[str]
    server: str | None

    @property
    def up(self) -> bool:
        return not self.missing

    @property
    def down(self) -> bool:
        return not self.running


def status(state_dir: Path = DEFAULT_STATE_DIR) -> Status:
    state = StateDir(state_dir)
    running, missing = {}, []
    for name in PROCESSES:
        pid = _ours(state, name)
        if pid is None:
            missing.append(name)
        else:
            running[name] = pid
    server = state.read_record().get("server")
    return Status(state_dir, running, missing, str(server) if server else None)


# ---------------------------------------------------------------------------- up/down


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"({path} is missing)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the process that started us dies, so a
    killed test run leaves no control plane behind (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)


# The processes this Python process started, so that stopping one also reaps it.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass
class _Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


class _Launcher:
    """Starts the processes of one cluster and remembers them, so that a failure half-way
    stops exactly what was started."""

    def __init__(self, state: StateDir, binaries: Binaries, tie_to_parent: bool, log: Log) -> None:
        self.state = state
        self.binaries = binaries
        self.tie_to_parent = tie_to_parent
        self.say = log
        self.started: dict[str, _Started] = {}

    def start(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> _Started:
        log_path = self.state.log(name)
        with log_path.open("wb") as handle:
            process = subprocess.Popen(
                [str(self.binaries[name]), *argv],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,  # a Ctrl-C in the terminal is not meant for them
                preexec_fn=_die_with_parent if self.tie_to_parent else None,
            )
        _CHILDREN[process.pid] = process
        self.state.pid_file(name).write_text(f"{process.pid}\n", encoding="utf-8")
        started = _Started(name, process, log_path)
        self.started[name] = started
        return started

    def start_listening(
        self,
        name: str,
        argv: Callable[[int], list[str]],
        what: str,
        ready: Callable[[int], Callable[[], bool]],
        timeout: float,
        watch: Sequence[str],
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, float]:
        """Start `name` on a free port and wait until `ready(port)`: (port, seconds). A free
        port can be taken by someone else before the process binds it (other clusters run
        on this machine too): then it starts again on another, up to 3 times."""
        for attempt in range(3):
            port = _free_port()
            started = self.start(name, argv(port), env)
            try:
                return port, self.wait(what, ready(port), timeout, [*watch, name])
            except ControlPlaneError:
                taken = "address already in use" in _tail(started.log, 50)
                if started.process.poll() is None or not taken or attempt == 2:
                    raise
                _CHILDREN.pop(started.process.pid, None)
                self.say(f"cluster: {name}: port {port} was taken meanwhile; trying another")
        raise AssertionError("unreachable")

    def wait(
        self,
        what: str,
        ready: Callable[[], bool],
        timeout: float,
        watch: Sequence[str],
    ) -> float:
        """Poll `ready` until it holds; fail early, with its log, if a watched process exits."""
        begin = time.monotonic()
        deadline = begin + timeout
        while True:
            for name in watch:
                started = self.started[name]
                code = started.process.poll()
                if code is not None:
                    raise ControlPlaneError(
                        f"{name} exited with code {code} while waiting for {what}; "
                        f"last lines of {started.log}:\n{_tail(started.log)}"
                    )
            with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
                if ready():
                    return time.monotonic() - begin
            if time.monotonic() > deadline:
                tails = "\n".join(
                    f"--- last lines of {self.started[n].log}:\n{_tail(self.started[n].log)}"
                    for n in watch
                )
                raise ControlPlaneError(
                    f"timed out after {timeout:.0f} s waiting for {what}\n{tails}"
                )
            time.sleep(0.1)


def up(
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    nodes: int = 3,
    binaries: Binaries | None = None,
    tie_to_parent: bool = False,
    log: Log = _say,
) -> Connection:
    """Start a control plane (or find the one already running in `state_dir`).

    `tie_to_parent` makes the processes die with the calling process (the pytest fixture
    uses it); `make cluster-up` leaves them running until `down`.
    """
    state = StateDir(state_dir)
    current = status(state_dir)
    if current.up and state.kubeconfig.exists():
        log(f"cluster: already running at {current.server} (kubeconfig {state.kubeconfig})")
        return state.connection()
    if current.running:
        raise ControlPlaneError(
            f"cluster in {state_dir} is partly running ({', '.join(current.running)} up; "
            f"{', '.join(current.missing)} not): run `down` first"
        )
    _remove_data(state)  # whatever a crashed run left
    binaries = binaries or cached_binaries()
    if binaries is None:
        raise ControlPlaneError("the control plane is not built: run `make controlplane` first")

    started_at = time.monotonic()
    data = Path(tempfile.mkdtemp(prefix="rdm-cluster-"))
    for folder in (state.logs, state.pids):
        folder.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "data_dir": str(data),
        "versions": {
            "kubernetes": binaries.versions.kubernetes,
            "etcd": binaries.versions.etcd,
            "kwok": binaries.versions.kwok,
        },
        "binaries": {name: str(binaries[name].resolve()) for name in PROCESSES},
    }
    state.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    launcher = _Launcher(state, binaries, tie_to_parent, log)
    try:
        connection = _start(launcher, state, data, record, nodes)
    except BaseException:
        _stop_started(launcher)
        _remove_data(state)
        raise
    log(
        f"cluster: up in {time.monotonic() - started_at:.1f} s at {connection.server} "
        f"(kubernetes {binaries.versions.kubernetes}, {nodes} kwok nodes); "
        f"kubeconfig {state.kubeconfig}, logs {state.logs}"
    )
    return connection


def _start(
    launcher: _Launcher, state: StateDir, data: Path, record: dict[str, Any], nodes: int
) -> Connection:
    timings: dict[str, float] = {}
    pki = make_pki(state.pki.directory)

    # etcd: a single member on free ports, no fsync (the data is thrown away)
    def etcd(port: int) -> list[str]:
        url, peer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{_free_port()}"
        return [
            "--name=rdm",
            f"--data-dir={data / 'etcd'}",
            f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=rdm={peer}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]

    def etcd_healthy(port: int) -> Callable[[], bool]:
        def healthy() -> bool:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/health")
                body = connection.getresponse().read()
            finally:
                connection.close()
            return bool(json.loads(body).get("health") == "true")

        return healthy

    etcd_port, timings["etcd"] = launcher.start_listening(
        "etcd", etcd, "etcd /health", etcd_healthy, 60, []
    )
    etcd_url = f"http://127.0.0.1:{etcd_port}"

    def apiserver(port: int) -> list[str]:
        return [
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={data / 'apiserver'}",
            f"--tls-cert-file={pki.cert('apiserver')}",
            f"--tls-private-key-file={pki.key('apiserver')}",
            f"--client-ca-file={pki.ca_cert}",
            "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={pki.directory / 'service-account.pub'}",
            f"--service-account-signing-key-file={pki.key('service-account')}",
            # the kubernetes Service's endpoint would be 127.0.0.1, which Endpoints reject
            "--endpoint-reconciler-type=none",
            # pods/log reaches kwok as a kubelet: at the node's InternalIP (the fake nodes
            # have no resolvable hostname), over TLS verified against this run's CA
            "--kubelet-preferred-address-types=InternalIP",
            f"--kubelet-certificate-authority={pki.ca_cert}",
            f"--kubelet-client-certificate={pki.cert('kubelet-client')}",
            f"--kubelet-client-key={pki.key('kubelet-client')}",
            "--profiling=false",
        ]

    def readyz(port: int) -> Callable[[], bool]:
        return lambda: connection_at(port).request("GET", "/readyz", timeout=5)[0] == 200

    def connection_at(port: int) -> Connection:
        return Connection(
            kubeconfig=state.kubeconfig,
            server=f"https://127.0.0.1:{port}",
            ca_cert=pki.ca_cert,
            client_cert=pki.cert("admin"),
            client_key=pki.key("admin"),
        )

    port, timings["kube-apiserver"] = launcher.start_listening(
        "kube-apiserver", apiserver, "kube-apiserver /readyz", readyz, 120, ["etcd"]
    )
    connection = connection_at(port)
    server = connection.server
    record["server"] = server
    state.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    def answers(path: str) -> Callable[[], bool]:
        return lambda: connection.request("GET", path, timeout=5)[0] == 200

    private = data / "kubeconfigs"
    for client in CLIENTS:
        _write_private(private / client, yaml.safe_dump(kubeconfig(server, pki, client)))
    launcher.start(
        "kube-controller-manager",
        [
            f"--kubeconfig={private / 'kube-controller-manager'}",
            "--leader-elect=false",
            "--secure-port=0",
            "--controllers=*",
            # each controller acts as its own service account, with its bootstrap RBAC role
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki.key('service-account')}",
            f"--root-ca-file={pki.ca_cert}",
            f"--cluster-signing-cert-file={pki.ca_cert}",
            f"--cluster-signing-key-file={pki.ca_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            *CLIENT_RATE_FLAGS,
        ],
    )
    launcher.start(
        "kube-scheduler",
        [
            f"--kubeconfig={private / 'kube-scheduler'}",
            "--leader-elect=false",
            "--secure-port=0",
            *CLIENT_RATE_FLAGS,
        ],
    )
    for index in range(nodes):
        node = fake_node(f"kwok-node-{index}", index)
        code, body = connection.request("POST", "/api/v1/nodes", node)
        if code != 201:
            name = node["metadata"]["name"]
            raise ControlPlaneError(f"creating node {name}: HTTP {code}: {body}")
    # kwok watches its Logs and ClusterLogs objects from the start: their kinds must be served
    for crd in yaml.safe_load_all(launcher.binaries.crds.read_text(encoding="utf-8")):
        if not crd:
            continue
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        code, body = connection.request("POST", path, crd)
        if code != 201:
            raise ControlPlaneError(f"creating {crd['metadata']['name']}: HTTP {code}: {body}")
        timings[crd["metadata"]["name"]] = launcher.wait(
            f"the CRD {crd['metadata']['name']} Established",
            _established(connection, f"{path}/{crd['metadata']['name']}"),
            30,
            ["kube-apiserver"],
        )
    kwok_dir = data / "kwok"
    kwok_dir.mkdir()

    def kwok(port: int) -> list[str]:
        return [
            f"--kubeconfig={private / 'admin'}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector={}={}".format(*FAKE_NODE_ANNOTATION),
            f"--config={launcher.binaries.stages}",
            # without node leases kwok renews a node every ~10 min and the node-lifecycle
            # controller marks it Unknown meanwhile (kwok issue #1464)
            "--node-lease-duration-seconds=40",
            f"--cidr={POD_CIDR}",
            # the kubelet endpoint of every node (the API server's pods/log goes there):
            # kwok's node stages publish --node-port as the nodes' daemonEndpoints port
            f"--server-address={NODE_IP}:{port}",
            f"--node-port={port}",
            f"--tls-cert-file={pki.cert('kwok')}",
            f"--tls-private-key-file={pki.key('kwok')}",
            f"--enable-crds={','.join(LOG_KINDS)}",
        ]

    def kwok_healthy(port: int) -> Callable[[], bool]:
        def healthy() -> bool:
            context = ssl.create_default_context(cafile=str(pki.ca_cert))
            https = http.client.HTTPSConnection(NODE_IP, port, context=context, timeout=2)
            try:
                https.request("GET", "/healthz")
                return https.getresponse().status == 200
            finally:
                https.close()

        return healthy

    kwok_port, timings["kwok"] = launcher.start_listening(
        "kwok",
        kwok,
        "kwok /healthz",
        kwok_healthy,
        60,
        ["kube-apiserver"],
        env={"KWOK_WORKDIR": str(kwok_dir)},
    )
    record["kubelet_port"] = kwok_port
    everyone = list(PROCESSES)
    timings["default namespace"] = launcher.wait(
        "the default namespace", answers("/api/v1/namespaces/default"), 60, everyone
    )

    def nodes_ready() -> bool:
        code, body = connection.request("GET", "/api/v1/nodes")
        return code == 200 and sum(_schedulable(n, kwok_port) for n in body["items"]) == nodes

    timings["nodes Ready"] = launcher.wait(
        f"{nodes} kwok nodes Ready and untainted", nodes_ready, 90, everyone
    )
    timings["default service account"] = launcher.wait(
        "the default ServiceAccount (kube-controller-manager)",
        answers("/api/v1/namespaces/default/serviceaccounts/default"),
        60,
        everyone,
    )
    record["timings"] = {k: round(v, 2) for k, v in timings.items()}
    state.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    # written last: a kubeconfig in the state dir means the cluster was ready
    _write_private(state.kubeconfig, yaml.safe_dump(kubeconfig(server, pki, "admin")))
    return connection


def _schedulable(node: Mapping[str, Any], kubelet_port: int) -> bool:
    """Ready, untainted, and its kubelet endpoint is the kwok that runs now."""
    status = node.get("status") or {}
    conditions = status.get("conditions") or []
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    taints = (node.get("spec") or {}).get("taints") or []
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    return (
        ready
        and port == kubelet_port
        and not any(t["key"].startswith("node.kubernetes.io/") for t in taints)
    )


def _established(connection: Connection, path: str) -> Callable[[], bool]:
    def established() -> bool:
        code, body = connection.request("GET", path, timeout=5)
        found = body if code == 200 and isinstance(body, dict) else {}
        # a CRD just created has `status.conditions: null` until the server looks at it
        conditions = (found.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    return established


def fake_node(name: str, index: int) -> dict[str, Any]:
    """A Node that kwok manages: no taint, so any pod may be scheduled on it."""
    capacity = {"cpu": "64", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {FAKE_NODE_ANNOTATION[0]: FAKE_NODE_ANNOTATION[1]},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24"},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": name},
            ],
        },
    }


def cri_log(
    lines: Sequence[str],
    start: dt.datetime,
    *,
    stream: str = "stdout",
    step: dt.timedelta = dt.timedelta(seconds=1),
) -> str:
    """`lines` in the kubelet's CRI log format, one full line (`F`) each, `step` apart
    from `start` (an aware time): what kwok serves as a container's log."""
    out = []
    for number, line in enumerate(lines):
        when = (start + number * step).astimezone(dt.UTC)
        out.append(f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond:06d}000Z {stream} F {line}\n")
    return "".join(out)


def pod_logs(
    namespace: str,
    pod: str,
    files: Mapping[str, Path],
    previous: Mapping[str, Path] | None = None,
) -> dict[str, Any]:
    """A kwok `Logs` object: container `c` of pod `pod` serves the file `files[c]`, and
    `previous[c]` as the log of its instance before the last restart."""
    logs = []
    for container, path in files.items():
        entry: dict[str, Any] = {"containers": [container], "logsFile": str(path)}
        if previous and container in previous:
            entry["previousLogsFile"] = str(previous[container])
        logs.append(entry)
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Logs",
        "metadata": {"name": pod, "namespace": namespace},
        "spec": {"logs": logs},
    }


def _stop_pid(pid: int, name: str, timeout: float = 15.0) -> None:
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.terminate()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _executable(pid) is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _stop_started(launcher: _Launcher) -> None:
    for name in PROCESSES:
        started = launcher.started.get(name)
        if started and started.process.poll() is None:
            _stop_pid(started.process.pid, name)
        elif started:
            _CHILDREN.pop(started.process.pid, None)


def _remove_data(state: StateDir) -> None:
    data = state.read_record().get("data_dir")
    if data and Path(data).name.startswith("rdm-cluster-"):
        shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(state.pids, ignore_errors=True)
    shutil.rmtree(state.pki.directory, ignore_errors=True)
    for path in (state.kubeconfig, state.record):
        path.unlink(missing_ok=True)


def down(state_dir: Path = DEFAULT_STATE_DIR, log: Log = _say) -> list[str]:
    """Stop the processes `up` started in `state_dir` (by pid file) and remove their data;
    the logs stay. Returns the names of the processes stopped."""
    state = StateDir(state_dir)
    stopped = []
    for name in PROCESSES:
        pid = _ours(state, name)
        if pid is not None:
            _stop_pid(pid, name)
            stopped.append(name)
    _remove_data(state)
    if stopped:
        log(f"cluster: stopped {', '.join(stopped)}; removed its data (logs kept in {state.logs})")
    else:
        log(f"cluster: nothing of ours was running in {state_dir}")
    return stopped


# -------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="localcluster.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where pid files, kubeconfig, PKI and logs go (default: build/cluster)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="build the binaries (or reuse the cache)")
    build_parser.add_argument(
        "--skip-without-go",
        action="store_true",
        help="outside CI, without Go, say the cluster tests will be skipped and exit 0",
    )
    up_parser = commands.add_parser("up", help="start the cluster (building it if needed)")
    up_parser.add_argument("--nodes", type=int, default=3, help="kwok nodes (default 3)")
    commands.add_parser("down", help="stop the cluster and remove its data")
    commands.add_parser("status", help="exit 0 when running")
    commands.add_parser(
        "env", help='print `export PATH=...` for the built kubectl: eval "$(... env)"'
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            if args.skip_without_go and go_toolchain() is None and not cached_binaries():
                if os.environ.get("CI") == "true":
                    raise ToolchainMissing("CI=true without a Go toolchain: cluster tests must run")
                _say("control plane: no Go toolchain here; the cluster tests will be skipped")
                return 0
            build()
        elif args.command == "up":
            up(args.state_dir, nodes=args.nodes, binaries=build())
        elif args.command == "down":
            down(args.state_dir)
        elif args.command == "env":
            binaries = cached_binaries()
            if binaries is None:
                raise ControlPlaneError("the control plane is not built: run `make controlplane`")
            print(f'export PATH={shlex.quote(str(binaries.directory))}:"$PATH"')
        else:
            current = status(args.state_dir)
            for name in PROCESSES:
                pid = current.running.get(name)
                print(f"{name:<24} {'pid ' + str(pid) if pid else 'not running'}")
            if current.up:
                print(f"server {current.server}; kubeconfig {StateDir(args.state_dir).kubeconfig}")
            return 0 if current.up else 1
    except ControlPlaneError as error:
        _say(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
