"""chat_acceptance.transport.sse: reading a streamed reply from a real (scripted) HTTP server."""

from __future__ import annotations

import re
import threading
import time

import pytest
import sseclient

from chat_acceptance.transport.sse import (
    Ending,
    MalformedStream,
    StreamEvent,
    StreamResult,
    arriving_pieces,
    read_stream,
)
from chat_acceptance.waiting import poll_until
from tests.library.scripted_server import Abort, Hold, Raw, Repeat, ScriptedReply, WaitFor, sse

SESSION_ID = "stream-1732500000000-a1b2c3d4"
STREAM_HEADERS = [("Content-Type", "text/event-stream"), ("X-Streaming-Session-Id", SESSION_ID)]
DONE = sse("done", {"tokensUsed": 7})
MARGIN_S = 1.5  # scheduling slack in correctness bounds (never a speed assertion)


def chunk(text: str, **options) -> bytes:
    return sse("chunk", {"text": text}, **options)


def one_byte_pieces(*events: bytes) -> list[bytes]:
    data = b"".join(events)
    return [data[i : i + 1] for i in range(len(data))]


@pytest.fixture
def read(server, open_stream):
    """read(reply, deadline_s=5, max_events=100, read_timeout=2) -> (StreamResult, response)."""

    def read_(reply: ScriptedReply, *, deadline_s: float = 5, max_events: int = 100, read_timeout: float = 2.0):
        server.reply(reply)
        response, started = open_stream(read_timeout)
        closes = []
        original_close = response.close
        response.close = lambda: (closes.append(True), original_close())  # a spy, still closing for real
        result = read_stream(response, deadline_s=deadline_s, max_events=max_events, started=started)
        assert closes, "read_stream did not close the response"
        assert response.raw.closed
        return result

    return read_


def stream_reply(*body, chunked: bool = True, headers=STREAM_HEADERS) -> ScriptedReply:
    return ScriptedReply(headers=headers, body=list(body), chunked=chunked)


# ------------------------------------------------------------------------------------------ the happy path


def test_a_complete_stream_ends_with_done_and_joins_the_chunk_texts(read):
    result = read(stream_reply(chunk("Hel"), chunk("lo, "), chunk("world"), DONE))

    assert result.status == 200
    assert result.ending is Ending.DONE
    assert [event.name for event in result.events] == ["chunk", "chunk", "chunk", "done"]
    assert result.text == "Hello, world"
    assert result.done == {"tokensUsed": 7}
    assert result.error is None
    assert result.streaming_session_id == SESSION_ID
    assert result.body is None
    assert result.first_chunk_after_s == result.events[0].arrived_after_s


def test_arrival_times_count_from_started_and_never_go_back(read):
    result = read(stream_reply(chunk("a"), chunk("b"), DONE))

    times = [event.arrived_after_s for event in result.events]
    assert times == sorted(times)
    assert 0 <= times[0] <= result.duration_s


def test_comments_are_ignored(read):
    result = read(stream_reply(b": heartbeat\n\n", chunk("a"), b":\n\n", b": x\n", chunk("b"), DONE))

    assert [event.name for event in result.events] == ["chunk", "chunk", "done"]
    assert result.text == "ab"


def test_id_fields_are_kept_and_retry_fields_do_not_disturb(read):
    result = read(stream_reply(b"retry: 3000\n\n", chunk("a", id="7"), b"retry: 10\n" + chunk("b"), DONE))

    assert result.ending is Ending.DONE
    assert result.text == "ab"
    assert result.events[0].id == "7"


@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["CRLF", "CR-only"])
def test_crlf_and_cr_line_ends(read, eol):
    result = read(stream_reply(chunk("one ", eol=eol), chunk("two", eol=eol), sse("done", {"tokensUsed": 1}, eol=eol)))

    assert result.ending is Ending.DONE
    assert result.text == "one two"
    assert result.done == {"tokensUsed": 1}


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR-only"])
def test_line_ends_split_across_one_byte_chunks(read, eol):
    result = read(stream_reply(*one_byte_pieces(chunk("x", eol=eol), chunk("y", eol=eol), sse("done", {}, eol=eol))))

    assert result.ending is Ending.DONE
    assert result.text == "xy"


def test_multi_line_data_is_joined_with_newlines(read):
    result = read(
        stream_reply(sse("note", "first\nsecond\nthird"), b'event: chunk\ndata: {"text":\ndata: "a"}\n\n', DONE)
    )

    assert result.events[0].name == "note"
    assert result.events[0].data == "first\nsecond\nthird"
    assert result.events[1].data == '{"text":\n"a"}'
    assert result.text == "a"


