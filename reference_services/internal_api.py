"""Calls between the reference services (not part of the contract): /internal routes, a service key, timeouts."""

from __future__ import annotations

from typing import Any

import httpx

from reference_services.security import SERVICE_KEY_HEADER


class ServiceUnavailable(Exception):
    """Another reference service did not answer, or answered something unexpected."""


class InternalClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str, service_key: str) -> None:
        self.client = client  # created with a timeout by the app's lifespan
        self.base_url = base_url.rstrip("/")
        self.service_key = service_key

    async def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **options: Any) -> httpx.Response:
        try:
            response = await self.client.request(
                method, f"{self.base_url}{path}", headers={SERVICE_KEY_HEADER: self.service_key}, **options
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{method} {path}: {type(error).__name__}") from error
        if response.status_code not in ok:
            raise ServiceUnavailable(f"{method} {path}: status {response.status_code}")
        return response


# One client per app, its connections kept alive and reused. Under load (hundreds of streams at once, each with
# a balance check and a charge) httpx's default pool (100 connections, 20 kept alive) made calls queue for a
# connection, and the queueing counted against the call's timeout.
INTERNAL_LIMITS = httpx.Limits(max_connections=512, max_keepalive_connections=256, keepalive_expiry=30)


def internal_http_client(timeout_seconds: float) -> httpx.AsyncClient:
    # trust_env=False: calls between the services never go through a proxy taken from the environment.
    return httpx.AsyncClient(timeout=timeout_seconds, limits=INTERNAL_LIMITS, trust_env=False)
