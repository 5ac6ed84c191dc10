"""chat_acceptance.world: what a scenario's words refer to."""
from types import SimpleNamespace

import pytest

from chat_acceptance.world import World


def _world(**people) -> World:
    world = World(suite=None, add_cleanup=lambda description, action: None)
    world.people = {name: SimpleNamespace(latest_conversation=conversation) for name, conversation in people.items()}
    return world


def test_a_persona_s_conversation_is_the_one_of_her_reply():
    world = _world(Alice="alice-later", Bob="bob-1")
    world.reply = SimpleNamespace(owner="Alice", conversation_id="alice-reply")
    assert world.conversation_of("Alice") == "alice-reply"
    assert world.conversation_of("Bob") == "bob-1"


def test_a_persona_s_conversation_is_never_another_persona_s():
    world = _world(Alice="alice-1")
    world.reply = SimpleNamespace(owner="Alice", conversation_id="alice-1")
    with pytest.raises(AssertionError, match="Bob has no conversation in this scenario"):
        world.conversation_of("Bob")


def test_what_a_person_is_told_is_the_answer_to_her_own_last_action_not_to_a_check():
    from chat_acceptance.world.people import Person, SignedIn

    class Chat:
        def get_session(self, token, conversation_id, headers=None):
            return SimpleNamespace(status=404 if conversation_id == "alice-1" else 200,
                                   field=lambda name: [], text="{}")

    platform = SimpleNamespace(chat=Chat())
    bob = Person("Bob", SignedIn("bob", "2", "b-token", None), platform, confirm_retry_s=0,
                 add_cleanup=lambda description, action: None)
    world = _world()
    world.people["Bob"] = bob
    with pytest.raises(AssertionError, match="Bob has not asked the platform anything"):
        world.told("Bob")
    refused = bob.open_conversation("alice-1")
    bob.messages("bob-1")  # a check's read, not an action of Bob's
    assert world.told("Bob") is refused and refused.status == 404


def test_a_reply_is_only_the_reply_of_its_owner():
    world = _world(Alice="alice-1")
    world.reply = SimpleNamespace(owner="Alice", conversation_id="alice-1")
    assert world.reply_of("Alice") is world.reply
    with pytest.raises(AssertionError, match="Bob has received no reply"):
        world.reply_of("Bob")
