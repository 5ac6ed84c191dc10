"""Who may do what: tokens of every kind, every request that needs one, guarded actions by role, what a request
leaves behind on accounts and balances, claims of identity, browsers.

The registries here (TOKEN_KINDS, ROUTES_NEEDING_A_TOKEN, GUARDED_ACTIONS, SIGN_IN_ATTEMPTS) are the words the
features' Examples tables use; each route is named as ../shared/contract.md writes it, so that
tests/contract/test_promise_map.py can hold the tables and contract/promises.yaml in step.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chat_acceptance.actors.people import Person, SignedIn
from chat_acceptance.attacks.forgery import (
    altered_token,
    expired_token,
    made_up_streaming_id,
    tokens_signed_with_other_keys,
    unsigned_token,
)
from chat_acceptance.attacks.malformed import MALFORMATIONS
from chat_acceptance.config.suite_config import Account
from chat_acceptance.transport.client import MISSING, PlatformClient, confirmation, session_path
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.sse import StreamResult

if TYPE_CHECKING:
    from chat_acceptance.world.scenario import World


# -- tokens -------------------------------------------------------------------------------------------------


def _refresh_token(signed_in: SignedIn, secret: str | None) -> str:
    if not signed_in.refresh_token:
        raise AssertionError(f"signing in as {signed_in.username!r} gave no refreshToken")
    return signed_in.refresh_token


def _expired_token(seconds_ago: int) -> Callable[[SignedIn, str | None], str]:
    def make_expired_token(signed_in: SignedIn, secret: str | None) -> str:
        if not secret:
            raise AssertionError("an expired token needs the token signing secret (JWT_SECRET)")
        return expired_token(signed_in.access_token, secret, seconds_ago)

    return make_expired_token


# What a step may call a token -> how to make it from a signed-in user (and the signing secret, if known). A kind
# that stands for several tokens makes a tuple: each is sent (see send_with_token).
TOKEN_KINDS: dict[str, Callable[[SignedIn, str | None], str | None | tuple[str, ...]]] = {
    "no token": lambda signed_in, secret: None,
    "a token altered to claim the admin role": lambda signed_in, secret: altered_token(
        signed_in.access_token, role="admin"
    ),
    "an unsigned token": lambda signed_in, secret: unsigned_token(signed_in.access_token),
    "her refresh token": _refresh_token,
    "an expired token": _expired_token(3600),
    # Two minutes is beyond any clock-skew leeway a deployment may reasonably allow.
    "a token that expired two minutes ago": _expired_token(120),
    "a token signed with a key the platform does not hold": lambda signed_in, secret: tokens_signed_with_other_keys(
        signed_in.access_token, role="admin"
    ),
}


# No token, but what a browser would still send: the cookies the auth service set when she signed in (none,
# on a deployment that sets none). The contract: no cookie changes who the caller is.
SIGN_IN_COOKIES_ONLY = "only the cookies of her sign-in"
TOKEN_KINDS[SIGN_IN_COOKIES_ONLY] = lambda signed_in, secret: None


def tokens_of_kind(kind: str, signed_in: SignedIn, secret: str | None) -> tuple[str | None, ...]:
    made = TOKEN_KINDS[kind](signed_in, secret)
    return made if isinstance(made, tuple) else (made,)


def headers_of_kind(kind: str, signed_in: SignedIn) -> dict[str, str]:
    """What a request with `kind` carries besides its token: cookies only when the step names them."""
    if kind != SIGN_IN_COOKIES_ONLY or not signed_in.cookies:
        return {}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in signed_in.cookies.items())}


# -- every request that needs an access token ---------------------------------------------------------------

# (world, persona, token, other headers the token kind brings) -> the answer
Send = Callable[["World", str, "str | None", dict[str, str]], "ApiResponse | StreamResult"]


@dataclass(frozen=True)
class TokenRoute:
    """A request of the contract that needs an access token, sent for a persona with a token of some kind."""

    route: str  # as the contract writes it, e.g. "GET /api/chat/sessions/{sessionId}"
    send: Send


def _new_account(world: World) -> Account:
    """An account no one has, shaped to the deployment's rules (new_accounts settings)."""
    return Account(world.suite.new_username("ghost"), world.suite.config.new_password())


