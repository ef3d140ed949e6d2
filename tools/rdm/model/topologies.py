"""The client topology model: one client = one namespace (the org id).

Workload names are the ones the team already filters logs by; they are part of
the contract with operations and never derived. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdm.model import kubernetes_values as k8s
from rdm.model import messages
from rdm.model.documents import Document
from rdm.model.policy import ClusterPolicy, host_problem
from rdm.model.problems import Level, Located, Problem
from rdm.model.quantities import (
    format_value,
    parse_quantity,
    suggest_memory,
)

# workload -> the component whose image it runs by default
WORKLOADS: dict[str, str] = {
    "protheus-appserver-prod": "appserver",
    "protheus-appserver-homolog": "appserver",
    "protheus-appserver-update": "appserver",
    "protheus-dbaccess": "dbaccess",
    "protheus-license": "license",
    "protheus-lockserver": "lockserver",
    "protheus-status": "status",
    "protheus-tss": "tss",
    "protheus-webservice-prod": "webservice",
    "protheus-webservice-homolog": "webservice",
}
# Present only while an update runs; absent or disabled otherwise.
UPDATE_WORKLOAD = "protheus-appserver-update"
ENVIRONMENTS = ("producao", "homologacao")
# Environment variables the renderer sets itself, by component: the database
# credentials, from `database.credentialsSecret`. A topology may not set them.
RESERVED_ENV: dict[str, tuple[str, ...]] = {
    "dbaccess": ("PROTHEUS_DB_USER", "PROTHEUS_DB_PASSWORD"),
}

# Names that say "this is a credential"; a literal value under one is a leak.
_SECRET_NAME = re.compile(
    r"(pass(word|wd)?|pwd|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|senha)",
    re.IGNORECASE,
)
# ini keys are CamelCase words (DbPassword, TokenTimeout): only a key that *ends*
# in a credential word is taken for one, so TokenTimeout is not.
_SECRET_CONFIG_KEY = re.compile(
    r"(pass(word|wd)?|pwd|senha|secret|token|apikey|api_key)\Z", re.IGNORECASE
)


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None
    secret_name: str | None
    secret_key: str | None


@dataclass(frozen=True)
class Workload:
    name: str
    component: str
    enabled: bool
    image: str
    replicas: int
    cpu_request: str
    cpu_limit: str | None
    memory_request: str
    memory_limit: str | None
    env: tuple[EnvVar, ...]
    config: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Monitor:
    name: str
    environment: str
    url: str


@dataclass(frozen=True)
class Contact:
    """A person at the client who receives downtime notices."""

    email: str
    name: str | None = None
    phone: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Database:
    engine: str
    host: str
    port: int
    name: str
    secret_name: str
    user_key: str
    password_key: str


@dataclass(frozen=True)
class Topology:
    org_id: str
    client_name: str
    cnpj: str | None
    product: str
    release: str
    images: Mapping[str, str]
    workloads: tuple[Workload, ...]
    database: Database
    monitors: tuple[Monitor, ...]
    hosts: Mapping[str, str] = field(default_factory=dict)  # its own public hosts, by environment
    # component or workload -> why its image is on another release, on purpose
    release_exceptions: Mapping[str, str] = field(default_factory=dict)
    contacts: tuple[Contact, ...] = ()

    @property
    def namespace(self) -> str:
        return self.org_id

    def workload(self, name: str) -> Workload | None:
        return next((w for w in self.workloads if w.name == name), None)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Topology:
        images = dict(data["images"])
        workloads = tuple(
            _workload(name, data["workloads"][name], images)
            for name in WORKLOADS
            if name in data["workloads"]
        )
        db = data["database"]
        return cls(
            org_id=data["orgId"],
            client_name=data["client"]["name"],
            cnpj=data["client"].get("cnpj"),
            product=data["product"],
            release=data["release"],
            images=images,
            workloads=workloads,
            database=Database(
                engine=db["engine"],
                host=db["host"],
                port=db["port"],
                name=db["name"],
                secret_name=db["credentialsSecret"]["name"],
                user_key=db["credentialsSecret"]["userKey"],
                password_key=db["credentialsSecret"]["passwordKey"],
            ),
            monitors=tuple(
                Monitor(m["name"], m["environment"], m["url"]) for m in data["monitors"]
            ),
            hosts=dict(data.get("hosts", {})),
            release_exceptions=dict(data.get("releaseExceptions", {})),
            contacts=tuple(_contact(c) for c in data["client"].get("contacts", ())),
        )


def _contact(data: str | Mapping[str, str]) -> Contact:
    # A bare address is a contact without a name (the schema allows both forms).
    if isinstance(data, str):
        return Contact(email=data)
    return Contact(
        email=data["email"], name=data["name"], phone=data.get("phone"), role=data.get("role")
    )


def _workload(name: str, data: Mapping[str, Any], images: Mapping[str, str]) -> Workload:
    component = WORKLOADS[name]
    return Workload(
        name=name,
        component=component,
        enabled=data.get("enabled", name != UPDATE_WORKLOAD),
        image=data.get("image", images[component]),
        replicas=data["replicas"],
        cpu_request=str(data["cpu"]["request"]),
        cpu_limit=_optional_str(data["cpu"].get("limit")),
        memory_request=str(data["memory"]["request"]),
        memory_limit=_optional_str(data["memory"].get("limit")),
        env=tuple(
            EnvVar(
                name=item["name"],
                value=_scalar_text(item["value"]) if "value" in item else None,
                secret_name=item.get("secretKeyRef", {}).get("name"),
                secret_key=item.get("secretKeyRef", {}).get("key"),
            )
            for item in data.get("env", [])
        ),
        config={
            section: {key: _scalar_text(value) for key, value in entries.items()}
            for section, entries in data.get("config", {}).items()
        },
    )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _scalar_text(value: object) -> str:
    # YAML true/false become the ini and env spelling the Protheus binaries expect.
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def check(topology: Topology, document: Document, relative: str) -> list[Problem]:
    problems: list[Problem] = []
    name = relative.rsplit("/", 1)[-1]
    if name != f"{topology.org_id}.yaml":
        problems.append(
            document.problem(
                ["orgId"],
                f"orgId {topology.org_id} does not match the file name {name}",
                "topology-id-filename",
            )
        )
    problems += _monitor_rules(topology, document)
    problems += _cnpj_rules(topology, document)
    problems += _release_rules(topology, document)
    for workload in topology.workloads:
        problems += _inline_secrets(workload, document)
        problems += _config_case_clashes(workload, document)
        problems += _env_names(workload, document)
    problems += [document.problem(p.pointer, p.message, p.rule) for p in value_problems(topology)]
    problems += _number_texts(document)
    problems += _quantity_numbers(document)
    return problems


# The components whose images are built per Protheus release; their tags start
# with it (12.1.2410-20261105). dbaccess, license and status have versions of their own.
RELEASE_COMPONENTS = ("appserver", "webservice", "lockserver", "tss")


def _tag(image: str) -> str | None:
    """The tag of an image reference; None when it is pinned by digest."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.partition(":")[2] or None


