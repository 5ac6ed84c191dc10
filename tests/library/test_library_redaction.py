"""chat_acceptance.redaction: no token, password or known secret survives."""

from __future__ import annotations

import json

import jwt
import pytest

from chat_acceptance.attacks.forgery import unsigned_token
from chat_acceptance.redaction import REDACTED, Redactor, is_secret_name

SECRET = "a-test-signing-secret-of-at-least-32-bytes!"
TOKEN = jwt.encode({"sub": "u1", "type": "access"}, SECRET, algorithm="HS256")
REFRESH = jwt.encode({"sub": "u1", "type": "refresh"}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "template",
    [
        "{t}",
        "Bearer {t}",
        "token={t}&x=1",
        "the token {t}, again {t}.",
        '{{"nested": "{t}"}}',
        "line one\n{t}\nline three",
    ],
)
def test_a_jwt_is_masked_anywhere_in_text(template):
    shown = Redactor().text(template.format(t=TOKEN))
    assert TOKEN not in shown and "eyJ" not in shown
    assert shown == template.format(t=REDACTED)


def test_an_unsigned_jwt_with_an_empty_signature_is_masked():
    token = unsigned_token(TOKEN)
    assert token.endswith(".")
    assert Redactor().text(f"sent {token} here") == f"sent {REDACTED} here"


def test_text_without_secrets_is_unchanged():
    text = "Hello eyJ, a.b.c and stream-1732500000000-a1b2c3d4"
    assert Redactor().text(text) == text


def test_known_secret_values_are_masked_longest_first():
    redactor = Redactor(["abc", "abcdef", None, ""])
    assert redactor.text("x abcdef y abc z") == f"x {REDACTED} y {REDACTED} z"


def test_with_secrets_adds_to_the_known_ones():
    redactor = Redactor(["first-secret"]).with_secrets("second-secret", None)
    assert redactor.text("first-secret second-secret") == f"{REDACTED} {REDACTED}"


def test_secret_fields_in_json_are_masked_in_any_letter_case_and_depth():
    value = {
        "accessToken": TOKEN,
        "RefreshToken": "opaque-refresh",
        "user": {"id": "u1", "PASSWORD": "hunter2", "profile": [{"token": "t-1"}]},
        "list": [{"authorization": "Basic abc"}, {"jwt_secret": "s"}],
        "message": f"token {TOKEN} expired",
        "count": 3,
        "flag": True,
        "nothing": None,
    }
    assert Redactor().json(value) == {
        "accessToken": REDACTED,
        "RefreshToken": REDACTED,
        "user": {"id": "u1", "PASSWORD": REDACTED, "profile": [{"token": REDACTED}]},
        "list": [{"authorization": REDACTED}, {"jwt_secret": REDACTED}],
        "message": f"token {REDACTED} expired",
        "count": 3,
        "flag": True,
        "nothing": None,
    }


def test_an_empty_secret_field_is_shown_empty():
    # nothing to hide, and a report reader can see that the field was empty
    assert Redactor().json({"password": "", "accessToken": None}) == {"password": "", "accessToken": None}


def test_known_secrets_are_masked_inside_other_fields():
    redactor = Redactor(["User1@123"])
    assert redactor.json({"message": "wrong password User1@123!"}) == {"message": f"wrong password {REDACTED}!"}


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_json_body_is_redacted_field_by_field(as_bytes):
    body = json.dumps({"username": "user1", "password": "User1@123", "accessToken": TOKEN, "name": "Zoë"})
    shown = Redactor().body(body.encode() if as_bytes else body)
    assert json.loads(shown) == {"username": "user1", "password": REDACTED, "accessToken": REDACTED, "name": "Zoë"}
    assert "Zoë" in shown  # not escaped to \\u00eb


def test_a_body_that_is_not_json_is_redacted_as_text():
    redactor = Redactor(["User1@123"])
    assert redactor.body(f"<p>{TOKEN} User1@123</p>") == f"<p>{REDACTED} {REDACTED}</p>"
    assert redactor.body(b"\xff\xfe not utf-8 " + TOKEN.encode()) == f"\ufffd\ufffd not utf-8 {REDACTED}"
    assert redactor.body(None) is None
    assert redactor.body("") == ""


def test_credential_headers_keep_their_scheme_only():
    shown = Redactor().headers(
        {
            "Authorization": f"Bearer {TOKEN}",
            "proxy-authorization": "Basic dXNlcjpwYXNz",
            "AUTHORIZATION": "opaque-without-scheme",
            "Accept": "application/json",
            "X-Debug": f"token {TOKEN}",
        }
    )
    assert shown == {
        "Authorization": f"Bearer {REDACTED}",
        "proxy-authorization": f"Basic {REDACTED}",
        "AUTHORIZATION": REDACTED,
        "Accept": "application/json",
        "X-Debug": f"token {REDACTED}",
    }


def test_a_single_cookie_is_masked():
    assert Redactor().headers({"Cookie": "session=abc123"}) == {"Cookie": REDACTED}


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("Cookie", "sid=s3cr3t-session; theme=dark", "s3cr3t-session"),
        ("Set-Cookie", f"refreshToken={REFRESH}; Path=/; HttpOnly", REFRESH),
        ("set-cookie", "sid=s3cr3t-session; Path=/", "s3cr3t-session"),
    ],
)
def test_cookies_never_show_their_values(name, value, secret):
    shown = Redactor().headers({name: value})[name]
    assert secret not in shown
    assert "eyJ" not in shown


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "accessToken",
        "refresh_token",
        "JWT_SECRET",
        "ADMIN_PASSWORD",
        "Authorization",
        "apiKey",
        "Set-Cookie",
    ],
)
def test_names_that_carry_secrets_are_recognised_in_any_spelling(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["tokensUsed", "streamingSessionId", "totalCredits", "username", "Reference faults", 7]
)
def test_ordinary_names_are_not_secret(name):
    assert not is_secret_name(name)
