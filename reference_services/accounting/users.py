"""Asks the auth service who a user id or username is."""

from __future__ import annotations

from reference_services.internal_api import InternalClient


class UserDirectory(InternalClient):
    async def find(self, user_id_or_username: str) -> dict | None:
        """The user's {"id", "username", "email", "role"}, or None if auth knows no such user."""
        response = await self.call("GET", "/internal/users/lookup", params={"ref": user_id_or_username}, ok=(200, 404))
        return response.json() if response.status_code == 200 else None
