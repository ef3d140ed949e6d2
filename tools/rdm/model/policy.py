"""Policy files other than the calendar: committees, priorities, standard changes,
operations (who signs the client notices, whom clients call, where logs are).

The committee file names people by GitHub login: the members of the CM and the
CME, the roles the team's process names (`roles`: who is the Product Owner,
the change manager, …) and the roles each committee must seat (`fixedRoles`).

Each model is built from a schema-valid mapping; `check_*` functions hold the
rules a schema cannot say. Pure: no I/O. The calendar has its own module.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdm.model.documents import Document
from rdm.model.problems import Level, Problem

LEVELS = ("high", "medium", "low")
DEFAULT_EMERGENCY_NOTICE_DAYS = 2

# The roles the team's change-management rules name (a policy may add others).
PRODUCT_OWNER = "product-owner"
CHANGE_MANAGER = "gestor-de-mudanca"
PROCESS_ROLES = (
    PRODUCT_OWNER,
    CHANGE_MANAGER,
    "gestor-de-suporte-services",
    "diretor-services",
    "coordenador-suporte",
)
# GitHub's rule for a user login: letters, digits and single inner hyphens, at
# most 39 characters (the schema's `login` says the same).
LOGIN = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\Z")


@dataclass(frozen=True)
class Committee:
    name: str  # "CM" or "CME"
    members: tuple[str, ...]
    fixed_roles: tuple[str, ...] = ()  # roles whose holders must be among the members


@dataclass(frozen=True)
class CommitteePolicy:
    cm: Committee
    cme: Committee
    emergency_labelers: tuple[str, ...]
    change_managers: tuple[str, ...]
    delegates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # how many days an emergency's client notice may precede its incident
    emergency_notice_days: int = DEFAULT_EMERGENCY_NOTICE_DAYS
    # role -> the login that holds it; a role held by nobody is not here (and
    # is a finding of `check_committee`, so a policy with one is never used).
    roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CommitteePolicy:
        committees = data["committees"]
        return cls(
            cm=_committee("CM", committees["CM"]),
            cme=_committee("CME", committees["CME"]),
            emergency_labelers=tuple(data["emergencyLabelers"]),
            change_managers=tuple(data["changeManagers"]),
            delegates={k: tuple(v) for k, v in data.get("delegates", {}).items()},
            emergency_notice_days=data.get("emergencyNoticeDays", DEFAULT_EMERGENCY_NOTICE_DAYS),
            roles={
                role: holder
                for role, holder in (data.get("roles") or {}).items()
                if isinstance(holder, str) and LOGIN.match(holder)
            },
        )

    @property
    def product_owner(self) -> str | None:
        return self.roles.get(PRODUCT_OWNER)

    def roles_of(self, login: str) -> tuple[str, ...]:
        """The roles `login` holds, in the policy's order (logins compared without case)."""
        key = login.lower()
        return tuple(role for role, holder in self.roles.items() if holder.lower() == key)

    def forwarders(self) -> tuple[str, ...]:
        """Who may forward a normal RDM to the CM: the Product Owner, then the change managers."""
        seen: dict[str, str] = {}
        owner = (self.product_owner,) if self.product_owner else ()
        for login in (*owner, *self.change_managers):
            seen.setdefault(login.lower(), login)
        return tuple(seen.values())

    def stand_ins(self) -> dict[str, tuple[str, ...]]:
        """delegate -> the members they may vote for (the `delegates` map read the other way)."""
        found: dict[str, list[str]] = {}
        for member, substitutes in self.delegates.items():
            for delegate in substitutes:
                found.setdefault(delegate, []).append(member)
        return {delegate: tuple(members) for delegate, members in found.items()}

    def everyone(self) -> tuple[str, ...]:
        """Every login the policy names, in a stable order (for CODEOWNERS)."""
        seen: dict[str, None] = {}
        for login in (*self.cm.members, *self.cme.members, *self.change_managers):
            seen.setdefault(login, None)
        return tuple(seen)


def _committee(name: str, data: Mapping[str, Any]) -> Committee:
    return Committee(name, tuple(data["members"]), tuple(data.get("fixedRoles", ())))


