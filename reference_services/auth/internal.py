"""Routes for the other services only (not part of the contract), guarded by the internal service key."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from reference_services.auth.routes import UsersDep
from reference_services.web.deps import internal_service
from reference_services.web.errors import ApiError

router = APIRouter(prefix="/internal", dependencies=[Depends(internal_service)], include_in_schema=False)


@router.get("/users/lookup")
def lookup_user(ref: str, users: UsersDep) -> dict:
    """A user by id or username (accounting's allocation accepts either)."""
    user = users.find(ref)
    if user is None:
        raise ApiError(404, "user_not_found")
    return user.public()
