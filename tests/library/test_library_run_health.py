"""chat_acceptance.transport.run_health: the run's one watcher of the platform, alone and through the client
against a scripted server (429 with Retry-After, a spent waiting budget, stalls, connection failures, pacing)."""

from __future__ import annotations

import time

import pytest

from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import ChatApi
from chat_acceptance.transport.exchange import PlatformUnavailable
from chat_acceptance.transport.http_transport import HttpTransport, Timeouts
from chat_acceptance.transport.run_health import (
    PlatformUnhealthy,
    RunHealth,
    Throttled,
    announced_window,
    retry_after_seconds,
)
from tests.library.scripted_server import Hold, ScriptedReply, json_reply, sse

MODELS = {"models": [{"id": "m", "name": "M", "available": True}]}


class FakeTime:
    """A clock that only moves when the watcher sleeps, so pacing and waits are checked exactly."""

    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def transport_with(health: RunHealth, read_s: float = 2.0) -> HttpTransport:
    return HttpTransport(Timeouts(2.0, read_s, 5.0, 100), Redactor(), None, health)


# ------------------------------------------------------------------------------------------ the watcher alone


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0.5", 0.5), (" 2 ", 2.0), (None, 1.0), ("", 1.0), ("soon", 1.0), ("-4", 0.0), ("nan", 1.0)],
)
def test_retry_after_is_read_as_seconds(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_may_be_an_http_date():
    in_two_seconds = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3))
    assert 1.0 <= retry_after_seconds(in_two_seconds) <= 3.5


def test_throttling_waits_as_told_and_counts_until_the_budget_is_spent():
    fake = FakeTime()
    health = RunHealth(throttle_budget_s=5, clock=fake.clock, sleep=fake.sleep)
    health.throttled("2")
    health.throttled("2")
    assert fake.slept == [2.0, 2.0] and health.throttled_answers == 2 and health.waited_s == 4.0
    with pytest.raises(PlatformUnhealthy, match=r"^the run stopped: .*429 Too Many Requests.*budget of 5 s"):
        health.throttled("2")
    with pytest.raises(PlatformUnhealthy, match="budget"):
        health.admit()  # once spent, every later request fails at once
    assert "3 answers were 429 Too Many Requests; waited 4.0 s of the 5 s budget" in health.summary()


def test_stalls_in_a_row_stop_the_run_but_a_completed_stream_resets_them():
    health = RunHealth(stall_limit=3)
    health.start_watching()
    health.stalled("chat", "stream")
    health.stalled("chat", "stream")
    health.stream_completed()
    health.stalled("chat", "stream")
    health.stalled("chat", "stream")
    health.answered()  # a plain answer between stalls does not mean the streams flow again
    health.admit()
    health.stalled("chat", "stream")
    with pytest.raises(PlatformUnhealthy) as stopped:
        health.admit()
    assert str(stopped.value) == (
        "the run stopped: the chat service stalled (3 streams in a row sent nothing within the read timeout), "
        "so the remaining scenarios fail at once"
    )


def test_nothing_counts_toward_a_verdict_before_set_up_is_done():
    health = RunHealth(stall_limit=1)
    health.connection_failed("auth", "http://127.0.0.1:1")  # set-up polls health checks within its own deadline
    health.admit()
    health.start_watching()
    health.connection_failed("auth", "http://127.0.0.1:1")
    with pytest.raises(PlatformUnhealthy, match="connections in a row to the platform failed"):
        health.admit()


