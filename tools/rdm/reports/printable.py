"""Text from files, notes and API answers made safe to show to a person.

A title, a monitor name or an RDM id in a note is hostile: YAML's double quotes
and JSON can carry ESC (a terminal obeys `ESC [ 2 J` and clears itself, or
`ESC ] 0 ;` and retitles the window), BEL, and the bidirectional overrides that
make a line read backwards (U+202E). `printable` shows each such character as
an escape (`\\x1b`, `\\u202e`) instead, so it is seen and never obeyed; ordinary
text, accents included, is left alone. Line breaks and tabs are the callers'
business (one cell, one line), so they are escaped here too.

Pure: text in, text out.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode formatting characters that reorder or
# hide text: bidi embeddings/overrides/isolates and marks (the Arabic letter mark
# too, as `rdm.model.problems.visible` shows it), zero-width joiners and spaces,
# the line and paragraph separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# The same but the tab, for a line that is shown as a line (a log line: a Java stack
# trace is indented with tabs, and a tab moves the cursor, nothing more).
_UNSAFE_BUT_TAB = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, tabs: bool = False) -> str:
    """`text` with every control or reordering character shown as an escape; with
    `tabs`, a tab is left as it is."""
    return (_UNSAFE_BUT_TAB if tabs else UNSAFE).sub(_escape, str(text))
