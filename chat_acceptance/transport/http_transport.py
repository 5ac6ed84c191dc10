"""The HTTP transport every service call goes through: one requests.Session per thread that keeps no cookie,
a (connect, read) timeout on every call, a deadline and event cap on every stream, the run's health watcher
pacing each request, and every exchange recorded once, here, as it came (raw evidence: every header, Set-Cookie
included, and the whole body) and checked against the machine-readable contract before anyone looks at it.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import requests
import urllib3.exceptions

from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.exchange import ApiResponse, Claims, Exchange, PlatformUnavailable, route_of
from chat_acceptance.transport.run_health import RunHealth
from chat_acceptance.transport.sse import DeadlinePassed, Ending, StreamResult, arriving_pieces, read_stream

_MAX_BODY_BYTES = 10 * 1024 * 1024
_NO_BODY = object()  # no body at all (None sends a JSON null)


class ContractCheck(Protocol):
    """What the transport needs of chat_acceptance.contract.checker.ContractChecker."""

    def check_response(self, method: str, path: str, status: int, headers: Mapping[str, str], body: Any) -> None: ...

    def check_event(self, method: str, path: str, event: str, data: str) -> None: ...


@dataclass(frozen=True)
class Timeouts:
    connect_s: float
    read_s: float
    stream_deadline_s: float
    stream_event_cap: int


@dataclass(frozen=True)
class Connection:
    """How every request travels (a deployment's profile says): headers it always carries (an API gateway key),
    the proxy, which certificates to trust (True, False or a CA bundle's path) and the client certificate."""

    headers: Mapping[str, str] = field(default_factory=dict)
    proxy: str = ""
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None

    @classmethod
    def of(cls, config: SuiteConfig) -> Connection:
        certificate, key = config.client_certificate, config.client_key
        return cls(
            headers=config.extra_headers,
            proxy=config.proxy,
            verify=config.ca_bundle or config.verify_tls,
            cert=(certificate, key) if certificate and key else certificate or None,
        )


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Refuses to keep or send any cookie: every request carries exactly what its step says, never a credential
    that an earlier answer (a log-in, another persona's) left behind. A step that is about cookies sends them
    itself, as a Cookie header."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


class HttpTransport:
    """One requests.Session per thread, shared by the three services (its connections, never cookies); records
    and checks every exchange.

    A requests.Session is not thread-safe, so each thread that sends (the near misses of a family go out from a
    small pool) gets its own, made here; listeners are called one exchange at a time.
    Every request goes through `_send`, where the run's health watcher paces it, waits out a 429 and resends,
    and counts stalls and connection failures (run_health.py).
    """

    def __init__(
        self,
        timeouts: Timeouts,
        redactor: Redactor,
        checker: ContractCheck | None = None,
        health: RunHealth | None = None,
        connection: Connection | None = None,
    ):
        self.timeouts = timeouts
        self.redactor = redactor
        self.checker = checker
        self.health = health or RunHealth()
        self.connection = connection or Connection()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Exchange], None]] = []
        self._held: list[Exchange] | None = None  # exchanges held for delivery in the caller's thread
        self._send_listeners: list[Callable[[str, str, str], None]] = []
        self._claim_sources: list[Callable[[str], Claims]] = []
        self._finding_listeners: list[Callable[[AssertionError], None]] = []

    def add_listener(self, listener: Callable[[Exchange], None]) -> Callable[[], None]:
        """Calls `listener` with every exchange from now on; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_send_listener(self, listener: Callable[[str, str, str], None]) -> Callable[[], None]:
        """Calls `listener(service, method, path)` before every request leaves from now on (for what must be
        recorded before an attempt, such as the consequence check's snapshot); returns a function that stops it."""
        self._send_listeners.append(listener)
        return lambda: self._send_listeners.remove(listener)

    def add_claim_source(self, source: Callable[[str], Claims]) -> Callable[[], None]:
        """From now on, every request carrying a bearer token also carries the claims `source(token)` gives: its
        headers, its query parameters, and its body fields where `Claims.body_for` allows them (a step's own
        headers, parameters and fields win); returns a function that stops it."""
        self._claim_sources.append(source)
        return lambda: self._claim_sources.remove(source)

    def add_finding_listener(self, listener: Callable[[AssertionError], None]) -> Callable[[], None]:
        """From now on, an answer that breaks the contract's shapes is handed to `listener` instead of raising,
        so that the scenario still judges its own promise (behaviour first); returns a function that stops it."""
        self._finding_listeners.append(listener)
        return lambda: self._finding_listeners.remove(listener)

    @property
    def _session(self) -> requests.Session:
        """This thread's session (made on first use), which keeps no cookie."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.cookies.set_policy(_NoCookies())
            session.verify, session.cert = self.connection.verify, self.connection.cert
            if self.connection.proxy:
                session.proxies = {"http": self.connection.proxy, "https": self.connection.proxy}
            with self._lock:
                self._sessions.append(session)
        return session

    @contextmanager
    def delivered_here(self) -> Iterator[None]:
        """Exchanges recorded meanwhile, from any thread, reach the listeners when the block ends, in order and in
        this thread: a report attachment belongs to the running step, which only this thread's Allure context
        knows (a pool's thread would drop it)."""
        with self._lock:
            self._held = []
        try:
            yield
        finally:
            with self._lock:
                held, self._held = self._held or [], None
            for exchange in held:
                self._deliver(exchange)

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def call(
        self,
        service: str,
        root: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = _NO_BODY,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """Sends one request and reads the whole answer. `content` sends raw bytes as a JSON body."""
        request = self._prepare(root, method, path, token, json, content, headers)
        self._about_to_send(service, method, path)
        started = time.monotonic()
        try:
            answer, started = self._send(service, root, request, started, self.timeouts.read_s)
            body = _read_body(answer, started + self.timeouts.read_s)
        except (requests.RequestException, DeadlinePassed, urllib3.exceptions.HTTPError) as exc:
            raise self._unavailable(service, root, request, started, exc) from None
        text = body.decode(answer.encoding or "utf-8", errors="replace")
        self._record(service, request, started, answer.status_code, answer.headers, text)
        self._check_response(method, path, answer.status_code, answer.headers, body)
        return ApiResponse(
            f"{method} {route_of(path)}", answer.status_code, answer.headers, text, answer.cookies.get_dict()
        )

    def stream(
        self,
        service: str,
        root: str,
        path: str,
        *,
        token: str | None,
        json: Any,
        headers: Mapping[str, str] | None = None,
    ) -> StreamResult:
        """POSTs a request whose answer is an event stream and reads it within the stream deadline."""
        timeouts = self.timeouts
        request = self._prepare(root, "POST", path, token, json, None, headers)
        self._about_to_send(service, "POST", path)
        started = time.monotonic()
        try:
            # A silent server is cut off by the read timeout, never later than the overall deadline.
            answer, started = self._send(
                service, root, request, started, min(timeouts.read_s, timeouts.stream_deadline_s)
            )
        except requests.RequestException as exc:
            raise self._unavailable(service, root, request, started, exc) from None
        if answer.status_code == 200 and _is_event_stream(answer):
            result = read_stream(
                answer, deadline_s=timeouts.stream_deadline_s, max_events=timeouts.stream_event_cap, started=started
            )
            if result.ending is Ending.STALLED:
                self.health.stalled(service, "stream")
            else:
                self.health.stream_completed()
            body = None
        else:
            body = _read_refusal(answer, started + timeouts.read_s)
            ending = Ending.REFUSED if answer.status_code != 200 else Ending.NOT_A_STREAM
            result = StreamResult(
                status=answer.status_code,
                headers=answer.headers,
                streaming_session_id=None,
                events=(),
                ending=ending,
                duration_s=time.monotonic() - started,
                body=body,
            )
        result = replace(result, request=f"POST {route_of(path)}")
        self._record(service, request, started, result.status, result.headers, body, stream=result)
        self._check_response("POST", path, result.status, result.headers, body)
        for event in result.events:
            self._check_event("POST", path, event.name, event.data)
        return result

    def _about_to_send(self, service: str, method: str, path: str) -> None:
        for listener in list(self._send_listeners):
            listener(service, method, path)

    def _send(
        self, service: str, root: str, request: requests.PreparedRequest, started: float, read_timeout_s: float
    ) -> tuple[requests.Response, float]:
        """The one place a request leaves: paced by the run's health watcher, a 429 waited out as its Retry-After
        says and sent again (recorded each time). Returns the answer and when its final attempt started."""
        while True:
            self.health.admit(service)
            answer = self._session.send(request, stream=True, timeout=(self.timeouts.connect_s, read_timeout_s))
            self.health.observe(service, answer.headers)
            if answer.status_code != 429:
                self.health.answered()
                return answer, started
            body = _read_refusal(answer, time.monotonic() + self.timeouts.read_s)
            self._record(service, request, started, 429, answer.headers, body)
            self.health.throttled(answer.headers.get("Retry-After"), service)
            started = time.monotonic()

    def _prepare(
        self,
        root: str,
        method: str,
        path: str,
        token: str | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> requests.PreparedRequest:
        all_headers = {"Accept": "application/json, text/event-stream", **self.connection.headers}
        query: dict[str, str] = {}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
            for source in self._claim_sources:
                claims = source(token)
                all_headers.update(claims.headers)
                query.update(claims.query)
                if json is not _NO_BODY:
                    json = claims.body_for(method, path, json)
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        request = requests.Request(
            method,
            root.rstrip("/") + path,
            params=query,
            headers=all_headers,
            json=None if json is _NO_BODY else json,
            data=content,
        )
        prepared = self._session.prepare_request(request)
        if json is None:  # an explicit JSON null is a body too
            prepared.prepare_body(data=b"null", files=None)
            prepared.headers["Content-Type"] = "application/json"
        return prepared

    def _record(
        self,
        service: str,
        request: requests.PreparedRequest,
        started: float,
        status: int | None,
        headers: Mapping[str, str] | None,
        body: bytes | str | None,
        *,
        stream: StreamResult | None = None,
        error: str | None = None,
    ) -> None:
        if not self._listeners:
            return
        request_body = (
            request.body.decode("utf-8", errors="replace") if isinstance(request.body, bytes) else request.body
        )
        exchange = Exchange(
            service=service,
            method=request.method or "",  # a prepared request always has both
            url=request.url or "",
            status=status,
            duration_s=time.monotonic() - started,
            request_headers=dict(request.headers),
            request_body=request_body,
            response_headers=headers if headers is not None else {},
            response_body=body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body,
            stream=stream,
            error=error,
        )
        with self._lock:
            if self._held is not None:  # delivered in order by the thread that holds them (delivered_here)
                self._held.append(exchange)
                return
        # Outside the lock: a listener may send requests of its own from other threads (the invariants' snapshot
        # reads), whose exchanges are recorded here too; holding the lock would deadlock on them.
        self._deliver(exchange)

    def _deliver(self, exchange: Exchange) -> None:
        for listener in list(self._listeners):
            listener(exchange)

    def _unavailable(
        self, service: str, root: str, request: requests.PreparedRequest, started: float, exc: Exception
    ) -> PlatformUnavailable:
        reason = _reason(exc)
        if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, DeadlinePassed)):
            self.health.stalled(service, "answer")
        elif isinstance(exc, requests.ConnectionError):
            self.health.connection_failed(service, root)
        self._record(service, request, started, None, None, None, error=reason)
        route = route_of(request.path_url)
        return PlatformUnavailable(f"{service} service at {root} is unavailable: {reason} ({request.method} {route})")

    def _check_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str | None
    ) -> None:
        if self.checker is not None:
            self._judge(self.checker.check_response, method, path, status, headers, body)

    def _check_event(self, method: str, path: str, event: str, data: str) -> None:
        if self.checker is not None:
            self._judge(self.checker.check_event, method, path, event, data)

    def _judge(self, check: Callable[..., None], *answer: Any) -> None:
        """A contract finding goes to the finding listeners (a scenario's world); with none, it raises."""
        try:
            check(*answer)
        except AssertionError as finding:
            if not self._finding_listeners:
                raise
            for listener in list(self._finding_listeners):
                listener(finding)


def _is_event_stream(answer: requests.Response) -> bool:
    return answer.headers.get("Content-Type", "").split(";")[0].strip().lower() == "text/event-stream"


def _read_body(answer: requests.Response, give_up_at: float) -> bytes:
    """The whole body, within the call's deadline and size cap; always closes the response."""
    pieces, size = [], 0
    try:
        for piece in arriving_pieces(answer, give_up_at):
            pieces.append(piece)
            size += len(piece)
            if size > _MAX_BODY_BYTES:
                raise DeadlinePassed(f"body larger than {_MAX_BODY_BYTES} bytes")
    finally:
        answer.close()
    return b"".join(pieces)


def _read_refusal(answer: requests.Response, give_up_at: float) -> str:
    """The body of an answer that is not a stream; a read failure becomes the text, never an exception."""
    try:
        return _read_body(answer, give_up_at).decode(answer.encoding or "utf-8", errors="replace")
    except (requests.RequestException, DeadlinePassed, urllib3.exceptions.HTTPError) as exc:
        return f"<body unreadable: {_reason(exc)}>"


def _reason(exc: Exception) -> str:
    if isinstance(exc, DeadlinePassed):
        return str(exc) or "the answer was still arriving when the read timeout passed"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "no answer within the read timeout"
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return "no answer within the read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return "its TLS certificate is not trusted (signed by a private certificate authority? set ca_bundle)"
        inner = re.search(r"SSLError\((\w+\(\d+, '[^']*')", str(exc))
        return (
            f"the TLS handshake failed ({inner[1] if inner else str(exc)[:160]}; does it want a client "
            "certificate? set client_certificate)"
        )
    if isinstance(exc, requests.ConnectionError):
        text = re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))  # object addresses differ in every run
        return "connection refused" if "refused" in text.lower() else f"connection failed ({text[:160]})"
    return f"{type(exc).__name__}: {str(exc)[:160]}"
