"""Trying near misses: each sent as a confirmation of the scenario's reply (from a bounded pool, within a time
budget per family), the answers kept in the near misses' order, and the report's list of every value sent.
The values come from chat_acceptance.attacks.near_misses; the verdict is checks.expectations'."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from chat_acceptance.attacks.near_misses import FAMILIES, NearMiss, shown
from chat_acceptance.checks.matchers import is_mismatch


class ConfirmationAnswer(Protocol):
    """What a confirmation answered, as far as a near miss is judged: its status and error message."""

    @property
    def status(self) -> int: ...

    @property
    def message(self) -> str | None: ...


@dataclass(frozen=True)
class Attempt:
    near_miss: NearMiss
    status: int
    message: str | None  # the answer's error message, if any
    seconds: float

    @property
    def rejected_as_mismatch(self) -> bool:
        return is_mismatch(self.status, self.message)


@dataclass(frozen=True)
class Tried:
    """A family's attempts, in the order of its near misses, and what the time budget allowed."""

    attempts: list[Attempt]
    planned: int  # near misses the family had
    seconds: float  # wall time from the first send to the last answer
    budget_s: float

    @property
    def budget_spent(self) -> bool:
        return len(self.attempts) < self.planned


def try_all(
    near_misses: list[NearMiss],
    confirm: Callable[[str, int], ConfirmationAnswer],
    *,
    pool: Executor | None = None,
    budget_s: float = math.inf,
    clock: Callable[[], float] = time.monotonic,
) -> Tried:
    """Confirms once with each near miss: `confirm(value, number)` sends it with attempt `number`'s text and
    returns the answer (its .status and .message).

    With a `pool`, as many go out at once as it has workers (a slow confirmation need not make a family slow);
    none starts once `budget_s` has passed since the first, so a slow platform costs each family a bounded time.
    The attempts come back in the near misses' order, whatever order they ended in."""
    started = clock()

    def attempt(numbered: tuple[int, NearMiss]) -> Attempt | None:
        number, near_miss = numbered
        if clock() - started > budget_s:
            return None  # the family's time is up: not sent
        sent = clock()
        answer = confirm(near_miss.value, number)
        return Attempt(near_miss, answer.status, answer.message, clock() - sent)

    numbered = list(enumerate(near_misses, start=1))
    results = list(pool.map(attempt, numbered)) if pool is not None else [attempt(item) for item in numbered]
    attempts = [result for result in results if result is not None]
    return Tried(attempts, len(near_misses), clock() - started, budget_s)


def report(family: str, tried: Tried, *, run_seed: int, limit: int, issued: str | None = None) -> str:
    """The report's list: every value sent and the answer, then how long they took (suite_tools.bench reads
    the last line)."""
    attempts = tried.attempts
    lines = [
        f"family: {family} ({FAMILIES[family].described}); seed {run_seed} (rerun with -D seed={run_seed}); "
        f"at most {limit} per family (-D near_misses_per_family)",
        *([f"issued ID: {shown(issued)}"] if issued is not None else []),
        "",
    ]
    for number, attempt in enumerate(attempts, start=1):
        verdict = "rejected as a mismatch" if attempt.rejected_as_mismatch else "NOT rejected as a mismatch"
        lines.append(
            f"{number:3}. {shown(attempt.near_miss.value)}  [{attempt.near_miss.kind}]  -> {attempt.status} "
            f"{attempt.message!r}  {verdict}  ({attempt.seconds * 1000:.0f} ms)"
        )
    lines.append("")
    if tried.budget_spent:
        lines.append(
            f"the family's time budget of {tried.budget_s:g} s (-D near_miss_budget) was spent: "
            f"{tried.planned - len(attempts)} of {tried.planned} near misses not sent"
        )
    lines.append(f"{len(attempts)} of {tried.planned} near misses tried in {tried.seconds:.3f} s")
    return "\n".join(lines)
