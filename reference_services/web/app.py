"""Builds a service's FastAPI app with what all three share: CORS, body cap, JSON errors, health."""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Lifespan

from reference_services.settings import ServiceSettings
from reference_services.web.errors import describe_errors_as_the_contract_does, install_error_handlers
from reference_services.web.middleware import (
    BodySizeLimit,
    ExposeStreamingIdHeader,
    ExtraFields,
    RateLimit,
    RefuseCrossOrigin,
    SetHeader,
)
from reference_services.wording import Wording

OTHER_ORIGIN = "https://portal.example.net"  # cors_other_origin
RATE_LIMIT_PER_SECOND = 20  # the `rate_limited` switch: requests per second per client, per service
STRICT_RATE_LIMIT, STRICT_RATE_WINDOW_S = 30, 60  # the `strict_rate_limit` switch: per client, on chat only


def new_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    lifespan: Lifespan[FastAPI] | None = None,
    exposes_streaming_id: bool = False,
) -> FastAPI:
    faults = settings.faults
    middleware = []  # outermost first
    if faults.on("rate_limited"):
        middleware.append(Middleware(RateLimit, limit=RATE_LIMIT_PER_SECOND, window_s=1))
    if faults.on("strict_rate_limit") and service == "chat-service":
        middleware.append(Middleware(RateLimit, limit=STRICT_RATE_LIMIT, window_s=STRICT_RATE_WINDOW_S, announce=True))
    if faults.on("rate_limit_reset_header"):  # the epoch second the next rate window starts
        middleware.append(Middleware(SetHeader, name="X-RateLimit-Reset", value=lambda: str(int(time.time()) + 1)))
    if faults.on("cors_other_origin"):  # a gateway's fixed origin written over the one CORS answered
        middleware.append(
            Middleware(SetHeader, name="Access-Control-Allow-Origin", value=lambda: OTHER_ORIGIN, only_replace=True)
        )
    if exposes_streaming_id and not faults.on("cors_hides_streaming_id"):
        middleware.append(Middleware(ExposeStreamingIdHeader))
    if not (faults.on("cors_only_on_chat") and service != "chat-service"):  # set up where the web client streams
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=(
                    ["Content-Type"]
                    if faults.on("cors_preflight_without_authorization")
                    else ["Authorization", "Content-Type"]
                ),
                max_age=600,
            )
        )
    if faults.on("cors_origin_404"):
        middleware.append(Middleware(RefuseCrossOrigin))  # inside CORS: its 404s still carry the CORS headers
    if faults.on("extra_fields"):
        middleware.append(Middleware(ExtraFields))
    middleware.append(Middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes))

    app = FastAPI(title=f"reference {service}", middleware=middleware, lifespan=lifespan)
    app.state.service = service
    app.state.settings = settings
    app.state.wording = Wording(alternative=faults.on("different_wording"))
    install_error_handlers(app)
    describe_errors_as_the_contract_does(app)
    for router in routers:
        app.include_router(router)
    return app


def health_router(path: str, service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(path)
    def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    return router
