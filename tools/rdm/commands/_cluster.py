"""Options and set-up shared by the cluster commands (diff, apply, rollback, snapshots,
status, restart, drift): which cluster, who is acting, which revision and RDM.

Parsing and wiring only: the cluster edge is built here from the options, the
plans from the repository; deciding and applying happen in `rdm.operations`.
"""

from __future__ import annotations

import getpass
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from rdm.commands.output import echo
from rdm.edges.repository import load_repository, render_source
from rdm.edges.sources import GitRevision, Source, WorkTree, work_tree_revision
from rdm.model.problems import RdmError, UsageError
from rdm.model.rdms import Rdm, parse_duration
from rdm.operations.applier import TopologyPlan
from rdm.operations.ports import Cancel

if TYPE_CHECKING:  # the kubernetes client loads only when a command talks to the cluster
    from rdm.edges.cluster import KubeCluster

F = TypeVar("F", bound=Callable[..., Any])


def cluster_options(function: F) -> F:
    """--kubeconfig, --context, --request-timeout."""
    function = click.option(
        "--request-timeout",
        type=click.FloatRange(min=1.0),
        default=30.0,
        show_default=True,
        help="Seconds to wait for one answer of the API server (each request is retried "
        "on 429, 5xx and timeouts).",
    )(function)
    function = click.option(
        "--context", default=None, help="kubeconfig context (default: its current context)."
    )(function)
    function = click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster).",
    )(function)
    return function


def format_option(choices: Sequence[str]) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output",
        type=click.Choice(list(choices)),
        default="text",
        show_default=True,
        help="Output format.",
    )


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def org_id(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """A click callback: org ids are namespace names (DNS labels), nothing else reaches
    a label selector or an API path."""
    values = value if isinstance(value, tuple) else (value,)
    for one in values:
        if one is not None and not _DNS_LABEL.fullmatch(one):
            raise click.BadParameter(
                f"{one!r} is not an org id (a namespace name: lower-case letters, digits "
                "and '-', at most 63)"
            )
    return value


def open_cluster(kubeconfig: Path | None, context: str | None, timeout: float) -> KubeCluster:
    from rdm.edges.cluster import RetryPolicy, connect

    def notify(message: str) -> None:
        echo(f"rdm: {message}", err=True)

    return connect(
        kubeconfig,
        context,
        retry=RetryPolicy(read_timeout=timeout),
        notify=notify,
    )


# What each further SIGINT or SIGTERM does, as the operator reads it on stderr.
STOP_MESSAGES = {
    "apply": (
        "stopping: each topology being applied is rolled back to its snapshot, the others "
        "are not started ({name} again: roll back without waiting for health)",
        "rolling back without waiting for health ({name} a third time: abandon the "
        "rollbacks, leaving those topologies between two states)",
        "abandoning the rollbacks at their next step",
    ),
    "rollback": (
        "the rollback goes on: it is what brings the topology back to a known state "
        "({name} again: stop waiting for health)",
        "no longer waiting for health ({name} a third time: abandon the rollback half-way)",
        "abandoning the rollback at its next step",
    ),
    "restart": (
        "no longer waiting for health; the restart goes on in the cluster",
        "no longer waiting for health",
        "no longer waiting for health",
    ),
}


@contextmanager
def stop_on_signals(command: str) -> Iterator[Cancel]:
    """SIGINT (Ctrl-C) and SIGTERM (a CI cancel, a `kill`) counted into a `Cancel` for the
    operation, which stops at its next safe step and still prints its result; the lock is
    released either way. A fourth signal stops at once (KeyboardInterrupt). Outside the
    main thread (the library used from a thread), no handler is installed."""
    cancel = Cancel()
    messages = STOP_MESSAGES[command]

    def handler(number: int, _frame: object) -> None:
        name = signal.Signals(number).name
        level = cancel.request(name)
        if level > len(messages):
            raise KeyboardInterrupt
        echo(f"rdm: {name}: {messages[level - 1].format(name=name)}", err=True)

    previous: dict[signal.Signals, Any] = {}
    try:
        for which in (signal.SIGINT, signal.SIGTERM):
            previous[which] = signal.signal(which, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield cancel
    finally:
        for which, old in previous.items():
            signal.signal(which, old)


def now() -> datetime:
    return datetime.now(UTC)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def identity() -> str:
    """Who holds the lock, as a second run will read it: `RDM_ACTOR`, CI's actor and run,
    or user@host."""
    if os.environ.get("RDM_ACTOR"):
        return f"{os.environ['RDM_ACTOR']} (pid {os.getpid()})"
    actor = os.environ.get("GITHUB_ACTOR")
    run = os.environ.get("GITHUB_RUN_ID")
    if actor and run:
        return f"{actor} (GitHub Actions run {run}, pid {os.getpid()})"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


def parse_budget(value: str | None, option: str) -> timedelta | None:
    if value is None:
        return None
    try:
        budget = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    if budget <= timedelta(0):
        raise click.BadParameter(f"{value!r} is no time at all", param_hint=option)
    return budget


def source_of(repo: Path, rev: str | None) -> tuple[Source, str]:
    """Where to read the topologies from, and the revision to record for them."""
    if rev is not None:
        revision = GitRevision(repo, rev)
        return revision, revision.sha
    return WorkTree(repo, str(repo)), work_tree_revision(repo)


def load_rdm(source: Source, rdm_id: str) -> Rdm:
    parts = rdm_id.split("-")
    if len(parts) != 3 or parts[0] != "RDM" or not (parts[1].isascii() and parts[1].isdigit()):
        raise UsageError(f"--rdm {rdm_id!r} is not an RDM id (RDM-YYYY-NNNN)")
    path = f"rdms/{parts[1]}/{rdm_id}.yaml"
    if path not in set(source.files()):
        raise RdmError(f"{rdm_id}: there is no {path}")
    repository = load_repository(source, only=[path])
    found = repository.rdms.get(rdm_id)
    if found is None:
        details = "; ".join(str(p) for p in repository.problems if p.path.endswith(path))
        raise RdmError(f"{rdm_id} cannot be read ({path})" + (f": {details}" if details else ""))
    return found


def plans(
    repo: Path,
    rev: str | None,
    org_ids: Sequence[str],
    *,
    rdm_id: str | None,
    budget: timedelta | None,
    rollback_budget: timedelta | None,
    dry_run: bool = False,
    force_conflicts: bool = False,
) -> list[TopologyPlan] | None:
    """The plans of the topologies asked for; None after printing why they cannot render."""
    source, revision = source_of(repo, rev)
    rdm = load_rdm(source, rdm_id) if rdm_id else None
    if rdm is not None:
        outside = [org for org in org_ids if org not in rdm.targets]
        if outside:
            raise UsageError(
                f"{rdm.id} does not target {', '.join(outside)} (its targets: "
                f"{', '.join(rdm.targets)})"
            )
    rendered = render_source(source, org_ids)
    if rendered.problems:
        for problem in rendered.problems:
            echo(str(problem), err=True)
        return None
    default = timedelta(minutes=30)
    return [
        TopologyPlan.from_manifests(
            org,
            manifests,
            revision=revision,
            rdm_id=rdm.id if rdm else None,
            budget=budget or (rdm.estimated_duration if rdm else default),
            rollback_budget=rollback_budget or (rdm.rollback_duration if rdm else default),
            dry_run=dry_run,
            force_conflicts=force_conflicts,
        )
        for org, manifests in rendered.manifests.items()
    ]
