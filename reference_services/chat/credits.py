"""Asks the accounting service for a user's balance, and charges it for a completed stream."""

from __future__ import annotations

from reference_services.internal_api import InternalClient


class CreditsClient(InternalClient):
    async def balance(self, user_id: str) -> int:
        response = await self.call("GET", "/internal/credits/balance", params={"userId": user_id})
        return int(response.json()["totalCredits"])

    async def charge(self, user_id: str, credits: int) -> int:
        """Returns the credits actually taken (never more than the balance)."""
        response = await self.call("POST", "/internal/credits/charge", json={"userId": user_id, "credits": credits})
        return int(response.json()["charged"])

    async def refund(self, user_id: str, credits: int) -> None:
        """Gives credits back (confirmation_refunds_client_count)."""
        await self.call("POST", "/internal/credits/refund", json={"userId": user_id, "credits": credits})
