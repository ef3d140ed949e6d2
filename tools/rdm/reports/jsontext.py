"""JSON as rdm prints it: readable UTF-8, on the lines its structure gives.

`json.dumps(..., ensure_ascii=False)` escapes control characters but writes
U+0085, U+2028 and U+2029 as they are; some readers (a CI log, a terminal, a
JavaScript eval) end a line there, which would let a value start a line of its
own -- e.g. a workflow command under GitHub Actions. `dumps` writes those three
as `\\uXXXX` escapes (valid JSON with the same value), so a line of rdm's JSON
never starts inside a string. Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

_RAW_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


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
    # Outside strings JSON has none of these characters, so replacing them is safe.
    return text.translate(_RAW_BREAKS)
