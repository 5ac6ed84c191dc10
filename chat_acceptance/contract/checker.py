"""The contract checker: every answer the platform gives, checked against contract/openapi.yaml.

The suite's HTTP client calls `ContractChecker.check_response` for every response and
`ContractChecker.check_event` for every Server-Sent Event of a stream; a departure from the document raises
`ContractViolation` (violation.py). The schemas are JSON Schema 2020-12 in the OpenAPI 3.1 dialect; they are
compiled once, at load, by openapi-schema-validator (jsonschema + referencing), so a check costs tens of
microseconds. Paths, statuses, content types and headers are looked up here, from the parsed document: the suite
knows only a request's method and path (not which server it went to) and needs messages that never echo a token
or a password.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from chat_acceptance.contract.violation import (
    ContractViolation,
    Problem,
    describe_error,
    error_location,
    is_secret_path,
    quote,
    truncate,
)
from chat_acceptance.files import SUITE_FILES
from chat_acceptance.redaction import Redactor

DEFAULT_DOCUMENT = SUITE_FILES / "contract" / "openapi.yaml"

# The base URI under which the document is registered, so that "#/components/..." references resolve.
_DOCUMENT_URI = "urn:chat-acceptance:contract"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_JSON = "application/json"

_ANNOTATIONS = frozenset({"description", "title", "examples", "example", "deprecated", "readOnly", "writeOnly"})
_PROBLEM_LIMIT = 200


@dataclass(frozen=True)
class _Header:
    name: str
    required: bool
    validator: OAS31Validator | None


@dataclass(frozen=True)
class _Response:
    headers: tuple[_Header, ...]
    # media type -> validator of the body; None: the body is not checked here (an event stream)
    content: Mapping[str, OAS31Validator | None]


@dataclass(frozen=True)
class _Operation:
    name: str  # "POST /api/chat/sessions/{sessionId}/stream"
    responses: Mapping[str, _Response]  # "200", "4XX", "default"
    events: Mapping[str, OAS31Validator] = field(default_factory=dict)

    @property
    def declared_statuses(self) -> str:
        return ", ".join(sorted(self.responses))

    def response_for(self, status: int) -> _Response | None:
        return (
            self.responses.get(str(status)) or self.responses.get(f"{status // 100}XX") or self.responses.get("default")
        )


@dataclass(frozen=True)
class _PathItem:
    template: str
    pattern: re.Pattern[str] | None  # None: a path without parameters, matched exactly
    operations: Mapping[str, _Operation]  # lower-case method -> operation


class ContractChecker:
    """Checks answers against the contract document; build it once with `load` and share it.

    After loading it holds no state but its counters, so threads may share it (a lost increment of a
    counter would only blur the run's summary).
    """

    def __init__(
        self, document: Mapping[str, Any], source: str = "<document>", redactor: Redactor | None = None
    ) -> None:
        self.source = source
        self._redactor = redactor or Redactor()  # the run's, so that configured secrets never show either
        self.responses_checked = 0
        self.events_checked = 0  # chunk, done and error events; other event names are not checked
        self._document = document
        self._registry = Registry().with_resource(_DOCUMENT_URI, DRAFT202012.create_resource(document))
        self._validators: dict[str, OAS31Validator] = {}
        self._exact: dict[str, _PathItem] = {}
        self._templated: list[_PathItem] = []
        for template, path_item in (document.get("paths") or {}).items():
            item = self._build_path_item(template, path_item)
            if item.pattern is None:
                self._exact[template] = item
            else:
                self._templated.append(item)
        # OpenAPI matches concrete paths before templated ones; among templated ones, fewer parameters first.
        self._templated.sort(key=lambda item: (item.template.count("{"), -len(item.template)))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_DOCUMENT, redactor: Redactor | None = None) -> ContractChecker:
        document_path = Path(path)
        if not document_path.is_file() and Path(path) == DEFAULT_DOCUMENT:
            document_path = Path.cwd() / "contract" / "openapi.yaml"  # an installed package, run from the repo
        if not document_path.is_file():
            raise FileNotFoundError(f"contract document not found: {path}")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with document_path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=loader)  # noqa: S506 (a safe loader)
        return cls(document, source=str(document_path), redactor=redactor)

    # ------------------------------------------------------------------ checks

    def check_response(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes | str | None,
    ) -> None:
        """Raise ContractViolation unless the contract allows this answer to METHOD PATH."""
        status = int(status)
        method = method.lower()
        if method == "options" and self._path_item(path) is not None:
            return  # a CORS preflight: framed by the Fetch standard, not by the document
        self.responses_checked += 1
        operation = self._operation(method, path, status)
        response = operation.response_for(status)
        if response is None:
            self._fail(
                operation.name,
                f"status {status} is not declared (declared: {operation.declared_statuses})",
                status=status,
            )
        problems = [*self._header_problems(response, headers), *self._content_problems(response, headers, body)]
        if problems:
            self._report(operation.name, problems, status=status)

    def check_event(self, method: str, path: str, event: str, data: str) -> None:
        """Raise ContractViolation unless the contract allows this event of the stream METHOD PATH.

        Only the events the document names (chunk, done, error) are checked: a server may send others,
        and clients ignore what they do not need.
        """
        operation = self._operation(method.lower(), path, None)
        if not operation.events:
            self._fail(operation.name, "declares no server-sent events", event=event)
        validator = operation.events.get(event)
        if validator is None:
            return
        self.events_checked += 1
        problems = list(self._json_problems(validator, data, what="data"))
        if problems:
            self._report(operation.name, problems, status=200, event=event)

    def summary(self) -> str:
        """The run summary's line (a violation is the failing scenario's own finding, so it is not counted here)."""
        return (
            f"contract checks: {self.responses_checked} responses and {self.events_checked} stream events "
            "validated against contract/openapi.yaml"
        )

    def __repr__(self) -> str:
        return f"ContractChecker({self.source!r})"

    # ------------------------------------------------------------------ lookups

    def _path_item(self, path: str) -> _PathItem | None:
        path = _request_path(path)
        item = self._exact.get(path)
        if item is not None:
            return item
        for item in self._templated:
            if item.pattern.fullmatch(path):  # type: ignore[union-attr]
                return item
        return None

    def _operation(self, method: str, path: str, status: int | None) -> _Operation:
        item = self._path_item(path)
        operation = item.operations.get(method) if item else None
        if operation is not None:
            return operation
        wanted = f"{method.upper()} {_request_path(path)}"
        answered = f" (answered {status})" if status is not None else ""
        if item is None:
            self._fail("", f"no operation {wanted} in the contract{answered}")
        declared = ", ".join(sorted(name.upper() for name in item.operations))
        self._fail("", f"no operation {wanted} in the contract{answered}; {item.template} declares {declared}")

    def _report(self, operation: str, problems: list[Problem], **details: Any) -> NoReturn:
        first = problems[0]
        more = len(problems) - 1 + sum(problem.others for problem in problems)
        self._fail(operation, first.text, location=first.location, more=more, **details)

    def _fail(self, operation: str, problem: str, **details: Any) -> NoReturn:
        raise ContractViolation(operation, truncate(self._redactor.text(problem), _PROBLEM_LIMIT), **details)

    # ------------------------------------------------------------------ problems of one answer

    def _header_problems(self, response: _Response, headers: Mapping[str, str]) -> Iterator[Problem]:
        if not response.headers:
            return
        received = {name.lower(): value for name, value in headers.items()}
        for header in response.headers:
            value = received.get(header.name.lower())
            if value is None:
                if header.required:
                    yield Problem(f"header {header.name}", "is required but missing")
                continue
            if header.validator is not None:
                error = best_match(header.validator.iter_errors(value))
                if error is not None:
                    yield Problem(f"header {header.name}", describe_error(error, secret=False))

    def _content_problems(
        self, response: _Response, headers: Mapping[str, str], body: bytes | str | None
    ) -> Iterator[Problem]:
        if not response.content:
            return
        declared = " or ".join(response.content)
        content_type = _header(headers, "content-type")
        if content_type is None:
            yield Problem("header Content-Type", f"is required ({declared}) but missing")
        else:
            media_type = content_type.split(";", 1)[0].strip().lower()
            if media_type in response.content:
                validator = response.content[media_type]
                if validator is not None:
                    yield from self._json_problems(validator, body, what="body")
                return
            yield Problem("header Content-Type", f"must be {declared}, got {quote(content_type)}")
        # With a single JSON media type declared, the body's problems are worth counting too.
        json_validator = response.content.get(_JSON)
        if len(response.content) == 1 and json_validator is not None:
            yield from self._json_problems(json_validator, body, what="body")

    def _json_problems(self, validator: OAS31Validator, text: bytes | str | None, what: str) -> Iterator[Problem]:
        if text is None or not text.strip():
            yield Problem("$", f"must be JSON, got an empty {what}")
            return
        try:
            instance = json.loads(text, parse_constant=_refuse_constant)
        except ValueError:
            yield Problem("$", f"must be JSON, got {quote(text)}")
            return
        errors = list(validator.iter_errors(instance))
        if not errors:
            return
        best = best_match(errors)
        secret = is_secret_path(best.absolute_path)
        yield Problem(error_location(best), describe_error(best, secret=secret), others=len(errors) - 1)

    # ------------------------------------------------------------------ building

    def _build_path_item(self, template: str, path_item: Mapping[str, Any]) -> _PathItem:
        pointer = "/paths/" + _escape(template)
        operations = {}
        for method in _METHODS:
            if method in path_item:
                operations[method] = self._build_operation(
                    f"{method.upper()} {template}", path_item[method], f"{pointer}/{method}"
                )
        pattern = None
        if "{" in template:
            parts = re.split(r"\{[^/{}]+\}", template)
            pattern = re.compile("[^/]+".join(re.escape(part) for part in parts))
        return _PathItem(template, pattern, operations)

    def _build_operation(self, name: str, operation: Mapping[str, Any], pointer: str) -> _Operation:
        responses = {}
        for status in operation.get("responses") or {}:
            responses[str(status)] = self._build_response(f"{pointer}/responses/{_escape(str(status))}")
        events = {
            event: self._validator(f"{pointer}/x-sse-events/{_escape(event)}")
            for event in (operation.get("x-sse-events") or {})
        }
        return _Operation(name, responses, events)

    def _build_response(self, pointer: str) -> _Response:
        pointer, response = self._follow(pointer)
        headers = []
        for name in response.get("headers") or {}:
            header_pointer, header = self._follow(f"{pointer}/headers/{_escape(name)}")
            validator = self._validator(f"{header_pointer}/schema") if "schema" in header else None
            headers.append(_Header(name, bool(header.get("required")), validator))
        content: dict[str, OAS31Validator | None] = {}
        for media_type, media in (response.get("content") or {}).items():
            is_json = media_type == _JSON or media_type.endswith("+json")
            checked = is_json and "schema" in media
            schema_pointer = f"{pointer}/content/{_escape(media_type)}/schema"
            content[media_type.lower()] = self._validator(schema_pointer) if checked else None
        return _Response(tuple(headers), content)

    def _follow(self, pointer: str) -> tuple[str, Mapping[str, Any]]:
        """The object at pointer, following local $refs (responses, headers, parameters), and its pointer."""
        for _ in range(32):
            node: Any = self._document
            for token in pointer.strip("/").split("/"):
                node = node[_unescape(token)]
            ref = node.get("$ref") if isinstance(node, Mapping) else None
            if not ref:
                return pointer, node
            if not ref.startswith("#/"):
                raise ValueError(f"only local references are supported, got {ref!r} at {pointer}")
            pointer = ref[1:]
        raise ValueError(f"a reference cycle at {pointer}")

    def _validator(self, pointer: str) -> OAS31Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = self._registry.resolver().lookup(f"{_DOCUMENT_URI}#{pointer}").contents
            # References are inlined once, here: resolving them on every check costs ~5 µs each.
            validator = OAS31Validator(self._inline(schema, ()), registry=self._registry)
            self._validators[pointer] = validator
        return validator

    def _inline(self, schema: Any, followed: tuple[str, ...]) -> Any:
        """The schema with its local $refs replaced by what they point to (a cycle keeps its $ref)."""
        if isinstance(schema, list):
            return [self._inline(item, followed) for item in schema]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in followed:
            inlined = {key: self._inline(value, followed) for key, value in schema.items() if key != "$ref"}
            if isinstance(ref, str):
                # Resolved at check time, against the whole document.
                inlined["$ref"] = _DOCUMENT_URI + ref if ref.startswith("#") else ref
            return inlined
        target = self._inline(self._registry.resolver().lookup(_DOCUMENT_URI + ref).contents, (*followed, ref))
        siblings = {key: self._inline(value, followed) for key, value in schema.items() if key != "$ref"}
        if not any(key not in _ANNOTATIONS for key in siblings):
            return target  # "$ref" beside annotations only (description, ...): the target alone says it all
        return {**siblings, "allOf": [target]}


# ---------------------------------------------------------------------- helpers: paths and pointers


def _request_path(path: str) -> str:
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    path = path.split("?", 1)[0].split("#", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path or "/"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json module would take NaN and Infinity


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)  # a case-insensitive mapping (requests, httpx) answers at once
    if value is not None:
        return value
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
