"""People using the platform: each signed in with their own token, doing what the scenarios say they do.

Methods that set something up (start a conversation, receive a reply) check that it worked and say clearly
when it did not; methods that try something the scenario judges (confirm, open, delete) return the answer.
Everything a person creates registers its own clean-up.
"""

from __future__ import annotations

import functools
import json as jsonlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeGuard, TypeVar

from chat_acceptance.actors.credits import CreditBank
from chat_acceptance.attacks.forgery import claims_of
from chat_acceptance.checks.matchers import (
    carries_streaming_session_id,
    has_ended,
    has_status,
    is_accepted,
    is_mismatch,
    require,
    tokens_reported,
)
from chat_acceptance.config.suite_config import Account
from chat_acceptance.transport.client import PlatformClient, confirmation
from chat_acceptance.transport.exchange import ApiResponse, Claims
from chat_acceptance.transport.sse import MalformedStream, StreamResult
from chat_acceptance.waiting import poll_until

if TYPE_CHECKING:
    from chat_acceptance.checks.invariants import Invariants

AddCleanup = Callable[[str, Callable[[], Any]], None]


# Sign in again this long before an access token expires (at most a quarter of its lifetime), so that no
# request leaves with a token that dies on the way.
RENEWAL_MARGIN_S = 5.0


@dataclass(frozen=True)
class SignedIn:
    username: str
    user_id: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    cookies: Mapping[str, str] = field(default_factory=dict, repr=False)  # what log-in set; sent only when asked
    renew_at: float | None = None  # time.monotonic() from which to sign in again; None: the token never expires


def sign_in(platform: PlatformClient, account: Account, who: str | None = None) -> SignedIn:
    """Signs `account` in; `who` names it in messages (a persona; by default the configured username)."""
    who = who or repr(account.username)
    asked_at = time.monotonic()
    answer = platform.auth.login(account.username, account.password)
    require(answer, is_accepted(f"signing in as {who}"))
    user = answer.field("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    token = answer.field("accessToken")
    if not isinstance(token, str) or user_id in (None, ""):
        raise AssertionError(f"signing in as {who} gave no accessToken or user.id")
    refresh = answer.field("refreshToken")
    return SignedIn(
        account.username,
        str(user_id),
        token,
        refresh if isinstance(refresh, str) else None,
        cookies=dict(answer.cookies),
        renew_at=_renew_at(token, asked_at),
    )


def _renew_at(token: str, asked_at: float) -> float | None:
    """When to sign in again, from the token's exp claim (read without verifying: no secret is needed).

    The lifetime (exp - iat) is counted from when the suite asked, on its own clock, so that a clock difference
    with the deployment does not matter; exp and iat are whole seconds, so up to 1 s of it may be gone already.
    """
    try:
        claims = claims_of(token)
    except (ValueError, IndexError):  # UnicodeDecodeError is a ValueError
        return None  # not a JWT the suite can read: nothing says it expires
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp):
        return None
    lifetime = exp - iat if _is_number(iat) else exp - time.time()
    return asked_at + lifetime - 1 - min(RENEWAL_MARGIN_S, lifetime / 4)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Credentials:
    """One account's sign-in, renewed when its access token has expired or is about to (its exp claim).

    Never renewed because of a 401: a refusal is the platform's answer to judge, and retrying it with a new
    token would hide authentication defects.
    """

    def __init__(self, platform: PlatformClient, account: Account):
        self._platform = platform
        self._account = account
        self._signed_in: SignedIn | None = None
        self.renewals = 0  # sign-ins after the first, because a token was about to expire
        self.held: set[str] = set()  # every access token these credentials were given, the renewed ones too

    def current(self) -> SignedIn:
        signed_in = self._signed_in
        if signed_in is None or signed_in.renew_at is not None and time.monotonic() >= signed_in.renew_at:
            renewed = self._signed_in = sign_in(self._platform, self._account)
            self.held.add(renewed.access_token)
            self.renewals += signed_in is not None
            signed_in = renewed
        return signed_in


def _readable_text(data: str) -> str:
    try:
        payload = jsonlib.loads(data)
    except ValueError:
        return ""
    text = payload.get("text") if isinstance(payload, dict) else None
    return text if isinstance(text, str) else ""


