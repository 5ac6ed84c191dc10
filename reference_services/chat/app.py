from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reference_services.chat import routes
from reference_services.chat.credits import CreditsClient
from reference_services.chat.storage import ChatStore
from reference_services.chat.streaming import ReplyStreamer
from reference_services.internal_api import internal_http_client
from reference_services.model import BuiltinModel
from reference_services.security import internal_service_key
from reference_services.settings import ServiceSettings
from reference_services.web.app import health_router, new_service_app
from reference_services.web.protocol import SHUTTING_DOWN, shutting_down_signal

SERVICE = "chat-service"
SLOW_MODEL_DELAY = 0.2
EXPENSIVE_REPLY_CHARS = 1200  # expensive_model: replies as long as a real model's, at a credit per two characters


def create_app(settings: ServiceSettings) -> FastAPI:
    faults = settings.faults
    chats = ChatStore(settings.data_dir)
    delay = SLOW_MODEL_DELAY if faults.on("slow_model") else settings.model_chunk_delay
    wordy = EXPENSIVE_REPLY_CHARS if faults.on("expensive_model") else 0
    model = BuiltinModel(chunks=settings.model_chunks, chunk_delay=delay, min_reply_chars=wordy)
    credits_per_token = 3 if faults.on("different_economics") else settings.credits_per_token

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict]:
        state = shutting_down_signal()  # the server's protocol sets it when a graceful shutdown begins
        async with internal_http_client(settings.internal_timeout_seconds) as client:
            credits = CreditsClient(client, settings.accounting_url, internal_service_key(settings.jwt_secret))
            app.state.replies = ReplyStreamer(
                chats, model, credits, faults, app.state.wording, credits_per_token, state[SHUTTING_DOWN]
            )
            yield state

    app = new_service_app(
        service=SERVICE,
        settings=settings,
        routers=[health_router("/api/health", SERVICE), routes.router],
        lifespan=lifespan,
        exposes_streaming_id=True,
    )
    app.state.chats = chats
    app.state.model = model
    return app
