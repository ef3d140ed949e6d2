"""The client topology model: one client = one namespace (the org id).

Workload names are the ones the team already filters logs by; they are part of
the contract with operations and never derived. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdm.model.documents import Document
from rdm.model.problems import Problem

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
    product: str
    release: str
    images: Mapping[str, str]
    workloads: tuple[Workload, ...]
    database: Database
    monitors: tuple[Monitor, ...]
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
    for workload in topology.workloads:
        problems += _inline_secrets(workload, document)
        problems += _config_case_clashes(workload, document)
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
    file, and the rendered ini with it; the topology must say one thing.
    """
    problems: list[Problem] = []
    sections: dict[str, str] = {}
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    base = ["workloads", workload.name, "config"]
    for section, entries in workload.config.items():
        first = sections.setdefault(section.lower(), section)
        if first != section:
            problems.append(
                document.problem(
                    [*base, section],
                    f"section [{section}] is [{first}] to Protheus (ini names ignore case); "
                    "write it once",
                    "topology-config-duplicate",
                )
            )
        for key in entries:
            seen = keys.setdefault((section.lower(), key.lower()), (section, key))
            if seen != (section, key):
                problems.append(
                    document.problem(
                        [*base, section, key],
                        f"[{section}] {key} is [{seen[0]}] {seen[1]} to Protheus (ini names "
                        "ignore case); set it once",
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
