"""Helpers for the reference platform's tests: a small HTTP client over real sockets, SSE parsing, waiting.

Deliberately independent of chat_acceptance: these tests check the platform itself. Hence names of their own
(ReferenceClient, ReferenceStream, eventually), never the library's (PlatformClient, StreamResult, poll_until).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
import requests
import sseclient

from reference_services import RunningPlatform

TIMEOUT = (3.0, 10.0)  # (connect, read) for every request
FAST = {"model_chunk_delay": 0.01, "password_iterations": 1000}
PASSWORDS = {"admin": "admin@admin", "supervisor1": "Supervisor1@", "user1": "User1@123", "user2": "User2@123"}


@dataclass
class ReferenceStream:
    """A stream of the reference platform, read to its end: the answer's head, the refusal's JSON, the events."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: dict | None = None  # the JSON error, when the stream was refused
    events: list[tuple[str, dict]] = field(default_factory=list)
    ended: str = "closed"  # done | error | closed | timeout

    @property
    def streaming_session_id(self) -> str | None:
        return self.headers.get("X-Streaming-Session-Id")

    @property
    def text(self) -> str:
        return "".join(payload["text"] for name, payload in self.events if name == "chunk")

    def payloads(self, name: str) -> list[dict]:
        return [payload for event, payload in self.events if event == name]


def sse_events(pieces: Iterable[bytes]) -> Iterator[tuple[str, dict]]:
    """(event name, JSON payload) of each event in a stream's bytes, however they were cut, by sseclient-py."""
    for event in sseclient.SSEClient(pieces).events():
        yield event.event, json.loads(event.data)


