"""The chat service's public routes."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from reference_services.chat.confirmation import claim_matches
from reference_services.chat.schemas import NewSessionRequest, StreamRequest, UpdateStreamRequest
from reference_services.chat.storage import ChatStore, Session
from reference_services.chat.streaming import (
    ReplyStreamer,
    new_session_id,
    new_streaming_session_id,
    streaming_id_header_name,
)
from reference_services.model import ReplyModel
from reference_services.security import Caller
from reference_services.timestamps import iso
from reference_services.web.deps import BearerDep, CallerDep, FaultsDep, SettingsDep, WordingDep, current_caller
from reference_services.web.errors import ApiError, error_response
from reference_services.web.middleware import STREAMING_ID_HEADER

SLOW_CONFIRMATION_SECONDS = 1.2  # slow_confirmation


def chat_store(request: Request) -> ChatStore:
    return request.app.state.chats


def reply_model(request: Request) -> ReplyModel:
    return request.app.state.model


def reply_streamer(request: Request) -> ReplyStreamer:
    return request.app.state.replies


ChatsDep = Annotated[ChatStore, Depends(chat_store)]
ModelDep = Annotated[ReplyModel, Depends(reply_model)]
StreamerDep = Annotated[ReplyStreamer, Depends(reply_streamer)]


def chat_caller(
    request: Request,
    caller: CallerDep,
    faults: FaultsDep,
    x_user_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    """Who is calling: the access token alone decides."""
    if faults.on("identity_from_header") and x_user_id:
        return replace(caller, id=x_user_id)
    if (
        faults.on("identity_header_on_writes")
        and x_user_id
        and request.url.path.endswith(("/stream", "/update-stream"))
    ):
        return replace(caller, id=x_user_id)
    return caller


ChatCallerDep = Annotated[Caller, Depends(chat_caller)]


def owner_key(caller: Caller, faults: FaultsDep) -> str:
    """What a conversation's owner is recorded and checked as: the caller's id (sessions_owned_by_username: the
    username, req.user.username)."""
    return caller.username if faults.on("sessions_owned_by_username") else caller.id


def owned_session(session_id: str, caller: ChatCallerDep, chats: ChatsDep, faults: FaultsDep) -> Session:
    """The session, if it exists and belongs to the caller; 404 otherwise (never 403: it does not exist for them)."""
    if faults.on("session_lookup_sql_injection"):  # the owner is part of the query, and the query is a string
        owned = chats.find_owned_session(session_id, caller.id)
        if owned is None:
            raise ApiError(404, "session_not_found")
        return owned
    session = chats.get_session(session_id)
    if faults.on("staff_bypass_ownership") and session is not None and caller.role in ("admin", "supervisor"):
        return session  # "staff may moderate any conversation"
    if session is None or (session.user_id != owner_key(caller, faults) and not faults.on("no_ownership_check")):
        if session is not None and faults.on("foreign_404_names_owner"):
            raise ApiError(404, "session_of_another_user", title=session.title, owner=session.user_id)
        if session is not None and faults.on("foreign_404_names_stream"):
            raise ApiError(404, "session_not_yours", stream=session.streaming_session_id)
        raise ApiError(404, "session_not_found")
    return session


SessionDep = Annotated[Session, Depends(owned_session)]

router = APIRouter(prefix="/api", tags=["chat"])


@router.get("/models")
def list_models(
    request: Request, model: ModelDep, settings: SettingsDep, faults: FaultsDep, credentials: BearerDep
) -> dict:
    if not faults.on("models_open"):
        current_caller(request, settings, credentials)  # 401 without a valid access token
    available = not faults.on("no_models_available")
    return {"models": [{"id": model.id, "name": model.name, "available": available, "provider": "builtin"}]}


async def stored_before_validation(request: Request, caller: ChatCallerDep, chats: ChatsDep, faults: FaultsDep) -> None:
    """non_text_title_stored: the conversation is stored before the body is validated (FastAPI runs this
    dependency first), so a title that is not text is stored, and the request is then refused with 400."""
    if not faults.on("non_text_title_stored"):
        return
    try:
        body = await request.json()
    except ValueError:
        return
    title = body.get("title") if isinstance(body, dict) else None
    if title is not None and not isinstance(title, str):
        chats.create_session(new_session_id(faults), caller.id, str(title), None, None)


@router.post("/chat/sessions", status_code=201, dependencies=[Depends(stored_before_validation)])
def create_session(
    caller: ChatCallerDep,
    chats: ChatsDep,
    faults: FaultsDep,
    say: WordingDep,
    body: Annotated[NewSessionRequest | None, Body()] = None,
) -> dict:
    body = body or NewSessionRequest()
    title = body.title or (body.initial_message or "").strip()[:50] or "New chat"
    model_id = None if body.model_id is None else str(body.model_id)
    owner = owner_key(caller, faults)
    if faults.on("session_owner_from_body") and isinstance(body.user_id, str) and body.user_id:
        owner = body.user_id  # {userId: caller.id, ...req.body}: the body's userId wins
    session = chats.create_session(new_session_id(faults), owner, title, model_id, body.initial_message)
    if faults.on("greeting_message"):
        chats.add_message(session.id, "assistant", say("greeting"))
    answer = {"sessionId": session.id, "title": session.title, "createdAt": iso(session.created_at)}
    if faults.on("created_at_missing"):
        del answer["createdAt"]
    return answer


@router.get("/chat/sessions")
def list_sessions(
    caller: ChatCallerDep,
    chats: ChatsDep,
    faults: FaultsDep,
    user_id: Annotated[str | None, Query(alias="userId", include_in_schema=False)] = None,
) -> dict:
    owner = owner_key(caller, faults)
    if faults.on("sessions_of_user_query") and user_id:
        owner = user_id  # the web client filters by its own user id; the service took the filter as the owner
    sessions = chats.list_sessions(None if faults.on("foreign_sessions_listed") else owner)
    if faults.on("sessions_not_listed"):
        sessions = []
    return {"sessions": [session.summary() for session in sessions], "total": len(sessions)}


@router.get("/chat/sessions/{session_id}")
def get_session(session: SessionDep, chats: ChatsDep, faults: FaultsDep) -> dict:
    messages = chats.messages(session.id)
    if faults.on("messages_out_of_order"):
        messages.reverse()
    return {**session.summary(), "messages": [message.answer() for message in messages]}


@router.delete("/chat/sessions/{session_id}")
def delete_session(session: SessionDep, chats: ChatsDep, faults: FaultsDep, say: WordingDep) -> dict:
    if not faults.on("delete_ignored"):
        chats.delete_session(session.id)
    return {"message": say("session_deleted"), "sessionId": session.id}


@router.post(
    "/chat/sessions/{session_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_reply(
    body: StreamRequest, session: SessionDep, caller: ChatCallerDep, replies: StreamerDep, faults: FaultsDep
) -> StreamingResponse:
    # Everything that can refuse the request happens before the first byte, as plain JSON.
    if body.message is None:
        if not faults.on("missing_question_answered"):
            raise ApiError(400, "invalid_body", detail="message: Field required")
        body = body.model_copy(update={"message": ""})
    if faults.on("question_saved_before_credit_check"):
        replies.store.add_message(session.id, "user", body.message)
    if faults.on("id_issued_before_credit_check"):
        replies.store.record_stream(session.id, new_streaming_session_id(faults))
    await replies.ensure_credits(caller)
    streaming_session_id = await replies.issue_stream(session, body.message)
    response = StreamingResponse(
        replies.events(session, caller, body.message, streaming_session_id),
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    if not faults.on("no_id_header"):
        # Appended raw: Starlette would lower-case a name given in `headers`; uvicorn writes raw names as given.
        name = streaming_id_header_name(faults)
        response.raw_headers.append((name.encode("latin-1"), streaming_session_id.encode("latin-1")))
    return response


@router.post("/chat/sessions/{session_id}/update-stream")
def update_stream(
    request: Request,
    body: UpdateStreamRequest,
    session: SessionDep,
    caller: ChatCallerDep,
    chats: ChatsDep,
    replies: StreamerDep,
    faults: FaultsDep,
    say: WordingDep,
) -> dict:
    """Confirms the streamed reply, if the streaming session ID is the one issued for the latest stream.
    (With expected_id_in_header the refusal is returned as a response of its own, to carry the header.)"""
    if faults.on("slow_confirmation"):
        time.sleep(SLOW_CONFIRMATION_SECONDS)  # a sync route: this waits in the thread pool, not the event loop
    negative_accepted = faults.on("negative_tokens_used_accepted") or faults.on("later_id_store_negative_tokens")
    if body.tokens_used < 0 and not negative_accepted:
        raise ApiError(400, "tokens_used_negative")
    if faults.on("write_before_check"):
        chats.confirm_reply(session.id, body.complete_response)
    if not claim_matches(body.streaming_session_id, session, chats, faults):
        if faults.on("wrong_id_500"):
            raise ApiError(500, "internal_error")
        if faults.on("wrong_id_vague_400"):
            raise ApiError(400, "streaming_id_vague")
        if faults.on("mismatch_charges_caller"):  # charged at the top of the handler, never refunded
            anyio.from_thread.run(
                replies.credits.charge, caller.id, max(body.tokens_used, 1) * replies.credits_per_token
            )
        if faults.on("expected_id_in_field") or faults.on("last_stream_cookie"):
            refusal = error_response(request, 400, "streaming_id_mismatch")
            if faults.on("expected_id_in_field"):
                refusal = JSONResponse({**json.loads(refusal.body), "expectedToken": session.streaming_session_id}, 400)
            else:
                refusal.set_cookie("last_stream", session.streaming_session_id or "", httponly=True)
            return refusal
        if faults.on("reveal_expected_id") or faults.on("jwt_id_in_mismatch"):
            raise ApiError(400, "streaming_id_mismatch_revealing", expected=session.streaming_session_id)
        if faults.on("id_tail_in_message"):
            raise ApiError(400, "streaming_id_mismatch_hint", tail=(session.streaming_session_id or "")[-8:])
        if faults.on("mismatch_session_cookie"):  # cookie-session: the whole session, base64 JSON, re-sent
            refusal = error_response(request, 400, "streaming_id_mismatch")
            state = {"lastStreamingSessionId": session.streaming_session_id, "failedConfirmations": 1}
            refusal.set_cookie("session", base64.b64encode(json.dumps(state).encode()).decode(), httponly=True)
            return refusal
        if faults.on("expected_id_in_header"):
            refusal = error_response(request, 400, "streaming_id_mismatch")
            refusal.headers[STREAMING_ID_HEADER] = session.streaming_session_id or ""
            return refusal
        raise ApiError(400, "streaming_id_mismatch")
    if faults.on("confirmation_refunds_client_count"):  # settles the charge with the client's count of tokens
        issued = str(body.streaming_session_id)
        counted = replies.counted.get(issued, body.tokens_used)
        replies.counted[issued] = body.tokens_used
        settle = replies.credits.charge if body.tokens_used > counted else replies.credits.refund
        if body.tokens_used != counted:
            anyio.from_thread.run(settle, caller.id, abs(body.tokens_used - counted) * replies.credits_per_token)
    target = session.id
    if faults.on("confirmation_target_from_body") and isinstance(body.session_id, str) and body.session_id:
        target = body.session_id  # req.body.sessionId ?? req.params.sessionId: checked the path, wrote the body's
    if not (faults.on("confirmation_not_saved") or faults.on("reply_not_saved")):
        chats.confirm_reply(target, body.complete_response, first_reply=faults.on("confirm_edits_first_reply"))
    tokens_used = str(body.tokens_used) if faults.on("tokens_used_as_string") else body.tokens_used
    return {"message": say("reply_confirmed"), "sessionId": session.id, "tokensUsed": tokens_used}
