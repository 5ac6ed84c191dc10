from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reference_services.accounting import internal, routes
from reference_services.accounting.storage import CreditStore
from reference_services.accounting.users import UserDirectory
from reference_services.internal_api import internal_http_client
from reference_services.security import internal_service_key
from reference_services.settings import ServiceSettings
from reference_services.web.app import health_router, new_service_app

SERVICE = "accounting-service"
WELCOME_CREDITS = 100  # welcome_credits, welcome_credits_unchecked_balance


def create_app(settings: ServiceSettings) -> FastAPI:
    faults = settings.faults
    welcome_credits = settings.welcome_credits
    if faults.on("different_economics"):
        welcome_credits = 1000
    elif faults.on("welcome_credits") or faults.on("welcome_credits_unchecked_balance"):
        welcome_credits = WELCOME_CREDITS
    credits = CreditStore(
        settings.data_dir,
        welcome_credits=welcome_credits,
        welcome_expiry_days=settings.default_expiry_days,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with internal_http_client(settings.internal_timeout_seconds) as client:
            app.state.user_directory = UserDirectory(
                client, settings.auth_url, internal_service_key(settings.jwt_secret), faults
            )
            yield

    app = new_service_app(
        service=SERVICE,
        settings=settings,
        routers=[health_router("/health", SERVICE), routes.router, internal.router],
        lifespan=lifespan,
    )
    app.state.credits = credits
    return app
