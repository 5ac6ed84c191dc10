"""Load: the suite's own client as many concurrent users, checking the streaming contract's invariants.

    AUTH_SERVICE_URL=http://127.0.0.1:3000 ACCOUNTING_SERVICE_URL=http://127.0.0.1:3001 \\
    CHAT_SERVICE_URL=http://127.0.0.1:3002 \\
        locust -f locustfile.py --headless --users 20 --spawn-rate 10 --run-time 30s --stop-timeout 10

(`make load` starts the reference platform with uvicorn workers and runs this for you.)

The deployment and accounts come from the same environment variables as the suite (AUTH_SERVICE_URL,
ACCOUNTING_SERVICE_URL, CHAT_SERVICE_URL, TEST_USER, ..., ADMIN_USER, ADMIN_PASSWORD; defaults from
pyproject's [tool.behave.userdata]). With an administrator, every Locust user is a new end user whom the
administrator creates at its start, gives credits and deletes at its end (leftovers are deleted when the test
stops); without one, the users take turns with the configured test accounts, which must hold credits.

Each user keeps one conversation of its own and runs two flows:
- confirm with the right ID: stream a reply, confirm it with the issued streaming session ID;
- confirm with a wrong ID: stream a reply, confirm it with a made-up ID, a look-alike of the issued one, the ID
  of this conversation's earlier reply, or the latest ID issued for another user's conversation; then with
  the right one.
Invariants, checked on every occurrence and reported as Locust requests of type CHECK (a violation is a
failure, so Locust exits 1): every right ID confirms; every wrong ID is rejected as a mismatch without revealing
the issued ID; no stream's ID ever confirms another session; every stream completes with an ID; no balance
goes below zero; no answer is a 5xx.
Metrics, as Locust requests: every HTTP call (by method and path template; a stream's time is the whole
stream), "SSE time to first chunk" and "CONFIRM confirmation latency (right ID)" (with the bounded retry a
deployment that stores IDs late may need).

Bounded: a headless run needs --run-time and at most --max-users users; targets must be loopback addresses
unless --allow-remote-target. Every call has a timeout and every stream a deadline (the suite's client).
Distributed: `--master` with the options above, `--worker --master-host HOST` on each load machine with the
same environment variables; the master prints the summary.
"""
from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import os
import re
import secrets
import sys
import threading  # patched by gevent under Locust: a greenlet-aware lock
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import User, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from chat_acceptance.transport.client import ApiResponse, Exchange, HttpTransport, PlatformClient, Timeouts
from chat_acceptance.config import Account, ConfigError, SuiteConfig
from chat_acceptance.world.forgery import lookalike_of, made_up_streaming_id
from chat_acceptance.world.people import Person, Reply, SignedIn, is_mismatch, sign_in
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.sse import Ending

log = logging.getLogger("chat-load")

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
QUESTION = "What is the capital of France?"

# Invariants (Locust request type CHECK), in the order the summary shows them.
RIGHT_ID_CONFIRMS = "every right ID confirms"
WRONG_ID_REJECTED = "every wrong ID is rejected as a mismatch"
NO_CROSS_SESSION = "no stream's ID confirms another session"
STREAM_COMPLETES = "every stream completes with an ID"
BALANCE_NOT_NEGATIVE = "no balance goes below zero"
NO_5XX = "no 5xx"
INVARIANTS = (RIGHT_ID_CONFIRMS, WRONG_ID_REJECTED, NO_CROSS_SESSION, STREAM_COMPLETES, BALANCE_NOT_NEGATIVE, NO_5XX)
# Custom metrics (request type, name).
TIME_TO_FIRST_CHUNK = ("SSE", "time to first chunk")
CONFIRMATION_LATENCY = ("CONFIRM", "confirmation latency (right ID)")
STREAM_REQUEST = ("POST", "/api/chat/sessions/{id}/stream")

WRONG_ID_KINDS = ("a made-up ID", "a look-alike of the issued ID", "the earlier reply's ID", "another session's ID")
_ID_SEGMENT = re.compile(r"/(sessions|users|balance)/[^/]+")


