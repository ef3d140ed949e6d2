"""The `rdm` command line: parse options, call the core, print. No logic here.

Exit codes (DESIGN.md): 0 ok; 1 the input is wrong or a gate said no; 2 usage
error; 3 an outside system failed, or output could not be written; 141 (as a
process killed by SIGPIPE) when the reader of stdout went away (`rdm … | head`).
Unexpected errors print one line and leave the traceback in a new file of its
own in the per-user state folder (`rdm.edges.writing.error_log`), never on the
terminal. Everything printed goes through `rdm.commands.output` (see there).
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback

import click

from rdm import __version__, i18n
from rdm.commands import output
from rdm.commands.options import EXIT_BROKEN_PIPE, EXIT_EXTERNAL, EXIT_FINDINGS, EXIT_USAGE
from rdm.edges.writing import error_log
from rdm.model.problems import ExternalError, RdmError, UsageError, one_line

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rdm")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """rdm: Requisições de Mudança (RDM) as code for a shared Kubernetes SaaS."""
    # Also when the group is run without `main` (click's test runner, another program).
    ctx.with_resource(output.guard(os.environ))


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
    stdout = sys.stdout
    with output.guard(os.environ):
        code = _run(argv)
        try:
            if isinstance(sys.stdout, output.GuardedStream):
                sys.stdout.finish()
        except output.OutputError as exc:
            code = _output_failed(exc)
        if isinstance(sys.stdout, output.GuardedStream) and sys.stdout.failed:
            _quiet_stdout(stdout)
    return code


def _run(argv: list[str] | None) -> int:
    i18n.activate(i18n.choose(os.environ))
    if i18n.missing_catalog():
        _say(
            f"rdm: warning: the {i18n.language()} catalog is not compiled (run `make`); "
            "showing English"
        )
    try:
        result = cli.main(args=argv, prog_name="rdm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:  # usage errors, bad parameters
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        _say("Aborted.")
        return 130
    except output.OutputError as exc:
        return _output_failed(exc)
    except UsageError as exc:
        _say(f"rdm: usage: {one_line(str(exc))}")
        return EXIT_USAGE
    except ExternalError as exc:
        _say(f"rdm: {one_line(str(exc))}")
        return EXIT_EXTERNAL
    except RdmError as exc:
        _say(f"rdm: {one_line(str(exc))}")
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: log, one line, exit 3
        log = error_log(traceback.format_exc(), os.environ)
        where = f"; details in {one_line(str(log))}" if log is not None else ""
        _say(f"rdm: internal error: {type(exc).__name__}: {one_line(str(exc))}{where}")
        return EXIT_EXTERNAL
    return int(result or 0)


def _say(line: str) -> None:
    """One line on stderr; if stderr itself is gone there is nobody left to tell."""
    with contextlib.suppress(output.OutputError):
        output.echo(line, err=True)


def _output_failed(exc: output.OutputError) -> int:
    if exc.broken_pipe and exc.stream == "standard output":
        return EXIT_BROKEN_PIPE  # the reader has what it wanted: no message
    _say(f"rdm: {exc}")
    return EXIT_EXTERNAL


def _quiet_stdout(stdout: object) -> None:
    """Point fd 1 at /dev/null after a failed write, so that the interpreter's last
    flush of what is still buffered does not print an error of its own."""
    try:
        if stdout is None or stdout.fileno() != 1:  # type: ignore[attr-defined]
            return
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    os.dup2(null, 1)
    os.close(null)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
