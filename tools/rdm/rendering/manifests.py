"""Topology -> Kubernetes manifests, through the Jinja2 templates in `rdm/templates`.

The templates are the team's single source of how a client runs. Each one
renders one object as JSON text; every value reaches the text through the
`json` filter, so a value is always a quoted JSON scalar: it can neither break
the structure nor be read as template code (a `{{ ... }}` inside a value comes
out literally). The text is then parsed and checked -- only the kinds the
renderer may produce, only in the topology's own namespace -- and sorted into
a stable order, so the same topology always gives byte-identical output.

This module must never touch the cluster, read files other than the templates
(through a loader confined to the template folder), or re-render a value.
Checking rendered objects against the Kubernetes schema is `schemas`'s job
(`schemas.kubernetes_errors`; `repository.topology_manifest_problems` does both).
Ports, probes and generated ini defaults live in `PROFILES`, in one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from rdm.model.kubernetes_values import ini_key, ini_name_problem, ini_value_problem
from rdm.model.policy import ENVIRONMENTS, ClusterPolicy
from rdm.model.problems import RdmError
from rdm.model.topologies import RESERVED_ENV, Topology, Workload, value_problems
from rdm.reports import jsontext

# The Kubernetes version whose OpenAPI schema every rendered object must follow
# (`schemas.kubernetes_errors` checks them against it): the minor of the control
# plane the cluster tests run (tools/controlplane/kube/go.mod), which
# kubernetes-validate >= 1.35 ships strict schemas for.
KUBERNETES_VERSION = "1.35"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MANAGED_BY = "rdm"
WAVE_ANNOTATION = "rdm/wave"
CONFIG_HASH_ANNOTATION = "rdm/config-hash"

# What the renderer may produce: (apiVersion, kind) -> rank inside a wave.
# Everything is namespaced except the client's own Namespace.
KINDS: dict[tuple[str, str], int] = {
    ("v1", "Namespace"): 0,
    ("networking.k8s.io/v1", "NetworkPolicy"): 1,
    ("v1", "ConfigMap"): 2,
    ("v1", "Service"): 3,
    ("apps/v1", "Deployment"): 4,
    ("networking.k8s.io/v1", "Ingress"): 5,
}
CLUSTER_SCOPED = frozenset({"Namespace"})

# Apply order (the `rdm/wave` annotation): what a workload needs comes up first.
# The Namespace, NetworkPolicy and ConfigMaps are wave 0.
CONFIG_WAVE = 0
COMPONENT_WAVES: dict[str, int] = {
    "license": 1,
    "dbaccess": 1,
    "lockserver": 1,
    "tss": 2,
    "appserver": 3,
    "webservice": 4,
    "status": 5,
}
# The way in (Ingresses, and the NetworkPolicies that admit the ingress
# controller) opens last, once everything behind it is up.
EXPOSURE_WAVE = 6

# What each environment publishes through the ingress controller, on the
# workloads' `http` port: the status page (the uptime monitors), the REST
# webservice (the clients' ERPs) and, for products used in the browser, the
# appserver's web app (SmartClient HTML). Smart Fiscal clients reach it only
# through their ERP's webservice calls.
PUBLISHED_PORT = "http"
STATUS_ROUTE = ("/status", "protheus-status")
WEB_APP_PRODUCTS = frozenset({"smart-esocial"})
ENVIRONMENT_SUFFIX = {"producao": "prod", "homologacao": "homolog"}
CERT_MANAGER_ISSUER = "cert-manager.io/cluster-issuer"


@dataclass(frozen=True)
class Port:
    name: str  # an IANA_SVC_NAME: at most 15 characters, lower case
    port: int


@dataclass(frozen=True)
class Probe:
    port: str  # a port name of the same profile
    path: str | None = None  # None: a TCP connect (no HTTP health endpoint)
    initial_delay: int = 10
    period: int = 10
    timeout: int = 3
    failure_threshold: int = 3


@dataclass(frozen=True)
class Profile:
    """How one component runs: its ports, probes and configuration file."""

    ports: tuple[Port, ...]
    readiness: Probe
    liveness: Probe
    config_file: str
    mount_path: str = "/totvs/config"
    database_credentials: bool = False  # gets user and password from the topology's Secret
    # ini sections written for every client; the topology's `config` overrides per key
    ini_defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_DBACCESS_CLIENT = {"Server": "protheus-dbaccess", "Port": "7890"}
_LICENSE_CLIENT = {"Server": "protheus-license", "Port": "5555"}

# Protheus defaults. The appserver loads its RPO for a minute or two before it
# listens, hence the long liveness delay on appserver-based components.
PROFILES: dict[str, Profile] = {
    "appserver": Profile(
        ports=(Port("tcp", 1234), Port("http", 8080)),
        readiness=Probe("tcp", initial_delay=20),
        liveness=Probe("tcp", initial_delay=120, period=20, failure_threshold=6),
        config_file="appserver.ini",
        ini_defaults={
            "DBAccess": _DBACCESS_CLIENT,
            "LicenseClient": _LICENSE_CLIENT,
            "TCP": {"TYPE": "TCPIP", "Port": "1234"},
            "HTTP": {"Enable": "1", "Port": "8080"},
        },
    ),
    "webservice": Profile(
        ports=(Port("http", 8080),),
        readiness=Probe("http", initial_delay=20),
        liveness=Probe("http", initial_delay=120, period=20, failure_threshold=6),
        config_file="appserver.ini",
        ini_defaults={
            "DBAccess": _DBACCESS_CLIENT,
            "LicenseClient": _LICENSE_CLIENT,
            "HTTP": {"Enable": "1", "Port": "8080"},
        },
    ),
    "dbaccess": Profile(
        ports=(Port("dbaccess", 7890),),
        readiness=Probe("dbaccess"),
        liveness=Probe("dbaccess", initial_delay=30, period=20),
        config_file="dbaccess.ini",
        database_credentials=True,
        ini_defaults={
            "General": {"Port": "7890", "LicenseServer": "protheus-license", "LicensePort": "5555"},
        },
    ),
    "license": Profile(
        ports=(Port("license", 5555),),
        readiness=Probe("license"),
        liveness=Probe("license", initial_delay=30, period=20),
        config_file="appserver.ini",
        ini_defaults={"LicenseServer": {"Enable": "1", "Port": "5555"}},
    ),
    "lockserver": Profile(
        ports=(Port("lockserver", 7900),),
        readiness=Probe("lockserver"),
        liveness=Probe("lockserver", initial_delay=30, period=20),
        config_file="appserver.ini",
        ini_defaults={"LockServer": {"Enable": "1", "Port": "7900"}},
    ),
    "status": Profile(
        ports=(Port("http", 8080),),
        readiness=Probe("http", path="/status"),
        liveness=Probe("http", path="/status", initial_delay=30, period=20),
        config_file="status.ini",
        ini_defaults={"HTTP": {"Port": "8080"}},
    ),
    "tss": Profile(
        ports=(Port("http", 8081),),
        readiness=Probe("http", initial_delay=20),
        liveness=Probe("http", initial_delay=90, period=20, failure_threshold=6),
        config_file="appserver.ini",
        ini_defaults={
            "DBAccess": _DBACCESS_CLIENT,
            "LicenseClient": _LICENSE_CLIENT,
            "HTTP": {"Enable": "1", "Port": "8081"},
        },
    ),
}

# Environment variables the renderer adds to workloads with database credentials
# (the topology rules refuse them in a topology: `topologies.RESERVED_ENV`).
DB_USER_ENV, DB_PASSWORD_ENV = RESERVED_ENV["dbaccess"]



class RenderError(RdmError):
    """A topology cannot be rendered, or a template produced something it must not."""


@dataclass(frozen=True)
class Manifest:
    """One rendered Kubernetes object and where it came from."""

    org_id: str
    template: str
    wave: int
    obj: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def api_version(self) -> str:
        return str(self.obj["apiVersion"])

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.wave, KINDS[(self.api_version, self.kind)], self.name)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Job:
    """One template to render with its data: what the floor of the benchmark renders too."""

    template: str
    context: Mapping[str, Any]
    wave: int


# ---------------------------------------------------------------- the data


def routes(topology: Topology, environment: str) -> list[tuple[str, Workload]]:
    """(path, workload) that `environment` publishes; disabled workloads publish nothing."""
    suffix = ENVIRONMENT_SUFFIX[environment]
    wanted = [STATUS_ROUTE, ("/rest", f"protheus-webservice-{suffix}")]
    if topology.product in WEB_APP_PRODUCTS:
        wanted.append(("/", f"protheus-appserver-{suffix}"))
    found: list[tuple[str, Workload]] = []
    for path, name in wanted:
        workload = topology.workload(name)
        if workload is not None and workload.enabled:
            found.append((path, workload))
    return found


def _published_port(workload: Workload) -> int:
    return next(p.port for p in PROFILES[workload.component].ports if p.name == PUBLISHED_PORT)


def _exposure_jobs(topology: Topology, cluster: ClusterPolicy) -> list[Job]:
    org = topology.org_id
    base = {"org_id": org, "namespace": topology.namespace, "wave": str(EXPOSURE_WAVE)}
    common_labels = {"app.kubernetes.io/managed-by": MANAGED_BY, "rdm/org-id": org}
    hosts = cluster.hosts(org, topology.hosts)
    annotations = {WAVE_ANNOTATION: str(EXPOSURE_WAVE)}
    if cluster.cluster_issuer is not None:
        annotations[CERT_MANAGER_ISSUER] = cluster.cluster_issuer
    result: list[Job] = []
    published: dict[str, Workload] = {}
    for environment in ENVIRONMENTS:
        found = routes(topology, environment)
        if not found:
            continue
        published.update((w.name, w) for _, w in found)
        result.append(
            Job(
                "ingress.json.j2",
                {
                    **base,
                    "name": f"protheus-{environment}",
                    "labels": {**common_labels, "rdm/environment": environment},
                    "annotations": annotations,
                    "ingress_class": cluster.ingress_class,
                    "host": hosts[environment],
                    "tls_secret": cluster.tls_secret(org, environment),
                    "routes": [
                        {"path": path, "service": w.name, "port": PUBLISHED_PORT}
                        for path, w in found
                    ],
                },
                EXPOSURE_WAVE,
            )
        )
    for name, workload in sorted(published.items()):
        result.append(
            Job(
                "networkpolicy-ingress.json.j2",
                {
                    **base,
                    "policy_name": f"rdm-ingress-{name}",
                    "labels": common_labels,
                    "selector": {"app.kubernetes.io/name": name, "rdm/org-id": org},
                    "controller_namespace": dict(cluster.controller_namespace),
                    "port": _published_port(workload),
                },
                EXPOSURE_WAVE,
            )
        )
    return result


def jobs(topology: Topology, cluster: ClusterPolicy | None = None) -> list[Job]:
    """Every template to render for `topology`, with the plain data it gets.

    Values are plain dicts, lists, strings and numbers: templates read them by
    subscript, which the sandbox lets through at no extra cost. Without the
    `cluster` policy there is no way in: no Ingress is rendered.
    """
    refused = value_problems(topology)
    if refused:
        # `rdm validate` reports these as findings; a caller that skipped it still
        # gets no manifest Kubernetes would refuse or misread.
        raise RenderError(f"{topology.org_id}: {refused[0].message} [{refused[0].rule}]")
    org = topology.org_id
    base = {"org_id": org, "namespace": topology.namespace}
    common_labels = {"app.kubernetes.io/managed-by": MANAGED_BY, "rdm/org-id": org}
    result = [
        Job(
            "namespace.json.j2",
            {
                **base,
                "product": topology.product,
                "release": topology.release,
                "wave": str(CONFIG_WAVE),
            },
            CONFIG_WAVE,
        ),
        Job(
            "networkpolicy.json.j2",
            {**base, "labels": common_labels, "wave": str(CONFIG_WAVE)},
            CONFIG_WAVE,
        ),
    ]
    for workload in topology.workloads:
        if not workload.enabled:
            continue
        profile = PROFILES[workload.component]
        wave = COMPONENT_WAVES[workload.component]
        selector = {"app.kubernetes.io/name": workload.name, "rdm/org-id": org}
        labels = {
            "app": workload.name,
            "app.kubernetes.io/component": workload.component,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "app.kubernetes.io/name": workload.name,
            "app.kubernetes.io/part-of": "protheus",
            "rdm/org-id": org,
        }
        config_text = ini_text(topology, workload, profile)
        config_map = f"{workload.name}-config"
        ports = [{"name": p.name, "port": p.port} for p in profile.ports]
        shared = {**base, "name": workload.name, "labels": labels}
        result.append(
            Job(
                "configmap.json.j2",
                {
                    **shared,
                    "config_map": config_map,
                    "config_file": profile.config_file,
                    "config_text": config_text,
                    "wave": str(CONFIG_WAVE),
                },
                CONFIG_WAVE,
            )
        )
        result.append(
            Job(
                "service.json.j2",
                {**shared, "selector": selector, "ports": ports, "wave": str(wave)},
                wave,
            )
        )
        result.append(
            Job(
                "deployment.json.j2",
                {
                    **shared,
                    "wave": str(wave),
                    "component": workload.component,
                    "image": workload.image,
                    "replicas": workload.replicas,
                    "selector": selector,
                    "ports": ports,
                    "env": _env(topology, workload, profile),
                    "cpu_request": workload.cpu_request,
                    "cpu_limit": workload.cpu_limit,
                    "memory_request": workload.memory_request,
                    "memory_limit": workload.memory_limit,
                    "readiness": _probe(profile.readiness),
                    "liveness": _probe(profile.liveness),
                    "config_map": config_map,
                    "mount_path": profile.mount_path,
                    "config_hash": config_hash(profile.config_file, config_text),
                },
                wave,
            )
        )
    if cluster is not None:
        result += _exposure_jobs(topology, cluster)
    return result


def ini_text(topology: Topology, workload: Workload, profile: Profile) -> str:
    """The workload's ini file: the profile's defaults, overridden key by key by the topology."""
    # Protheus reads ini names case-insensitively, so "general" overrides "General".
    sections: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    keys: dict[tuple[str, str], str] = {}

    def put(section: str, entries: Mapping[str, str]) -> None:
        # Protheus trims names and ignores their case: write each name once, trimmed.
        canonical = names.setdefault(ini_key(section), section.strip())
        target = sections.setdefault(canonical, {})
        for key, value in entries.items():
            target[keys.setdefault((canonical, ini_key(key)), key.strip())] = value

    for section, entries in profile.ini_defaults.items():
        put(section, entries)
    if profile.database_credentials:
        db = topology.database
        put(db.engine.upper(), {"Server": db.host, "Port": str(db.port), "Database": db.name})
    for section, entries in workload.config.items():
        put(section, entries)
    lines: list[str] = []
    for section in sorted(sections):
        _check_ini(topology, workload, section, section, "section")
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        for key in sorted(sections[section]):
            value = sections[section][key]
            _check_ini(topology, workload, f"{section}.{key}", key, "key")
            _check_ini(topology, workload, f"{section}.{key}", value, "value")
            lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def _check_ini(topology: Topology, workload: Workload, where: str, text: str, what: str) -> None:
    # An ini file has no quoting: a line break in a value would write a new key.
    bad = ini_value_problem(text) if what == "value" else ini_name_problem(text)
    if bad is not None:
        raise RenderError(
            f"{topology.org_id}: {workload.name}: config {where}: the {what} {text!r} cannot be "
            "written to an ini file (no line breaks; no [, ] or = in names)"
        )


def config_hash(file_name: str, text: str) -> str:
    return hashlib.sha256(f"{file_name}\0{text}".encode()).hexdigest()


def _env(topology: Topology, workload: Workload, profile: Profile) -> list[dict[str, str | None]]:
    env: list[dict[str, str | None]] = []
    if profile.database_credentials:
        db = topology.database
        env.append(
            {
                "name": DB_USER_ENV,
                "value": None,
                "secret_name": db.secret_name,
                "secret_key": db.user_key,
            }
        )
        env.append(
            {
                "name": DB_PASSWORD_ENV,
                "value": None,
                "secret_name": db.secret_name,
                "secret_key": db.password_key,
            }
        )
    seen = {e["name"] for e in env}
    for var in workload.env:
        if var.name in seen:
            raise RenderError(
                f"{topology.org_id}: {workload.name}: env {var.name} is set twice "
                "(the renderer sets it from the topology's database Secret)"
                if var.name in (DB_USER_ENV, DB_PASSWORD_ENV)
                else f"{topology.org_id}: {workload.name}: env {var.name} is set twice"
            )
        seen.add(var.name)
        env.append(
            {
                "name": var.name,
                "value": var.value,
                "secret_name": var.secret_name,
                "secret_key": var.secret_key,
            }
        )
    return env


def _probe(probe: Probe) -> dict[str, Any]:
    return {
        "port": probe.port,
        "path": probe.path,
        "initial_delay": probe.initial_delay,
        "period": probe.period,
        "timeout": probe.timeout,
        "failure_threshold": probe.failure_threshold,
    }


# ---------------------------------------------------------------- rendering


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_encode_str: Callable[[str], str] = json.encoder.encode_basestring


def json_scalar(value: object) -> str:
    """The `json` filter: any value as JSON text, so data can never become structure."""
    if type(value) is str:  # most values: the C string encoder, no encoder object per call
        return _encode_str(value)
    try:
        return _ENCODER.encode(value)
    except TypeError:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises UndefinedError, naming the variable
        raise jinja2.TemplateRuntimeError(
            f"the json filter cannot write a {type(value).__name__}"
        ) from None


def environment(template_dir: Path, *, sandboxed: bool = True) -> jinja2.Environment:
    """The Jinja2 environment of the templates (sandboxed unless a benchmark asks otherwise)."""
    cls = SandboxedEnvironment if sandboxed else jinja2.Environment
    env = cls(
        loader=jinja2.FileSystemLoader(str(template_dir)),  # confined to this folder
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["json"] = json_scalar
    return env


class Renderer:
    """Renders topologies with the templates of one folder; compiled templates are reused."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self.template_dir = template_dir
        self._env = environment(template_dir)
        self._templates: dict[str, jinja2.Template] = {}

    def _template(self, name: str) -> jinja2.Template:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._env.get_template(name)
        return template

    def render(self, topology: Topology, cluster: ClusterPolicy | None = None) -> list[Manifest]:
        """The checked objects of `topology`, in apply order.

        With the `cluster` policy, the way in too: an Ingress per environment and
        the NetworkPolicies that admit the ingress controller.
        """
        hosts = cluster.hosts(topology.org_id, topology.hosts) if cluster else {}
        limits = _Limits(
            frozenset(hosts.values()), dict(cluster.controller_namespace) if cluster else {}
        )
        manifests = [self._render_one(topology, job, limits) for job in jobs(topology, cluster)]
        manifests.sort(key=lambda m: m.sort_key)
        seen: set[tuple[str, str]] = set()
        for manifest in manifests:
            key = (manifest.kind, manifest.name)
            if key in seen:
                raise RenderError(
                    f"{topology.org_id}: {manifest.template}: {manifest} is rendered twice"
                )
            seen.add(key)
        services = {name for kind, name in seen if kind == "Service"}
        for manifest in manifests:
            if manifest.kind == "Ingress":
                _check_backends(topology.org_id, manifest, services)
        return manifests

    def _render_one(self, topology: Topology, job: Job, limits: _Limits) -> Manifest:
        where = f"{topology.org_id}: template {job.template}"
        try:
            text = self._template(job.template).render(job.context)
        except jinja2.TemplateError as exc:
            raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from exc
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RenderError(
                f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from exc
        _check_object(topology.org_id, job.template, obj, limits)
        return Manifest(topology.org_id, job.template, job.wave, obj)


@dataclass(frozen=True)
class _Limits:
    """What a topology's way in may contain: its own hosts, and only the ingress
    controller's namespace from outside."""

    hosts: frozenset[str]
    controller_namespace: Mapping[str, str]


def _check_object(org_id: str, template: str, obj: object, limits: _Limits) -> None:
    where = f"{org_id}: template {template}"
    if not isinstance(obj, dict):
        raise RenderError(f"{where}: must render one JSON object, not {type(obj).__name__}")
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    label = f"{kind}/{name}"
    if not isinstance(name, str) or not name:
        raise RenderError(f"{where}: {label}: metadata.name is missing")
    if (api_version, kind) not in KINDS:
        allowed = ", ".join(f"{a} {k}" for a, k in sorted(KINDS))
        raise RenderError(
            f"{where}: {label}: apiVersion {api_version} kind {kind} may not be rendered "
            f"(only {allowed})"
        )
    assert isinstance(metadata, dict)  # for mypy: name was found in it
    namespace = metadata.get("namespace")
    if kind in CLUSTER_SCOPED:
        if name != org_id or namespace is not None:
            raise RenderError(
                f"{where}: {label}: the only cluster-scoped object allowed is Namespace/{org_id}"
            )
    elif namespace != org_id:
        raise RenderError(
            f"{where}: {label}: namespace {namespace!r} is not the client's namespace {org_id!r}"
        )
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or not isinstance(annotations.get(WAVE_ANNOTATION), str):
        raise RenderError(f"{where}: {label}: the {WAVE_ANNOTATION} annotation is missing")
    if kind == "NetworkPolicy":
        _check_network_policy(f"{where}: {label}", obj.get("spec"), limits)
    elif kind == "Ingress":
        _check_ingress_hosts(f"{where}: {label}", obj.get("spec"), limits)


def _check_network_policy(where: str, spec: object, limits: _Limits) -> None:
    """Admitted from outside the namespace: the ingress controller's namespace, on
    named ports, and nothing else; no egress rule, no address block."""
    if not isinstance(spec, dict) or spec.get("egress") or "Egress" in spec.get("policyTypes", []):
        raise RenderError(f"{where}: a NetworkPolicy of rdm restricts ingress only")
    for rule in spec.get("ingress") or []:
        peers = rule.get("from") if isinstance(rule, dict) else None
        if not isinstance(peers, list) or not peers:
            raise RenderError(f"{where}: an ingress rule without `from` admits everyone")
        for peer in peers:
            if peer == {"podSelector": {}}:
                continue
            controller = {"namespaceSelector": {"matchLabels": dict(limits.controller_namespace)}}
            if limits.controller_namespace and peer == controller and rule.get("ports"):
                continue
            raise RenderError(
                f"{where}: admits {json.dumps(peer, sort_keys=True)}; only the namespace's own "
                "pods, and the ingress controller's namespace on given ports, may be admitted"
            )


def _check_ingress_hosts(where: str, spec: object, limits: _Limits) -> None:
    rules = spec.get("rules") if isinstance(spec, dict) else None
    tls = spec.get("tls") if isinstance(spec, dict) else None
    hosts = [r.get("host") for r in rules or [] if isinstance(r, dict)]
    hosts += [h for entry in tls or [] if isinstance(entry, dict) for h in entry.get("hosts", [])]
    if not rules or any(not isinstance(h, str) or h not in limits.hosts for h in hosts):
        raise RenderError(f"{where}: an Ingress may serve only the client's own hosts")


def _check_backends(org_id: str, manifest: Manifest, services: set[str]) -> None:
    for rule in manifest.obj["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            name = path["backend"]["service"]["name"]
            if name not in services:
                raise RenderError(
                    f"{org_id}: template {manifest.template}: {manifest}: path {path['path']} "
                    f"leads to Service/{name}, which the topology does not render"
                )


_default: Renderer | None = None


def render(topology: Topology, cluster: ClusterPolicy | None = None) -> list[Manifest]:
    """The checked objects of `topology` with the package's templates, in apply order.

    `cluster` (policy/cluster.yaml) gives the way in; without it no Ingress is rendered.
    """
    global _default  # one compiled set of templates per process
    if _default is None:
        _default = Renderer()
    return _default.render(topology, cluster)


def by_wave(manifests: Iterable[Manifest]) -> list[tuple[int, list[Manifest]]]:
    """Objects grouped by apply wave, lowest first; the order inside a wave is kept."""
    waves: dict[int, list[Manifest]] = {}
    for manifest in manifests:
        waves.setdefault(manifest.wave, []).append(manifest)
    return sorted(waves.items())


# ---------------------------------------------------------------- output


# The YAML writer. PyYAML's dumper spends 5 ms per topology building nodes in
# Python; the objects here are only dicts, lists, strings, ints and booleans, so
# a small block-style writer does the same job several times faster. Strings are
# written plain only when no YAML 1.1 or 1.2 reader could take them for anything
# but a string; otherwise double-quoted with escapes (JSON escapes are a subset
# of YAML's). tests/test_rendering.py round-trips arbitrary text through it.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+=-]*(:[A-Za-z0-9_./@+=-]+)*")
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P)")
_RESERVED = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null"])
# Not printable in YAML, a line break to a YAML 1.1 reader, or a character that
# drives a terminal (the bidirectional controls; C0 is escaped by json.dumps): escaped.
_UNPRINTABLE = re.compile(
    "[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_TOP_KEYS = ("apiVersion", "kind", "metadata")
# What a CI runner (GitHub Actions) reads as a command: `::` at the start of a
# line, and the legacy `##[` anywhere in it.
WORKFLOW_COMMAND_STARTS = ("::",)
LEGACY_WORKFLOW_COMMAND = "##["


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _quoted(text: str) -> str:
    quoted = _UNPRINTABLE.sub(_escape, json.dumps(text, ensure_ascii=False))
    # The runner reads the legacy `##[command]` anywhere in a line of a printed stream.
    return quoted.replace(LEGACY_WORKFLOW_COMMAND, "##\\u005b")


def _scalar(value: object) -> str:
    if isinstance(value, str):
        if (_PLAIN.fullmatch(value) and value.lower() not in _RESERVED) or _QUANTITY.fullmatch(
            value
        ):
            return value
        return _quoted(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # floats: JSON's spelling is valid YAML


def _literal_ok(text: str) -> bool:
    # A literal block keeps text as is, as long as indentation cannot be misread.
    if (
        text.startswith("\n")
        or not text.endswith("\n")
        or text.endswith("\n\n")
        or "\r" in text
        or _UNPRINTABLE.search(text)
        or LEGACY_WORKFLOW_COMMAND in text
    ):
        return False
    lines = text[:-1].split("\n")
    return (
        all(not line or not line[0].isspace() for line in lines)
        # a line of a printed stream must not start a CI workflow command
        # (`::error …`): such text goes double-quoted, on one line
        and not any(line.startswith(WORKFLOW_COMMAND_STARTS) for line in lines)
        and not any(ch < " " and ch not in "\t\n" for ch in text)
    )


def _write(value: object, indent: str, out: list[str]) -> None:
    """Append the block lines of a mapping or sequence `value` (non-empty) at `indent`."""
    if isinstance(value, dict):
        for key in sorted(value):
            _write_entry(f"{indent}{_scalar(key)}:", value[key], indent, out)
    else:
        assert isinstance(value, list)
        for item in value:
            if isinstance(item, dict) and item:
                keys = sorted(item)
                first = f"{indent}- {_scalar(keys[0])}:"
                inner = indent + "  "
                _write_entry(first, item[keys[0]], inner, out)
                for key in keys[1:]:
                    _write_entry(f"{inner}{_scalar(key)}:", item[key], inner, out)
            elif isinstance(item, list) and item:
                out.append(f"{indent}-")
                _write(item, indent + "  ", out)
            else:
                out.append(f"{indent}- {_inline(item, indent + '  ')}")


def _write_entry(head: str, value: object, indent: str, out: list[str]) -> None:
    if isinstance(value, dict) and value:
        out.append(head)
        _write(value, indent + "  ", out)
    elif isinstance(value, list) and value:
        out.append(head)
        _write(value, indent, out)  # sequences under a key are not indented, as kubectl writes them
    else:
        out.append(f"{head} {_inline(value, indent + '  ')}")


def _inline(value: object, indent: str) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and "\n" in value and _literal_ok(value):
        return "|\n" + "\n".join(indent + line if line else "" for line in value[:-1].split("\n"))
    return _scalar(value)


def to_yaml(obj: Mapping[str, Any]) -> str:
    """One object as block YAML: apiVersion, kind, metadata first, every other key sorted."""
    if not obj:
        return "{}\n"
    out: list[str] = []
    for key in _TOP_KEYS:
        if key in obj:
            _write_entry(f"{key}:", obj[key], "", out)
    for key in sorted(obj):
        if key not in _TOP_KEYS:
            _write_entry(f"{_scalar(key)}:", obj[key], "", out)
    return "\n".join(out) + "\n"


def to_json(obj: Mapping[str, Any], *, indent: int | None = 2) -> str:
    separators = (",", ": ") if indent else (",", ":")
    return jsontext.dumps(obj, sort_keys=True, indent=indent, separators=separators) + (
        "\n" if indent else ""
    )


FORMATS = ("yaml", "json")


def document(manifest: Manifest, output_format: str = "yaml") -> str:
    """One object as the text of its own file."""
    return to_yaml(manifest.obj) if output_format == "yaml" else to_json(manifest.obj)


def stream(manifests: Sequence[Manifest], output_format: str = "yaml") -> str:
    """A multi-document YAML stream, or JSON Lines (one object per line)."""
    if output_format == "json":
        return "".join(to_json(m.obj, indent=None) + "\n" for m in manifests)
    return "".join("---\n" + to_yaml(m.obj) for m in manifests)


def file_name(index: int, manifest: Manifest, output_format: str = "yaml") -> str:
    """`NN-<kind>-<name>.<ext>`: sorting the names gives the apply order."""
    return f"{index:02d}-{manifest.kind.lower()}-{manifest.name}.{output_format}"


# Every name `file_name` gives (and nothing a person would put beside them).
FILE_NAME = re.compile(r"^[0-9]{2,}-[a-z]+-[a-z0-9.-]+\.(yaml|json)\Z")


def files(manifests: Sequence[Manifest], output_format: str = "yaml") -> list[tuple[str, str]]:
    """(file name, text) for each object of one topology, in apply order."""
    return [
        (file_name(i, m, output_format), document(m, output_format))
        for i, m in enumerate(manifests)
    ]