class InvariantViolated(AssertionError):
    pass


# -- options ------------------------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser.add_argument_group("chat-acceptance load profile")
    group.add_argument("--credits-per-user", type=int, default=100_000, env_var="LOAD_CREDITS_PER_USER",
                       help="credits the administrator gives each load user (default %(default)s)")
    group.add_argument("--max-users", type=int, default=200, env_var="LOAD_MAX_USERS",
                       help="refuse to run more users than this (default %(default)s)")
    group.add_argument("--allow-remote-target", action="store_true", default=False, env_var="LOAD_ALLOW_REMOTE_TARGET",
                       help="allow service URLs that are not loopback addresses")
    group.add_argument("--summary-json", default="", env_var="LOAD_SUMMARY_JSON",
                       help="also write the summary (users, streams/s, percentiles, invariants) to this file")


# -- the run, one per process -------------------------------------------------------------------------------


class LoadRun:
    """What the users of one Locust process share: configuration, the administrator, who was created."""

    def __init__(self, config: SuiteConfig, options):
        self.config = config
        self._options = options  # on a worker, updated in place with the master's options at the start
        self.timeouts = Timeouts(
            config.connect_timeout_s, config.read_timeout_s, config.stream_deadline_s, config.stream_event_cap
        )
        self.redactor = Redactor(config.secrets())
        self._lock = threading.Lock()
        self._admin: SignedIn | None = None
        self._created: dict[str, str] = {}  # user id -> username, until deleted
        self._accounts = itertools.cycle([config.test_user, config.second_user])
        self.latest_ids: dict[str, str] = {}  # conversation -> the streaming session ID last issued for it

    def client(self) -> PlatformClient:
        transport = HttpTransport(self.timeouts, self.redactor)  # no contract checks: they cost the generator CPU
        config = self.config
        return PlatformClient(
            transport, auth_url=config.auth_url, accounting_url=config.accounting_url, chat_url=config.chat_url
        )

    @property
    def credits_per_user(self) -> int:
        return int(getattr(self._options, "credits_per_user", None) or 100_000)

    def admin(self, platform: PlatformClient) -> SignedIn | None:
        if self.config.admin is None:
            return None
        with self._lock:
            if self._admin is None:
                self._admin = sign_in(platform, self.config.admin)
            return self._admin

    def new_user(self, platform: PlatformClient) -> tuple[SignedIn, Callable[[], Any] | None]:
        """A signed-in end user for one Locust user, and what deletes it (None for a configured account)."""
        admin = self.admin(platform)
        if admin is None:
            with self._lock:
                account = next(self._accounts)
            return sign_in(platform, account), None
        username = f"load-{secrets.token_hex(5)}"
        password = f"Pw-{secrets.token_urlsafe(12)}"
        created = platform.auth.create_user(
            admin.access_token, username=username, email=f"{username}@example.com", password=password, role="enduser"
        )
        user_id = created.field("userId")
        if created.status != 201 or user_id in (None, ""):
            raise AssertionError(f"the administrator could not create {username}: {created.status} {created.text[:200]}")
        user_id = str(user_id)
        with self._lock:
            self._created[user_id] = username
        allocated = platform.accounting.allocate(admin.access_token, user_id, self.credits_per_user, notes="load test")
        if allocated.status != 201:
            raise AssertionError(f"allocating credits to {username} failed: {allocated.status} {allocated.text[:200]}")
        return sign_in(platform, Account(username, password)), lambda: self.delete_user(platform, user_id)

    def delete_user(self, platform: PlatformClient, user_id: str) -> None:
        """Deletes a load user once, whoever asks first (its Locust user's on_stop, or the end of the test)."""
        with self._lock:
            if self._created.pop(user_id, None) is None:
                return
            admin = self._admin
        if admin is not None:
            platform.auth.delete_user(admin.access_token, user_id)

    def delete_leftovers(self) -> None:
        with self._lock:
            leftovers = list(self._created)
        if not leftovers:
            return
        platform = self.client()
        try:
            for user_id in leftovers:
                try:
                    self.delete_user(platform, user_id)
                except AssertionError as problem:
                    log.warning("could not delete load user %s: %s", user_id, problem)
        finally:
            platform.transport.close()


