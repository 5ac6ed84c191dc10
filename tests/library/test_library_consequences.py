"""chat_acceptance.checks.consequences: a refusal is judged against a snapshot taken before it, never against an
absolute picture of the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from chat_acceptance.attacks.forgery import attacker_text, is_attacker_text
from chat_acceptance.checks.consequences import (
    as_pairs,
    describe_difference,
    only_last_reply_changed,
    protect,
)

GREETING = {"role": "assistant", "content": "Hello! How can I help?"}
QUESTION = {"role": "user", "content": "What is the capital of France?", "timestamp": "t1"}
REPLY = {"role": "assistant", "content": "Paris.", "timestamp": "t2"}


@dataclass
class FakeOwner:
    """A conversation owner over an in-memory conversation."""

    messages_held: list[dict]
    name: str = "Alice"

    def messages(self, conversation_id):
        return [dict(message) for message in self.messages_held]

    def messages_when(self, conversation_id, ready):
        return self.messages(conversation_id)


def reply_in(conversation="c1", text="Paris."):
    return SimpleNamespace(owner="Alice", conversation_id=conversation, text=text)


def failure_of(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_only_the_last_reply_changed_is_checked_against_the_snapshot():
    owner = FakeOwner(
        [
            GREETING,
            QUESTION,
            REPLY,
            {"role": "user", "content": "And Spain?"},
            {"role": "assistant", "content": "Madrid."},
        ]
    )
    protected = protect("Alice confirming", owner=owner, reply=reply_in(text="Madrid."))
    owner.messages_held[-1] = {"role": "assistant", "content": "Madrid, of course."}

    only_last_reply_changed(protected, "Madrid, of course.")


def test_a_confirmation_that_edits_an_earlier_reply_is_caught():
    owner = FakeOwner(
        [QUESTION, REPLY, {"role": "user", "content": "And Spain?"}, {"role": "assistant", "content": "Madrid."}]
    )
    protected = protect("Alice confirming", owner=owner, reply=reply_in(text="Madrid."))
    owner.messages_held[1] = {"role": "assistant", "content": "Madrid, of course."}

    message = failure_of(only_last_reply_changed, protected, "Madrid, of course.")

    assert "message 2 was assistant 'Paris.', now assistant 'Madrid, of course.'" in message


def test_attacker_texts_differ_from_any_reply_and_are_recognised():
    assert is_attacker_text(attacker_text()) and is_attacker_text(attacker_text(7))
    assert attacker_text(1) != attacker_text(2)
    assert not is_attacker_text("Paris.") and not is_attacker_text(None)


def test_a_difference_is_described_and_the_attackers_text_named():
    before = as_pairs([QUESTION, REPLY])
    now = as_pairs([QUESTION, {"role": "assistant", "content": attacker_text(3), "timestamp": "t9"}])
    described = describe_difference(before, now)
    assert "message 2 was assistant 'Paris.'" in described
    assert "attacker's text" in described and "(attempt 3)" in described
    assert describe_difference(before, before + (("user", "Ignore that"),)) == "1 message(s) added: user 'Ignore that'"
    assert describe_difference(before, ()) == "2 message(s) gone, the last of which was assistant 'Paris.'"
    assert as_pairs([{**REPLY, "timestamp": "t9", "tokens": 3}]) == as_pairs([REPLY])  # extra fields not compared
