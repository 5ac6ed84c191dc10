"""Dependencies every service uses: its settings, its wording and who the caller is."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reference_services.faults import ActiveFaults
from reference_services.security import (
    ACCESS_TOKEN_COOKIE,
    ANONYMOUS,
    ROLES,
    Caller,
    InvalidToken,
    decode_access_token,
    is_internal_service_key,
)
from reference_services.settings import ServiceSettings
from reference_services.web.errors import ApiError
from reference_services.wording import Wording

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/auth/login")


def service_settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


def active_faults(request: Request) -> ActiveFaults:
    return request.app.state.settings.faults


def wording(request: Request) -> Wording:
    return request.app.state.wording


SettingsDep = Annotated[ServiceSettings, Depends(service_settings)]
FaultsDep = Annotated[ActiveFaults, Depends(active_faults)]
WordingDep = Annotated[Wording, Depends(wording)]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_caller(request: Request, settings: SettingsDep, credentials: BearerDep) -> Caller:
    """The caller named by the Bearer access token; 401 for none, or an expired, forged or refresh token."""
    if credentials is None and settings.faults.on("identity_from_cookie") and request.cookies.get(ACCESS_TOKEN_COOKIE):
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=request.cookies[ACCESS_TOKEN_COOKIE])
    if credentials is None:
        if settings.faults.on("anonymous_access"):
            return ANONYMOUS
        raise ApiError(401, "token_missing")
    try:
        caller = decode_access_token(credentials.credentials, settings.jwt_secret, settings.faults)
    except InvalidToken:
        raise ApiError(401, "token_invalid") from None
    role = request.headers.get("X-User-Role")
    if settings.faults.on("role_from_gateway_header") and role in ROLES:  # "the API gateway sets it"
        caller = replace(caller, role=role)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def ensure_role(caller: Caller, *roles: str) -> None:
    if caller.role not in roles:
        raise ApiError(403, "forbidden")


def internal_service(settings: SettingsDep, x_service_key: Annotated[str | None, Header()] = None) -> None:
    """Guards the /internal routes: only the other reference services know the key."""
    if not is_internal_service_key(x_service_key, settings.jwt_secret):
        raise ApiError(401, "service_key_invalid")
