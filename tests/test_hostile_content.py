"""No internal error from content (issue 8, item 5): hostile files are findings.

Attacked from several sides, each through the real entry point where a user
would see it: patterns that Python's `$` let a line break through, explicit YAML
tags whose value cannot be that type, dates whose arithmetic would overflow,
hostile calendar policies under `rdm window --emergency`, and a scan that keeps
every schema pattern and every regex on input anchored.
"""

from __future__ import annotations

import ast
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import pytest

from conftest import ROOT
from rdm.edges.repository import load_work_tree
from rdm.model import schemas
from rdm.model.documents import parse

Run = Callable[..., tuple[int, str, str]]
RDM = "rdms/2026/RDM-2026-0041.yaml"
EMERGENCY = "rdms/2026/RDM-2026-0043.yaml"
CALENDAR = "policy/calendar.yaml"
TOPOLOGY = "topologies/grupo-alvorada.yaml"
OPERATIONS = "policy/operations.yaml"
END = r"$(?![\s\S])"
CONTROL = r"\u0000-\u001f\u007f-\u009f\u2028\u2029"
# What may follow a value that looks right: each one made "06:00" pass `^..:..$`
# in Python (the line breaks) or would be a value with an invisible tail.
TAILS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f", " ", "\t", "\x00", "\n\n"]


def _edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _findings(repo: Path) -> list[tuple[str, int, int, str, str]]:
    return [(p.path, p.line, p.col, p.rule, p.message) for p in load_work_tree(repo).problems]


# ---------------------------------------------------------------- schema patterns


