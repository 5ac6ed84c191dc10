"""Routes for the other services only (not part of the contract), guarded by the internal service key."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Request

from reference_services.security import is_internal_service_key
from reference_services.web.errors import ApiError

# Lookups must not wait for the shared thread pool (40 threads for every sync route and dependency): under load
# sign-ins and user creations fill it with password hashing, and a lookup queued behind them made accounting's
# call time out (503). So the guard and the route are async, and the query runs in a lane of its own.
_LOOKUPS = anyio.CapacityLimiter(8)


async def internal_service(request: Request, x_service_key: Annotated[str | None, Header()] = None) -> None:
    """Only the other reference services know the key."""
    if not is_internal_service_key(x_service_key, request.app.state.settings.jwt_secret):
        raise ApiError(401, "service_key_invalid")


router = APIRouter(prefix="/internal", dependencies=[Depends(internal_service)], include_in_schema=False)


@router.get("/users/lookup")
async def lookup_user(ref: str, request: Request) -> dict:
    """A user by id or username (accounting's allocation accepts either)."""
    user = await anyio.to_thread.run_sync(request.app.state.users.find, ref, limiter=_LOOKUPS)
    if user is None:
        raise ApiError(404, "user_not_found")
    return user.public()
