"""Tokens the suite cannot read claims from: a deployment's access token need not be a JWT whose payload is a
JSON object, and the suite must judge it in words, never crash on it (found by mypy: claims_of returned Any)."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from chat_acceptance.actors.people import sign_in
from chat_acceptance.attacks.forgery import claims_of
from chat_acceptance.checks.account_expectations import is_signed_in_as
from chat_acceptance.config.suite_config import Account
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.http_transport import HttpTransport, Timeouts
from tests.library.scripted_server import json_reply


def _three_parts(payload: bytes) -> str:
    return "e30." + base64.urlsafe_b64encode(payload).decode().rstrip("=") + ".c2ln"


NO_OBJECT = _three_parts(b"[1, 2]")  # a JSON payload, but no object of claims
NO_JSON = _three_parts(b"\xff not json")


def _login_answer(token: str) -> ApiResponse:
    user = {"id": "u1", "username": "alice", "role": "enduser"}
    body = json.dumps({"accessToken": token, "refreshToken": "r", "user": user})
    return ApiResponse("POST /api/auth/login", 200, {"Content-Type": "application/json"}, body)


def test_claims_of_refuses_a_payload_that_is_no_object():
    with pytest.raises(ValueError, match="not an object of claims"):
        claims_of(NO_OBJECT)


@pytest.mark.parametrize("token", [NO_OBJECT, NO_JSON])
def test_a_token_without_readable_claims_signs_in_and_never_expires(server, token):
    server.reply(json_reply(200, {"accessToken": token, "refreshToken": "r", "user": {"id": "u1"}}))
    transport = HttpTransport(Timeouts(2.0, 2.0, 5.0, 100), Redactor())
    try:
        platform = PlatformClient(transport, auth_url=server.url, accounting_url=server.url, chat_url=server.url)
        signed_in = sign_in(platform, Account("alice", "pw"))
    finally:
        transport.close()
    assert signed_in.access_token == token
    assert signed_in.renew_at is None


@pytest.mark.parametrize("token", [NO_OBJECT, NO_JSON])
def test_a_token_without_readable_claims_fails_the_sign_in_check_in_words(token):
    with pytest.raises(AssertionError, match=r"expected 'alice' to be signed in as enduser, but the access token's"):
        is_signed_in_as(_world_answered(_login_answer(token)), "Alice", "enduser")


def _world_answered(answer):
    """A scenario's world whose last answer is `answer`, with Alice configured as 'alice'."""
    suite = SimpleNamespace(configured_account=lambda name: Account("alice", "pw"))
    return SimpleNamespace(suite=suite, the_answer=lambda: answer)
