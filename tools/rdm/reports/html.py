"""The Jinja2 environment of the HTML pages (agenda, report) and Markdown escaping.

Every value in these pages comes from files and API answers and is hostile:
HTML is autoescaped (text and attributes), and Markdown cells are escaped so a
title cannot open a link, an image, HTML or a new table cell. In both, control
characters and bidi overrides are shown as escapes (`printable`), so a title
can neither drive the terminal that shows the Markdown nor read backwards in the
page. The pages carry their style inline and load nothing from outside.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from rdm import i18n
from rdm.model.problems import visible
from rdm.reports.printable import printable

TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


# Line breaks inside a value, as the character references of what an HTML
# parser makes of them (CR and CRLF are read as LF): the page's DOM is the same,
# and a value never starts a line of the page's text, where a CI runner reading
# a printed page would take `::error::…` for a workflow command.
_VALUE_BREAKS = re.compile("\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _break_reference(match: re.Match[str]) -> str:
    text = match.group()
    return "&#10;" if text in ("\r\n", "\r", "\n") else f"&#x{ord(text):x};"


# What `printable` also shows as escapes and `visible` leaves: the zero-width and
# word-joining characters and the BOM, which hide text in a page (line breaks are
# kept, as character references).
_INVISIBLE = re.compile("[\u200b-\u200d\u2060-\u2065\ufeff]")


def _finalize(value: object) -> object:
    """Every `{{ value }}`: controls and invisible characters shown as escapes
    (`\\x1b`, `\\u200b`), then HTML-escaped, with its line breaks as character
    references."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        # a macro's Markup is the page's own
        value = visible(value.replace("\r\n", "\n"))
        value = _INVISIBLE.sub(lambda match: printable(match.group()), value)
    escaped = markupsafe.escape(value)
    # Safe: the text was escaped on the line above; only character references are added.
    return markupsafe.Markup(_VALUE_BREAKS.sub(_break_reference, str(escaped)))  # noqa: S704


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    return env


def page(template: str, **values: Any) -> str:
    text = (
        environment()
        .get_template(template)
        .render(lang=i18n.language().replace("_", "-"), **values)
    )
    # A page printed under GitHub Actions is read line by line by the runner, which
    # takes the legacy `##[command]` anywhere in a line: its `[` goes as a character
    # reference (the page shows the same text; the templates have no `##[` in a
    # script or style, where a reference would not be read).
    return text.replace("##[", "##&#91;")


def md(text: object) -> str:
    """A value as literal text in a Markdown table cell: one line, no markup, no controls."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", printable(flat))
