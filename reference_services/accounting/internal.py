"""Routes for the chat service only (not part of the contract), guarded by the internal service key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reference_services.accounting.routes import CreditsDep
from reference_services.accounting.schemas import ChargeRequest
from reference_services.web.deps import FaultsDep, internal_service

router = APIRouter(prefix="/internal/credits", dependencies=[Depends(internal_service)], include_in_schema=False)


@router.get("/balance")
def balance(user_id: Annotated[str, Query(alias="userId")], credits: CreditsDep, faults: FaultsDep) -> dict:
    """What the chat service checks before it streams a reply."""
    if faults.on("spent_allocations_pass_credit_check"):
        return {"userId": user_id, "totalCredits": credits.allocated_unexpired(user_id)}
    return {"userId": user_id, "totalCredits": credits.balance(user_id)}


@router.post("/charge")
def charge(body: ChargeRequest, credits: CreditsDep) -> dict:
    charged = credits.charge(body.user_id, body.credits)
    return {"userId": body.user_id, "charged": charged, "totalCredits": credits.balance(body.user_id)}
