"""YAML the parser takes whose shape the code did not expect (issue 8, item 5).

libyaml reads up to 1,000 levels of nesting; the schema validator, the
renderer and repr recurse once per level or more, and Python stops at 1,000
frames. Python's int-to-text limit (4,300 digits) was guarded for decimal
integers only, not for `0x…`/`0o…` ones. A merge key `<<` written twice in one
mapping is a duplicate key that PyYAML took silently. Each is a finding at its
place, in every command, never an internal error.
"""

from __future__ import annotations

import ast
import json
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


def _commit(repo: Path) -> None:
    """The repository as git history, for the commands that read it (list, history)."""
    import git

    clone = git.Repo.init(repo)
    with clone.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    clone.git.add(A=True)
    clone.index.commit("dados")


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
    ("policy/cluster.yaml", "className: nginx", f"className: {DEEP}"),
]


@pytest.mark.parametrize(("relative", "old", "new"), PLACES, ids=[p[0] for p in PLACES])
def test_deep_nesting_anywhere_is_a_finding_in_every_command(
    example_repo: Path, run_rdm: Run, relative: str, old: str, new: str
) -> None:
    _edit(example_repo, relative, old, new)
    _commit(example_repo)
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
        ["history"],
        ["history", "RDM-2026-0041"],
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
    _commit(example_repo)
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
        ["history"],
        ["history", "RDM-2026-0041"],
    ):
        code, out, err = run_rdm(*argv, *repo)
        assert "internal error" not in err, (argv, err)
        assert code in (0, 1, 2), (argv, err)
    assert run_rdm("window", "--emergency", *repo)[0] == 0


# ---------------------------------------------------------------- values built to backtrack


ATTACK = "a/" * 40 + "x!"  # 2^40 ways for the old image pattern to fail


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "  tss: registry.saas.local/protheus/tss:12.1.2410-20261020",
            f"  tss: registry.saas.local/{ATTACK}",
            19,
        ),
        (
            "  status: registry.saas.local/protheus/status:1.4.2",
            "  status: " + "a/" * 40 + "\t",  # a tab ends the plain scalar: refused text
            18,
        ),
        (
            '    replicas: 1\n    cpu: {request: 500m, limit: "1"}',
            f'    replicas: 1\n    image: r.local/{ATTACK}\n    cpu: {{request: 500m, limit: "1"}}',
            69,
        ),
    ],
    ids=["images", "images-trailing-tab", "workload-image"],
)
def test_an_image_built_to_backtrack_is_a_finding(
    example_repo: Path, run_rdm: Run, old: str, new: str, line: int
) -> None:
    _edit(example_repo, TOPOLOGY, old, new)
    repo = ("--repo", str(example_repo))
    code, out, err = run_rdm("validate", "--format", "text", *repo)
    assert code == 1, err
    findings = [f for f in out.splitlines() if "an image needs a registry path" in f]
    assert len(findings) == 1, out
    assert f"/{TOPOLOGY}:{line}:" in findings[0], findings
    code, out, err = run_rdm("render", *repo)
    assert code == 1 and "internal error" not in err


# ---------------------------------------------------------------- JSON nested past the stack

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_a_deep_json_from_github_is_a_github_error(client, fake) -> None:  # type: ignore[no-untyped-def]
    from github_fake import SLUG
    from rdm.edges.github import GitHubError

    fake.pull(7, "bruno-infra", head="a" * 40, base="c" * 40)
    fake.fail(rf"^/repos/{SLUG}/pulls/7$", 200, body=DEEP_JSON)
    with pytest.raises(GitHubError, match=r"pull request #7 of .*: GitHub's answer is not JSON"):
        client.pull_request(SLUG, 7)


def test_a_deep_json_snapshot_is_a_snapshot_error() -> None:
    import gzip

    from rdm.model import snapshots

    with pytest.raises(snapshots.SnapshotError, match="snapshot is not gzip-compressed JSON"):
        snapshots.decode(gzip.compress(DEEP_JSON.encode()))


@pytest.mark.parametrize("tag", ["k:", "v:"])
def test_a_deep_json_field_key_names_nothing(tag: str) -> None:
    from rdm.model import fields

    live = {"spec": {"containers": [{"name": "a"}]}}
    path = ("f:spec", "f:containers", tag + DEEP_JSON)
    assert fields.resolve(live, path) is fields.MISSING
    assert fields.pointer(live, path) is None


