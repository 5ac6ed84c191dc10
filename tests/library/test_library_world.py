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
