"""How a setting's text becomes its value: one converter per kind of setting (a URL, a number, a flag, a
template...), each raising ValueError that says what the value must be.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def as_text(value: object) -> str:
    """A value as a setting's text, the way a profile or `-D` would write it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{name}: {text}" for name, text in value.items())
    return "" if value is None else str(value).strip()


def text(text: str) -> str:
    return text


def optional(text: str) -> str | None:
    return text or None


def url(text: str) -> str:
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("is not an http:// or https:// URL")
    return text.rstrip("/") if text else text


def path(text: str) -> str:
    if text and not text.startswith("/"):
        raise ValueError("is not a path starting with /")
    return text


def file(text: str) -> str:
    if text and not Path(text).expanduser().is_file():
        raise ValueError("names no readable file")
    return str(Path(text).expanduser()) if text else text


def number(*, whole: bool = False, zero: bool = False) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            raise ValueError(f"is not {'a whole number' if whole else 'a number'}") from None
        if not math.isfinite(number) or number < 0 or number == 0 and not zero:
            raise ValueError(f"must be {'at least 0' if zero else 'greater than 0'}")
        return number

    return convert


def flag(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("is not on/off")


def names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# The seed of generated values when none is set: the same in every run, so verdicts repeat. RANDOM_SEED asks for
# a new one (exploring); it is printed at the start either way.
DEFAULT_SEED = 20
RANDOM_SEED = "random"


def seed(text: str) -> int | None:
    if text.strip().lower() == RANDOM_SEED:
        return None  # None: a new seed for this run
    return int(number(whole=True, zero=True)(text)) if text else DEFAULT_SEED


def headers(text: str) -> dict[str, str]:
    """`Name: value; Name: value` (a profile writes a table instead)."""
    headers = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, colon, value = item.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name.strip()):
            raise ValueError("is not a list of 'Name: value' separated by ';'")
        headers[name.strip()] = value.strip()
    return headers


def template(*placeholders: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        unknown = used - set(placeholders)
        if unknown or placeholders[0] not in used:
            raise ValueError(f"must contain {{{placeholders[0]}}} and no placeholder but {', '.join(placeholders)}")
        return text

    return convert


def claim_places(text: str) -> tuple[str, ...]:
    places = names(text)
    if not places or not set(places) <= {"headers", "query", "body"}:
        raise ValueError("must name one or more of headers, query, body (headers are always sent)")
    return tuple(dict.fromkeys(("headers", *places)))


_SERVICES = ("auth", "accounting", "chat")


def rates(text: str) -> dict[str, float]:
    """ "chat=30, auth=100" -> {"chat": 30.0, "auth": 100.0}: requests per minute per service."""
    rates = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        service, _, rate = part.partition("=")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if service.strip() not in _SERVICES or not math.isfinite(value) or value <= 0:
            raise ValueError(f"must be service=requests per minute, e.g. chat=30 (services: {', '.join(_SERVICES)})")
        rates[service.strip()] = value
    return rates


def prefix(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,23}", text):
        raise ValueError("must be 1-24 lower-case letters, digits or -")
    return text


# Kinds for which an empty text means something (none, no file, a new seed); for the others it means the default.
EMPTY_IS_A_VALUE = frozenset({text, optional, url, file, headers, names, seed, rates})