def _patterns(node: object, where: str = "") -> list[tuple[str, str]]:
    """(where, pattern) for every `pattern` and `patternProperties` key in a schema."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.append((where, value))
            elif key == "patternProperties" and isinstance(value, dict):
                found += [(f"{where}/patternProperties", p) for p in value]
            found += _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += _patterns(value, f"{where}/{n}")
    return found


SCHEMA_PATTERNS = [
    (f"{path.name}#{where}", pattern)
    for path in sorted((ROOT / "schemas").glob("*.schema.json"))
    for where, pattern in _patterns(json.loads(path.read_text(encoding="utf-8")))
]

# A value each pattern must accept; every pattern in the schemas needs one here,
# so that a new pattern is tested against the tails as soon as it is added.
SAMPLES = {
    r"^[A-Z]{2}" + END: "BR",
    r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*" + END: "gestor-de-mudanca",
    r"^[A-Z0-9]{1,3}" + END: "SP",
    r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]" + END: "06:00",
    r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}" + END: "bruno-infra",
    r"^RDM-[0-9]{4}-[0-9]{4}" + END: "RDM-2026-0041",
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?" + END: "grupo-alvorada",
    r"^[A-Z][A-Z0-9]*-[0-9]+" + END: "INC-20931",
    r"^(?=[0-9])(?:[0-9]{1,3}h)?(?:[0-9]{1,4}m)?" + END: "1h30m",
    r"^[a-z0-9]+(-[a-z0-9]+)*" + END: "patch-de-imagem",
    r"^[0-9]{2}\.[0-9]{3}\.[0-9]{3}/[0-9]{4}-[0-9]{2}" + END: "12.345.678/0001-90",
    r"^[0-9]+\.[0-9]+\.[0-9]+" + END: "12.1.2410",
    r"^https?://[!-~]+" + END: "https://status.saas.local/x",
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:(?!latest$(?![\s\S]))[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})"
    + END: "registry.saas.local/protheus/tss:12.1.2410-20261020",
    r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?" + END: "protheus-db",
    r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?" + END: "512Mi",
    r"^[A-Za-z_][A-Za-z0-9_]*" + END: "DBACCESS_PASSWORD",
    r"^https://[^\s{}\u0000-\u001f\u007f-\u009f]+(?:\{query\}[^\s{}\u0000-\u001f\u007f-\u009f]*)"
    + END: "https://logs.saas.com.br/app/explore?q={query}",
    rf"^[^{CONTROL}]*\{{app\}}[^{CONTROL}]*" + END: 'namespace:"{namespace}" AND app:"{app}"',
    rf"^[^{CONTROL}]*\{{namespace\}}[^{CONTROL}]*" + END: 'namespace:"{namespace}"',
    r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+" + END: "ti@grupoalvorada.com.br",
    rf"^[^{CONTROL}]*" + END: "Plantão NOC SaaS",
    r"^\+?[0-9][0-9 ()./-]{6,24}" + END: "+55 11 4003-7000",
    r"^<[^<>\s@]+@[^<>\s@]+>" + END: "<rdm-2026-0043.1@saas.com.br>",
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?" + END: "kubernetes.io/metadata.name",
    r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?" + END: "ingress-nginx",
    r"^([-a-z0-9.]|\{orgId\}|\{environment\})+" + END: "{orgId}.protheus.saas.com.br",
    r"^[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-[0-9]{2}" + END: "12.ABC.345/01DE-35",
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+"
    + END: "erp.cliente.com.br",
}
# Free text may end (or start) with a space; nothing else may follow a value.
SPACE_ALLOWED = {
    rf"^[^{CONTROL}]*\{{app\}}[^{CONTROL}]*" + END,
    rf"^[^{CONTROL}]*\{{namespace\}}[^{CONTROL}]*" + END,
    rf"^[^{CONTROL}]*" + END,
    r"^\+?[0-9][0-9 ()./-]{6,24}" + END,
}


@pytest.mark.parametrize(("where", "pattern"), SCHEMA_PATTERNS)
def test_every_schema_pattern_is_anchored_at_both_ends(where: str, pattern: str) -> None:
    assert pattern.startswith("^"), where
    # Every `$` (also inside a lookahead) is followed by the lookahead that
    # refuses a final line break; `\d` is Unicode in Python and ASCII in ECMA.
    unescaped = [m.start() for m in re.finditer(r"(?<!\\)\$", pattern)]
    assert unescaped, f"{where}: {pattern} has no end anchor"
    for index in unescaped:
        assert pattern[index:].startswith(END), f"{where}: bare $ in {pattern}"
    assert "\\d" not in pattern and "\\w" not in pattern, where


@pytest.mark.parametrize(("where", "pattern"), SCHEMA_PATTERNS)
def test_no_engine_lets_anything_follow_a_matching_value(where: str, pattern: str) -> None:
    assert pattern in SAMPLES, f"{where}: add a sample value for {pattern}"
    sample = SAMPLES[pattern]
    schema = {"type": "string", "pattern": pattern}
    fast = fastjsonschema.compile(schema)
    authority = jsonschema.Draft202012Validator(schema)
    fast(sample)
    assert authority.is_valid(sample)
    for tail in TAILS:
        if tail == " " and pattern in SPACE_ALLOWED:
            continue
        assert not authority.is_valid(sample + tail), (where, tail)
        with pytest.raises(fastjsonschema.JsonSchemaException):
            fast(sample + tail)
        if not pattern.startswith(f"^[^{CONTROL}]*"):  # free text may start anyhow
            assert not authority.is_valid(tail + sample), (where, tail)


# Pieces an attacker repeats to make a backtracking engine try every way of
# splitting a value; each pattern's own separators are among them.
BACKTRACK_UNITS = (
    "a",
    "a/",
    "a.",
    "a-",
    "a_",
    "a:",
    "1",
    "1.",
    "1h",
    "/",
    "-",
    " ",
    "<a",
    "a@",
    "A-",
)


@pytest.mark.parametrize(("where", "pattern"), SCHEMA_PATTERNS)
def test_no_schema_pattern_backtracks_without_end(where: str, pattern: str) -> None:
    # The attack is the input: the image pattern took `/` both as the start of a
    # path component and as a separator inside one, so `a/a/…/a` followed by a
    # character it refuses had 2^n ways to fail (60 of them: centuries). A
    # pattern that backtracks exponentially, or quadratically on the long one,
    # does not finish here; every pattern refuses a value that ends in a line break.
    compiled = re.compile(pattern)
    for unit in BACKTRACK_UNITS:
        for text in (unit * 60 + "\n", unit * 20_000 + "\n", SAMPLES[pattern] + unit * 60 + "\n"):
            assert compiled.search(text) is None, (where, unit)


# (kind, file, path to a patterned or formatted field): every such field of the
# example files, each given a tail through the validator the commands use.
FIELDS = [
    ("calendar", CALENDAR, ["window", "start"]),
    ("calendar", CALENDAR, ["window", "end"]),
    ("calendar", CALENDAR, ["committee", "start"]),
    ("calendar", CALENDAR, ["committee", "end"]),
    ("calendar", CALENDAR, ["committee", "deadline"]),
    ("calendar", CALENDAR, ["holidays", "country"]),
    ("calendar", CALENDAR, ["holidays", "subdivision"]),
    ("calendar", CALENDAR, ["holidays", "extra", 0]),
    ("calendar", CALENDAR, ["moves", 0, "date"]),
    ("calendar", CALENDAR, ["moves", 0, "to", "start"]),
    ("calendar", CALENDAR, ["freezes", 0, "end"]),
    ("committee", "policy/committee.yaml", ["committees", "CM", "members", 0]),
    ("committee", "policy/committee.yaml", ["emergencyLabelers", 0]),
    ("committee", "policy/committee.yaml", ["changeManagers", 0]),
    ("standard-changes", "policy/standard-changes.yaml", ["templates", 0, "name"]),
    ("rdm", RDM, ["id"]),
    ("rdm", RDM, ["requester"]),
    ("rdm", RDM, ["technicalOpinion", "author"]),
    ("rdm", RDM, ["targets", 0]),
    ("rdm", RDM, ["window"]),
    ("rdm", RDM, ["estimatedDuration"]),
    ("rdm", RDM, ["rollback", "estimatedDuration"]),
    ("rdm", RDM, ["homologation", "testedBy"]),
    ("rdm", RDM, ["homologation", "testedAt"]),
    ("rdm", EMERGENCY, ["incident"]),
    ("rdm", EMERGENCY, ["communication", "notifiedAt"]),
    ("topology", TOPOLOGY, ["orgId"]),
    ("topology", TOPOLOGY, ["client", "cnpj"]),
    ("topology", TOPOLOGY, ["release"]),
    ("topology", TOPOLOGY, ["images", "tss"]),
    ("topology", TOPOLOGY, ["database", "credentialsSecret", "name"]),
    # (quantities: Kubernetes' own grammar, in `topology-quantity`; see test_quantities.py)
    ("topology", TOPOLOGY, ["workloads", "protheus-appserver-prod", "env", 0, "name"]),
    ("topology", TOPOLOGY, ["monitors", 0, "url"]),
    ("topology", TOPOLOGY, ["client", "contacts", 0, "name"]),
    ("topology", TOPOLOGY, ["client", "contacts", 0, "email"]),
    ("topology", TOPOLOGY, ["client", "contacts", 0, "phone"]),
    ("operations", OPERATIONS, ["notices", "from", "email"]),
    ("operations", OPERATIONS, ["notices", "contact", "name"]),
    ("operations", OPERATIONS, ["notices", "contact", "phone"]),
    ("operations", OPERATIONS, ["logs", "url"]),
    ("operations", OPERATIONS, ["logs", "query"]),
    ("operations", OPERATIONS, ["logs", "namespaceQuery"]),
]


def _at(data: Any, pointer: list[str | int]) -> tuple[Any, str | int]:
    for key in pointer[:-1]:
        data = data[key]
    return data, pointer[-1]


@pytest.mark.parametrize(("kind", "relative", "pointer"), FIELDS)
def test_a_tail_on_any_patterned_field_is_a_schema_finding_at_that_field(
    kind: str, relative: str, pointer: list[str | int]
) -> None:
    document = parse(relative, (ROOT / relative).read_bytes()).document
    assert document is not None
    assert schemas.check(document, kind) == []
    parent, key = _at(document.data, pointer)
    original = str(parent[key])
    for tail in TAILS:
        if tail == " " and relative != RDM and key in ("name", "phone", "query", "namespaceQuery"):
            continue  # free text may end in a space
        parent[key] = original + tail
        assert not schemas.is_valid_fast(document.data, kind), (pointer, tail)
        assert not schemas.validator(kind).is_valid(document.data), (pointer, tail)
        found = schemas.check(document, kind)
        position = document.position(pointer)
        assert [(p.line, p.col, p.rule) for p in found] == [
            (position.line, position.col, "schema")
        ], (pointer, tail)
        assert repr(original + tail) in found[0].message
    parent[key] = original


def test_a_time_with_a_line_break_is_a_finding_not_a_crash(tmp_path: Path, run_rdm: Run) -> None:
    repo = _copy(tmp_path)
    _edit(repo, CALENDAR, 'end: "06:00"', 'end: "06:00\\n"')
    code, out, err = run_rdm("validate", "--repo", str(repo), "--format", "text")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == (
        f"{repo}/policy/calendar.yaml:10:48: error: window.end: '06:00\\n': not a local time "
        "HH:MM (00:00 to 23:59) [schema]"
    )
    code, out, err = run_rdm("window", "--repo", str(repo), "--at", "2026-12-03T01:00:00-03:00")
    assert (code, out) == (1, "")
    assert "'06:00\\n': not a local time HH:MM" in err


def test_a_pattern_message_says_the_form_in_words_never_the_expression(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    _edit(repo, RDM, "targets: [grupo-alvorada,", 'targets: ["grupo-alvorada\\n",')
    assert _findings(repo) == [
        (
            RDM,
            19,
            11,
            "schema",
            "targets.0: 'grupo-alvorada\\n': not an org id (lowercase letters, digits and single "
            "hyphens, at most 63 characters, e.g. grupo-alvorada); did you mean 'grupo-alvorada'?",
        )
    ]


# ---------------------------------------------------------------- regexes in the code


def _regex_literals() -> list[tuple[str, int, str]]:
    """(file, line, pattern) of every literal pattern given to `re` in tools/."""
    found: list[tuple[str, int, str]] = []
    for path in sorted((ROOT / "tools").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
            ):
                parts = [node.args[0]]
                if isinstance(node.args[0], ast.JoinedStr):
                    parts = list(node.args[0].values)
                text = "".join(
                    p.value
                    for p in parts
                    if isinstance(p, ast.Constant) and isinstance(p.value, str)
                )
                found.append((path.relative_to(ROOT).as_posix(), node.lineno, text))
    return found


def test_the_scan_sees_the_regexes_of_the_code() -> None:
    files = {file for file, _, _ in _regex_literals()}
    assert {"tools/rdm/model/documents.py", "tools/rdm/edges/repository.py"} <= files


@pytest.mark.parametrize(("file", "line", "pattern"), _regex_literals())
def test_no_regex_on_input_ends_in_a_bare_dollar(file: str, line: int, pattern: str) -> None:
    # Python's `$` matches before a final "\n": `fullmatch` or `\Z` instead.
    assert not re.search(r"(?<!\\)\$", pattern), f"{file}:{line}: {pattern}"
    assert "\\d" not in pattern, f"{file}:{line}: \\d is any Unicode digit; write [0-9]"


def test_the_code_never_matches_with_a_dollar_in_a_compiled_pattern() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tools").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""re\.compile\(\s*r?["'][^"']*(?<!\\)\$["']""", line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "name",
    [
        "rdms/2026/RDM-2026-0041.yaml\n",
        "topologies/grupo-alvorada.yaml\n",
        "rdms/2026/RDM-2026-٠٠٤١.yaml",
    ],
)
def test_a_file_name_with_a_tail_or_foreign_digits_is_not_data(name: str) -> None:
    from rdm.edges.repository import kind_of

    assert kind_of(name) is None