@dataclass(frozen=True)
class Reply:
    """A streamed reply to one question in one conversation."""

    owner: str  # the name of the person who asked
    conversation_id: str
    question: str
    stream: StreamResult
    received_at: float = field(default_factory=time.monotonic)  # when the stream ended (its done, if any)

    @property
    def streaming_session_id(self) -> str | None:
        return self.stream.streaming_session_id

    @property
    def text(self) -> str:
        """The chunks' texts joined; a chunk whose text cannot be read is left out (the Given recorded it, and
        the scenarios about the stream judge it)."""
        try:
            return self.stream.text
        except MalformedStream:
            return "".join(_readable_text(chunk.data) for chunk in self.stream.chunks)

    @property
    def tokens_used(self) -> int:
        return max(0, tokens_reported(self.stream.done) or 0)


_Arguments = ParamSpec("_Arguments")
_Answer = TypeVar("_Answer", ApiResponse, StreamResult)


def _remembered(
    action: Callable[Concatenate[Person, _Arguments], _Answer],
) -> Callable[Concatenate[Person, _Arguments], _Answer]:
    """Marks a Person's action: its answer becomes what this person was last told (`Person.last_answer`)."""

    @functools.wraps(action)
    def remembering(self: Person, /, *args: _Arguments.args, **kwargs: _Arguments.kwargs) -> _Answer:
        self.last_answer = action(self, *args, **kwargs)
        return self.last_answer

    return remembering


def claims_to_be(person: Person) -> dict[str, str]:
    """Headers a naive service might trust to tell who the caller is; the contract says only the token counts.
    (One name per header: HTTP header names ignore case, so X-User-ID and X-User-Id are the same header.)"""
    return {
        "X-User-Id": person.user_id,
        "X-Auth-User-Id": person.user_id,
        "X-User": person.username,
        "X-Username": person.username,
        "X-Forwarded-User": person.username,
        "X-Remote-User": person.username,
        "X-Auth-User": person.username,
        "X-Auth-Request-User": person.username,
        "Remote-User": person.username,
    }


# Everything besides the token a naive service might take for the caller's role: the headers an API gateway or
# an auth proxy sets (oauth2-proxy's X-Auth-Request-Groups among them) and JSON body fields (mass assignment);
# the contract says only the token counts, and a valid token without the role gets 403.
ADMIN_ROLE_CLAIMS = Claims(
    headers={
        "X-User-Role": "admin",
        "X-Role": "admin",
        "X-User-Roles": "admin",
        "X-Forwarded-Role": "admin",
        "X-Auth-Request-Groups": "admin",
    },
    body={"role": "admin", "isAdmin": True},
)


def identity_claims_of(person: Person, conversation: str | None = None) -> Claims:
    """Everything besides the token a naive service might trust to tell who the caller is: the headers of
    claims_to_be, query parameters (a client-side filter taken for the owner, as in ?userId=) and JSON body
    fields, naming her `conversation` too (a body's sessionId taken for the path's); the contract says only the
    token counts."""
    named = {"sessionId": conversation, "conversationId": conversation} if conversation else {}
    return Claims(
        headers=claims_to_be(person),
        query={
            "userId": person.user_id,
            "user_id": person.user_id,
            "user": person.username,
            "username": person.username,
            "owner": person.user_id,
            "ownerId": person.user_id,
        },
        body={"userId": person.user_id, "user": person.username, "owner": person.user_id, **named},
    )


