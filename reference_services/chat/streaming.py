"""Streaming a reply: the checks before the first byte, issuing the streaming session ID, and the events."""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import uuid
from collections.abc import AsyncIterator

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
OPAQUE_ID_ALPHABET = string.ascii_letters + string.digits + "_-.~"  # opaque_id_alphabet
HEARTBEAT_EVERY = 10  # chunks, with chatty_sse


def new_session_id(faults: ActiveFaults) -> str:
    if faults.on("foreign_id_shapes"):
        return secrets.token_hex(12)  # Mongo ObjectId style
    return f"ses-{secrets.token_hex(10)}"


def new_streaming_session_id(faults: ActiveFaults) -> str:
    if faults.on("foreign_id_shapes"):
        return str(uuid.uuid4())
    if faults.on("opaque_id_alphabet"):
        return "".join(secrets.choice(OPAQUE_ID_ALPHABET) for _ in range(32))
    return f"stream-{now_ms()}-{secrets.token_hex(4)}"  # the original system's format


def streaming_id_header_name(faults: ActiveFaults) -> str:
    """The header's name as written on the wire (uvicorn keeps the case it is given)."""
    if faults.on("header_lower_case"):
        return STREAMING_ID_HEADER.lower()
    if faults.on("header_upper_case"):
        return STREAMING_ID_HEADER.upper()
    return STREAMING_ID_HEADER


class ReplyStreamer:
    def __init__(
        self,
        store: ChatStore,
        model: ReplyModel,
        credits: CreditsClient,
        faults: ActiveFaults,
        wording: Wording,
        credits_per_token: int,
    ) -> None:
        self.store = store
        self.model = model
        self.credits = credits
        self.faults = faults
        self.wording = wording
        self.credits_per_token = credits_per_token

    async def ensure_credits(self, caller: Caller) -> None:
        """402 unless the caller's balance is above zero (checked before any event)."""
        if self.faults.on("no_credit_check"):
            return
        try:
            balance = await self.credits.balance(caller.id)
        except ServiceUnavailable as error:
            logger.warning("balance check failed: %s", error)
            raise ApiError(503, "accounting_unavailable") from None
        if balance <= 0:
            raise ApiError(402, "insufficient_credits")

    def issue_stream(self, session: Session, message: str) -> str:
        """Stores the user's message and a new streaming session ID as the session's latest, before the first
        byte of the stream goes out, so that confirming right after `done` never races the store."""
        streaming_session_id = new_streaming_session_id(self.faults)
        self.store.add_message(session.id, "user", message)
        # late_id_store stores it after the done event instead (see events()); shape_only_id_check never does.
        if not (self.faults.on("late_id_store") or self.faults.on("shape_only_id_check")):
            self.store.record_stream(session.id, streaming_session_id)
        return streaming_session_id

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
        pieces: list[str] = []
        held_chunks: list[str] = []  # done_before_chunks sends them after done
        try:
            async for piece in self.model.stream_reply(prompt):
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
            reply = "".join(pieces)
            tokens_used = self.model.tokens_used(prompt, reply)
            if not faults.on("reply_not_saved"):
                self.store.add_message(session.id, "assistant", reply)
            if not faults.on("no_charge"):
                await self.credits.charge(caller.id, tokens_used * self.credits_per_token)
        except Exception as error:  # not CancelledError: a client that goes away just ends the stream
            logger.warning("stream %s failed after it started: %r", session.id, error)
            yield sse.event("error", {"message": self.wording("generation_failed"), "code": "generation_failed"})
            return
        if faults.on("late_id_store"):
            asyncio.get_running_loop().call_later(
                LATE_ID_STORE_SECONDS, self.store.record_stream, session.id, streaming_session_id
            )
        if not faults.on("no_done_event"):
            reported_tokens = 0 if faults.on("zero_tokens_used") else tokens_used
            yield sse.event("done", {"tokensUsed": reported_tokens, "sessionId": session.id})
        for chunk in held_chunks:
            yield chunk