def _release_rules(topology: Topology, document: Document) -> list[Problem]:
    """The Protheus images carry the topology's release, unless listed as exceptions.

    An update that moves `release` without the images (or the reverse) would run
    binaries of one release against the dictionary of another.
    """
    problems: list[Problem] = []
    release = topology.release
    if k8s.label_value_problem(release) is not None:
        return []  # the release itself is refused (topology-label-value): fix that first
    images: list[tuple[str, list[str | int], str]] = [
        (component, ["images", component], topology.images[component])
        for component in RELEASE_COMPONENTS
        if component in topology.images
    ]
    overrides = document.data.get("workloads", {})
    for workload in topology.workloads:
        entry = overrides.get(workload.name, {})
        own_image = isinstance(entry, Mapping) and "image" in entry
        if workload.component in RELEASE_COMPONENTS and own_image:
            images.append((workload.name, ["workloads", workload.name, "image"], workload.image))
    for name, pointer, image in images:
        tag = _tag(image)
        fits = tag is not None and (
            tag == release or tag.startswith((f"{release}-", f"{release}."))
        )
        excepted = name in topology.release_exceptions
        if fits and excepted:
            problems.append(
                document.problem(
                    ["releaseExceptions", name],
                    f"{name} is listed as an exception, but its image is of release {release}; "
                    "remove the exception",
                    "topology-release",
                    Level.WARNING,
                )
            )
        if fits or excepted:
            continue
        where = ".".join(str(p) for p in pointer)
        why = (
            "is pinned by digest, so its release cannot be read"
            if tag is None
            else f"has the tag {tag}, not of release {release}"
        )
        problems.append(
            document.problem(
                pointer,
                f"{where} {why}: set `release` and the Protheus images to the same release, "
                f"or list {name} under releaseExceptions with the reason",
                "topology-release",
                key=False,
            )
        )
    return problems