def test_unknown_event_types_are_kept_but_not_part_of_the_text(read):
    result = read(stream_reply(sse("progress", {"percent": 50}), chunk("a"), sse(None, "plain message"), DONE))

    assert [event.name for event in result.events] == ["progress", "chunk", "message", "done"]
    assert result.chunks == (result.events[1],)
    assert result.text == "a"


def test_field_without_space_after_colon(read):
    result = read(stream_reply(b'event:chunk\ndata:{"text":"tight"}\n\n', b"event:done\ndata:{}\n\n"))

    assert result.ending is Ending.DONE
    assert result.text == "tight"


def test_events_arriving_one_byte_per_http_chunk(read):
    text = "h\u00e9llo \u2713 "  # multi-byte UTF-8 characters split across chunks too
    result = read(stream_reply(*one_byte_pieces(b": hi\n\n", chunk(text), chunk("end"), DONE)))

    assert result.ending is Ending.DONE
    assert result.text == text + "end"


def test_several_events_in_one_http_chunk(read):
    result = read(stream_reply(chunk("a") + chunk("b") + chunk("c"), DONE))

    assert result.text == "abc"


def test_events_split_at_odd_places_across_chunks(read):
    data = chunk("alpha") + b": c\n\n" + chunk("beta") + DONE
    pieces = [data[0:3], data[3:17], data[17:18], data[18:40], data[40:]]
    result = read(stream_reply(*pieces))

    assert result.ending is Ending.DONE
    assert result.text == "alphabeta"


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_body_with_and_without_chunked_transfer_encoding(read, chunked):
    result = read(stream_reply(chunk("a"), chunk("b"), DONE, chunked=chunked))

    assert result.ending is Ending.DONE
    assert result.text == "ab"


# ------------------------------------------------------------------------------------------ no buffering


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_an_event_is_readable_before_the_server_sends_more(server, open_stream, chunked):
    """The server holds the rest back until the test has read event 1: a buffering reader would time out."""
    read_first = threading.Event()
    server.reply(stream_reply(chunk("first"), WaitFor(read_first), chunk("second"), DONE, chunked=chunked))
    response, _ = open_stream(read_timeout=3)
    events = sseclient.SSEClient(arriving_pieces(response, time.monotonic() + 10)).events()

    first = next(events)
    assert (first.event, first.data) == ("chunk", '{"text": "first"}')
    read_first.set()
    assert [event.event for event in events] == ["chunk", "done"]


def test_arriving_pieces_yields_each_http_chunk_as_it_comes(server, open_stream):
    sent_first = threading.Event()
    server.reply(stream_reply(b"abc", WaitFor(sent_first), b"d", b"ef"))
    response, _ = open_stream(read_timeout=3)
    pieces = arriving_pieces(response, time.monotonic() + 10)

    assert next(pieces) == b"abc"
    sent_first.set()
    assert list(pieces) == [b"d", b"ef"]


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_read_stream_reaches_done_without_waiting_for_the_connection_to_close(read, chunked):
    # The server sends chunk + done and then stays open and silent: a buffering reader would stall.
    result = read(stream_reply(chunk("a"), DONE, Hold(), chunked=chunked), read_timeout=3)

    assert result.ending is Ending.DONE
    assert result.text == "a"


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_event_cap_is_reached_without_waiting_for_more(read, chunked):
    result = read(stream_reply(chunk("a"), Hold(), chunked=chunked), max_events=1, read_timeout=3)

    assert result.ending is Ending.EVENT_CAP
    assert len(result.events) == 1


# ------------------------------------------------------------------------------------------ the header


@pytest.mark.parametrize(
    "name", ["X-Streaming-Session-Id", "x-streaming-session-id", "X-STREAMING-SESSION-ID", "x-StReAmInG-sEsSiOn-iD"]
)
def test_streaming_session_id_header_in_any_letter_case(read, name):
    headers = [("Content-Type", "text/event-stream"), (name, SESSION_ID)]
    result = read(stream_reply(chunk("a"), DONE, headers=headers))

    assert result.streaming_session_id == SESSION_ID


def test_a_missing_streaming_session_id_stays_none(read):
    result = read(stream_reply(chunk("a"), DONE, headers=[("Content-Type", "text/event-stream")]))

    assert result.ending is Ending.DONE
    assert result.streaming_session_id is None
    assert "None" in result.transcript().splitlines()[0]


# ------------------------------------------------------------------------------------------ how it ends


def client_went_away(server) -> bool:
    """Whether the server saw the client close the connection (bounded wait)."""
    connection = poll_until(lambda: server.connections[:1], bool, deadline_s=3, interval_s=0.01)
    return poll_until(connection[0].client_gone.is_set, bool, deadline_s=3, interval_s=0.01)