RUN: LoadRun | None = None  # None on the master, which runs no users
ENVIRONMENT: dict[str, Any] = {}  # "environment": Locust's Environment, for the summary
PEAK_USERS = 0


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    ENVIRONMENT["environment"] = environment
    options = environment.parsed_options
    if options is None:  # used as a library (locust.env.Environment): the caller configures
        return
    if not isinstance(environment.runner, WorkerRunner):  # the master (or the single process) sets the bounds
        _check_bounds(options)
    if isinstance(environment.runner, MasterRunner):
        return  # the master runs no users
    global RUN
    try:
        config = SuiteConfig.from_sources(_userdata(), [], os.environ)
    except ConfigError as problem:
        _refuse(f"configuration: {problem}")
    if config.embedded:
        _refuse("set AUTH_SERVICE_URL, ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL (`make load` starts a platform)")
    if not getattr(options, "allow_remote_target", False):
        remote = [url for url in (config.auth_url, config.accounting_url, config.chat_url) if not _is_loopback(url)]
        if remote:
            _refuse(f"{', '.join(remote)} is not a loopback address; pass --allow-remote-target to load it")
    RUN = LoadRun(config, options)


def _check_bounds(options) -> None:
    if options.headless and not options.run_time:
        _refuse("a headless run must be bounded: give --run-time (e.g. -t 30s)")
    max_users = getattr(options, "max_users", 200)
    if options.num_users and options.num_users > max_users:
        _refuse(f"{options.num_users} users is more than --max-users {max_users}")


def _refuse(message: str):
    log.error("chat-acceptance load profile: %s", message)
    raise SystemExit(2)


def _userdata() -> dict[str, object]:
    if not PYPROJECT.is_file():
        return {}
    return dict(tomllib.loads(PYPROJECT.read_text())["tool"]["behave"]["userdata"])


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_kwargs) -> None:
    global PEAK_USERS
    PEAK_USERS = max(PEAK_USERS, user_count)


@events.test_stop.add_listener
def _test_stopped(environment, **_kwargs) -> None:
    if RUN is not None:
        RUN.delete_leftovers()


# -- the user -----------------------------------------------------------------------------------------------


