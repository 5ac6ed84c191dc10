"""chat_acceptance.checks.invariants: what every exchange of a scenario keeps, checked without a step asking.

The world and its people are stand-ins whose state a test changes by hand, as a faulty platform would; the
exchanges are fed to the invariants as the transport would hand them over (raw).
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from chat_acceptance.actors.people import ADMIN_ROLE_CLAIMS, Person, SignedIn
from chat_acceptance.attacks.leaks import IdSamples
from chat_acceptance.checks import expectations as expect
from chat_acceptance.checks.invariant_findings import (
    CONFIRMS_AGAIN,
    CONSEQUENCE,
    CORS,
    LEAK,
    OTHERS_CONVERSATION,
    allowed_origin_problem,
)
from chat_acceptance.checks.invariants import Invariants
from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.transport.client import confirmation
from chat_acceptance.transport.exchange import ApiResponse, Claims, Exchange
from chat_acceptance.transport.sse import Ending, StreamResult
from chat_acceptance.world.scenario import World

CHAT = "http://127.0.0.1:3002"
CONVERSATION = "ses-1"
ISSUED = "stream-1732500000000-a1b2c3d4"
MISMATCH = '{"message": "Streaming session ID mismatch"}'


class Someone:
    """A person whose balance, list and conversation a test sets, counting how often the check reads them."""

    def __init__(self, name: str, token: str):
        self.name = name
        self.signed_in = SimpleNamespace(access_token=token)
        self.credits = 100
        self.listed = ((CONVERSATION, "Trip"),)
        self.conversation = (("user", "Where to?"), ("assistant", "Rome."))
        self.reads = 0
        self.confirmations: list[dict] = []
        self.confirm_status = 200

    def has_held(self, token):
        return token == self.signed_in.access_token

    def balance(self):
        self.reads += 1
        return self.credits

    def listed_conversations(self):
        return self.listed

    def messages(self, conversation_id):
        return [{"role": role, "content": content} for role, content in self.conversation]

    def confirm_body(self, conversation_id, body):
        self.confirmations.append(body)
        return ApiResponse("POST /api/chat/sessions/{sessionId}/update-stream", self.confirm_status, {}, MISMATCH)

    def confirm_until_stored(self, conversation_id, issued, send):
        return send()


def scenario(**people: Someone) -> Invariants:
    world = SimpleNamespace(people=people, compared=set(people), accounts={}, attempted_account=None, suite=None)
    return Invariants(world, IdSamples(["stream-1732500000917-9f8e7d6c"]))  # the shared "stream-" is learned


def exchange(
    method: str,
    path: str,
    status: int,
    *,
    body: str | None = None,
    request_body: str | None = None,
    token: str = "alice-token",
    service: str = "chat",
    stream: StreamResult | None = None,
    request_headers: dict | None = None,
    response_headers: dict | None = None,
) -> Exchange:
    return Exchange(
        service=service,
        method=method,
        url=CHAT + path,
        status=status,
        duration_s=0.01,
        request_headers={"Authorization": f"Bearer {token}", **(request_headers or {})},
        request_body=request_body,
        response_headers=response_headers or {"content-type": "application/json"},
        response_body=body,
        stream=stream,
    )


def started(invariants: Invariants, issued: str = ISSUED) -> None:
    """Alice started the conversation and received a reply with `issued` (what the Given does)."""
    invariants.observe(exchange("POST", "/api/chat/sessions", 201, body=json.dumps({"sessionId": CONVERSATION})))
    stream = StreamResult(
        status=200, headers={}, streaming_session_id=issued, events=(), ending=Ending.DONE, duration_s=0.1
    )
    invariants.observe(exchange("POST", f"/api/chat/sessions/{CONVERSATION}/stream", 200, stream=stream))


def confirmation_sent(claimed: str = "made-up") -> str:
    """The update-stream body as a request carries it (built by the library's own `confirmation`)."""
    return json.dumps(confirmation("Ignore the question", claimed, 3))


def attempt(invariants: Invariants, status: int, *, claimed: str = "made-up", change=lambda: None) -> None:
    """A When step's confirmation: the snapshot before it, the platform's effect (`change`), the answer."""
    path = f"/api/chat/sessions/{CONVERSATION}/update-stream"
    invariants.before_send("chat", "POST", path)
    change()
    body = MISMATCH if status == 400 else '{"message": "ok"}'
    invariants.observe(exchange("POST", path, status, body=body, request_body=confirmation_sent(claimed)))


# -- a refusal changes nothing -------------------------------------------------------------------------------


def test_a_refusal_that_changed_nothing_passes_and_its_snapshot_serves_the_next_attempt():
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    attempt(invariants, 400)
    attempt(invariants, 400)
    assert invariants.findings == []
    assert alice.reads == 3  # one snapshot, one comparison per refusal; no second snapshot
    assert alice.confirmations[-1]["streamingSessionId"] == ISSUED  # the owner's ID still confirms, text unchanged
    assert alice.confirmations[-1]["completeResponse"] == "Rome."


def test_a_429_before_the_resend_is_no_answer_and_the_refusal_is_still_compared():
    """A throttled attempt is sent again as it was: its 429 neither counts as an accepted change (which dropped
    the snapshot, so the resent attempt's refusal went uncompared) nor as a refusal."""
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    path = f"/api/chat/sessions/{CONVERSATION}/update-stream"
    invariants.before_send("chat", "POST", path)
    invariants.observe(exchange("POST", path, 429, body='{"message": "slow down"}', request_body=confirmation_sent()))
    invariants.observe(exchange("POST", path, 400, body=MISMATCH, request_body=confirmation_sent()))
    assert invariants.refusals_compared == 1 and invariants.findings == []


def test_a_refusal_that_still_charged_the_caller_is_a_finding_with_a_stable_first_line():
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    attempt(invariants, 400, change=lambda: setattr(alice, "credits", 97))

    finding = invariants.first(CONSEQUENCE)
    assert finding.headline == (
        "Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/update-stream answered 400"
    )
    assert "Alice's balance went from 100 to 97" in str(finding)


@pytest.mark.parametrize(
    "what, change",
    [
        ("list of conversations changed", lambda alice: setattr(alice, "listed", ())),
        (
            "a conversation changed",
            lambda alice: setattr(alice, "conversation", alice.conversation + (("assistant", "x"),)),
        ),
    ],
)
def test_a_refusal_that_changed_a_list_or_a_conversation_is_a_finding(what, change):
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    attempt(invariants, 404, change=lambda: change(alice))
    assert what in str(invariants.first(CONSEQUENCE))


def test_an_owner_whose_own_id_no_longer_confirms_is_a_finding():
    alice = Someone("Alice", "alice-token")
    alice.confirm_status = 400
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    attempt(invariants, 400)
    assert "Alice's own streaming session ID no longer confirms the reply" in str(invariants.first(CONSEQUENCE))


@pytest.mark.parametrize("confirm_status, finding", [(200, False), (400, True)])
def test_a_question_refused_for_want_of_credits_checks_the_owner_s_issued_id_still_confirms(confirm_status, finding):
    """The owner's own 402 (not only someone else's refusal): her reply already there must still confirm."""
    alice = Someone("Alice", "alice-token")
    alice.confirm_status = confirm_status
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    path = f"/api/chat/sessions/{CONVERSATION}/stream"
    invariants.before_send("chat", "POST", path)
    refused = StreamResult(
        status=402,
        headers={},
        streaming_session_id=None,
        events=(),
        ending=Ending.REFUSED,
        duration_s=0.01,
        body='{"message": "Insufficient credits"}',
    )
    invariants.observe(exchange("POST", path, 402, body=refused.body, stream=refused))
    assert alice.confirmations[-1]["streamingSessionId"] == ISSUED
    assert (invariants.first(CONSEQUENCE) is not None) is finding


def test_nothing_is_read_before_a_given_and_a_refused_given_is_not_compared():
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    attempt(invariants, 400, change=lambda: setattr(alice, "credits", 0))  # phase is still "given"
    assert alice.reads == 0 and invariants.findings == [] and invariants.refusals_compared == 0
    invariants.phase = "when"
    invariants.before_send("chat", "GET", f"/api/chat/sessions/{CONVERSATION}")  # a When step's read is an attempt
    assert alice.reads == 1


def test_a_batch_is_compared_once_after_its_last_refusal():
    alice = Someone("Alice", "alice-token")
    invariants = scenario(Alice=alice)
    started(invariants)
    invariants.phase = "when"
    with invariants.batch():
        for _ in range(5):
            attempt(invariants, 400)
        alice.credits = 90
    assert alice.reads == 2
    assert "(5 refused requests)" in invariants.first(CONSEQUENCE).headline


# -- an ID once accepted confirms again ------------------------------------------------------------------------


def test_an_accepted_id_refused_as_a_mismatch_later_is_a_finding():
    invariants = scenario(Alice=Someone("Alice", "alice-token"))
    started(invariants)
    attempt(invariants, 200, claimed=ISSUED)
    assert invariants.was_accepted(CONVERSATION, ISSUED)
    attempt(invariants, 400, claimed=ISSUED)
    assert invariants.first(CONFIRMS_AGAIN).headline.startswith(
        "Issued streaming session ID refused after it was accepted"
    )


def test_a_newer_stream_replaces_the_accepted_id():
    invariants = scenario(Alice=Someone("Alice", "alice-token"))
    started(invariants)
    attempt(invariants, 200, claimed=ISSUED)
    started(invariants, issued="stream-1732500000999-ffffffff")
    attempt(invariants, 400, claimed=ISSUED)
    assert invariants.findings == []


# -- CORS ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, problem",
    [
        ({"Access-Control-Allow-Origin": "https://chat.example.com"}, None),
        ({"Access-Control-Allow-Origin": "*"}, None),
        ({"Access-Control-Allow-Origin": "https://chat.example.com", "Access-Control-Allow-Credentials": "true"}, None),
        ({"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}, "is * while"),
        ({"Access-Control-Allow-Origin": "https://portal.example.net"}, "'https://portal.example.net'"),
        ({}, "there is no Access-Control-Allow-Origin"),
    ],
)
def test_the_allowed_origin_is_the_callers_or_star_without_credentials(headers, problem):
    found = allowed_origin_problem("https://chat.example.com", headers)
    assert found is None if problem is None else problem in found


def test_any_answer_that_allows_another_origin_is_a_finding():
    invariants = scenario()
    invariants.observe(
        exchange(
            "GET",
            "/api/chat/sessions",
            200,
            request_headers={"Origin": "https://a.example"},
            response_headers={"Access-Control-Allow-Origin": "https://b.example"},
        )
    )
    assert invariants.first(CORS).headline.startswith("expected Access-Control-Allow-Origin to name the page's origin")


@pytest.mark.parametrize("status", [200, 404, 405])
def test_an_answer_to_a_page_without_any_allowed_origin_is_a_finding(status):
    invariants = scenario()
    invariants.observe(
        exchange("OPTIONS", "/api/credits/balance", status, request_headers={"Origin": "https://a.example"})
    )
    finding = invariants.first(CORS)
    assert finding.headline.startswith("expected Access-Control-Allow-Origin to name the page's origin")
    assert "there is no Access-Control-Allow-Origin" in str(finding)


@pytest.mark.parametrize(
    "status, request_headers",
    [(502, {"Origin": "https://a.example"}), (200, {})],
    ids=["a 5xx, a failure of its own", "no Origin: no browser asked"],
)
def test_no_cors_finding_without_a_page_or_for_a_5xx(status, request_headers):
    invariants = scenario()
    invariants.observe(exchange("GET", "/api/credits/balance", status, request_headers=request_headers))
    assert invariants.findings == []


# -- identity from the token only --------------------------------------------------------------------------------


def world_with(config: SuiteConfig | None = None) -> World:
    suite = SimpleNamespace(config=config or SuiteConfig(), id_samples=IdSamples())
    return World(suite=suite, add_cleanup=lambda description, action: None)


def _stand_in(token: str, name: str, conversation: str | None = None) -> SimpleNamespace:
    signed_in = SimpleNamespace(access_token=token)
    return SimpleNamespace(
        signed_in=signed_in,
        has_held=lambda sent: sent == token,
        user_id=f"{name}-id",
        username=name,
        latest_conversation=conversation,
    )


def test_whoever_is_not_the_owner_claims_to_be_the_owner_on_every_request_and_names_her_conversation():
    world = world_with()
    world.people = {"Alice": _stand_in("a", "alice", "ses-a"), "Bob": _stand_in("b", "bob")}
    claims = world.identity_claims("b")
    assert claims.headers["X-User-Id"] == "alice-id" and claims.headers["X-Forwarded-User"] == "alice"
    assert "X-Remote-User" in claims.headers and "X-Auth-User" in claims.headers and "X-Username" in claims.headers
    assert claims.query == {
        "userId": "alice-id",
        "user_id": "alice-id",
        "user": "alice",
        "username": "alice",
        "owner": "alice-id",
        "ownerId": "alice-id",
    }
    assert claims.body == {
        "userId": "alice-id",
        "user": "alice",
        "owner": "alice-id",
        "sessionId": "ses-a",
        "conversationId": "ses-a",
        "role": "admin",
        "isAdmin": True,
    }
    assert world.identity_claims("a") == ADMIN_ROLE_CLAIMS  # the owner claims only the administrator's role
    assert world.identity_claims("forged") == Claims()  # a token nobody in the scenario holds claims nothing
    headers_only = world_with(SuiteConfig.from_sources({"identity_claims": "headers"}, ["identity_claims"], {}))
    headers_only.people = world.people
    assert headers_only.identity_claims("b") == Claims(headers=claims.headers)  # the setting decides the places


def test_an_end_user_or_a_supervisor_claims_the_administrators_role_on_every_request():
    world = world_with()
    world.people = {"Carol": _stand_in("c", "carol"), "the supervisor": _stand_in("s", "supervisor")}
    for token in ("c", "s"):
        headers = world.identity_claims(token).headers
        assert {name: headers[name] for name in ("X-User-Role", "X-Role", "X-User-Roles")} == dict.fromkeys(
            ("X-User-Role", "X-Role", "X-User-Roles"), "admin"
        )
        assert headers["X-Forwarded-Role"] == headers["X-Auth-Request-Groups"] == "admin"
    assert world.identity_claims("c").body == {"role": "admin", "isAdmin": True}


def test_staff_who_are_not_the_owner_claim_to_be_the_owner_too_and_the_administrator_claims_no_role():
    world = world_with()
    world.people = {"Alice": _stand_in("a", "alice"), "the administrator": _stand_in("adm", "admin")}
    claims = world.identity_claims("adm")
    assert claims.query["userId"] == "alice-id"
    assert "X-User-Role" not in claims.headers and "role" not in claims.body and "sessionId" not in claims.body


def test_claims_combine_the_later_winning_and_keep_only_the_places_named():
    first = Claims(headers={"X-A": "1"}, query={"q": "1"}, body={"f": 1})
    both = first | Claims(headers={"X-A": "2", "X-B": "3"}, body={"g": True})
    assert both == Claims(headers={"X-A": "2", "X-B": "3"}, query={"q": "1"}, body={"f": 1, "g": True})
    assert both.only(("headers", "body")) == Claims(headers=both.headers, body=both.body)
    assert both.only(("query",)) == Claims(query={"q": "1"})


# -- another person's conversation, named by a request ------------------------------------------------------------


def bob_confirms_naming(invariants: Invariants, status: int, *, names: str = CONVERSATION, change=lambda: None):
    """Bob confirms his own reply (his conversation's path) while the body names `names`."""
    path = "/api/chat/sessions/ses-bob/update-stream"
    invariants.before_send("chat", "POST", path)
    change()
    request_body = json.dumps({**confirmation("Ignore the question", "bobs-id", 3), "sessionId": names})
    body = MISMATCH if status == 400 else '{"message": "ok"}'
    invariants.observe(exchange("POST", path, status, body=body, request_body=request_body, token="bob-token"))


def test_an_accepted_request_naming_another_persons_conversation_that_changed_it_is_a_finding():
    alice, bob = Someone("Alice", "alice-token"), Someone("Bob", "bob-token")
    invariants = scenario(Alice=alice, Bob=bob)
    started(invariants)
    invariants.phase = "when"

    def rewritten():
        alice.conversation = (("user", "Where to?"), ("assistant", "Book the expensive hotel"))

    bob_confirms_naming(invariants, 200, change=rewritten)
    finding = invariants.first(OTHERS_CONVERSATION)
    assert finding.headline == (
        "Another user's request changed Alice's conversation: POST /api/chat/sessions/{sessionId}/update-stream "
        "answered 200"
    )
    assert "Bob sent it; message 2 was assistant 'Rome.', now assistant 'Book the expensive hotel'" in str(finding)
    assert invariants.others_compared == 1


def test_a_request_naming_another_persons_conversation_that_left_it_alone_is_compared_and_passes():
    alice, bob = Someone("Alice", "alice-token"), Someone("Bob", "bob-token")
    invariants = scenario(Alice=alice, Bob=bob)
    started(invariants)
    invariants.phase = "when"
    bob_confirms_naming(invariants, 200)
    assert invariants.findings == [] and invariants.others_compared == 1
    expect.others_left_alone(invariants, "Alice")


def test_only_requests_naming_someone_elses_conversation_cost_a_comparison():
    alice, bob = Someone("Alice", "alice-token"), Someone("Bob", "bob-token")
    invariants = scenario(Alice=alice, Bob=bob)
    started(invariants)
    invariants.phase = "when"
    bob_confirms_naming(invariants, 200, names="ses-bob")  # his own conversation only
    path = f"/api/chat/sessions/{CONVERSATION}/update-stream"
    invariants.before_send("chat", "POST", path)
    invariants.observe(exchange("POST", path, 200, body='{"message": "ok"}', request_body=confirmation_sent()))
    assert invariants.others_compared == 0  # Alice's own confirmation of her own conversation is hers to make
    bob_confirms_naming(invariants, 400, change=lambda: setattr(alice, "credits", 0))
    assert invariants.others_compared == 0 and invariants.first(CONSEQUENCE) is not None  # a refusal: compared whole
    with pytest.raises(AssertionError, match="^Refused attempt changed what it protects"):
        expect.others_left_alone(invariants, "Alice")


def test_a_scenario_that_sent_no_request_naming_anothers_conversation_cannot_say_it_was_left_alone():
    invariants = scenario(Alice=Someone("Alice", "alice-token"))
    with pytest.raises(AssertionError, match="^no request by another user naming Alice's conversation was compared"):
        expect.others_left_alone(invariants, "Alice")


# -- retries are evidence ---------------------------------------------------------------------------------------


def _person(answers: list[int], retry_s: float = 2.0):
    sent: list[int] = []

    class Chat:
        def confirm_reply(self, token, conversation_id, body, **options):
            sent.append(1)
            status = answers.pop(0) if answers else 200
            return ApiResponse(
                "POST /api/chat/sessions/{sessionId}/update-stream",
                status,
                {},
                MISMATCH if status == 400 else '{"message": "ok"}',
            )

    person = Person(
        "Alice",
        SignedIn("alice", "1", "a", None),
        SimpleNamespace(chat=Chat()),
        confirm_retry_s=retry_s,
        add_cleanup=lambda description, action: None,
    )
    retries = []
    person.count_retry = lambda: retries.append(1)
    person.invariants = scenario()
    return person, sent, retries


def test_a_mismatch_for_an_id_never_accepted_is_sent_again_and_counted():
    person, sent, retries = _person([400, 400, 200])
    answer = person.confirm_until_stored(
        CONVERSATION, ISSUED, lambda: person.confirm_body(CONVERSATION, {}), ended_at=time.monotonic()
    )
    assert answer.status == 200 and len(sent) == 3 and len(retries) == 2


def test_a_mismatch_for_an_id_accepted_before_is_never_retried():
    person, sent, retries = _person([400, 200])
    person.invariants.note_accepted(CONVERSATION, ISSUED)
    answer = person.confirm_until_stored(
        CONVERSATION, ISSUED, lambda: person.confirm_body(CONVERSATION, {}), ended_at=time.monotonic()
    )
    assert answer.status == 400 and len(sent) == 1 and retries == []


def test_the_retry_window_is_counted_from_done():
    person, sent, retries = _person([400, 200], retry_s=1.0)
    answer = person.confirm_until_stored(
        CONVERSATION, ISSUED, lambda: person.confirm_body(CONVERSATION, {}), ended_at=time.monotonic() - 5
    )
    assert answer.status == 400 and len(sent) == 1 and retries == []


# -- a conversation exists for its owner only, also where a request is let through --------------------------


def _alice_and_bob(bob_user_id: str = "u-bob") -> Invariants:
    alice, bob = Someone("Alice", "alice-token"), Someone("Bob", "bob-token")
    alice.user_id, bob.user_id = "u-alice", bob_user_id
    invariants = scenario(Alice=alice, Bob=bob)
    started(invariants)
    return invariants


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/chat/sessions/x%27%20--%20", json.dumps({"sessionId": CONVERSATION, "messages": []})),
        ("DELETE", "/api/chat/sessions/%7B%22%24ne%22%3A%20null%7D", json.dumps({"sessionId": CONVERSATION})),
        ("GET", "/api/chat/sessions", json.dumps({"sessions": [{"sessionId": "bobs"}, {"sessionId": CONVERSATION}]})),
        ("POST", f"/api/chat/sessions/{CONVERSATION}/stream", None),  # her own ID in the path, a stream answered
    ],
)
def test_an_answer_that_lets_another_user_through_to_her_conversation_is_a_leak(method, path, body):
    invariants = _alice_and_bob()
    invariants.observe(exchange(method, path, 200, body=body, token="bob-token"))
    finding = invariants.first(LEAK)
    assert finding is not None and finding.headline.startswith(
        "Another user's conversation revealed: the 200 answer to "
    )
    assert "shows Bob Alice's conversation; expected it not to exist for anyone but its owner" in finding.headline
    assert CONVERSATION not in finding.headline  # the first line is the same on every run