def test_a_secret_ini_key_with_a_trailing_space_is_still_a_secret(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    _edit(
        repo,
        TOPOLOGY,
        "general: {InstallPath: /totvs/protheus, MaxStringSize: 10}",
        'general: {InstallPath: /totvs/protheus, MaxStringSize: 10, "DbPassword ": s3nha}',
    )
    assert [(f[3], f[4]) for f in _findings(repo)] == [
        (
            "topology-inline-secret",
            "[general] DbPassword  looks like a credential written into the ini (a ConfigMap "
            "anyone in the namespace can read); pass it through env with secretKeyRef instead",
        )
    ]


# ---------------------------------------------------------------- YAML tags


def _copy(tmp_path: Path) -> Path:
    from conftest import copy_example

    return copy_example(tmp_path / "repo")


CORE = "rdm reads the YAML 1.2 core types only (text, numbers, true/false, null, lists, mappings)"
TAGS = [
    ("!!int abc", 10, "'abc' is not an integer (tag !!int)", "yaml-tag"),
    ("!!int 0x", 10, "'0x' is not an integer (tag !!int)", "yaml-tag"),
    ("!!int 0o9", 10, "'0o9' is not an integer (tag !!int)", "yaml-tag"),
    ("!!int 1_000", 10, "'1_000' is not an integer (tag !!int)", "yaml-tag"),
    ("!!int ' 12'", 10, "' 12' is not an integer (tag !!int)", "yaml-tag"),
    ("!!int '١٢'", 10, "'١٢' is not an integer (tag !!int)", "yaml-tag"),
    ("!<tag:yaml.org,2002:int> x", 10, "'x' is not an integer (tag !!int)", "yaml-tag"),
    ("!!float x", 10, "'x' is not a number (tag !!float)", "yaml-tag"),
    ("!!float 1:30", 10, "'1:30' is not a number (tag !!float)", "yaml-tag"),
    ("!!float 1_0.5", 10, "'1_0.5' is not a number (tag !!float)", "yaml-tag"),
    ("!!bool maybe", 10, "'maybe' is not true or false (tag !!bool)", "yaml-tag"),
    ("!!bool yes", 10, "'yes' is not true or false (tag !!bool)", "yaml-tag"),
    ("!!null x", 10, "'x' is not null (tag !!null)", "yaml-tag"),
    ("!!str {a: 1}", 10, "tag !!str needs a scalar, not a mapping", "yaml-tag"),
    ("!!str [a]", 10, "tag !!str needs a scalar, not a sequence", "yaml-tag"),
    ("!!int [1]", 10, "tag !!int needs a scalar, not a sequence", "yaml-tag"),
    ("!!map x", 10, "tag !!map needs a mapping, not a scalar", "yaml-tag"),
    ("!!map [a]", 10, "tag !!map needs a mapping, not a sequence", "yaml-tag"),
    ("!!seq x", 10, "tag !!seq needs a sequence, not a scalar", "yaml-tag"),
    ("!!seq {a: 1}", 10, "tag !!seq needs a sequence, not a mapping", "yaml-tag"),
    ("!!timestamp x", 10, f"tag !!timestamp is not allowed; {CORE}", "yaml-tag"),
    ("!!timestamp 2026-12-03", 10, f"tag !!timestamp is not allowed; {CORE}", "yaml-tag"),
    ("!!binary aGVsbG8=", 10, f"tag !!binary is not allowed; {CORE}", "yaml-tag"),
    ("!!set {a, b}", 10, f"tag !!set is not allowed; {CORE}", "yaml-tag"),
    ("!!omap [a: 1]", 10, f"tag !!omap is not allowed; {CORE}", "yaml-tag"),
    ("!!omap x", 10, f"tag !!omap is not allowed; {CORE}", "yaml-tag"),
    ("!!pairs [a: 1]", 10, f"tag !!pairs is not allowed; {CORE}", "yaml-tag"),
    ("!!value x", 10, "tag !!value is not allowed; only plain YAML is", "yaml-tag"),
    ("!foo x", 10, "tag !foo is not allowed; only plain YAML is", "yaml-tag"),
    (
        "9" * 5000,
        10,
        "an integer of more than 4,300 digits is larger than rdm reads",
        "yaml-number",
    ),
]


@pytest.mark.parametrize(("value", "col", "message", "rule"), TAGS, ids=[t[0][:24] for t in TAGS])
def test_a_tag_its_value_cannot_have_is_a_finding_at_the_value(
    tmp_path: Path, value: str, col: int, message: str, rule: str
) -> None:
    repo = _copy(tmp_path)
    _edit(repo, RDM, "urgency: medium", f"urgency: {value}")
    assert _findings(repo) == [(RDM, 18, col, rule, message)]


def test_tags_that_fit_their_value_are_read_as_that_type() -> None:
    loaded = parse(
        "x.yaml",
        b"a: !!int '0x1F'\nb: !!float 5\nc: !!bool 'true'\nd: !!null ''\ne: !!str 12\n"
        b"f: !!seq [1]\ng: !!map {k: v}\nh: !!float -.inf\ni: !!int 0o17\n",
    )
    assert loaded.problems == []
    assert loaded.document is not None
    assert loaded.document.data == {
        "a": 31,
        "b": 5.0,
        "c": True,
        "d": None,
        "e": "12",
        "f": [1],
        "g": {"k": "v"},
        "h": float("-inf"),
        "i": 15,
    }


def test_one_bad_file_never_hides_the_findings_of_the_others(tmp_path: Path, run_rdm: Run) -> None:
    repo = _copy(tmp_path)
    _edit(repo, RDM, "urgency: medium", "urgency: !!bool maybe")
    _edit(repo, CALENDAR, 'end: "2028-01-07T00:00:00-03:00"', 'end: "9999-12-31T23:59:00-03:00"')
    _edit(repo, TOPOLOGY, "port: 1433", "port: !!int abc")
    _edit(repo, "rdms/2026/RDM-2026-0042.yaml", "id: RDM-2026-0042", "id: RDM-2026-0099")
    code, out, err = run_rdm("validate", "--repo", str(repo), "--format", "json")
    assert (code, err) == (1, "")
    found = [(p["path"], p["rule"]) for p in json.loads(out)["problems"]]
    assert found == [
        (f"{repo}/policy/calendar.yaml", "calendar-date-range"),
        (f"{repo}/rdms/2026/RDM-2026-0041.yaml", "yaml-tag"),
        (f"{repo}/rdms/2026/RDM-2026-0042.yaml", "rdm-id-filename"),
        (f"{repo}/topologies/grupo-alvorada.yaml", "yaml-tag"),
    ]


# ---------------------------------------------------------------- dates that overflow


YEARS = "is outside the years 1970-2999 rdm works with"
DATES = [
    (
        CALENDAR,
        'end: "2028-01-07T00:00:00-03:00"',
        'end: "9999-12-31T23:59:00-03:00"',
        (0, 10, "calendar-date-range", f"9999-12-31T23:59:00-03:00 {YEARS}"),
    ),
    (
        CALENDAR,
        'start: "2026-12-28T00:00:00-03:00"',
        'start: "0001-01-01T00:00:00+14:00"',
        (0, 12, "calendar-date-range", f"0001-01-01T00:00:00+14:00 {YEARS}"),
    ),
    (
        CALENDAR,
        'date: 2026-12-24\n    to: {start: "2026-12-22T22:00:00-03:00"',
        'date: 0001-01-04\n    to: {start: "2026-12-22T22:00:00-03:00"',
        (0, 11, "calendar-date-range", f"0001-01-04 {YEARS}"),
    ),
    (
        CALENDAR,
        'end: "2026-12-23T04:00:00-03:00"',
        'end: "9999-12-31T23:00:00-03:00"',
        (0, 51, "calendar-date-range", f"9999-12-31T23:00:00-03:00 {YEARS}"),
    ),
    (
        CALENDAR,
        "- 2026-01-25",
        "- 9999-12-31",
        (0, 7, "calendar-date-range", f"9999-12-31 {YEARS}"),
    ),
    (
        CALENDAR,
        'end: "2026-12-23T04:00:00-03:00"',
        'end: "2999-12-23T04:00:00-03:00"',
        (
            0,
            46,
            "calendar-move-length",
            "the moved window lasts 355381 days 6 h; a move replaces one occurrence and lasts at "
            "most 7 days (a longer stop is a freeze)",
        ),
    ),
    (
        RDM,
        "window: 2026-12-03",
        "window: 9999-12-30",
        (0, 9, "rdm-date-range", f"9999-12-30 {YEARS}"),
    ),
    (
        RDM,
        "window: 2026-12-03",
        "window: 0001-01-04",
        (0, 9, "rdm-date-range", f"0001-01-04 {YEARS}"),
    ),
    (
        RDM,
        "testedAt: 2026-11-24",
        "testedAt: 0001-01-01",
        (0, 13, "rdm-date-range", f"0001-01-01 {YEARS}"),
    ),
    (
        EMERGENCY,
        "notifiedAt: 2026-11-26T08:15:00-03:00",
        "notifiedAt: 0001-01-01T00:00:00+03:00",
        (0, 15, "rdm-date-range", f"0001-01-01T00:00:00+03:00 {YEARS}"),
    ),
]


@pytest.mark.parametrize(("relative", "old", "new", "expected"), DATES)
def test_a_date_rdm_cannot_reason_about_is_a_finding(
    tmp_path: Path, relative: str, old: str, new: str, expected: tuple[int, int, str, str]
) -> None:
    repo = _copy(tmp_path)
    _edit(repo, relative, old, new)
    lines = (repo / relative).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if new.splitlines()[0] in text)
    found = _findings(repo)
    assert (relative, line, *expected[1:]) in found
    assert {f[3] for f in found} <= {expected[2], "rdm-policy-unusable"}


