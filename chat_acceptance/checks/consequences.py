"""What a refused attempt leaves behind, in words: the attacker's text, conversations as (role, content), and
their differences; and the snapshot a confirmation that must change only the latest reply is compared with.

Whether a refusal changed anything is the consequence invariant's (chat_acceptance.checks.invariants), checked
after every refused request of every scenario; it describes what changed with `describe_difference`.

Every refused confirmation sends an attacker's text (`attacker_text`), never the streamed reply, so that a
platform that saves before it checks is caught by what the conversation then holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chat_acceptance.attacks.forgery import is_attacker_text

if TYPE_CHECKING:
    from chat_acceptance.world.scenario import World


class _Reply(Protocol):  # read-only: a Reply is frozen, and its text is a property
    @property
    def owner(self) -> str: ...

    @property
    def conversation_id(self) -> str: ...

    @property
    def text(self) -> str: ...


class _Owner(Protocol):
    name: str

    def messages_when(
        self, conversation_id: str, ready: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]: ...

    def messages(self, conversation_id: str) -> list[dict[str, Any]]: ...


Messages = tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class Protected:
    """A conversation as it was just before a confirmation that must change only its latest reply."""

    what: str  # e.g. "Alice confirming her latest reply", for messages
    owner: _Owner | None
    conversation_id: str | None
    messages: Messages | None


def as_pairs(messages: Iterable[Any]) -> Messages:
    """Every message as (role, content): timestamps and extra fields are the deployment's business."""
    return tuple(
        (message.get("role"), message.get("content")) if isinstance(message, dict) else (None, message)
        for message in messages
    )


def protect(
    what: str, *, owner: _Owner | None, conversation_id: str | None = None, reply: _Reply | None = None
) -> Protected:
    """Snapshots the conversation before the confirmation. With a reply, the snapshot waits (within the owner's
    bounded window) until the conversation holds it: a deployment may save a reply a little after done."""
    conversation_id = conversation_id or (reply.conversation_id if reply else None)
    messages = None
    if owner is not None and conversation_id is not None:
        if reply is not None:
            found = owner.messages_when(conversation_id, lambda found: _holds(as_pairs(found), reply.text))
        else:
            found = owner.messages(conversation_id)
        messages = as_pairs(found)
    return Protected(what, owner, conversation_id, messages)


def only_last_reply_changed(protected: Protected, text: str) -> None:
    """Compared with the snapshot, the last assistant message now reads `text`, and nothing else changed."""
    if protected.messages is None or protected.owner is None or protected.conversation_id is None:
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
    for index, (old, new) in enumerate(zip(before, now, strict=False)):  # lengths may differ: told below
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


def account_changes(world: World) -> list[str]:
    """What became of the scenario's accounts: a new user who no longer signs in, an account someone tried to
    create that exists. Signing in is the one outside view of an account the contract gives."""
    auth = world.suite.platform.auth
    changes = [
        f"{name} ({account.username}) can no longer sign in"
        for name, account in world.accounts.items()
        if not auth.signs_in(account.username, account.password)
    ]
    tried = world.attempted_account
    if tried is not None and auth.signs_in(tried.username, tried.password):
        changes.append(f"the account {tried.username!r} it tried to create exists")
    return changes
