"""Streaming a reply: the checks before the first byte, issuing the streaming session ID, and the events."""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import uuid
from collections.abc import AsyncIterator

import anyio
import jwt

from reference_services.chat.credits import CreditsClient
from reference_services.chat.sse import EventWriter
from reference_services.chat.storage import ChatStore, Session
from reference_services.faults import ActiveFaults
from reference_services.internal_api import ServiceUnavailable
from reference_services.model import ReplyModel
from reference_services.security import Caller
from reference_services.timestamps import now_ms
from reference_services.web.errors import ApiError
from reference_services.web.middleware import STREAMING_ID_HEADER
from reference_services.wording import Wording

logger = logging.getLogger("reference_services.chat")

LATE_ID_STORE_SECONDS = 0.5
LATER_ID_STORE_SECONDS = 0.8  # later_id_store
_ID_SIGNING_KEY = secrets.token_hex(32)  # jwt_streaming_ids: the IDs are signed, their key never leaves
OPAQUE_ID_ALPHABET = string.ascii_letters + string.digits + "_-.~"  # opaque_id_alphabet
HEARTBEAT_EVERY = 10  # chunks, with chatty_sse
SLOW_FIRST_TOKEN_HEARTBEATS, SLOW_FIRST_TOKEN_HEARTBEAT_SECONDS = 6, 0.25  # slow_first_token: 1.5 s of heartbeats


def new_session_id(faults: ActiveFaults) -> str:
    if faults.on("foreign_id_shapes"):
        return secrets.token_hex(12)  # Mongo ObjectId style
    return f"ses-{secrets.token_hex(10)}"


