from __future__ import annotations

from fastapi import FastAPI

from reference_services.auth import internal, routes
from reference_services.auth.storage import SEED_ACCOUNTS, UserStore
from reference_services.settings import ServiceSettings
from reference_services.web.app import health_router, new_service_app

SERVICE = "auth-service"


def create_app(settings: ServiceSettings) -> FastAPI:
    users = UserStore(settings.data_dir)
    users.seed(SEED_ACCOUNTS, settings.password_iterations)
    app = new_service_app(
        service=SERVICE,
        settings=settings,
        routers=[health_router("/health", SERVICE), routes.router, internal.router],
    )
    app.state.users = users
    return app
