"""Starting and stopping the platform: in-process, from the command line, and with uvicorn workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reference_services import PlatformSettings, start_platform
from reference_services.faults import FAULTS, UnknownFaultError
from reference_services.settings import ServiceSettings, SettingsError
from tests.reference_services.reference_testkit import FAST, ReferenceClient, eventually

REPOSITORY = Path(__file__).resolve().parents[2]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_start_and_stop_leave_no_threads_ports_or_files_behind():
    threads_before = set(threading.enumerate())
    platform = start_platform(PlatformSettings(**FAST))  # how fast it starts is a `make bench` figure
    urls = (platform.auth_url, platform.accounting_url, platform.chat_url)
    assert all(url.startswith("http://127.0.0.1:") for url in urls)
    ports = [int(url.rsplit(":", 1)[1]) for url in urls]
    assert len(set(ports)) == 3
    assert platform.data_dir.is_dir() and len(platform.jwt_secret) >= 32

    platform.stop()
    assert all(port_is_free(port) for port in ports)
    assert set(threading.enumerate()) <= threads_before
    assert not platform.data_dir.exists()
    platform.stop()  # a second stop is harmless


def test_restart_with_the_same_data_dir_keeps_confirmed_data(tmp_path):
    settings = PlatformSettings(data_dir=tmp_path, **FAST)
    with start_platform(settings) as platform:
        api = ReferenceClient(platform)
        username = api.user_with_credits(1000)
        session_id, result = api.streamed_session(username)
        assert (
            api.confirm(username, session_id, result.streaming_session_id, complete_response="Kept").status_code == 200
        )
        balance, user_id = api.balance(username), api.user_id(username)

    assert (tmp_path / "chat.sqlite3").exists()  # an explicit data dir is never removed
    with start_platform(settings) as platform:  # new ports, new secret: log in again
        api = ReferenceClient(platform)
        assert api.user_id(username) == user_id
        assert api.balance(username) == balance
        messages = api.session(username, session_id).json()["messages"]
        assert messages[-1] == {**messages[-1], "role": "assistant", "content": "Kept"}
        assert api.confirm(username, session_id, result.streaming_session_id).status_code == 200
        assert api.login("user1").status_code == 200


def test_fixed_ports_are_honoured():
    ports = [free_port() for _ in range(3)]
    settings = PlatformSettings(auth_port=ports[0], accounting_port=ports[1], chat_port=ports[2], **FAST)
    with start_platform(settings) as platform:
        assert platform.auth_url.endswith(f":{ports[0]}") and platform.chat_url.endswith(f":{ports[2]}")


def test_a_busy_port_fails_the_start_cleanly():
    threads_before = set(threading.enumerate())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            start_platform(PlatformSettings(chat_port=busy.getsockname()[1], **FAST))
    assert set(threading.enumerate()) <= threads_before


def test_settings_refuse_other_hosts_and_unknown_faults():
    with pytest.raises(ValueError, match="loopback"):
        PlatformSettings(host="0.0.0.0")
    with pytest.raises(UnknownFaultError, match="accept_any_id"):  # the message lists the valid names
        PlatformSettings(faults=frozenset({"no_such_fault"}))


def test_service_settings_from_the_environment(tmp_path):
    environ = {
        "REFERENCE_JWT_SECRET": "s" * 32,
        "REFERENCE_DATA_DIR": str(tmp_path),
        "REFERENCE_FAULTS": "late_id_store, slow_model",
        "REFERENCE_MODEL_CHUNKS": "3",
    }
    settings = ServiceSettings.from_environment(environ)
    assert settings.faults.on("late_id_store") and settings.faults.on("slow_model")
    assert settings.model_chunks == 3 and settings.data_dir == tmp_path
    assert ServiceSettings.from_environment({**environ, "REFERENCE_JWT_SECRET": "", "JWT_SECRET": "j" * 32}).jwt_secret
    assert "s" * 32 not in repr(settings)
    for broken in (
        {"REFERENCE_JWT_SECRET": ""},
        {"REFERENCE_DATA_DIR": ""},
        {"REFERENCE_FAULTS": "nope"},
        {"REFERENCE_MODEL_CHUNKS": "many"},
    ):
        with pytest.raises(SettingsError):
            ServiceSettings.from_environment({**environ, **broken})


# --- the command line ---


def run_cli(*args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reference_services", *args],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_environment(),
    )


def cli_environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPOSITORY), "PYTHONUNBUFFERED": "1"}


def test_cli_lists_the_faults():
    result = run_cli("--list-faults")
    assert result.returncode == 0
    assert all(name in result.stdout for name in FAULTS)


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--fault", "no_such_fault"], "no_such_fault"),
        (["--bogus"], "--bogus"),
        (["--chat-port", "x"], "x"),
        (["--model-chunks", "0"], "0"),
    ],
)
def test_cli_refuses_bad_flags_in_one_line(args, complaint):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and complaint in result.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_cli_serves_until_interrupted(stop_signal):
    import requests

    ports = [str(free_port()) for _ in range(3)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_services",
            "--auth-port",
            ports[0],
            "--accounting-port",
            ports[1],
            "--chat-port",
            ports[2],
            "--model-chunk-delay",
            "0",
        ],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_environment(),
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert [line.split()[1] for line in lines] == [f"http://127.0.0.1:{port}" for port in ports]
        health = requests.get(f"http://127.0.0.1:{ports[2]}/api/health", timeout=5)
        assert health.status_code == 200
        process.send_signal(stop_signal)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        process.communicate(timeout=5)


# --- several worker processes sharing one data dir ---


def test_accepted_connections_send_without_delay(platform, api):
    """Regression: without TCP_NODELAY on accepted connections every keep-alive response took ~40 ms (Nagle against
    delayed ACKs). Checked on the server's own sockets; the round trip itself is a `make bench` figure."""
    api.request("GET", "auth", "/health")  # the client keeps this connection open
    server = platform._services["auth"].server
    sockets = [connection.transport.get_extra_info("socket") for connection in list(server.server_state.connections)]
    assert sockets, "the auth server holds no connection"
    assert all(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for sock in sockets)