def _cnpj_rules(topology: Topology, document: Document) -> list[Problem]:
    """A CNPJ whose check digits do not match is a typo (the schema has checked the layout)."""
    if topology.cnpj is None:
        return []
    characters = re.sub(r"[./-]", "", topology.cnpj)
    expected = messages.cnpj_check_digits(characters)
    if characters[12:] == expected:
        return []
    return [
        document.problem(
            ["client", "cnpj"],
            f"CNPJ {topology.cnpj}: the check digits should be {expected}, not "
            f"{characters[12:]}; check the number with the client",
            "topology-cnpj",
            key=False,
        )
    ]


def _env_names(workload: Workload, document: Document) -> list[Problem]:
    """Each env name once per workload, and none the renderer sets itself.

    Kubernetes keeps `env` as a list keyed by name: server-side apply refuses
    an object with the same name twice.
    """
    problems: list[Problem] = []
    first: dict[str, int] = {}
    reserved = RESERVED_ENV.get(workload.component, ())
    base: list[str | int] = ["workloads", workload.name, "env"]
    for index, var in enumerate(workload.env):
        if var.name in reserved:
            problems.append(
                document.problem(
                    [*base, index, "name"],
                    f"{var.name} is set by rdm on {workload.name} from "
                    "database.credentialsSecret; remove it here",
                    "topology-env-duplicate",
                    key=False,
                )
            )
        if var.name in first:
            line = document.position([*base, first[var.name], "name"], key=False).line
            problems.append(
                document.problem(
                    [*base, index, "name"],
                    f"env {var.name} is set twice in {workload.name} (first on line {line}); "
                    "Kubernetes refuses the second: keep one",
                    "topology-env-duplicate",
                    key=False,
                )
            )
        else:
            first[var.name] = index
    return problems


# ---------------------------------------------------------------- values for Kubernetes

INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class ValueProblem:
    """A value Kubernetes (or the ini reader) would refuse or misread, and where it is."""

    pointer: tuple[str | int, ...]
    message: str
    rule: str


