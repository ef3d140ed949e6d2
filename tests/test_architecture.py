"""The layering of DESIGN.md, checked on the source: the core does no I/O.

Decisions (calendar, approvals, standard changes, rendering, the model) take data
and time as arguments; only the edges talk to git, GitHub, the network or the
clock. An import or a call that breaks this fails here, naming the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "rdm"

CORE = [
    "calendar",
    "approvals",
    "standard",
    "rendering",
    "rdms",
    "topologies",
    "policy",
    "problems",
    "reporting",
    "codeowners",
    "calendar_report",
]
# module -> the outside libraries it alone may import
EDGES = {"git": {"documents"}, "requests": {"github"}, "kubernetes": {"cluster"}}
FORBIDDEN_IN_CORE = {"socket", "subprocess", "urllib", "http", "requests", "git", "kubernetes"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _clock_calls(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"now", "today", "utcnow", "time"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"datetime", "date", "time"}
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_no_io(module: str) -> None:
    path = PACKAGE / f"{module}.py"
    assert path.exists()
    assert _imports(path) & FORBIDDEN_IN_CORE == set()
    assert _clock_calls(path) == [], f"{module} reads the clock"


@pytest.mark.parametrize("library", sorted(EDGES))
def test_outside_libraries_only_in_their_edge(library: str) -> None:
    users = {path.stem for path in PACKAGE.rglob("*.py") if library in _imports(path)}
    assert users <= EDGES[library], f"{library} imported by {sorted(users - EDGES[library])}"


def test_only_commands_read_the_clock() -> None:
    readers = {
        path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if _clock_calls(path)
    }
    assert all(reader.startswith("commands/") for reader in readers), readers
