"""What the scenarios expect, checked with the matchers. Each check fails with what the platform did."""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from hamcrest import assert_that, greater_than, has_item, is_not

from chat_acceptance.world import leaks, matchers, near_misses
from chat_acceptance.transport.client import ApiResponse, Exchange
from chat_acceptance.world.people import Person, Reply
from chat_acceptance.transport.sse import StreamResult
from chat_acceptance.world import World

# What the platform must answer to a refused request, by what the refusal means.
_REFUSALS = {
    "invalid": 400,
    "unauthenticated": 401,
    "insufficient credits": 402,
    "forbidden": 403,
    "not found": 404,
}


def is_accepted(answer: ApiResponse, what: str, status: int = 200) -> None:
    assert_that(answer, matchers.is_accepted(what, status))


def is_rejected_as_mismatch(answer: ApiResponse) -> None:
    assert_that(answer, matchers.is_rejected_as_mismatch())


def is_refused_as_invalid(answer: ApiResponse) -> None:
    _is_refused(answer, "invalid")


def is_refused_as_unauthenticated(answer: ApiResponse) -> None:
    _is_refused(answer, "unauthenticated")


def is_refused_as_forbidden(answer: ApiResponse) -> None:
    _is_refused(answer, "forbidden")


def is_refused_for_insufficient_credits(answer: ApiResponse | StreamResult) -> None:
    _is_refused(answer, "insufficient credits")


def is_not_found(answer: ApiResponse | StreamResult) -> None:
    _is_refused(answer, "not found")


def _is_refused(answer: ApiResponse | StreamResult, meaning: str) -> None:
    assert_that(answer, matchers.is_refused(_REFUSALS[meaning], meaning))


def is_clear_refusal(answer: ApiResponse) -> None:
    assert_that(answer, matchers.is_clear_client_error())


# Streams


def arrives_in_chunks(stream: StreamResult) -> None:
    assert_that(stream, matchers.is_complete_stream())


def carries_streaming_session_id(stream: StreamResult) -> None:
    assert_that(stream, matchers.carries_streaming_session_id())


def reports_positive_tokens_used(stream: StreamResult) -> None:
    done = stream.done
    tokens = done.get("tokensUsed") if isinstance(done, dict) else None
    if not (isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0):
        raise AssertionError(f"expected done to report a positive whole number of tokens used, got done {done!r}")


def streamed_nothing(stream: StreamResult) -> None:
    if stream.status == 200 or stream.events:
        raise AssertionError(f"expected no reply to be streamed, but {matchers.describe_answer(stream)}")


# Conversations


