"""Build tooling for the catalogs: extract, update, compile and check (Babel).

    python -m rdm.i18n.catalogs update    # after adding or changing a message
    python -m rdm.i18n.catalogs compile   # .po -> .mo (make does it)
    python -m rdm.i18n.catalogs check     # exit 1 when a catalog is stale

Messages are extracted from every module (`_`, `N_`, `gettext`, `ngettext`,
`pgettext`) and every Jinja2 template under `tools/rdm`. `update` writes each
`.po` sorted by message, with file names but no line numbers, so two branches
that add messages rarely touch the same lines. `compile` refuses a catalog with
fuzzy or broken entries.

Babel is a build and development tool here, never a runtime dependency: only
this module imports it, and rdm itself reads the compiled `.mo` with the
standard library's gettext.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdm.i18n import CATALOGS, DOMAIN, LOCALE_DIR

PACKAGE = LOCALE_DIR.parent.parent
KEYWORDS: dict[str, Any] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.md", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "silent": "false"},
    "**/templates/**.md": {"extensions": "jinja2.ext.i18n", "silent": "false"},
}


def po_path(language: str, root: Path = LOCALE_DIR) -> Path:
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(package: Path = PACKAGE) -> Any:
    """A template catalog of every message marked in the package."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(project="rdm", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package), METHODS, options_map=OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        template.add(
            message,
            None,
            [(f"rdm/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def _read(path: Path, language: str) -> Any:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=language, project="rdm", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _po_text(catalog: Any) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    # No line numbers and no dates: the .po changes only when a message does.
    write_po(
        buffer,
        catalog,
        width=100,
        sort_output=True,
        include_lineno=False,
        omit_header=True,
        ignore_obsolete=True,
    )
    return buffer.getvalue()


def update(root: Path = LOCALE_DIR, package: Path = PACKAGE) -> list[Path]:
    """Bring every catalog in line with the messages in the code; returns those changed."""
    template = extract(package)
    changed: list[Path] = []
    for language in CATALOGS:
        path = po_path(language, root)
        catalog = _read(path, language)
        catalog.update(template, no_fuzzy_matching=True)
        text = _po_text(catalog)
        if not path.exists() or path.read_bytes() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            changed.append(path)
    return changed


def problems(root: Path = LOCALE_DIR, package: Path = PACKAGE) -> list[str]:
    """What keeps the catalogs from being complete and current, one line each."""
    template = extract(package)
    found: list[str] = []
    for language in CATALOGS:
        path = po_path(language, root)
        catalog = _read(path, language)
        shown = path.relative_to(root.parent) if path.is_relative_to(root.parent) else path
        for message in template:
            if not message.id:
                continue
            known = catalog.get(message.id, context=message.context)
            if known is None:
                found.append(f"{shown}: missing {_show(message.id)}")
            elif not known.string or (isinstance(known.string, tuple) and not all(known.string)):
                found.append(f"{shown}: untranslated {_show(message.id)}")
            elif known.fuzzy:
                found.append(f"{shown}: fuzzy {_show(message.id)}")
            elif _fields(message.id) != _fields(known.string):
                found.append(f"{shown}: placeholders differ in {_show(message.id)}")
        for message in catalog:
            if message.id and template.get(message.id, context=message.context) is None:
                found.append(f"{shown}: no longer used {_show(message.id)}")
    return found


def _show(message_id: str | tuple[str, ...]) -> str:
    text = message_id[0] if isinstance(message_id, tuple) else message_id
    return repr(text[:70])


def _fields(text: str | tuple[str, ...]) -> set[str]:
    """The `{name}` fields of a message (both forms of a plural)."""
    import string

    parts = text if isinstance(text, tuple) else (text,)
    names: set[str] = set()
    for part in parts:
        try:
            names |= {name for _, name, _, _ in string.Formatter().parse(part) if name}
        except ValueError:
            names.add("<unbalanced braces>")
    return names


def compile_all(root: Path = LOCALE_DIR, out: Path | None = None) -> list[Path]:
    """Write `rdm.mo` beside each `rdm.po` (or under `out`, same layout)."""
    from babel.messages.mofile import write_mo

    written: list[Path] = []
    for language in CATALOGS:
        catalog = _read(po_path(language, root), language)
        errors = [
            f"{po_path(language, root)}: {message.id!r}: {error}"
            for message, errs in catalog.check()
            for error in errs
        ]
        if errors:
            raise SystemExit("\n".join(errors))
        # Fixed dates: the same .po always gives the same bytes (a build is reproducible,
        # and a test can tell a stale .mo).
        catalog.creation_date = catalog.revision_date = datetime(2000, 1, 1, tzinfo=UTC)
        target = (out or root) / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            target.write_bytes(buffer.getvalue())
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    action = args[0] if args else ""
    if action == "update":
        for path in update():
            print(f"updated {path}")
        return 0
    if action == "compile":
        for path in compile_all():
            print(f"compiled {path}")
        return 0
    if action == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    print("usage: python -m rdm.i18n.catalogs update|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
