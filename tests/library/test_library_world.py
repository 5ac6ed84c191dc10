"""chat_acceptance.world: what a scenario's words refer to."""

from types import SimpleNamespace

import pytest

from chat_acceptance.actors.people import ADMIN_ROLE_CLAIMS
from chat_acceptance.attacks.forgery import is_attacker_text
from chat_acceptance.attacks.leaks import IdSamples
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.world import access
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


def _token_world(name: str, claims_in: tuple[str, ...] = ("headers", "query", "body")) -> tuple[World, list[dict]]:
    """A world whose `name` sends a token route; the headers each request carried are recorded."""
    world = World(suite=None, add_cleanup=lambda description, action: None)
    world.suite = SimpleNamespace(config=SimpleNamespace(jwt_secret=None, identity_claims=claims_in))
    signed_in = SimpleNamespace(access_token="a.b.c", cookies={"sid": "1"})
    world.people = {name: SimpleNamespace(signed_in=signed_in, has_held=lambda token: token == "a.b.c")}
    return world, []


@pytest.mark.parametrize("kind", [access.NO_TOKEN, access.SIGN_IN_COOKIES_ONLY])
def test_every_kind_of_token_an_end_user_presents_carries_the_administrators_role_claimed(kind):
    world, sent = _token_world("Alice")
    route = access.TokenRoute("GET /api/models", lambda world, name, token, headers: sent.append(headers) or _401)
    access.send_with_token(world, "Alice", route, kind)
    assert sent[0]["X-User-Role"] == sent[0]["X-Auth-Request-Groups"] == "admin"
    assert ("Cookie" in sent[0]) is kind.with_sign_in_cookies  # what the kind brings is kept


def test_the_identity_claims_setting_decides_whether_token_rows_claim_a_role_in_headers():
    world, sent = _token_world("Alice", claims_in=("query", "body"))
    route = access.TokenRoute("GET /api/models", lambda world, name, token, headers: sent.append(headers) or _401)
    access.send_with_token(world, "Alice", route, access.NO_TOKEN)
    assert sent == [{}]


def test_the_administrator_presents_her_tokens_claiming_no_role():
    world, sent = _token_world("the administrator")
    route = access.TokenRoute("GET /api/models", lambda world, name, token, headers: sent.append(headers) or _401)
    access.send_with_token(world, "the administrator", route, access.NO_TOKEN)
    assert sent == [{}]


def test_claiming_the_administrators_role_adds_the_claims_for_the_attempt_only():
    sources: list = []
    transport = SimpleNamespace(add_claim_source=lambda source: sources.append(source) or (lambda: sources.clear()))
    world = World(suite=None, add_cleanup=lambda description, action: None)
    world.suite = SimpleNamespace(platform=SimpleNamespace(transport=transport))
    world.people = {"Alice": SimpleNamespace()}
    seen = []
    action = access.GuardedAction("POST /api/credits/allocate", 201, lambda w, p: seen.append(sources[0]("t")), None)
    access.try_claiming_admin_role(world, "Alice", action)
    assert seen == [ADMIN_ROLE_CLAIMS] and sources == [] and world.action is action


_401 = ApiResponse("GET /api/models", 401, {}, '{"message": "no"}')


def test_confirming_his_own_reply_naming_hers_sends_his_path_and_id_with_her_conversation_in_the_body():
    sent = []
    reply = SimpleNamespace(owner="Bob", conversation_id="bob-1", streaming_session_id="bobs-id", tokens_used=3)
    reply.received_at = 0.0
    bob = SimpleNamespace(
        latest_conversation="bob-1",
        confirm_sending=lambda reply, body: sent.append((reply.conversation_id, body)) or _401,
        confirm_until_stored=lambda conversation, issued, send, ended_at: send(),
    )
    world = _world(Alice="alice-1")
    world.people["Bob"], world.reply = bob, reply
    access.confirm_naming(world, "Bob", "Alice")
    ((path_conversation, body),) = sent
    assert path_conversation == "bob-1" and body["streamingSessionId"] == "bobs-id"
    assert body["sessionId"] == body["conversationId"] == "alice-1" and is_attacker_text(body["completeResponse"])