def _create_user_with(world: World, name: str, token: str | None, headers: dict[str, str]) -> ApiResponse:
    account = _new_account(world)
    answer = world.suite.platform.auth.create_user(
        token, username=account.username, email=world.suite.config.new_email(account.username), password=account.password,
        role="enduser", headers=headers,
    )
    world.remove_user_if_created(answer, account.username)
    return answer


def _start_conversation_with(world: World, name: str, token: str | None, headers: dict[str, str]) -> ApiResponse:
    chat = world.suite.platform.chat
    answer = chat.create_session(token, title=f"{world.suite.run_id} should not exist", headers=headers)
    session_id = answer.field("sessionId")
    if answer.status == 201 and isinstance(session_id, str):  # wrongly let through: remove it with her own token
        owner = world.person(name)
        world.add_cleanup(f"delete conversation {session_id}", lambda: chat.delete_session(owner.token, session_id))
    return answer


def _her_conversation(world: World, name: str) -> str:
    """A conversation of hers to aim at (started with her valid token), so that only the token is wrong."""
    if world.conversation is None:
        world.conversation = world.person(name).start_conversation()
    return world.conversation


def _confirm_with(world: World, name: str, token: str | None, headers: dict[str, str]) -> ApiResponse:
    body = confirmation("A reply nobody streamed", made_up_streaming_id(), 1)
    return world.suite.platform.chat.confirm_reply(token, _her_conversation(world, name), body, headers=headers)


ROUTES_NEEDING_A_TOKEN: dict[str, TokenRoute] = {
    "create a user": TokenRoute("POST /api/admin/users", _create_user_with),
    "delete a user": TokenRoute(
        "DELETE /api/admin/users/{userId}",
        lambda world, name, token, headers: world.suite.platform.auth.delete_user(
            token, unknown_user_id(), headers=headers
        ),
    ),
    "give herself credits": TokenRoute(
        "POST /api/credits/allocate",
        lambda world, name, token, headers: world.suite.platform.accounting.allocate(
            token, world.person(name).user_id, 1, headers=headers
        ),
    ),
    "check her balance": TokenRoute(
        "GET /api/credits/balance",
        lambda world, name, token, headers: world.suite.platform.accounting.balance(token, headers=headers),
    ),
    "look at Bob's balance": TokenRoute(
        "GET /api/credits/balance/{userId}",
        lambda world, name, token, headers: world.suite.platform.accounting.balance_of(
            token, world.person("Bob").user_id, headers=headers
        ),
    ),
    "see the models": TokenRoute(
        "GET /api/models", lambda world, name, token, headers: world.suite.platform.chat.models(token, headers=headers)
    ),
    "start a conversation": TokenRoute("POST /api/chat/sessions", _start_conversation_with),
    "list her conversations": TokenRoute(
        "GET /api/chat/sessions",
        lambda world, name, token, headers: world.suite.platform.chat.list_sessions(token, headers=headers),
    ),
    "open her conversation": TokenRoute(
        "GET /api/chat/sessions/{sessionId}",
        lambda world, name, token, headers: world.suite.platform.chat.get_session(
            token, _her_conversation(world, name), headers=headers
        ),
    ),
    "delete her conversation": TokenRoute(
        "DELETE /api/chat/sessions/{sessionId}",
        lambda world, name, token, headers: world.suite.platform.chat.delete_session(
            token, _her_conversation(world, name), headers=headers
        ),
    ),
    "ask in her conversation": TokenRoute(
        "POST /api/chat/sessions/{sessionId}/stream",
        lambda world, name, token, headers: world.suite.platform.chat.stream_reply(
            token, _her_conversation(world, name), "Is anybody there?", headers=headers
        ),
    ),
    "confirm a reply in her conversation": TokenRoute(
        "POST /api/chat/sessions/{sessionId}/update-stream", _confirm_with
    ),
}


