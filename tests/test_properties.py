"""Property tests: whatever is written into a file, validate answers with findings.

Arbitrary text, arbitrary YAML-shaped data, and valid documents with one subtree
replaced by arbitrary data all go through the whole pipeline (parse, schema,
model, cross-file rules). The only acceptable outcomes are problems or success.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import copy_example
from rdm.edges.repository import load_work_tree
from rdm.model.documents import parse
from rdm.model.problems import Problem

TARGETS = {
    "rdm": "rdms/2026/RDM-2026-0041.yaml",
    "topology": "topologies/grupo-alvorada.yaml",
    "committee": "policy/committee.yaml",
    "calendar": "policy/calendar.yaml",
    "priorities": "policy/priorities.yaml",
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2026-12-03", "9999-12-31", "0001-01-01", "25h", "0m", "06:00", "producao"]),
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("prop") / "repo")


def _check(repo: Path, relative: str, raw: bytes) -> list[Problem]:
    target = repo / relative
    original = target.read_bytes()
    try:
        target.write_bytes(raw)
        problems = load_work_tree(repo).problems
    finally:
        target.write_bytes(original)
    assert all(isinstance(p, Problem) and p.line >= 1 and p.col >= 1 for p in problems)
    return problems


def _mutate(repo: Path, relative: str, path: list[int], value: Any) -> tuple[Any, Any]:
    """The valid data of an example file, and a copy with one subtree replaced by `value`."""
    valid = parse(relative, (repo / relative).read_bytes()).document
    assert valid is not None
    return valid.data, _replace(valid.data, path, value)


def _replace(data: Any, path: list[int], value: Any) -> Any:
    """Replace the subtree that `path` (indices into sorted keys / items) selects."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    keys = sorted(data) if isinstance(data, dict) else list(range(len(data)))
    key = keys[path[0] % len(keys)]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[key] = _replace(data[key], path[1:], value)  # type: ignore[index]
    return copy


settings.register_profile(
    "rdm",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile("rdm")


@given(text=st.text(max_size=400))
def test_arbitrary_text_parses_to_a_value_or_problems(text: str) -> None:
    result = parse("x.yaml", text.encode("utf-8", "surrogatepass"))
    assert (result.document is None) == bool(result.problems)


@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_parse_to_a_value_or_problems(raw: bytes) -> None:
    result = parse("x.yaml", raw)
    assert (result.document is None) == bool(result.problems)


@pytest.mark.parametrize("kind", sorted(TARGETS))
@given(text=st.text(max_size=200))
def test_arbitrary_text_in_any_file_kind(repo: Path, kind: str, text: str) -> None:
    _check(repo, TARGETS[kind], text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("kind", sorted(TARGETS))
@given(data=json_like)
def test_arbitrary_yaml_data_in_any_file_kind(repo: Path, kind: str, data: Any) -> None:
    _check(repo, TARGETS[kind], yaml.safe_dump(data, allow_unicode=True).encode())


@pytest.mark.parametrize("kind", sorted(TARGETS))
@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=4), value=json_like)
def test_valid_document_with_one_subtree_replaced(
    repo: Path, kind: str, path: list[int], value: Any
) -> None:
    relative = TARGETS[kind]
    original, mutated = _mutate(repo, relative, path, value)
    problems = _check(repo, relative, yaml.safe_dump(mutated, allow_unicode=True).encode())
    # Compared as JSON: `True == 1` in Python, but `replicas: true` is no integer.
    if _same(mutated, original):
        assert [p for p in problems if p.path == relative] == []


def _same(left: Any, right: Any) -> bool:
    return json.dumps(left, sort_keys=True, default=str) == json.dumps(
        right, sort_keys=True, default=str
    )


def test_fixture_repo_is_left_intact(repo: Path, tmp_path: Path) -> None:
    fresh = copy_example(tmp_path / "fresh")
    for relative in TARGETS.values():
        assert (repo / relative).read_bytes() == (fresh / relative).read_bytes()
    shutil.rmtree(fresh)


SCHEMA_KINDS = {
    "rdm": "rdm",
    "topology": "topology",
    "committee": "committee",
    "priorities": "priorities",
}


@pytest.mark.parametrize("kind", sorted(SCHEMA_KINDS))
@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=4), value=json_like)
def test_fast_and_full_schema_validators_agree(
    repo: Path, kind: str, path: list[int], value: Any
) -> None:
    """The fast verdict decides whether jsonschema runs, so the two must agree."""
    from rdm.model import schemas

    _, mutated = _mutate(repo, TARGETS[kind], path, value)
    full = not any(True for _ in schemas.validator(SCHEMA_KINDS[kind]).iter_errors(mutated))
    assert schemas.is_valid_fast(mutated, SCHEMA_KINDS[kind]) == full
