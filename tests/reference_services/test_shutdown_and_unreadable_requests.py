"""Refusals before the app runs are JSON too, and a graceful shutdown ends streams in flight with an error event.

Both over real sockets: the raw requests below never reach FastAPI (uvicorn's h11 protocol refuses them), and the
shutdown is the server's own (platform.stop() in-process, SIGTERM to `reference_services.serve` with workers).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from reference_services import PlatformSettings, start_platform
from tests.reference_services.reference_testkit import FAST, ReferenceClient, eventually, sse_events

REPOSITORY = Path(__file__).resolve().parents[2]
SLOW_STREAM = {"model_chunk_delay": 0.3, "model_chunks": 20}  # a stream that is surely in flight when stopped


def raw_exchange(url: str, request: bytes, timeout: float = 10.0) -> bytes:
    """Sends raw bytes and reads the whole answer until the server closes the connection."""
    address = urlsplit(url)
    received = b""
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(request)
        while piece := sock.recv(65536):
            received += piece
    return received


UNREADABLE = {
    "a 1 MB header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Large: " + b"a" * 1_000_000 + b"\r\n\r\n",
    "a path that is not UTF-8": b"GET /api/\xff\xfe\xfd HTTP/1.1\r\nHost: x\r\n\r\n",
    "a request line that is not HTTP": b"HELLO THERE\r\n\r\n",
    "a header without a colon": b"GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
}


@pytest.mark.parametrize("service", ["auth", "accounting", "chat"])
@pytest.mark.parametrize("request_bytes", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_request_refused_before_the_app_runs_gets_a_json_400(platform, service, request_bytes):
    url = {"auth": platform.auth_url, "accounting": platform.accounting_url, "chat": platform.chat_url}[service]
    answer = raw_exchange(url, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)
    assert isinstance(error, dict) and isinstance(error["message"], str) and error["message"]
    assert b"Traceback" not in body and b"<html" not in body.lower()


def stream_in_flight(api: ReferenceClient) -> tuple[requests.Response, Iterator[tuple[str, dict]]]:
    """A stream opened and read up to its first chunk; the events (that first one included) still to read."""
    session_id = api.new_session("user1")
    response = api.request(
        "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user="user1", json={"message": "hi"}, stream=True
    )
    assert response.status_code == 200
    events = sse_events(response.iter_content(chunk_size=None))
    first = next(events)
    assert first[0] == "chunk"
    return response, itertools.chain([first], events)


def test_stopping_the_platform_ends_a_stream_in_flight_with_an_error_event():
    platform = start_platform(PlatformSettings(password_iterations=1000, **SLOW_STREAM))
    try:
        api = ReferenceClient(platform)
        assert api.allocate("user1", 5000).status_code == 201
        response, events = stream_in_flight(api)
        stopper = threading.Thread(target=platform.stop)
        stopper.start()
        with response:
            received = list(events)  # the rest of the stream, until the server closes it
        stopper.join(10)
        names = [name for name, _ in received]
        assert names[-1] == "error" and "done" not in names, names
        error = received[-1][1]
        assert error["code"] and error["message"]
        assert not stopper.is_alive()
    finally:
        platform.stop()


def test_sigterm_to_served_workers_ends_streams_with_an_error_event_and_no_traceback(tmp_path):
    # The other services run in-process; the chat service under test is `serve` with two uvicorn workers.
    with start_platform(PlatformSettings(data_dir=tmp_path / "data", **FAST)) as platform:
        api = ReferenceClient(platform)
        assert api.allocate("user1", 5000).status_code == 201
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "REFERENCE_JWT_SECRET": platform.jwt_secret,
            "REFERENCE_DATA_DIR": str(platform.data_dir),
            "REFERENCE_AUTH_URL": platform.auth_url,
            "REFERENCE_ACCOUNTING_URL": platform.accounting_url,
            "REFERENCE_MODEL_CHUNK_DELAY": str(SLOW_STREAM["model_chunk_delay"]),
            "REFERENCE_MODEL_CHUNKS": str(SLOW_STREAM["model_chunks"]),
        }
        log = tmp_path / "chat.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "reference_services.serve", "chat", "--workers", "2", "--port", str(port)],
                cwd=REPOSITORY,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            served = ReferenceClient(platform, chat_url=f"http://127.0.0.1:{port}")

            def healthy() -> bool:
                try:
                    return served.request("GET", "chat", "/api/health").status_code == 200
                except OSError:
                    return False

            eventually(healthy, deadline_s=30)
            streams = [stream_in_flight(served) for _ in range(2)]
            process.send_signal(signal.SIGTERM)
            for response, events in streams:
                with response:
                    names = [name for name, _ in events]
                assert names[-1] == "error" and "done" not in names, names
            assert process.wait(timeout=20) == 0
        finally:
            process.kill()
            process.wait(timeout=5)
        printed = log.read_text()
        assert "Traceback" not in printed and "CancelledError" not in printed, printed[-3000:]