def test_a_far_window_in_a_zone_east_of_utc_does_not_overflow(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    _edit(repo, CALENDAR, "timezone: America/Sao_Paulo", "timezone: Pacific/Kiritimati")
    _edit(repo, RDM, "window: 2026-12-03", "window: 0001-01-01")
    found = _findings(repo)
    assert (RDM, 21, 9, "rdm-date-range", f"0001-01-01 {YEARS}") in found


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026W511T00Z", "'2026W511T00Z' is not a date and time; write YYYY-MM-DDTHH:MM:SS"),
        (
            "2026-12-22T00:00:00",
            "'2026-12-22T00:00:00' has no offset; write 2026-12-22T00:00:00-03:00 (Brasília) "
            "or 2026-12-22T00:00:00Z (UTC)",
        ),
        ("٢٠٢٦-12-22T00:00:00Z", "'٢٠٢٦-12-22T00:00:00Z' is not a date and time; write YYYY-"),
        ("2026-12-22T24:00:00Z", "'2026-12-22T24:00:00Z' is not a date and time; write YYYY-"),
    ],
)
def test_date_times_are_rfc_3339_in_ascii(tmp_path: Path, value: str, message: str) -> None:
    repo = _copy(tmp_path)
    _edit(repo, CALENDAR, '"2028-01-07T00:00:00-03:00"', f'"{value}"')
    [(path, _line, _col, rule, found)] = _findings(repo)
    assert (path, rule) == (CALENDAR, "schema")
    assert found.startswith(f"freezes.1.end: {message}")


