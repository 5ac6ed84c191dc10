"""Describing a departure from the contract: ContractViolation, whose text is one line starting with
"Contract violation:" that names the operation, the status, the JSON path that is wrong, what the contract
demands and what came, e.g.

    Contract violation: POST /api/chat/sessions/{sessionId}/update-stream → 200: $.tokensUsed must be integer, got "12"

and the wording of each schema error, which never echoes a token, a password or any secret field's value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from chat_acceptance.redaction import JWT, REDACTED, is_secret_name

_PLAIN_KEY = re.compile(r"[A-Za-z_$][\w$]*")
_VALUE_LIMIT = 60
_GOT = re.compile(r", got (.+?)(?= \(\+\d+ more\)$|$)")


class ContractViolation(AssertionError):
    """An answer that the contract does not allow; str() is one line starting with "Contract violation:"."""

    def __init__(
        self,
        operation: str,
        problem: str,
        *,
        status: int | None = None,
        event: str | None = None,
        location: str = "",
        more: int = 0,
    ) -> None:
        self.operation = operation  # "POST /api/chat/sessions/{sessionId}/stream", or "" when there is none
        self.status = status
        self.event = event
        self.location = location  # "$.tokensUsed", "header Content-Type", ... or ""
        self.problem = problem
        self.more = more  # how many further problems the same answer has
        super().__init__(self._line())

    @property
    def stable_line(self) -> str:
        """The line with the value that came reduced to its kind ("got a string"): the same in every run for the
        same defect, so that reports group it and history links it. The value itself stays in str()."""
        return _GOT.sub(lambda match: ", got " + _kind_of(match[1]), self._line())

    def _line(self) -> str:
        where = self.operation
        if self.status is not None:
            where += f" → {self.status}"
        if self.event is not None:
            where += f", event {self.event}"
        what = f"{self.location} {self.problem}" if self.location else self.problem
        if self.more:
            what += f" (+{self.more} more)"
        line = f"Contract violation: {where}: {what}" if where else f"Contract violation: {what}"
        return line.replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True)
class Problem:
    location: str
    text: str
    others: int = 0  # further problems found at the same place (other schema errors of one body)


def _json_path(parts: Any) -> str:
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}"
        else:
            text += "[" + json.dumps(part) + "]"
    return text


def error_location(error: ValidationError) -> str:
    if error.validator == "required":
        missing = _missing_property(error)
        return _json_path([*error.absolute_path, missing]) if missing is not None else _json_path(error.absolute_path)
    return _json_path(error.absolute_path)


def _missing_property(error: ValidationError) -> str | None:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    names: list[str] = [name for name in required if isinstance(error.instance, Mapping) and name not in error.instance]
    for name in names:  # jsonschema reports one error per missing property, naming it in the message
        if error.message.startswith(repr(name)):
            return name
    return names[0] if names else None


def is_secret_path(parts: Any) -> bool:
    return any(is_secret_name(part) for part in parts)


_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _type_name(value: Any) -> str:
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


def describe_error(error: ValidationError, *, secret: bool) -> str:
    keyword, expected = str(error.validator), error.validator_value
    if keyword == "required":
        return "is required but missing"
    demand = {
        "type": lambda: "must be " + (" or ".join(expected) if isinstance(expected, list) else str(expected)),
        "minimum": lambda: f"must be >= {expected}",
        "exclusiveMinimum": lambda: f"must be > {expected}",
        "maximum": lambda: f"must be <= {expected}",
        "exclusiveMaximum": lambda: f"must be < {expected}",
        "minLength": lambda: f"must be at least {expected} character{'s' if expected != 1 else ''} long",
        "maxLength": lambda: f"must be at most {expected} characters long",
        "minItems": lambda: f"must have at least {expected} item{'s' if expected != 1 else ''}",
        "maxItems": lambda: f"must have at most {expected} items",
        "enum": lambda: "must be one of " + truncate(json.dumps(expected), _VALUE_LIMIT),
        "const": lambda: "must be " + truncate(json.dumps(expected), _VALUE_LIMIT),
        "pattern": lambda: f"must match {expected}",
        "format": lambda: f"must be a {expected}",
    }.get(keyword, lambda: f"fails {keyword} " + truncate(json.dumps(expected, default=str), _VALUE_LIMIT))()
    got = f"{REDACTED} ({_type_name(error.instance)})" if secret else _value(error.instance)
    return f"{demand}, got {got}"


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (f"{REDACTED} ({_type_name(item)})" if is_secret_name(key) else _redacted(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value[:20]]
    if isinstance(value, str):
        return JWT.sub(REDACTED, value[:1000])
    return value


def _value(value: Any) -> str:
    return truncate(json.dumps(_redacted(value), ensure_ascii=False, default=str), _VALUE_LIMIT)


def quote(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text[:1000].decode("utf-8", errors="replace")
    return truncate(json.dumps(JWT.sub(REDACTED, text[:1000]), ensure_ascii=False), _VALUE_LIMIT)


def _kind_of(shown: str) -> str:
    """What kind of JSON value a message shows: '"12"' -> "a string", '{...' -> "an object"."""
    if shown.startswith(f"{REDACTED} ("):  # a secret field's value, shown only by its type: "<REDACTED> (integer)"
        type_name = shown.removeprefix(f"{REDACTED} (").rstrip(")")
        return type_name if type_name == "null" else ("an " if type_name[:1] in "aeiou" else "a ") + type_name
    kinds = {'"': "a string", "{": "an object", "[": "an array", "t": "a boolean", "f": "a boolean", "n": "null"}
    if shown[:1] in kinds:
        return kinds[shown[:1]]
    if shown[:1].isdigit() or shown[:1] == "-":
        return "a number"
    return "something else"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
