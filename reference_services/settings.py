"""Settings shared by the three reference services (one frozen object, built once per process).

`start_platform` builds them in-process. To serve one service with uvicorn, and several worker processes
(`uvicorn --factory reference_services.asgi:chat_app --workers 4 --port 3002`), the factories in
`reference_services.asgi` read them from these environment variables:

    REFERENCE_JWT_SECRET (or JWT_SECRET)   the shared HS256 secret (required: every worker must agree)
    REFERENCE_DATA_DIR                     directory of the SQLite files (required: every worker shares it)
    REFERENCE_AUTH_URL                     default http://127.0.0.1:3000
    REFERENCE_ACCOUNTING_URL               default http://127.0.0.1:3001
    REFERENCE_CHAT_URL                     default http://127.0.0.1:3002
    REFERENCE_MODEL_CHUNKS                 pieces per reply, default 5
    REFERENCE_MODEL_CHUNK_DELAY            seconds between pieces, default 0.05
    REFERENCE_FAULTS                       comma-separated fault names (`python -m reference_services --list-faults`)
    REFERENCE_PASSWORD_ITERATIONS          PBKDF2 iterations for new password hashes, default 200000
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reference_services.faults import NO_FAULTS, ActiveFaults

DEFAULT_PASSWORD_ITERATIONS = 200_000  # about 35 ms per login on a laptop core


class SettingsError(ValueError):
    """Settings that cannot work (missing secret, bad number...)."""


@dataclass(frozen=True)
class ServiceSettings:
    jwt_secret: str = field(repr=False)
    data_dir: Path
    auth_url: str = "http://127.0.0.1:3000"
    accounting_url: str = "http://127.0.0.1:3001"
    chat_url: str = "http://127.0.0.1:3002"
    faults: ActiveFaults = NO_FAULTS
    model_chunks: int = 5
    model_chunk_delay: float = 0.05
    password_iterations: int = DEFAULT_PASSWORD_ITERATIONS
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 7 * 24 * 3600
    credits_per_token: int = 1
    welcome_credits: int = 0
    default_expiry_days: int = 30
    max_body_bytes: int = 1024 * 1024
    internal_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise SettingsError("a JWT secret is required")
        if self.model_chunks < 1:
            raise SettingsError("model_chunks must be at least 1")
        if not math.isfinite(self.model_chunk_delay) or self.model_chunk_delay < 0:
            raise SettingsError("model_chunk_delay must not be negative")
        if self.password_iterations < 1:
            raise SettingsError("password_iterations must be at least 1")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ServiceSettings:
        secret = environ.get("REFERENCE_JWT_SECRET") or environ.get("JWT_SECRET")
        if not secret:
            raise SettingsError("set REFERENCE_JWT_SECRET (or JWT_SECRET): every worker must share one secret")
        data_dir = environ.get("REFERENCE_DATA_DIR")
        if not data_dir:
            raise SettingsError("set REFERENCE_DATA_DIR: every worker must share one data directory")
        faults = [name.strip() for name in environ.get("REFERENCE_FAULTS", "").split(",") if name.strip()]
        try:
            return cls(
                jwt_secret=secret,
                data_dir=Path(data_dir),
                auth_url=environ.get("REFERENCE_AUTH_URL", cls.auth_url),
                accounting_url=environ.get("REFERENCE_ACCOUNTING_URL", cls.accounting_url),
                chat_url=environ.get("REFERENCE_CHAT_URL", cls.chat_url),
                faults=ActiveFaults(faults),
                model_chunks=int(environ.get("REFERENCE_MODEL_CHUNKS", cls.model_chunks)),
                model_chunk_delay=float(environ.get("REFERENCE_MODEL_CHUNK_DELAY", cls.model_chunk_delay)),
                password_iterations=int(environ.get("REFERENCE_PASSWORD_ITERATIONS", cls.password_iterations)),
            )
        except ValueError as error:
            raise SettingsError(str(error)) from error