def new_streaming_session_id(faults: ActiveFaults) -> str:
    if faults.on("foreign_id_shapes"):
        return str(uuid.uuid4())
    if faults.on("opaque_id_alphabet"):
        return "".join(secrets.choice(OPAQUE_ID_ALPHABET) for _ in range(32))
    if faults.on("jwt_streaming_ids") or faults.on("jwt_id_in_mismatch"):
        return jwt.encode({"sid": secrets.token_hex(8), "iat": now_ms() // 1000}, _ID_SIGNING_KEY, algorithm="HS256")
    return f"stream-{now_ms()}-{secrets.token_hex(4)}"  # the original system's format


def stored_later(faults: ActiveFaults) -> bool:
    return faults.on("later_id_store") or faults.on("later_id_store_negative_tokens")


def streaming_id_header_name(faults: ActiveFaults) -> str:
    """The header's name as written on the wire (uvicorn keeps the case it is given)."""
    if faults.on("header_lower_case"):
        return STREAMING_ID_HEADER.lower()
    if faults.on("header_upper_case"):
        return STREAMING_ID_HEADER.upper()
    return STREAMING_ID_HEADER


class ShuttingDown(Exception):
    """The server began a graceful shutdown while this stream was in flight."""


class ReplyStreamer:
    def __init__(
        self,
        store: ChatStore,
        model: ReplyModel,
        credits: CreditsClient,
        faults: ActiveFaults,
        wording: Wording,
        credits_per_token: int,
        shutting_down: asyncio.Event | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.credits = credits
        self.faults = faults
        self.wording = wording
        self.credits_per_token = credits_per_token
        self.shutting_down = shutting_down  # set by the server's protocol when a graceful shutdown begins
        self.counted: dict[str, int] = {}  # confirmation_refunds_client_count: streaming session ID -> tokens charged

    def price(self, tokens_used: int, reply: str) -> int:
        """What a reply costs: its tokens at the platform's rate, or (expensive_model) a credit per two characters."""
        if self.faults.on("expensive_model"):
            return max(1, -(-len(reply) // 2))
        return tokens_used * self.credits_per_token

    async def ensure_credits(self, caller: Caller) -> None:
        """402 unless the caller's balance is above zero (checked before any event)."""
        if self.faults.on("no_credit_check") or self.faults.on("welcome_credits_unchecked_balance"):
            return
        try:
            balance = await self.credits.balance(caller.id)
        except ServiceUnavailable as error:
            logger.warning("balance check failed: %s", error)
            raise ApiError(503, "accounting_unavailable") from None
        if balance <= 0:
            raise ApiError(402, "insufficient_credits")

    async def issue_stream(self, session: Session, message: str) -> str:
        """Stores the user's message and a new streaming session ID as the session's latest, before the first
        byte of the stream goes out, so that confirming right after `done` never races the store."""
        streaming_session_id = new_streaming_session_id(self.faults)
        # late_id_store stores it after the done event instead (see events()); shape_only_id_check never does.
        record = not (
            self.faults.on("late_id_store") or self.faults.on("shape_only_id_check") or stored_later(self.faults)
        )
        # SQLite writes may wait for another worker's lock: off the event loop, which serves every other stream.
        await anyio.to_thread.run_sync(
            self._store_question, session.id, message, streaming_session_id if record else None
        )
        return streaming_session_id

    async def _first_reply(self, session_id: str) -> bool:
        messages = await anyio.to_thread.run_sync(self.store.messages, session_id)
        return sum(message.role == "assistant" for message in messages) <= 1

    def _store_question(self, session_id: str, message: str, streaming_session_id: str | None) -> None:
        self.store.add_message(session_id, "user", message)
        if streaming_session_id is not None:
            self.store.record_stream(session_id, streaming_session_id)

    async def events(
        self, session: Session, caller: Caller, prompt: str, streaming_session_id: str
    ) -> AsyncIterator[str]:
        """The SSE body: chunk events, then done (or error if generation fails after the start)."""
        faults = self.faults
        chatty = faults.on("chatty_sse")
        sse = EventWriter(chatty=chatty, extra_fields=faults.on("extra_fields"))
        if chatty:
            yield sse.retry(3000)
            yield sse.comment("stream open")
            yield sse.event("progress", {"status": "generating"})  # an event type clients do not know
        if faults.on("slow_first_token"):
            for _ in range(SLOW_FIRST_TOKEN_HEARTBEATS):  # a model thinking: the server keeps the stream alive
                yield sse.comment("heartbeat")
                await asyncio.sleep(SLOW_FIRST_TOKEN_HEARTBEAT_SECONDS)
        pieces: list[str] = []
        held_chunks: list[str] = []  # done_before_chunks sends them after done
        try:
            async for piece in self.model.stream_reply(prompt):
                if self.shutting_down is not None and self.shutting_down.is_set():
                    raise ShuttingDown
                for text in list(piece) if chatty else [piece]:  # chatty: one event per character
                    pieces.append(text)
                    if faults.on("no_chunks"):
                        continue
                    chunk = sse.event("chunk", {"text": text})
                    if faults.on("done_before_chunks"):
                        held_chunks.append(chunk)
                    else:
                        yield chunk
                    if chatty and len(pieces) % HEARTBEAT_EVERY == 0:
                        yield sse.comment("heartbeat")
                    if faults.on("hang_after_chunks") and len(pieces) == 2:
                        await asyncio.Event().wait()  # never set: the connection stays open, silent
                    if faults.on("silent_after_three_chunks") and len(pieces) == 3:
                        await asyncio.Event().wait()  # headers and three chunks went out; then silence, every stream
            reply = "".join(pieces)
            tokens_used = self.model.tokens_used(prompt, reply)
            if not faults.on("reply_not_saved"):
                await anyio.to_thread.run_sync(self.store.add_message, session.id, "assistant", reply)
            if not faults.on("no_charge"):
                price = self.price(tokens_used, reply)
                if faults.on("charge_keyed_by_session") and not await self._first_reply(session.id):
                    price = 0  # idempotency key = the conversation's ID: this conversation was charged already
                await self.credits.charge(caller.id, price)
                if faults.on("confirmation_refunds_client_count"):
                    self.counted[streaming_session_id] = tokens_used
        except ShuttingDown:
            # The reply is not complete: no done, nothing stored, nothing charged, and no traceback in the log.
            logger.info("stream %s ended by the server's shutdown", session.id)
            yield sse.event("error", {"message": self.wording("service_stopping"), "code": "service_unavailable"})
            return
        except Exception as error:  # not CancelledError: a client that goes away just ends the stream
            logger.warning("stream %s failed after it started: %r", session.id, error)
            yield sse.event("error", {"message": self.wording("generation_failed"), "code": "generation_failed"})
            return
        if faults.on("late_id_store") or stored_later(faults):
            asyncio.get_running_loop().call_later(
                LATER_ID_STORE_SECONDS if stored_later(faults) else LATE_ID_STORE_SECONDS,
                self.store.record_stream,
                session.id,
                streaming_session_id,
            )
        if not faults.on("no_done_event"):
            reported_tokens = 0 if faults.on("zero_tokens_used") else tokens_used
            done = sse.event("done", {"tokensUsed": reported_tokens, "sessionId": session.id})
            if faults.on("malformed_last_event"):
                done = done.rstrip("\r\n") + sse.line_end  # one line end, not two: the event is never finished
            yield done
        for chunk in held_chunks:
            yield chunk
