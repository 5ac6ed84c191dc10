from __future__ import annotations

from typing import Annotated

from pydantic import Field, JsonValue, StrictInt, WithJsonSchema

from reference_services.web.fields import OpaqueId, RequestBody, Text

MAX_TEXT = 100_000


class NewSessionRequest(RequestBody):
    title: Text | None = Field(default=None, max_length=200)
    initial_message: Text | None = Field(default=None, alias="initialMessage", max_length=MAX_TEXT)
    model_id: OpaqueId | None = Field(default=None, alias="modelId")
    # Not the contract's: any JSON, ignored (only the session_owner_from_body fault takes it as the owner).
    user_id: Annotated[JsonValue, WithJsonSchema({})] = Field(default=None, alias="userId", exclude=True)


class StreamRequest(RequestBody):
    # Required: the route refuses a missing message (where the missing_question_answered fault can skip it).
    message: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    model_id: OpaqueId | None = Field(default=None, alias="modelId")


class UpdateStreamRequest(RequestBody):
    complete_response: Text = Field(alias="completeResponse")
    # Any JSON here; chat.confirmation.claim_matches refuses all but strings (see why there).
    streaming_session_id: Annotated[JsonValue, WithJsonSchema({"type": "string"})] = Field(alias="streamingSessionId")
    # ">= 0" is checked by the route (where the negative_tokens_used_accepted fault can skip it).
    tokens_used: StrictInt = Field(alias="tokensUsed", le=1_000_000_000)
    # Not the contract's: any JSON, ignored (only the confirmation_target_from_body fault takes it as the target).
    session_id: Annotated[JsonValue, WithJsonSchema({})] = Field(default=None, alias="sessionId", exclude=True)
