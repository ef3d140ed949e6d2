"""JSON as rdm prints it: readable UTF-8, on the lines its structure gives.

`json.dumps(..., ensure_ascii=False)` escapes the C0 control characters but
writes U+0085, U+2028 and U+2029 as they are; some readers (a CI log, a
terminal, a JavaScript eval) end a line there, which would let a value start a
line of its own -- e.g. a workflow command under GitHub Actions. `dumps` writes
those three as `\\uXXXX` escapes (valid JSON with the same value), so a line of
rdm's JSON never starts inside a string; likewise DEL, the C1 controls and the
bidirectional controls, which drive a terminal (`TERMINAL_CONTROLS`); and the
`[` of `##[` as `\\u005b`, because the runner reads the legacy `##[command]`
anywhere in a line. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rdm.model.problems import TERMINAL_CONTROL

_RAW_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    separators: tuple[str, str] | None = None,
) -> str:
    """`json.dumps` with non-ASCII text kept and every line break escaped."""
    text = json.dumps(
        value, ensure_ascii=False, indent=indent, sort_keys=sort_keys, separators=separators
    )
    # Outside strings JSON has none of these characters (and no `#`), so replacing
    # them is safe.
    return TERMINAL_CONTROL.sub(_escape, text.translate(_RAW_BREAKS)).replace("##[", "##\\u005b")