def value_problems(topology: Topology) -> list[ValueProblem]:
    """Every value of `topology` that must not reach a manifest as it is.

    Findings in `check`; `rendering.manifests` refuses to render a topology that
    has any, so a caller that skipped validation still gets no such manifest.
    """
    found: list[ValueProblem] = []

    def add(pointer: tuple[str | int, ...], problem: str | None, rule: str) -> None:
        if problem is not None:
            where = ".".join(str(p) for p in pointer)
            found.append(ValueProblem(pointer, f"{where}: {problem}", rule))

    add(("orgId",), k8s.dns_label_problem(topology.org_id), "topology-k8s-name")
    for key, value in (("orgId", topology.org_id), ("product", topology.product)):
        add((key,), k8s.label_value_problem(value), "topology-label-value")
    add(("release",), k8s.label_value_problem(topology.release), "topology-label-value")
    for component, image in sorted(topology.images.items()):
        add(("images", component), k8s.image_problem(image), "topology-image")
    db = topology.database
    add(("database", "port"), k8s.integer_problem(db.port, 1, 65535), "topology-integer")
    for key, text in (("host", db.host), ("name", db.name)):  # written into dbaccess.ini
        add(("database", key), k8s.ini_value_problem(text), "topology-config-value")
    secret = ("database", "credentialsSecret")
    add((*secret, "name"), k8s.dns_subdomain_problem(db.secret_name), "topology-k8s-name")
    for key, text in (("userKey", db.user_key), ("passwordKey", db.password_key)):
        add((*secret, key), k8s.secret_key_problem(text), "topology-secret-key")
    for workload in topology.workloads:
        base: tuple[str | int, ...] = ("workloads", workload.name)
        add(
            (*base, "replicas"),
            k8s.integer_problem(workload.replicas, 0, INT32_MAX),
            "topology-integer",
        )
        if workload.image != topology.images.get(workload.component):
            add((*base, "image"), k8s.image_problem(workload.image), "topology-image")
        found += _resource_problems(workload, base)
        for index, var in enumerate(workload.env):
            add((*base, "env", index, "name"), k8s.env_name_problem(var.name), "topology-env-name")
            if var.secret_name is not None:
                ref = (*base, "env", index, "secretKeyRef")
                name_problem = k8s.dns_subdomain_problem(var.secret_name)
                add((*ref, "name"), name_problem, "topology-k8s-name")
                key_problem = k8s.secret_key_problem(var.secret_key or "")
                add((*ref, "key"), key_problem, "topology-secret-key")
        for section, entries in workload.config.items():
            where = (*base, "config", section)
            add(where, k8s.ini_name_problem(section), "topology-config-name")
            for key, value in entries.items():
                add((*where, key), k8s.ini_name_problem(key), "topology-config-name")
                add((*where, key), k8s.ini_value_problem(value), "topology-config-value")
    return found


def _resource_problems(workload: Workload, base: tuple[str | int, ...]) -> list[ValueProblem]:
    found: list[ValueProblem] = []
    for resource, request, limit in (
        ("cpu", workload.cpu_request, workload.cpu_limit),
        ("memory", workload.memory_request, workload.memory_limit),
    ):
        where = (*base, resource)
        bad = False
        for key, text in (("request", request), ("limit", limit)):
            problem = None if text is None else k8s.quantity_problem(text)
            if problem is None and text is not None and resource == "memory":
                problem = _memory_problem(text)
            if problem is not None:
                bad = True
                dotted = ".".join(str(p) for p in (*where, key))
                found.append(
                    ValueProblem((*where, key), f"{dotted}: {problem}", "topology-quantity")
                )
        if not bad and limit is not None and k8s.quantity(request) > k8s.quantity(limit):
            dotted = ".".join(str(p) for p in where)
            found.append(
                ValueProblem(
                    (*where, "request"),
                    f"{dotted}: the request {request} is over the limit {limit}; Kubernetes "
                    "refuses a request above its limit",
                    "topology-request-over-limit",
                )
            )
    return found


def _memory_problem(text: str) -> str | None:
    """Memory in fractions of a byte: Kubernetes takes it, and the container cannot start."""
    value = parse_quantity(text).value
    if value == value.to_integral_value():
        return None
    meant = suggest_memory(text)
    hint = (
        f"m means thousandths: did you mean {meant!r}?"
        if meant
        else "write memory with Ki, Mi or Gi, e.g. 512Mi"
    )
    return f"{text!r} is {format_value(value)} bytes, not a whole number of bytes; {hint}"


