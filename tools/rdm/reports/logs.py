"""The team's log links for a client (one search per workload, by namespace and app),
and the lines of `rdm logs --tail` read from the cluster.

The log service's search URL and query come from `policy/operations.yaml`
(`logs.url` with `{query}`, `logs.query` with `{namespace}` and `{app}`). The app
names are the workload names the team already filters by
(protheus-appserver-prod, protheus-dbaccess, ...), the `app` label the rendered
pods carry. Org ids and workload names are DNS labels (the schemas say so), so
they go into the query as they are; the query is percent-encoded whole into the
URL, so nothing in it can add a parameter.

Log lines (`tail_lines`) come from the cluster and are hostile: each is shown
after its pod's prefix (`[pod/NAME]`, `[pod/NAME/CONTAINER]` when the pod has
several containers), with every terminal control and reordering character
escaped (`\\x1b`), tabs kept; a CR before the line break goes, any other
line-breaking character is escaped, so one log line is one output line, which
starts with its prefix. Bytes that are not UTF-8 are shown escaped (`\\xff`).

Pure: builds text, reads nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdm.i18n import N_, _, decimal, ngettext
from rdm.model.policy import LogService
from rdm.model.topologies import WORKLOADS, Topology
from rdm.operations.pod_logs import ContainerLog, LogQuery
from rdm.reports import jsontext
from rdm.reports.printable import printable

ALL = N_("(all)")  # the line of the namespace-wide search (translated where shown)
# RFC 3986 unreserved characters; everything else is percent-encoded (UTF-8), so a
# query can never add a parameter or end the URL. (urllib.parse.quote(safe="") does
# the same, but the pure layers import nothing of urllib: tests/test_architecture.py.)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def percent_encode(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


@dataclass(frozen=True)
class LogLink:
    app: str  # a workload name, or ALL
    query: str
    url: str


def _link(service: LogService, template: str, namespace: str, app: str) -> LogLink:
    query = template.replace("{namespace}", namespace).replace("{app}", app)
    return LogLink(app, query, service.url.replace("{query}", percent_encode(query)))


def links(topology: Topology, service: LogService, workload: str | None = None) -> list[LogLink]:
    """The namespace-wide search (when the policy has one), then one per running workload;
    with `workload`, only that one (any workload name: logs outlive a disabled workload)."""
    namespace = topology.namespace
    if workload is not None:
        return [_link(service, service.query, namespace, workload)]
    found = []
    if service.namespace_query:
        found.append(_link(service, service.namespace_query, namespace, ""))
    found += [
        _link(service, service.query, namespace, w.name) for w in topology.workloads if w.enabled
    ]
    return found


def known_workload(name: str) -> bool:
    return name in WORKLOADS


def text(found: Sequence[LogLink]) -> str:
    every = _(ALL)
    width = max((len(link.app or every) for link in found), default=0)
    return "".join(f"{(link.app or every).ljust(width)}  {link.url}\n" for link in found)


def as_json(org_id: str, found: Sequence[LogLink]) -> str:
    items = [{"app": link.app or None, "query": link.query, "url": link.url} for link in found]
    return jsontext.dumps({"orgId": org_id, "links": items}, indent=2) + "\n"


# ---------------------------------------------------------------- rdm logs --tail


CR = "\r"  # of a CRLF line break (a log written on Windows)


def _prefix(found: ContainerLog) -> str:
    where = f"pod/{found.pod}/{found.container}" if found.several else f"pod/{found.pod}"
    return printable(f"[{where}]")


def tail_lines(found: ContainerLog) -> list[str]:
    """The container's log lines as shown, each after its prefix; a line the read cut
    short (the byte limit or the deadline reached inside it) is left out."""
    if found.read is None or not found.read.data:
        return []
    lines = found.read.data.decode("utf-8", "backslashreplace").split("\n")
    if lines[-1] == "" or found.read.more or found.read.late:
        lines.pop()  # after the last line break: nothing, or a line cut short
    prefix = _prefix(found)
    return [f"{prefix} {printable(line.removesuffix(CR), tabs=True)}" for line in lines]


def _size(count: int) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} B"


def tail_notes(found: ContainerLog, limit_bytes: int, seconds: float) -> list[str]:
    """What stderr says of one container: why it has no log, or that its log was cut."""
    prefix = _prefix(found)
    if found.absent:
        return [
            _("rdm: {prefix} has no container {container} (its containers: {names})").format(
                prefix=prefix,
                container=printable(found.container),
                names=printable(", ".join(found.containers)) or "-",
            )
        ]
    if found.missing is not None:
        return [
            _("rdm: {prefix} no log: {reason}").format(
                prefix=prefix, reason=printable(found.missing)
            )
        ]
    if found.read is not None and found.read.more:
        return [
            _(
                "rdm: {prefix} log cut at {size}: ask for fewer lines (--tail) or a shorter --since"
            ).format(prefix=prefix, size=_size(limit_bytes))
        ]
    if found.read is not None and found.read.late:
        return [
            _(
                "rdm: {prefix} log cut after {seconds} s of reading: the rest did not "
                "arrive in time (--request-timeout)"
            ).format(prefix=prefix, seconds=decimal(seconds, 0 if seconds.is_integer() else 1))
        ]
    return []


def no_pods(query: LogQuery) -> str:
    if query.workload:
        return _("rdm: no pod of {workload} of {org} in the cluster").format(
            workload=query.workload, org=query.org_id
        )
    return _("rdm: no pod of {org} in the cluster").format(org=query.org_id)


def no_lines(query: LogQuery, pods: int) -> str:
    return ngettext(
        "rdm: no log line from the {n} pod of {org}",
        "rdm: no log line from the {n} pods of {org}",
        pods,
    ).format(n=pods, org=query.org_id)