def _exchange_pairs(messages: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """The conversation as (role, content) pairs, leaving out anything but the user's and assistant's turns."""
    return [
        (message.get("role"), message.get("content"))
        for message in messages
        if isinstance(message, dict) and message.get("role") in ("user", "assistant")
    ]


def holds_question_then_reply(person: Person, reply: Reply) -> None:
    """The conversation ends with the question followed by the reply (a deployment may put messages of its own
    before them, such as a greeting)."""
    expected = [("user", reply.question), ("assistant", reply.text)]
    messages = person.messages_when(reply.conversation_id, lambda found: _exchange_pairs(found)[-2:] == expected)
    if _exchange_pairs(messages)[-2:] != expected:
        raise AssertionError(
            f"expected the conversation to end with the question {reply.question!r} followed by the streamed reply "
            f"{reply.text[:120]!r}, but it holds {_exchange_pairs(messages)!r:.400}"
        )


def last_reply_reads(person: Person, conversation_id: str, text: str) -> None:
    replies = [content for role, content in _exchange_pairs(person.messages(conversation_id)) if role == "assistant"]
    if not replies or replies[-1] != text:
        raise AssertionError(f"expected the last reply to read {text!r}, but the replies are {replies!r:.400}")


def lists_conversation(person: Person, conversation_id: str, title: str) -> None:
    answer = person.conversations()
    assert_that(answer, matchers.has_status(200))
    listed = [
        (session.get("sessionId"), session.get("title"))
        for session in answer.field("sessions") or []
        if isinstance(session, dict)
    ]
    assert_that(listed, has_item((conversation_id, title)), f"{person.name}'s conversations")


def does_not_list(answer: ApiResponse, conversation_id: str) -> None:
    assert_that(answer, matchers.has_status(200))
    sessions = answer.field("sessions")
    if not isinstance(sessions, list):
        raise AssertionError(f"expected a list of sessions, but {matchers.describe_answer(answer)}")
    listed = [session.get("sessionId") for session in sessions if isinstance(session, dict)]
    assert_that(listed, is_not(has_item(conversation_id)), "the conversations listed")


def has_an_available_model(answer: ApiResponse) -> None:
    assert_that(answer, matchers.has_status(200))
    models = answer.field("models")
    available = [model for model in models or [] if isinstance(model, dict) and model.get("available") is True]
    assert_that(len(available), greater_than(0), f"available models among {models!r:.300}")


def is_gone_for_every_route(person: Person, reply: Reply) -> None:
    """Opening, asking, confirming and deleting again must all answer 404; every route that does not is named."""
    attempts = {
        "opening it": person.open_conversation(reply.conversation_id),
        "asking in it": person.ask(reply.conversation_id, "Are you still there?"),
        "confirming its reply": person.confirm(reply, reply.streaming_session_id),
        "deleting it again": person.delete_conversation(reply.conversation_id),
    }
    wrong = [f"{route}: {matchers.describe_answer(answer)}" for route, answer in attempts.items() if answer.status != 404]
    if wrong:
        raise AssertionError("expected the request to be refused as not found (404) for a deleted conversation; " + "; ".join(wrong))


# Streaming session IDs


def reveals_no_streaming_session_id(error_answers: list[Exchange], reply: Reply) -> None:
    """No error answer of the scenario (to anyone: another user's 404s too) reveals the ID the platform issued
    for the reply, whole or six characters of it, in its status line, any header or its body (see leaks)."""
    issued = reply.streaming_session_id or ""
    found = [
        (exchange, leak)
        for exchange in error_answers
        for leak in leaks.leaks_in(
            issued,
            status_line=f"HTTP {exchange.status}",
            headers=exchange.response_headers,
            body=exchange.response_body,
            request_parts=[exchange.url, unquote(exchange.url), *_header_lines(exchange.request_headers),
                           exchange.request_body],
        )
    ]
    if found:
        exchange, leak = found[0]
        shown = "the whole issued streaming session ID" if leak.whole else "part of the issued streaming session ID"
        raise AssertionError(
            f"Streaming session ID revealed: the {exchange.status} answer to {exchange.method} {_route(exchange.url)} "
            f"shows {shown} in {leak.where}; expected no error to reveal it\n"
            f"{exchange.method} {exchange.url} revealed {leak.revealed!r} of {issued!r}"
            + (f"; {len(found) - 1} more part(s) of error answers did too" if len(found) > 1 else "")
        )


def _header_lines(headers: Mapping[str, str]) -> list[str]:
    return [f"{name}: {value}" for name, value in headers.items()]


def _route(url: str) -> str:
    """The URL's path with the IDs in it named, so that the message reads the same in every run."""
    path = urlsplit(url).path
    return re.sub(r"/(sessions|balance|users)/[^/]+", r"/\1/{id}", path)


def every_near_miss_rejected(attempts: list[near_misses.Attempt], seed: int) -> None:
    """Every near miss got the mismatch 400; the first that did not is named by family and kind (the value,
    which differs per run as the issued ID does, is on the second line and in the report)."""
    if not attempts:
        raise AssertionError("no near miss was tried: the family has no candidate for this ID")
    wrong = [attempt for attempt in attempts if not attempt.rejected_as_mismatch]
    if not wrong:
        return
    accepted = [attempt for attempt in wrong if 200 <= attempt.status < 300]
    first = (accepted or wrong)[0]
    family, kind = first.near_miss.family, first.near_miss.kind
    headline = (
        f"Wrong streaming ID accepted: a near miss of family '{family}' ({kind}) was confirmed ({first.status})"
        if accepted
        else f"Near miss not rejected as a mismatch: family '{family}' ({kind}) answered {first.status}"
    )
    raise AssertionError(
        f"{headline}; expected the confirmation to be rejected as a streaming session ID mismatch (400 with "
        f'"mismatch" in its message)\n{len(wrong)} of {len(attempts)} near misses were not; the first sent '
        f"{near_misses.shown(first.near_miss.value)} and got {first.status} {first.message!r}; seed {seed} "
        f"(rerun with -D seed={seed}); the report lists every value tried"
    )


# Browsers on other origins


def exposes_streaming_session_id(stream: StreamResult) -> None:
    exposed = _header_list(stream.headers.get("Access-Control-Expose-Headers"))
    allowed_origin = stream.headers.get("Access-Control-Allow-Origin")
    if "x-streaming-session-id" not in exposed or not allowed_origin:
        raise AssertionError(
            "expected Access-Control-Expose-Headers to list X-Streaming-Session-Id for an allowed origin, got "
            f"Access-Control-Allow-Origin {allowed_origin!r} and Access-Control-Expose-Headers "
            f"{stream.headers.get('Access-Control-Expose-Headers')!r} (status {stream.status})"
        )


def allows_headers(answer: ApiResponse, *names: str) -> None:
    allowed = _header_list(answer.headers.get("Access-Control-Allow-Headers"))
    missing = [name for name in names if name.lower() not in allowed]
    if not 200 <= answer.status < 300 or missing or not answer.headers.get("Access-Control-Allow-Origin"):
        raise AssertionError(
            f"expected the preflight to allow {', '.join(names)} from the origin, got {answer.status} with "
            f"Access-Control-Allow-Origin {answer.headers.get('Access-Control-Allow-Origin')!r} and "
            f"Access-Control-Allow-Headers {answer.headers.get('Access-Control-Allow-Headers')!r}"
        )


def _header_list(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


# Credits


def new_user_with_credits(world: World, name: str, credits: int) -> None:
    person = world.new_user(name)
    answer = world.person("the administrator").allocate(person.user_id, credits)
    assert_that(answer, matchers.is_accepted(f"allocating {credits} credits to {name}", 201))
    world.starting_balances[name] = person.balance()


def new_user_without_credits(world: World, name: str, scenario: Any) -> None:
    person = world.new_user(name)
    if world.starting_balances[name] > 0:
        scenario.skip(
            f"this deployment gives new users {world.starting_balances[name]} credits, so a user without credits "
            f"cannot be set up ({person.username})"
        )


def balance_grew_by(world: World, name: str, credits: int) -> None:
    grown = world.person(name).balance() - world.starting_balances[name]
    if grown != credits:
        raise AssertionError(f"expected {name}'s balance to grow by exactly {credits} credits, it grew by {grown}")


def balance_not_grown(world: World, name: str) -> None:
    now, before = world.person(name).balance(), world.starting_balances[name]
    if now > before:
        raise AssertionError(f"expected {name}'s balance not to grow, it went from {before} to {now}")


def balance_gone_down(world: World, name: str) -> None:
    person, before = world.person(name), world.starting_balances[name]
    now = person.balance_when(lambda balance: balance < before)
    if not now < before:
        raise AssertionError(f"expected {name}'s balance to go down from {before} after the reply, it is {now}")


def shows_balance_of(answer: ApiResponse, person: Person) -> None:
    assert_that(answer, matchers.has_status(200))
    shown, own = answer.field("totalCredits"), person.balance()
    if shown != own:
        raise AssertionError(f"expected the balance shown to be {person.name}'s own {own}, it is {shown!r}")


def unknown_user_id() -> str:
    return f"no-such-user-{secrets.token_hex(6)}"
