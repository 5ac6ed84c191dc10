"""Small pure-ASGI middleware (pure ASGI so that they never buffer or break a streamed reply)."""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_services.web.errors import BodyTooLarge

STREAMING_ID_HEADER = "X-Streaming-Session-Id"


class BodySizeLimit:
    """Refuses request bodies above a cap with a JSON 413, whether declared by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        too_large_declared = declared.isdigit() and int(declared) > self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_large_declared:
                raise BodyTooLarge(self.max_body_bytes)
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            return message

        # FastAPI re-raises an HTTPException met while reading the body, so the JSON error handler answers it.
        await self.app(scope, limited_receive, send)


class _HeaderRewrite:
    """Changes the headers of every response as it starts (`rewrite`), never touching the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def rewrite(self, headers: MutableHeaders) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.rewrite(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_rewritten)


class ExposeStreamingIdHeader(_HeaderRewrite):
    """Lists X-Streaming-Session-Id in Access-Control-Expose-Headers on every response of the chat service.

    CORSMiddleware only does so for requests with an Origin header; the contract asks for every chat response.
    """

    def rewrite(self, headers: MutableHeaders) -> None:
        exposed = [name.strip() for name in headers.get("access-control-expose-headers", "").split(",")]
        if STREAMING_ID_HEADER.lower() not in (name.lower() for name in exposed):
            headers["Access-Control-Expose-Headers"] = ", ".join([*filter(None, exposed), STREAMING_ID_HEADER])


class SetHeader(_HeaderRewrite):
    """Sets one header on every response, as a gateway in front of a service might (`only_replace`: only where
    the service already sent it). For faults: a CORS origin written over, a rate-limit header added."""

    def __init__(self, app: ASGIApp, name: str, value: Callable[[], str], only_replace: bool = False) -> None:
        super().__init__(app)
        self.name = name
        self.value = value
        self.only_replace = only_replace

    def rewrite(self, headers: MutableHeaders) -> None:
        if not self.only_replace or self.name in headers:
            headers[self.name] = self.value()


class ExtraFields:
    """The `extra_fields` fault: every JSON object answer carries fields the contract does not name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def send_with_extras(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if Headers(raw=message["headers"]).get("content-type", "").startswith("application/json"):
                    start = message  # hold it until the whole body is here
                    return
                await send(message)
            elif start is None:
                await send(message)
            else:
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                payload = bytes(body)
                try:
                    answer = json.loads(payload)
                except ValueError:
                    answer = None
                if isinstance(answer, dict):
                    extras = {"requestId": secrets.token_hex(8), "apiVersion": "1.0"}
                    payload = json.dumps({**extras, **answer}).encode()
                headers = MutableHeaders(scope=start)
                headers["content-length"] = str(len(payload))
                await send(start)
                await send({"type": "http.response.body", "body": payload, "more_body": False})

        await self.app(scope, receive, send_with_extras)


class RefuseCrossOrigin:
    """The `cors_origin_404` fault: every request that carries an Origin header gets a JSON 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "origin" not in Headers(scope=scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"message": "Not found"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class RateLimit:
    """A rate limit per client (by address), as a deployment's API gateway applies it: `limit` requests in each
    fixed window of `window_s` seconds; beyond it, a JSON 429 with Retry-After until the window ends, as the
    contract allows. `rate_limited`: 20 a second, unannounced. `strict_rate_limit`: 30 a minute on chat, and every
    answer says so (X-RateLimit-Limit, -Remaining, -Reset as a Unix time, and RateLimit-Policy)."""

    def __init__(self, app: ASGIApp, limit: int, window_s: int, announce: bool = False) -> None:
        self.app = app
        self.limit = limit
        self.window_s = window_s
        self.announce = announce
        self._windows: dict[str, tuple[float, int]] = {}  # client -> (window start, requests in it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Service-to-service calls (/internal) pass: a gateway limits the platform's clients, not its own services.
        if scope["type"] != "http" or scope.get("path", "").startswith("/internal/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        now = time.time()
        start, count = self._windows.get(client, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        self._windows[client] = (start, count + 1)
        reset = start + self.window_s
        announced = (
            [
                (b"x-ratelimit-limit", str(self.limit).encode()),
                (b"x-ratelimit-remaining", str(max(0, self.limit - count - 1)).encode()),
                (b"x-ratelimit-reset", str(math.ceil(reset)).encode()),
                (b"ratelimit-policy", f"{self.limit};w={self.window_s}".encode()),
            ]
            if self.announce
            else []
        )
        if count < self.limit:

            async def send_announcing(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *announced]}
                await send(message)

            await self.app(scope, receive, send_announcing)
            return
        body = json.dumps({"message": "Too many requests: slow down"}).encode()
        retry_after = str(max(1, math.ceil(reset - now)))
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"retry-after", retry_after.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *announced,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
