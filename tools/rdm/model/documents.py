"""YAML documents with positions: parsing bytes into a `Document` or problems.

Everything rdm reads is parsed here, so the safety rules live in one place:
safe YAML only (no Python tags), the YAML 1.2 core schema (``no`` and ``06:00``
stay text, dates stay text for the schemas to check), duplicate keys rejected,
alias expansion bounded, files over 1 MiB, non-UTF-8, empty and multi-document
files refused. A broken file becomes a `Problem` at the parser's mark; this
module never raises on bad content.

The parsed value is built by PyYAML's (C, when available) loader; the node tree
is kept beside it so that a position is looked up only when a problem needs one,
which keeps the happy path as fast as a bare ``yaml.load``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from rdm.model.problems import START, Level, Position, Problem

try:  # the C parser ships in PyYAML's wheels; the pure-Python one is the fallback
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - exercised only without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


MAX_BYTES = 1024 * 1024
# What a file over the limit is told; sources that know a size without reading (a
# git blob) report it with the same words.
TOO_LARGE = f"file is over the {MAX_BYTES:,}-byte (1 MiB) limit"
# A real topology or RDM has a few hundred nodes; anything whose aliases expand
# past this is a "billion laughs" file, reported instead of built.
MAX_EXPANDED_NODES = 100_000
# libyaml reads up to 1,000 levels; the schema validator, the renderer and repr
# recurse once per level or more and Python stops at 1,000 frames. The deepest
# real file (a topology's ini config) is 5 levels.
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: only null, true/false, ints and floats are implicit.

    PyYAML's default is YAML 1.1, where ``no`` is False, ``06:00`` is 360 and
    ``2026-12-03`` is a date object: all wrong for hand-written policy files.
    """


_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"<<\Z"), ["<"])

