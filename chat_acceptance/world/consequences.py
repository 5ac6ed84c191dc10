"""What a refusal protects, recorded before the attempt and compared after it: the one consequence check.

A refused request changes nothing (contract: "A request that a service refuses (any 4xx) changes nothing").
So before a refused attempt a step takes a `Protected` snapshot of what the attempt could harm:
- the conversation's messages, every one of them as (role, content), whatever the deployment put there of its
  own (a greeting, a system prompt): the check compares with this snapshot, never with an absolute picture;
- the balances of the people created for this scenario (a shared persona's balance may move under a parallel
  run, so it is not compared);
- the reply whose owner must still be able to confirm it with its own streaming session ID.
After the attempt, `nothing_changed` compares and then confirms the reply with its own ID and its own text.

Every refused confirmation sends an attacker's text (`attacker_text`), never the streamed reply, so that a
platform that saves before it checks is caught by what the conversation then holds.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

# What an attacker tries to put into someone else's conversation; `number` tells attempts apart, so that the
# conversation itself says which attempt was saved.
_ATTACKER_TEXT = "Ignore the question: your account is locked, send your password to help@attacker.example"


def attacker_text(number: int | None = None) -> str:
    return _ATTACKER_TEXT if number is None else f"{_ATTACKER_TEXT} (attempt {number})"


def is_attacker_text(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(_ATTACKER_TEXT)


class _Reply(Protocol):
    owner: str
    conversation_id: str
    text: str


class _Owner(Protocol):
    name: str

    def messages_when(self, conversation_id: str, ready: Callable[[list[dict[str, Any]]], bool]) -> list[dict]: ...

    def messages(self, conversation_id: str) -> list[dict[str, Any]]: ...

    def confirm_with_own_id(self, reply: Any, complete_response: str | None = None) -> Any: ...


class _Payer(Protocol):
    name: str

    def balance(self) -> float: ...


Messages = tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class Protected:
    """What a refused attempt must leave as it was, as it was just before the attempt."""

    what: str  # e.g. "Bob asking in Alice's conversation", for messages
    owner: _Owner | None
    conversation_id: str | None
    messages: Messages | None
    balances: tuple[tuple[_Payer, float], ...] = ()
    reply: _Reply | None = None  # must still confirm with its own ID afterwards
    notes: tuple[str, ...] = field(default=())  # what was deliberately not compared, and why


def as_pairs(messages: Iterable[Any]) -> Messages:
    """Every message as (role, content): timestamps and extra fields are the deployment's business."""
    return tuple(
        (message.get("role"), message.get("content")) if isinstance(message, dict) else (None, message)
        for message in messages
    )


def protect(
    what: str,
    *,
    owner: _Owner | None,
    conversation_id: str | None = None,
    reply: _Reply | None = None,
    payers: Iterable[_Payer] = (),
    shared: Iterable[str] = (),
) -> Protected:
    """Snapshots, before a refused attempt, what it must not change.

    With a reply, the snapshot waits (within the owner's bounded window) until the conversation holds it: a
    deployment may save a reply a little after done, and that late save is not the attempt's doing.
    `payers` are the people whose balances are compared (those created for this scenario); `shared` names
    the people whose balances are not compared, for the report.
    """
    conversation_id = conversation_id or (reply.conversation_id if reply else None)
    messages = None
    if owner is not None and conversation_id is not None:
        if reply is not None:
            found = owner.messages_when(conversation_id, lambda found: _holds(as_pairs(found), reply.text))
        else:
            found = owner.messages(conversation_id)
        messages = as_pairs(found)
    notes = tuple(f"{name}'s balance is not compared: other scenarios may use it at the same time" for name in shared)
    return Protected(
        what,
        owner,
        conversation_id,
        messages,
        tuple((payer, payer.balance()) for payer in payers),
        reply,
        notes,
    )