class ReferenceClient:
    """The testkit's client of one running reference platform (plain requests); logs users in once and keeps
    their tokens."""

    def __init__(self, platform: RunningPlatform, chat_url: str | None = None) -> None:
        self.platform = platform
        self.chat_url = chat_url or platform.chat_url  # another server of the same chat data, if given
        self.http = requests.Session()
        self.http.trust_env = False  # never through a proxy from the environment
        self._tokens: dict[str, dict] = {}

    # --- plumbing ---

    def url(self, service: str, path: str) -> str:
        base = {"auth": self.platform.auth_url, "accounting": self.platform.accounting_url}.get(service, self.chat_url)
        return base + path

    def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        user: str | None = None,
        token: str | None = None,
        headers: dict | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        **options,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if user is not None:
            token = self.token(user)
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url(service, path), headers=all_headers, timeout=timeout, **options)

    def login(self, username: str, password: str | None = None) -> requests.Response:
        body = {"username": username, "password": password or PASSWORDS[username]}
        return self.request("POST", "auth", "/api/auth/login", json=body)

    def tokens(self, username: str) -> dict:
        if username not in self._tokens:
            response = self.login(username)
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()
        return self._tokens[username]

    def token(self, username: str) -> str:
        return self.tokens(username)["accessToken"]

    def user_id(self, username: str) -> str:
        return self.tokens(username)["user"]["id"]

    # --- users and credits ---

    def new_user(self, role: str = "enduser") -> str:
        """Creates a fresh user (no credits) and returns its username; its password is in PASSWORDS."""
        username = f"u{uuid.uuid4().hex[:10]}"
        PASSWORDS[username] = "Passw0rd!x"
        response = self.request(
            "POST",
            "auth",
            "/api/admin/users",
            user="admin",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": PASSWORDS[username],
                "role": role,
                "skipVerification": True,
            },
        )
        assert response.status_code == 201, response.text
        return username

    def allocate(self, user_ref: str, credits: int = 5000, *, by: str = "admin", **extra) -> requests.Response:
        return self.request(
            "POST",
            "accounting",
            "/api/credits/allocate",
            user=by,
            json={"userId": user_ref, "credits": credits, **extra},
        )

    def balance(self, username: str) -> int:
        response = self.request("GET", "accounting", "/api/credits/balance", user=username)
        assert response.status_code == 200, response.text
        return response.json()["totalCredits"]

    def user_with_credits(self, credits: int = 5000) -> str:
        username = self.new_user()
        assert self.allocate(username, credits).status_code == 201
        return username

    # --- chat ---

    def new_session(self, user: str, **body) -> str:
        response = self.request("POST", "chat", "/api/chat/sessions", user=user, json=body or {"title": "test"})
        assert response.status_code == 201, response.text
        return response.json()["sessionId"]

    def session(self, user: str, session_id: str) -> requests.Response:
        return self.request("GET", "chat", f"/api/chat/sessions/{session_id}", user=user)

    def stream(
        self,
        user: str | None,
        session_id: str,
        message: str = "Hello there, model",
        *,
        token: str | None = None,
        read_timeout: float = 10.0,
        headers: dict | None = None,
    ) -> ReferenceStream:
        """Streams a reply and reads it to the end (done, error, close, or a read timeout)."""
        response = self.request(
            "POST",
            "chat",
            f"/api/chat/sessions/{session_id}/stream",
            user=user,
            token=token,
            json={"message": message},
            headers=headers,
            stream=True,
            timeout=(TIMEOUT[0], read_timeout),
        )
        with response:
            result = ReferenceStream(response.status_code, response.headers)
            if response.status_code != 200:
                result.body = response.json()
                return result
            try:
                for name, payload in sse_events(response.iter_content(chunk_size=None)):
                    result.events.append((name, payload))
                    if name in ("done", "error"):
                        result.ended = name
                        break
            except (requests.exceptions.ConnectionError, TimeoutError):
                result.ended = "timeout"
        return result

    def confirm(
        self,
        user: str | None,
        session_id: str,
        streaming_session_id: object,
        *,
        complete_response: str = "The complete reply",
        tokens_used: int = 5,
        body: dict | None = None,
        **options,
    ) -> requests.Response:
        if body is None:
            body = {
                "completeResponse": complete_response,
                "streamingSessionId": streaming_session_id,
                "tokensUsed": tokens_used,
            }
        return self.request(
            "POST", "chat", f"/api/chat/sessions/{session_id}/update-stream", user=user, json=body, **options
        )

    def streamed_session(self, user: str) -> tuple[str, ReferenceStream]:
        session_id = self.new_session(user)
        result = self.stream(user, session_id)
        assert result.ended == "done", result
        return session_id, result


def raw_http(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"", timeout: float = 5.0
) -> bytes:
    """Sends one request over a plain socket and returns the response head exactly as it came on the wire."""
    address = urlsplit(url)
    headers = {"Host": address.netloc, "Connection": "close", "Content-Length": str(len(body)), **headers}
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n\r\n", 1)[0]


def eventually(check: Callable[[], object], deadline_s: float = 3.0, interval_s: float = 0.02) -> object:
    """Calls `check` until it returns something truthy and returns that; fails after `deadline_s` seconds."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {deadline_s} s (last value: {value!r})")
        time.sleep(interval_s)


def bad_tokens(api: ReferenceClient, username: str) -> dict[str, str]:
    """Tokens that must all get 401: each breaks one rule of the contract for the given user."""
    claims = jwt.decode(api.token(username), api.platform.jwt_secret, algorithms=["HS256"])
    now = int(time.time())
    expired = {**claims, "iat": now - 7200, "exp": now - 3600}
    header, _, signature = api.token(username).split(".")
    tampered_payload = jwt.encode(
        {**claims, "sub": "someone-else", "role": "admin"}, "not-the-secret" * 4, algorithm="HS256"
    ).split(".")[1]
    return {
        "expired": jwt.encode(expired, api.platform.jwt_secret, algorithm="HS256"),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "wrong_key": jwt.encode(claims, "not-the-secret" * 4, algorithm="HS256"),
        "refresh": api.tokens(username)["refreshToken"],
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "garbage": "not.a.token",
    }
