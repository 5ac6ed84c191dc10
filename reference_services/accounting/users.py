"""Asks the auth service who a user id or username is."""

from __future__ import annotations

import httpx

from reference_services.faults import NO_FAULTS, ActiveFaults
from reference_services.internal_api import InternalClient


class UserDirectory(InternalClient):
    def __init__(
        self, client: httpx.AsyncClient, base_url: str, service_key: str, faults: ActiveFaults = NO_FAULTS
    ) -> None:
        super().__init__(client, base_url, service_key)
        self.faults = faults
        self._found: dict[str, dict] = {}  # deleted_user_cached: every user auth has found, kept for good

    async def find(self, user_id_or_username: str) -> dict | None:
        """The user's {"id", "username", "email", "role"}, or None if auth knows no such user."""
        if cached := self._found.get(user_id_or_username):
            return cached
        response = await self.call("GET", "/internal/users/lookup", params={"ref": user_id_or_username}, ok=(200, 404))
        user = response.json() if response.status_code == 200 else None
        if user is not None and self.faults.on("deleted_user_cached"):
            self._found[user_id_or_username] = user
        return user
