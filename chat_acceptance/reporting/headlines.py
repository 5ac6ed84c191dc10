"""A failure's headline: the first line of its message, which names the promise and what the platform did, and
reads the same on every run for the same defect (the values that differ per run are on the lines after it).

The console summary, the baseline of known defects, the findings report and the fault matrix all read
failures through here, so that they agree on what a failure says.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from behave.model_type import Status

if TYPE_CHECKING:  # behave publishes no types: its classes name what is meant, and mypy reads them as Any
    from behave.model import Feature, Scenario, Step

FAILED = {"failed", "error", "hook_error", "undefined"}
_ASSERTION_PREFIX = re.compile(r"^(?:ASSERT FAILED|Assertion Failed|AssertionError):")
# How a failure begins when the run stopped rather than judged a promise (environment.py, run_health.py).
RUN_STOPPED = ("the run stopped: ", "the suite's set-up failed: ")


def first_line(text: str) -> str:
    """A failure's headline: its first line, without behave's assertion prefix."""
    line = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return _ASSERTION_PREFIX.sub("", line).strip()


def failure_reason(scenario: Scenario) -> str:
    """The headline of the first failed step's message (or the hook's), which says what broke."""
    for step in scenario.all_steps:
        if status(step) in FAILED:
            message = step.error_message or ("undefined step: " + step.name if status(step) == "undefined" else "")
            return first_line(message) or f"step failed: {step.name}"
    return first_line(scenario.error_message or "") or "failed"


def run_stopped(headline: str) -> bool:
    """Whether a failure is the run stopping (set-up, or the health watcher), not a verdict on a promise."""
    return headline.startswith(RUN_STOPPED)


def status(entity: Feature | Scenario | Step) -> str:
    value = entity.status
    return value.name if isinstance(value, Status) else str(value)
