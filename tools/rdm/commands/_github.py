"""What the commands that ask GitHub share: the repository's name and the client.

Not a command. `rdm approvals` has its own copy of the name check from before
this module; the gate, the rollout and the audit use this one.
"""

from __future__ import annotations

import os
import re

import click

from rdm.commands.output import echo
from rdm.edges.github import GitHubClient
from rdm.model.problems import UsageError

# GitHub's owner and repository names: letters, digits, '-', '_' and '.'.
_SLUG = re.compile(r"\A[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")

repo_slug_option = click.option(
    "--repo-slug",
    default=None,
    help="owner/name of the GitHub repository [default: $GITHUB_REPOSITORY].",
)


def repo_slug(value: str | None) -> str:
    slug = value or os.environ.get("GITHUB_REPOSITORY")
    if not slug or not _SLUG.match(slug) or any(p in (".", "..") for p in slug.split("/")):
        raise UsageError(
            "name the repository with --repo-slug owner/name (or set GITHUB_REPOSITORY)"
        )
    return slug


def client() -> GitHubClient:
    """The GitHub client of GITHUB_API_URL and GITHUB_TOKEN; waits are told on stderr."""
    return GitHubClient.from_env(
        os.environ, notify=lambda message: echo(f"rdm: {message}", err=True)
    )


def run_url(slug: str) -> str | None:
    """This CI run's page, when running in GitHub Actions."""
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{slug}/actions/runs/{run}" if server and run else None
