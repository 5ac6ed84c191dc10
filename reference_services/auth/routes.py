"""The auth service's public routes (thin: checks, then the store)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from reference_services.auth.schemas import LoginRequest, NewUserRequest
from reference_services.auth.storage import DuplicateUser, UserStore
from reference_services.security import ACCESS_TOKEN_COOKIE, Caller, create_token, hash_password, verify_password
from reference_services.web.deps import CallerDep, FaultsDep, SettingsDep, WordingDep, ensure_role
from reference_services.web.errors import ApiError


def user_store(request: Request) -> UserStore:
    return request.app.state.users


UsersDep = Annotated[UserStore, Depends(user_store)]

router = APIRouter(prefix="/api", tags=["auth"])

SHORT_TOKEN_SECONDS = 3  # short_lived_tokens


@router.post("/auth/login")
def login(body: LoginRequest, users: UsersDep, settings: SettingsDep, faults: FaultsDep, response: Response) -> dict:
    user = users.find_by_username(body.username)
    if user is None:
        hash_password(body.password, settings.password_iterations)  # same cost either way: no user enumeration
        raise ApiError(401, "login_failed")
    if not verify_password(body.password, user.password_hash) and not faults.on("login_any_password"):
        raise ApiError(401, "login_failed")
    caller = Caller(user.id, user.username, user.email, user.role)
    lifetime = SHORT_TOKEN_SECONDS if faults.on("short_lived_tokens") else settings.access_token_seconds
    access_token = create_token(caller, "access", settings.jwt_secret, lifetime)
    # identity_from_cookie sets the cookie too: it is the defect of a service that then believes it.
    if faults.on("access_token_cookie") or faults.on("identity_from_cookie"):
        response.set_cookie(ACCESS_TOKEN_COOKIE, access_token, max_age=lifetime, httponly=True, samesite="lax")
    return {
        "accessToken": access_token,
        "refreshToken": create_token(caller, "refresh", settings.jwt_secret, settings.refresh_token_seconds),
        "user": {**user.public(), "role": "enduser"} if faults.on("login_reports_default_role") else user.public(),
    }


def admin_caller(caller: CallerDep, faults: FaultsDep) -> Caller:
    """The caller, if an admin (a dependency, so that 401/403 come before any body check)."""
    if not faults.on("enduser_manages_users"):
        ensure_role(caller, *(("admin", "supervisor") if faults.on("supervisor_manages_users") else ("admin",)))
    return caller


def creator(caller: CallerDep, faults: FaultsDep) -> Caller:
    """Who may create users: the admin caller (or, with forbidden_creation_stored, anyone, checked too late)."""
    return caller if faults.on("forbidden_creation_stored") else admin_caller(caller, faults)


def user_remover(caller: CallerDep, faults: FaultsDep) -> Caller:
    return caller if faults.on("enduser_deletes_users") else admin_caller(caller, faults)


@router.post("/admin/users", status_code=201)
def create_user(
    body: NewUserRequest,
    caller: Annotated[Caller, Depends(creator)],
    users: UsersDep,
    settings: SettingsDep,
    say: WordingDep,
    faults: FaultsDep,
) -> dict:
    try:
        user = users.create(
            body.username, body.email, hash_password(body.password, settings.password_iterations), body.role
        )
    except DuplicateUser:
        existing = users.find_in_use(body.username, body.email) if faults.on("duplicate_user_accepted") else None
        if existing is None:
            raise ApiError(400, "user_exists") from None
        user = existing
    if faults.on("forbidden_creation_stored"):
        admin_caller(caller, faults)  # the role check, after the account was stored
    return {"message": say("user_created"), "userId": user.id}


@router.delete("/admin/users/{user_id}", dependencies=[Depends(user_remover)])
def delete_user(user_id: str, users: UsersDep, say: WordingDep, faults: FaultsDep) -> dict:
    if faults.on("user_delete_ignored"):
        found = users.find(user_id) is not None
    else:
        found = users.delete(user_id)
    if not found and not faults.on("delete_unknown_user_200"):
        raise ApiError(404, "user_not_found")
    return {"message": say("user_deleted"), "userId": user_id}
