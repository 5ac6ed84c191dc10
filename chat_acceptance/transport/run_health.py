"""One watcher of the platform's health for the whole run: stalls, connection failures and throttling.

The transport asks it before every request (`admit`) and tells it what came of each (`answered`, `stalled`,
`connection_failed`, `throttled`). It decides, for the run as a whole:

- **Wait as told.** A 429 Too Many Requests says nothing about the request (the contract): the transport waits
  the Retry-After seconds and sends it again, out of one waiting budget for the run. The run counts the 429s
  and the time waited, and never reports throttling as a broken promise. A spent budget stops the run.
- **Pace to what the platform announces.** Every answer's rate-limit headers (`X-RateLimit-Limit`/`-Remaining`/
  `-Reset`, the IETF draft's `RateLimit-*` and `RateLimit`/`RateLimit-Policy`) are read per service: when a
  service says nothing is left of its window, the next request to it waits for the window's reset (out of the
  same budget), so the run slows down instead of collecting 429s. With `max_requests_per_second` (every
  service) or `requests_per_minute` (per service), requests are spaced as configured (not counted in the budget).
- **Stop honestly.** A spent budget is `Throttled`: the scenarios not run are not checked (features/environment.py
  skips them with the reason), never failed, and `throttled_line` says what the run would have needed.
- **Fail the rest fast.** After `stall_limit` streams or calls in a row went silent within the read timeout,
  or as many connections in a row failed, every later request fails at once with the reason: a stalled
  platform's verdict takes seconds, not one read timeout per remaining scenario.

Its verdicts read the same in every run (no IDs, no timings), so reports group them and history links them.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_AFTER_S = 1.0  # a 429 without a usable Retry-After: wait one second, as a polite client does
# X-RateLimit-Reset above this is a Unix time (GitHub, many gateways); below, seconds from now (the IETF draft).
_EPOCH_THRESHOLD = 1_000_000_000


class PlatformUnhealthy(AssertionError):
    """The run no longer trusts the platform (or spent its waiting budget); one line saying why."""


class Throttled(PlatformUnhealthy):
    """The run's waiting budget is spent: what is left cannot be checked now (not a broken promise)."""


