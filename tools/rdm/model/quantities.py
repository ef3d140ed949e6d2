"""Kubernetes resource quantities (`500m`, `2`, `1.5Gi`, `1e3`): parsed and compared
exactly as the API server parses and compares them.

The grammar is the one of `k8s.io/apimachinery/pkg/api/resource.ParseQuantity`,
including its quirks, because what matters is what the cluster accepts:

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <sign>            ::= "+" | "-"
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>

Digits are ASCII only; there is no space, no `K` and no `B`. Like the server,
a bare sign or point with no digit (`+`, `.`, `-Ki`) reads as zero when it
needs no arbitrary precision, a value finer than a billionth is rounded up
(away from zero) to one, and a binary-suffixed value above 2^63-1 is capped
there. Values are kept as exact `Decimal`s, never floats, so `1Gi` > `1000Mi`
and `500m` < `1` compare as Kubernetes compares them (`Quantity.Cmp`).

Pure: no I/O. A quantity that cannot be read raises `QuantityError`, whose
message says in words what to write instead (no regular expression).
"""

from __future__ import annotations

import decimal
import functools
from dataclasses import dataclass
from decimal import Decimal

_DIGITS = frozenset("0123456789")
_SUFFIX_CHARACTERS = frozenset("eEinumkKMGTP")
_DECIMAL_SI: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SI: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_MAX_INT64 = 2**63 - 1
_NANO = Decimal("1e-9")
# Exact arithmetic on any exponent the server takes (it reads an int32).
_CONTEXT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)
# What people write for a unit Kubernetes spells differently.
_UNIT_HINTS: dict[str, str] = {
    "K": "k (1k = 1000) or Ki (1Ki = 1024)",
    "KB": "k or Ki",
    "kB": "k or Ki",
    "KiB": "Ki",
    "MB": "M or Mi",
    "MiB": "Mi",
    "GB": "G or Gi",
    "GiB": "Gi",
    "TB": "T or Ti",
    "TiB": "Ti",
    "mi": "Mi",
    "gi": "Gi",
    "ki": "Ki",
    "g": "G or Gi",
    "mb": "M or Mi",
    "gb": "G or Gi",
}


class QuantityError(ValueError):
    """A text the Kubernetes API server would not read as a quantity."""


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """A parsed quantity: its text as written and its exact value."""

    text: str
    value: Decimal  # exact, after the server's rounding and cap
    binary: bool  # written with a binary suffix (Ki, Mi, ...)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value == other.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    @property
    def negative(self) -> bool:
        return self.value < 0


@dataclass(frozen=True)
class _Parts:
    positive: bool
    number: str  # the sign and the number as written (what the server's slow path reads)
    num: str  # integer digits, leading zeros stripped ("0" when none)
    denom: str  # fraction digits
    suffix: str


@functools.lru_cache(maxsize=4096)  # topologies repeat the same few ("2", "8Gi")
def parse_quantity(text: str) -> Quantity:
    """`text` read as the Kubernetes API server reads it; `QuantityError` when it cannot."""
    if text == "":
        raise QuantityError("an empty text is not a quantity; write e.g. 500m, 2 or 512Mi")
    if text == "0":
        return Quantity(text, Decimal(0), False)
    parts = _split(text)
    if parts.suffix in _DECIMAL_SI:
        base, exponent, binary = 10, _DECIMAL_SI[parts.suffix], False
    elif parts.suffix in _BINARY_SI:
        base, exponent, binary = 2, _BINARY_SI[parts.suffix], True
    elif len(parts.suffix) > 1 and parts.suffix[0] in "eE":
        exponent = _exponent(text, parts.suffix)
        base, binary = 10, False
    else:
        raise QuantityError(_suffix_message(text, parts.suffix))
    return Quantity(text, _value(text, parts, base, exponent), binary)


def _split(text: str) -> _Parts:
    """The server's `parseQuantityString`: sign, digits, fraction, suffix."""
    end = len(text)
    pos = 0
    positive = True
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return _Parts(positive, "0", "0", "", "")
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    if pos >= end:
        return _Parts(positive, text, num, "", "")
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return _Parts(positive, text, num, denom, "")
    number = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARACTERS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(_form_message(text, text[suffix_start:]))
    return _Parts(positive, number, num, denom, text[suffix_start:])


