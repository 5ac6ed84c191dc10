"""No ambient credentials, and access tokens renewed from their exp claim: against a scripted server."""

from __future__ import annotations

import time

import jwt
import pytest

from chat_acceptance.actors.people import Credentials, Person, sign_in
from chat_acceptance.config.suite_config import Account
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.http_transport import HttpTransport, Timeouts
from chat_acceptance.world.access import NO_TOKEN, SIGN_IN_COOKIES_ONLY
from tests.library.scripted_server import json_reply

SECRET = "a-test-signing-secret-of-at-least-32-bytes!"


def token(lifetime_s: float | None, user: str = "u1") -> str:
    now = int(time.time())
    claims = {"sub": user, "username": user, "role": "enduser", "type": "access", "iat": now}
    if lifetime_s is not None:
        claims["exp"] = now + lifetime_s
    return jwt.encode(claims, SECRET, algorithm="HS256")


def login_reply(access_token: str, user: str = "u1", cookie: bool = True):
    headers = [("Set-Cookie", f"accessToken={access_token}; Path=/; HttpOnly")] if cookie else []
    body = {"accessToken": access_token, "refreshToken": "r", "user": {"id": user, "username": user}}
    return json_reply(200, body, headers=headers)


@pytest.fixture
def platform(server):
    transport = HttpTransport(Timeouts(2.0, 2.0, 5.0, 100), Redactor())
    yield PlatformClient(transport, auth_url=server.url, accounting_url=server.url, chat_url=server.url)
    transport.close()


def person(platform, credentials) -> Person:
    return Person("Alice", credentials, platform, confirm_retry_s=0, add_cleanup=lambda *_: None)


# -- cookies ------------------------------------------------------------------------------------------------


def test_a_cookie_set_at_log_in_is_never_sent_on_by_itself(server, platform):
    server.reply(login_reply(token(3600, "alice"), "alice"))
    server.reply(login_reply(token(3600, "bob"), "bob"))
    server.reply(json_reply(401, {"message": "no token"}))
    server.reply(json_reply(401, {"message": "no token"}))
    alice = sign_in(platform, Account("alice", "pw"))
    sign_in(platform, Account("bob", "pw"))
    platform.accounting.balance(None)
    platform.chat.list_sessions(None)
    received = server.received
    assert alice.cookies == {"accessToken": alice.access_token}  # what the answer set is still visible
    assert [request.headers.get("cookie") for request in received] == [None] * 4
    assert [request.headers.get("authorization") for request in received] == [None] * 4


def test_cookies_go_only_where_the_step_names_them(server, platform):
    server.reply(login_reply(token(3600)))
    server.reply(json_reply(401, {"message": "no token"}))
    signed_in = sign_in(platform, Account("alice", "pw"))
    assert NO_TOKEN.headers(signed_in) == {}
    platform.accounting.balance(None, headers=SIGN_IN_COOKIES_ONLY.headers(signed_in))
    assert server.received[1].headers["cookie"] == f"accessToken={signed_in.access_token}"


# -- token lifetimes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lifetime_s", "renewed"), [(3600, False), (None, False), (1, True)])
def test_a_persona_signs_in_again_only_when_its_token_is_about_to_expire(server, platform, lifetime_s, renewed):
    server.reply(login_reply(token(lifetime_s), cookie=False))
    server.reply(login_reply(token(3600), cookie=False))
    credentials = Credentials(platform, Account("alice", "pw"))
    first = credentials.current()
    second = credentials.current()
    assert (second is not first) is renewed
    assert credentials.renewals == int(renewed)
    assert len(server.received) == 1 + renewed


def test_renewal_comes_from_the_exp_claim_ahead_of_expiry(server, platform):
    server.reply(login_reply(token(20), cookie=False))
    before = time.monotonic()
    signed_in = Credentials(platform, Account("alice", "pw")).current()
    # 20 s, less 1 s of whole-second rounding, less a quarter of the lifetime (5 s at most)
    assert before + 14 - 0.5 <= signed_in.renew_at <= time.monotonic() + 14


def test_a_401_is_the_answer_never_a_reason_to_sign_in_again(server, platform):
    server.reply(login_reply(token(3600), cookie=False))
    server.reply(json_reply(401, {"message": "Invalid or expired token"}))
    credentials = Credentials(platform, Account("alice", "pw"))
    alice = person(platform, credentials)
    with pytest.raises(AssertionError, match="answered 401"):
        alice.balance()
    assert len(server.received) == 2 and credentials.renewals == 0


def test_a_person_uses_the_renewed_token(server, platform):
    server.reply(login_reply(token(1, "first"), cookie=False))
    server.reply(login_reply(token(3600, "second"), cookie=False))
    server.reply(json_reply(200, {"totalCredits": 5, "activeAllocations": []}))
    alice = person(platform, Credentials(platform, Account("alice", "pw")))
    first = alice.signed_in.access_token
    assert alice.balance() == 5
    sent = server.received[-1].headers["authorization"].removeprefix("Bearer ")
    assert sent != first and jwt.decode(sent, SECRET, algorithms=["HS256"])["sub"] == "second"


def test_a_person_is_known_by_every_token_she_was_given_and_asking_never_signs_in(server, platform):
    """Who sent a request is told from the token it carried, even once that token was renewed (the invariants and
    the identity claims ask after the request): asking must not sign in, or the sent token would already be old."""
    server.reply(login_reply(token(1, "first"), cookie=False))
    server.reply(login_reply(token(3600, "second"), cookie=False))
    alice = person(platform, Credentials(platform, Account("alice", "pw")))
    first = alice.signed_in.access_token
    asked = len(server.received)
    assert alice.has_held(first) and not alice.has_held("some.other.token")
    assert len(server.received) == asked  # no sign-in for asking, though her token is about to expire
    second = alice.signed_in.access_token  # renewed now
    assert second != first and alice.has_held(first) and alice.has_held(second)
