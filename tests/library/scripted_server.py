"""A tiny scripted HTTP server for the library tests: raw sockets, one scripted reply per connection.

A test queues a ScriptedReply (status line, headers, a body made of steps) and then makes its request. Each body step is
written separately: with chunked transfer encoding every bytes piece is one HTTP chunk; without it the body is
delimited by closing the connection (`Connection: close`, no length). Steps can wait on threading.Event objects
the test controls, signal one, hold the connection silent, or repeat a piece (heartbeats) until the client goes.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Nothing in the server waits longer than this, so a broken test fails instead of hanging.
SAFETY_S = 10.0


@dataclass(frozen=True)
class WaitFor:
    """Pause the body until `event` is set (or the server shuts down)."""

    event: threading.Event


@dataclass(frozen=True)
class Signal:
    """Set `event` once everything before this step has been written."""

    event: threading.Event


@dataclass(frozen=True)
class Hold:
    """Keep the connection open and silent until the server shuts down (or the client goes away)."""


@dataclass(frozen=True)
class Repeat:
    """Write `piece` every `every_s` seconds until the client disconnects or `stop` (or shutdown) is set."""

    piece: bytes
    every_s: float = 0.02
    stop: threading.Event | None = None


@dataclass(frozen=True)
class Raw:
    """Bytes written as they are, without chunk framing (to break the framing on purpose)."""

    data: bytes


@dataclass(frozen=True)
class Abort:
    """Close the connection at once: no terminating chunk."""


Step = bytes | str | WaitFor | Signal | Hold | Repeat | Raw | Abort


@dataclass
class ScriptedReply:
    """The reply the server writes on its next connection (named apart from the library's people.Reply)."""

    status: int = 200
    reason: str = "OK"
    headers: Sequence[tuple[str, str]] = ()
    body: Sequence[Step] = ()
    chunked: bool = True
    # Without chunking and with a known body, a Content-Length header may be given in `headers` by the test.


@dataclass
class Received:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class ServedConnection:
    """What the server saw of one connection: the request, and whether the client went or the handler is done."""

    received: Received | None = None
    client_gone: threading.Event = field(default_factory=threading.Event)  # a write failed: the client closed
    finished: threading.Event = field(default_factory=threading.Event)  # the handler is done with the socket


def json_reply(status: int, value: Any, *, reason: str = "", headers: Sequence[tuple[str, str]] = ()) -> ScriptedReply:
    body = json.dumps(value).encode()
    return ScriptedReply(
        status=status,
        reason=reason or "Whatever",
        headers=[("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
        body=[body],
        chunked=False,
    )


def sse(event: str | None = None, data: Any = None, *, id: str | None = None, eol: str = "\n") -> bytes:
    """One SSE event; `data` that is not a str is sent as JSON; a str with newlines becomes several data lines."""
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}")
    text = data if isinstance(data, str) else json.dumps(data)
    lines += [f"data: {line}" for line in text.split("\n")]
    return (eol.join(lines) + eol + eol).encode()


class ScriptedServer:
    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._replies: queue.Queue[ScriptedReply] = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.connections: list[ServedConnection] = []
        self.errors: list[str] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="scripted-server", daemon=True)
        self._acceptor.start()

    # ------------------------------------------------------------------------------------------ test side

    def reply(self, reply: ScriptedReply) -> ServedConnection:
        """Queues `reply` for the next connection; returns the ServedConnection record it will fill."""
        connection = ServedConnection()
        self._replies.put((reply, connection))
        return connection

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return [c.received for c in self.connections if c.received is not None]

    def shutdown(self) -> None:
        self._stop.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the acceptor at once
        except OSError:
            pass
        self._acceptor.join(timeout=2)
        self._listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in threads:
            thread.join(timeout=2)

    # ---------------------------------------------------------------------------------------- server side

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            with self._lock:
                self._sockets.append(sock)
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            reply, connection = self._replies.get_nowait()
        except queue.Empty:
            reply, connection = json_reply(599, {"message": "no scripted reply"}), ServedConnection()
        with self._lock:
            self.connections.append(connection)
        try:
            connection.received = self._read_request(sock)
            self._write_reply(sock, reply, connection)
        except OSError:
            connection.client_gone.set()
        except Exception as exc:  # pragma: no cover - a broken script; the test sees it in .errors
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                sock.close()
            finally:
                connection.finished.set()

    def _read_request(self, sock: socket.socket) -> Received:
        sock.settimeout(SAFETY_S)
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                raise ConnectionError("client closed before sending a request")
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        return Received(method, target, headers, body)

    def _write_reply(self, sock: socket.socket, reply: ScriptedReply, connection: ServedConnection) -> None:
        head = [f"HTTP/1.1 {reply.status} {reply.reason}"]
        names = {name.lower() for name, _ in reply.headers}
        head += [f"{name}: {value}" for name, value in reply.headers]
        if reply.chunked:
            head.append("Transfer-Encoding: chunked")
        if "connection" not in names:
            head.append("Connection: close")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))

        def write(piece: bytes) -> None:
            if reply.chunked:
                piece = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            sock.sendall(piece)

        for step in reply.body:
            if isinstance(step, str):
                step = step.encode()
            if isinstance(step, bytes):
                write(step)
            elif isinstance(step, Raw):
                sock.sendall(step.data)
            elif isinstance(step, Signal):
                step.event.set()
            elif isinstance(step, WaitFor):
                self._wait(step.event)
            elif isinstance(step, Hold):
                self._hold(sock, connection)
                return
            elif isinstance(step, Repeat):
                self._repeat(write, step, connection)
                if connection.client_gone.is_set():
                    return
            elif isinstance(step, Abort):
                return
            else:  # pragma: no cover
                raise TypeError(f"unknown step {step!r}")
        if reply.chunked:
            sock.sendall(b"0\r\n\r\n")

    def _wait(self, event: threading.Event) -> None:
        for _ in range(int(SAFETY_S / 0.02)):
            if event.wait(0.02) or self._stop.is_set():
                return

    def _hold(self, sock: socket.socket, connection: ServedConnection) -> None:
        """Silent until shutdown; notices a client that goes away (recv returns b"")."""
        sock.settimeout(0.02)
        for _ in range(int(SAFETY_S / 0.02)):
            if self._stop.is_set():
                return
            try:
                if sock.recv(1) == b"":
                    connection.client_gone.set()
                    return
            except TimeoutError:
                continue

    def _repeat(self, write, step: Repeat, connection: ServedConnection) -> None:
        for _ in range(int(SAFETY_S / step.every_s)):
            if self._stop.is_set() or (step.stop is not None and step.stop.is_set()):
                return
            try:
                write(step.piece)
            except OSError:
                connection.client_gone.set()
                return
            self._stop.wait(step.every_s)