def test_endless_heartbeats_end_at_the_overall_deadline(server, read):
    deadline_s, read_timeout = 0.4, 1.0
    result = read(
        stream_reply(chunk("a"), Repeat(b": heartbeat\n\n", every_s=0.02)),
        deadline_s=deadline_s,
        read_timeout=read_timeout,
    )

    assert result.ending is Ending.DEADLINE
    assert result.detail == "0.4 s"
    assert [event.name for event in result.events] == ["chunk"]
    # a correctness bound: the deadline stops the run, whatever the server keeps sending
    assert deadline_s <= result.duration_s < deadline_s + read_timeout + MARGIN_S
    assert client_went_away(server), "the server never saw the connection closed"


def test_endless_chunks_end_at_the_overall_deadline(read):
    result = read(
        stream_reply(Repeat(chunk("more"), every_s=0.02)), deadline_s=0.3, max_events=10_000, read_timeout=1.0
    )

    assert result.ending is Ending.DEADLINE
    assert result.events and all(event.name == "chunk" for event in result.events)
    assert result.duration_s < 0.3 + 1.0 + MARGIN_S


def test_a_silent_server_stalls_at_the_read_timeout(server, read):
    read_timeout = 0.3
    result = read(stream_reply(chunk("a"), Hold()), deadline_s=10, read_timeout=read_timeout)

    assert result.ending is Ending.STALLED
    assert result.text == "a"
    assert read_timeout <= result.duration_s < read_timeout + MARGIN_S
    assert client_went_away(server)


def test_a_server_silent_from_the_start_stalls(read):
    result = read(stream_reply(Hold()), deadline_s=10, read_timeout=0.3)

    assert result.ending is Ending.STALLED
    assert result.events == ()


def test_a_read_timeout_after_the_deadline_counts_as_the_deadline(read):
    result = read(stream_reply(chunk("a"), Hold()), deadline_s=0.2, read_timeout=0.5)

    assert result.ending is Ending.DEADLINE


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_the_event_cap_stops_an_endless_stream_with_exactly_cap_events(server, read, chunked):
    result = read(stream_reply(Repeat(chunk("x"), every_s=0.005), chunked=chunked), max_events=5, deadline_s=10)

    assert result.ending is Ending.EVENT_CAP
    assert len(result.events) == 5
    assert result.detail == "5 events"
    assert result.text == "xxxxx"
    assert client_went_away(server)


def test_done_as_the_capth_event_is_done(read):
    result = read(stream_reply(chunk("a"), chunk("b"), DONE), max_events=3)

    assert result.ending is Ending.DONE
    assert len(result.events) == 3


def test_nothing_after_done_is_read(read):
    result = read(stream_reply(chunk("a"), DONE, chunk("after")))

    assert result.ending is Ending.DONE
    assert [event.name for event in result.events] == ["chunk", "done"]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_a_close_before_done_is_closed_early(read, chunked):
    result = read(stream_reply(chunk("a"), chunk("b"), chunked=chunked))

    assert result.ending is Ending.CLOSED_EARLY
    assert result.text == "ab"
    assert result.done is None


def test_an_empty_stream_is_closed_early(read):
    result = read(stream_reply())

    assert result.ending is Ending.CLOSED_EARLY
    assert result.events == ()
    assert result.text == ""
    assert result.first_chunk_after_s is None


@pytest.mark.parametrize(
    "cut", [b"event: done\ndata: {}\n", b"event: done\ndata: {}"], ids=["no-blank-line", "mid-line"]
)
def test_a_done_event_cut_off_by_the_close_is_not_done(read, cut):
    result = read(stream_reply(chunk("a"), cut))

    assert result.ending is Ending.CLOSED_EARLY
    assert [event.name for event in result.events] == ["chunk"]


def test_a_broken_chunked_body_is_broken(read):
    result = read(stream_reply(chunk("a"), Raw(b"64\r\nonly a few bytes"), Abort()))

    assert result.ending is Ending.BROKEN
    assert result.detail  # names what broke
    assert result.text == "a"


def test_an_error_event_ends_the_stream_with_its_payload(read):
    result = read(
        stream_reply(chunk("par"), sse("error", {"message": "model failed", "code": "MODEL_ERROR"}), chunk("x"))
    )

    assert result.ending is Ending.ERROR
    assert result.error == {"message": "model failed", "code": "MODEL_ERROR"}
    assert result.done is None
    assert result.text == "par"
    assert result.events[-1].name == "error"


# ------------------------------------------------------------------------------------------ malformed data


def test_a_chunk_whose_data_is_not_json_is_malformed(read):
    result = read(stream_reply(chunk("ok"), b"event: chunk\ndata: not json at all\n\n", DONE))

    assert result.ending is Ending.DONE
    with pytest.raises(MalformedStream) as caught:
        _ = result.text
    message = str(caught.value)
    assert "\n" not in message
    assert "chunk" in message and "not JSON" in message and "not json at all" in message
    assert isinstance(caught.value, AssertionError)


