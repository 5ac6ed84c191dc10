from __future__ import annotations

from pydantic import Field, StrictInt

from reference_services.web.fields import OpaqueId, RequestBody, Text

MAX_CREDITS = 1_000_000_000  # keeps every sum far inside SQLite's 64-bit integers


class AllocateRequest(RequestBody):
    user_id: OpaqueId = Field(alias="userId", description="a user id or a username")
    # Not gt=0 here: the route refuses non-positive amounts, so that a fault can switch that check off.
    credits: StrictInt = Field(ge=-MAX_CREDITS, le=MAX_CREDITS, description="an integer > 0")
    expiry_days: StrictInt | None = Field(default=None, alias="expiryDays", ge=1, le=3650)
    notes: Text | None = Field(default=None, max_length=1000)


class ChargeRequest(RequestBody):
    user_id: Text = Field(alias="userId", min_length=1)
    credits: StrictInt = Field(ge=0, le=MAX_CREDITS)
