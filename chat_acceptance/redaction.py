"""Keeps secrets out of logs, attachments and reports.

Everything the suite shows passes through a Redactor: access and refresh tokens (any JWT-looking string),
the values of fields and headers that carry credentials, and every secret value the configuration knows.
This module is the one policy: the run builds one Redactor from its configuration and hands it to the
client, the contract checker and the reports; the rules below are the only definition of what is secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "<REDACTED>"

# A JWT: base64url header that starts with '{"' (eyJ), a payload and a signature that may be empty (alg "none").
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
# Names (of JSON fields, settings, environment variables) whose values are secret, compared on their letters
# only, lower case: accessToken, refresh_token, password, JWT_SECRET, apiKey... but not tokensUsed.
_SECRET_NAME = re.compile(r"token$|password|passwd|secret|authorization|cookie|apikey")
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})  # "<scheme> <credential>"
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})


def is_secret_name(name: Any) -> bool:
    """Whether a field, setting or variable of this name carries a secret value."""
    return isinstance(name, str) and _SECRET_NAME.search(re.sub(r"[^a-z]", "", name.lower())) is not None


class Redactor:
    """Replaces secrets with <REDACTED> in text, JSON values and headers."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        # Longest first, so that a secret containing another one is replaced whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def with_secrets(self, *secrets: str | None) -> Redactor:
        return Redactor([*self._secrets, *secrets])

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return JWT.sub(REDACTED, text)

    def json(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: REDACTED if is_secret_name(key) and value[key] else self.json(value[key]) for key in value}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, body: str | bytes | None) -> str | None:
        """A request or response body as redacted text: JSON is redacted field by field."""
        if body is None:
            return None
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(body)
        except ValueError:
            return self.text(body)
        return json.dumps(self.json(parsed), ensure_ascii=False)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self._header(name.lower(), value) for name, value in headers.items()}

    def _header(self, name: str, value: str) -> str:
        if name in _COOKIE_HEADERS:
            return REDACTED
        if name in _CREDENTIAL_HEADERS:
            scheme, _, credential = value.partition(" ")
            return f"{scheme} {REDACTED}" if credential else REDACTED
        return self.text(value)