@pytest.mark.parametrize("name", ["a" * 5000, "../../etc/passwd", "America", "zone.tab", "/etc/x"])
def test_a_zone_name_never_reaches_the_file_system_unchecked(tmp_path: Path, name: str) -> None:
    repo = _copy(tmp_path)
    _edit(repo, CALENDAR, "timezone: America/Sao_Paulo", f"timezone: {json.dumps(name)}")
    found = [f for f in _findings(repo) if f[0] == CALENDAR]
    assert [(f[1], f[2], f[3]) for f in found] == [(6, 1, "calendar-timezone")]


# ---------------------------------------------------------------- rdm window --emergency


GOOD_CALENDAR = (ROOT / CALENDAR).read_text(encoding="utf-8")
HOSTILE_POLICIES: dict[str, bytes | None] = {
    "missing": None,
    "empty": b"",
    "not utf-8": b"\xff\xfe" + GOOD_CALENDAR.encode(),
    "yaml bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n".encode()
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "recursive alias": b"a: &a [*a]\n",
    "python tag": b"!!python/object/apply:os.system [echo pwned]\n",
    "a list": b"- 1\n- 2\n",
    "tag int": GOOD_CALENDAR.replace("timezone: America/Sao_Paulo", "timezone: !!int x").encode(),
    "time with newline": GOOD_CALENDAR.replace('end: "06:00"', 'end: "06:00\\n"').encode(),
    "freeze until 9999": GOOD_CALENDAR.replace(
        '"2028-01-07T00:00:00-03:00"', '"9999-12-31T23:59:00-03:00"'
    ).encode(),
    "move in year 1": GOOD_CALENDAR.replace("date: 2026-12-24", "date: 0001-01-04").encode(),
    "a move of 900 years": GOOD_CALENDAR.replace(
        '"2026-12-23T04:00:00-03:00"', '"2926-12-23T04:00:00-03:00"'
    ).encode(),
    "unknown zone": GOOD_CALENDAR.replace("America/Sao_Paulo", "Mars/Olympus").encode(),
    "huge zone name": GOOD_CALENDAR.replace("America/Sao_Paulo", "a" * 5000).encode(),
    "deep nesting": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "over 1 MiB": b"# " + b"x" * (1024 * 1024 + 10) + b"\n",
    "a folder": b"",  # replaced by a directory below
    "unreadable": GOOD_CALENDAR.encode(),  # mode 000 below (root reads it anyway)
}