def _quantity_numbers(document: Document) -> list[Problem]:
    """A quantity written as a YAML float that rdm would write otherwise (`1e30` is
    written `1e+30`): the topology says the amount as text, as Kubernetes reads it."""
    problems: list[Problem] = []
    workloads = document.data.get("workloads") if isinstance(document.data, dict) else None
    for name, workload in (workloads or {}).items():
        if not isinstance(workload, dict):
            continue
        for resource in ("cpu", "memory"):
            amounts = workload.get(resource)
            for side in ("request", "limit"):
                value = amounts.get(side) if isinstance(amounts, dict) else None
                # (not finite: value_problems says so for the text rdm reads)
                finite = isinstance(value, float) and math.isfinite(value)
                if finite and k8s.quantity_problem(value) is not None:
                    where = f"workloads.{name}.{resource}.{side}"
                    problems.append(
                        document.problem(
                            ["workloads", name, resource, side],
                            f"{where}: {k8s.quantity_problem(value)}",
                            "topology-quantity",
                        )
                    )
    return problems


def _number_texts(document: Document) -> list[Problem]:
    """Env and ini values written as YAML floats: the text rdm writes is not the file's.

    `1e3` is read as 1000.0 and `0.10` as 0.1 by any YAML reader; an env variable
    or an ini key is text, so the topology says it in quotes.
    """
    problems: list[Problem] = []
    workloads = document.data.get("workloads") if isinstance(document.data, dict) else None
    for name, workload in (workloads or {}).items():
        if not isinstance(workload, dict):
            continue
        places: list[tuple[list[str | int], object]] = [
            (["workloads", name, "env", i, "value"], item.get("value"))
            for i, item in enumerate(workload.get("env") or [])
            if isinstance(item, dict)
        ]
        for section, entries in (workload.get("config") or {}).items():
            if isinstance(entries, dict):
                places += [
                    (["workloads", name, "config", section, key], value)
                    for key, value in entries.items()
                ]
        for pointer, value in places:
            if isinstance(value, float):
                where = ".".join(str(p) for p in pointer)
                problems.append(
                    document.problem(
                        pointer,
                        f"{where}: {value!r} is a YAML number with a fraction or an exponent, "
                        f"which YAML readers rewrite (rdm would write {_scalar_text(value)!r}); "
                        "write the text you mean in quotes",
                        "topology-number-text",
                        key=False,
                    )
                )
    return problems


def _inline_secrets(workload: Workload, document: Document) -> list[Problem]:
    """Credentials written as literal values, in `env` or in the ini `config`.

    The ini goes into a ConfigMap, readable by anyone who can read the namespace:
    a password there is as exposed as one in `env`. Only a reference to a Secret
    (`secretKeyRef`) is allowed to carry one.
    """
    problems: list[Problem] = []
    for index, var in enumerate(workload.env):
        if var.value and _SECRET_NAME.search(var.name):
            problems.append(
                document.problem(
                    ["workloads", workload.name, "env", index, "value"],
                    f"{var.name} looks like a credential with its value written inline; "
                    "use secretKeyRef to a Secret instead",
                    "topology-inline-secret",
                )
            )
    for section, entries in workload.config.items():
        for key, value in entries.items():
            if value and _SECRET_CONFIG_KEY.search(key.strip()):
                problems.append(
                    document.problem(
                        ["workloads", workload.name, "config", section, key],
                        f"[{section}] {key} looks like a credential written into the ini "
                        "(a ConfigMap anyone in the namespace can read); pass it through "
                        "env with secretKeyRef instead",
                        "topology-inline-secret",
                    )
                )
    return problems


