"""PyHamcrest matchers that read as the contract does and say what the platform did when they fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description
from hamcrest.core.matcher import Matcher
from hamcrest.core.string_description import StringDescription

from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.sse import Ending, MalformedStream, StreamResult

Answer = ApiResponse | StreamResult  # what the platform answered a request: a plain answer or a stream
_Judged = TypeVar("_Judged", bound=Answer)
_INTERNALS_MARKS = ("traceback (most recent call last)", "<html", "<!doctype", "\n    at ", 'file "/')


def describe_answer(item: object) -> str:
    """What the platform did, in one line that reads the same in every run for the same defect: the route (never
    one run's IDs), the status, how a stream ended and which events came. Bodies and IDs stay in the report's
    attachments."""
    if isinstance(item, ApiResponse):
        return f"{item.request} answered {item.status}{_message_kind(item.message) if item.status >= 400 else ''}"
    if isinstance(item, StreamResult):
        names = ", ".join(dict.fromkeys(event.name for event in item.events)) or "none"
        issued = "issued" if item.streaming_session_id else "none"
        # The route, as an answer names it, so that one defect reads the same on a stream and on other routes.
        answered = f"{item.request or 'the stream'} answered {item.status}"
        if item.status != 200:
            return f"{answered}{_message_kind(item.message)}"
        # A deadline's or a cap's detail is a setting (the same every run); a broken connection's is not.
        detail = f" ({item.detail})" if item.detail and item.ending in (Ending.DEADLINE, Ending.EVENT_CAP) else ""
        return (
            f"{answered}; the stream ended: {item.ending.value}{detail}; events: {names}; "
            f"streaming session ID: {issued}"
        )
    return repr(item)


def require(item: _Judged, matcher: Matcher[_Judged]) -> None:
    """assert_that in one line: "expected <promise>, but <what the platform did>" (a CI annotation shows it all)."""
    if not matcher.matches(item):
        mismatch = StringDescription()
        matcher.describe_mismatch(item, mismatch)
        raise AssertionError(f"expected {StringDescription().append_description_of(matcher)}, but {mismatch}")


def is_mismatch(status: int | None, message: Any) -> bool:
    """The contract's refusal of a wrong streaming session ID: 400 with "mismatch" in the message, in any letter
    case (the contract fixes the word, not its case)."""
    return status == 400 and isinstance(message, str) and "mismatch" in message.lower()


def tokens_reported(done: Any) -> int | None:
    """The done event's tokensUsed when it is a whole number (JSON true is no number), else None."""
    tokens = done.get("tokensUsed") if isinstance(done, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None


def _message_kind(message: str | None) -> str:
    # Whether an error said "mismatch" matters to the verdict; its exact words (which may hold IDs) do not.
    if message is None:
        return ""
    return ' with a message mentioning "mismatch"' if "mismatch" in message.lower() else " with another message"


class _AnswerMatcher(BaseMatcher[_Judged]):
    def __init__(self, expectation: str, check: Callable[[_Judged], bool]):
        self._expectation = expectation
        self._check = check

    def _matches(self, item: _Judged) -> bool:
        return self._check(item)

    def describe_to(self, description: Description) -> None:
        description.append_text(self._expectation)

    def describe_mismatch(self, item: _Judged, mismatch_description: Description) -> None:
        mismatch_description.append_text(describe_answer(item))


def has_status(*statuses: int) -> BaseMatcher[Answer]:
    shown = " or ".join(str(status) for status in statuses)
    return _AnswerMatcher(f"an answer with status {shown}", lambda item: item.status in statuses)


def is_accepted(what: str = "the confirmation", status: int = 200) -> BaseMatcher[Answer]:
    return _AnswerMatcher(f"{what} to be accepted ({status})", lambda item: item.status == status)


def is_rejected_as_mismatch() -> BaseMatcher[Answer]:
    return _AnswerMatcher(
        'the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" in its message)',
        lambda item: is_mismatch(item.status, item.message),
    )


def is_refused(status: int, meaning: str) -> BaseMatcher[Answer]:
    """The status the contract fixes for the refusal, and only that: an error body without "message" is a
    contract-shape finding, reported by the contract check, not a refusal that went wrong."""
    if meaning == "invalid":  # a 400 that says mismatch is another refusal: the ID was judged, not the body
        return _AnswerMatcher(
            f'the request to be refused as {meaning} ({status}, not a "mismatch")',
            lambda item: item.status == status and "mismatch" not in (item.message or "").lower(),
        )
    return _AnswerMatcher(f"the request to be refused as {meaning} ({status})", lambda item: item.status == status)


def is_clear_client_error() -> BaseMatcher[ApiResponse]:
    return _AnswerMatcher(
        "the request to be refused with a clear message: a 4xx status and a JSON error whose message is "
        "text, with no stack trace or HTML",
        lambda item: 400 <= item.status < 500 and bool(item.message) and not _shows_internals(item),
    )


def _shows_internals(item: ApiResponse) -> bool:
    """A stack trace or an HTML page, in the raw body or inside any JSON string (where escaping hides it)."""
    texts = [item.text, *_strings_in(item.json)]
    return any(mark in text.lower() for text in texts for mark in _INTERNALS_MARKS)


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in _strings_in(item)] if isinstance(value, list) else []


def does_not_reveal(secret: str, where: str) -> BaseMatcher[ApiResponse]:
    return _AnswerMatcher(
        f"{where} not to reveal the issued streaming session ID",
        lambda item: secret not in item.text,
    )


def is_complete_stream() -> BaseMatcher[StreamResult]:
    """200, then one or more chunks, then done as the last event."""

    def complete(item: StreamResult) -> bool:
        names = [event.name for event in item.events if event.name in ("chunk", "done")]
        return (
            item.status == 200
            and item.ending is Ending.DONE
            and len(names) >= 2
            and names[-1] == "done"
            and names.count("done") == 1
        )

    return _AnswerMatcher("a stream of one or more chunks followed by done", complete)


def has_ended() -> BaseMatcher[StreamResult]:
    """The stream finished by itself (done, an error event, or the server closing it): what a reply needs to be
    confirmed. How it ended is judged by the scenarios about the stream's end (stream_end_problems)."""
    ended = (Ending.DONE, Ending.ERROR, Ending.CLOSED_EARLY)
    return _AnswerMatcher("a stream that ended", lambda item: item.status == 200 and item.ending in ended)


def stream_end_problems(stream: StreamResult) -> list[str]:
    """What is wrong with how a stream that ended did so: no done event, a done without a whole-number
    tokensUsed, chunks whose text cannot be read. One line each; empty when it ended as the contract says."""
    problems = [] if stream.chunks else ["no chunk events: the reply streamed no text"]
    if stream.ending is not Ending.DONE:
        names = ", ".join(event.name for event in stream.events[-3:]) or "none"
        problems.append(f"no done event: {stream.ending.value} (last events: {names})")
    try:
        done = stream.done
        if done is not None and tokens_reported(done) is None:
            tokens = done.get("tokensUsed") if isinstance(done, dict) else None
            got = "nothing" if tokens is None else f"a {type(tokens).__name__}"  # the value stays in the transcript
            problems.append(f"the done event has no whole-number tokensUsed (got {got})")
        stream.text  # noqa: B018 (raises when a chunk's text cannot be read)
    except MalformedStream as malformed:
        problems.append(str(malformed))
    return problems


def carries_streaming_session_id() -> BaseMatcher[StreamResult]:
    return _AnswerMatcher(
        "a stream carrying its streaming session ID (an X-Streaming-Session-Id header)",
        lambda item: item.status == 200 and bool(item.streaming_session_id),
    )
