"""What the run created on the deployment and has not removed yet: the run leaves the target as it found it.

Every clean-up a scenario registers is also entered here, and crossed out when it succeeded. Whatever is still
entered at the end of the run (a scenario interrupted before its clean-up, a clean-up that failed, a throttled
platform) is tried once more, and what then remains is listed in the run's summary, with the credits the run
granted (the contract has no route to take them back).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any


class Leftovers:
    def __init__(self, run_id: str):
        self.run_id = run_id  # what everything the run creates is named with
        self._entries: dict[int, tuple[str, Callable[[], Any]]] = {}
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self.kept: list[str] = []  # kept on purpose (keep_resources)
        self.failed: dict[str, str] = {}  # description -> why it could not be removed

    def enter(self, description: str, remove: Callable[[], Any]) -> Callable[[], None]:
        """Enters something the run created; returns the clean-up that removes it and crosses it out."""
        with self._lock:
            number = next(self._numbers)
            self._entries[number] = (description, remove)

        def remove_and_cross_out() -> None:
            _removed(remove())
            with self._lock:
                self._entries.pop(number, None)
            self.failed.pop(description, None)

        return remove_and_cross_out

    def could_not_remove(self, description: str, why: str) -> None:
        self.failed[description] = why

    def keep(self, description: str) -> None:
        self.kept.append(description)

    def sweep(self) -> None:
        """Tries once more to remove whatever is still entered (at the end of the run)."""
        with self._lock:
            entries = list(self._entries.items())
        for number, (description, remove) in entries:
            try:
                _removed(remove())
            except Exception as problem:  # any: listed in the summary, and the sweep goes on
                self.failed[description] = " ".join(str(problem).split())[:200]
                continue
            with self._lock:
                self._entries.pop(number, None)
            self.failed.pop(description, None)

    @property
    def remaining(self) -> list[str]:
        with self._lock:
            return [description for description, _ in self._entries.values()]

    def summary(self, credits_line: str | None = None) -> str:
        lines = [f"clean-up: everything this run created is named with {self.run_id!r}"]
        if not self.remaining and not self.kept:
            lines[0] += "; all of it was removed"
        if self.remaining:
            lines.append(f"  could not be removed ({len(self.remaining)}):")
            lines += [f"    {item}: {self.failed.get(item, 'its clean-up did not run')}" for item in self.remaining]
        if self.kept:
            lines.append(f"  kept on purpose (keep_resources is on): {len(self.kept)}")
        if credits_line:
            lines.append(f"  left on purpose: {credits_line} (the contract has no route to take credits back)")
        return "\n".join(lines)


def _removed(answer: Any) -> None:
    """A removal answered with an error did not remove anything (404: it was gone already, which is fine)."""
    status = getattr(answer, "status", None)
    if isinstance(status, int) and status >= 400 and status != 404:
        raise AssertionError(
            f"expected the clean-up to remove what the run created, but {getattr(answer, 'request', 'the removal')} "
            f"answered {status}"
        )
