"""chat_acceptance.world.consequences: a refusal is judged against a snapshot taken before it, never against an
absolute picture of the conversation."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from chat_acceptance.world.consequences import (
    attacker_text,
    changes_since,
    is_attacker_text,
    nothing_changed,
    only_last_reply_changed,
    protect,
)

GREETING = {"role": "assistant", "content": "Hello! How can I help?"}
QUESTION = {"role": "user", "content": "What is the capital of France?", "timestamp": "t1"}
REPLY = {"role": "assistant", "content": "Paris.", "timestamp": "t2"}


@dataclass
class FakeOwner:
    """A conversation owner over an in-memory conversation; confirming with the own ID writes the text."""

    messages_held: list[dict]
    name: str = "Alice"
    own_id_confirms: bool = True
    confirmations: list[str] = field(default_factory=list)

    def messages(self, conversation_id):
        return [dict(message) for message in self.messages_held]

    def messages_when(self, conversation_id, ready):
        return self.messages(conversation_id)

    def confirm_with_own_id(self, reply, complete_response=None):
        self.confirmations.append(complete_response)
        if not self.own_id_confirms:
            return SimpleNamespace(status=400, request="POST /update-stream", text='{"message": "mismatch"}')
        last = max(i for i, message in enumerate(self.messages_held) if message["role"] == "assistant")
        self.messages_held[last] = {**self.messages_held[last], "content": complete_response}
        return SimpleNamespace(status=200, request="POST /update-stream", text="{}")


@dataclass
class FakePayer:
    amount: float
    name: str = "Carol"

    def balance(self):
        return self.amount


def reply_in(conversation="c1", text="Paris."):
    return SimpleNamespace(owner="Alice", conversation_id=conversation, text=text)


def failure_of(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_nothing_changed_passes_when_the_conversation_reads_as_before_and_the_own_id_confirms():
    owner = FakeOwner([GREETING, QUESTION, REPLY])
    protected = protect("Bob asking", owner=owner, reply=reply_in())

    nothing_changed(protected)

    assert owner.confirmations == ["Paris."]  # the owner confirms with the reply's own text, not an attacker's


def test_a_greeting_of_the_deployment_is_part_of_the_snapshot_not_a_difference():
    owner = FakeOwner([GREETING, QUESTION, REPLY])
    protected = protect("Bob asking", owner=owner, reply=reply_in())

    assert protected.messages[0] == ("assistant", "Hello! How can I help?")
    assert changes_since(protected) == []


def test_the_attackers_text_saved_by_a_refused_attempt_is_named_on_the_second_line():
    owner = FakeOwner([QUESTION, REPLY])
    protected = protect("Alice confirming the reply with a made-up ID", owner=owner, reply=reply_in())
    owner.messages_held[1] = {"role": "assistant", "content": attacker_text(3)}

    message = failure_of(nothing_changed, protected)

    first, details = message.split("\n", 1)
    assert first == "Refused attempt changed what it protects: Alice confirming the reply with a made-up ID"
    assert "message 2 was assistant 'Paris.'" in details
    assert "attacker's text" in details and "(attempt 3)" in details
    assert owner.confirmations == []  # judged before the owner confirms (which would overwrite the evidence)


@pytest.mark.parametrize(
    "change, described",
    [
        (lambda held: held.append({"role": "user", "content": "Ignore that"}), "1 message(s) added"),
        (lambda held: held.pop(), "1 message(s) gone"),
        (lambda held: held.clear(), "2 message(s) gone"),
    ],
)
def test_added_and_removed_messages_are_described(change, described):
    owner = FakeOwner([QUESTION, REPLY])
    protected = protect("Bob deleting", owner=owner, reply=reply_in())
    change(owner.messages_held)

    assert described in failure_of(nothing_changed, protected)


def test_timestamps_and_extra_fields_are_not_compared():
    owner = FakeOwner([QUESTION, REPLY])
    protected = protect("Bob asking", owner=owner, reply=reply_in())
    owner.messages_held[1] = {**REPLY, "timestamp": "t9", "tokens": 3}

    assert changes_since(protected) == []


def test_an_own_id_that_no_longer_confirms_fails_with_a_stable_first_line():
    owner = FakeOwner([QUESTION, REPLY], own_id_confirms=False)
    protected = protect("Bob confirming Alice's reply", owner=owner, reply=reply_in())

    first = failure_of(nothing_changed, protected).splitlines()[0]

    assert first == (
        "Refused attempt changed what it protects: Bob confirming Alice's reply: the owner's own streaming session "
        "ID no longer confirms the reply"
    )


def test_the_own_id_check_can_be_left_out():
    owner = FakeOwner([QUESTION, REPLY], own_id_confirms=False)
    nothing_changed(protect("Bob asking", owner=owner, reply=reply_in()), confirm_own_id=False)


def test_balances_of_the_people_created_for_the_scenario_are_compared():
    carol = FakePayer(0)
    owner = FakeOwner([])
    protected = protect("Carol asking without credits", owner=owner, conversation_id="c1", payers=[carol])
    carol.amount = -12

    assert "Carol's balance went from 0 to -12" in failure_of(nothing_changed, protected)


def test_shared_personas_balances_are_noted_as_not_compared():
    protected = protect("Bob asking", owner=FakeOwner([]), conversation_id="c1", shared=["Alice", "Bob"])

    assert protected.balances == ()
    assert len(protected.notes) == 2 and "Alice's balance is not compared" in protected.notes[0]


def test_without_a_snapshot_the_check_says_which_step_forgot_it():
    assert "must call World.protect first" in failure_of(nothing_changed, None)


def test_only_the_last_reply_changed_is_checked_against_the_snapshot():
    owner = FakeOwner([GREETING, QUESTION, REPLY, {"role": "user", "content": "And Spain?"},
                       {"role": "assistant", "content": "Madrid."}])
    protected = protect("Alice confirming", owner=owner, reply=reply_in(text="Madrid."))
    owner.messages_held[-1] = {"role": "assistant", "content": "Madrid, of course."}

    only_last_reply_changed(protected, "Madrid, of course.")


def test_a_confirmation_that_edits_an_earlier_reply_is_caught():
    owner = FakeOwner([QUESTION, REPLY, {"role": "user", "content": "And Spain?"},
                       {"role": "assistant", "content": "Madrid."}])
    protected = protect("Alice confirming", owner=owner, reply=reply_in(text="Madrid."))
    owner.messages_held[1] = {"role": "assistant", "content": "Madrid, of course."}

    message = failure_of(only_last_reply_changed, protected, "Madrid, of course.")

    assert "message 2 was assistant 'Paris.', now assistant 'Madrid, of course.'" in message


def test_attacker_texts_differ_from_any_reply_and_are_recognised():
    assert is_attacker_text(attacker_text()) and is_attacker_text(attacker_text(7))
    assert attacker_text(1) != attacker_text(2)
    assert not is_attacker_text("Paris.") and not is_attacker_text(None)