class ChatUser(User):
    """One end user with one conversation, streaming and confirming as fast as the platform answers."""

    wait_time = constant(0)

    def on_start(self) -> None:
        if RUN is None:
            raise StopUser()
        self.platform = RUN.client()
        self.platform.transport.add_listener(self._report_exchange)
        self.cleanups: list[tuple[str, Callable[[], Any]]] = []
        signed_in, delete = RUN.new_user(self.platform)
        if delete is not None:
            self.cleanups.append((f"delete user {signed_in.username}", delete))
        self.person = Person(
            signed_in.username, signed_in, self.platform,
            confirm_retry_s=RUN.config.confirm_retry_s,
            add_cleanup=lambda description, action: self.cleanups.append((description, action)),
        )
        self.conversation = self.person.start_conversation("load test")
        self.earlier_id: str | None = None
        self.wrong_kinds = itertools.cycle(WRONG_ID_KINDS)

    def on_stop(self) -> None:
        if RUN is not None and hasattr(self, "conversation"):
            RUN.latest_ids.pop(self.conversation, None)
        for description, action in reversed(getattr(self, "cleanups", [])):
            try:
                action()
            except Exception as problem:  # a clean-up must not hide the run's figures
                log.warning("clean-up could not %s: %s", description, problem)
        if hasattr(self, "platform"):
            self.platform.transport.close()

    @task
    def confirm_with_right_id(self) -> None:
        reply = self._stream()
        if reply is not None:
            self._confirm_with_right_id(reply)
            self._check_balance()

    @task
    def confirm_with_wrong_id(self) -> None:
        reply = self._stream()
        if reply is None:
            return
        kind, wrong_id = self._wrong_id(reply)
        answer = self.person.confirm(reply, wrong_id)
        if kind == "another session's ID":
            self._check(NO_CROSS_SESSION, answer.status != 200, f"another session's ID confirmed: {_said(answer)}")
        rejected = is_mismatch(answer) and reply.streaming_session_id not in answer.text
        self._check(WRONG_ID_REJECTED, rejected, f"{kind}: {_said(answer)}")
        self._confirm_with_right_id(reply)  # a rejected attempt leaves the right ID working
        self._check_balance()

    # steps of the flows

    def _stream(self) -> Reply | None:
        reply = self.person.ask_for_reply(self.conversation, QUESTION)
        stream = reply.stream
        if stream.status == 402:
            log.warning("%s has no credits left: this user stops", self.person.username)
            raise StopUser()
        complete = stream.status == 200 and stream.ending is Ending.DONE and bool(stream.streaming_session_id)
        self._check(STREAM_COMPLETES, complete,
                    f"status {stream.status}, {stream.ending.value}, ID {stream.streaming_session_id!r}")
        if stream.first_chunk_after_s is not None:
            self._metric(TIME_TO_FIRST_CHUNK, stream.first_chunk_after_s)
        if not complete:
            return None
        RUN.latest_ids[self.conversation] = stream.streaming_session_id
        return reply

    def _confirm_with_right_id(self, reply: Reply) -> None:
        started = time.monotonic()
        answer = self.person.confirm_with_own_id(reply)
        self._metric(CONFIRMATION_LATENCY, time.monotonic() - started)
        self._check(RIGHT_ID_CONFIRMS, answer.status == 200, _said(answer))
        self.earlier_id = reply.streaming_session_id

    def _wrong_id(self, reply: Reply) -> tuple[str, str]:
        issued = reply.streaming_session_id
        kind = next(self.wrong_kinds)
        if kind == "the earlier reply's ID" and self.earlier_id not in (None, issued):
            return kind, self.earlier_id
        if kind == "another session's ID":
            others = [other for conversation, other in list(RUN.latest_ids.items())
                      if conversation != self.conversation and other != issued]
            if others:
                return kind, secrets.choice(others)
        if kind == "a look-alike of the issued ID":
            return kind, lookalike_of(issued)
        return "a made-up ID", made_up_streaming_id()

    def _check_balance(self) -> None:
        answer = self.platform.accounting.balance(self.person.token)
        total = answer.field("totalCredits")
        valid = answer.status == 200 and isinstance(total, (int, float)) and not isinstance(total, bool)
        self._check(BALANCE_NOT_NEGATIVE, valid and total >= 0, f"balance answer {_said(answer)}")

    # reporting to Locust

    def _report_exchange(self, exchange: Exchange) -> None:
        failure = None
        if exchange.status is None:
            failure = ConnectionError(exchange.error or "no answer")
        elif exchange.status >= 500:
            failure = InvariantViolated(f"{exchange.status} from {exchange.method} {_template(exchange.url)}")
        events.request.fire(
            request_type=exchange.method,
            name=_template(exchange.url),
            response_time=exchange.duration_s * 1000,
            response_length=len(exchange.response_body or "")
            + sum(len(event.data) for event in (exchange.stream.events if exchange.stream else ())),
            exception=failure,
            context={},
        )
        if exchange.status is not None:
            self._check(NO_5XX, exchange.status < 500, str(failure))

    def _check(self, invariant: str, holds: bool, detail: str) -> None:
        events.request.fire(
            request_type="CHECK", name=invariant, response_time=0, response_length=0,
            exception=None if holds else InvariantViolated(detail[:300]), context={},
        )

    def _metric(self, metric: tuple[str, str], seconds: float) -> None:
        events.request.fire(
            request_type=metric[0], name=metric[1], response_time=seconds * 1000, response_length=0,
            exception=None, context={},
        )