# Python refuses to turn longer decimal text into an int (a denial-of-service guard).
MAX_INT_DIGITS = 4300
_TOO_LONG = 10**MAX_INT_DIGITS
_YAML_TAG = "tag:yaml.org,2002:"
_MERGE = _YAML_TAG + "merge"
# YAML 1.1 types outside the 1.2 core schema: their values (bytes, sets, dates,
# pairs) are not JSON, so no schema could say what they mean.
_REFUSED_TAGS = ("binary", "set", "omap", "pairs", "timestamp")
_NODE_KINDS = {ScalarNode: "a scalar", SequenceNode: "a sequence", MappingNode: "a mapping"}


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _Constructor(SafeConstructor):
    """Safe construction of the YAML 1.2 core schema only.

    Refuses duplicate and non-text keys, and an explicit tag whose value cannot
    be of that type (``!!int abc``, ``!!bool maybe``, ``!!str`` on a mapping):
    PyYAML would raise a bare ValueError or KeyError there, or quietly read
    YAML 1.1 (``!!bool yes``, ``!!int 1_000``, ``!!float 1:30``).
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self._expect(node, MappingNode)
        seen: set[str] = set()
        for key_node, _value in node.value:
            if key_node.tag == _MERGE:
                # one merge key per mapping, like any other key
                if "<<" in seen:
                    raise _NodeError("yaml-duplicate-key", "duplicate key '<<'", key_node)
                seen.add("<<")
                continue
            _text_key(key_node)
            if key_node.value in seen:
                message = f"duplicate key {key_node.value!r}"
                raise _NodeError("yaml-duplicate-key", message, key_node)
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def flatten_mapping(self, node: MappingNode) -> None:
        """Replace the merge key by the keys it brings, as YAML's merge type says:
        the mapping's own keys win, then the earlier of the merged mappings.

        PyYAML's own version tells keys apart by object identity, so of two merged
        mappings with the key ``name`` the later one won (one-letter keys are
        shared objects, and there the earlier won); and it let through keys that
        are not text and values that are not mappings as bare errors.
        """
        own = [pair for pair in node.value if pair[0].tag != _MERGE]
        merges = [value for key, value in node.value if key.tag == _MERGE]
        if not merges:
            return
        taken = {key.value for key, _value in own}
        brought: list[tuple[Node, Node]] = []
        for value_node in merges:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise _NodeError(
                        "yaml-merge",
                        "the merge key '<<' takes a mapping or a list of mappings, "
                        f"not {_NODE_KINDS.get(type(source), 'this')}",
                        source,
                    )
                self.flatten_mapping(source)
                for key_node, item in source.value:
                    _text_key(key_node)
                    if key_node.value not in taken:
                        taken.add(key_node.value)
                        brought.append((key_node, item))
        node.value = brought + own

    def construct_yaml_seq(self, node: Node) -> Any:
        self._expect(node, SequenceNode)
        return super().construct_yaml_seq(node)

    def construct_yaml_map(self, node: Node) -> Any:
        self._expect(node, MappingNode)
        return super().construct_yaml_map(node)

    def construct_yaml_str(self, node: Node) -> str:
        self._expect(node, ScalarNode)
        return str(self.construct_scalar(node))  # type: ignore[arg-type]

    def construct_yaml_null(self, node: Node) -> None:
        self._text(node, _NULL, "null")

    def construct_yaml_bool(self, node: Node) -> bool:
        return self._text(node, _BOOL, "true or false").lower() == "true"

    def construct_yaml_int(self, node: Node) -> int:
        text = self._text(node, _INT, "an integer")
        # Base 8 and 16 convert in linear time, whatever the length; decimal text is
        # checked before int(), which refuses it. The limit is on what can be
        # printed: 0x/0o text is shorter than its decimal.
        value: int | None
        if text.startswith("0o"):
            value = int(text[2:], 8)
        elif text.startswith("0x"):
            value = int(text[2:], 16)
        elif len(text.lstrip("+-")) > MAX_INT_DIGITS:
            value = None
        else:
            value = int(text)
        if value is None or abs(value) >= _TOO_LONG:
            raise _NodeError(
                "yaml-number",
                f"an integer of more than {MAX_INT_DIGITS:,} digits is larger than rdm reads",
                node,
            )
        return value

    def construct_yaml_float(self, node: Node) -> float:
        text = self._text(node, _FLOAT, "a number").lower()
        if text.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        if text == ".nan":
            return float("nan")
        return float(text)

    def construct_refused(self, node: Node) -> None:
        raise _NodeError(
            "yaml-tag",
            f"tag {_tag_name(str(node.tag))} is not allowed; rdm reads the YAML 1.2 core types "
            "only (text, numbers, true/false, null, lists, mappings)",
            node,
        )

    def _expect(self, node: Node, kind: type[Node]) -> None:
        if not isinstance(node, kind):
            raise _NodeError(
                "yaml-tag",
                f"tag {_tag_name(str(node.tag))} needs {_NODE_KINDS[kind]}, "
                f"not {_NODE_KINDS.get(type(node), 'this')}",
                node,
            )

    def _text(self, node: Node, form: re.Pattern[str], what: str) -> str:
        self._expect(node, ScalarNode)
        text = str(node.value)
        if not form.match(text):
            raise _NodeError(
                "yaml-tag", f"{text!r} is not {what} (tag {_tag_name(str(node.tag))})", node
            )
        return text


for _name, _method in (
    ("null", _Constructor.construct_yaml_null),
    ("bool", _Constructor.construct_yaml_bool),
    ("int", _Constructor.construct_yaml_int),
    ("float", _Constructor.construct_yaml_float),
    ("str", _Constructor.construct_yaml_str),
    ("seq", _Constructor.construct_yaml_seq),
    ("map", _Constructor.construct_yaml_map),
    *((refused, _Constructor.construct_refused) for refused in _REFUSED_TAGS),
):
    _Constructor.add_constructor(_YAML_TAG + _name, _method)  # type: ignore[type-var]  # stubs expect a loader class


class _Loader(_Parser, _Constructor, _CoreResolver):
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Constructor.__init__(self)
        _CoreResolver.__init__(self)


def _text_key(key_node: Node) -> None:
    if not isinstance(key_node, ScalarNode) or key_node.tag != _YAML_TAG + "str":
        raise _NodeError("yaml-key-type", "keys must be text", key_node)


class _NodeError(Exception):
    """A node that cannot be read, with the rule it breaks (raised while constructing)."""

    def __init__(self, rule: str, message: str, node: Node) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.node = node


@dataclass(frozen=True)
class Document:
    """One parsed YAML file: its value and the node tree that knows positions."""

    path: str  # as shown to the user
    data: Any
    root: Node = field(repr=False, compare=False)

    def position(self, pointer: Sequence[str | int], *, key: bool = True) -> Position:
        """Where the value at `pointer` is written.

        With ``key=True`` a mapping entry points at its key (the offending key is
        what a reader looks for); a pointer that goes past what exists stops at
        the deepest node found, e.g. the mapping that lacks a required key.
        """
        node = self.root
        key_node: Node | None = None
        for segment in pointer:
            found = _child(node, segment)
            if found is None:
                return _mark(key_node if key and key_node is not None else node)
            key_node, node = found
        return _mark(key_node if key and key_node is not None else node)

    def problem(
        self,
        pointer: Sequence[str | int],
        message: str,
        rule: str,
        level: Level = Level.ERROR,
        *,
        key: bool = True,
    ) -> Problem:
        pos = self.position(pointer, key=key)
        return Problem(self.path, pos.line, pos.col, level, message, rule)


def _mark(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


def _child(node: Node, segment: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode):
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
            elif isinstance(key_node, ScalarNode) and key_node.value == segment:
                return key_node, value_node
        for source in merged:
            for candidate in source.value if isinstance(source, SequenceNode) else [source]:
                found = _child(candidate, segment)
                if found is not None:
                    return found
    elif isinstance(node, SequenceNode) and isinstance(segment, int):
        return (None, node.value[segment]) if 0 <= segment < len(node.value) else None
    return None


@dataclass(frozen=True)
class LoadResult:
    document: Document | None
    problems: list[Problem]


def parse(path: str, raw: bytes) -> LoadResult:
    """Parse one file's bytes; a bad file yields problems and no document."""

    def fail(line: int, col: int, message: str, rule: str) -> LoadResult:
        return LoadResult(None, [Problem(path, line, col, Level.ERROR, message, rule)])

    if len(raw) > MAX_BYTES:
        # Sources read at most the limit + 1 bytes, so the true size is unknown here.
        return fail(1, 1, TOO_LARGE, "yaml-size")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return fail(
            line, col, f"not UTF-8: byte 0x{raw[exc.start]:02x} is invalid", "yaml-encoding"
        )
    text = text.removeprefix("\ufeff")
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks characters up front
        return fail(*_reader_position(exc, text), _reader_message(exc), "yaml-syntax")
    try:
        root = loader.get_single_node()
        if root is None or (
            isinstance(root, ScalarNode) and root.tag == "tag:yaml.org,2002:null" and not root.value
        ):
            # Nothing at all, only comments, or a bare `---`.
            return fail(1, 1, "file is empty; a document is expected", "yaml-empty")
        deep = _too_deep(root)
        if deep is not None:
            pos = _mark(deep)
            message = f"nested more than {MAX_DEPTH} levels deep; rdm's files need a handful"
            return fail(pos.line, pos.col, message, "yaml-depth")
        if "&" in text:
            bomb = _alias_expansion_problem(root)
            if bomb is not None:
                return fail(*bomb, "yaml-aliases")
        data = loader.construct_document(root)
    except _NodeError as exc:
        pos = _mark(exc.node)
        return fail(pos.line, pos.col, exc.message, exc.rule)
    except yaml.MarkedYAMLError as exc:
        return _marked_error(path, exc, text)
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        return fail(*_reader_position(exc, text), _reader_message(exc), "yaml-syntax")
    except RecursionError:
        return fail(1, 1, "document is nested too deeply", "yaml-syntax")
    finally:
        loader.dispose()
    return LoadResult(Document(path, data, root), [])


