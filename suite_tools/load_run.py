"""A short, bounded load run against the reference platform served by uvicorn workers (`make load`).

    python -m suite_tools.load_run [--users 20] [--spawn-rate 50] [--run-time 20s] [--workers 2]
                                   [--locust-workers N] [--model-chunk-delay S] [--summary-json FILE]

Starts auth, accounting and chat, each as `python -m reference_services.serve <service> --workers N` on a free
loopback port over one temporary data directory, waits for their health checks, runs locustfile.py headless
against them (bounded: users, spawn rate, run time, a stop timeout, and a hard stop if Locust overruns), then
stops the services and removes the data. Locust prints its request statistics and the load summary (users that
ran, streams/s, p50/p95/p99 time to first chunk and confirmation latency, errors, invariants, clean-up).

--locust-workers N runs Locust distributed on this machine: one master (which prepares the accounts, hands
them out, counts and cleans up) and N worker processes, all on 127.0.0.1, all stopped by the run time.

Exit status: Locust's (1 when a request failed or an invariant was violated), 2 when the platform could not start.
To load another deployment, run locust directly (see locustfile.py).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from chat_acceptance.waiting import poll_until
from suite_tools.suite_runs import ROOT, suite_userdata

LOCUSTFILE = ROOT / "suite_tools" / "locustfile.py"
START_DEADLINE_S = 30
STOP_GRACE_S = 5
HARD_STOP_MARGIN_S = 60  # beyond run time + stop timeout: only a hung Locust could reach it
STOP_TIMEOUT_S = 10  # for users to finish the flow they are in
HEALTH_PATHS = {"auth": "/health", "accounting": "/health", "chat": "/api/health"}
_SERVING = re.compile(r"^(auth|accounting|chat) (http://127\.0\.0\.1:\d+) ", re.MULTILINE)


class PlatformStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServedPlatform:
    auth_url: str
    accounting_url: str
    chat_url: str
    jwt_secret: str
    workers: int

    def environment(self) -> dict[str, str]:
        """The variables the suite and the locustfile read to find a deployment."""
        return {
            "AUTH_SERVICE_URL": self.auth_url,
            "ACCOUNTING_SERVICE_URL": self.accounting_url,
            "CHAT_SERVICE_URL": self.chat_url,
            "JWT_SECRET": self.jwt_secret,
        }


@contextmanager
def served_platform(workers: int, *, model_chunk_delay: float) -> Iterator[ServedPlatform]:
    """The three services, each with `workers` uvicorn processes, on free loopback ports; stopped on leaving."""
    data_dir = Path(tempfile.mkdtemp(prefix="load-platform-"))
    secret = secrets.token_hex(32)
    base = {
        **os.environ,
        "REFERENCE_JWT_SECRET": secret,
        "REFERENCE_DATA_DIR": str(data_dir),
        "REFERENCE_MODEL_CHUNK_DELAY": str(model_chunk_delay),
    }
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, True)
        urls: dict[str, str] = {}
        # Each service learns the URLs of those it calls: accounting calls auth, chat calls accounting.
        for service, needs in (
            ("auth", {}),
            ("accounting", {"REFERENCE_AUTH_URL": "auth"}),
            ("chat", {"REFERENCE_AUTH_URL": "auth", "REFERENCE_ACCOUNTING_URL": "accounting"}),
        ):
            environment = {**base, **{variable: urls[name] for variable, name in needs.items()}}
            urls[service] = stack.enter_context(_served(service, workers, environment, data_dir))
        for service, url in urls.items():
            _wait_until_healthy(service, url + HEALTH_PATHS[service])
        yield ServedPlatform(urls["auth"], urls["accounting"], urls["chat"], secret, workers)


@contextmanager
def _served(service: str, workers: int, environment: Mapping[str, str], data_dir: Path) -> Iterator[str]:
    log_path = data_dir / f"{service}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reference_services.serve", service, "--workers", str(workers), "--port", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(environment),
            start_new_session=True,
        )
    try:
        # serve prints "<service> http://127.0.0.1:<port> (N worker(s))" once its socket is bound.
        found = poll_until(
            lambda: _SERVING.search(log_path.read_text()),
            lambda match: match is not None or process.poll() is not None,
            deadline_s=START_DEADLINE_S,
            interval_s=0.02,
            max_interval_s=0.2,
        )
        if found is None:
            raise PlatformStartError(f"{service} did not start: {log_path.read_text()[-1000:]}")
        yield found.group(2)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the service's process group (uvicorn's supervisor and its workers), then SIGKILL if needed."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_GRACE_S)
    except ProcessLookupError:
        pass


def _wait_until_healthy(service: str, url: str) -> None:
    def probe() -> int | None:
        try:
            return requests.get(url, timeout=(1, 2)).status_code
        except requests.RequestException:
            return None

    status = poll_until(probe, lambda status: status == 200, deadline_s=START_DEADLINE_S, max_interval_s=0.2)
    if status != 200:
        raise PlatformStartError(f"{service} at {url} is not healthy (last answer: {status})")


def parse_seconds(text: str) -> int:
    """Locust's run-time syntax (e.g. 20s, 2m, 1h30m, or plain seconds) in seconds."""
    if text.strip().isdigit():
        return int(text)
    parts = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*", text)
    if not parts or not any(parts.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a run time such as 20s, 2m or 1h30m")
    hours, minutes, seconds = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def locust_command(
    *,
    users: int,
    spawn_rate: float,
    run_time_s: int,
    summary_json: Path | None,
    locust_workers: int = 0,
    master_port: int | None = None,
) -> list[str]:
    """The single process's command, or with locust_workers the master's (bound to 127.0.0.1 only)."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{run_time_s}s",
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--loglevel",
        "WARNING",
    ]
    if locust_workers:
        command += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(master_port),
            "--expect-workers",
            str(locust_workers),
            "--expect-workers-max-wait",
            str(START_DEADLINE_S),
        ]
    if summary_json is not None:
        command += ["--summary-json", str(summary_json)]
    return command


def locust_worker_command(master_port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--worker",
        "--master-host",
        "127.0.0.1",
        "--master-port",
        str(master_port),
        "--loglevel",
        "WARNING",
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_load(
    *,
    users: int,
    spawn_rate: float,
    run_time_s: int,
    workers: int,
    model_chunk_delay: float,
    summary_json: Path | None = None,
    environ: Mapping[str, str] | None = None,
    locust_workers: int = 0,
) -> int:
    """Serves the platform, runs Locust against it (distributed with locust_workers > 0); returns Locust's exit
    status (the master's when distributed)."""
    environ = dict(os.environ if environ is None else environ)
    with served_platform(workers, model_chunk_delay=model_chunk_delay) as platform:
        print(
            f"platform: auth {platform.auth_url}, accounting {platform.accounting_url}, chat {platform.chat_url} "
            f"({workers} uvicorn worker(s) each, model chunk delay {model_chunk_delay:g} s)",
            flush=True,
        )
        shape = f"a master and {locust_workers} worker(s)" if locust_workers else "one process"
        print(f"locust: {users} users, spawn rate {spawn_rate:g}/s, run time {run_time_s} s, {shape}", flush=True)
        master_port = free_port() if locust_workers else None
        command = locust_command(
            users=users,
            spawn_rate=spawn_rate,
            run_time_s=run_time_s,
            summary_json=summary_json,
            locust_workers=locust_workers,
            master_port=master_port,
        )
        environment = {**environ, **platform.environment()}
        hard_stop_s = run_time_s + STOP_TIMEOUT_S + HARD_STOP_MARGIN_S
        with ExitStack() as stack:
            for _ in range(locust_workers):
                worker = subprocess.Popen(
                    locust_worker_command(master_port), cwd=ROOT, env=environment, start_new_session=True
                )
                stack.callback(_stop, worker)  # a worker that outlives its master is stopped here
            try:
                completed = subprocess.run(command, cwd=ROOT, env=environment, timeout=hard_stop_s)
            except subprocess.TimeoutExpired:
                print("load run: Locust overran its run time and was stopped", file=sys.stderr)
                return 1
        return completed.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite_tools.load_run", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent Locust users (default %(default)s)")
    parser.add_argument("--spawn-rate", type=float, default=50, help="users started per second (default %(default)s)")
    parser.add_argument("--run-time", type=parse_seconds, default=20, help="e.g. 20s, 2m (default 20s)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per service (default %(default)s)")
    parser.add_argument(
        "--model-chunk-delay",
        type=float,
        default=float(suite_userdata().get("model_chunk_delay") or 0),
        help="seconds between the reference model's chunks (default: the suite's, %(default)s)",
    )
    parser.add_argument(
        "--locust-workers",
        type=int,
        default=0,
        help="run Locust as a master and this many worker processes (default: one process)",
    )
    parser.add_argument("--summary-json", type=Path, help="also write the load summary to this file")
    arguments = parser.parse_args(argv)
    if arguments.users < 1 or arguments.workers < 1 or arguments.run_time < 1 or arguments.spawn_rate <= 0:
        parser.error("--users, --workers, --run-time and --spawn-rate must be positive")
    if arguments.locust_workers < 0:
        parser.error("--locust-workers must not be negative")
    try:
        return run_load(
            users=arguments.users,
            spawn_rate=arguments.spawn_rate,
            run_time_s=arguments.run_time,
            workers=arguments.workers,
            model_chunk_delay=arguments.model_chunk_delay,
            summary_json=arguments.summary_json,
            locust_workers=arguments.locust_workers,
        )
    except PlatformStartError as problem:
        print(f"load run: the platform could not start: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