@pytest.mark.parametrize(
    "launcher",
    [
        ["-m", "reference_services.serve", "chat", "--workers", "2", "--port"],
        [
            "-m",
            "uvicorn",
            "--factory",
            "reference_services.asgi:chat_app",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            "--port",
        ],
    ],
    ids=["serve", "uvicorn"],
)
def test_chat_workers_share_state_with_the_platform(platform, api, funded, launcher):
    port = free_port()
    environment = {
        **cli_environment(),
        "REFERENCE_JWT_SECRET": platform.jwt_secret,
        "REFERENCE_DATA_DIR": str(platform.data_dir),
        "REFERENCE_AUTH_URL": platform.auth_url,
        "REFERENCE_ACCOUNTING_URL": platform.accounting_url,
        "REFERENCE_MODEL_CHUNK_DELAY": "0",
    }
    process = subprocess.Popen(
        [sys.executable, *launcher, str(port)],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers = ReferenceClient(platform, chat_url=f"http://127.0.0.1:{port}")

        def healthy() -> bool:
            try:
                return workers.request("GET", "chat", "/api/health").status_code == 200
            except OSError:
                return False

        eventually(healthy, deadline_s=10)
        session_id = workers.new_session(funded)
        result = workers.stream(funded, session_id)
        assert result.ended == "done"
        # confirmed through the in-process chat service, read back through the workers
        assert api.confirm(funded, session_id, result.streaming_session_id, complete_response="Both").status_code == 200
        assert workers.session(funded, session_id).json()["messages"][-1]["content"] == "Both"
    finally:
        process.terminate()
        process.wait(timeout=10)
