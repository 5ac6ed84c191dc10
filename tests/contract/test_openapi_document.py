"""contract/openapi.yaml is a valid OpenAPI 3.1 document that encodes shared/contract.md, no more and no less."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# Every operation contract.md names, by hand: (method, path) -> (service tags, statuses the document declares).
# Statuses: those contract.md names, 401 where a token is required, 400 where there is a body,
# 413 and 415 (framing) where there is a body; 403 on the admin-only and admin-or-supervisor routes.
BODY = {"400", "413", "415"}
CONTRACT_OPERATIONS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("get", "/health"): ({"auth", "accounting"}, {"200"}),
    ("post", "/api/auth/login"): ({"auth"}, {"200", "401"} | BODY),
    ("post", "/api/admin/users"): ({"auth"}, {"201", "401", "403"} | BODY),
    ("delete", "/api/admin/users/{userId}"): ({"auth"}, {"200", "401", "403", "404"}),
    ("post", "/api/credits/allocate"): ({"accounting"}, {"201", "401", "403", "404"} | BODY),
    ("get", "/api/credits/balance"): ({"accounting"}, {"200", "401"}),
    ("get", "/api/credits/balance/{userId}"): ({"accounting"}, {"200", "401", "403", "404"}),
    ("get", "/api/health"): ({"chat"}, {"200"}),
    ("get", "/api/models"): ({"chat"}, {"200", "401"}),
    ("post", "/api/chat/sessions"): ({"chat"}, {"201", "401"} | BODY),
    ("get", "/api/chat/sessions"): ({"chat"}, {"200", "401"}),
    ("get", "/api/chat/sessions/{sessionId}"): ({"chat"}, {"200", "401", "404"}),
    ("delete", "/api/chat/sessions/{sessionId}"): ({"chat"}, {"200", "401", "404"}),
    ("post", "/api/chat/sessions/{sessionId}/stream"): ({"chat"}, {"200", "401", "402", "404"} | BODY),
    ("post", "/api/chat/sessions/{sessionId}/update-stream"): ({"chat"}, {"200", "401", "404"} | BODY),
}
SERVICE_ROOTS = {
    "auth": "http://localhost:3000",
    "accounting": "http://localhost:3001",
    "chat": "http://localhost:3002",
}
UNAUTHENTICATED = {("get", "/health"), ("get", "/api/health"), ("post", "/api/auth/login")}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        pointer, node = node["$ref"], document
        for token in pointer.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_document_declares_exactly_the_operations_of_the_contract(document):
    assert set(operations(document)) == set(CONTRACT_OPERATIONS)


@pytest.mark.parametrize(("method", "path"), CONTRACT_OPERATIONS)
def test_each_operation_declares_the_statuses_of_the_contract(document, method, path):
    declared = set(operations(document)[method, path]["responses"])
    assert declared == CONTRACT_OPERATIONS[method, path][1]


@pytest.mark.parametrize(("method", "path"), CONTRACT_OPERATIONS)
def test_each_operation_is_tagged_and_served_by_its_service(document, method, path):
    services = CONTRACT_OPERATIONS[method, path][0]
    assert set(operations(document)[method, path]["tags"]) == services
    assert {server["url"] for server in document["paths"][path]["servers"]} == {SERVICE_ROOTS[s] for s in services}


def test_the_three_services_default_roots_are_servers(document):
    assert {server["url"] for server in document["servers"]} == set(SERVICE_ROOTS.values())


def test_no_operation_declares_422_or_a_5xx(document):
    for (method, path), operation in operations(document).items():
        for status in operation["responses"]:
            assert status != "422" and not status.startswith("5"), (method, path, status)


def test_the_security_scheme_is_a_bearer_jwt(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


@pytest.mark.parametrize(("method", "path"), CONTRACT_OPERATIONS)
def test_a_bearer_token_is_required_except_for_login_and_health(document, method, path):
    security = operations(document)[method, path].get("security", document["security"])
    if (method, path) in UNAUTHENTICATED:
        assert security == []
    else:
        assert security == [{"bearerAuth": []}]
        assert "401" in operations(document)[method, path]["responses"]


@pytest.mark.parametrize(("method", "path"), CONTRACT_OPERATIONS)
def test_every_error_answer_is_the_error_object(document, method, path):
    for status, response in operations(document)[method, path]["responses"].items():
        if status.startswith("4"):
            schema = resolve(document, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["message"] and error["properties"]["message"] == {"type": "string"}


def test_no_schema_forbids_extra_fields_or_fixes_an_id_shape(document):
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, where
            assert "pattern" not in node and "format" not in node, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document, "#")


def test_the_stream_answers_an_event_stream_with_its_streaming_session_id(document):
    operation = document["paths"]["/api/chat/sessions/{sessionId}/stream"]["post"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {"text/event-stream"}
    header = resolve(document, ok["headers"]["X-Streaming-Session-Id"])
    assert header["required"] is True and header["schema"]["type"] == "string"
    assert operation["x-sse-events"] == {
        "chunk": {"$ref": "#/components/schemas/StreamChunkEvent"},
        "done": {"$ref": "#/components/schemas/StreamDoneEvent"},
        "error": {"$ref": "#/components/schemas/StreamErrorEvent"},
    }


def test_the_event_schemas_say_what_the_contract_says(document):
    schemas = document["components"]["schemas"]
    assert schemas["StreamChunkEvent"]["required"] == ["text"]
    assert schemas["StreamChunkEvent"]["properties"]["text"]["type"] == "string"
    assert schemas["StreamDoneEvent"]["required"] == ["tokensUsed"]
    assert schemas["StreamDoneEvent"]["properties"]["tokensUsed"]["type"] == "integer"
    assert set(schemas["StreamErrorEvent"]["required"]) == {"message", "code"}


def test_the_mismatch_answer_is_described(document):
    bad_request = document["paths"]["/api/chat/sessions/{sessionId}/update-stream"]["post"]["responses"]["400"]
    assert "mismatch" in bad_request["description"]


def test_every_reference_resolves(document):
    registry = Registry().with_resource("urn:contract", DRAFT202012.create_resource(document))
    resolver = registry.resolver()
    references = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                references.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert references
    for reference in references:
        assert reference.startswith("#/"), reference
        resolver.lookup("urn:contract" + reference)  # raises when it points at nothing