def check_committee(document: Document) -> list[Problem]:
    """Members and labelers are distinct, non-empty lists; delegates stand in for members;
    every role is held by a login, and each committee seats the holders of its fixed roles."""
    data = document.data
    problems: list[Problem] = []
    lists: list[tuple[list[str | int], Sequence[str]]] = [
        (["committees", "CM", "members"], data["committees"]["CM"]["members"]),
        (["committees", "CME", "members"], data["committees"]["CME"]["members"]),
        (["emergencyLabelers"], data["emergencyLabelers"]),
        (["changeManagers"], data["changeManagers"]),
    ]
    for pointer, logins in lists:
        label = ".".join(str(p) for p in pointer)
        if not logins:
            problems.append(
                document.problem(
                    pointer, f"{label} is empty; name at least one person", "committee-members"
                )
            )
        seen: set[str] = set()
        for index, login in enumerate(logins):
            if login.lower() in seen:
                problems.append(
                    document.problem(
                        [*pointer, index],
                        f"{login} appears twice in {label}",
                        "committee-members",
                        key=False,
                    )
                )
            seen.add(login.lower())
    members = {
        m.lower()
        for m in (*data["committees"]["CM"]["members"], *data["committees"]["CME"]["members"])
    }
    for member, substitutes in data.get("delegates", {}).items():
        if member.lower() not in members:
            problems.append(
                document.problem(
                    ["delegates", member],
                    f"{member} is not a member of CM or CME; only members have delegates",
                    "committee-delegates",
                )
            )
        if member.lower() in {s.lower() for s in substitutes}:
            problems.append(
                document.problem(
                    ["delegates", member],
                    f"{member} cannot be their own delegate",
                    "committee-delegates",
                )
            )
    return problems + _check_roles(document)


def _check_roles(document: Document) -> list[Problem]:
    """A role held by nobody, a holder that is no GitHub login, a fixed role not seated.

    Old files without `roles` and `fixedRoles` stay valid: nothing is asked of
    them. Once `roles` is there, a role the process names and the file leaves
    out is a warning (forwarding then falls to the change managers alone).
    """
    data = document.data
    problems: list[Problem] = []
    roles: Mapping[str, Any] = data.get("roles") or {}
    for role, holder in roles.items():
        if holder is None or (isinstance(holder, str) and not holder.strip()):
            problems.append(
                document.problem(
                    ["roles", role],
                    f"role {role} is held by nobody: write the GitHub login of who holds it",
                    "committee-roles",
                )
            )
        elif not isinstance(holder, str) or not LOGIN.match(holder):
            problems.append(
                document.problem(
                    ["roles", role],
                    f"{holder!r}, the holder of role {role}, is not a GitHub login "
                    "(letters, digits and single hyphens, at most 39)",
                    "committee-roles",
                    key=False,
                )
            )
    if "roles" in data:
        for role in PROCESS_ROLES:
            if role not in roles:
                problems.append(
                    document.problem(
                        ["roles"],
                        f"role {role} is held by nobody: the change-management rules name it "
                        f"(add `{role}: <login>`)",
                        "committee-roles",
                        Level.WARNING,
                    )
                )
    manager = roles.get(CHANGE_MANAGER)
    managers = {m.lower() for m in data["changeManagers"]}
    if isinstance(manager, str) and LOGIN.match(manager) and manager.lower() not in managers:
        problems.append(
            document.problem(
                ["changeManagers"],
                f"changeManagers lacks {manager}, who holds role {CHANGE_MANAGER}",
                "committee-roles",
            )
        )
    for name in ("CM", "CME"):
        committee = data["committees"][name]
        members = {m.lower() for m in committee["members"]}
        for index, role in enumerate(committee.get("fixedRoles", ())):
            holder = roles.get(role)
            if not isinstance(holder, str) or not LOGIN.match(holder):
                if role not in roles:  # a holder that is blank or no login is reported above
                    problems.append(
                        document.problem(
                            ["committees", name, "fixedRoles", index],
                            f"{name}'s fixed role {role} is held by nobody: "
                            f"add `{role}: <login>` under `roles`",
                            "committee-roles",
                            key=False,
                        )
                    )
            elif holder.lower() not in members:
                problems.append(
                    document.problem(
                        ["committees", name, "members"],
                        f"committees.{name}.members lacks {holder}, who holds {name}'s "
                        f"fixed role {role}",
                        "committee-fixed-roles",
                    )
                )
    return problems


@dataclass(frozen=True)
class PriorityMatrix:
    table: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PriorityMatrix:
        return cls({impact: dict(row) for impact, row in data["matrix"].items()})

    def priority(self, impact: str, urgency: str) -> str:
        return self.table[impact][urgency]


def check_priorities(document: Document) -> list[Problem]:
    """Priority never falls as impact or urgency rises (P1 is the highest)."""
    matrix = document.data["matrix"]
    problems: list[Problem] = []
    rank = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}
    for i, impact in enumerate(LEVELS):
        for j, urgency in enumerate(LEVELS):
            here = rank[matrix[impact][urgency]]
            below = [matrix[LEVELS[i + 1]][urgency]] if i + 1 < len(LEVELS) else []
            right = [matrix[impact][LEVELS[j + 1]]] if j + 1 < len(LEVELS) else []
            if any(rank[p] < here for p in below + right):
                problems.append(
                    document.problem(
                        ["matrix", impact, urgency],
                        f"{impact} impact x {urgency} urgency gives {matrix[impact][urgency]}, "
                        "lower than a less severe cell; the matrix must not invert",
                        "priorities-monotonic",
                        key=False,
                    )
                )
    return problems


