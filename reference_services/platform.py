"""Starts the three reference services in this process, each on its own uvicorn server and daemon thread.

    with start_platform(PlatformSettings(faults=frozenset({"late_id_store"}))) as platform:
        requests.get(f"{platform.chat_url}/api/health", timeout=5)

Sockets are bound first (127.0.0.1 only), so that each service knows the others' URLs before any starts.
"""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from reference_services import accounting, auth, chat
from reference_services.faults import ActiveFaults
from reference_services.settings import DEFAULT_PASSWORD_ITERATIONS, ServiceSettings
from reference_services.web.protocol import JsonErrorsH11Protocol

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
GRACEFUL_SHUTDOWN_SECONDS = 1  # a hung stream must not hold stop() for longer
KEEP_ALIVE_SECONDS = 60


@dataclass(frozen=True)
class PlatformSettings:
    host: str = "127.0.0.1"
    auth_port: int = 0  # 0: any free port
    accounting_port: int = 0
    chat_port: int = 0
    data_dir: Path | None = None  # None: a temporary directory, removed on stop
    jwt_secret: str | None = field(default=None, repr=False)  # None: random for this start
    model_chunks: int = 5
    model_chunk_delay: float = 0.05
    faults: frozenset[str] = frozenset()
    password_iterations: int = DEFAULT_PASSWORD_ITERATIONS

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"the reference platform binds loopback addresses only, not {self.host!r}")
        ActiveFaults(self.faults)  # refuses unknown names early, with the list of valid ones


class PlatformStartError(RuntimeError):
    pass


@dataclass
class _RunningService:
    name: str
    url: str
    health_path: str
    server: uvicorn.Server
    thread: threading.Thread


class RunningPlatform:
    """The three services, running. Stop with stop() or by leaving the `with` block."""

    def __init__(
        self,
        services: list[_RunningService],
        jwt_secret: str,
        data_dir: Path,
        faults: frozenset[str],
        remove_data_dir: bool,
    ) -> None:
        self._services = {service.name: service for service in services}
        self.auth_url = self._services["auth"].url
        self.accounting_url = self._services["accounting"].url
        self.chat_url = self._services["chat"].url
        self.jwt_secret = jwt_secret
        self.data_dir = data_dir
        self.faults = faults
        self._remove_data_dir = remove_data_dir
        self._stopped = False

    def __repr__(self) -> str:
        return (
            f"RunningPlatform(auth_url={self.auth_url!r}, accounting_url={self.accounting_url!r}, "
            f"chat_url={self.chat_url!r}, data_dir={str(self.data_dir)!r}, faults={sorted(self.faults)!r})"
        )

    def stop(self) -> None:
        """Stops all three servers (at most ~1 s of grace for open streams) and frees their ports."""
        if self._stopped:
            return
        self._stopped = True
        _stop(list(self._services.values()))
        if self._remove_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> RunningPlatform:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_platform(settings: PlatformSettings = PlatformSettings()) -> RunningPlatform:
    """Starts auth, accounting and chat; returns once all three answer their health checks."""
    remove_data_dir = settings.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="reference-services-")) if remove_data_dir else Path(settings.data_dir)
    jwt_secret = settings.jwt_secret or secrets.token_hex(32)
    sockets: dict[str, socket.socket] = {}
    started: list[_RunningService] = []
    try:
        for name, port in (
            ("auth", settings.auth_port),
            ("accounting", settings.accounting_port),
            ("chat", settings.chat_port),
        ):
            sockets[name] = bind_socket(settings.host, port)
        urls = {name: f"http://{settings.host}:{sock.getsockname()[1]}" for name, sock in sockets.items()}
        service_settings = ServiceSettings(
            jwt_secret=jwt_secret,
            data_dir=data_dir,
            auth_url=urls["auth"],
            accounting_url=urls["accounting"],
            chat_url=urls["chat"],
            faults=ActiveFaults(settings.faults),
            model_chunks=settings.model_chunks,
            model_chunk_delay=settings.model_chunk_delay,
            password_iterations=settings.password_iterations,
        )
        apps: dict[str, tuple[Callable[[ServiceSettings], FastAPI], str]] = {
            "auth": (auth.create_app, "/health"),
            "accounting": (accounting.create_app, "/health"),
            "chat": (chat.create_app, "/api/health"),
        }
        for name, (create_app, health_path) in apps.items():
            service = _serve(name, create_app(service_settings), sockets.pop(name), urls[name], health_path)
            started.append(service)
        _wait_until_healthy(started)
    except BaseException:
        _stop(started)
        for sock in sockets.values():
            sock.close()
        if remove_data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    return RunningPlatform(started, jwt_secret, data_dir, frozenset(settings.faults), remove_data_dir)


def bind_socket(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only for such sockets, and
    # without it every keep-alive response stalls ~40 ms (Nagle against delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _serve(name: str, app: FastAPI, sock: socket.socket, url: str, health_path: str) -> _RunningService:
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the host process's logging alone
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        http=JsonErrorsH11Protocol,  # JSON 400s before the app, and streams told of a shutdown
        # Idle keep-alive connections are kept longer than a client's longest pause between two calls (a stream
        # on another connection): closing one just as the client reuses it loses that request.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    # uvicorn closes the socket on shutdown.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"reference-{name}", daemon=True)
    thread.start()
    return _RunningService(name, url, health_path, server, thread)


def _stop(services: list[_RunningService]) -> None:
    for service in services:
        service.server.should_exit = True
    for service in services:
        service.thread.join(STOP_TIMEOUT_SECONDS)
        if service.thread.is_alive():  # not expected: open streams get ~1 s of grace, then are cancelled
            service.server.force_exit = True
            service.thread.join(STOP_TIMEOUT_SECONDS)


def _wait_until_healthy(services: list[_RunningService]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        for service in services:
            while True:
                if not service.thread.is_alive():
                    raise PlatformStartError(f"the {service.name} service stopped during start-up")
                if service.server.started:
                    try:
                        if client.get(service.url + service.health_path).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise PlatformStartError(f"the {service.name} service did not become healthy in time")
                time.sleep(0.01)