@pytest.mark.parametrize("case", sorted(HOSTILE_POLICIES))
def test_an_emergency_is_open_whatever_the_policy_holds(
    tmp_path: Path, run_rdm: Run, case: str
) -> None:
    repo = _copy(tmp_path)
    policy = repo / CALENDAR
    content = HOSTILE_POLICIES[case]
    policy.unlink()
    if case == "a folder":
        policy.mkdir()
    elif content is not None:
        policy.write_bytes(content)
    if case == "unreadable":
        policy.chmod(0)
    try:
        code, out, err = run_rdm(
            "window",
            "--repo",
            str(repo),
            "--emergency",
            "--format",
            "json",
            "--at",
            "2026-12-30T10:00:00-03:00",
        )
    finally:
        if case == "unreadable":
            policy.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 0, err
    decision = json.loads(out)
    assert decision["open"] is True
    assert decision["reason"].startswith("open: emergency changes may run at any time")
    assert "Traceback" not in err and "internal error" not in err
    if case != "unreadable":  # root can read a mode-000 file: then nothing is wrong
        assert err != ""  # the policy's problems are said, on stderr


def test_an_emergency_is_open_when_every_policy_file_is_hostile(
    tmp_path: Path, run_rdm: Run
) -> None:
    repo = _copy(tmp_path)
    bomb = HOSTILE_POLICIES["yaml bomb"]
    assert bomb is not None
    for path in (repo / "policy").iterdir():
        path.write_bytes(bomb)
    code, out, err = run_rdm(
        "window", "--repo", str(repo), "--emergency", "--at", "2026-12-30T10:00:00-03:00"
    )
    assert code == 0
    assert out.startswith("2026-12-30 10:00 -03:00: open: emergency changes may run at any time")
    assert "[yaml-aliases]" in err


