"""Waiting without fixed sleeps: poll a check until it holds or a bounded deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    check: Callable[[], T],
    done: Callable[[T], bool],
    *,
    deadline_s: float,
    interval_s: float = 0.05,
    max_interval_s: float = 0.5,
) -> T:
    """Calls `check` until `done(result)` is true or `deadline_s` has passed; returns the last result.

    The first call happens at once; the pause between calls starts at `interval_s` and doubles up to
    `max_interval_s`, never running past the deadline. The caller asserts on the returned result, so a
    timeout fails with what the platform last said rather than with a bare "timed out".
    """
    give_up_at = time.monotonic() + deadline_s
    pause = interval_s
    while True:
        result = check()
        remaining = give_up_at - time.monotonic()
        if done(result) or remaining <= 0:
            return result
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, max_interval_s)
