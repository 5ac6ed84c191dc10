"""No request, however malformed, gets a 5xx, an HTML page or a stack trace: always a 4xx JSON error."""

from __future__ import annotations

import json

import pytest

from tests.reference_services.reference_testkit import raw_http

POST_ROUTES = [
    ("auth", "/api/auth/login"),
    ("auth", "/api/admin/users"),
    ("accounting", "/api/credits/allocate"),
    ("chat", "/api/chat/sessions"),
    ("chat", "/api/chat/sessions/{session}/stream"),
    ("chat", "/api/chat/sessions/{session}/update-stream"),
]

BAD_BODIES = {
    "broken-json": (b'{"message": "unfinished', "application/json"),
    "trailing-garbage": (b'{"message": "x"} trailing', "application/json"),
    "not-json-content-type": (b'{"message": "hello"}', "text/plain"),
    "form-encoded": (b"message=hello", "application/x-www-form-urlencoded"),
    "no-content-type": (b'{"message": "hello"}', None),
    "json-array": (b"[1, 2, 3]", "application/json"),
    "json-string": (b'"hello"', "application/json"),
    "json-null": (b"null", "application/json"),
    "deeply-nested": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "lone-surrogates": (
        b'{"username": "\\ud800", "password": "\\udfff", "message": "\\ud800", "title": "\\ud800", "userId": "\\ud800",'
        b' "credits": 5, "completeResponse": "\\ud800", "streamingSessionId": "\\ud800", "tokensUsed": 1}',
        "application/json",
    ),
    "not-utf8": (b'{"message": "\xff\xfe"}', "application/json"),
    "huge-numbers": (
        b'{"credits": 1e400, "tokensUsed": 123456789012345678901234567890, "userId": "user1"}',
        "application/json",
    ),
}


def is_json_error(response, status_range=range(400, 500)) -> bool:
    return (
        response.status_code in status_range
        and response.headers.get("Content-Type", "").startswith("application/json")
        and isinstance(response.json().get("message"), str)
    )


@pytest.fixture(scope="module")
def session_id(api, funded) -> str:
    return api.new_session(funded)


# Creating a session takes an optional body and ignores unknown fields: these two are valid there.
VALID_FOR_NEW_SESSION = {"json-null", "huge-numbers"}
MALFORMED = [
    pytest.param(service, path, kind, id=f"{kind}-{path}")
    for service, path in POST_ROUTES
    for kind in BAD_BODIES
    if not (path == "/api/chat/sessions" and kind in VALID_FOR_NEW_SESSION)
]


@pytest.mark.parametrize("service, path, kind", MALFORMED)
def test_malformed_bodies_get_a_4xx_json_error(api, funded, session_id, service, path, kind):
    body, content_type = BAD_BODIES[kind]
    headers = {"Content-Type": content_type} if content_type else {}
    user = "admin" if service != "chat" else funded
    response = api.request("POST", service, path.format(session=session_id), user=user, data=body, headers=headers)
    assert is_json_error(response), (response.status_code, response.text[:300])


@pytest.mark.parametrize("service, path", POST_ROUTES, ids=[path for _, path in POST_ROUTES])
def test_bodies_over_the_cap_get_a_json_413(api, funded, session_id, service, path):
    user = "admin" if service != "chat" else funded
    body = json.dumps({"message": "x" * (1024 * 1024 + 10)}).encode()
    response = api.request(
        "POST",
        service,
        path.format(session=session_id),
        user=user,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert is_json_error(response) and response.status_code == 413
    # sent in chunks, without a Content-Length
    chunked = api.request(
        "POST",
        service,
        path.format(session=session_id),
        user=user,
        data=iter([body[:600_000], body[600_000:]]),
        headers={"Content-Type": "application/json"},
    )
    assert is_json_error(chunked) and chunked.status_code == 413


def test_a_huge_declared_length_is_refused_without_waiting_for_the_body(api):
    head = raw_http(api.platform.auth_url, "POST", "/api/auth/login", {"Content-Length": "5000000000"})
    assert head.startswith(b"HTTP/1.1 413"), head


@pytest.mark.parametrize(
    "method, service, path",
    [
        ("GET", "chat", "/api/nothing-here"),
        ("GET", "auth", "/nothing"),
        ("PUT", "chat", "/api/chat/sessions"),
        ("PATCH", "accounting", "/api/credits/allocate"),
        ("GET", "chat", "/api/chat/sessions/" + "x" * 5000),
        ("GET", "chat", "/api/chat/sessions/%00%ff%fe"),
        ("GET", "chat", "/api/chat/sessions/%F0%9F%90%8B"),
        ("DELETE", "chat", "/api/chat/sessions/..%2F..%2Fetc"),
        ("GET", "accounting", "/api/credits/balance/%00"),
        ("DELETE", "auth", "/api/admin/users/%ff"),
    ],
)
def test_odd_paths_and_methods_get_a_4xx_json_error(api, funded, method, service, path):
    user = "admin" if service != "chat" else funded
    response = api.request(method, service, path, user=user)
    assert is_json_error(response), (response.status_code, response.text[:300])


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjE6VXNlcjFAMTIz",
        "bearer " + "a" * 10_000,
        "Bearer a.b",
        "Bearer ....",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
        "Token abc",
    ],
)
def test_odd_authorization_headers_are_401(api, authorization):
    for service, path in (("chat", "/api/chat/sessions"), ("accounting", "/api/credits/balance")):
        response = api.request("GET", service, path, headers={"Authorization": authorization})
        assert response.status_code == 401 and is_json_error(response)
