"""chat_acceptance.waiting.poll_until, on a fake clock (and once on the real one, as a correctness bound)."""

from __future__ import annotations

import time

import pytest

from chat_acceptance import waiting
from chat_acceptance.waiting import poll_until


class FakeTime:
    """Stands in for the time module inside chat_acceptance.waiting."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(waiting, "time", fake)
    return fake


def counter(clock: FakeTime, *, takes_s: float = 0.0):
    calls: list[float] = []

    def check() -> int:
        calls.append(clock.now)
        clock.now += takes_s
        return len(calls)

    return check, calls


def test_the_first_call_happens_at_once(clock):
    check, calls = counter(clock)

    assert poll_until(check, lambda result: True, deadline_s=5) == 1
    assert calls == [1000.0]
    assert clock.sleeps == []


def test_it_stops_as_soon_as_done(clock):
    check, calls = counter(clock)

    assert poll_until(check, lambda result: result == 3, deadline_s=5, interval_s=0.1) == 3
    assert len(calls) == 3
    assert clock.sleeps == [0.1, 0.2]


def test_the_pause_doubles_up_to_the_maximum(clock):
    check, _ = counter(clock)

    poll_until(check, lambda result: result == 8, deadline_s=100, interval_s=0.05, max_interval_s=0.5)
    assert clock.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5])


def test_at_the_deadline_it_returns_the_last_result_without_sleeping_past_it(clock):
    check, calls = counter(clock)

    result = poll_until(check, lambda result: False, deadline_s=1.0, interval_s=0.3, max_interval_s=0.3)
    assert result == len(calls)  # the last result, not a "timed out"
    assert clock.now == pytest.approx(1001.0)  # stopped at the deadline, not after
    assert sum(clock.sleeps) == pytest.approx(1.0)
    assert clock.sleeps[-1] == pytest.approx(0.1)  # the last pause is cut to what remains
    assert calls[-1] == pytest.approx(1001.0)  # one last look at the deadline


def test_a_slow_check_never_makes_it_sleep_past_the_deadline(clock):
    check, calls = counter(clock, takes_s=0.3)

    poll_until(check, lambda result: False, deadline_s=1.0, interval_s=0.25, max_interval_s=0.25)
    started = 1000.0
    for sleep_started, pause in zip(calls[:-1], clock.sleeps, strict=True):
        assert sleep_started + 0.3 + pause <= started + 1.0 + 1e-9
    assert clock.now - started < 1.0 + 0.3 + 1e-9  # at most one check runs over


@pytest.mark.parametrize("deadline_s", [0, -1])
def test_no_time_means_exactly_one_call(clock, deadline_s):
    check, calls = counter(clock)

    assert poll_until(check, lambda result: False, deadline_s=deadline_s) == 1
    assert clock.sleeps == []


def test_done_sees_each_result(clock):
    seen = []
    results = iter(["a", "b", "c"])

    poll_until(lambda: next(results), lambda result: seen.append(result) or result == "c", deadline_s=10)
    assert seen == ["a", "b", "c"]


def test_on_the_real_clock_it_waits_out_the_deadline_and_no_longer():
    started = time.monotonic()
    result = poll_until(lambda: "still not", lambda result: False, deadline_s=0.2, interval_s=0.01)
    elapsed = time.monotonic() - started

    assert result == "still not"
    assert 0.2 <= elapsed < 0.2 + 1.0  # a correctness bound, with scheduling slack
