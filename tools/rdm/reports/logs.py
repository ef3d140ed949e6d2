"""The team's log links for a client: one search per workload, by namespace and app.

The log service's search URL and query come from `policy/operations.yaml`
(`logs.url` with `{query}`, `logs.query` with `{namespace}` and `{app}`). The app
names are the workload names the team already filters by
(protheus-appserver-prod, protheus-dbaccess, ...), the `app` label the rendered
pods carry. Org ids and workload names are DNS labels (the schemas say so), so
they go into the query as they are; the query is percent-encoded whole into the
URL, so nothing in it can add a parameter. Pure: builds text, reads nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdm.i18n import N_, _
from rdm.model.policy import LogService
from rdm.model.topologies import WORKLOADS, Topology
from rdm.reports import jsontext

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
