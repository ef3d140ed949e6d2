"""Words for findings: what to write instead of a value that was refused.

The schemas say *that* a value is wrong; a person needs to know what to write.
These helpers turn a refused value into that sentence: the allowed value it is
close to ("did you mean 'producao'?", also across Portuguese and English:
`alto` -> `high`), the right form of a date with the date itself rewritten when
it can be read (`03/12/2026` -> `2026-12-03`), `true`/`false` for `sim`/`não`,
a CNPJ or a duration rewritten in the expected form. No message ever shows a
regular expression: forms are said in words, with an example.

Pure: no I/O. Every function takes the refused value and returns text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

DATE_EXAMPLE = "2026-12-03"
DATE_TIME_EXAMPLE = "2026-11-26T08:15:00-03:00"

# Words people write in the other language (or the other gender) for an allowed value.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "high": ("alto", "alta", "critico", "critica"),
    "medium": ("medio", "media", "moderado", "moderada"),
    "low": ("baixo", "baixa"),
    "alto": ("high", "alta"),
    "medio": ("medium", "media"),
    "baixo": ("low", "baixa"),
    "emergency": ("emergencia", "emergencial", "urgente"),
    "standard": ("padrao", "pre-aprovada", "preaprovada"),
    "normal": ("comum",),
    "producao": ("prod", "production", "prd"),
    "homologacao": ("homolog", "hml", "homologation", "staging", "teste", "testes"),
    "monday": ("segunda", "segunda-feira"),
    "tuesday": ("terca", "terca-feira"),
    "wednesday": ("quarta", "quarta-feira"),
    "thursday": ("quinta", "quinta-feira"),
    "friday": ("sexta", "sexta-feira"),
    "saturday": ("sabado",),
    "sunday": ("domingo",),
    "keep": ("manter", "mantem"),
    "skip": ("pular", "pula", "cancelar"),
    "window": ("janela",),
    "committee": ("comite", "reuniao"),
}
# Keys people write in Portuguese for a known key.
_KEY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("titulo",),
    "type": ("tipo",),
    "category": ("categoria",),
    "requester": ("solicitante", "requisitante"),
    "description": ("descricao",),
    "technicalOpinion": ("parecer", "parecertecnico", "opinion"),
    "impact": ("impacto",),
    "urgency": ("urgencia",),
    "targets": ("alvos", "clientes", "target"),
    "environments": ("ambientes", "environment", "ambiente"),
    "window": ("janela",),
    "estimatedDuration": ("duracao", "tempo", "tempoestimado", "duration"),
    "rollback": ("reversao",),
    "homologation": ("homologacao", "testes"),
    "incident": ("incidente", "chamado"),
    "communication": ("comunicacao", "aviso"),
    "template": ("modelo",),
    "dependsOn": ("dependede", "dependencias", "depends", "dependson"),
    "changes": ("mudancas", "alteracoes"),
    "plan": ("plano",),
    "evidence": ("evidencia",),
    "testedBy": ("testadopor",),
    "testedAt": ("testadoem",),
    "notified": ("avisados", "notificados"),
    "notice": ("texto",),
    "notifiedAt": ("avisadoem", "notificadoem"),
    "replicas": ("replicas",),
    "memory": ("memoria",),
    "request": ("requests",),
    "limit": ("limits",),
    "hosts": ("host", "hostnames", "dominios"),
}

# Keys that are not missing from the schema by accident.
_KEY_NOTES: dict[str, str] = {
    "priority": "the priority is derived from impact and urgency by policy/priorities.yaml, "
    "never written; remove it",
    "prioridade": "the priority is derived from impact and urgency by policy/priorities.yaml, "
    "never written; remove it",
}

_TRUE_WORDS = frozenset({"sim", "s", "yes", "y", "on", "verdadeiro", "v", "1", "true"})
_FALSE_WORDS = frozenset({"nao", "n", "no", "off", "falso", "f", "0", "false"})


def plain(text: str) -> str:
    """Lower case, accents removed, spaces and underscores as hyphens: how values are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", "-", stripped.strip().lower())


def did_you_mean(value: object, options: Sequence[object]) -> str | None:
    """The allowed option `value` most likely meant, or None when none is close."""
    if not isinstance(value, str):
        return None
    texts = [o for o in options if isinstance(o, str)]
    key = plain(value)
    by_plain = {plain(o): o for o in texts}
    if key in by_plain and by_plain[key] != value:
        return by_plain[key]
    for option in texts:
        if key in _SYNONYMS.get(option, ()):
            return option
    close = difflib.get_close_matches(key, list(by_plain), n=1, cutoff=0.75)
    return by_plain[close[0]] if close else None


def key_note(key: str) -> str | None:
    """Why a key that people expect is not there (`priority`), or None."""
    return _KEY_NOTES.get(plain(key))


def key_suggestion(key: str, known: Iterable[str]) -> str | None:
    """The known key an unknown `key` most likely meant (case, accents, Portuguese)."""
    names = list(known)
    squashed = plain(key).replace("-", "")
    for name in names:
        if name.lower() == squashed or squashed in _KEY_SYNONYMS.get(name, ()):
            return name
    close = difflib.get_close_matches(squashed, [n.lower() for n in names], n=1, cutoff=0.75)
    if not close:
        return None
    return next(n for n in names if n.lower() == close[0])


# ---------------------------------------------------------------- dates and times