def _template(url: str) -> str:
    """A URL's path with its IDs replaced, so that Locust groups the requests: /api/chat/sessions/{id}/stream."""
    return _ID_SEGMENT.sub(lambda match: f"/{match.group(1)}/{{id}}", urlsplit(url).path)


def _said(answer: ApiResponse) -> str:
    return f"{answer.status} {answer.text[:200]}"


# -- the summary (master, or the single process) --------------------------------------------------------------


def summary(environment) -> dict[str, Any]:
    stats = environment.stats
    streams = stats.get(STREAM_REQUEST[1], STREAM_REQUEST[0])
    first_chunk = stats.get(TIME_TO_FIRST_CHUNK[1], TIME_TO_FIRST_CHUNK[0])
    confirmation = stats.get(CONFIRMATION_LATENCY[1], CONFIRMATION_LATENCY[0])
    invariants = {}
    for invariant in INVARIANTS:
        entry = stats.get(invariant, "CHECK")
        invariants[invariant] = {"checks": entry.num_requests, "violations": entry.num_failures}
    http_failures = sum(
        entry.num_failures for (name, method), entry in stats.entries.items() if method not in ("CHECK", "SSE", "CONFIRM")
    )
    runner = environment.runner
    task_errors = sum(error["count"] for error in runner.exceptions.values()) if runner else 0
    elapsed = (stats.last_request_timestamp or 0) - (stats.start_time or 0)

    def percentile(entry, fraction: float) -> float | None:
        return entry.get_response_time_percentile(fraction) if entry.num_requests else None

    return {
        "users": PEAK_USERS or getattr(environment.parsed_options, "num_users", None),
        "seconds": round(elapsed, 1),
        "streams": streams.num_requests,
        "streams_per_s": round(streams.num_requests / elapsed, 1) if elapsed > 0 else 0.0,
        "time_to_first_chunk_ms": {"p50": percentile(first_chunk, 0.5), "p95": percentile(first_chunk, 0.95)},
        "confirmation_latency_ms": {"p50": percentile(confirmation, 0.5), "p95": percentile(confirmation, 0.95)},
        "http_requests": sum(
            entry.num_requests for (name, method), entry in stats.entries.items()
            if method not in ("CHECK", "SSE", "CONFIRM")
        ),
        "errors": http_failures + task_errors,
        "invariant_violations": sum(item["violations"] for item in invariants.values()),
        "invariants": invariants,
    }


def summary_table(figures: dict[str, Any]) -> str:
    def ms(value) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    lines = [
        "chat-acceptance load summary",
        f"  users                     {figures['users']}",
        f"  run                       {figures['seconds']} s, {figures['streams']} streams, "
        f"{figures['http_requests']} HTTP requests",
        f"  streams/s                 {figures['streams_per_s']}",
        f"  time to first chunk       p50 {ms(figures['time_to_first_chunk_ms']['p50'])}, "
        f"p95 {ms(figures['time_to_first_chunk_ms']['p95'])}",
        f"  confirmation latency      p50 {ms(figures['confirmation_latency_ms']['p50'])}, "
        f"p95 {ms(figures['confirmation_latency_ms']['p95'])}",
        f"  errors                    {figures['errors']}",
        f"  invariant violations      {figures['invariant_violations']}",
    ]
    for invariant, counts in figures["invariants"].items():
        verdict = "ok" if not counts["violations"] else f"VIOLATED {counts['violations']} times"
        lines.append(f"    {invariant:<42} {counts['checks']:>7} checks  {verdict}")
    return "\n".join(lines)


@events.quit.add_listener
def _print_summary(exit_code: int, **_kwargs) -> None:
    environment = ENVIRONMENT.get("environment")
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    figures = summary(environment)
    print("\n" + summary_table(figures), flush=True)
    path = getattr(environment.parsed_options, "summary_json", "")
    if path:
        Path(path).write_text(json.dumps({**figures, "exit_code": exit_code}, indent=2) + "\n")



if __name__ == "__main__":
    sys.exit("run me with locust: locust -f locustfile.py --headless -u 10 -r 5 -t 30s (see the docstring)")