class Person:
    def __init__(
        self,
        name: str,
        signed_in: SignedIn | Credentials,
        platform: PlatformClient,
        *,
        confirm_retry_s: float,
        add_cleanup: AddCleanup,
        bank: CreditBank | None = None,
        run_id: str = "",
    ):
        self.name = name
        self._run_id = run_id  # names what this person creates, so that a run's leftovers can be found
        self._bank = bank  # a run's persona: kept able to pay for her replies
        self._credentials = signed_in
        self._platform = platform
        self._chat = platform.chat
        self._confirm_retry_s = confirm_retry_s
        self._add_cleanup = add_cleanup
        # The conversation this person last started or asked in: what "Alice's conversation" means.
        self.latest_conversation: str | None = None
        # What the platform last answered this person's own action: what "Bob is told ..." judges.
        self.last_answer: ApiResponse | StreamResult | None = None
        # The scenario's invariants (chat_acceptance.checks.invariants), which know which IDs were accepted and
        # when each reply ended; None outside a scenario.
        self.invariants: Invariants | None = None
        self.count_retry: Callable[[], None] = lambda: None  # the run counts every confirmation sent again

    @property
    def signed_in(self) -> SignedIn:
        """The sign-in to use now: renewed first when its access token is about to expire."""
        credentials = self._credentials
        return credentials.current() if isinstance(credentials, Credentials) else credentials

    def has_held(self, token: str) -> bool:
        """Whether `token` is an access token this person was given, now or before a renewal. Asking never signs
        in: who sent a request is known from the token it carried, even once it was renewed."""
        credentials = self._credentials
        held = credentials.held if isinstance(credentials, Credentials) else {credentials.access_token}
        return token in held

    @property
    def token(self) -> str:
        return self.signed_in.access_token

    @property
    def user_id(self) -> str:
        return self.signed_in.user_id

    @property
    def username(self) -> str:
        return self.signed_in.username

    # Conversations

    def _setting_up(self) -> AbstractContextManager[None]:
        """What this person sets up is no attempt the scenario judges (chat_acceptance.checks.invariants)."""
        return self.invariants.setting_up() if self.invariants is not None else nullcontext()

    def start_conversation(self, title: str | None = None) -> str:
        """Starts a conversation; without a title of the scenario's, it is titled with the run's ID."""
        title = title or (f"{self._run_id} conversation" if self._run_id else None)
        with self._setting_up():
            answer = self._chat.create_session(self.token, title=title)
        require(answer, is_accepted(f"{self.name} starting a conversation", 201))
        session_id = answer.field("sessionId")
        if not isinstance(session_id, str) or not session_id:
            raise AssertionError("starting a conversation gave no sessionId (POST /api/chat/sessions answered 201)")
        self._add_cleanup(
            f"delete conversation {session_id}", lambda: self._chat.delete_session(self.token, session_id)
        )
        self.latest_conversation = session_id
        return session_id

    @_remembered
    def ask(self, conversation_id: str, question: str, headers: Mapping[str, str] | None = None) -> StreamResult:
        if self._bank is not None:
            self._bank.before_stream(self)
        result = self._chat.stream_reply(self.token, conversation_id, question, headers=headers)
        if self._bank is not None:
            self._bank.after_stream(self, result.status == 200)
        return result

    def ask_for_reply(self, conversation_id: str, question: str) -> Reply:
        self.latest_conversation = conversation_id
        return Reply(self.name, conversation_id, question, self.ask(conversation_id, question))

    def receive_reply(self, question: str, conversation_id: str | None = None) -> Reply:
        """Asks in a conversation (a new one by default) and checks that the stream issued its ID and ended.

        Only that: a missing done or a malformed last event is for the scenarios about the stream's end, so
        that it never hides what a scenario about the streaming session ID is there to judge.
        """
        reply = self.ask_for_reply(conversation_id or self.start_conversation(), question)
        require(reply.stream, carries_streaming_session_id())
        require(reply.stream, has_ended())
        return reply

    def receive_confirmed_reply(self, question: str, conversation_id: str | None = None) -> Reply:
        """A reply received and confirmed, so the platform surely holds its ID as the latest."""
        reply = self.receive_reply(question, conversation_id)
        require(self.confirm_with_own_id(reply), is_accepted(f"{self.name} confirming a reply"))
        return reply

    @_remembered
    def open_conversation(self, conversation_id: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
        return self._chat.get_session(self.token, conversation_id, headers=headers)

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        answer = self._chat.get_session(self.token, conversation_id)  # a check's read: not this person's answer
        require(answer, has_status(200))
        messages = answer.field("messages")
        if not isinstance(messages, list):
            raise AssertionError("expected the conversation to hold a list of messages, but it holds none")
        return messages

    def messages_when(
        self, conversation_id: str, ready: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """The conversation's messages once `ready` holds, or as they are when the bounded window ends.

        A deployment may finish saving a reply a little after the done event, as it may store the streaming
        session ID late; the same bounded window applies.
        """
        return poll_until(lambda: self.messages(conversation_id), ready, deadline_s=self._confirm_retry_s)

    def listed_conversations(self) -> tuple[tuple[Any, Any], ...]:
        """The conversations listed for this person, as sorted (sessionId, title) pairs (a check's read)."""
        answer = self._chat.list_sessions(self.token)
        require(answer, has_status(200))
        sessions = answer.field("sessions")
        if not isinstance(sessions, list):
            raise AssertionError("expected the conversation list to hold a list of sessions, but it holds none")
        pairs = {(session.get("sessionId"), session.get("title")) for session in sessions if isinstance(session, dict)}
        return tuple(sorted(pairs, key=repr))

    @_remembered
    def conversations(self) -> ApiResponse:
        return self._chat.list_sessions(self.token)

    @_remembered
    def delete_conversation(self, conversation_id: str) -> ApiResponse:
        return self._chat.delete_session(self.token, conversation_id)

    @_remembered
    def models(self) -> ApiResponse:
        return self._chat.models(self.token)

    # Confirming replies

    def confirm(self, reply: Reply, streaming_session_id: Any, complete_response: str | None = None) -> ApiResponse:
        """One attempt: a wrong ID must be refused at once, so it is never retried."""
        text = reply.text if complete_response is None else complete_response
        return self.confirm_sending(reply, confirmation(text, streaming_session_id, reply.tokens_used))

    @_remembered
    def confirm_sending(self, reply: Reply, body: Any) -> ApiResponse:
        return self._chat.confirm_reply(self.token, reply.conversation_id, body)

    def confirm_with_own_id(self, reply: Reply, complete_response: str | None = None) -> ApiResponse:
        """Confirms with the issued ID; a mismatch is sent again only while the ID may not be stored yet."""
        return self.confirm_until_stored(
            reply.conversation_id,
            reply.streaming_session_id,
            lambda: self.confirm(reply, reply.streaming_session_id, complete_response),
            ended_at=reply.received_at,
        )

    def confirm_repeatedly(self, reply: Reply, times: int, pool: Executor | None = None) -> list[ApiResponse]:
        """Confirms with the issued ID `times` times, each sent once (an ID once accepted confirms every time it
        is sent; contract: "confirms again"), a few at once with a `pool`, so that a slow confirmation costs its
        time once per round, not once per send."""

        def again(_: int) -> ApiResponse:
            return self.confirm(reply, reply.streaming_session_id)

        return list(pool.map(again, range(times))) if pool is not None else [again(n) for n in range(times)]

    def confirm_body(self, conversation_id: str, body: Any) -> ApiResponse:
        """A confirmation a check sends (not this person's own action)."""
        return self._chat.confirm_reply(self.token, conversation_id, body)

    def confirm_until_stored(
        self, conversation_id: str, issued: Any, send: Callable[[], ApiResponse], ended_at: float | None = None
    ) -> ApiResponse:
        """Retries are evidence: a deployment may store the issued ID a little after done (the contract allows
        it), so a mismatch for it is sent again, each time counted, until confirm_retry seconds after the reply
        ended; never for an ID that was accepted before (once accepted, it confirms every time: a mismatch then
        is the answer to judge)."""
        invariants = self.invariants
        accepted_before = invariants is not None and invariants.was_accepted(conversation_id, issued)
        answer = send()
        if not is_mismatch(answer.status, answer.message) or accepted_before:
            return answer
        if invariants is not None:
            ended_at = invariants.ended_at.get(conversation_id, ended_at)
        remaining = self._confirm_retry_s - (time.monotonic() - ended_at) if ended_at else self._confirm_retry_s
        if remaining <= 0:
            return answer

        def again() -> ApiResponse:
            self.count_retry()
            return send()

        return poll_until(again, lambda answer: not is_mismatch(answer.status, answer.message), deadline_s=remaining)

    # Credits

    def balance(self) -> float:
        answer = self._platform.accounting.balance(self.token)
        require(answer, has_status(200))
        total = answer.field("totalCredits")
        if not isinstance(total, (int, float)) or isinstance(total, bool):
            raise AssertionError(f"expected {self.name}'s balance to hold a numeric totalCredits, but it does not")
        return total

    def balance_when(self, ready: Callable[[float], bool]) -> float:
        """The balance once `ready` holds, or as it is when the bounded window ends (a charge may land late)."""
        return poll_until(self.balance, ready, deadline_s=self._confirm_retry_s)

    @_remembered
    def balance_of(self, user_id: str) -> ApiResponse:
        return self._platform.accounting.balance_of(self.token, user_id)

    @_remembered
    def allocate(self, user: str, credits: Any) -> ApiResponse:
        return self._platform.accounting.allocate(self.token, user, credits, notes="chat-acceptance")

    # Users

    @_remembered
    def create_user(self, *, username: str, email: str, password: str, role: str = "enduser") -> ApiResponse:
        return self._platform.auth.create_user(self.token, username=username, email=email, password=password, role=role)

    @_remembered
    def delete_user(self, user_id: str) -> ApiResponse:
        return self._platform.auth.delete_user(self.token, user_id)