def _exponent(text: str, suffix: str) -> int:
    digits = suffix[1:]
    body = digits[1:] if digits[:1] in ("+", "-") else digits
    if not body or any(c not in _DIGITS for c in body):
        raise QuantityError(_suffix_message(text, suffix))
    value = int(digits)
    if not -(2**63) <= value < 2**63:
        raise QuantityError(f"{text!r}: the exponent {digits} is out of range")
    # The server keeps the exponent in an int32 and lets it wrap; so does this.
    return (value + 2**31) % 2**32 - 2**31


def _value(text: str, parts: _Parts, base: int, exponent: int) -> Decimal:
    """The exact value, through the server's fast (int64) or slow (arbitrary) path."""
    digits = len(parts.num) + len(parts.denom)
    if base == 10:
        precision = 18 - digits
        scale = exponent
    elif parts.denom:
        precision, scale = -1, 0
    else:
        # As the server estimates it (float32 arithmetic, truncated).
        precision = 15 - len(parts.num) - int(exponent * 3 / 10) - 1
        scale = 0
    if precision >= 0:
        scale -= len(parts.denom)
        if scale >= -9:
            unscaled = int(parts.num + parts.denom)
            multiplier = 1 << exponent if base == 2 else 1
            result = unscaled * multiplier
            if result <= _MAX_INT64:
                signed = result if parts.positive else -result
                return _CONTEXT.scaleb(Decimal(signed), scale)
    # The slow path reads the number as written: it needs at least one digit.
    if not any(c in _DIGITS for c in parts.number):
        raise QuantityError(f"{text!r} has no digits; write e.g. 500m, 2 or 512Mi")
    magnitude = _CONTEXT.create_decimal(f"{parts.num}.{parts.denom or '0'}")
    if base == 10:
        magnitude = _CONTEXT.scaleb(magnitude, exponent)
    else:
        magnitude = _CONTEXT.multiply(magnitude, Decimal(1 << exponent))
    if magnitude != 0 and magnitude.as_tuple().exponent < -9:  # type: ignore[operator]
        # Round up to a billionth, away from zero: asking for a little gets a little.
        magnitude = magnitude.quantize(_NANO, rounding=decimal.ROUND_UP, context=_CONTEXT)
    if base == 2 and magnitude > _MAX_INT64:
        magnitude = Decimal(_MAX_INT64)
    return magnitude if parts.positive else _CONTEXT.minus(magnitude)


def _suffix_message(text: str, suffix: str) -> str:
    hint = _UNIT_HINTS.get(suffix)
    if hint is not None:
        return f"{text!r}: Kubernetes writes the unit {suffix!r} as {hint}"
    return (
        f"{text!r}: {suffix!r} is not a unit Kubernetes knows; use m (thousandths), "
        "k, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), e.g. 500m or 512Mi"
    )


def _form_message(text: str, tail: str) -> str:
    stripped = tail.strip()
    if stripped in _UNIT_HINTS:
        return _suffix_message(text, stripped)
    if any(c.isspace() for c in text):
        return f"{text!r}: a quantity has no spaces; write {''.join(text.split())!r}"
    if "," in text:
        return f"{text!r}: write the decimal point as '.', e.g. {text.replace(',', '.')!r}"
    return (
        f"{text!r} is not a Kubernetes quantity: a number with an optional unit, "
        "e.g. 500m, 2, 1.5 or 512Mi"
    )


def format_value(value: Decimal) -> str:
    """A value as plain decimal text (`0.5`, `1073741824`), for messages."""
    return format(value.normalize(_CONTEXT), "f")


def suggest_memory(text: str) -> str | None:
    """`512m` -> `512Mi`: the memory a person meant when writing thousandths of a byte."""
    if text.endswith("m") and text[:-1] and all(c in _DIGITS for c in text[:-1]):
        return f"{text[:-1]}Mi"
    return None


__all__ = ["Quantity", "QuantityError", "format_value", "parse_quantity", "suggest_memory"]
