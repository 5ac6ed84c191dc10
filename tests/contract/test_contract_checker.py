"""ContractChecker: lets through what the contract allows, and names exactly what it does not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from chat_acceptance.contract.checker import DEFAULT_DOCUMENT, ContractChecker
from chat_acceptance.contract.violation import ContractViolation
from chat_acceptance.redaction import Redactor

JSON = {"Content-Type": "application/json; charset=utf-8"}
STREAM_HEADERS = {"Content-Type": "text/event-stream", "X-Streaming-Session-Id": "stream-1718000000000-1a2b3c4d"}
STREAM = "/api/chat/sessions/{sessionId}/stream"
UPDATE_STREAM = "/api/chat/sessions/{sessionId}/update-stream"
OBJECT_ID = "65f1c0ffee0ddba11c0ffee0"
UUID = "3f0c8a4e-9b7d-4c1e-a2f3-5d6e7f8a9b0c"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
EXTRA = {"requestId": "r-1", "details": {"anything": [1, 2]}}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def violation(action) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        action()
    return caught.value


def assert_names(exc: ContractViolation, *parts: str) -> str:
    text = str(exc)
    assert text.startswith("Contract violation: "), text
    assert "\n" not in text and "\r" not in text, text
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"
    return text


# ---------------------------------------------------------------------------------------------- what passes

GOOD_ANSWERS = [
    ("GET", "/health", 200, {"status": "ok", "service": "auth-service"}),
    ("GET", "/health", 200, {"status": "ok"}),
    ("GET", "/api/health", 200, {"status": "ok", "service": "chat-service", "uptime": 12.5}),
    (
        "POST",
        "/api/auth/login",
        200,
        {
            "accessToken": TOKEN,
            "refreshToken": TOKEN,
            "expiresIn": 900,
            "user": {"id": OBJECT_ID, "username": "user1", "email": "user1@example.com", "role": "enduser", **EXTRA},
        },
    ),
    (
        "POST",
        "/api/auth/login",
        200,
        {
            "accessToken": TOKEN,
            "refreshToken": TOKEN,
            "user": {"id": 42, "username": "admin", "email": "admin@example.com", "role": "admin"},
        },
    ),
    ("POST", "/api/auth/login", 401, {"message": "Invalid credentials"}),
    ("POST", "/api/auth/login", 400, {"message": "Username and password are required", "code": "MISSING", **EXTRA}),
    ("POST", "/api/admin/users", 201, {"message": "User created", "userId": UUID, **EXTRA}),
    ("POST", "/api/admin/users", 201, {"message": "User created", "userId": 7}),
    ("POST", "/api/admin/users", 403, {"message": "Admin only"}),
    ("DELETE", f"/api/admin/users/{OBJECT_ID}", 200, {"message": "User deleted"}),
    ("DELETE", "/api/admin/users/17", 200, {}),
    ("DELETE", "/api/admin/users/17", 404, {"message": "User not found"}),
    (
        "POST",
        "/api/credits/allocate",
        201,
        {
            "id": OBJECT_ID,
            "userId": "user1",
            "totalCredits": 1000,
            "remainingCredits": 1000,
            "expiresAt": "2030-01-01T00:00:00.000Z",
            **EXTRA,
        },
    ),
    (
        "POST",
        "/api/credits/allocate",
        201,
        {
            "id": 3,
            "userId": 2,
            "totalCredits": 10,
            "remainingCredits": 7.5,
            "expiresAt": None,
        },
    ),
    ("POST", "/api/credits/allocate", 404, {"message": "User not found"}),
    ("GET", "/api/credits/balance", 200, {"totalCredits": 0, "activeAllocations": []}),
    (
        "GET",
        "/api/credits/balance",
        200,
        {
            "totalCredits": 1000,
            "userId": "u1",
            "activeAllocations": [{"id": UUID, "credits": 1000, "expiresAt": "1718000000", "allocatedAt": "yesterday"}],
        },
    ),
    (
        "GET",
        f"/api/credits/balance/{UUID}",
        200,
        {
            "totalCredits": 5,
            "activeAllocations": [
                {"id": 1, "credits": 5, "expiresAt": None, "allocatedAt": "2024-06-10 08:00:00", **EXTRA}
            ],
        },
    ),
    ("GET", "/api/credits/balance/nobody", 404, {"message": "User not found"}),
    (
        "GET",
        "/api/models",
        200,
        {
            "models": [
                {"id": "gpt-4", "name": "GPT-4", "available": True, "contextWindow": 8192},
                {"id": 2, "name": "Echo", "available": False},
            ]
        },
    ),
    ("GET", "/api/models", 200, {"models": []}),
    (
        "POST",
        "/api/chat/sessions",
        201,
        {"sessionId": OBJECT_ID, "title": "New Chat", "createdAt": "2024-06-10T08:00:00Z"},
    ),
    ("POST", "/api/chat/sessions", 201, {"sessionId": "s", "title": None, "createdAt": "2024-06-10", **EXTRA}),
    (
        "GET",
        "/api/chat/sessions",
        200,
        {
            "sessions": [{"sessionId": UUID, "title": "t", "createdAt": "a", "updatedAt": "b", "messageCount": 2}],
            "total": 1,
        },
    ),
    (
        "GET",
        f"/api/chat/sessions/{OBJECT_ID}",
        200,
        {
            "sessionId": OBJECT_ID,
            "title": "t",
            "userId": 1,
            "messages": [
                {"role": "user", "content": "Hello", "timestamp": "2024-06-10T08:00:00Z", "id": 1},
                {"role": "assistant", "content": "", "timestamp": "2024-06-10T08:00:01Z"},
            ],
        },
    ),
    ("GET", f"/api/chat/sessions/{UUID}", 404, {"message": "Session not found", "code": 404}),
    ("DELETE", f"/api/chat/sessions/{OBJECT_ID}", 200, {"message": "Session deleted", "sessionId": OBJECT_ID}),
    ("POST", f"/api/chat/sessions/{UUID}/stream", 402, {"message": "Insufficient credits", "required": 10}),
    ("POST", f"/api/chat/sessions/{UUID}/stream", 400, {"message": "message is required"}),
    (
        "POST",
        f"/api/chat/sessions/{OBJECT_ID}/update-stream",
        200,
        {"message": "Stream updated", "sessionId": OBJECT_ID, "tokensUsed": 12, **EXTRA},
    ),
    (
        "POST",
        f"/api/chat/sessions/{OBJECT_ID}/update-stream",
        200,
        {"message": "ok", "sessionId": OBJECT_ID, "tokensUsed": 0},
    ),
    (
        "POST",
        f"/api/chat/sessions/{OBJECT_ID}/update-stream",
        400,
        {"message": "Streaming session ID mismatch", "code": "MISMATCH", "details": None},
    ),
    ("POST", "/api/chat/sessions/x/update-stream", 413, {"message": "request entity too large"}),
    ("POST", "/api/chat/sessions/x/update-stream", 415, {"message": "unsupported media type"}),
]


@pytest.mark.parametrize(("method", "path", "status", "payload"), GOOD_ANSWERS)
def test_an_answer_the_contract_allows_passes(checker, method, path, status, payload):
    checker.check_response(method, path, status, JSON, body(payload))


def test_the_body_may_be_text_and_the_method_any_case(checker):
    checker.check_response(
        "post",
        "/api/chat/sessions",
        201,
        {"content-type": "application/json"},
        '{"sessionId": "a", "title": "t", "createdAt": "now"}',
    )


def test_a_path_may_come_with_a_query_a_trailing_slash_or_a_root(checker):
    ok = body({"sessions": []})
    checker.check_response("GET", "/api/chat/sessions?limit=5", 200, JSON, ok)
    checker.check_response("GET", "/api/chat/sessions/", 200, JSON, ok)
    checker.check_response("GET", "http://127.0.0.1:41234/api/chat/sessions?x=1", 200, JSON, ok)


@pytest.mark.parametrize("name", ["X-Streaming-Session-Id", "x-streaming-session-id", "X-STREAMING-SESSION-ID"])
def test_the_stream_passes_with_its_header_in_any_case(checker, name):
    headers = {"content-type": "text/event-stream; charset=utf-8", name: UUID, "Cache-Control": "no-cache"}
    checker.check_response("POST", f"/api/chat/sessions/{OBJECT_ID}/stream", 200, headers, None)
    checker.check_response("POST", f"/api/chat/sessions/{OBJECT_ID}/stream", 200, CaseInsensitiveDict(headers), b"")


def test_the_stream_body_is_not_checked_here(checker):
    checker.check_response("POST", "/api/chat/sessions/s/stream", 200, STREAM_HEADERS, b"event: chunk\ndata: nope\n\n")


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("chunk", {"text": "Hel"}),
        ("chunk", {"text": "", "index": 0}),
        ("done", {"tokensUsed": 12, "streamingSessionId": UUID, "finishReason": "stop"}),
        ("done", {"tokensUsed": 0}),
        ("error", {"message": "model failed", "code": "GENERATION_FAILED"}),
        ("error", {"message": "model failed", "code": 500, "retryable": False}),
    ],
)
def test_an_event_the_contract_allows_passes(checker, event, data):
    checker.check_event("POST", "/api/chat/sessions/s1/stream", event, json.dumps(data))


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("message", "{}"),
        ("ping", "not json at all"),
        ("heartbeat", ""),
        ("progress", '{"text": 5}'),
        ("Done", "x"),
    ],
)
def test_an_unknown_event_name_passes_unchecked(checker, event, data):
    before = checker.events_checked
    checker.check_event("POST", "/api/chat/sessions/s1/stream", event, data)
    assert checker.events_checked == before


def test_a_cors_preflight_on_a_declared_path_passes(checker):
    checker.check_response("OPTIONS", "/api/chat/sessions/s1/stream", 204, {}, b"")
    checker.check_response("OPTIONS", "/api/credits/allocate", 200, {"Content-Type": "text/plain"}, b"OK")


def test_the_counters_count_each_check(checker):
    responses, events = checker.responses_checked, checker.events_checked
    checker.check_response("GET", "/api/health", 200, JSON, body({"status": "ok"}))
    checker.check_event("POST", "/api/chat/sessions/s/stream", "chunk", '{"text": "a"}')
    with pytest.raises(ContractViolation):
        checker.check_response("GET", "/api/health", 500, JSON, b"{}")
    assert (checker.responses_checked, checker.events_checked) == (responses + 2, events + 1)
    assert "responses" in checker.summary()


# ---------------------------------------------------------------------------------------------- what is refused


@pytest.mark.parametrize("status", [422, 500, 503, 405])
def test_an_undeclared_status_is_refused(checker, status):
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/chat/sessions/abc/update-stream", status, JSON, body({"message": "x"})
        )
    )
    text = assert_names(
        exc,
        f"POST {UPDATE_STREAM} → {status}",
        f"status {status} is not declared",
        "declared: 200, 400, 401, 404, 413, 415",
    )
    assert (exc.operation, exc.status) == (f"POST {UPDATE_STREAM}", status)
    assert isinstance(exc, AssertionError) and text == exc.args[0]


def test_a_missing_required_field_is_refused(checker):
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/chat/sessions", 201, JSON, body({"sessionId": "abc", "title": "New Chat"})
        )
    )
    assert_names(exc, "POST /api/chat/sessions → 201: $.createdAt is required but missing")
    assert exc.location == "$.createdAt"


def test_a_wrong_type_is_refused(checker):
    exc = violation(
        lambda: checker.check_response(
            "POST",
            "/api/chat/sessions/abc/update-stream",
            200,
            JSON,
            body({"message": "ok", "sessionId": "abc", "tokensUsed": "12"}),
        )
    )
    assert str(exc) == f'Contract violation: POST {UPDATE_STREAM} → 200: $.tokensUsed must be integer, got "12"'


def test_a_wrong_type_in_a_done_event_is_refused(checker):
    exc = violation(
        lambda: checker.check_event("POST", "/api/chat/sessions/abc/stream", "done", '{"tokensUsed": "12"}')
    )
    assert str(exc) == f'Contract violation: POST {STREAM} → 200, event done: $.tokensUsed must be integer, got "12"'
    assert exc.event == "done"


def test_a_chunk_event_without_text_is_refused(checker):
    exc = violation(lambda: checker.check_event("POST", "/api/chat/sessions/abc/stream", "chunk", '{"content": "Hi"}'))
    assert_names(exc, f"POST {STREAM} → 200, event chunk: $.text is required but missing")


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("chunk", "Hel", '$ must be JSON, got "Hel"'),
        ("done", "", "$ must be JSON, got an empty data"),
        ("error", '{"message": "boom"}', "$.code is required but missing"),
        ("chunk", '{"text": null}', "$.text must be string, got null"),
    ],
)
def test_a_bad_event_payload_is_refused(checker, event, data, expected):
    exc = violation(lambda: checker.check_event("POST", "/api/chat/sessions/abc/stream", event, data))
    assert_names(exc, f"POST {STREAM} → 200, event {event}: {expected}")


def test_an_error_body_without_a_message_is_refused(checker):
    exc = violation(
        lambda: checker.check_response("GET", "/api/chat/sessions/abc", 404, JSON, body({"error": "Not Found"}))
    )
    assert_names(exc, "GET /api/chat/sessions/{sessionId} → 404: $.message is required but missing")


def test_an_error_body_that_is_not_an_object_is_refused(checker):
    exc = violation(lambda: checker.check_response("GET", "/api/models", 401, JSON, body("Unauthorized")))
    assert_names(exc, 'GET /api/models → 401: $ must be object, got "Unauthorized"')


def test_a_body_that_is_not_json_is_refused(checker):
    exc = violation(
        lambda: checker.check_response("POST", "/api/chat/sessions/abc/update-stream", 400, JSON, b"Bad Request")
    )
    assert_names(exc, f'POST {UPDATE_STREAM} → 400: $ must be JSON, got "Bad Request"')
    exc = violation(lambda: checker.check_response("GET", "/api/health", 200, JSON, None))
    assert_names(exc, "GET /api/health → 200: $ must be JSON, got an empty body")


def test_an_html_page_is_refused_for_its_content_type_and_body(checker):
    page = b"<!DOCTYPE html><html><body><pre>SyntaxError: Unexpected token</pre></body></html>"
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/auth/login", 400, {"Content-Type": "text/html; charset=utf-8"}, page
        )
    )
    assert_names(
        exc,
        "POST /api/auth/login → 400: header Content-Type must be application/json, "
        'got "text/html; charset=utf-8" (+1 more)',
    )


def test_a_json_body_without_a_content_type_is_refused(checker):
    exc = violation(lambda: checker.check_response("GET", "/api/health", 200, {}, body({"status": "ok"})))
    assert_names(exc, "GET /api/health → 200: header Content-Type is required (application/json) but missing")


def test_a_stream_without_its_streaming_session_id_is_refused(checker):
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/chat/sessions/abc/stream", 200, {"Content-Type": "text/event-stream"}, None
        )
    )
    assert str(exc) == (
        f"Contract violation: POST {STREAM} → 200: header X-Streaming-Session-Id is required but missing"
    )
    assert exc.location == "header X-Streaming-Session-Id"


def test_a_stream_with_an_empty_streaming_session_id_is_refused(checker):
    headers = {"Content-Type": "text/event-stream", "x-streaming-session-id": ""}
    exc = violation(lambda: checker.check_response("POST", "/api/chat/sessions/abc/stream", 200, headers, None))
    assert_names(exc, f"POST {STREAM} → 200: header X-Streaming-Session-Id must be at least 1 character long")


def test_a_stream_with_the_wrong_content_type_is_refused(checker):
    headers = {**STREAM_HEADERS, "Content-Type": "application/json"}
    exc = violation(
        lambda: checker.check_response("POST", "/api/chat/sessions/abc/stream", 200, headers, body({"reply": "Hello"}))
    )
    assert_names(exc, f'POST {STREAM} → 200: header Content-Type must be text/event-stream, got "application/json"')


def test_an_unknown_operation_is_refused(checker):
    exc = violation(lambda: checker.check_response("GET", "/api/chat/history", 404, JSON, body({"message": "x"})))
    assert str(exc) == "Contract violation: no operation GET /api/chat/history in the contract (answered 404)"
    exc = violation(lambda: checker.check_response("PUT", "/api/chat/sessions/abc", 405, JSON, b"{}"))
    assert_names(
        exc,
        "no operation PUT /api/chat/sessions/abc in the contract (answered 405)",
        "/api/chat/sessions/{sessionId} declares DELETE, GET",
    )
    exc = violation(lambda: checker.check_event("GET", "/api/chat/sessions/abc/stream", "chunk", "{}"))
    assert_names(exc, "no operation GET /api/chat/sessions/abc/stream in the contract")
    exc = violation(lambda: checker.check_response("OPTIONS", "/api/nowhere", 204, {}, b""))
    assert_names(exc, "no operation OPTIONS /api/nowhere")


def test_events_of_an_operation_that_streams_none_are_refused(checker):
    exc = violation(lambda: checker.check_event("GET", "/api/models", "chunk", '{"text": "a"}'))
    assert_names(exc, "GET /api/models", "declares no server-sent events")


def test_a_deep_path_is_named(checker):
    payload = {
        "sessionId": "s",
        "title": "t",
        "messages": [
            {"role": "user", "content": "Hi", "timestamp": "t"},
            {"role": "assistant", "content": ["Hel", "lo"], "timestamp": "t"},
        ],
    }
    exc = violation(lambda: checker.check_response("GET", "/api/chat/sessions/s", 200, JSON, body(payload)))
    assert_names(exc, '$.messages[1].content must be string, got ["Hel", "lo"]')
    payload = {"models": [{"id": "m", "name": "M", "available": "yes"}]}
    exc = violation(lambda: checker.check_response("GET", "/api/models", 200, JSON, body(payload)))
    assert_names(exc, '$.models[0].available must be boolean, got "yes"')


def test_several_problems_are_counted(checker):
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/credits/allocate", 201, JSON, body({"id": None, "userId": [], "totalCredits": "1"})
        )
    )
    text = assert_names(exc, "POST /api/credits/allocate → 201: $.")
    assert text.endswith("(+4 more)"), text  # id, userId, totalCredits wrong; remainingCredits, expiresAt missing
    assert exc.more == 4


# ---------------------------------------------------------------------------------------------- what is never echoed


def test_a_token_or_password_is_never_echoed(checker):
    payload = {
        "accessToken": 12345,
        "refreshToken": TOKEN,
        "user": {"id": 1, "username": "u", "email": "e", "role": "enduser", "password": "User1@123"},
    }
    exc = violation(lambda: checker.check_response("POST", "/api/auth/login", 200, JSON, body(payload)))
    assert_names(exc, "$.accessToken must be string, got <REDACTED> (integer)")
    assert exc.stable_line.endswith("$.accessToken must be string, got an integer")
    exc = violation(lambda: checker.check_response("POST", "/api/auth/login", 200, JSON, body([payload])))
    text = assert_names(exc, "POST /api/auth/login → 200: $ must be object, got [")
    assert TOKEN not in text and "User1@123" not in text and "12345" not in text
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/auth/login", 400, JSON, f"invalid token {TOKEN} for admin".encode()
        )
    )
    text = assert_names(exc, "<REDACTED>")
    assert TOKEN not in text


def test_a_long_value_is_truncated(checker):
    exc = violation(
        lambda: checker.check_response("POST", "/api/auth/login", 400, JSON, b"<html>" + b"x" * 10_000 + b"</html>")
    )
    text = assert_names(exc, "POST /api/auth/login → 400: $ must be JSON, got ")
    assert len(text) < 300 and "…" in text


# ---------------------------------------------------------------------------------------------- loading


def test_the_default_document_is_found_beside_the_package():
    assert DEFAULT_DOCUMENT.is_file()
    assert ContractChecker.load(str(DEFAULT_DOCUMENT)).responses_checked == 0


def test_a_missing_document_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        ContractChecker.load(tmp_path / "openapi.yaml")


def test_python_only_json_constants_are_refused(checker):
    exc = violation(
        lambda: checker.check_response(
            "GET", "/api/credits/balance", 200, JSON, b'{"totalCredits": NaN, "activeAllocations": []}'
        )
    )
    assert_names(exc, "GET /api/credits/balance → 200: $ must be JSON")


def test_a_secret_the_configuration_knows_never_shows_in_a_violation():
    checker = ContractChecker.load(redactor=Redactor(["hunter2-admin-password"]))
    exc = violation(
        lambda: checker.check_response(
            "POST", "/api/auth/login", 400, JSON, b"wrong password hunter2-admin-password for admin"
        )
    )
    text = assert_names(exc, "<REDACTED>")
    assert "hunter2-admin-password" not in text