def _config_case_clashes(workload: Workload, document: Document) -> list[Problem]:
    """Two ini names that differ only in case are one name to Protheus.

    Which of the two values wins would then depend on the order of the keys in the
    file, and the rendered ini with it; the topology must say one thing. Protheus
    also trims names, so `[general ]` is `[general]`.
    """
    problems: list[Problem] = []
    sections: dict[str, str] = {}
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    base = ["workloads", workload.name, "config"]
    for section, entries in workload.config.items():
        first = sections.setdefault(k8s.ini_key(section), section)
        if first != section:
            problems.append(
                document.problem(
                    [*base, section],
                    f"section [{section}] is [{first}] to Protheus (ini names ignore case "
                    "and surrounding spaces); write it once",
                    "topology-config-duplicate",
                )
            )
        for key in entries:
            seen = keys.setdefault((k8s.ini_key(section), k8s.ini_key(key)), (section, key))
            if seen != (section, key):
                problems.append(
                    document.problem(
                        [*base, section, key],
                        f"[{section}] {key} is [{seen[0]}] {seen[1]} to Protheus (ini names "
                        "ignore case and surrounding spaces); set it once",
                        "topology-config-duplicate",
                    )
                )
    return problems


def _monitor_rules(topology: Topology, document: Document) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, monitor in enumerate(topology.monitors):
        expected = f"{topology.org_id}-{monitor.environment}"
        if monitor.name != expected:
            problems.append(
                document.problem(
                    ["monitors", index, "name"],
                    f"monitor {monitor.name!r} should be named {expected!r} (org id + environment)",
                    "topology-monitors",
                )
            )
        if monitor.environment in seen:
            problems.append(
                document.problem(
                    ["monitors", index, "environment"],
                    f"a second monitor for {monitor.environment}; one per environment",
                    "topology-monitors",
                )
            )
        seen.add(monitor.environment)
    return problems


def shared_databases(topologies: Iterable[Topology]) -> list[tuple[str, Located]]:
    """Two clients on one database (`database.host` + `database.name`): an error on each.

    One client's change (a dictionary update, a restore) would then touch the other's
    data. Hosts compare as DNS names (case, a trailing dot, surrounding spaces); names
    case-insensitively, without surrounding spaces or quotes, as SQL Server does.
    """
    by_database: dict[tuple[str, str], list[Topology]] = {}
    for topology in topologies:
        db = topology.database
        key = (db.host.strip().lower().rstrip("."), _database_name_key(db.name))
        by_database.setdefault(key, []).append(topology)
    found: list[tuple[str, Located]] = []
    for _key, sharing in sorted(by_database.items()):
        if len(sharing) < 2:
            continue
        for topology in sharing:
            others = ", ".join(t.org_id for t in sharing if t is not topology)
            db = topology.database
            found.append(
                (
                    topology.org_id,
                    Located(
                        ("database", "name"),
                        f"database {db.name} on {db.host} is also the database of {others}: one "
                        "client's change would touch another's data; give each client its "
                        "own database",
                        "topology-database-shared",
                        key=False,
                    ),
                )
            )
    return found


def _database_name_key(name: str) -> str:
    """A database name as the server compares it: `[P12_X]`, `"P12_X"` and `P12_X ` are
    `P12_X` (SQL Server and the ini reader drop surrounding spaces; brackets and double
    quotes only quote the name), and case is ignored."""
    bare = name.strip()
    if len(bare) > 1 and (bare[0], bare[-1]) in (("[", "]"), ('"', '"')):
        bare = bare[1:-1].strip()
    return bare.lower()


# ---------------------------------------------------------------- the way in

STATUS_PATH = "/status"
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[^/:?#@]+)(?::(?P<port>[0-9]*))?"
    r"(?P<path>/[^?#]*)?(?P<rest>[?#].*)?",
    re.DOTALL,
)
_ENVIRONMENT_NAMES = {"producao": "produção", "homologacao": "homologação"}


