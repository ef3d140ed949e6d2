"""Commands whose `--help` is in the team's language. Not a command.

click takes a command's help, and its options', when the module is imported,
before `cli.main` has chosen the language. `TranslatedCommand` translates them
when they are shown (`rdm CMD --help`, and the list of `rdm --help`) through the
same catalog as every other message; the texts are written in English and marked
with `N_` where the command is declared. Only the help text changes: option
names, choices and metavars stay as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from rdm.i18n import N_, _

# Shared options declared outside the people tools (rdm.commands.options), marked
# here so that their help reaches the catalog; keep the text equal to theirs.
SHARED = (
    N_("Root of the RDM repository (rdms/, topologies/, policy/)."),
    # rdm.commands._cluster.cluster_options (rdm logs --tail)
    N_(
        "Seconds to wait for one answer of the API server (each request is retried "
        "on 429, 5xx and timeouts)."
    ),
    N_("kubeconfig context (default: its current context)."),
    N_("kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)."),
)


@contextmanager
def _translated(command: click.Command) -> Iterator[None]:
    saved: list[tuple[Any, str, str | None]] = [
        (command, "help", command.help),
        (command, "short_help", command.short_help),
        *((param, "help", getattr(param, "help", None)) for param in command.params),
    ]
    try:
        for owner, attribute, text in saved:
            if text:
                setattr(owner, attribute, _(text))
        yield
    finally:
        for owner, attribute, text in saved:
            if hasattr(owner, attribute):
                setattr(owner, attribute, text)


class TranslatedCommand(click.Command):
    """A click command whose help, and its options', is shown in the active language."""

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return super().get_short_help_str(limit)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self):
            super().format_help(ctx, formatter)
