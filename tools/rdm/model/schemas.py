"""JSON Schema (2020-12) checks of documents, with problems at the offending key.

The schemas live in the repository's `schemas/` folder (the same files editors
use through yaml-language-server). Each file kind has one schema, named
`<kind>.schema.json`. Validators are built once per process.

Two validators per schema: `fastjsonschema` compiles the schema to Python code
and answers "valid?" about 20x faster than `jsonschema`, so valid documents (the
common case) cost little; only a document it rejects goes through `jsonschema`,
the authority, for every error with its place. The fast one is never more lenient
on the keywords these schemas use, and a test holds the two to that.

Rendered Kubernetes objects are checked here too (`kubernetes_errors`), against
the strict OpenAPI schemas that the `kubernetes-validate` package ships, read
offline from the package.

This module never reads documents itself; it checks values that `documents` parsed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # jsonschema is imported only when a document is invalid
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from rdm.model import dates, messages
from rdm.model.documents import Document
from rdm.model.problems import Problem, RdmError


def _schema_dir() -> Path:
    """The source tree's schemas/ (editable install, CI) or the installed copy."""
    candidates = (
        Path(__file__).resolve().parents[3] / "schemas",
        Path(sys.prefix) / "share" / "rdm" / "schemas",
    )
    return next((c for c in candidates if (c / "rdm.schema.json").is_file()), candidates[0])


SCHEMA_DIR = _schema_dir()
KINDS = (
    "rdm",
    "topology",
    "committee",
    "calendar",
    "priorities",
    "standard-changes",
    "operations",
    "cluster",
)
# How every schema pattern ends. In Python (jsonschema) `$` also matches before a
# final line break, so "06:00\n" would pass `^..:..$`; the lookahead refuses any
# character after the end, in Python and in ECMA-262 (editors) alike.
# fastjsonschema turns `$` into `\Z`, which the lookahead leaves correct.
END_OF_TEXT = r"$(?![\s\S])"


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        dates.parse_date(value)  # ValueError: not a date
    return True


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or "@" in value


def _is_date_time(value: object) -> bool:
    """RFC 3339: a full date and time with an offset (a bare local time is ambiguous)."""
    if isinstance(value, str):
        dates.parse_instant(value)  # ValueError: not an instant
    return True


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / f"{kind}.schema.json"


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("email")(_is_email)
    from jsonschema.validators import extend

    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # jsonschema's stubs leave `extend` untyped; it returns a validator class.
    linear = extend(Draft202012Validator, {"uniqueItems": _unique_items})  # type: ignore[no-untyped-call]
    found: Draft202012Validator = linear(schema, format_checker=checker)
    return found


def _unique_items(
    checker: Draft202012Validator, unique: object, instance: object, _schema: object
) -> Iterable[ValidationError]:
    """`uniqueItems` in one pass.

    jsonschema's own compares every pair when the items cannot be sorted (a
    list that mixes mappings and numbers): 4,000 such items took 90 s. Items are
    compared by a hashable form that keeps JSON's equality (1 and 1.0 are one
    number, true is not 1), as fastjsonschema does.
    """
    from jsonschema.exceptions import ValidationError

    if not unique or not isinstance(instance, list):
        return
    seen: dict[object, int] = {}
    for index, item in enumerate(instance):
        try:
            key = _canonical(item)
        except RecursionError:
            return  # nested past what a key can be built for; the loader bounds depth
        if key in seen:
            yield ValidationError(
                f"item {index} repeats item {seen[key]}; the items must be unique",
                path=(index,),
            )
            return
        seen[key] = index


def _canonical(value: object) -> object:
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, list):
        return ("array", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, str) or value is None:
        return value
    return ("other", id(value))  # not JSON: never from the loader


@cache
def fast_validator(kind: str) -> Callable[[Any], Any]:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    formats: dict[str, Callable[[str], bool]] = {
        "date": lambda v: _passes(_is_date, v),
        "date-time": lambda v: _passes(_is_date_time, v),
        "email": lambda v: "@" in v,
    }
    return fastjsonschema.compile(schema, formats=formats)


def _passes(check: Callable[[object], bool], value: object) -> bool:
    try:
        return check(value)
    except ValueError:
        return False


def is_valid_fast(data: Any, kind: str) -> bool:
    try:
        fast_validator(kind)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check(document: Document, kind: str) -> list[Problem]:
    """Every schema violation in `document`, each at the key it is about."""
    if is_valid_fast(document.data, kind):
        return []
    errors = list(_errors(validator(kind), document.data))
    # A value of the wrong type also fails its enum or pattern: one mistake, one finding.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    problems: list[Problem] = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        problems += _problems(document, error)
    return problems


def _errors(checker: Draft202012Validator, data: Any) -> Iterable[ValidationError]:
    from jsonschema.exceptions import best_match

    for error in checker.iter_errors(data):
        if error.validator in ("oneOf", "anyOf") and error.context:
            # A failed oneOf/anyOf says little by itself; its closest branch says
            # more. A branch that only says "wrong type" (the `null` of "object or
            # null") is the least helpful when another branch got further.
            deeper = [e for e in error.context if e.validator != "type"] or error.context
            yield best_match(deeper)
        else:
            yield error


def _problems(document: Document, error: ValidationError) -> list[Problem]:
    pointer = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        pattern_keys = [re.compile(p) for p in schema.get("patternProperties", {})]
        extras = [
            k
            for k in error.instance
            if k not in allowed and not any(p.search(str(k)) for p in pattern_keys)
        ]
        known = ", ".join(sorted(allowed)) or "none"
        # Every unknown key is its own finding, at its own line.
        problems = []
        for extra in extras:
            note = messages.key_note(str(extra))
            meant = messages.key_suggestion(str(extra), sorted(allowed))
            if note is not None:
                text = f"{_where(error)}unknown key {extra!r}: {note}"
            else:
                hint = f": did you mean {meant!r}?" if meant else ""
                text = f"{_where(error)}unknown key {extra!r}{hint} (known keys: {known})"
            problems.append(document.problem([*pointer, extra], text, "schema"))
        return problems
    return [document.problem(pointer, f"{_where(error)}{_message(error)}", "schema")]


