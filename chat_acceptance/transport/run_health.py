"""One watcher of the platform's health for the whole run: stalls, connection failures and throttling.

The transport asks it before every request (`admit`) and tells it what came of each (`answered`, `stalled`,
`connection_failed`, `throttled`). It decides, for the run as a whole:

- **Wait as told.** A 429 Too Many Requests says nothing about the request (the contract): the transport waits
  the Retry-After seconds and sends it again, out of one waiting budget for the run. The run counts the 429s
  and the time waited, and never reports throttling as a broken promise. A spent budget stops the run.
- **Pace.** With `max_requests_per_second`, requests are spaced so that the platform need not throttle at all.
- **Fail the rest fast.** After `stall_limit` streams or calls in a row went silent within the read timeout,
  or as many connections in a row failed, every later request fails at once with the reason: a stalled
  platform's verdict takes seconds, not one read timeout per remaining scenario.

Its verdicts read the same in every run (no IDs, no timings), so reports group them and history links them.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_AFTER_S = 1.0  # a 429 without a usable Retry-After: wait one second, as a polite client does


class PlatformUnhealthy(AssertionError):
    """The run no longer trusts the platform (or spent its waiting budget); one line saying why."""


class RunHealth:
    def __init__(
        self,
        *,
        stall_limit: int = 3,
        throttle_budget_s: float = 300.0,
        max_requests_per_second: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.stall_limit = stall_limit
        self.throttle_budget_s = throttle_budget_s
        self.min_interval_s = 1.0 / max_requests_per_second if max_requests_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.verdict: str | None = None  # once set, every request fails at once with it
        # Stalls and connection failures count once set-up is done: set-up polls the health checks within its own
        # deadline. Throttling counts from the first request.
        self.watching = False
        self.stalls_in_a_row = 0
        self.connection_failures_in_a_row = 0
        self.stalls = 0
        self.connection_failures = 0
        self.throttled_answers = 0
        self.waited_s = 0.0

    def start_watching(self) -> None:
        self.watching = True

    # -- before a request

    def admit(self) -> None:
        """Raises the run's verdict once there is one; otherwise waits for the request's pacing slot."""
        if self.verdict is not None:
            raise PlatformUnhealthy(self.verdict)
        if not self.min_interval_s:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.min_interval_s
        if slot > now:
            self._sleep(slot - now)

    # -- what came of it

    def answered(self) -> None:
        """An answer came (any status): the connection works."""
        self.connection_failures_in_a_row = 0

    def stream_completed(self) -> None:
        """A stream ended on its own (done, error, closed): the platform is not stalling."""
        self.answered()
        self.stalls_in_a_row = 0

    def stalled(self, service: str, what: str) -> None:
        """`what` (e.g. "stream", "answer") went silent within the read timeout."""
        self.answered()
        self.stalls += 1
        self.stalls_in_a_row += 1
        if self.watching and self.stalls_in_a_row >= self.stall_limit and self.verdict is None:
            self.verdict = (
                f"the run stopped: the {service} service stalled ({self.stalls_in_a_row} {what}s in a row sent "
                "nothing within the read timeout), so the remaining scenarios fail at once"
            )

    def connection_failed(self, service: str, root: str) -> None:
        self.connection_failures += 1
        self.connection_failures_in_a_row += 1
        if self.watching and self.connection_failures_in_a_row >= self.stall_limit and self.verdict is None:
            self.verdict = (
                f"the run stopped: {self.connection_failures_in_a_row} connections in a row to the platform failed "
                f"(last: the {service} service at {root}), so the remaining scenarios fail at once"
            )

    def throttled(self, retry_after: str | None) -> None:
        """A 429 came: waits as told, out of the run's budget; raises PlatformUnhealthy once it is spent."""
        self.answered()
        self.throttled_answers += 1
        wait_s = retry_after_seconds(retry_after)
        if self.waited_s + wait_s > self.throttle_budget_s:
            self.verdict = (
                f"the run stopped: the platform kept answering 429 Too Many Requests and the run's waiting budget "
                f"of {self.throttle_budget_s:g} s (-D throttle_budget) is spent"
            )
            raise PlatformUnhealthy(self.verdict)
        self.waited_s += wait_s
        if wait_s > 0:
            self._sleep(wait_s)

    # -- the run's notes

    def summary(self) -> str:
        parts = [
            f"throttling: {self.throttled_answers} answers were 429 Too Many Requests; waited {self.waited_s:.1f} s "
            f"of the {self.throttle_budget_s:g} s budget"
        ]
        if self.stalls or self.connection_failures:
            parts.append(f"{self.stalls} stalls and {self.connection_failures} connection failures")
        if self.verdict:
            parts.append(self.verdict)
        return "platform health: " + "; ".join(parts)


def retry_after_seconds(value: str | None) -> float:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110); 1 s when missing or unusable."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER_S
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER_S
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER_S
    return max(0.0, seconds)
