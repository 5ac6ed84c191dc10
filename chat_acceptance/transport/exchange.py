"""What crosses the wire, as the rest of the library sees it: an exchange recorded as it came, an answer that
is not a stream, the identity claims a request may carry besides its token, the contract's routes for
messages, and the failure of a service that does not answer.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chat_acceptance.transport.sse import StreamResult

# The writes whose body names a user by the contract (whom to credit, whom to create): claimed body fields are
# never added to them, since there a user field is the request itself, not a claim about the caller.
BODY_NAMES_A_USER = frozenset({("POST", "/api/credits/allocate"), ("POST", "/api/admin/users")})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer exactly as they went and came: never redacted here, so that the checks
    judge raw evidence; whoever shows an exchange (chat_acceptance.reporting.attachments) redacts it."""

    service: str
    method: str
    url: str
    status: int | None  # None when no answer came; `error` says why
    duration_s: float
    request_headers: Mapping[str, str]
    request_body: str | None
    response_headers: Mapping[str, str]
    response_body: str | None
    stream: StreamResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class ApiResponse:
    """An answer that is not a stream."""

    request: str  # e.g. "POST /api/chat/sessions/{sessionId}/update-stream": the route, for messages
    status: int
    headers: Mapping[str, str]
    text: str
    cookies: Mapping[str, str] = field(default_factory=dict)  # what the answer set; never sent on by itself

    @cached_property
    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return jsonlib.loads(self.text)
        except ValueError:
            return None

    @property
    def message(self) -> str | None:
        body = self.json
        message = body.get("message") if isinstance(body, dict) else None
        return message if isinstance(message, str) else None

    def field(self, name: str) -> Any:
        body = self.json
        return body.get(name) if isinstance(body, dict) else None


@dataclass(frozen=True)
class Claims:
    """What a request may carry besides its token to say who the caller is: headers, query parameters and JSON
    body fields a naive service might trust. The contract says only the token counts."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)  # added to JSON object bodies of writes only

    def __or__(self, other: Claims) -> Claims:
        """Both claims, `other`'s winning where they name the same header, parameter or field."""
        return Claims({**self.headers, **other.headers}, {**self.query, **other.query}, {**self.body, **other.body})

    def only(self, places: tuple[str, ...]) -> Claims:
        """These claims in the named places only ("headers", "query", "body"; the identity_claims setting)."""
        return Claims(
            self.headers if "headers" in places else {},
            self.query if "query" in places else {},
            self.body if "body" in places else {},
        )

    def body_for(self, method: str, path: str, json: Any) -> Any:
        """`json` with the claimed fields it does not hold already, where the request is a write with a JSON
        object body whose contract defines no user field (BODY_NAMES_A_USER); otherwise `json` as it was."""
        if not self.body or not isinstance(json, dict) or method in _READ_METHODS:
            return json
        if (method, route_of(path)) in BODY_NAMES_A_USER:
            return json
        return {**self.body, **json}


class PlatformUnavailable(AssertionError):
    """A service did not answer: one line naming the service, its URL and the request."""


# The contract's routes with an ID in the path, so that messages name the route, never one run's IDs.
_ROUTES = (
    (re.compile(r"^/api/chat/sessions/[^/]+"), "/api/chat/sessions/{sessionId}"),
    (re.compile(r"^/api/admin/users/[^/]+$"), "/api/admin/users/{userId}"),
    (re.compile(r"^/api/credits/balance/[^/]+$"), "/api/credits/balance/{userId}"),
)


def route_of(path: str) -> str:
    """A request path as its route in the contract: "/api/chat/sessions/ab12/stream" -> ".../{sessionId}/stream"."""
    path = path.split("?", 1)[0]
    for pattern, template in _ROUTES:
        if pattern.match(path):
            return pattern.sub(template, path, count=1)
    return path
