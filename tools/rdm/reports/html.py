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
from rdm.reports.printable import printable

TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Every {{ value }} (autoescaped after this) shows controls as escapes.
        # (Markup is a macro's or a filter's own output, already safe.)
        finalize=lambda value: (
            printable(value)
            if isinstance(value, str) and not isinstance(value, markupsafe.Markup)
            else value
        ),
    )
    i18n.install(env)
    return env


def page(template: str, **values: Any) -> str:
    return (
        environment()
        .get_template(template)
        .render(lang=i18n.language().replace("_", "-"), **values)
    )


def md(text: object) -> str:
    """A value as literal text in a Markdown table cell: one line, no markup, no controls."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", printable(flat))