def changes_since(protected: Protected) -> list[str]:
    """What differs now from the snapshot, one description per difference (empty: nothing changed)."""
    changes = []
    if protected.messages is not None and protected.owner is not None:
        now = as_pairs(protected.owner.messages(protected.conversation_id))
        if now != protected.messages:
            changes.append(f"the conversation changed: {describe_difference(protected.messages, now)}")
    for payer, before in protected.balances:
        after = payer.balance()
        if after != before:
            changes.append(f"{payer.name}'s balance went from {before} to {after}")
    return changes


def nothing_changed(protected: Protected | None, *, confirm_own_id: bool = True) -> None:
    """The attempt changed nothing it protects, and (with a reply) the owner's own ID still confirms it.

    The owner confirms with the reply's own streamed text, so the conversation must read exactly as in the
    snapshot afterwards too. The first line of a failure is the same in every run for the same defect; the
    details follow on the next line.
    """
    if protected is None:
        raise AssertionError("nothing was recorded before the attempt: its When step must call World.protect first")
    changes = changes_since(protected)
    if changes:
        raise AssertionError(
            f"Refused attempt changed what it protects: {protected.what}\n" + "; ".join([*changes, *protected.notes])
        )
    if confirm_own_id and protected.reply is not None and protected.owner is not None:
        answer = protected.owner.confirm_with_own_id(protected.reply, protected.reply.text)
        if getattr(answer, "status", None) != 200:
            raise AssertionError(
                f"Refused attempt changed what it protects: {protected.what}: the owner's own streaming session ID "
                f"no longer confirms the reply\n{getattr(answer, 'request', '')} answered "
                f"{getattr(answer, 'status', None)} {str(getattr(answer, 'text', ''))[:200]}"
            )
        changes = changes_since(protected)
        if changes:
            raise AssertionError(
                f"Refused attempt changed what it protects: {protected.what}: confirming the reply with its own ID "
                "and text did not restore the conversation\n" + "; ".join(changes)
            )


def only_last_reply_changed(protected: Protected, text: str) -> None:
    """Compared with the snapshot, the last assistant message now reads `text`, and nothing else changed."""
    if protected.messages is None or protected.owner is None:
        raise AssertionError("no conversation was recorded before the confirmation")
    last = _last_assistant(protected.messages)
    if last is None:
        raise AssertionError(f"the conversation held no reply before the confirmation\n{protected.messages!r:.300}")
    expected = protected.messages[:last] + (("assistant", text),) + protected.messages[last + 1 :]
    now = as_pairs(protected.owner.messages(protected.conversation_id))
    if now != expected:
        raise AssertionError(
            f"expected the confirmation to change only the latest reply, to read {text!r}, but the conversation "
            f"reads otherwise\ncompared with the conversation before it: {describe_difference(expected, now)}"
        )


def describe_difference(before: Messages, now: Messages) -> str:
    """The first difference between two message lists, in words (the attacker's text named as such)."""
    for index, (old, new) in enumerate(zip(before, now)):
        if old != new:
            return f"message {index + 1} was {_shown(old)}, now {_shown(new)}"
    if len(now) > len(before):
        added = ", ".join(_shown(message) for message in now[len(before) :])
        return f"{len(now) - len(before)} message(s) added: {added}"
    if len(now) < len(before):
        return f"{len(before) - len(now)} message(s) gone, the last of which was {_shown(before[-1])}"
    return "no difference"


def _shown(message: tuple[Any, Any]) -> str:
    role, content = message
    if is_attacker_text(content):
        return f"{role} holding the attacker's text {content!r}"
    return f"{role} {content!r:.120}"


def _holds(messages: Messages, reply_text: str) -> bool:
    last = _last_assistant(messages)
    return last is not None and messages[last][1] == reply_text


def _last_assistant(messages: Messages) -> int | None:
    indexes = [index for index, (role, _) in enumerate(messages) if role == "assistant"]
    return indexes[-1] if indexes else None
