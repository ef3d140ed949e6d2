"""YAML the parser takes whose shape the code did not expect (issue 8, item 5).

libyaml reads up to 1,000 levels of nesting; the schema validator, the
renderer and repr recurse once per level or more, and Python stops at 1,000
frames. Python's int-to-text limit (4,300 digits) was guarded for decimal
integers only, not for `0x…`/`0o…` ones. A merge key `<<` written twice in one
mapping is a duplicate key that PyYAML took silently. Each is a finding at its
place, in every command, never an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from rdm.model.documents import MAX_DEPTH, parse

Run = Callable[..., tuple[int, str, str]]
RDM = "rdms/2026/RDM-2026-0041.yaml"
TOPOLOGY = "topologies/grupo-alvorada.yaml"
CALENDAR = "policy/calendar.yaml"


def _edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(repo: Path, relative: str, text: str) -> None:
    path = repo / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


# ---------------------------------------------------------------- nesting


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        (f"a: {_nested(990)}\n", 1, 4 + MAX_DEPTH - 1),  # flow sequences
        ("a: " + "{b: " * 900 + "1" + "}" * 900 + "\n", 1, 4 + 4 * (MAX_DEPTH - 1)),
        ("a:\n  " + "- " * 900 + "x\n", 2, 3 + 2 * (MAX_DEPTH - 1)),  # block sequences
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_a_document_nested_too_deep_is_a_finding_where_it_gets_too_deep(
    text: str, line: int, col: int
) -> None:
    result = parse("x.yaml", text.encode())
    assert result.document is None
    [problem] = result.problems
    assert (problem.line, problem.col, problem.rule) == (line, col, "yaml-depth")
    assert problem.message == (
        f"nested more than {MAX_DEPTH} levels deep; rdm's files need a handful"
    )


def test_depth_counts_what_aliases_expand_to() -> None:
    # 40 levels under an anchor, used 40 levels deep: 80 levels as read
    half = _nested(40)
    text = f"a: &deep {half}\nb: {'[' * 40}*deep{']' * 40}\n"
    [problem] = parse("x.yaml", text.encode()).problems
    assert problem.rule == "yaml-depth"
    # the anchored list starts at column 10, and is 42 levels down through `b`
    assert (problem.line, problem.col) == (1, 10 + MAX_DEPTH + 1 - 42)


def test_as_deep_as_allowed_is_read() -> None:
    result = parse("x.yaml", f"a: {_nested(MAX_DEPTH - 1)}\n".encode())
    assert result.problems == []


def test_a_recursive_alias_is_still_named_so() -> None:
    [problem] = parse("x.yaml", b"a: &x\n  <<: *x\n").problems
    assert problem.rule == "yaml-aliases"


DEEP = _nested(990)
PLACES = [
    (RDM, "title:", f"title: {DEEP}\ntitulo:"),
    (RDM, "targets:", f"extra: {DEEP}\ntargets:"),
    (TOPOLOGY, "MaxStringSize: 10}", f"MaxStringSize: {DEEP}}}"),
    (CALENDAR, "moves:\n", f"moves:\n  - {DEEP}\n"),
    ("policy/committee.yaml", "roles:\n", f"x: {DEEP}\nroles:\n"),
    ("policy/operations.yaml", "\n", f"\nx: {DEEP}\n"),
    ("policy/priorities.yaml", "\n", f"\nx: {DEEP}\n"),
    ("policy/standard-changes.yaml", "\n", f"\nx: {DEEP}\n"),
]


@pytest.mark.parametrize(("relative", "old", "new"), PLACES, ids=[p[0] for p in PLACES])
def test_deep_nesting_anywhere_is_a_finding_in_every_command(
    example_repo: Path, run_rdm: Run, relative: str, old: str, new: str
) -> None:
    _edit(example_repo, relative, old, new)
    repo = ("--repo", str(example_repo))
    code, out, err = run_rdm("validate", "--format", "text", *repo)
    assert code == 1, err
    assert re.search(rf"{re.escape(relative)}:\d+:\d+: error: nested more than", out), out
    for argv in (
        ["window", "--emergency", "--at", "2026-12-10T01:00:00-03:00"],
        ["calendar", "--from", "2026-12-01", "--format", "json"],
        ["render"],
        ["list", "--at", "2026-12-08T13:00:00-03:00"],
        ["logs", "grupo-alvorada"],
        ["notice", "RDM-2026-0043"],
        ["new", "--no-input"],
        ["committee"],
    ):
        code, out, err = run_rdm(*argv, *repo)
        assert "internal error" not in err, (argv, err)
        assert code in (0, 1, 2), (argv, err)
    assert run_rdm("window", "--emergency", *repo)[0] == 0


# ---------------------------------------------------------------- big integers


@pytest.mark.parametrize(
    "number", ["0x" + "f" * 3600, "0o" + "7" * 4800, "-" + "9" * 4301, "0x" + "F" * 100_000]
)
def test_an_integer_too_long_to_print_is_a_finding_in_any_base(number: str) -> None:
    [problem] = parse("x.yaml", f"a: {number}\n".encode()).problems
    assert (problem.line, problem.col, problem.rule) == (1, 4, "yaml-number")
    assert problem.message.startswith("an integer of more than 4,300 digits")


def test_the_largest_printable_integer_is_read() -> None:
    text = "0x" + format(10**4300 - 1, "x")
    document = parse("x.yaml", f"a: {text}\n".encode()).document
    assert document is not None and document.data["a"] == 10**4300 - 1


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        (TOPOLOGY, "replicas: 3", "replicas: 0x" + "f" * 4000),
        (TOPOLOGY, "port: 1433", "port: 0o" + "7" * 5000),
        (TOPOLOGY, "MaxStringSize: 10}", "MaxStringSize: 0x" + "f" * 4000 + "}"),
    ],
    ids=["replicas", "port", "ini-value"],
)
def test_a_huge_hex_integer_is_a_finding_in_every_command(
    example_repo: Path, run_rdm: Run, relative: str, old: str, new: str
) -> None:
    _edit(example_repo, relative, old, new)
    repo = ("--repo", str(example_repo))
    code, out, err = run_rdm("validate", "--format", "text", *repo)
    assert code == 1, err
    assert "an integer of more than 4,300 digits" in out
    assert "[yaml-number]" in out
    for argv in (["render"], ["logs", "grupo-alvorada"], ["notice", "RDM-2026-0041"]):
        code, _, err = run_rdm(*argv, *repo)
        assert "internal error" not in err, (argv, err)


# ---------------------------------------------------------------- merge keys


def test_a_merge_key_twice_in_one_mapping_is_a_duplicate_key() -> None:
    text = "a: &a {x: 1}\nb: &b {x: 2}\nc:\n  <<: *a\n  <<: *b\n"
    [problem] = parse("x.yaml", text.encode()).problems
    assert (problem.line, problem.col, problem.rule) == (5, 3, "yaml-duplicate-key")
    assert problem.message == "duplicate key '<<'"


@pytest.mark.parametrize("key", ["x", "name", "requests", "ção"])
def test_one_merge_key_with_a_list_is_read_as_yaml_says(key: str) -> None:
    # the first mapping in the list wins, and the mapping's own keys win over both
    # (PyYAML told keys apart by identity: one-letter keys worked, `name` did not)
    text = (
        f"a: &a {{{key}: 1, y: 1}}\nb: &b {{{key}: 2, z: 2}}\n"
        "c:\n  <<: [*a, *b]\n  y: 3\nd:\n  <<: *b\n  " + key + ": 4\n"
    )
    document = parse("x.yaml", text.encode()).document
    assert document is not None
    assert document.data["c"] == {key: 1, "y": 3, "z": 2}
    assert document.data["d"] == {key: 4, "z": 2}


def test_a_merged_key_is_found_where_it_is_written() -> None:
    text = "base: &base\n  image: x\n  port: 1\nuse:\n  <<: *base\n  port: 2\n"
    document = parse("x.yaml", text.encode()).document
    assert document is not None
    image, port = document.position(["use", "image"]), document.position(["use", "port"])
    assert ((image.line, image.col), (port.line, port.col)) == ((2, 3), (6, 3))


@pytest.mark.parametrize(
    ("text", "line", "col", "rule", "message"),
    [
        ("a:\n  <<: {1: x}\n", 2, 8, "yaml-key-type", "keys must be text"),
        ("a:\n  <<: {~: x}\n", 2, 8, "yaml-key-type", "keys must be text"),
        ("a:\n  <<: {[k]: x}\n", 2, 8, "yaml-key-type", "keys must be text"),
        ("m: &m {true: 1}\na:\n  <<: [*m]\n", 1, 8, "yaml-key-type", "keys must be text"),
        (
            "a:\n  <<: 1\n",
            2,
            7,
            "yaml-merge",
            "the merge key '<<' takes a mapping or a list of mappings, not a scalar",
        ),
        (
            "a:\n  <<: [{k: 1}, [x]]\n",
            2,
            16,
            "yaml-merge",
            "the merge key '<<' takes a mapping or a list of mappings, not a sequence",
        ),
        (
            "a: &a {k: 1}\nb:\n  <<: [*a, ~]\n",
            3,
            12,
            "yaml-merge",
            "the merge key '<<' takes a mapping or a list of mappings, not a scalar",
        ),
        (
            "a:\n  <<: {k: 1}\n  k: 2\n  <<: {j: 1}\n",
            4,
            3,
            "yaml-duplicate-key",
            "duplicate key '<<'",
        ),
    ],
    ids=[
        "int-key",
        "null-key",
        "list-key",
        "bool-key-through-alias",
        "scalar",
        "sequence-in-list",
        "null-in-list",
        "merge-twice",
    ],
)
def test_what_a_merge_brings_is_checked_like_any_key(
    text: str, line: int, col: int, rule: str, message: str
) -> None:
    result = parse("x.yaml", text.encode())
    assert result.document is None
    [problem] = result.problems
    assert (problem.line, problem.col, problem.rule, problem.message) == (line, col, rule, message)


MERGES = [
    (
        TOPOLOGY,
        "    replicas: 3\n",
        "    <<: {replicas: 3}\n    <<: {replicas: 4}\n",
        "duplicate key '<<'",
    ),
    (TOPOLOGY, "    replicas: 3\n", "    replicas: 3\n    <<: {1433: x}\n", "keys must be text"),
    (RDM, "title:", "<<: [hello]\ntitle:", "the merge key '<<' takes a mapping"),
    (CALENDAR, "moves:\n", "<<: {<<: 1}\nmoves:\n", "the merge key '<<' takes a mapping"),
]


@pytest.mark.parametrize(("relative", "old", "new", "message"), MERGES)
def test_a_bad_merge_is_a_finding_in_every_command(
    example_repo: Path, run_rdm: Run, relative: str, old: str, new: str, message: str
) -> None:
    _edit(example_repo, relative, old, new)
    repo = ("--repo", str(example_repo))
    code, out, err = run_rdm("validate", "--format", "text", *repo)
    assert code == 1, err
    assert re.search(rf"{re.escape(relative)}:\d+:\d+: error: {re.escape(message)}", out), out
    for argv in (
        ["window", "--emergency", "--at", "2026-12-10T01:00:00-03:00"],
        ["calendar", "--from", "2026-12-01", "--format", "json"],
        ["render"],
        ["list", "--at", "2026-12-08T13:00:00-03:00"],
        ["logs", "grupo-alvorada"],
        ["notice", "RDM-2026-0043"],
        ["committee"],
    ):
        code, out, err = run_rdm(*argv, *repo)
        assert "internal error" not in err, (argv, err)
        assert code in (0, 1, 2), (argv, err)
    assert run_rdm("window", "--emergency", *repo)[0] == 0