def test_a_deep_json_render_record_is_as_if_there_were_none(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    from rdm.edges import writing

    out = tmp_path / "build"
    argv = ("render", "--repo", str(example_repo), "--out", str(out))
    assert run_rdm(*argv)[0] == 0
    mine = out / "grupo-alvorada" / "90-deployment-minha-copia.yaml"
    mine.write_text("mine\n", encoding="utf-8")
    (out / writing.RECORD).write_text(DEEP_JSON, encoding="utf-8")
    code, _, err = run_rdm(*argv)
    assert code == 0, err
    assert mine.exists()  # with no record, nothing is rdm's to remove
    assert re.fullmatch(
        rf"[0-9]+ manifest\(s\) of 4 topology\(ies\) written to {re.escape(str(out))}",
        err.splitlines()[-1],
    )


@pytest.mark.cluster
def test_a_deep_json_last_rollback_note_is_shown_as_text(
    cluster,
    namespace: str,
    run_rdm: Run,  # type: ignore[no-untyped-def]
) -> None:
    from rdm.edges.cluster import connect
    from rdm.model.kube import LAST_ROLLBACK, NAMESPACE

    kube = connect(cluster.kubeconfig)
    try:
        kube.patch(
            NAMESPACE,
            namespace,
            None,
            [{"op": "add", "path": "/metadata/annotations", "value": {LAST_ROLLBACK: DEEP_JSON}}],
        )
    finally:
        kube.close()
    kubeconfig = ("--kubeconfig", str(cluster.kubeconfig))
    code, out, err = run_rdm("status", namespace, *kubeconfig)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "last rollback: ? to snapshot ? in ? s (declared ? s): "
    code, out, err = run_rdm("status", namespace, "--format", "json", *kubeconfig)
    assert (code, err) == (0, "")
    assert json.loads(out)["topologies"][0]["lastRollback"] == {"raw": "[" * 200}


# JSON rdm itself wrote, and nothing else: the package's schemas and the renderer's
# own output (its values come from documents at most MAX_DEPTH deep).
OWN_JSON = {"tools/rdm/model/schemas.py", "tools/rdm/rendering/manifests.py"}


def _json_reads() -> list[tuple[str, int, bool]]:
    """(file, line, whether a RecursionError is caught) of every JSON read in tools/rdm."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted((root / "tools" / "rdm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            is_loads = isinstance(node.func.value, ast.Name) and node.func.value.id == "json"
            if not (
                (is_loads and node.func.attr == "loads")
                or (node.func.attr == "json" and not node.args)
            ):
                continue
            caught, child, parent = False, node, parents.get(node)
            while parent is not None and not caught:
                if isinstance(parent, ast.Try) and child in parent.body:
                    names = {
                        n.id
                        for h in parent.handlers
                        if h.type
                        for n in ast.walk(h.type)
                        if isinstance(n, ast.Name)
                    }
                    caught = "RecursionError" in names
                child, parent = parent, parents.get(parent)
            found.append((path.relative_to(root).as_posix(), node.lineno, caught))
    return found


def test_the_scan_sees_the_json_reads() -> None:
    files = {file for file, _, _ in _json_reads()}
    assert {"tools/rdm/edges/github.py", "tools/rdm/model/records.py"} <= files


def test_every_json_read_from_outside_survives_any_nesting() -> None:
    # json.loads recurses once per level: "[" * 100_000 is a RecursionError, which
    # no `except ValueError` catches.
    assert [
        f"{file}:{line}"
        for file, line, caught in _json_reads()
        if not caught and file not in OWN_JSON
    ] == []


# ---------------------------------------------------------------- alias expansion


def _laughs(levels: int, shape: str) -> str:
    """A billion-laughs chain: each level holds ten aliases of the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        if shape == "sequence":
            lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]")
        elif shape == "mapping":
            items = ", ".join(f"k{i}: *l{n - 1}" for i in range(10))
            lines.append(f"l{n}: &l{n} {{{items}}}")
        else:  # merge keys: each level merges a mapping that holds the level before
            lines[0] = "l0: &l0 {" + ", ".join(f"k{i}: lol" for i in range(10)) + "}"
            items = ", ".join(f"m{i}: *l{n - 1}" for i in range(10))
            lines.append(f"l{n}: &l{n} {{<<: *l{n - 1}, {items}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("shape", ["sequence", "mapping", "merge"])
@pytest.mark.parametrize("relative", [RDM, TOPOLOGY, CALENDAR])
def test_aliases_that_expand_past_the_limit_are_a_finding(
    example_repo: Path, run_rdm: Run, shape: str, relative: str
) -> None:
    _append(
        example_repo,
        relative,
        "x:\n" + "".join(f"  {line}\n" for line in _laughs(9, shape).splitlines()),
    )
    repo = ("--repo", str(example_repo))
    code, out, err = run_rdm("validate", "--format", "text", *repo)
    assert code == 1, err
    assert re.search(
        rf"{re.escape(relative)}:1:1: error: aliases expand to more than 100,000 nodes; "
        r"a file like this is a YAML bomb, not a change request \[yaml-aliases\]",
        out,
    ), out
    for argv in (["render"], ["window", "--emergency"], ["calendar", "--format", "ics"]):
        code, _, err = run_rdm(*argv, *repo)
        assert "internal error" not in err, (argv, err)
    assert run_rdm("window", "--emergency", *repo)[0] == 0


def test_aliases_under_the_limit_are_read() -> None:
    document = parse("x.yaml", _laughs(4, "sequence").encode()).document
    assert document is not None
    assert len(document.data["l3"]) == 10 and document.data["l3"][0][0][0][0] == "lol"
