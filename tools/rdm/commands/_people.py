"""What `rdm list`, `rdm agenda` and `rdm report` share: the instant, GitHub when a
token is set, and every RDM's lifecycle. Not a command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from rdm.commands.output import echo
from rdm.decisions import calendar, lifecycle
from rdm.edges.github import GitHubClient
from rdm.edges.rdm_facts import Gathered, gather
from rdm.i18n import N_, _
from rdm.model.problems import RdmError
from rdm.reports.printable import printable

repo_slug_option = click.option(
    "--repo-slug",
    default=None,
    help=N_(
        "owner/name on GitHub, to read PRs and verdicts when GITHUB_TOKEN is set "
        "[default: $GITHUB_REPOSITORY]."
    ),
)
at_option = click.option(
    "--at",
    default=None,
    metavar="ISO8601",
    help=N_("Take this instant as now (with an offset, e.g. 2026-12-01T09:00:00-03:00)."),
)


@dataclass
class People:
    gathered: Gathered
    policy: calendar.CalendarPolicy
    now: datetime
    statuses: list[lifecycle.Status]
    with_github: bool


def client_from_env(repo_slug: str | None) -> tuple[GitHubClient | None, str | None]:
    """A GitHub client when GITHUB_TOKEN and a repository name are both known."""
    slug = repo_slug or os.environ.get("GITHUB_REPOSITORY")
    if not os.environ.get("GITHUB_TOKEN"):
        return None, None
    if not slug or slug.count("/") != 1:
        echo(
            "rdm: "
            + _(
                "GITHUB_TOKEN is set but the repository is not named (--repo-slug owner/name); "
                "PRs and verdicts are not read"
            ),
            err=True,
        )
        return None, None
    client = GitHubClient.from_env(
        os.environ, notify=lambda message: echo(f"rdm: {message}", err=True)
    )
    return client, slug


def load(repo: Path, at: datetime | None, repo_slug: str | None) -> People:
    client, slug = client_from_env(repo_slug)
    gathered = gather(repo, str(repo), client, slug)
    policy = gathered.repository.calendar
    if policy is None or gathered.repository.priorities is None:
        raise RdmError(
            _("policy/calendar.yaml or policy/priorities.yaml cannot be read; run `rdm validate`")
        )
    now = at if at is not None else datetime.now(UTC)
    statuses = [
        lifecycle.derive(f, policy, gathered.repository.priority(f.rdm), now, gathered.follows)
        for f in gathered.facts
    ]
    for note in gathered.notes:
        echo(f"rdm: {printable(note)}", err=True)
    return People(gathered, policy, now, statuses, client is not None)