def test_her_own_answers_his_own_conversations_one_account_under_two_names_and_refusals_are_no_leak():
    invariants = _alice_and_bob()
    shown = json.dumps({"sessionId": CONVERSATION})
    invariants.observe(exchange("GET", f"/api/chat/sessions/{CONVERSATION}", 200, body=shown))  # Alice's own
    invariants.observe(exchange("GET", "/api/chat/sessions/x%27", 404, body=shown, token="bob-token"))  # refused
    invariants.observe(exchange("GET", "/api/chat/sessions", 200, body='{"sessions": []}', token="bob-token"))
    invariants.observe(exchange("GET", "/api/credits/balance", 200, body=shown, token="bob-token"))  # no chat route
    assert invariants.findings == []
    same_account = _alice_and_bob(bob_user_id="u-alice")
    same_account.observe(exchange("GET", f"/api/chat/sessions/{CONVERSATION}", 200, body=shown, token="bob-token"))
    assert same_account.findings == []


def test_a_conversation_of_someone_who_left_the_scenario_is_still_hers():
    """Her account was deleted (World.account_deleted): a newcomer let through to it is told of another's."""
    invariants = _alice_and_bob()
    del invariants.world.people["Alice"]
    invariants.observe(exchange("GET", f"/api/chat/sessions/{CONVERSATION}", 200, body="{}", token="bob-token"))
    assert "shows Bob Alice's conversation" in invariants.first(LEAK).headline
