"""One module per `rdm` command; each exposes `command`, a click command that only
parses options, calls the library and returns an exit code.

A rule, a loading step or an output format does not belong here: it goes in
the core (`calendar`, `approvals`, `rendering`, ...), in an edge (`repository`,
`documents`, `github`) or in a reporter, where the library can use it too.

Everything a command prints goes through `rdm.commands.output`: `echo` for
text (stdout, or stderr with `err=True`), `workflow_commands` for the GitHub
workflow commands rdm means to emit. `cli` installs `output.guard` over stdout
and stderr for the whole run, so that under GitHub Actions no line can start a
workflow command it did not mean (a file name or a value from the repository
can carry one), and a write that fails (a closed stdout, a full disk, a pipe
whose reader left) is one line and exit 3 (141, quietly, for the pipe). A new
command prints the same way -- never `print`, `click.echo` or `sys.stdout`
directly; `tests/test_workflow_commands.py` checks it.
"""
