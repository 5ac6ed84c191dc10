"""App factories for uvicorn, with settings from REFERENCE_* environment variables (see reference_services.settings).

    REFERENCE_JWT_SECRET=... REFERENCE_DATA_DIR=/var/tmp/chat-data \\
        uvicorn --factory reference_services.asgi:chat_app --host 127.0.0.1 --port 3002 --workers 4

Every worker builds its own app from the same environment; all state is in the shared SQLite files.
"""

from __future__ import annotations

from fastapi import FastAPI

from reference_services import accounting, auth, chat
from reference_services.settings import ServiceSettings


def auth_app() -> FastAPI:
    return auth.create_app(ServiceSettings.from_environment())


def accounting_app() -> FastAPI:
    return accounting.create_app(ServiceSettings.from_environment())


def chat_app() -> FastAPI:
    return chat.create_app(ServiceSettings.from_environment())