def test_an_emergency_is_open_when_policy_is_a_file_not_a_folder(
    tmp_path: Path, run_rdm: Run
) -> None:
    repo = _copy(tmp_path)
    for path in (repo / "policy").iterdir():
        path.unlink()
    (repo / "policy").rmdir()
    (repo / "policy").write_text("not a folder\n", encoding="utf-8")
    code, out, err = run_rdm(
        "window", "--repo", str(repo), "--emergency", "--at", "2026-12-30T10:00:00-03:00"
    )
    assert code == 0
    assert out.startswith("2026-12-30 10:00 -03:00: open: emergency changes may run at any time")
    assert "Traceback" not in err


# ---------------------------------------------------------------- unique items


def _extra_holidays(items: str) -> bytes:
    text = GOOD_CALENDAR
    start = text.index("  extra:")
    end = text.index("\n\n", start)
    return (text[:start] + f"  extra: [{items}]" + text[end:]).encode()


def test_a_repeated_item_is_one_finding_at_the_repeat() -> None:
    raw = _extra_holidays("2026-01-25, 2026-02-17, 2026-01-25")
    document = parse(CALENDAR, raw).document
    assert document is not None
    [problem] = schemas.check(document, "calendar")
    assert (problem.line, problem.rule) == (18, "schema")
    assert problem.message == ("holidays.extra.2: item 2 repeats item 0; the items must be unique")


