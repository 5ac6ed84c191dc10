"""What a Given needs of a stream (its ID, an end) and what it records instead of judging (how it ended)."""

from __future__ import annotations

import pytest

from chat_acceptance.actors.people import Reply
from chat_acceptance.checks.matchers import has_ended, stream_end_problems
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult


def stream(*events: tuple[str, str], ending: Ending = Ending.DONE, status: int = 200) -> StreamResult:
    made = tuple(StreamEvent(name, data, 0.01 * index) for index, (name, data) in enumerate(events))
    return StreamResult(status, {}, "stream-1-abc", made, ending, 0.1)


CHUNK = ("chunk", '{"text": "Paris"}')
DONE = ("done", '{"tokensUsed": 3}')


@pytest.mark.parametrize(
    ("ending", "status", "ended"),
    [
        (Ending.DONE, 200, True),
        (Ending.CLOSED_EARLY, 200, True),
        (Ending.ERROR, 200, True),
        (Ending.STALLED, 200, False),
        (Ending.DEADLINE, 200, False),
        (Ending.EVENT_CAP, 200, False),
        (Ending.REFUSED, 402, False),
    ],
)
def test_a_given_needs_a_stream_that_ended(ending, status, ended):
    assert has_ended().matches(stream(CHUNK, ending=ending, status=status)) is ended


def test_a_complete_stream_has_no_problem():
    assert stream_end_problems(stream(CHUNK, DONE)) == []


def test_a_missing_done_is_a_problem_naming_how_the_stream_ended():
    (problem,) = stream_end_problems(stream(CHUNK, CHUNK, ending=Ending.CLOSED_EARLY))
    assert problem == "no done event: connection closed before the done event (last events: chunk, chunk)"


def test_a_done_without_whole_tokens_and_a_chunk_without_text_are_problems():
    problems = stream_end_problems(stream(("chunk", '{"txt": "x"}'), ("done", '{"tokensUsed": "3"}')))
    assert problems == [
        "the done event has no whole-number tokensUsed (got a str)",
        'chunk event #1 has no text: \'{"txt": "x"}\'',
    ]


def test_a_reply_without_chunks_is_a_problem():
    assert stream_end_problems(stream(DONE)) == ["no chunk events: the reply streamed no text"]


def test_a_reply_keeps_the_text_it_can_read():
    reply = Reply("Alice", "c1", "Capital?", stream(CHUNK, ("chunk", "not json"), ("chunk", '{"text": "!"}'), DONE))
    assert reply.text == "Paris!"
