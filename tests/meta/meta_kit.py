"""What the meta-tests share to reach a platform they started themselves: a free loopback port, a health probe,
and a separately started reference platform (`python -m reference_services`) named as a deployment."""

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import requests

from chat_acceptance.waiting import poll_until
from suite_tools.suite_runs import ROOT, SERVICE_URL_VARIABLES


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def separate_deployment(
    *faults: str, start_deadline_s: float, serve: Sequence[str] = (sys.executable, "-m", "reference_services")
) -> Iterator[dict[str, str]]:
    """The reference platform in a process of its own (started by `serve`), with `faults` on; yields the variables
    that name it."""
    ports = [free_port() for _ in range(3)]
    command = [*serve, "--model-chunk-delay", "0.01"]
    for fault in faults:
        command += ["--fault", fault]
    for flag, port in zip(("--auth-port", "--accounting-port", "--chat-port"), ports, strict=True):
        command += [flag, str(port)]
    platform = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        started = poll_until(lambda: healthy(urls[2] + "/api/health"), bool, deadline_s=start_deadline_s)
        assert started, "the platform did not start"
        yield dict(zip(SERVICE_URL_VARIABLES, urls, strict=True))
    finally:
        platform.send_signal(signal.SIGINT)
        try:
            platform.wait(timeout=15)
        except subprocess.TimeoutExpired:
            platform.kill()
            platform.wait()
