"""The layering of DESIGN.md, checked on the source: I/O lives in `rdm.edges`.

The package is grouped by layer: `model` (the data and its own rules),
`decisions` (calendar, committee, gate), `rendering` (manifests), `reports`
(how results are printed), `operations` (orchestration against the cluster:
apply, snapshots, lock, drift), `edges` (files, git, GitHub, the cluster) and
`commands` (the thin CLI). The pure layers take data and time as arguments;
`operations` receives the cluster edge through a Protocol and the clock and
sleep as arguments, so it too imports no I/O library and reads no clock; only
the edges talk to git, GitHub, the network or the cluster, and only the
commands read the clock. An import or a call that breaks this fails here,
naming the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "rdm"

PURE_LAYERS = ("model", "decisions", "rendering", "reports", "i18n")
# Orchestration: no I/O library and no clock either; the cluster comes in as a Protocol.
NO_IO_LAYERS = (*PURE_LAYERS, "operations")
LAYERS = (*NO_IO_LAYERS, "edges", "commands")
# library -> the edge modules that alone may import it
EDGES = {
    "git": {"edges/sources.py", "edges/notes.py", "edges/history.py", "edges/gitlog.py"},
    # GitHub's REST API, UptimeRobot's API v2 and Slack's incoming webhooks, each
    # through its own client module
    "requests": {"edges/github.py", "edges/uptimerobot.py", "edges/slack.py"},
    "smtplib": {"edges/mail.py"},
    "kubernetes": {"edges/cluster.py"},
    "urllib3": {"edges/cluster.py"},  # the kubernetes client's transport
    "rich": {"commands/_progress.py"},  # terminal display, for the commands only
    # build tooling: extracts and compiles the catalogs; rdm reads .mo with gettext
    "babel": {"i18n/catalogs.py"},
}
FORBIDDEN_IN_CORE = {
    "socket",
    "subprocess",
    "urllib",
    "http",
    "requests",
    "git",
    "kubernetes",
    "smtplib",
    "urllib3",
    "rich",
    "time",
    "ssl",
    "rdm.edges",
    "rdm.commands",
}


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level names imported, plus the `rdm.<layer>` prefixes of rdm imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            names.add(parts[0])
            if parts[0] == "rdm" and len(parts) > 1:
                names.add(".".join(parts[:2]))
    return names


def _clock_calls(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"now", "today", "utcnow", "time", "monotonic"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"datetime", "date", "time"}
        ):
            lines.append(node.lineno)
    return lines


def test_every_module_sits_in_a_layer() -> None:
    loose = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in LAYERS
    }
    assert loose == {"__init__.py", "cli.py"}


@pytest.mark.parametrize(
    "module",
    [path.relative_to(PACKAGE).as_posix() for layer in NO_IO_LAYERS for path in _modules(layer)],
)
def test_pure_layers_do_no_io(module: str) -> None:
    path = PACKAGE / module
    assert _imports(path) & FORBIDDEN_IN_CORE == set()
    assert _clock_calls(path) == [], f"{module} reads the clock"


@pytest.mark.parametrize("library", sorted(EDGES))
def test_outside_libraries_only_in_their_edge(library: str) -> None:
    users = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if library in _imports(path)
    }
    assert users <= EDGES[library], f"{library} imported by {sorted(users - EDGES[library])}"


def test_only_commands_and_edges_read_the_clock() -> None:
    readers = {
        path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if _clock_calls(path)
    }
    assert all(reader.startswith(("commands/", "edges/")) for reader in readers), readers


def test_operations_are_a_layer_that_commands_use() -> None:
    """The orchestration sits between commands and edges: it never imports them."""
    modules = _modules("operations")
    assert modules, "tools/rdm/operations is missing"
    for path in modules:
        assert not _imports(path) & {"rdm.edges", "rdm.commands"}, path.name
