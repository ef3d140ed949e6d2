"""Human-facing text in the team's language: gettext catalogs, pt-BR by default.

How a module uses it (the whole contract; tools/rdm/i18n/README.md has the
workflow):

    from rdm.i18n import _, N_, ngettext

    click.echo(_("RDM {id} written to {path}").format(id=rdm_id, path=path))
    ngettext("{n} RDM", "{n} RDMs", n).format(n=n)
    LABELS = {"draft": N_("draft")}   # marked at import, translated later with _()

- Messages are written in English, the fallback, and translated in
  `locale/pt_BR/LC_MESSAGES/rdm.po`. Placeholders are `{name}` fields filled
  with `.format()` *after* translation, so a translator can move them.
- `_()` translates at call time with the active language: call it where the text
  is produced, never at import time (use `N_` to mark a constant).
- Jinja2 templates get the same functions through `install(environment)`.
- Only text for people is translated: JSON output, rule ids, states and other
  identifiers stay in English.

The language is chosen once per run by `cli.main` with `choose(os.environ)`:
`RDM_LANG` first, then `LC_ALL`, `LC_MESSAGES`, `LANG` (gettext's order);
unset, `C` or `POSIX` mean the team's default, pt-BR. Any Portuguese locale
reads pt-BR; a language without a catalog reads English.

This module never reads the environment or the clock itself (the caller hands
it the mapping); it reads only its own compiled catalogs (`rdm.mo`, built from
the `.po` files by `make` or a wheel build, see `catalogs.py`).
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

DOMAIN = "rdm"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "pt_BR"
ENGLISH = "en"
# Languages with a catalog; English is the msgids themselves.
CATALOGS = ("pt_BR",)
_ENV_ORDER = ("RDM_LANG", "LC_ALL", "LC_MESSAGES", "LANG")

_active: list[str] = [DEFAULT]


def normalize(value: str) -> str | None:
    """`pt-BR`, `pt_BR.UTF-8`, `pt` -> `pt_BR`; `en_US.utf8` -> `en`; `C` -> None.

    None means "no choice made": the default applies. An unknown language gives
    English, the fallback.
    """
    text = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if not text or text.upper() in ("C", "POSIX"):
        return None
    language = text.split("_", 1)[0].lower()
    if language == "pt":
        return "pt_BR"
    return ENGLISH


def choose(env: Mapping[str, str]) -> str:
    """The language for this run from environment variables (see the module doc)."""
    for name in _ENV_ORDER:
        value = env.get(name)
        if value:
            chosen = normalize(value)
            if chosen is not None:
                return chosen
            if name == "RDM_LANG":
                continue  # RDM_LANG=C says nothing; look further
            break  # the locale variable in force says "C": the team's default
    return DEFAULT


@lru_cache(maxsize=8)
def _translations(language: str) -> _gettext.NullTranslations:
    if language == ENGLISH:
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    except OSError:
        # Not compiled (a source checkout where `make` has not run): English,
        # and `missing_catalog` lets the CLI say so once.
        return _gettext.NullTranslations()


def missing_catalog(language: str | None = None) -> bool:
    """True when `language` (default: the active one) should have a catalog and has none."""
    language = language or _active[0]
    return language != ENGLISH and not isinstance(_translations(language), _gettext.GNUTranslations)


def activate(language: str) -> str:
    """Make `language` (`pt_BR` or `en`) the active one; returns the previous."""
    previous = _active[0]
    _active[0] = language if language in (*CATALOGS, ENGLISH) else ENGLISH
    return previous


def language() -> str:
    """The active language: `pt_BR` or `en`."""
    return _active[0]


@contextmanager
def using(language_: str) -> Iterator[None]:
    """Run a block in another language (tests, a notice in the client's language)."""
    previous = activate(language_)
    try:
        yield
    finally:
        activate(previous)


def _(message: str) -> str:
    """`message` in the active language (itself when there is no translation)."""
    return _translations(_active[0]).gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_active[0]).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For one English word with two meanings (e.g. a state and a verb)."""
    return _translations(_active[0]).pgettext(context, message)


def N_(message: str) -> str:  # gettext's conventional name for "mark only"
    """Mark `message` for extraction without translating it now."""
    return message


def decimal(value: float, digits: int = 1) -> str:
    """`87.5` as people of the active language write it (`87,5` in pt-BR)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if _active[0] == "pt_BR" else text


def percent(ratio: float, digits: int = 1) -> str:
    """0.875 -> `87,5 %` (pt-BR) or `87.5%` (English)."""
    number = decimal(ratio * 100, digits)
    return f"{number} %" if _active[0] == "pt_BR" else f"{number}%"


def install(environment: Any) -> None:
    """Give a Jinja2 environment (with `jinja2.ext.i18n`) these functions.

    Templates use the same `{name}` fields as Python: `{{ _("{n} RDMs").format(n=3) }}`.
    The result is a plain string, so autoescaping escapes it whole, values included.
    """
    environment.install_gettext_callables(gettext, ngettext, newstyle=False, pgettext=pgettext)


__all__ = [
    "CATALOGS",
    "DEFAULT",
    "ENGLISH",
    "N_",
    "_",
    "activate",
    "choose",
    "decimal",
    "gettext",
    "install",
    "language",
    "missing_catalog",
    "ngettext",
    "normalize",
    "percent",
    "pgettext",
    "using",
]