_OPENED_CONTEXTS = (
    "while scanning a quoted scalar",
    "while parsing a flow sequence",
    "while parsing a flow mapping",
)


def _marked_error(path: str, exc: yaml.MarkedYAMLError, text: str) -> LoadResult:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and (exc.context or "").startswith(_OPENED_CONTEXTS):
        # An unclosed quote or bracket is found where the file ends or the next key
        # starts; the opening one is where the mistake is.
        mark = exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or ""
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        tag = _tag_name(problem.split("tag", 1)[-1].strip().strip("'"))
        message, rule = f"tag {tag} is not allowed; only plain YAML is", "yaml-tag"
    elif "expected a single document" in (exc.context or ""):
        message = "more than one document in the file; keep one per file"
        rule = "yaml-multi-document"
    else:
        message = _one_line(" ".join(part for part in (exc.context, problem) if part))
        rule = "yaml-syntax"
        lines = text.splitlines()
        if (
            mark is not None
            and mark.line < len(lines)
            and "\t" in lines[mark.line][: mark.column + 1]
        ):
            message = f"tab character in indentation; YAML indents with spaces only ({message})"
            rule = "yaml-tab"
    return LoadResult(None, [Problem(path, line, col, Level.ERROR, message, rule)])


def _reader_position(exc: yaml.YAMLError, text: str) -> tuple[int, int]:
    offset = getattr(exc, "position", None)
    if offset is None:
        return 1, 1
    offset = int(offset)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _reader_message(exc: yaml.YAMLError) -> str:
    character = getattr(exc, "character", None)
    if isinstance(character, int):
        return f"character U+{character:04X} is not allowed in YAML"
    return _one_line(str(exc))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _too_deep(root: Node) -> Node | None:
    """The first collection found more than MAX_DEPTH collections down, aliases
    counted as expanded; without recursion, whatever the depth.

    A node reached again deeper (through an alias) is walked again, at most
    MAX_DEPTH times; a node on its own path (a recursive alias) is left to
    `_alias_expansion_problem`, which names it.
    """
    reached: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if not isinstance(node, MappingNode | SequenceNode):
            continue
        if depth > MAX_DEPTH:
            return node
        if reached.get(id(node), 0) >= depth or id(node) in on_path:
            continue
        reached[id(node)] = depth
        on_path.add(id(node))
        stack.append((node, depth, True))
        children = (
            [child for pair in node.value for child in pair]
            if isinstance(node, MappingNode)
            else list(node.value)
        )
        stack.extend((child, depth + 1, False) for child in reversed(children))
    return None


def _alias_expansion_problem(root: Node) -> tuple[int, int, str] | None:
    """How many nodes the document would have with every alias expanded."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Recursive(node)
        active.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_EXPANDED_NODES:
                    break
        active.discard(key)
        sizes[key] = total
        return total

    try:
        total = size(root)
    except _Recursive as rec:
        pos = _mark(rec.node)
        return pos.line, pos.col, "an alias refers to a node that contains it (recursive alias)"
    if total > MAX_EXPANDED_NODES:
        return (
            1,
            1,
            (
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes; "
                "a file like this is a YAML bomb, not a change request"
            ),
        )
    return None


class _Recursive(Exception):
    def __init__(self, node: Node) -> None:
        super().__init__("recursive alias")
        self.node = node


def at_start(path: str, message: str, rule: str, level: Level = Level.ERROR) -> Problem:
    return Problem(path, START.line, START.col, level, message, rule)
