"""The `rdm` command line: parse options, call the core, print. No logic here.

Exit codes (DESIGN.md): 0 ok; 1 the input is wrong or a gate said no; 2 usage
error; 3 an outside system failed. Unexpected errors print one line and leave
the traceback in `rdm-error.log`, never on the terminal.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from rdm import __version__, i18n
from rdm.commands.options import EXIT_EXTERNAL, EXIT_FINDINGS, EXIT_USAGE
from rdm.model.problems import ExternalError, RdmError, UsageError, one_line

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rdm")
def cli() -> None:
    """rdm: Requisições de Mudança (RDM) as code for a shared Kubernetes SaaS."""


def _register() -> None:
    # Every module of rdm.commands that defines `command` is a subcommand, so a
    # new command is one new module and no edit here (and `rdm --help` lists it).
    import importlib
    import pkgutil

    import rdm.commands

    for module in pkgutil.iter_modules(rdm.commands.__path__):
        if module.name.startswith("_") or module.name == "options":
            continue
        command = getattr(importlib.import_module(f"rdm.commands.{module.name}"), "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line per failure, never a traceback on the terminal."""
    i18n.activate(i18n.choose(os.environ))
    if i18n.missing_catalog():
        click.echo(
            f"rdm: warning: the {i18n.language()} catalog is not compiled (run `make`); "
            "showing English",
            err=True,
        )
    try:
        result = cli.main(args=argv, prog_name="rdm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:  # usage errors, bad parameters
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except UsageError as exc:
        click.echo(f"rdm: usage: {exc}", err=True)
        return EXIT_USAGE
    except ExternalError as exc:
        click.echo(f"rdm: {one_line(str(exc))}", err=True)
        return EXIT_EXTERNAL
    except RdmError as exc:
        click.echo(f"rdm: {one_line(str(exc))}", err=True)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: log, one line, exit 3
        log = Path("rdm-error.log")
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f"; details in {log}"
        except OSError:
            where = ""
        click.echo(f"rdm: internal error: {type(exc).__name__}: {exc}{where}", err=True)
        return EXIT_EXTERNAL
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
