"""Another person's conversation stays as it was whoever names it: which of the scenario's conversations a
request names (in its path, query or body, a sessionId field too) that belong to someone other than its sender,
and how each differs from the snapshot. The invariants (chat_acceptance.checks.invariants) read them again after
every attempt that is not refused (a refusal is compared whole by the consequence invariant)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from chat_acceptance.checks.consequences import describe_difference
from chat_acceptance.checks.snapshots import State
from chat_acceptance.transport.exchange import Exchange


def named_by(exchange: Exchange, before: State, owners: Mapping[str, str], sender: str | None) -> list[str]:
    """The conversations of the snapshot that belong to someone other than `sender` (to anyone, for None) and that
    the request names."""
    sent = f"{unquote(exchange.url)}\n{exchange.request_body or ''}"
    return [
        conversation
        for conversation in before.conversations
        if owners.get(conversation) not in (None, sender) and conversation in sent
    ]


def changes(before: State, named: Sequence[str], now: Sequence[Any]) -> list[tuple[str, str]]:
    """(conversation, what changed in words) for each named conversation that reads otherwise now."""
    found = []
    for conversation, reads in zip(named, now, strict=True):
        was = before.conversations[conversation]
        if reads != was:
            found.append(
                (conversation, describe_difference(was, reads) if isinstance(reads, tuple) else f"it is {reads}")
            )
    return found
