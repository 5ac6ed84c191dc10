"""chat_acceptance.checks.matchers: failures say what the platform did against what was expected, tokens masked."""

from __future__ import annotations

import json

import jwt
import pytest
from hamcrest import assert_that, is_not

from chat_acceptance.checks.matchers import (
    carries_streaming_session_id,
    describe_answer,
    does_not_reveal,
    has_status,
    is_accepted,
    is_clear_client_error,
    is_complete_stream,
    is_refused,
    is_rejected_as_mismatch,
    require,
)
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult

TOKEN = jwt.encode({"sub": "u1"}, "a-test-signing-secret-of-at-least-32-bytes!", algorithm="HS256")
SID = "stream-1732500000000-a1b2c3d4"


def answer(status: int, body, request: str = "POST /api/chat/sessions/s1/update-stream") -> ApiResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return ApiResponse(request, status, {"Content-Type": "application/json"}, text)


STREAM_ROUTE = "POST /api/chat/sessions/{sessionId}/stream"


def stream(*names: str, status: int = 200, ending: Ending = Ending.DONE, sid: str | None = SID, body=None, detail=""):
    events = tuple(
        StreamEvent(name, '{"text": "a"}' if name == "chunk" else "{}", 0.01 * i) for i, name in enumerate(names)
    )
    return StreamResult(status, {}, sid, events, ending, 1.234, detail=detail, body=body, request=STREAM_ROUTE)


def failure(item, matcher) -> str:
    with pytest.raises(AssertionError) as caught:
        require(item, matcher)
    message = str(caught.value)
    assert "\n" not in message  # one line: a CI annotation shows the whole verdict
    return message


# ------------------------------------------------------------------------------------------ failure texts


def test_a_status_failure_shows_expected_and_what_the_platform_answered():
    message = failure(answer(500, {"message": "boom"}, "GET /api/models"), has_status(200))

    assert message == "expected an answer with status 200, but GET /api/models answered 500 with another message"


def test_several_statuses_are_listed():
    assert_that(answer(201, {}), has_status(200, 201))
    assert "status 200 or 201" in failure(answer(404, {}), has_status(200, 201))


def test_bodies_and_tokens_stay_out_of_the_verdict():
    body = {"accessToken": TOKEN, "note": f"see {TOKEN}", "user": {"username": "u"}}
    message = failure(answer(200, body, "POST /api/auth/login"), has_status(401))

    assert TOKEN not in message and "eyJ" not in message and "username" not in message
    assert message.endswith("but POST /api/auth/login answered 200")


def test_an_error_message_is_told_only_by_whether_it_says_mismatch():
    assert failure(answer(400, {"message": "Streaming session ID mismatch for s1"}), has_status(200)).endswith(
        'answered 400 with a message mentioning "mismatch"'
    )
    assert failure(answer(400, {"message": "bad id s1"}), has_status(200)).endswith("answered 400 with another message")


def test_a_stream_failure_says_ending_events_and_whether_an_id_came():
    message = failure(stream("chunk", ending=Ending.CLOSED_EARLY, sid=None), is_complete_stream())

    assert message == (
        "expected a stream of one or more chunks followed by done, but POST /api/chat/sessions/{sessionId}/stream "
        "answered 200; the stream ended: connection closed before the done event; events: chunk; streaming session "
        "ID: none"
    )


def test_a_refused_stream_failure_shows_its_status_not_its_body():
    item = stream(
        status=402, ending=Ending.REFUSED, sid=None, body=json.dumps({"message": "Insufficient", "token": TOKEN})
    )
    message = failure(item, is_complete_stream())

    # Named as every refused answer is, so one defect reads the same on a stream and on another route.
    assert message.endswith("but POST /api/chat/sessions/{sessionId}/stream answered 402 with another message")
    assert "eyJ" not in message and "Insufficient" not in message


def test_a_stream_failure_shows_a_deadline_setting_but_no_timing():
    message = failure(stream("chunk", "chunk", ending=Ending.DEADLINE, detail="15 s"), is_complete_stream())
    assert "overall deadline passed (15 s); events: chunk;" in message
    assert "1.23" not in message and SID not in message


def test_describe_answer_of_anything_else_is_its_repr():
    assert describe_answer(42) == "42"


# ------------------------------------------------------------------------------------------ what matches


def test_is_accepted():
    assert_that(answer(200, {"message": "ok"}), is_accepted())
    assert_that(answer(201, {}), is_accepted("the allocation", 201))
    message = failure(answer(400, {"message": "Streaming session ID mismatch"}), is_accepted())
    assert "the confirmation to be accepted (200)" in message
    assert "answered 400" in message and "mismatch" in message


