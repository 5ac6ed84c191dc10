"""Fixtures of the library tests: a scripted HTTP server per test, and a way to open a stream from it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.library.scripted_server import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    try:
        yield scripted
    finally:
        scripted.shutdown()
    assert not scripted.errors, scripted.errors


@pytest.fixture
def open_stream(server):
    """open_stream(read_timeout=2) -> (requests.Response, started): a streamed GET of the scripted reply."""
    opened: list[requests.Response] = []

    def open_(read_timeout: float = 2.0, path: str = "/stream") -> tuple[requests.Response, float]:
        started = time.monotonic()
        response = requests.get(server.url + path, stream=True, timeout=(2, read_timeout))
        opened.append(response)
        return response, started

    yield open_
    for response in opened:
        response.close()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A port that refuses connections: bound, never listening, held for the whole test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
