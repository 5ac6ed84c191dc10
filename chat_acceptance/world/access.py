"""Who may do what: tokens of every kind, requests that need one, claims of identity, browsers."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from chat_acceptance.transport.client import ApiResponse, PlatformClient, session_path
from chat_acceptance.world.forgery import altered_token, expired_token, unsigned_token
from chat_acceptance.world.people import Person, SignedIn
from chat_acceptance.transport.sse import StreamResult

if TYPE_CHECKING:
    from chat_acceptance.world import World


def _refresh_token(signed_in: SignedIn, secret: str | None) -> str:
    if not signed_in.refresh_token:
        raise AssertionError(f"signing in as {signed_in.username!r} gave no refreshToken")
    return signed_in.refresh_token


def _expired_token(signed_in: SignedIn, secret: str | None) -> str:
    if not secret:
        raise AssertionError("an expired token needs the token signing secret (JWT_SECRET)")
    return expired_token(signed_in.access_token, secret)


# What a step may call a token -> how to make it from a signed-in user (and the signing secret, if known).
TOKEN_KINDS: dict[str, Callable[[SignedIn, str | None], str | None]] = {
    "no token": lambda signed_in, secret: None,
    "a token altered to claim the admin role": lambda signed_in, secret: altered_token(
        signed_in.access_token, role="admin"
    ),
    "an unsigned token": lambda signed_in, secret: unsigned_token(signed_in.access_token),
    "her refresh token": _refresh_token,
    "an expired token": _expired_token,
}


# No token, but what a browser would still send: the cookies the auth service set when she signed in (none,
# on a deployment that sets none). The contract: no cookie changes who the caller is.
SIGN_IN_COOKIES_ONLY = "only the cookies of her sign-in"
TOKEN_KINDS[SIGN_IN_COOKIES_ONLY] = lambda signed_in, secret: None


def token_of_kind(kind: str, signed_in: SignedIn, secret: str | None) -> str | None:
    return TOKEN_KINDS[kind](signed_in, secret)


def headers_of_kind(kind: str, signed_in: SignedIn) -> dict[str, str]:
    """What a request with `kind` carries besides its token: cookies only when the step names them."""
    if kind != SIGN_IN_COOKIES_ONLY or not signed_in.cookies:
        return {}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in signed_in.cookies.items())}


def act_with_token(world: World, name: str, action: str, kind: str) -> ApiResponse:
    """`name` does `action` presenting a token of `kind` (and nothing else the step does not name)."""
    signed_in = world.person(name).signed_in
    token = token_of_kind(kind, signed_in, world.suite.config.jwt_secret)
    return GUARDED_ACTIONS[action](world, token, headers_of_kind(kind, signed_in))


def _create_user(world: World, token: str | None, headers: dict[str, str]) -> ApiResponse:
    username = f"ghost-{secrets.token_hex(4)}"
    answer = world.suite.platform.auth.create_user(
        token, username=username, email=f"{username}@example.com", password=f"Pw-{secrets.token_urlsafe(12)}",
        role="enduser", headers=headers,
    )
    world.remove_user_if_created(answer, username)
    return answer


# One request per service that needs an access token, by what a step calls it.
GUARDED_ACTIONS: dict[str, Callable[[World, str | None, dict[str, str]], ApiResponse]] = {
    "creates a user": _create_user,
    "checks her balance": lambda world, token, headers: world.suite.platform.accounting.balance(token, headers=headers),
    "lists her conversations": lambda world, token, headers: world.suite.platform.chat.list_sessions(
        token, headers=headers
    ),
}


def try_to_create_user(world: World, person: Person, name: str) -> ApiResponse:
    username = f"{name}-{secrets.token_hex(4)}"
    answer = person.create_user(username=username, email=f"{username}@example.com", password=f"Pw-{secrets.token_urlsafe(12)}")
    world.remove_user_if_created(answer, username)
    return answer


def claims_to_be(person: Person) -> dict[str, str]:
    """Headers a naive service might trust to tell who the caller is; the contract says only the token counts."""
    return {
        "X-User-Id": person.user_id,
        "X-User": person.username,
        "X-Username": person.username,
        "X-Forwarded-User": person.username,
    }


def ask_from_browser(person: Person, origin: str, question: str) -> StreamResult:
    return person.ask(person.start_conversation(), question, headers={"Origin": origin})


def preflight_question(platform: PlatformClient, origin: str, conversation_id: str) -> ApiResponse:
    """The OPTIONS request a browser sends before posting a question with a token and a JSON body."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return platform.chat.call("OPTIONS", session_path(conversation_id) + "/stream", headers=headers)
