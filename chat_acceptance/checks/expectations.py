"""What the scenarios expect, checked with the matchers. Each check fails with what the platform did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chat_acceptance.attacks import near_misses
from chat_acceptance.checks import matchers
from chat_acceptance.checks.invariant_findings import CONSEQUENCE, LEAK, OTHERS_CONVERSATION, allowed_origin_problem
from chat_acceptance.checks.invariants import Invariants
from chat_acceptance.checks.matchers import require, tokens_reported
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.sse import StreamResult

if TYPE_CHECKING:  # checks judge what the world and its actors hold; those import checks, never the other way
    from chat_acceptance.actors.people import Person, Reply
    from chat_acceptance.world.scenario import World

# What the platform must answer to a refused request, by what the refusal means.
_REFUSALS = {
    "invalid": 400,
    "unauthenticated": 401,
    "insufficient credits": 402,
    "forbidden": 403,
    "not found": 404,
}


def is_accepted(answer: ApiResponse, what: str, status: int = 200) -> None:
    require(answer, matchers.is_accepted(what, status))


def every_confirmation_accepted(answers: list[ApiResponse]) -> None:
    """The first confirmation was accepted, and so was every one after it (the same ID, sent again)."""
    require(answers[0], matchers.is_accepted("the first confirmation"))
    refused = [(number, answer) for number, answer in enumerate(answers, start=1) if answer.status != 200]
    if refused:
        number, answer = refused[0]
        raise AssertionError(
            "Issued streaming session ID refused after it was accepted: the latest stream's ID confirmed the reply "
            f"once, then the confirmation answered {answer.status}; expected it to confirm again every time it is sent"
            f"\nconfirmation {number} of {len(answers)}: {matchers.describe_answer(answer)}; {len(refused)} refused"
        )


def is_rejected_as_mismatch(answer: ApiResponse) -> None:
    require(answer, matchers.is_rejected_as_mismatch())


def is_refused_as_invalid(answer: ApiResponse, sent_a_string: bool = False) -> None:
    """400, and not a mismatch: the body was judged invalid, not the ID wrong. Only an ID sent as a string (an
    empty one, say) may also be judged a wrong ID, which the contract allows."""
    if sent_a_string:
        require(answer, matchers.is_refused(400, "invalid or as a mismatch"))
    else:
        _is_refused(answer, "invalid")


def is_refused_for_insufficient_credits(answer: ApiResponse | StreamResult) -> None:
    _is_refused(answer, "insufficient credits")


def is_not_found(answer: ApiResponse | StreamResult) -> None:
    _is_refused(answer, "not found")


def is_refused_as(answer: ApiResponse | StreamResult, meaning: str) -> None:
    """Refused with the status the contract gives that meaning: invalid, unauthenticated, forbidden, not found..."""
    _is_refused(answer, meaning)


REFUSALS = tuple(_REFUSALS)


def _is_refused(answer: ApiResponse | StreamResult, meaning: str) -> None:
    require(answer, matchers.is_refused(_REFUSALS[meaning], meaning))


def is_clear_refusal(answer: ApiResponse) -> None:
    require(answer, matchers.is_clear_client_error())


def set_up_succeeded(failure: str | None) -> None:
    """The one result of a run that stopped in set-up carries its reason."""
    if failure is not None:
        raise AssertionError(f"the suite's set-up failed: {failure}")


def kept_to_the_contract(findings: list[AssertionError]) -> None:
    """Every answer of the scenario kept to the contract's shapes; the first finding, in words that are the same in
    every run (the values that came stay in the report's "contract findings" attachment)."""
    if findings:
        first = getattr(findings[0], "stable_line", None) or str(findings[0])
        more = f" (+{len(findings) - 1} more findings in the report)" if len(findings) > 1 else ""
        raise AssertionError(first + more)


# Streams


def arrives_in_chunks(stream: StreamResult) -> None:
    require(stream, matchers.is_complete_stream())
    stream.text  # noqa: B018 (a chunk whose text cannot be read fails here, with the chunk named)


def streams_to_its_end(stream: StreamResult) -> None:
    """The reply streamed and ended by itself; how it ended is for the scenarios about the stream's end."""
    require(stream, matchers.has_ended())


def carries_streaming_session_id(stream: StreamResult) -> None:
    require(stream, matchers.carries_streaming_session_id())


def reports_positive_tokens_used(stream: StreamResult) -> None:
    done = stream.done
    tokens = tokens_reported(done)
    if tokens is None or tokens <= 0:
        tokens = done.get("tokensUsed") if isinstance(done, dict) else None
        shown = "no done event" if done is None else f"tokensUsed {tokens!r}"
        raise AssertionError(f"expected done to report a positive whole number of tokens used, got {shown}")


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
            f"expected the conversation to end with the question {reply.question!r} "
            f"followed by the streamed reply, but it holds {_turns(_exchange_pairs(messages), expected)}"
        )


