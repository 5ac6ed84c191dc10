"""chat_acceptance.world: what a scenario's words refer to."""

from types import SimpleNamespace

import pytest

from chat_acceptance.attacks.leaks import IdSamples
from chat_acceptance.world.scenario import World


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
    from chat_acceptance.actors.people import Person, SignedIn

    class Chat:
        def get_session(self, token, conversation_id, headers=None):
            return SimpleNamespace(
                status=404 if conversation_id == "alice-1" else 200, field=lambda name: [], text="{}"
            )

    platform = SimpleNamespace(chat=Chat())
    bob = Person(
        "Bob",
        SignedIn("bob", "2", "b-token", None),
        platform,
        confirm_retry_s=0,
        add_cleanup=lambda description, action: None,
    )
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


# -- a user who has spent all her credits ---------------------------------------------------------------------


class Spender:
    """A new user whose balance each reply lowers by `price` (never below 0, as a charge takes at most what is
    left); a question asked with `refuse_below` credits or fewer gets 402."""

    def __init__(self, balance: float, price: float, refuse_below: float = 0.0):
        self.credits, self.price, self.refuse_below = balance, price, refuse_below
        self.user_id, self.asked = "carol-id", 0

    def balance(self):
        return self.credits

    def start_conversation(self):
        return "carol-1"

    def ask_for_reply(self, conversation, question):
        self.asked += 1
        if self.credits <= self.refuse_below:
            return SimpleNamespace(stream=SimpleNamespace(status=402), conversation_id=conversation)
        self.credits = max(0, self.credits - self.price)
        return SimpleNamespace(stream=SimpleNamespace(status=200), conversation_id=conversation, number=self.asked)


def _spending_world(carol: Spender, *, price: float | None, limit: int = 40):
    allocated = []

    def allocate(user_id, credits):
        allocated.append(credits)
        carol.credits += credits
        return SimpleNamespace(status=201)

    suite = SimpleNamespace(
        bank=SimpleNamespace(price=price), config=SimpleNamespace(spend_down_replies=limit), id_samples=IdSamples()
    )
    world = World(suite=suite, add_cleanup=lambda description, action: None)
    world.people = {"Carol": carol, "the administrator": SimpleNamespace(allocate=allocate)}
    world.starting_balances["Carol"] = carol.credits
    return world, allocated


@pytest.mark.parametrize("price, allocated", [(17.5, [18]), (None, [1])])
def test_a_user_without_credits_is_given_what_a_reply_costs_and_spends_it(price, allocated):
    carol = Spender(0, price=18)
    world, given = _spending_world(carol, price=price)
    last = world.spend_all_credits("Carol")
    assert given == allocated and carol.credits == 0 and world.starting_balances["Carol"] == 0
    assert last.number == carol.asked == 1 and world.conversation == "carol-1"


def test_welcome_credits_are_spent_without_an_allocation_and_the_last_reply_is_kept():
    carol = Spender(100, price=30)
    world, given = _spending_world(carol, price=30)
    last = world.spend_all_credits("Carol")
    assert given == [] and carol.credits == 0 and last.number == carol.asked == 4


def test_a_refusal_for_want_of_credits_ends_the_spending():
    carol = Spender(100, price=30, refuse_below=20)  # a deployment that wants some credits left to start a reply
    world, _ = _spending_world(carol, price=30)
    last = world.spend_all_credits("Carol")
    assert carol.asked == 4 and last.number == 3 and world.starting_balances["Carol"] == 10


def test_credits_too_many_to_spend_make_the_promise_not_checkable():
    from chat_acceptance.actors.credits import NotCheckable

    carol = Spender(1000, price=1)
    world, _ = _spending_world(carol, price=1, limit=3)
    with pytest.raises(NotCheckable, match="still has 997 credits after 3 replies"):
        world.spend_all_credits("Carol")