def send_with_token(world: World, name: str, route: str, token_kind: str) -> ApiResponse | StreamResult:
    """`name` sends `route` presenting a token of `token_kind` (and nothing else the step does not name)."""
    signed_in = world.person(name).signed_in
    send, headers = ROUTES_NEEDING_A_TOKEN[route].send, headers_of_kind(token_kind, signed_in)
    # A kind of several tokens: the answer judged is the first that is not a 401 (the one that let a bad token
    # through), or else the last.
    for token in tokens_of_kind(token_kind, signed_in, world.suite.config.jwt_secret):
        answer = send(world, name, token, headers)
        if answer.status != 401:
            break
    return answer


# -- guarded actions, by role -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardedAction:
    """Something only some roles may do, aimed at Carol (a new user of the scenario)."""

    route: str  # as the contract writes it
    allowed_status: int  # the answer when the caller's role may do it
    attempt: Callable[[World, Person], ApiResponse]
    shows_effect: Callable[[World], None]  # raises AssertionError, naming what is seen, when the effect is missing


def _try_to_create_user(world: World, person: Person) -> ApiResponse:
    account = world.attempted_account = _new_account(world)
    answer = person.create_user(
        username=account.username, email=world.suite.config.new_email(account.username), password=account.password
    )
    world.remove_user_if_created(answer, account.username)
    return answer


def _account_created(world: World) -> None:
    if not world.suite.platform.auth.signs_in(world.attempted_account.username, world.attempted_account.password):
        raise AssertionError(
            f"expected the new account to sign in, but it cannot\naccount: {world.attempted_account.username!r}"
        )


def _carol_gone(world: World) -> None:
    carol = world.accounts["Carol"]
    if world.suite.platform.auth.signs_in(carol.username, carol.password):
        raise AssertionError(
            "expected Carol to be unable to sign in once her account is deleted, but she still can\n"
            f"account: {world.accounts['Carol'].username!r}"
        )
    # Accounting too must no longer know her (it checks users with auth; a cache must not outlive a deletion).
    administrator, carol_id = world.person("the administrator"), world.person("Carol").user_id
    for what, answer in (("credits for her", administrator.allocate(carol_id, 1)),
                         ("her balance", administrator.balance_of(carol_id))):
        if answer.status != 404:
            raise AssertionError(
                f"expected accounting to answer 404 for {what} once her account is deleted, but {answer.request} "
                f"answered {answer.status}"
            )


def _carol_richer_by(credits: int) -> Callable[[World], None]:
    def check(world: World) -> None:
        carol = world.person("Carol")
        grown = carol.balance_when(lambda now: now - world.starting_balances["Carol"] >= credits)
        if grown - world.starting_balances["Carol"] != credits:
            raise AssertionError(
                f"expected Carol's balance to grow by exactly {credits}, it went from "
                f"{world.starting_balances['Carol']} to {grown}"
            )

    return check


def _shows_carol_balance(world: World) -> None:
    shown, own = world.answer.field("totalCredits"), world.person("Carol").balance()
    if shown != own:
        raise AssertionError(f"expected the balance shown to be Carol's own {own}, it is {shown!r}")


GUARDED_ACTIONS: dict[str, GuardedAction] = {
    "create a user": GuardedAction("POST /api/admin/users", 201, _try_to_create_user, _account_created),
    "delete Carol's account": GuardedAction(
        "DELETE /api/admin/users/{userId}", 200,
        lambda world, person: person.delete_user(world.person("Carol").user_id), _carol_gone,
    ),
    "give Carol 1000 credits": GuardedAction(
        "POST /api/credits/allocate", 201,
        lambda world, person: person.allocate(world.person("Carol").user_id, 1000), _carol_richer_by(1000),
    ),
    "give herself 1000 credits": GuardedAction(
        "POST /api/credits/allocate", 201, lambda world, person: person.allocate(person.user_id, 1000),
        _carol_richer_by(1000),
    ),
    "look at Carol's balance": GuardedAction(
        "GET /api/credits/balance/{userId}", 200,
        lambda world, person: person.balance_of(world.person("Carol").user_id), _shows_carol_balance,
    ),
}