def exposure_findings(topology: Topology, cluster: ClusterPolicy) -> list[Located]:
    """The public hosts the client gets, and the monitors that must check them.

    Each environment's host (the topology's own, or the cluster's default) must be
    a name DNS can resolve and differ from the other environment's; each monitor
    must check `https://<its environment's host>/status`, the path rdm publishes
    for the status workload.
    """
    found: list[Located] = []
    hosts = cluster.hosts(topology.org_id, topology.hosts)
    for environment, host in hosts.items():
        pointer = _host_pointer(topology, environment)
        why = host_problem(host)
        if why is not None:
            found.append(
                Located(
                    pointer,
                    f"the {_ENVIRONMENT_NAMES[environment]} host {host} is not a public host "
                    f"name: {why}"
                    + (
                        ""
                        if environment in topology.hosts
                        else " (it comes from policy/cluster.yaml: list the client's own under "
                        "`hosts`)"
                    ),
                    "topology-host",
                    key=environment not in topology.hosts,
                )
            )
    if hosts["producao"] == hosts["homologacao"]:
        found.append(
            Located(
                _host_pointer(topology, "homologacao"),
                f"produção and homologação both use {hosts['producao']}; each environment "
                "needs its own host",
                "topology-host",
                key=False,
            )
        )
    for index, monitor in enumerate(topology.monitors):
        host = hosts[monitor.environment]
        expected = f"https://{host}{STATUS_PATH}"
        wrong = _url_mismatch(monitor.url, host)
        if wrong:
            found.append(
                Located(
                    ("monitors", index, "url"),
                    f"monitor {monitor.name} checks {monitor.url} ({wrong}), not the "
                    f"{_ENVIRONMENT_NAMES[monitor.environment]} status page rdm publishes; "
                    f"write {expected}",
                    "topology-monitor-url",
                    key=False,
                )
            )
    return found


def _host_pointer(topology: Topology, environment: str) -> tuple[str | int, ...]:
    return ("hosts", environment) if environment in topology.hosts else ("orgId",)


def _url_mismatch(url: str, host: str) -> str:
    """How `url` differs from https://<host>/status, in words ('' when it does not)."""
    match = _URL.fullmatch(url)
    if match is None:
        return "not a web address"
    wrong: list[str] = []
    if match["scheme"].lower() != "https":
        wrong.append(f"{match['scheme']} instead of https")
    if match["host"].lower().rstrip(".") != host:
        wrong.append(f"host {match['host']} instead of {host}")
    if match["port"] not in (None, "", "443"):
        wrong.append(f"port {match['port']}")
    if (match["path"] or "/") != STATUS_PATH:
        wrong.append(f"path {match['path'] or '/'} instead of {STATUS_PATH}")
    if match["rest"]:
        wrong.append(f"{match['rest'][:40]!r} after the path")
    return "; ".join(wrong)


def shared_hosts(
    topologies: Iterable[Topology], cluster: ClusterPolicy
) -> list[tuple[str, Located]]:
    """One public host claimed by two clients: the ingress controller would send one
    client's users to the other's topology. An error on each."""
    claims: dict[str, list[tuple[Topology, str]]] = {}
    for topology in topologies:
        for environment, host in cluster.hosts(topology.org_id, topology.hosts).items():
            claims.setdefault(host, []).append((topology, environment))
    found: list[tuple[str, Located]] = []
    for host, claimants in sorted(claims.items()):
        orgs = {t.org_id for t, _ in claimants}
        if len(orgs) < 2:
            continue
        for topology, environment in claimants:
            others = ", ".join(sorted(orgs - {topology.org_id}))
            found.append(
                (
                    topology.org_id,
                    Located(
                        _host_pointer(topology, environment),
                        f"the {_ENVIRONMENT_NAMES[environment]} host {host} is also the host of "
                        f"{others}: the ingress would send one client's users to another; "
                        "give each client its own host",
                        "topology-host-duplicate",
                        key=environment not in topology.hosts,
                    ),
                )
            )
    return found
