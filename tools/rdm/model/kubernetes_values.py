"""What Kubernetes (and the Protheus ini reader) accept in the values rdm writes.

A topology value that reaches a manifest must be one Kubernetes neither
refuses nor reads differently from what the topology says: an integer where an
integer is meant (`replicas: 5.0` is not one), a non-negative quantity in a
form the API parses, a label value by the label rules, an environment variable
name, an image reference by the distribution grammar, a Secret key, and ini
names and values that stay on their line. Each check returns the words of the
problem, or None; `topologies.value_problems` turns them into findings and
`rendering.manifests` refuses to render them (belt and braces).

Every expression here is ASCII-only and matches the whole text (`fullmatch`):
Python's `\\d` and `\\w` match any Unicode digit or letter, and `$` matches
before a final line break; Kubernetes' own (Go) expressions do neither.

Sources: k8s.io/apimachinery/pkg/util/validation (IsValidLabelValue,
IsDNS1123Label, IsDNS1123Subdomain, IsConfigMapKey, IsEnvVarName and the
relaxed form of 1.34+: printable ASCII but '='), k8s.io/apimachinery
resource.Quantity, github.com/distribution/reference (the image grammar).
Pure: no I/O.
"""

from __future__ import annotations

import math
import re

from rdm.model import quantities

LABEL_VALUE_MAX = 63
DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
IMAGE_NAME_MAX = 255

_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?", re.ASCII)
_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", re.ASCII)
_DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*", re.ASCII
)
# Kubernetes takes any printable ASCII but '=' since 1.34; the topology keeps the
# C identifier that every shell and the Protheus binaries read.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_CONFIG_KEY = re.compile(r"[-._A-Za-z0-9]+", re.ASCII)
_ASCII_DIGITS = frozenset("0123456789")
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)

# github.com/distribution/reference, spelled out.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)

# Characters that end a line for some reader; an ini file has no escape for any.
INI_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00"
_INI_BREAK = re.compile(f"[{re.escape(INI_BREAKS)}]")
_INI_NAME_FORBIDDEN = re.compile(r"[\[\]=]")


def is_integer(value: object) -> bool:
    """A YAML integer: not a boolean, not a float with a zero fraction (5.0, 1e3)."""
    return isinstance(value, int) and not isinstance(value, bool)


def integer_problem(value: object, low: int, high: int) -> str | None:
    if not is_integer(value):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return (
                f"{value!r} is not an integer (Kubernetes reads a number with a fraction or an "
                f"exponent as a float); write {int(value)}"
            )
        return f"{value!r} is not an integer"
    assert isinstance(value, int)
    if not low <= value <= high:
        return f"{value} is outside {low}..{high}"
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > LABEL_VALUE_MAX:
        return f"{value!r} is longer than a label value may be ({LABEL_VALUE_MAX} characters)"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            f"{value!r} is not a Kubernetes label value (ASCII letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit)"
        )
    return None


def dns_label_problem(value: str) -> str | None:
    if len(value) > DNS_LABEL_MAX or not _DNS_LABEL.fullmatch(value):
        return f"{value!r} is not a DNS-1123 label (a-z, 0-9 and '-', at most 63 characters)"
    return None


def dns_subdomain_problem(value: str) -> str | None:
    if len(value) > DNS_SUBDOMAIN_MAX or not _DNS_SUBDOMAIN.fullmatch(value):
        return f"{value!r} is not a Kubernetes object name (a DNS-1123 subdomain)"
    return None


def env_name_problem(name: str) -> str | None:
    if not _ENV_NAME.fullmatch(name):
        return (
            f"{name!r} is not an environment variable name (ASCII letters, digits and '_', "
            "not starting with a digit)"
        )
    return None


def secret_key_problem(key: str) -> str | None:
    if len(key) > DNS_SUBDOMAIN_MAX or not _CONFIG_KEY.fullmatch(key):
        return f"{key!r} is not a Secret key (ASCII letters, digits, '-', '_' and '.')"
    return None


def image_problem(reference: str) -> str | None:
    """A reference by the distribution grammar, with a tag or a digest, never `latest`."""
    match = _REFERENCE.fullmatch(reference)
    if match is None or len(match.group(1)) > IMAGE_NAME_MAX:
        return f"{reference!r} is not an image reference (registry/path:tag or @sha256:digest)"
    _, tag, digest = match.groups()
    if tag is None and digest is None:
        return f"{reference!r} has no tag or digest (it would mean 'latest')"
    if tag == "latest":
        return f"{reference!r}: the tag 'latest' is not allowed"
    return None


def quantity_problem(value: object) -> str | None:
    """A resource quantity Kubernetes reads as the topology means it: its exact grammar
    (`rdm.model.quantities`, the API server's own parser), and not negative."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f"{value!r} is not a quantity"
    if isinstance(value, int | float) and (not math.isfinite(value) or value < 0):
        return f"{value!r} is not a quantity Kubernetes accepts (finite, not negative)"
    text = str(value)  # what rdm writes for a quantity given as a YAML number
    if isinstance(value, float) and not _PLAIN_NUMBER.fullmatch(text):
        # 1e30 in YAML is a float that rdm would write as '1e+30': not what the file says
        return (
            f"{value!r} is a YAML number rdm would write as {text!r}; write the quantity "
            'in quotes as you mean it, e.g. "512Mi"'
        )
    try:
        parsed = quantities.parse_quantity(text)
    except quantities.QuantityError as exc:
        written = "" if isinstance(value, str) else f" (written {text!r})"
        return f"{exc}{written}"
    if parsed.negative:
        return f"{text!r} is negative; Kubernetes refuses a negative request or limit"
    if not any(c in _ASCII_DIGITS for c in text[: len(text) - len(text.lstrip("+-.0123456789"))]):
        # `Mi`, `+`, `.`, `e3`: the server reads a number with no digit as 0, which
        # nobody writes on purpose (they write 0).
        return (
            f"{text!r} has no number (Kubernetes would read it as 0); write the amount, "
            "e.g. 500m, 2 or 512Mi (or 0 for none)"
        )
    return None


def quantity(text: str) -> quantities.Quantity:
    """The amount a quantity text stands for (the text must have no `quantity_problem`),
    exactly as Kubernetes compares it (`500m` < `1`, `1Gi` > `1000Mi`).

    Compared as exact `Decimal`s, never turned into a `Fraction` or an int: `1e999999999`
    is a valid quantity, and its integer would take minutes and gigabytes to build."""
    return quantities.parse_quantity(text)


def ini_key(name: str) -> str:
    """How Protheus compares ini section and key names: without case, trimmed."""
    return name.strip().lower()


def ini_name_problem(name: str) -> str | None:
    if _INI_BREAK.search(name):
        return f"{name!r} has a line break (or NUL), which no ini file can hold"
    if _INI_NAME_FORBIDDEN.search(name):
        return f"{name!r} has '[', ']' or '=', which end an ini name"
    if not name.strip():
        return "an ini name cannot be empty or only spaces"
    return None


def ini_value_problem(value: str) -> str | None:
    if _INI_BREAK.search(value):
        return f"{value!r} has a line break (or NUL), which no ini value can hold"
    return None
