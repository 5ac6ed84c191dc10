"""The accounting service's public routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from reference_services.accounting.schemas import AllocateRequest
from reference_services.accounting.storage import CreditStore, new_allocation
from reference_services.accounting.users import UserDirectory
from reference_services.internal_api import ServiceUnavailable
from reference_services.security import Caller
from reference_services.web.deps import CallerDep, FaultsDep, SettingsDep, ensure_role
from reference_services.web.errors import ApiError


def credit_store(request: Request) -> CreditStore:
    return request.app.state.credits


def user_directory(request: Request) -> UserDirectory:
    return request.app.state.user_directory


CreditsDep = Annotated[CreditStore, Depends(credit_store)]
DirectoryDep = Annotated[UserDirectory, Depends(user_directory)]


def credit_officer(caller: CallerDep, faults: FaultsDep) -> Caller:
    """The caller, if an admin or supervisor (a dependency, so that 401/403 come before any body check)."""
    if not faults.on("non_admin_allocation"):
        ensure_role(caller, *(("admin",) if faults.on("supervisor_refused") else ("admin", "supervisor")))
    return caller


def balance_reader(caller: CallerDep, faults: FaultsDep) -> Caller:
    """Who may read another user's balance: the credit officers."""
    if faults.on("supervisor_balance_refused"):
        ensure_role(caller, "admin")
    return caller if faults.on("balance_of_open_to_all") else credit_officer(caller, faults)


OfficerDep = Annotated[Caller, Depends(credit_officer)]
BalanceReaderDep = Annotated[Caller, Depends(balance_reader)]

router = APIRouter(prefix="/api/credits", tags=["credits"])


async def find_user_id(directory: UserDirectory, user_id_or_username: str) -> str:
    try:
        user = await directory.find(user_id_or_username)
    except ServiceUnavailable:
        raise ApiError(503, "auth_unavailable") from None
    if user is None:
        raise ApiError(404, "user_not_found")
    return user["id"]


@router.post("/allocate", status_code=201)
async def allocate(
    body: AllocateRequest,
    officer: OfficerDep,
    credits: CreditsDep,
    directory: DirectoryDep,
    settings: SettingsDep,
    faults: FaultsDep,
) -> dict:
    if body.credits <= 0 and not faults.on("nonpositive_allocation_accepted"):
        raise ApiError(400, "credits_must_be_positive")
    user_id = await find_user_id(directory, str(body.user_id))
    if faults.on("username_allocation_refused") and user_id != str(body.user_id):
        raise ApiError(404, "user_not_found")
    allocation = new_allocation(user_id, body.credits, body.expiry_days or settings.default_expiry_days)
    if not faults.on("allocation_ignored"):
        credits.allocate(allocation, body.notes, allocated_by=officer.id)
    return allocation.created_answer()


def balance_answer(credits: CreditStore, user_id: str) -> dict:
    allocations = credits.active_allocations(user_id)
    return {
        "userId": user_id,
        "totalCredits": sum(allocation.remaining_credits for allocation in allocations),
        "activeAllocations": [allocation.balance_entry() for allocation in allocations],
    }


@router.get("/balance")
def own_balance(caller: CallerDep, credits: CreditsDep) -> dict:
    return balance_answer(credits, caller.id)


@router.get("/balance/{user_id}")
async def user_balance(
    user_id: str, reader: BalanceReaderDep, credits: CreditsDep, directory: DirectoryDep, faults: FaultsDep
) -> dict:
    try:
        target = await find_user_id(directory, user_id)
    except ApiError as refusal:
        if refusal.status_code != 404 or not faults.on("balance_of_unknown_user_200"):
            raise
        target = user_id  # a sum over no allocations: 0
    return balance_answer(credits, reader.id if faults.on("balance_of_ignores_user") else target)