def test_pacing_spaces_requests_evenly():
    fake = FakeTime()
    health = RunHealth(max_requests_per_second=4, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        health.admit()
    assert fake.slept == pytest.approx([0.25, 0.25, 0.25, 0.25])


# ------------------------------------------------------------------------------------------ through the client


def test_a_429_is_waited_out_and_the_request_sent_again(server):
    server.reply(json_reply(429, {"message": "slow down"}, headers=[("Retry-After", "0.3")]))
    server.reply(json_reply(200, MODELS))
    health = RunHealth()
    transport = transport_with(health)
    exchanges = []
    transport.add_listener(exchanges.append)
    started = time.monotonic()

    answer = ChatApi(transport, server.url).models("token")

    assert answer.status == 200 and answer.field("models")
    assert time.monotonic() - started >= 0.3
    assert len(server.received) == 2 and [exchange.status for exchange in exchanges] == [429, 200]
    assert health.throttled_answers == 1 and health.waited_s == pytest.approx(0.3)
    transport.close()


def test_a_throttled_stream_is_sent_again_too(server):
    server.reply(json_reply(429, {"message": "slow down"}, headers=[("Retry-After", "0")]))
    server.reply(
        ScriptedReply(
            headers=[("Content-Type", "text/event-stream"), ("X-Streaming-Session-Id", "s-1")],
            body=[sse("chunk", {"text": "hi"}), sse("done", {"tokensUsed": 1})],
        )
    )
    transport = transport_with(RunHealth())

    result = ChatApi(transport, server.url).stream_reply("token", "ses", "hello?")

    assert result.status == 200 and result.text == "hi" and result.streaming_session_id == "s-1"
    assert len(server.received) == 2
    transport.close()


def test_a_spent_budget_fails_the_request_with_the_reason_not_as_a_broken_promise(server):
    for _ in range(3):
        server.reply(json_reply(429, {"message": "slow down"}, headers=[("Retry-After", "0.2")]))
    health = RunHealth(throttle_budget_s=0.3)
    transport = transport_with(health)

    with pytest.raises(PlatformUnhealthy, match=r"^the run stopped: the chat service kept answering 429"):
        ChatApi(transport, server.url).models("token")
    assert len(server.received) == 2 and health.throttled_answers == 2
    with pytest.raises(PlatformUnhealthy):
        ChatApi(transport, server.url).models("token")
    assert len(server.received) == 2  # failed at once, without sending
    transport.close()


def test_silent_streams_in_a_row_make_every_later_request_fail_at_once(server):
    health = RunHealth(stall_limit=2)
    health.start_watching()
    transport = transport_with(health, read_s=0.3)
    chat = ChatApi(transport, server.url)
    for _ in range(2):
        server.reply(
            ScriptedReply(
                headers=[("Content-Type", "text/event-stream"), ("X-Streaming-Session-Id", "s")],
                body=[sse("chunk", {"text": "a"}), Hold()],
            )
        )
        assert chat.stream_reply("token", "ses", "hello?").ending.name == "STALLED"

    started = time.monotonic()
    with pytest.raises(PlatformUnhealthy, match="the chat service stalled"):
        chat.models("token")
    assert time.monotonic() - started < 0.2 and len(server.received) == 2
    transport.close()


def test_refused_connections_in_a_row_stop_the_run(refused_url):
    health = RunHealth(stall_limit=2)
    health.start_watching()
    transport = transport_with(health)
    chat = ChatApi(transport, refused_url)
    for _ in range(2):
        with pytest.raises(PlatformUnavailable, match="connection refused"):
            chat.models("token")
    with pytest.raises(PlatformUnhealthy, match=f"2 connections in a row to the platform failed .*{refused_url}"):
        chat.models("token")
    transport.close()


# ------------------------------------------------------------------------------------------ announced rate limits


@pytest.mark.parametrize(
    ("headers", "limit", "remaining", "reset_in", "window"),
    [
        ({"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "1000000042"}, 30, 7, 42, None),
        ({"x-ratelimit-limit": "30", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "12"}, 30, 0, 12, None),
        ({"RateLimit-Limit": "100, 100;w=60", "RateLimit-Remaining": "3", "RateLimit-Reset": "5"}, 100, 3, 5, None),
        ({"RateLimit": '"default";r=2;t=9', "RateLimit-Policy": '"default";q=50;w=30'}, 50, 2, 9, 30),
        ({"RateLimit": "limit=10, remaining=1, reset=4"}, 10, 1, 4, None),
        ({"X-RateLimit-Remaining": "1", "RateLimit-Policy": "30;w=60"}, 30, 1, None, 60),
    ],
)
def test_announced_limits_are_read_in_every_common_spelling(headers, limit, remaining, reset_in, window):
    # now = 100 on the watcher's clock, 1e9 on the wall clock (an X-RateLimit-Reset above 1e9 is a Unix time)
    announced = announced_window(headers, 100.0, 1_000_000_000.0)
    assert announced is not None and announced.remaining == remaining and announced.limit == limit
    assert (announced.reset_at - 100.0 if announced.reset_at is not None else None) == reset_in
    assert announced.window_s == window
    assert announced_window({"Content-Type": "application/json"}, 0, 0) is None


def test_a_service_that_says_nothing_is_left_is_waited_for_until_its_window_resets():
    fake = FakeTime()
    health = RunHealth(throttle_budget_s=30, clock=fake.clock, sleep=fake.sleep, wall_clock=lambda: 0.0)
    health.observe("chat", {"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "20"})
    health.admit("chat")  # the last one of the window: no wait
    health.admit("auth")  # another service: its own limit
    assert fake.slept == []
    health.admit("chat")  # nothing left: waits for the reset, out of the budget
    assert fake.slept == [20.0] and health.waited_s == 20.0 and health.throttled_answers == 0


def test_a_reset_beyond_the_budget_stops_the_run_as_throttled_and_says_what_it_would_need():
    fake = FakeTime()
    health = RunHealth(throttle_budget_s=5, clock=fake.clock, sleep=fake.sleep, wall_clock=lambda: 0.0)
    for _ in range(30):
        health.admit("chat")
    health.observe(
        "chat",
        {
            "X-RateLimit-Limit": "30",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "50",
            "RateLimit-Policy": "30;w=60",
        },
    )
    with pytest.raises(
        Throttled,
        match=r"^the run stopped: the chat service announced that its rate limit is "
        r"reached and the run's waiting budget of 5 s",
    ):
        health.admit("chat")
    assert fake.slept == []  # the budget could not pay for it: no wait at all
    with pytest.raises(Throttled):
        health.admit("chat")
    health.admit("auth")  # the other services still answer (the run's clean-up needs them)
    line = health.throttled_line(scenarios_done=10, scenarios_left=100)
    assert line == (
        "THROTTLED: the chat service allows 30 requests per 60 s (X-RateLimit-*); the run still needed about 310 "
        "requests for 100 scenarios (about 11 min at that rate); allow it with a bigger -D throttle_budget "
        "(seconds), an allow-listed client for the suite, or fewer scenarios (--tags=@core)"
    )
    assert RunHealth().throttled_line(scenarios_done=1, scenarios_left=1) is None
    unannounced = RunHealth(throttle_budget_s=0, sleep=lambda seconds: None)
    with pytest.raises(Throttled):
        unannounced.throttled("1", "auth")
    assert unannounced.throttled_line(scenarios_done=0, scenarios_left=3).startswith(
        "THROTTLED: the auth service answered 429 Too Many Requests 1 times and announced no limit; the run still "
        "needed about 0 requests for 3 scenarios (an unknown time)"
    )


def test_a_rate_per_service_spaces_that_service_only():
    fake = FakeTime()
    health = RunHealth(requests_per_minute={"chat": 30}, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        health.admit("chat")
        health.admit("auth")
    assert fake.slept == [2.0, 2.0] and health.waited_s == 0  # configured pacing is not throttling


def test_through_the_client_an_announced_limit_is_waited_out_without_a_429(server):
    server.reply(
        json_reply(
            200,
            MODELS,
            headers=[("X-RateLimit-Limit", "2"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")],
        )
    )
    server.reply(json_reply(200, MODELS))
    health = RunHealth()
    transport = transport_with(health)
    chat = ChatApi(transport, server.url)
    chat.models("token")
    started = time.monotonic()
    assert chat.models("token").status == 200
    assert time.monotonic() - started >= 0.9 and health.throttled_answers == 0 and len(server.received) == 2
    transport.close()
