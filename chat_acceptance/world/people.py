"""People using the platform: each signed in with their own token, doing what the scenarios say they do.

Methods that set something up (start a conversation, receive a reply) check that it worked and say clearly
when it did not; methods that try something the scenario judges (confirm, open, delete) return the answer.
Everything a person creates registers its own clean-up.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chat_acceptance.transport.client import ApiResponse, PlatformClient, confirmation
from chat_acceptance.config import Account
from chat_acceptance.world.matchers import carries_streaming_session_id, expect, has_status, is_accepted, is_complete_stream
from chat_acceptance.transport.sse import StreamResult
from chat_acceptance.waiting import poll_until

AddCleanup = Callable[[str, Callable[[], Any]], None]


@dataclass(frozen=True)
class SignedIn:
    username: str
    user_id: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)


def sign_in(platform: PlatformClient, account: Account, who: str | None = None) -> SignedIn:
    """Signs `account` in; `who` names it in messages (a persona; by default the configured username)."""
    who = who or repr(account.username)
    answer = platform.auth.login(account.username, account.password)
    expect(answer, is_accepted(f"signing in as {who}"))
    user = answer.field("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    token = answer.field("accessToken")
    if not isinstance(token, str) or user_id in (None, ""):
        raise AssertionError(f"signing in as {who} gave no accessToken or user.id")
    refresh = answer.field("refreshToken")
    return SignedIn(account.username, str(user_id), token, refresh if isinstance(refresh, str) else None)


def is_mismatch(answer: ApiResponse) -> bool:
    return answer.status == 400 and "mismatch" in (answer.message or "").lower()


@dataclass(frozen=True)
class Reply:
    """A streamed reply to one question in one conversation."""

    owner: str  # the name of the person who asked
    conversation_id: str
    question: str
    stream: StreamResult

    @property
    def streaming_session_id(self) -> str | None:
        return self.stream.streaming_session_id

    @property
    def text(self) -> str:
        return self.stream.text

    @property
    def tokens_used(self) -> int:
        done = self.stream.done
        tokens = done.get("tokensUsed") if isinstance(done, dict) else None
        return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else 0


class Person:
    def __init__(
        self,
        name: str,
        signed_in: SignedIn,
        platform: PlatformClient,
        *,
        confirm_retry_s: float,
        add_cleanup: AddCleanup,
    ):
        self.name = name
        self.signed_in = signed_in
        self._platform = platform
        self._chat = platform.chat
        self._confirm_retry_s = confirm_retry_s
        self._add_cleanup = add_cleanup

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

    def start_conversation(self, title: str | None = None) -> str:
        answer = self._chat.create_session(self.token, title=title)
        expect(answer, is_accepted(f"{self.name} starting a conversation", 201))
        session_id = answer.field("sessionId")
        if not isinstance(session_id, str) or not session_id:
            raise AssertionError("starting a conversation gave no sessionId (POST /api/chat/sessions answered 201)")
        self._add_cleanup(
            f"delete conversation {session_id}", lambda: self._chat.delete_session(self.token, session_id)
        )
        return session_id

    def ask(self, conversation_id: str, question: str, headers: Mapping[str, str] | None = None) -> StreamResult:
        return self._chat.stream_reply(self.token, conversation_id, question, headers=headers)

    def ask_for_reply(self, conversation_id: str, question: str) -> Reply:
        return Reply(self.name, conversation_id, question, self.ask(conversation_id, question))

    def receive_reply(self, question: str, conversation_id: str | None = None) -> Reply:
        """Asks in a conversation (a new one by default) and checks the reply streamed back whole, with its ID."""
        reply = self.ask_for_reply(conversation_id or self.start_conversation(), question)
        expect(reply.stream, carries_streaming_session_id())
        expect(reply.stream, is_complete_stream())
        return reply

    def receive_confirmed_reply(self, question: str, conversation_id: str | None = None) -> Reply:
        """A reply received and confirmed, so the platform surely holds its ID as the latest."""
        reply = self.receive_reply(question, conversation_id)
        expect(self.confirm_with_own_id(reply), is_accepted(f"{self.name} confirming a reply"))
        return reply

    def open_conversation(self, conversation_id: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
        return self._chat.get_session(self.token, conversation_id, headers=headers)

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        answer = self.open_conversation(conversation_id)
        expect(answer, has_status(200))
        messages = answer.field("messages")
        if not isinstance(messages, list):
            raise AssertionError("expected the conversation to hold a list of messages, but it holds none")
        return messages

    def messages_when(self, conversation_id: str, ready: Callable[[list[dict[str, Any]]], bool]) -> list[dict]:
        """The conversation's messages once `ready` holds, or as they are when the bounded window ends.

        A deployment may finish saving a reply a little after the done event, as it may store the streaming
        session ID late; the same bounded window applies.
        """
        return poll_until(lambda: self.messages(conversation_id), ready, deadline_s=self._confirm_retry_s)

    def conversations(self) -> ApiResponse:
        return self._chat.list_sessions(self.token)

    def conversation_ids(self) -> list[str]:
        answer = self.conversations()
        expect(answer, has_status(200))
        sessions = answer.field("sessions")
        if not isinstance(sessions, list):
            raise AssertionError("expected the list of conversations to hold a list of sessions, but it holds none")
        return [session.get("sessionId") for session in sessions if isinstance(session, dict)]

    def delete_conversation(self, conversation_id: str) -> ApiResponse:
        return self._chat.delete_session(self.token, conversation_id)

    def models(self) -> ApiResponse:
        return self._chat.models(self.token)

    # Confirming replies

    def confirm(self, reply: Reply, streaming_session_id: Any, complete_response: str | None = None) -> ApiResponse:
        """One attempt: a wrong ID must be refused at once, so it is never retried."""
        text = reply.text if complete_response is None else complete_response
        return self.confirm_sending(reply, confirmation(text, streaming_session_id, reply.tokens_used))

    def confirm_sending(self, reply: Reply, body: Any) -> ApiResponse:
        return self._chat.confirm_reply(self.token, reply.conversation_id, body)

    def confirm_with_own_id(self, reply: Reply, complete_response: str | None = None) -> ApiResponse:
        """Confirms with the issued ID, retrying a mismatch within the contract's bounded window."""
        return poll_until(
            lambda: self.confirm(reply, reply.streaming_session_id, complete_response),
            lambda answer: not is_mismatch(answer),
            deadline_s=self._confirm_retry_s,
        )

    # Credits

    def balance(self) -> float:
        answer = self._platform.accounting.balance(self.token)
        expect(answer, has_status(200))
        total = answer.field("totalCredits")
        if not isinstance(total, (int, float)) or isinstance(total, bool):
            raise AssertionError(f"expected {self.name}'s balance to hold a numeric totalCredits, but it does not")
        return total

    def balance_when(self, ready: Callable[[float], bool]) -> float:
        """The balance once `ready` holds, or as it is when the bounded window ends (a charge may land late)."""
        return poll_until(self.balance, ready, deadline_s=self._confirm_retry_s)

    def balance_of(self, user_id: str) -> ApiResponse:
        return self._platform.accounting.balance_of(self.token, user_id)

    def allocate(self, user: str, credits: Any) -> ApiResponse:
        return self._platform.accounting.allocate(self.token, user, credits, notes="chat-acceptance")

    # Users

    def create_user(self, *, username: str, email: str, password: str, role: str = "enduser") -> ApiResponse:
        return self._platform.auth.create_user(self.token, username=username, email=email, password=password, role=role)

    def delete_user(self, user_id: str) -> ApiResponse:
        return self._platform.auth.delete_user(self.token, user_id)