def test_unique_items_are_checked_in_one_pass_even_when_they_cannot_be_sorted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # jsonschema's own check compares every pair of a list it cannot sort (mappings
    # mixed with numbers); count the equality checks it would make.
    from jsonschema import _utils

    calls = [0]
    equal = _utils.equal

    def counting(one: object, two: object) -> bool:
        calls[0] += 1
        return bool(equal(one, two))

    monkeypatch.setattr(_utils, "equal", counting)
    items = ", ".join(f"{{a: {i}}}, {i}" for i in range(1000))
    document = parse(CALENDAR, _extra_holidays(items)).document
    assert document is not None
    found = schemas.check(document, "calendar")
    assert len(found) == 2000  # each item: not a date
    assert calls[0] < 10_000  # 2,000 items compared pairwise would be ~2,000,000


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (
            "snapshot id",
            "20261203-010000-abcdef",
            ["20261203-010000-abcdef\n", "٢٠٢٦1203-010000-abcdef"],
        ),
        ("RDM id", "RDM-2026-0041", ["RDM-2026-0099\n", "RDM-2026-٩٩٩٩"]),
        ("PR of a commit", "Ajuste (#12)", ["Ajuste (#١٢)", "Merge pull request #١٢ from x/y"]),
    ],
)
def test_ids_read_from_data_are_whole_and_ascii(check: str, good: str, bad: list[str]) -> None:
    from rdm.edges import history
    from rdm.model import rdm_form, snapshots

    read = {
        "snapshot id": snapshots.valid_id,
        "RDM id": lambda text: rdm_form.next_id([text], 2026) != "RDM-2026-0001",
        "PR of a commit": lambda text: history.pr_of(text) is not None,
    }[check]
    assert read(good)
    for text in bad:
        assert not read(text), text


def test_an_org_id_option_with_a_line_break_is_a_usage_error(run_rdm: Run) -> None:
    import click

    from rdm.commands import _cluster

    with pytest.raises(click.BadParameter, match="is not an org id"):
        _cluster.org_id(None, None, "grupo-alvorada\n")  # type: ignore[arg-type]
    assert _cluster.org_id(None, None, "grupo-alvorada") == "grupo-alvorada"  # type: ignore[arg-type]


def _digit_checks() -> list[tuple[str, int, bool]]:
    """(file, line, guarded) of every str.isdigit/isdecimal/isnumeric call in tools/:
    guarded when it stands in an `and` beside `.isascii()` of the same text."""
    found = []
    for path in sorted((ROOT / "tools").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
                asked = {
                    ast.dump(v.func.value)
                    for v in node.values
                    if isinstance(v, ast.Call)
                    and isinstance(v.func, ast.Attribute)
                    and v.func.attr == "isascii"
                }
                for v in node.values:
                    if (
                        isinstance(v, ast.Call)
                        and isinstance(v.func, ast.Attribute)
                        and ast.dump(v.func.value) in asked
                    ):
                        guarded.add(id(v))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("isdigit", "isdecimal", "isnumeric")
            ):
                found.append((path.relative_to(ROOT).as_posix(), node.lineno, id(node) in guarded))
    return found


def test_the_digit_scan_sees_the_code() -> None:
    assert {file for file, _, _ in _digit_checks()} >= {"tools/rdm/model/kube.py"}


def test_no_digit_check_takes_foreign_digits() -> None:
    # '²'.isdigit() is True and int('²') raises; '٣'.isdigit() is True and int('٣') is 3
    assert [f"{file}:{line}" for file, line, ok in _digit_checks() if not ok] == []