def _turns(pairs: list[tuple[Any, Any]], expected: list[tuple[Any, Any]]) -> str:
    """The conversation's turns by role, marking which of them read as expected (their texts stay in the report)."""
    if not pairs:
        return "no messages"
    texts = {content for _, content in expected}
    return ", ".join(f"{role}{'' if content in texts else ' (other text)'}" for role, content in pairs)


def last_reply_reads(person: Person, conversation_id: str, text: str) -> None:
    replies = [content for role, content in _exchange_pairs(person.messages(conversation_id)) if role == "assistant"]
    if not replies or replies[-1] != text:
        found = "there is no reply" if not replies else "it reads otherwise"
        raise AssertionError(f"expected the last reply to read {text!r}, but {found}")


def lists_conversation(person: Person, conversation_id: str, title: str) -> None:
    answer = person.conversations()
    require(answer, matchers.has_status(200))
    listed = [
        (session.get("sessionId"), session.get("title"))
        for session in answer.field("sessions") or []
        if isinstance(session, dict)
    ]
    if (conversation_id, title) not in listed:
        titled = "is listed with another title" if conversation_id in dict(listed) else "is not listed"
        raise AssertionError(
            f"expected {person.name}'s conversations to list the new one titled {title!r}, but it {titled}"
        )


def does_not_list_others(answer: ApiResponse, conversation_id: str, owner: str) -> None:
    """Someone else's list (the answer) leaves out the owner's conversation."""
    if conversation_id in _listed(answer):
        raise AssertionError(f"expected the conversations listed not to include {owner}'s, but they do")


def no_longer_lists(person: Person, conversation_id: str) -> None:
    """The owner's own list leaves out the conversation she deleted."""
    if conversation_id in _listed(person.conversations()):
        raise AssertionError(f"expected {person.name}'s conversations not to list the deleted one, but they do")


def _listed(answer: ApiResponse) -> list[Any]:
    require(answer, matchers.has_status(200))
    sessions = answer.field("sessions")
    if not isinstance(sessions, list):
        raise AssertionError(f"expected a list of sessions, but {matchers.describe_answer(answer)} without one")
    return [session.get("sessionId") for session in sessions if isinstance(session, dict)]


def has_an_available_model(answer: ApiResponse) -> None:
    require(answer, matchers.has_status(200))
    models = answer.field("models")
    available = [model for model in models or [] if isinstance(model, dict) and model.get("available") is True]
    if not available:
        raise AssertionError(f"expected at least one available model, but none of the {len(models or [])} listed is")


def is_gone_for_every_route(person: Person, reply: Reply) -> None:
    """Opening, asking, confirming and deleting again must all answer 404; every route that does not is named."""
    attempts: dict[str, matchers.Answer] = {
        "opening it": person.open_conversation(reply.conversation_id),
        "asking in it": person.ask(reply.conversation_id, "Are you still there?"),
        "confirming its reply": person.confirm(reply, reply.streaming_session_id),
        "deleting it again": person.delete_conversation(reply.conversation_id),
    }
    wrong = _not_found_failures(attempts)
    if wrong:
        raise AssertionError(
            "expected the request to be refused as not found (404) for a deleted conversation; " + "; ".join(wrong)
        )


def told_not_found_each_time(tries: dict[str, matchers.Answer]) -> None:
    """Each attempt through a crafted ID was told the conversation does not exist: 404, the contract's answer for
    an unknown session on all four routes (an ID's shape is opaque, so none is invalid). The first line names the
    first attempt that was not; the others follow."""
    wrong = _not_found_failures(tries)
    if wrong:
        what, answer = next((what, answer) for what, answer in tries.items() if answer.status != 404)
        raise AssertionError(
            f"Conversation reached through a crafted ID: {what} answered {answer.status}; expected every attempt "
            "to be told the conversation does not exist (404)\n" + "; ".join(wrong)
        )


def _not_found_failures(attempts: dict[str, matchers.Answer]) -> list[str]:
    return [f"{what}: {matchers.describe_answer(answer)}" for what, answer in attempts.items() if answer.status != 404]


# Streaming session IDs


def reveals_no_streaming_session_id(invariants: Invariants) -> None:
    """No error answer of the scenario (to anyone: another user's 404s too) revealed a streaming session ID the
    scenario received, whole or six characters of its unpredictable part (the leak invariant, which judged every
    error answer as it came: chat_acceptance.checks.invariants)."""
    finding = invariants.first(LEAK)
    if finding is not None:
        raise finding