@dataclass
class RateWindow:
    """What a service last announced about its rate limit (any of the fields may be unknown)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # on the watcher's clock
    window_s: float | None = None  # the policy's window (RateLimit-Policy w=), when announced
    source: str = ""  # the header family it came from, for the closing line


def announced_window(headers: Mapping[str, str], now: float, wall_now: float) -> RateWindow | None:
    """The rate-limit headers of one answer as a RateWindow on the clock that reads `now`; None when there are
    none. `wall_now` (time.time()) converts a reset given as a Unix time."""
    lowered = {name.lower(): value for name, value in headers.items()}
    window = RateWindow()
    for prefix, family in (("x-ratelimit-", "X-RateLimit-*"), ("ratelimit-", "RateLimit-*")):
        limit, remaining, reset = (lowered.get(prefix + name) for name in ("limit", "remaining", "reset"))
        if limit is None and remaining is None and reset is None:
            continue
        window.limit, window.remaining = _leading_int(limit), _leading_int(remaining)
        reset_s = _leading_number(reset)
        if reset_s is not None:
            window.reset_at = now + max(0.0, reset_s - wall_now if reset_s > _EPOCH_THRESHOLD else reset_s)
        window.source = family
        break
    combined = lowered.get("ratelimit")  # draft-08+: RateLimit: "default";r=5;t=30  (or limit=, remaining=, reset=)
    if combined and window.source == "":
        pairs = dict(re.findall(r"(\w+)=([0-9.]+)", combined))
        window.limit = _leading_int(pairs.get("limit"))
        window.remaining = _leading_int(pairs.get("r") or pairs.get("remaining"))
        reset_s = _leading_number(pairs.get("t") or pairs.get("reset"))
        window.reset_at = None if reset_s is None else now + reset_s
        window.source = "RateLimit"
    policy_header = lowered.get("ratelimit-policy") or lowered.get("x-ratelimit-policy") or ""
    policy = re.search(r"(\d+)\s*;\s*w=(\d+)", policy_header)
    if policy:
        window.limit = window.limit or int(policy.group(1))
        window.window_s = float(policy.group(2))
    return window if window.source else None


def _leading_number(value: str | None) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", value or "")
    return float(match.group(1)) if match else None


def _leading_int(value: str | None) -> int | None:
    number = _leading_number(value)
    return None if number is None else int(number)


class RunHealth:
    def __init__(
        self,
        *,
        stall_limit: int = 3,
        throttle_budget_s: float = 300.0,
        max_requests_per_second: float = 0.0,
        requests_per_minute: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.stall_limit = stall_limit
        self.throttle_budget_s = throttle_budget_s
        self.min_interval_s = 1.0 / max_requests_per_second if max_requests_per_second > 0 else 0.0
        self.service_intervals_s = {
            service: 60.0 / rate for service, rate in (requests_per_minute or {}).items() if rate > 0
        }
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._next_service_slot: dict[str, float] = {}
        self.windows: dict[str, RateWindow] = {}  # what each service last announced
        self.sent: dict[str, int] = {}  # requests sent per service (429s included)
        self.throttled_service: str | None = None  # the service whose limit spent the budget
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

    def admit(self, service: str = "") -> None:
        """Raises the run's verdict once there is one; otherwise waits for the request's pacing slot, and for the
        reset of the service's window when it announced that nothing is left (out of the waiting budget)."""
        self._raise_verdict(service)
        with self._lock:
            now = self._clock()
            slot = now
            if self.min_interval_s:
                slot = max(slot, self._next_slot)
                self._next_slot = slot + self.min_interval_s
            interval = self.service_intervals_s.get(service)
            if interval:
                slot = max(slot, self._next_service_slot.get(service, 0.0))
                self._next_service_slot[service] = slot + interval
            window = self.windows.get(service)
            announced_wait = 0.0
            if window is not None and window.remaining is not None:
                if window.remaining <= 0 and window.reset_at is not None and window.reset_at > now:
                    announced_wait = window.reset_at - now
                    window.remaining, window.reset_at = None, None  # a new window: the next answer says more
                else:
                    window.remaining -= 1  # counted here too: requests from the pool may be under way
            self.sent[service] = self.sent.get(service, 0) + 1
        if announced_wait:
            self._spend(announced_wait, service, "announced that its rate limit is reached")
        if slot > now:
            self._sleep(slot - now)

    def _raise_verdict(self, service: str = "") -> None:
        """Once there is a verdict, requests fail at once; after throttling, only those to the throttled service
        (the others still answer: the run's clean-up removes what it can)."""
        if self.verdict is None:
            return
        if self.throttled_service is None:
            raise PlatformUnhealthy(self.verdict)
        if not self.throttled_service or not service or service == self.throttled_service:
            raise Throttled(self.verdict)

    def _spend(self, wait_s: float, service: str, why: str) -> None:
        """Waits `wait_s` out of the run's budget; a wait the budget cannot pay ends the run as throttled."""
        with self._lock:
            if self.verdict is None and self.waited_s + wait_s > self.throttle_budget_s:
                self.throttled_service = service
                who = f"the {service} service" if service else "the platform"
                self.verdict = (
                    f"the run stopped: {who} {why} and the run's waiting budget "
                    f"of {self.throttle_budget_s:g} s (-D throttle_budget) is spent"
                )
            if self.verdict is None:
                self.waited_s += wait_s
        self._raise_verdict(service)
        if wait_s > 0:
            self._sleep(wait_s)

    def observe(self, service: str, headers: Mapping[str, str]) -> None:
        """Reads what an answer announces about the service's rate limit."""
        window = announced_window(headers, self._clock(), self._wall_clock())
        if window is not None:
            with self._lock:
                known = self.windows.get(service)
                if known is not None:  # a policy's window or limit said once stays known
                    window.window_s = window.window_s or known.window_s
                    window.limit = window.limit or known.limit
                self.windows[service] = window

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

    def throttled(self, retry_after: str | None, service: str = "") -> None:
        """A 429 came: waits as told, out of the run's budget; raises Throttled once it is spent."""
        self.answered()
        self.throttled_answers += 1
        self._spend(retry_after_seconds(retry_after), service, "kept answering 429 Too Many Requests")

    def throttled_line(self, *, scenarios_done: int, scenarios_left: int) -> str | None:
        """The one closing line of a throttled run: the limit observed, what the run still needed, how long that
        would take, and how to allow it. None when the run was not throttled."""
        service = self.throttled_service
        if service is None:
            return None
        who = f"the {service} service" if service else "the platform"
        window = self.windows.get(service, RateWindow())
        rate = None
        if window.limit and window.window_s:
            limit = f"allows {window.limit} requests per {window.window_s:g} s ({window.source})"
            rate = window.limit / window.window_s
        elif window.limit:
            limit = f"allows {window.limit} requests per window ({window.source})"
        else:
            limit = f"answered 429 Too Many Requests {self.throttled_answers} times and announced no limit"
        per_scenario = self.sent.get(service, 0) / max(1, scenarios_done)
        needed = math.ceil(per_scenario * scenarios_left)
        duration = f"about {math.ceil(needed / rate / 60)} min at that rate" if rate else "an unknown time"
        return (
            f"THROTTLED: {who} {limit}; the run still needed about {needed} requests for "
            f"{scenarios_left} scenarios ({duration}); allow it with a bigger -D throttle_budget (seconds), an "
            "allow-listed client for the suite, or fewer scenarios (--tags=@core)"
        )

    # -- the run's notes

    def summary(self) -> str:
        parts = [
            f"throttling: {self.throttled_answers} answers were 429 Too Many Requests; waited {self.waited_s:.1f} s "
            f"of the {self.throttle_budget_s:g} s budget"
        ]
        announced = [
            f"{service} {window.limit}" + (f"/{window.window_s:g} s" if window.window_s else "")
            for service, window in sorted(self.windows.items())
            if window.limit
        ]
        if announced:
            parts.append("rate limits announced: " + ", ".join(announced))
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
