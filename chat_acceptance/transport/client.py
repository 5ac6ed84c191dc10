"""The platform's three services, as ../shared/contract.md describes them: one API per service, sharing one
HttpTransport; the only code that knows the services' URLs and payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.http_transport import HttpTransport
from chat_acceptance.transport.sse import StreamResult

MISSING = object()  # a body field left out altogether


class _ServiceApi:
    name = ""
    health_path = ""

    def __init__(self, transport: HttpTransport, root: str, health_path: str | None = None):
        self.transport = transport
        self.root = root
        if health_path:  # a gateway may serve the health checks elsewhere
            self.health_path = health_path

    def call(self, method: str, path: str, **options: Any) -> ApiResponse:
        return self.transport.call(self.name, self.root, method, path, **options)

    def health(self) -> ApiResponse:
        return self.call("GET", self.health_path)


class AuthApi(_ServiceApi):
    name = "auth"
    health_path = "/health"

    def login(self, username: str, password: str) -> ApiResponse:
        return self.call("POST", "/api/auth/login", json={"username": username, "password": password})

    def signs_in(self, username: str, password: str) -> bool:
        """Whether the account exists with that password: the one outside view of an account the contract gives."""
        answer = self.login(username, password)
        if answer.status not in (200, 401):
            raise AssertionError(
                f"expected signing in to look at an account to answer 200 or 401, but it answered {answer.status}\n"
                f"account: {username!r}"
            )
        return answer.status == 200

    def create_user(
        self, token: str | None, *, username: str, email: str, password: str, role: str, **options: Any
    ) -> ApiResponse:
        body = {"username": username, "email": email, "password": password, "role": role, "skipVerification": True}
        return self.call("POST", "/api/admin/users", token=token, json=body, **options)

    def delete_user(self, token: str | None, user_id: str, **options: Any) -> ApiResponse:
        return self.call("DELETE", f"/api/admin/users/{_segment(user_id)}", token=token, **options)


class AccountingApi(_ServiceApi):
    name = "accounting"
    health_path = "/health"

    def allocate(
        self, token: str | None, user: str, credits: Any, *, notes: str | None = None, **options: Any
    ) -> ApiResponse:
        body: dict[str, Any] = {"userId": user, "credits": credits}
        if notes is not None:
            body["notes"] = notes
        return self.call("POST", "/api/credits/allocate", token=token, json=body, **options)

    def balance(self, token: str | None, **options: Any) -> ApiResponse:
        return self.call("GET", "/api/credits/balance", token=token, **options)

    def balance_of(self, token: str | None, user_id: str, **options: Any) -> ApiResponse:
        return self.call("GET", f"/api/credits/balance/{_segment(user_id)}", token=token, **options)


class ChatApi(_ServiceApi):
    name = "chat"
    health_path = "/api/health"

    def models(self, token: str | None, **options: Any) -> ApiResponse:
        return self.call("GET", "/api/models", token=token, **options)

    def create_session(self, token: str | None, *, title: str | None = None, **options: Any) -> ApiResponse:
        body = {} if title is None else {"title": title}
        return self.call("POST", "/api/chat/sessions", token=token, json=body, **options)

    def list_sessions(self, token: str | None, **options: Any) -> ApiResponse:
        return self.call("GET", "/api/chat/sessions", token=token, **options)

    def get_session(self, token: str | None, session_id: str, **options: Any) -> ApiResponse:
        return self.call("GET", session_path(session_id), token=token, **options)

    def delete_session(self, token: str | None, session_id: str, **options: Any) -> ApiResponse:
        return self.call("DELETE", session_path(session_id), token=token, **options)

    def stream_reply(
        self, token: str | None, session_id: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> StreamResult:
        path = session_path(session_id) + "/stream"
        return self.transport.stream(
            self.name, self.root, path, token=token, json={"message": message}, headers=headers
        )

    def ask_sending(self, token: str | None, session_id: str, body: Any) -> StreamResult:
        """A question whose whole body the caller chooses (for bodies the contract calls invalid)."""
        path = session_path(session_id) + "/stream"
        return self.transport.stream(self.name, self.root, path, token=token, json=body)

    def confirm_reply(self, token: str | None, session_id: str, body: Any, **options: Any) -> ApiResponse:
        return self.call("POST", session_path(session_id) + "/update-stream", token=token, json=body, **options)


def confirmation(complete_response: str, streaming_session_id: Any, tokens_used: int) -> dict[str, Any]:
    """The update-stream body that confirms a reply; a MISSING ID is left out."""
    body = {
        "completeResponse": complete_response,
        "streamingSessionId": streaming_session_id,
        "tokensUsed": tokens_used,
    }
    return {name: value for name, value in body.items() if value is not MISSING}


def session_path(session_id: str) -> str:
    return f"/api/chat/sessions/{_segment(session_id)}"


class PlatformClient:
    """The three services, sharing one transport."""

    def __init__(
        self,
        transport: HttpTransport,
        *,
        auth_url: str,
        accounting_url: str,
        chat_url: str,
        health_paths: tuple[str, str, str] | None = None,  # auth, accounting, chat; None: the contract's
    ):
        auth_health, accounting_health, chat_health = health_paths or (None, None, None)
        self.transport = transport
        self.auth = AuthApi(transport, auth_url, auth_health)
        self.accounting = AccountingApi(transport, accounting_url, accounting_health)
        self.chat = ChatApi(transport, chat_url, chat_health)

    @property
    def services(self) -> tuple[_ServiceApi, ...]:
        return (self.auth, self.accounting, self.chat)

    def service(self, name: str) -> _ServiceApi:
        """The service called `name`: "auth", "accounting" or "chat"."""
        return next(api for api in self.services if api.name == name)


def _segment(value: str) -> str:
    """An opaque ID as one path segment, whatever characters it holds (even "." or "..", which URL
    normalisation would otherwise remove)."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment in (".", "..") else segment