# -- what a request leaves behind on accounts and balances ---------------------------------------------------


def create_duplicate_of(world: World, name: str, field: str) -> ApiResponse:
    """The administrator creates an account that shares `name`'s username or email and nothing else."""
    taken, fresh = world.accounts[name], _new_account(world)
    username = taken.username if field == "username" else fresh.username
    email = world.suite.config.new_email(taken.username if field == "email" else fresh.username)
    world.attempted_account = Account(username, fresh.password)
    answer = world.person("the administrator").create_user(username=username, email=email, password=fresh.password)
    world.remove_user_if_created(answer, username)
    return answer


def act_on_unknown_user(admin: Person, action: str) -> ApiResponse:
    user_id = unknown_user_id()
    return admin.delete_user(user_id) if action == "deletes" else admin.balance_of(user_id)


def unknown_user_id() -> str:
    return f"no-such-user-{secrets.token_hex(6)}"


# -- signing in ---------------------------------------------------------------------------------------------

# How someone may try to sign in as Alice -> the body fields sent (MISSING leaves a field out).
SIGN_IN_ATTEMPTS: dict[str, Callable[[Account], dict[str, Any]]] = {
    "as Alice with a wrong password": lambda alice: {"username": alice.username, "password": "Wrong-" + alice.password},
    "as a user who does not exist": lambda alice: {"username": f"nobody-{secrets.token_hex(4)}", "password": alice.password},
    "as Alice without a password": lambda alice: {"username": alice.username},
    "with Alice's password but no username": lambda alice: {"password": alice.password},
}



def try_to_sign_in(platform: PlatformClient, alice: Account, attempt: str) -> ApiResponse:
    return platform.auth.call("POST", "/api/auth/login", json=SIGN_IN_ATTEMPTS[attempt](alice))


# -- identity claims and browsers ---------------------------------------------------------------------------


def ask_from_browser(world: World, name: str, question: str) -> StreamResult:
    """`name` asks from the deployment's web page (the browser_origin setting)."""
    person, world.origin = world.person(name), world.suite.config.browser_origin
    return person.ask(person.start_conversation(), question, headers={"Origin": world.origin})


def preflight_question(world: World, name: str) -> ApiResponse:
    """The OPTIONS request a browser on the deployment's web page sends before posting `name`'s question with a
    token and a JSON body."""
    world.origin = world.suite.config.browser_origin
    headers = {
        "Origin": world.origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    path = session_path(world.conversation_of(name)) + "/stream"
    return world.suite.platform.chat.call("OPTIONS", path, headers=headers)


def ask_sending(platform: PlatformClient, person: Person, conversation_id: str, message: Any) -> StreamResult:
    """Asks with `message` (any JSON value; MISSING leaves it out) as the question."""
    body = {} if message is MISSING else {"message": message}
    return platform.chat.ask_sending(person.token, conversation_id, body)


def confirm_counting(person: Person, reply: Any, text: str, tokens_used: Any) -> ApiResponse:
    """Confirms a reply with its own streaming session ID, as `text`, counting `tokens_used` (any JSON value)."""
    return person.confirm_sending(reply, confirmation(text, reply.streaming_session_id, tokens_used))


# -- malformed requests ---------------------------------------------------------------------------------

# What a step calls a request -> (service, path for a conversation).
REQUESTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "a question": ("chat", lambda conversation: session_path(conversation) + "/stream"),
    "a reply confirmation": ("chat", lambda conversation: session_path(conversation) + "/update-stream"),
    "a new conversation": ("chat", lambda conversation: "/api/chat/sessions"),
    "a log-in": ("auth", lambda conversation: "/api/auth/login"),
    "a credit allocation": ("accounting", lambda conversation: "/api/credits/allocate"),
}


def send_malformed(
    platform: PlatformClient, person: Person, conversation_id: str, request: str, malformation: str
) -> ApiResponse:
    service, path = REQUESTS[request]
    api = getattr(platform, service)
    return api.call("POST", path(conversation_id), token=person.token, content=MALFORMATIONS[malformation])
