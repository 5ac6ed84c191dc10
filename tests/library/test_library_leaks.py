"""chat_acceptance.world.leaks and the 'does not reveal' expectation: the whole ID or six of its characters,
anywhere in an error answer, in any letter case; never what the client itself sent."""
from __future__ import annotations

import pytest

from chat_acceptance.transport.client import Exchange
from chat_acceptance.world.expectations import reveals_no_streaming_session_id
from chat_acceptance.world.leaks import leaks_in, longest_run

ISSUED = "stream-1732500000000-a1b2c3d4"
URL = "http://127.0.0.1:3002/api/chat/sessions/ses-0123456789abcdef0123/update-stream"
MISMATCH = '{"message": "Streaming session ID mismatch"}'


def leaks(body=MISMATCH, headers=None, status_line="HTTP 400", sent=(URL, '{"streamingSessionId": "made-up-1"}')):
    return leaks_in(ISSUED, status_line=status_line, headers=headers or {}, body=body, request_parts=sent)


def exchange(*, body=MISMATCH, headers=None, request_body='{"streamingSessionId": "made-up-1"}', status=400, url=URL):
    return Exchange(
        service="chat", method="POST", url=url, status=status, duration_s=0.01,
        request_headers={"Content-Type": "application/json"}, request_body=request_body,
        response_headers=headers or {"content-type": "application/json"}, response_body=body,
    )


def test_a_plain_mismatch_reveals_nothing_even_though_it_says_stream():
    # "Stream" is six characters of the ID, but the request named the field streamingSessionId.
    assert leaks() == []


def test_the_whole_id_in_the_body_is_a_leak():
    (leak,) = leaks(body=f'{{"message": "mismatch: expected {ISSUED}"}}')
    assert leak.where == "the body" and leak.whole and leak.revealed == ISSUED


def test_the_whole_id_in_any_header_is_a_leak_and_names_the_header():
    (leak,) = leaks(headers={"X-Debug-Expected": ISSUED.upper()})
    assert leak.where == "header 'X-Debug-Expected'" and leak.whole


def test_a_header_name_counts_too():
    (leak,) = leaks(headers={f"X-{ISSUED}": "1"})
    assert leak.where.startswith("header") and leak.whole


def test_the_status_line_counts_too():
    (leak,) = leaks(status_line=f"HTTP 400 Expected {ISSUED[-10:]}")
    assert leak.where == "the status line" and leak.revealed == ISSUED[-10:]


@pytest.mark.parametrize("part", [ISSUED[-8:], ISSUED[-6:], ISSUED[-8:].upper(), ISSUED[7:15]])
def test_six_or_more_characters_of_it_in_any_case_are_a_leak(part):
    (leak,) = leaks(body=f'{{"message": "mismatch (expected an ID ending in {part})"}}')
    assert not leak.whole and leak.revealed.lower() == part.lower()


def test_five_characters_are_not_a_leak():
    assert leaks(body=f'{{"message": "mismatch ({ISSUED[-5:]})"}}') == []


def test_the_clients_own_text_coming_back_is_not_a_leak():
    near_miss = ISSUED.upper()
    sent = (URL, f'{{"streamingSessionId": "{near_miss}"}}')
    assert leaks(body=f'{{"message": "mismatch for {near_miss}"}}', sent=sent) == []


def test_a_run_the_request_did_not_hold_is_a_leak_even_when_the_rest_was_sent():
    near_miss = ISSUED[:-1] + "5"  # holds every run of the ID but those that reach its last character
    sent = (URL, f'{{"streamingSessionId": "{near_miss}"}}')
    (leak,) = leaks(body=f'{{"message": "expected {ISSUED}"}}', sent=sent)
    assert leak.whole


def test_the_longest_run_is_reported():
    assert longest_run(ISSUED, f"... {ISSUED[3:20]} ...") == ISSUED[3:20]
    assert longest_run("abc", "xxABCxx") == "abc"  # an ID shorter than six: only the whole of it
    assert longest_run(ISSUED, "nothing of it") is None


def test_the_expectation_names_the_route_and_the_part_on_a_stable_first_line():
    answers = [exchange(headers={"X-Streaming-Session-Id": ISSUED})]
    reply = type("Reply", (), {"streaming_session_id": ISSUED})()

    with pytest.raises(AssertionError) as caught:
        reveals_no_streaming_session_id(answers, reply)

    first, details = str(caught.value).split("\n", 1)
    assert first == (
        "Streaming session ID revealed: the 400 answer to POST /api/chat/sessions/{sessionId}/update-stream shows the "
        "whole issued streaming session ID in header 'X-Streaming-Session-Id'; expected no error to reveal it"
    )
    assert ISSUED in details and URL in details


def test_a_404_to_another_user_is_searched_too():
    url = "http://127.0.0.1:3002/api/chat/sessions/ses-0123456789abcdef0123"
    answers = [exchange(status=404, url=url, body=f'{{"message": "not found", "current": "{ISSUED[-8:]}"}}',
                        request_body=None)]
    reply = type("Reply", (), {"streaming_session_id": ISSUED})()

    with pytest.raises(AssertionError, match="the 404 answer to POST /api/chat/sessions/{sessionId} shows part"):
        reveals_no_streaming_session_id(answers, reply)


def test_error_answers_that_reveal_nothing_pass():
    reply = type("Reply", (), {"streaming_session_id": ISSUED})()
    reveals_no_streaming_session_id([exchange(), exchange(status=404, body='{"message": "Chat session not found"}')], reply)