@pytest.mark.parametrize(
    ("item", "matches"),
    [
        (answer(400, {"message": "Streaming session ID mismatch"}), True),
        (answer(400, {"message": "MISMATCH of IDs"}), True),
        (answer(400, {"message": "invalid body"}), False),
        (answer(200, {"message": "mismatch"}), False),
        (answer(409, {"message": "mismatch"}), False),
        (answer(400, {"error": "mismatch"}), False),
        (answer(400, "mismatch"), False),
    ],
)
def test_is_rejected_as_mismatch(item, matches):
    assert is_rejected_as_mismatch().matches(item) is matches


@pytest.mark.parametrize(
    ("item", "matches"),
    [
        (answer(401, {"message": "Unauthorized"}), True),
        (answer(401, {"message": ""}), True),
        # The status is the refusal; a body without "message" is the contract check's finding, not this one's.
        (answer(401, {"error": "Unauthorized"}), True),
        (answer(401, "Unauthorized"), True),
        (answer(403, {"message": "Forbidden"}), False),
        (answer(200, {"message": "Welcome"}), False),
    ],
)
def test_is_refused(item, matches):
    assert is_refused(401, "unauthenticated").matches(item) is matches


def test_is_refused_reads_a_refused_streams_body():
    refused = stream(status=402, ending=Ending.REFUSED, sid=None, body='{"message": "Insufficient credits"}')
    assert_that(refused, is_refused(402, "insufficient credits"))
    message = failure(refused, is_refused(401, "unauthenticated"))
    assert "refused as unauthenticated (401)" in message
    assert "but POST /api/chat/sessions/{sessionId}/stream answered 402" in message


@pytest.mark.parametrize(
    ("item", "matches"),
    [
        (answer(400, {"message": "message must be a string"}), True),
        (answer(422, {"message": "bad", "details": ["x"]}), True),
        (answer(500, {"message": "Internal error"}), False),
        (answer(400, {"message": ""}), False),
        (answer(400, {"error": "bad"}), False),
        (answer(400, {"message": "bad", "stack": 'Traceback (most recent call last):\n  File "/app.py"'}), False),
        (answer(400, "SyntaxError: Unexpected token\n    at JSON.parse (<anonymous>)"), False),
        (answer(400, "<!DOCTYPE html><html><pre>SyntaxError</pre></html>"), False),
        (answer(400, '{"message": "bad", "page": "<HTML>"}'), False),
    ],
)
def test_is_clear_client_error(item, matches):
    assert is_clear_client_error().matches(item) is matches


@pytest.mark.parametrize(
    "body",
    [
        {
            "message": "Unexpected token u in JSON",
            "stack": "SyntaxError: Unexpected token u\n    at JSON.parse (<anonymous>)",
        },
        {"message": "bad body", "trace": '  File "/app/server.py", line 12, in parse'},
    ],
    ids=["node-stack", "python-frame"],
)
def test_a_stack_trace_inside_a_json_error_is_not_clear(body):
    assert is_clear_client_error().matches(answer(400, body)) is False


def test_does_not_reveal():
    assert_that(answer(400, {"message": "Streaming session ID mismatch"}), does_not_reveal(SID, "the rejection"))
    message = failure(answer(400, {"message": f"expected {SID}"}), does_not_reveal(SID, "the rejection"))
    assert "the rejection not to reveal the issued streaming session ID" in message


@pytest.mark.parametrize(
    ("item", "matches"),
    [
        (stream("chunk", "done"), True),
        (stream("chunk", "progress", "chunk", "done"), True),
        (stream("done"), False),
        (stream("chunk", ending=Ending.CLOSED_EARLY), False),
        (stream("chunk", "error", ending=Ending.ERROR), False),
        (stream("chunk", "done", status=201), False),
        (stream("chunk", "done", "done"), False),
        (stream("done", "chunk"), False),
    ],
)
def test_is_complete_stream(item, matches):
    assert is_complete_stream().matches(item) is matches


def test_carries_streaming_session_id():
    assert_that(stream("chunk", "done"), carries_streaming_session_id())
    assert_that(stream("chunk", "done", sid=None), is_not(carries_streaming_session_id()))
    assert_that(stream("chunk", "done", sid=""), is_not(carries_streaming_session_id()))
    assert_that(stream(status=402, ending=Ending.REFUSED, sid=SID), is_not(carries_streaming_session_id()))
    message = failure(stream("chunk", "done", sid=None), carries_streaming_session_id())
    assert "an X-Streaming-Session-Id header" in message and "streaming session ID: none" in message