def changed_nothing(invariants: Invariants) -> None:
    """Every refused request of the scenario left balances, conversations, lists and accounts as they were, and
    the issued ID still confirming (the consequence invariant, checked after each refusal)."""
    finding = invariants.first(CONSEQUENCE)
    if finding is not None:
        raise finding
    if invariants.refusals_compared == 0:
        raise AssertionError(
            "no refused attempt of this scenario was compared with what it protects: expected the "
            "attempt to be refused, or the scenario to record what it protects before it"
        )


def others_left_alone(invariants: Invariants, owner: str) -> None:
    """No request of the scenario that someone else sent naming `owner`'s conversation changed it: accepted, it was
    compared by the invariant about others' conversations; refused, by the consequence invariant."""
    finding = invariants.first(OTHERS_CONVERSATION, CONSEQUENCE)
    if finding is not None:
        raise finding
    if invariants.others_compared + invariants.refusals_compared == 0:
        raise AssertionError(
            f"no request by another user naming {owner}'s conversation was compared with it: expected the scenario "
            "to send one after its conversation was recorded"
        )


def kept_the_invariants(invariants: Invariants) -> None:
    """What holds for every request held in this scenario; the first finding, its first line the same in every run."""
    finding = invariants.first()
    if finding is not None:
        more = len(invariants.findings) - 1
        raise type(finding)(
            finding.kind,
            finding.headline,
            str(finding).partition("\n")[2] + (f" (+{more} more findings)" if more else ""),
        )


def every_near_miss_rejected(world: World) -> None:
    """Every near miss got the mismatch 400; the first that did not is named by family and kind (the value,
    which differs per run as the issued ID does, is on the second line and in the report)."""
    attempts, seed = world.attempts, world.suite.config.seed
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


def exposes_streaming_session_id(stream: StreamResult, origin: str) -> None:
    """The reply itself streamed, with its ID, and the browser on `origin` is allowed to read that ID. How the
    stream ended (a done event or not) is for the scenarios about the stream's end."""
    require(stream, matchers.carries_streaming_session_id())
    require(stream, matchers.has_ended())
    _allows_origin(stream, origin)
    exposed = _header_list(stream.headers.get("Access-Control-Expose-Headers"))
    if "x-streaming-session-id" not in exposed:
        raise AssertionError(
            "expected Access-Control-Expose-Headers to list X-Streaming-Session-Id for an allowed origin, got "
            f"Access-Control-Allow-Origin {stream.headers.get('Access-Control-Allow-Origin')!r} and "
            f"Access-Control-Expose-Headers {stream.headers.get('Access-Control-Expose-Headers')!r} "
            f"(status {stream.status})"
        )


def allows_headers(answer: ApiResponse, origin: str, *names: str) -> None:
    allowed = _header_list(answer.headers.get("Access-Control-Allow-Headers"))
    missing = [name for name in names if name.lower() not in allowed]
    if not 200 <= answer.status < 300 or missing or not answer.headers.get("Access-Control-Allow-Origin"):
        raise AssertionError(
            f"expected the preflight to allow {', '.join(names)} from the origin, got {answer.status} with "
            f"Access-Control-Allow-Origin {answer.headers.get('Access-Control-Allow-Origin')!r} and "
            f"Access-Control-Allow-Headers {answer.headers.get('Access-Control-Allow-Headers')!r}"
        )
    _allows_origin(answer, origin)


def _allows_origin(answer: ApiResponse | StreamResult, origin: str) -> None:
    problem = allowed_origin_problem(origin, answer.headers)
    if problem is not None:
        raise AssertionError(
            "expected Access-Control-Allow-Origin to name the page's origin (or * without credentials), but "
            f"{problem}\nthe page's origin is {origin!r}; status {answer.status}"
        )


def _header_list(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


# Credits


def belongs_to_its_creator(world: World, creator: str, other: str) -> None:
    """The conversation `creator` just started is hers: in her list and not in `other`'s, whatever else the
    request claimed (contract: a session belongs to the user who created it; identity comes from the token)."""
    conversation = world.conversation
    listed_for = {name: {sid for sid, _ in world.person(name).listed_conversations()} for name in (creator, other)}
    if conversation in listed_for[other] or conversation not in listed_for[creator]:
        raise AssertionError(
            f"expected the conversation to belong to its creator, {creator}, but it is listed for "
            f"{other if conversation in listed_for[other] else 'nobody'}"
        )
