"""Routes for the chat service only (not part of the contract), guarded by the internal service key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reference_services.accounting.routes import CreditsDep
from reference_services.accounting.schemas import ChargeRequest
from reference_services.accounting.storage import new_allocation
from reference_services.web.deps import FaultsDep, SettingsDep, internal_service

router = APIRouter(prefix="/internal/credits", dependencies=[Depends(internal_service)], include_in_schema=False)


@router.get("/balance")
def balance(user_id: Annotated[str, Query(alias="userId")], credits: CreditsDep, faults: FaultsDep) -> dict:
    """What the chat service checks before it streams a reply."""
    if faults.on("spent_allocations_pass_credit_check"):
        return {"userId": user_id, "totalCredits": credits.allocated_unexpired(user_id)}
    return {"userId": user_id, "totalCredits": credits.balance(user_id)}


@router.post("/refund")
def refund(body: ChargeRequest, credits: CreditsDep, settings: SettingsDep) -> dict:
    """Credits given back, as an allocation of their own (confirmation_refunds_client_count)."""
    credits.allocate(new_allocation(body.user_id, body.credits, settings.default_expiry_days), "refund", "system")
    return {"userId": body.user_id, "totalCredits": credits.balance(body.user_id)}


@router.post("/charge")
def charge(body: ChargeRequest, credits: CreditsDep) -> dict:
    charged = credits.charge(body.user_id, body.credits)
    return {"userId": body.user_id, "charged": charged, "totalCredits": credits.balance(body.user_id)}