_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_YEAR_FIRST = re.compile(r"([0-9]{4})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def read_date(text: str) -> date | None:
    """A date written in a form people use (03/12/2026, 2026/12/03, 20261203), if it is one."""
    text = text.strip()
    for pattern, order in ((_DAY_FIRST, "dmy"), (_YEAR_FIRST, "ymd"), (_COMPACT, "ymd")):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
        try:
            return date(parts["y"], parts["m"], parts["d"])
        except ValueError:
            return None
    return None


def date_message(value: object) -> str:
    """Why `value` is not a date YYYY-MM-DD, and what to write."""
    shown = _shown(value)
    if isinstance(value, str):
        meant = read_date(value)
        if meant is not None and meant.isoformat() != value:
            return f"{shown} is not a date in the form YYYY-MM-DD: write {meant.isoformat()}"
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return (
                f"{shown} is not a day of the calendar; write a real date as YYYY-MM-DD, "
                f"e.g. {DATE_EXAMPLE}"
            )
    elif isinstance(value, int) and not isinstance(value, bool):
        meant = read_date(str(value))
        if meant is not None:
            return f"{shown} is a number; write the date as YYYY-MM-DD: {meant.isoformat()}"
    return f"{shown} is not a date; write YYYY-MM-DD, e.g. {DATE_EXAMPLE}"


_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def date_time_message(value: object) -> str:
    """Why `value` is not a date and time with an offset, and what to write."""
    shown = _shown(value)
    form = "YYYY-MM-DDTHH:MM:SS with the offset (-03:00 for Brasília, or Z for UTC)"
    if not isinstance(value, str):
        return f"{shown} is not a date and time; write {form}, e.g. {DATE_TIME_EXAMPLE}"
    text = value.strip()
    day_text, _, time_text = text.replace("T", " ").partition(" ")
    day = read_date(day_text)
    match = _TIME.fullmatch(time_text.strip()) if time_text else None
    if day is not None and match is not None:
        hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
        if hours < 24 and minutes < 60 and seconds < 60:
            local = f"{day.isoformat()}T{hours:02d}:{minutes:02d}:{seconds:02d}"
            return f"{shown} has no offset; write {local}-03:00 (Brasília) or {local}Z (UTC)"
    if day is not None and not time_text:
        return (
            f"{shown} is a date without a time; write it with the time and offset, "
            f"e.g. {day.isoformat()}T00:00:00-03:00"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        local = parsed.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{shown} has no offset; write {local}-03:00 (Brasília) or {local}Z (UTC)"
    return f"{shown} is not a date and time; write {form}, e.g. {DATE_TIME_EXAMPLE}"


# ---------------------------------------------------------------- other forms


def boolean_message(value: object) -> str:
    """`sim` -> write true; anything else -> write true or false."""
    if isinstance(value, str):
        word = plain(value)
        if word in _TRUE_WORDS:
            return f"{_shown(value)} is text; write true (without quotes)"
        if word in _FALSE_WORDS:
            return f"{_shown(value)} is text; write false (without quotes)"
    return f"{_shown(value)} is not true or false; write true or false (without quotes)"


def cnpj_text(digits: str) -> str:
    """14 characters as NN.NNN.NNN/NNNN-NN."""
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"


def cnpj_check_digits(characters: str) -> str:
    """The two check digits of a CNPJ's first 12 characters (digits, or the
    letters of the alphanumeric CNPJ, each worth its ASCII code minus 48)."""
    values = [ord(c) - 48 for c in characters[:12]]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        values.append(0 if remainder < 2 else 11 - remainder)
    return f"{values[12]}{values[13]}"


def cnpj_message(value: object) -> str:
    """A CNPJ given as a number, or in another layout: the same CNPJ in the expected form."""
    example = "12.345.678/0001-95"
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
        if len(digits) <= 14:
            return (
                f"the CNPJ is written as a number, which loses leading zeros; write it in "
                f'quotes: "{cnpj_text(digits.zfill(14))}"'
            )
        return f'the CNPJ is written as a number; write it in quotes, e.g. "{example}"'
    if isinstance(value, str):
        characters = re.sub(r"[\s./-]", "", value).upper()
        if len(characters) == 14 and characters.isascii() and characters.isalnum():
            return f"{_shown(value)}: write the CNPJ as {cnpj_text(characters)}"
    return f"{_shown(value)} is not a CNPJ; write NN.NNN.NNN/NNNN-NN, e.g. {example}"


_DURATION_UNITS: dict[str, int] = {
    **dict.fromkeys(("h", "hs", "hr", "hrs", "hora", "horas", "hour", "hours"), 60),
    **dict.fromkeys(("m", "min", "mins", "minuto", "minutos", "minute", "minutes"), 1),
}


def duration_suggestion(value: object) -> str | None:
    """`90 minutos` -> `1h30m`, `1:30` -> `1h30m`, `1h30` -> `1h30m`: the duration meant."""
    if not isinstance(value, str):
        return None
    text = plain(value)
    clock = re.fullmatch(r"([0-9]{1,3}):([0-9]{2})", text)
    if clock is not None:
        minutes = int(clock[1]) * 60 + int(clock[2])
    else:
        text = re.sub(r"-(e|and)-|[-,]", "", text)
        if re.fullmatch(r"([0-9]+[a-z]+)+([0-9]+)?", text) is None:
            return None
        minutes = 0
        for number, unit in re.findall(r"([0-9]+)([a-z]+)", text):
            if unit not in _DURATION_UNITS:
                return None
            minutes += int(number) * _DURATION_UNITS[unit]
        trailing = re.search(r"(?<=[a-z])([0-9]+)\Z", text)
        if trailing is not None:  # 1h30: the minutes without their unit
            minutes += int(trailing[1])
    if minutes <= 0:
        return None
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


__all__ = [
    "DATE_EXAMPLE",
    "DATE_TIME_EXAMPLE",
    "boolean_message",
    "cnpj_check_digits",
    "cnpj_message",
    "cnpj_text",
    "date_message",
    "date_time_message",
    "did_you_mean",
    "duration_suggestion",
    "key_note",
    "key_suggestion",
    "plain",
    "read_date",
]
