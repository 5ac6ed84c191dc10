"""The state a refusal must leave as it was (balances, lists, conversations), read side by side by the
invariants' own threads, and the differences between two readings in words. Requests made here are the
invariants' own, never attempts to judge (is_own)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chat_acceptance.checks.consequences import describe_difference

_SNAPSHOT_WORKERS = 4


@dataclass(frozen=True)
class State:
    """What a refusal must leave as it was, as read at one moment."""

    chat: bool = False  # whether conversations and lists were read (only an attempt on the chat service needs them)
    balances: dict[str, Any] = field(default_factory=dict)  # person -> totalCredits (or why unreadable)
    listed: dict[str, Any] = field(default_factory=dict)  # person -> sorted (sessionId, title) pairs
    conversations: dict[str, Any] = field(default_factory=dict)  # conversation -> (role, content) pairs


# The invariants' own requests (their reads, the owner's confirmation) are no attempts: marked per thread, in the
# calling thread for a while and in the snapshot's reading threads for good.
_OWN = threading.local()


def _mark_own() -> None:
    _OWN.active = True


def is_own() -> bool:
    return getattr(_OWN, "active", False)


@contextmanager
def as_own() -> Iterator[None]:
    _OWN.active = True
    try:
        yield
    finally:
        _OWN.active = False


_POOL = ThreadPoolExecutor(_SNAPSHOT_WORKERS, initializer=_mark_own, thread_name_prefix="invariants")


def read_side_by_side(reads: Iterable[Callable[[], Any]]) -> list[Any]:
    """Each read's value (or why it was unreadable), in order, read side by side by the invariants' own threads."""
    return list(_POOL.map(_read, reads))


def _read(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except AssertionError as problem:  # a read that fails is a state too: "unreadable", compared as such
        return f"unreadable ({str(problem).splitlines()[0][:120]})"


def differences(before: State, after: State) -> list[str]:
    changes = []
    for name, was in before.balances.items():
        now = after.balances.get(name)
        if now != was:
            changes.append(f"{name}'s balance went from {was} to {now}")
    for name, was in before.listed.items():
        now = after.listed.get(name)
        if now != was:
            changes.append(
                f"{name}'s list of conversations changed: {len(was) if isinstance(was, tuple) else was} "
                f"listed before, {len(now) if isinstance(now, tuple) else now} now"
            )
    for conversation, was in before.conversations.items():
        now = after.conversations.get(conversation)
        if now != was:
            detail = describe_difference(was, now) if isinstance(was, tuple) and isinstance(now, tuple) else now
            changes.append(f"a conversation changed: {detail}")
    return changes