def _where(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"{path}: " if path else ""


# JSON types in words, for "expected ..., found ...".
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "null",
}


def _message(error: ValidationError) -> str:
    """What is wrong with the value, in words a person can act on.

    Never a regular expression: a `pattern` says its form through the schema's
    `errorMessage` (every pattern has one; a test holds the schemas to it), and
    `x-form` names the forms that get a rewritten suggestion.
    """
    validator_name = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("errorMessage")
    form = schema.get("x-form")
    instance = error.instance
    if custom and validator_name in ("oneOf", "anyOf", "not"):
        return str(custom)
    if validator_name == "format" or (
        validator_name == "type" and schema.get("format") in ("date", "date-time")
    ):
        if schema.get("format") == "date":
            return messages.date_message(instance)
        if schema.get("format") == "date-time":
            return messages.date_time_message(instance)
    if validator_name == "type":
        return _type_message(error.validator_value, instance, form)
    if validator_name == "enum":
        options = list(error.validator_value)  # type: ignore[arg-type]
        listed = ", ".join(repr(v) for v in options)
        meant = messages.did_you_mean(instance, options)
        hint = f": did you mean {meant!r}?" if meant is not None else ""
        return f"{instance!r} is not one of {listed}{hint}"
    if validator_name == "pattern":
        if form == "cnpj":
            return messages.cnpj_message(instance)
        described = str(custom) if custom else "does not have the expected form"
        meant = _form_suggestion(form, instance)
        hint = f"; did you mean {meant!r}?" if meant is not None and meant != instance else ""
        return f"{instance!r}: {described}{hint}"
    if custom and validator_name in ("format", "minLength", "maxLength"):
        return f"{instance!r}: {custom}"
    if validator_name == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required key {missing!r}"
    if validator_name == "format":
        return f"{instance!r} is not a valid {error.validator_value}"
    return str(custom) if custom else error.message


def _type_message(expected: object, instance: object, form: object) -> str:
    wanted = [expected] if isinstance(expected, str) else list(expected)  # type: ignore[call-overload]
    if "boolean" in wanted and not isinstance(instance, bool):
        return messages.boolean_message(instance)
    if form == "cnpj":
        return messages.cnpj_message(instance)
    found = _describe(instance)
    if form == "duration" and isinstance(instance, int | float) and not isinstance(instance, bool):
        return (
            f"found {found}; write a duration with its unit, e.g. 45m, 2h or 1h30m "
            f"({instance} minutes is {messages.duration_suggestion(f'{int(instance)}m') or '0m'})"
        )
    words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
    number = isinstance(instance, int | float) and not isinstance(instance, bool)
    if wanted == ["string"] and number:
        return f"expected text, found {found}; write it in quotes: \"{instance}\""
    return f"expected {words}, found {found}"


def _form_suggestion(form: object, instance: object) -> str | None:
    if not isinstance(instance, str):
        return None
    if form == "duration":
        return messages.duration_suggestion(instance)
    if form == "org-id":
        slug = re.sub(r"[^a-z0-9-]+", "-", messages.plain(instance)).strip("-")
        slug = re.sub(r"-{2,}", "-", slug)[:63].strip("-")
        return slug or None
    return None


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, dict) else type(value).__name__


# ---------------------------------------------------------------- Kubernetes objects


class MissingSchema(RdmError):
    """kubernetes-validate has no schema for an object's kind and apiVersion."""


def _kubernetes_folder(version: str) -> Any:
    # The strict schemas that kubernetes-validate ships, read offline from the package.
    return (
        resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{version}.0-local-strict"
    )


@cache
def _kubernetes_definitions(version: str) -> Any:
    return json.loads(
        (_kubernetes_folder(version) / "_definitions.json").read_text(encoding="utf-8")
    )


@cache
def _kubernetes_validator(version: str, api_version: str, kind: str) -> Any:
    """One validator per kind, built once: kubernetes_validate.validate re-reads 1.3 MB per call."""
    import jsonschema
    import referencing

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = json.loads(
            (_kubernetes_folder(version) / f"{kind.lower()}-{group_version}.json").read_text(
                encoding="utf-8"
            )
        )
        definitions = _kubernetes_definitions(version)
    except FileNotFoundError as exc:
        raise MissingSchema(
            f"kubernetes-validate has no strict schema of {kind} {api_version} "
            f"for Kubernetes {version}"
        ) from exc
    registry: Any = referencing.Registry()
    registry = referencing.Resource.from_contents(schema) @ registry
    registry = referencing.Resource.from_contents(definitions) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_errors(obj: Mapping[str, Any], version: str) -> list[str]:
    """What the Kubernetes `version` OpenAPI schema (strict: no unknown fields) says is
    wrong with `obj`; `MissingSchema` when it has none for the object's kind."""
    validator = _kubernetes_validator(version, str(obj["apiVersion"]), str(obj["kind"]))
    messages = []
    for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
        path = ".".join(str(p) for p in error.absolute_path)
        messages.append(f"{path}: {error.message}" if path else error.message)
    return messages


__all__ = [
    "KINDS",
    "SCHEMA_DIR",
    "MissingSchema",
    "check",
    "kubernetes_errors",
    "schema_path",
    "validator",
]
