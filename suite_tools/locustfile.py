"""Load: the suite's own client as many concurrent users, checking the streaming contract's invariants.

    AUTH_SERVICE_URL=http://127.0.0.1:3000 ACCOUNTING_SERVICE_URL=http://127.0.0.1:3001 \\
    CHAT_SERVICE_URL=http://127.0.0.1:3002 \\
        locust -f suite_tools/locustfile.py --headless --users 20 --spawn-rate 20 --run-time 30s --stop-timeout 10

(`make load` starts the reference platform with uvicorn workers and runs this for you.)

The deployment and accounts come from the same environment variables as the suite (AUTH_SERVICE_URL, ...,
TEST_USER, ..., ADMIN_USER, ADMIN_PASSWORD; defaults declared in chat_acceptance/config.py), and each user's
client is built as the suite's is (chat_acceptance/world/build.py: timeouts, pacing, the deployment's connection
settings), without contract checks.

Three phases:
1. Set-up, before the measured phase and outside its clock (suite_tools/load_accounts.py): the administrator
   creates one end user per Locust user, gives it credits, signs it in and starts its conversation, a few at a
   time and retrying safely. Without an administrator the users take turns with the configured test accounts,
   which must hold credits.
2. The measured phase (--run-time): each Locust user streams and confirms, nothing else.
   - confirm with the right ID: stream a reply, confirm it with the issued streaming session ID;
   - confirm with a wrong ID: stream a reply, confirm it with one of the suite's other IDs (a made-up ID, a
     look-alike of the issued one, the user's earlier reply's ID, another user's latest reply's ID), then
     with the right one.
3. Clean-up, after the last user stopped: every user and conversation the run created is removed, found by the
   run's prefix, including those whose creation the client gave up on.

Invariants, checked on every occurrence and reported as Locust requests of type CHECK (a violation is a failure,
so Locust exits 1): every right ID confirms; every wrong ID is rejected as a mismatch without revealing the
issued ID; no stream's ID confirms another session; every stream completes with an ID; no balance goes below
zero; no 5xx. Metrics, as Locust requests: every HTTP call (by method and path template; a stream's time is the
whole stream), "SSE time to first chunk" and "CONFIRM confirmation latency (right ID)".
Each failure is counted once: a request with no answer is an error of its request; a 5xx is a violation of
"no 5xx"; an account that could not be prepared, an unexpected exception and a clean-up step that failed are
errors of their own. The summary names the users that actually ran (streamed at least once).

Bounded: a headless run needs --run-time and at most --max-users users; targets must be loopback addresses
unless --allow-remote-target. Every call has a timeout and every stream a deadline (the suite's client).
Distributed: `--master --expect-workers N` with the options above, `--worker` on each load process with the
same environment variables (`python -m suite_tools.load_run --locust-workers 2` does it on one machine). The
master prepares the accounts, hands each worker its share, stops the workers and collects their last figures
before it cleans up and prints the summary.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import math
import os
import re
import sys
import threading  # patched by gevent under Locust: a greenlet-aware lock
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import User, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from chat_acceptance.actors.people import Reply, sign_in
from chat_acceptance.checks.matchers import (
    carries_streaming_session_id,
    describe_answer,
    does_not_reveal,
    is_accepted,
    is_complete_stream,
    is_rejected_as_mismatch,
)
from chat_acceptance.config.sources import ConfigError
from chat_acceptance.config.suite_config import Account, SuiteConfig
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.exchange import ApiResponse, Exchange, PlatformUnavailable
from chat_acceptance.transport.sse import StreamResult
from chat_acceptance.world.build import build_suite, connect
from chat_acceptance.world.scenario import OtherId, World
from chat_acceptance.world.suite import Suite
from suite_tools.load_accounts import CleanedUp, LoadAccount, LoadAccounts, Prepared, RunPlan

log = logging.getLogger("chat-load")

QUESTION = "What is the capital of France?"

# Invariants (Locust request type CHECK), in the order the summary shows them.
RIGHT_ID_CONFIRMS = "every right ID confirms"
WRONG_ID_REJECTED = "every wrong ID is rejected as a mismatch"
NO_CROSS_SESSION = "no stream's ID confirms another session"
STREAM_COMPLETES = "every stream completes with an ID"
BALANCE_NOT_NEGATIVE = "no balance goes below zero"
NO_5XX = "no 5xx"
INVARIANTS = (RIGHT_ID_CONFIRMS, WRONG_ID_REJECTED, NO_CROSS_SESSION, STREAM_COMPLETES, BALANCE_NOT_NEGATIVE, NO_5XX)
# Custom metrics and counts (request type, name).
TIME_TO_FIRST_CHUNK = ("SSE", "time to first chunk")
CONFIRMATION_LATENCY = ("CONFIRM", "confirmation latency (right ID)")
USER_RAN = ("LOAD", "users that streamed")
USER_WITHOUT_ACCOUNT = ("LOAD", "users without a prepared account")
STREAM_REQUEST = ("POST", "/api/chat/sessions/{id}/stream")
NOT_HTTP = ("CHECK", "SSE", "CONFIRM", "LOAD")
_ID_SEGMENT = re.compile(r"/(sessions|users|balance)/[^/]+")

ANOTHER_USERS_ID = OtherId.OTHER_CONVERSATION  # under load, "the other conversation" is another user's
FINISH_MESSAGE, FINISHED_MESSAGE, ACCOUNTS_MESSAGE = "chat-load-finish", "chat-load-finished", "chat-load-accounts"
FINISH_MARGIN_S = 30  # beyond the stop timeout, for workers to stop their users and report
# --stop-at-verdict: violations enough to fail the run and to have tried each kind of wrong ID many times over
VERDICT_VIOLATIONS = 20


class InvariantViolated(AssertionError):
    pass


# -- options ------------------------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser.add_argument_group("chat-acceptance load profile")
    group.add_argument(
        "--credits-per-user",
        type=int,
        default=100_000,
        env_var="LOAD_CREDITS_PER_USER",
        help="credits the administrator gives each load user (default %(default)s)",
    )
    group.add_argument(
        "--max-users",
        type=int,
        default=200,
        env_var="LOAD_MAX_USERS",
        help="refuse to run more users than this (default %(default)s)",
    )
    group.add_argument(
        "--allow-remote-target",
        action="store_true",
        default=False,
        env_var="LOAD_ALLOW_REMOTE_TARGET",
        help="allow service URLs that are not loopback addresses",
    )
    group.add_argument(
        "--stop-at-verdict",
        action="store_true",
        default=False,
        env_var="LOAD_STOP_AT_VERDICT",
        help="stop as soon as the verdict is known: every invariant checked at least once, or "
        f"{VERDICT_VIOLATIONS} violations seen (--run-time still bounds the run); for tests",
    )
    group.add_argument(
        "--summary-json",
        default="",
        env_var="LOAD_SUMMARY_JSON",
        help="also write the summary (users, streams/s, percentiles, invariants) to this file",
    )


# -- the run, one per process -------------------------------------------------------------------------------


class LoadRun:
    """What one Locust process knows: configuration, and (on the master or the single process) the run's
    accounts, prepared before the measured phase and removed after it."""

    def __init__(self, config: SuiteConfig, options):
        self.config = config
        self.options = options  # on a worker, updated in place with the master's options at the start
        self._lock = threading.Lock()
        self._accounts: list[LoadAccount] = []  # this process's accounts, not yet taken by a user
        self.latest_replies: dict[str, Reply] = {}  # conversation -> its latest complete reply, across users
        self.plan = RunPlan.new()
        self.requested = 0  # users the run was asked for (master or single process)
        self.prepared: Prepared | None = None
        self.cleaned: CleanedUp | None = None

    # Clients and suites built as the acceptance run's are, but without contract checks: they cost the load
    # generator CPU.

    def client(self) -> PlatformClient:
        return connect(self.config, contract_checks=False)

    def suite(self) -> Suite:
        return build_suite(self.config, contract_checks=False)

    def accounts(self) -> LoadAccounts:
        credits = int(getattr(self.options, "credits_per_user", None) or 100_000)
        return LoadAccounts(self.config, self.plan, self.client, credits=credits)

    def prepare(self, users: int, workers: int = 1) -> None:
        """Prepares accounts for `users` users: as many for each worker, as Locust may give one more to any."""
        self.requested = users
        count = math.ceil(users / workers) * workers
        print(f"load set-up: preparing {count} account(s) (run prefix {self.plan.prefix})", flush=True)
        self.prepared = self.accounts().prepare(count)
        self.add_accounts(self.prepared.accounts)
        for failure in self.prepared.failures[:10]:
            log.error("set-up: %s", failure)
        print(
            f"load set-up: {len(self.prepared.accounts)} of {count} ready in {self.prepared.seconds:.1f} s", flush=True
        )

    def clean_up(self) -> None:
        if self.prepared is None:
            return
        known = self.prepared.accounts
        self.cleaned = self.accounts().clean_up(len(known) + len(self.prepared.failures), known)
        for failure in self.cleaned.failures[:10]:
            log.error("clean-up: %s", failure)

    def add_accounts(self, accounts: list[LoadAccount]) -> None:
        with self._lock:
            self._accounts.extend(accounts)

    def take_account(self) -> LoadAccount | None:
        with self._lock:
            return self._accounts.pop(0) if self._accounts else None

    def take_all(self) -> list[LoadAccount]:
        with self._lock:
            taken, self._accounts = self._accounts, []
        return taken

    @property
    def failed_outside_the_measured_phase(self) -> bool:
        return bool((self.prepared and self.prepared.failures) or (self.cleaned and self.cleaned.failures))


RUN: LoadRun | None = None
ENVIRONMENT: dict[str, Any] = {}  # "environment": Locust's Environment, for the summary


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    ENVIRONMENT["environment"] = environment
    options = environment.parsed_options
    if options is None:  # used as a library (locust.env.Environment): the caller configures
        return
    if not isinstance(environment.runner, WorkerRunner):  # the master (or the single process) sets the bounds
        _check_bounds(options)
    global RUN
    try:
        config = SuiteConfig.from_sources({}, [], os.environ)
    except ConfigError as problem:
        _refuse(f"configuration: {problem}")
    if config.embedded:
        _refuse("set AUTH_SERVICE_URL, ACCOUNTING_SERVICE_URL and CHAT_SERVICE_URL (`make load` starts a platform)")
    if not getattr(options, "allow_remote_target", False):
        remote = [url for url in (config.auth_url, config.accounting_url, config.chat_url) if not _is_loopback(url)]
        if remote:
            _refuse(f"{', '.join(remote)} is not a loopback address; pass --allow-remote-target to load it")
    RUN = LoadRun(config, options)
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(ACCOUNTS_MESSAGE, _receive_accounts)
        runner.register_message(FINISH_MESSAGE, _finish_worker, concurrent=True)
        return
    if isinstance(runner, MasterRunner):
        runner.register_message(FINISHED_MESSAGE, _worker_finished)
    if options.headless and options.num_users:
        # Before Locust starts its run-time clock: set-up is not part of the measured phase.
        workers = options.expect_workers if isinstance(runner, MasterRunner) else 1
        RUN.prepare(options.num_users, workers)


def _check_bounds(options) -> None:
    if options.headless and not options.run_time:
        _refuse("a headless run must be bounded: give --run-time (e.g. -t 30s)")
    max_users = getattr(options, "max_users", 200)
    if options.num_users and options.num_users > max_users:
        _refuse(f"{options.num_users} users is more than --max-users {max_users}")


def _refuse(message: str):
    log.error("chat-acceptance load profile: %s", message)
    raise SystemExit(2)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the run's life: hand out accounts, stop workers before counting, clean up --------------------------------


@events.test_start.add_listener
def _test_start(environment, **_kwargs) -> None:
    runner = environment.runner
    if RUN is None or isinstance(runner, WorkerRunner):
        return
    if RUN.prepared is None:  # started from the web UI: the number of users is known only now
        workers = len(runner.clients.ready) if isinstance(runner, MasterRunner) else 1
        RUN.prepare(runner.target_user_count or 1, max(workers, 1))
    if isinstance(runner, MasterRunner):
        # Each worker gets its share before its first spawn message (messages to a worker keep their order).
        workers = sorted(
            client.id for client in runner.clients.ready + runner.clients.running + runner.clients.spawning
        )
        accounts = [account.to_message() for account in RUN.take_all()]
        for index, worker in enumerate(workers):
            runner.send_message(ACCOUNTS_MESSAGE, accounts[index :: len(workers)], client_id=worker)
    if getattr(environment.parsed_options, "stop_at_verdict", False):
        gevent.spawn(_quit_at_verdict, environment)  # not in the runner's group, which quit() kills


def _quit_at_verdict(environment) -> None:
    """Watches the (merged) statistics and quits the run once every invariant has been checked, or once it has
    seen VERDICT_VIOLATIONS violations (a platform that breaks one invariant may make others unreachable: with
    no ID, no reply is ever confirmed); the run time bounds it all the same."""
    stats = environment.runner.stats

    def verdict_known() -> bool:
        entries = [stats.get(invariant, "CHECK") for invariant in INVARIANTS]
        return (
            all(entry.num_requests for entry in entries)
            or sum(entry.num_failures for entry in entries) >= VERDICT_VIOLATIONS
        )

    while not verdict_known():
        gevent.sleep(0.2)  # a gevent yield between looks at the figures; --run-time ends the run regardless
    environment.runner.quit()


def _receive_accounts(environment, msg, **_kwargs) -> None:
    RUN.add_accounts([LoadAccount.from_message(data) for data in msg.data])


FINISHED: set[str] = set()


@events.test_stopping.add_listener
def _stop_workers_first(environment, **_kwargs) -> None:
    """On the master: each worker stops its users (within the stop timeout) and sends its last figures before
    the master counts, cleans up and quits (Locust's own quit waits only half a second for them)."""
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    workers = [client.id for client in runner.clients.all]
    for worker in workers:
        runner.send_message(FINISH_MESSAGE, None, client_id=worker)
    deadline = time.monotonic() + (environment.stop_timeout or 0) + FINISH_MARGIN_S
    while not FINISHED.issuperset(workers) and time.monotonic() < deadline:
        gevent.sleep(0.1)  # a gevent yield while the workers' messages arrive, bounded by the deadline
    missing = set(workers) - FINISHED
    if missing:
        log.error("%d worker(s) did not report their last figures in time", len(missing))


def _finish_worker(environment, msg, **_kwargs) -> None:
    runner = environment.runner
    runner.stop()
    runner._send_stats()  # the figures of the last flows, before the master counts
    runner.send_message(FINISHED_MESSAGE, None)


def _worker_finished(environment, msg, **_kwargs) -> None:
    FINISHED.add(msg.node_id)


@events.quitting.add_listener
def _clean_up(environment, **_kwargs) -> None:
    if RUN is not None and not isinstance(environment.runner, WorkerRunner):
        RUN.clean_up()
        if RUN.failed_outside_the_measured_phase:
            environment.process_exit_code = 1


# -- the user -----------------------------------------------------------------------------------------------


class ChatUser(User):
    """One end user with one conversation, streaming and confirming as fast as the platform answers."""

    wait_time = constant(0)

    def on_start(self) -> None:
        account = RUN.take_account() if RUN is not None else None
        if account is None:
            self._count(USER_WITHOUT_ACCOUNT, InvariantViolated("no prepared account was left for this user"))
            raise StopUser()
        self.account = account
        suite = RUN.suite()
        self.platform = suite.platform
        self.platform.transport.add_listener(self._report_exchange)
        self.world = World(suite, add_cleanup=lambda description, action: None)  # the run cleans up by prefix
        self.person = suite.person(
            account.signed_in.username, add_cleanup=self.world.add_cleanup, signed_in=account.signed_in
        )
        self.wrong_kinds = itertools.cycle(OtherId)
        self.ran = False

    def on_stop(self) -> None:
        if RUN is not None and hasattr(self, "account"):
            RUN.latest_replies.pop(self.account.conversation_id, None)
        if hasattr(self, "platform"):
            self.platform.transport.close()

    @task
    def confirm_with_right_id(self) -> None:
        try:
            reply = self._stream()
            if reply is not None:
                self._confirm_with_right_id(reply)
                self._check_balance()
        except PlatformUnavailable:
            pass  # already counted once, as the failure of the request that got no answer

    @task
    def confirm_with_wrong_id(self) -> None:
        try:
            reply = self._stream()
            if reply is None:
                return
            kind, wrong_id = self._wrong_id(reply)
            answer = self.person.confirm(reply, wrong_id)
            if kind == ANOTHER_USERS_ID.value:
                self._check(NO_CROSS_SESSION, answer.status != 200, f"another user's ID confirmed: {_said(answer)}")
            rejected = is_rejected_as_mismatch().matches(answer)
            hidden = does_not_reveal(reply.streaming_session_id, "the rejection").matches(answer)
            self._check(WRONG_ID_REJECTED, rejected and hidden, f"{kind}: {_said(answer)}")
            self._confirm_with_right_id(reply)  # a rejected attempt leaves the right ID working
            self._check_balance()
        except PlatformUnavailable:
            pass  # already counted once, as the failure of the request that got no answer

    # steps of the flows

    def _stream(self) -> Reply | None:
        reply = self.person.ask_for_reply(self.account.conversation_id, QUESTION)
        stream = reply.stream
        if stream.status == 401:  # the token expired (a deployment may give minutes): sign in again, as a client does
            self._sign_in_again()
            return None
        if not self.ran and stream.status == 200:
            self.ran = True
            self._count(USER_RAN)
        if stream.status == 402:
            log.warning("%s has no credits left: this user stops", self.person.username)
            raise StopUser()
        complete = carries_streaming_session_id().matches(stream) and is_complete_stream().matches(stream)
        self._check(STREAM_COMPLETES, complete, describe_answer(stream))
        if stream.first_chunk_after_s is not None:
            self._metric(TIME_TO_FIRST_CHUNK, stream.first_chunk_after_s)
        if not complete:
            return None
        self.world.earlier_reply, self.world.reply = self.world.reply, reply
        RUN.latest_replies[reply.conversation_id] = reply
        return reply

    def _sign_in_again(self) -> None:
        signed_in = sign_in(self.platform, Account(self.account.signed_in.username, self.account.password))
        self.person = self.world.suite.person(
            signed_in.username, add_cleanup=self.world.add_cleanup, signed_in=signed_in
        )

    def _confirm_with_right_id(self, reply: Reply) -> None:
        started = time.monotonic()
        answer = self.person.confirm_with_own_id(reply)
        self._metric(CONFIRMATION_LATENCY, time.monotonic() - started)
        self._check(RIGHT_ID_CONFIRMS, is_accepted().matches(answer), _said(answer))

    def _wrong_id(self, reply: Reply) -> tuple[str, str]:
        """The next kind of the suite's other IDs that this moment offers, and the ID (from World.other_id)."""
        world = self.world
        others = [
            other
            for conversation, other in list(RUN.latest_replies.items())
            if conversation != reply.conversation_id and other.streaming_session_id != reply.streaming_session_id
        ]
        world.other_reply = others[len(others) // 2] if others else None
        available = {
            OtherId.EARLIER_REPLY: world.earlier_reply is not None
            and world.earlier_reply.streaming_session_id != reply.streaming_session_id,
            ANOTHER_USERS_ID: world.other_reply is not None,
        }
        for kind in itertools.islice(self.wrong_kinds, len(OtherId)):
            if available.get(kind, True):
                return kind.value, world.other_id(kind)
        return OtherId.MADE_UP.value, world.other_id(OtherId.MADE_UP)

    def _check_balance(self) -> None:
        answer = self.platform.accounting.balance(self.person.token)
        total = answer.field("totalCredits")
        valid = answer.status == 200 and isinstance(total, (int, float)) and not isinstance(total, bool)
        self._check(BALANCE_NOT_NEGATIVE, valid and total >= 0, f"balance answer {_said(answer)}")

    # reporting to Locust

    def _report_exchange(self, exchange: Exchange) -> None:
        """Every exchange as a Locust request: a failure only when no answer came (a 5xx is NO_5XX's)."""
        events.request.fire(
            request_type=exchange.method,
            name=_template(exchange.url),
            response_time=exchange.duration_s * 1000,
            response_length=len(exchange.response_body or "")
            + sum(len(event.data) for event in (exchange.stream.events if exchange.stream else ())),
            exception=None if exchange.status is not None else ConnectionError(exchange.error or "no answer"),
            context={},
        )
        if exchange.status is not None:
            self._check(
                NO_5XX, exchange.status < 500, f"{exchange.status} from {exchange.method} {_template(exchange.url)}"
            )

    def _check(self, invariant: str, holds: bool, detail: str) -> None:
        events.request.fire(
            request_type="CHECK",
            name=invariant,
            response_time=0,
            response_length=0,
            exception=None if holds else InvariantViolated(detail[:300]),
            context={},
        )

    def _count(self, what: tuple[str, str], failure: Exception | None = None) -> None:
        events.request.fire(
            request_type=what[0], name=what[1], response_time=0, response_length=0, exception=failure, context={}
        )

    def _metric(self, metric: tuple[str, str], seconds: float) -> None:
        events.request.fire(
            request_type=metric[0],
            name=metric[1],
            response_time=seconds * 1000,
            response_length=0,
            exception=None,
            context={},
        )


def _template(url: str) -> str:
    """A URL's path with its IDs replaced, so that Locust groups the requests: /api/chat/sessions/{id}/stream."""
    return _ID_SEGMENT.sub(lambda match: f"/{match.group(1)}/{{id}}", urlsplit(url).path)


def _said(answer: ApiResponse | StreamResult) -> str:
    return describe_answer(answer)[:300]


# -- the summary (master, or the single process) --------------------------------------------------------------


def summary(environment) -> dict[str, Any]:
    stats = environment.stats
    entry = lambda pair: stats.get(pair[1], pair[0])  # noqa: E731
    streams, first_chunk, confirmation = entry(STREAM_REQUEST), entry(TIME_TO_FIRST_CHUNK), entry(CONFIRMATION_LATENCY)
    invariants = {}
    for invariant in INVARIANTS:
        checked = stats.get(invariant, "CHECK")
        invariants[invariant] = {"checks": checked.num_requests, "violations": checked.num_failures}
    http = [item for (name, method), item in stats.entries.items() if method not in NOT_HTTP]
    runner = environment.runner
    prepared = RUN.prepared if RUN is not None else None
    cleaned = RUN.cleaned if RUN is not None else None
    errors = {
        "set-up": len(prepared.failures) if prepared else 0,
        "requests without an answer": sum(item.num_failures for item in http),
        "users without a prepared account": entry(USER_WITHOUT_ACCOUNT).num_failures,
        "unexpected exceptions": sum(error["count"] for error in runner.exceptions.values()) if runner else 0,
        "clean-up": len(cleaned.failures) if cleaned else 0,
    }
    elapsed = (stats.last_request_timestamp or 0) - (stats.start_time or 0)

    def percentiles(item) -> dict[str, float | None]:
        return {
            name: item.get_response_time_percentile(fraction) if item.num_requests else None
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }

    return {
        "users": entry(USER_RAN).num_requests,
        "users_requested": RUN.requested if RUN is not None else None,
        "accounts_prepared": len(prepared.accounts) if prepared else 0,
        "setup_s": round(prepared.seconds, 1) if prepared else None,
        "seconds": round(elapsed, 1),
        "streams": streams.num_requests,
        "streams_per_s": round(streams.num_requests / elapsed, 1) if elapsed > 0 else 0.0,
        "time_to_first_chunk_ms": percentiles(first_chunk),
        "confirmation_latency_ms": percentiles(confirmation),
        "http_requests": sum(item.num_requests for item in http),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "invariant_violations": sum(item["violations"] for item in invariants.values()),
        "invariants": invariants,
        "cleanup": {
            "users_removed": cleaned.users_removed,
            "conversations_removed": cleaned.conversations_removed,
            "seconds": round(cleaned.seconds, 1),
        }
        if cleaned
        else None,
    }


def summary_table(figures: dict[str, Any]) -> str:
    def ms(values: dict[str, float | None]) -> str:
        return ", ".join(f"{name} {'-' if value is None else f'{value:.0f} ms'}" for name, value in values.items())

    cleanup = figures["cleanup"]
    lines = [
        "chat-acceptance load summary",
        f"  users that ran            {figures['users']} of {figures['users_requested']} requested "
        f"({figures['accounts_prepared']} accounts prepared in {figures['setup_s']} s, before the measured phase)",
        f"  measured phase            {figures['seconds']} s, {figures['streams']} streams, "
        f"{figures['http_requests']} HTTP requests",
        f"  streams/s                 {figures['streams_per_s']}",
        f"  time to first chunk       {ms(figures['time_to_first_chunk_ms'])}",
        f"  confirmation latency      {ms(figures['confirmation_latency_ms'])}",
        f"  errors                    {figures['errors']}"
        + "".join(f"; {kind} {count}" for kind, count in figures["error_kinds"].items() if count),
        f"  invariant violations      {figures['invariant_violations']}",
    ]
    for invariant, counts in figures["invariants"].items():
        verdict = "ok" if not counts["violations"] else f"VIOLATED {counts['violations']} times"
        lines.append(f"    {invariant:<42} {counts['checks']:>7} checks  {verdict}")
    if cleanup is not None:
        lines.append(
            f"  clean-up                  {cleanup['users_removed']} users and "
            f"{cleanup['conversations_removed']} conversations removed in {cleanup['seconds']} s"
        )
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