@dataclass(frozen=True)
class StandardTemplate:
    name: str
    description: str
    fields: tuple[str, ...]
    image_tags: str | None
    workloads: tuple[str, ...] | None
    environments: tuple[str, ...] | None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StandardTemplate:
        allows = data["allows"]
        return cls(
            name=data["name"],
            description=data["description"],
            fields=tuple(allows.get("fields", ())),
            image_tags=allows.get("imageTags"),
            workloads=tuple(allows["workloads"]) if "workloads" in allows else None,
            environments=tuple(allows["environments"]) if "environments" in allows else None,
        )


def standard_templates(data: Mapping[str, Any]) -> dict[str, StandardTemplate]:
    return {t["name"]: StandardTemplate.from_mapping(t) for t in data["templates"]}


def check_standard_changes(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, template in enumerate(document.data["templates"]):
        if template["name"] in seen:
            problems.append(
                document.problem(
                    ["templates", index, "name"],
                    f"template {template['name']} is defined twice",
                    "standard-duplicate",
                )
            )
        seen.add(template["name"])
        # A change may only touch paths that match `fields`; the other keys narrow
        # it further. Without a field there is nothing a change could touch.
        if not template["allows"].get("fields"):
            problems.append(
                document.problem(
                    ["templates", index, "allows"],
                    "a template that allows no field (`allows.fields`) allows nothing; "
                    "list the topology paths a change may alter",
                    "standard-empty",
                )
            )
    return problems


# ---------------------------------------------------------------- the cluster

ENVIRONMENTS = ("producao", "homologacao")
_PLACEHOLDER = re.compile(r"\{(orgId|environment)\}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_SUBDOMAIN_PART = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# An org id to try templates with; each topology's own names are checked with its own.
_SAMPLE_ORG_ID = "acme"


def expand(template: str, org_id: str, environment: str) -> str:
    """`{orgId}-{environment}-tls` -> `acme-producao-tls`."""
    values = {"orgId": org_id, "environment": environment}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def is_host_name(text: str) -> bool:
    """A public name DNS can resolve and an Ingress can serve (`host_problem` says why not)."""
    return host_problem(text) is None


def host_problem(text: str) -> str | None:
    """Why `text` is not a public host name, in words; None when it is one.

    Dot-separated labels of at most 63 (253 in all), as DNS has them; and, since
    the host goes into an Ingress rule, a certificate and the monitors: at least two
    labels (a public name has a domain), not an IP address (Kubernetes refuses an
    IP as an Ingress host), a last label that is not all digits (no top-level
    domain is), and `xn--` labels that are real punycode (an IDN in ASCII form).
    """
    labels = text.split(".")
    too_long = [label for label in labels if len(label) > 63]
    if too_long:
        return f"the part {too_long[0][:20]}… has {len(too_long[0])} characters (at most 63)"
    if len(text) > 253:
        return f"it has {len(text)} characters (at most 253)"
    if _is_ip_address(text):
        return (
            "it is an IP address; an Ingress serves a DNS name (Kubernetes refuses an IP "
            "there), so write the name that points at the cluster, e.g. erp.cliente.com.br"
        )
    if not all(_DNS_LABEL.fullmatch(label) for label in labels):
        for meant in (text.rstrip("."), text.lower(), text.lower().rstrip(".")):
            if meant and meant != text and host_problem(meant) is None:
                return f"write it as {meant} (lowercase, no final dot)"
        return (
            "it is not a DNS name (lowercase letters, digits and '-' in dot-separated parts, "
            "no '-' at either end of a part), e.g. erp.cliente.com.br"
        )
    if len(labels) < 2:
        return (
            "it has no domain (a single name, no dot); write the full name, "
            "e.g. erp.cliente.com.br"
        )
    if labels[-1].isascii() and labels[-1].isdigit():
        return (
            f"its last part {labels[-1]} is all digits, and no top-level domain is; "
            "write the full name, e.g. erp.cliente.com.br"
        )
    for label in labels:
        if label.startswith("xn--") and not _is_punycode(label):
            return (
                f"the part {label} starts with xn-- but is not valid punycode (the ASCII form "
                "of an accented name); copy the name as the DNS provider shows it"
            )
    return None


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_punycode(label: str) -> bool:
    # Decoded, it must come back the same through IDNA (nameprep refuses control
    # characters and the like); punycode of plain ASCII is no IDN either.
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        again = decoded.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return not decoded.isascii() and again == label


def is_object_name(text: str) -> bool:
    """A Kubernetes object name (DNS-1123 subdomain): at most 253, parts of any length."""
    return len(text) <= 253 and all(_SUBDOMAIN_PART.fullmatch(part) for part in text.split("."))


@dataclass(frozen=True)
class ClusterPolicy:
    """How clients reach their topologies: `policy/cluster.yaml`."""

    ingress_class: str
    controller_namespace: Mapping[str, str]  # labels of the ingress controller's namespace
    host_templates: Mapping[str, str]  # environment -> host, with {orgId}
    tls_secret_template: str
    cluster_issuer: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ClusterPolicy:
        ingress = data["ingress"]
        return cls(
            ingress_class=ingress["className"],
            controller_namespace=dict(ingress["controllerNamespace"]),
            host_templates=dict(ingress["hosts"]),
            tls_secret_template=ingress["tls"]["secretName"],
            cluster_issuer=ingress["tls"].get("clusterIssuer"),
        )

    def hosts(self, org_id: str, own: Mapping[str, str]) -> dict[str, str]:
        """The public host of each environment: the topology's own, else the default."""
        return {
            environment: own.get(environment)
            or expand(self.host_templates[environment], org_id, environment)
            for environment in ENVIRONMENTS
        }

    def tls_secret(self, org_id: str, environment: str) -> str:
        return expand(self.tls_secret_template, org_id, environment)


def check_cluster(document: Document) -> list[Problem]:
    """Templates that give every client a valid host and TLS Secret name of its own."""
    ingress = document.data["ingress"]
    problems: list[Problem] = []
    hosts = ingress["hosts"]
    for environment in ENVIRONMENTS:
        template = hosts[environment]
        example = expand(template, _SAMPLE_ORG_ID, environment)
        if "{orgId}" not in template:
            problems.append(
                document.problem(
                    ["ingress", "hosts", environment],
                    f"{template!r} has no {{orgId}}: every client would get the same host; "
                    "write e.g. {orgId}.protheus.saas.com.br",
                    "cluster-hosts",
                    key=False,
                )
            )
        elif (why := host_problem(example)) is not None:
            problems.append(
                document.problem(
                    ["ingress", "hosts", environment],
                    f"{template!r} does not give a valid host name (for org id "
                    f"{_SAMPLE_ORG_ID}: {example!r}): {why}",
                    "cluster-hosts",
                    key=False,
                )
            )
    if hosts["producao"] == hosts["homologacao"]:
        problems.append(
            document.problem(
                ["ingress", "hosts", "homologacao"],
                "produção and homologação would share one host; make them differ, e.g. "
                "{orgId}-homolog.protheus.saas.com.br",
                "cluster-hosts",
                key=False,
            )
        )
    secret = ingress["tls"]["secretName"]
    example = expand(secret, _SAMPLE_ORG_ID, "homologacao")
    if "{environment}" not in secret:
        problems.append(
            document.problem(
                ["ingress", "tls", "secretName"],
                f"{secret!r} has no {{environment}}: the certificates of produção and "
                "homologação would overwrite each other; write e.g. {orgId}-{environment}-tls",
                "cluster-tls",
                key=False,
            )
        )
    elif not is_object_name(example):
        problems.append(
            document.problem(
                ["ingress", "tls", "secretName"],
                f"{secret!r} does not give a valid Secret name (for org id {_SAMPLE_ORG_ID}: "
                f"{example!r}); parts of letters, digits or '-' joined by '.'",
                "cluster-tls",
                key=False,
            )
        )
    return problems

@dataclass(frozen=True)
class Person:
    """Someone a message names: a sender or the team's contact for a notice."""

    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class LogService:
    """How a link to one workload's logs is written (`policy/operations.yaml` `logs`)."""

    url: str  # with {query} once
    query: str  # with {app} (and usually {namespace})
    namespace_query: str | None = None


@dataclass(frozen=True)
class OperationsPolicy:
    sender: Person
    reply_to: str | None
    contact: Person
    logs: LogService

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OperationsPolicy:
        notices, logs = data["notices"], data["logs"]
        contact = notices["contact"]
        return cls(
            sender=Person(notices["from"]["name"], notices["from"]["email"]),
            reply_to=notices.get("replyTo"),
            contact=Person(contact["name"], contact["email"], contact["phone"]),
            logs=LogService(logs["url"], logs["query"], logs.get("namespaceQuery")),
        )