@pytest.mark.parametrize("data", ['{"txt": "a"}', '{"text": 42}', '"just a string"', '["text"]', "null"], ids=repr)
def test_a_chunk_without_text_is_malformed_and_named(read, data):
    result = read(stream_reply(chunk("ok"), sse("chunk", data), DONE))

    with pytest.raises(MalformedStream) as caught:
        _ = result.text
    message = str(caught.value)
    assert "\n" not in message
    assert "chunk event #2" in message and "no text" in message


def test_a_malformed_multi_line_chunk_message_stays_one_line(read):
    result = read(stream_reply(sse("chunk", "line one\nline two")))

    with pytest.raises(MalformedStream) as caught:
        _ = result.text
    assert "\n" not in str(caught.value)


def test_a_malformed_done_event_is_reported_as_such(read):
    result = read(stream_reply(chunk("a"), b"event: done\ndata: {oops\n\n"))

    assert result.ending is Ending.DONE
    with pytest.raises(MalformedStream, match="done event data is not JSON"):
        _ = result.done


def test_invalid_utf8_in_an_event_does_not_crash_the_reader(read):
    result = read(stream_reply(b'event: chunk\ndata: {"text": "caf\xe9"}\n\n', DONE))

    assert result.ending is Ending.DONE
    assert result.text == "caf\ufffd"


def test_invalid_utf8_still_closes_the_response(server, open_stream):
    server.reply(stream_reply(b'event: chunk\ndata: {"text": "caf\xe9"}\n\n', DONE))
    response, started = open_stream()
    try:
        read_stream(response, deadline_s=5, max_events=10, started=started)
    except Exception:
        pass
    assert response.raw.closed


# ------------------------------------------------------------------------------------------ the transcript


def test_the_transcript_lists_each_event_with_its_arrival_time(read):
    result = read(stream_reply(chunk("a"), sse("progress", {"p": 1}), DONE))

    lines = result.transcript().splitlines()
    assert lines[0] == f"status 200, streaming session ID {SESSION_ID!r}"
    assert len(lines) == len(result.events) + 2
    for line, event in zip(lines[1:-1], result.events, strict=True):
        match = re.fullmatch(r"\s*(\d+\.\d{3})s  (\w+): (.*)", line)
        assert match, line
        assert float(match.group(1)) == pytest.approx(event.arrived_after_s, abs=0.0006)
        assert (match.group(2), match.group(3)) == (event.name, event.data)
    assert re.fullmatch(r"\s*\d+\.\d{3}s  end: done event received", lines[-1])


def test_the_transcript_names_how_it_ended_with_detail(read):
    result = read(stream_reply(Repeat(chunk("x"), every_s=0.005)), max_events=2)

    assert result.transcript().splitlines()[-1].endswith("end: event cap reached: 2 events")


def test_the_transcript_keeps_one_line_per_event_for_multi_line_data(read):
    result = read(stream_reply(sse("note", "one\ntwo"), DONE))

    lines = result.transcript().splitlines()
    assert len(lines) == len(result.events) + 2


# ------------------------------------------------------------------------------------------ pure values


def make_result(*events: StreamEvent, ending: Ending = Ending.DONE) -> StreamResult:
    return StreamResult(200, {}, None, tuple(events), ending, 0.5)


def test_stream_event_payload():
    assert StreamEvent("done", '{"tokensUsed": 3}', 0.1).payload() == {"tokensUsed": 3}
    with pytest.raises(MalformedStream, match=r"^error event data is not JSON: 'boom'$"):
        StreamEvent("error", "boom", 0.1).payload()


def test_long_malformed_data_is_clipped_in_the_message():
    with pytest.raises(MalformedStream) as caught:
        StreamEvent("chunk", "x" * 5000, 0.1).payload()
    assert len(str(caught.value)) < 300


def test_text_of_a_result_built_by_hand():
    result = make_result(
        StreamEvent("chunk", '{"text": "a"}', 0.1),
        StreamEvent("other", "ignored", 0.2),
        StreamEvent("chunk", '{"text": "b", "extra": 1}', 0.3),
    )
    assert result.text == "ab"
    assert result.first_chunk_after_s == 0.1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"message": "Insufficient credits"}', "Insufficient credits"),
        ('{"message": 3}', None),
        ("[]", None),
        ("<html>", None),
        (None, None),
    ],
)
def test_the_message_of_a_refused_stream(body, message):
    result = StreamResult(402, {}, None, (), Ending.REFUSED, 0.1, body=body)
    assert result.message == message
