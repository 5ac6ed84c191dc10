"""chat_acceptance.attacks.leaks and the leak invariant: the whole ID or six characters of its unpredictable part,
anywhere in an error answer as it came, in any letter case; never what the client itself sent (exactly)."""

from __future__ import annotations

import pytest

from chat_acceptance.attacks.leaks import IdSamples, leaks_in, longest_run
from chat_acceptance.checks.expectations import reveals_no_streaming_session_id
from chat_acceptance.checks.invariant_findings import LEAK
from chat_acceptance.checks.invariants import Invariants
from chat_acceptance.transport.exchange import Exchange
from chat_acceptance.transport.sse import Ending, StreamResult

ISSUED = "stream-1732500000000-a1b2c3d4"
ANOTHER = "stream-1732500000917-9f8e7d6c"  # issued a moment later: the two share "stream-1732500000"
SAMPLES = IdSamples([ISSUED, ANOTHER])
URL = "http://127.0.0.1:3002/api/chat/sessions/ses-0123456789abcdef0123/update-stream"
MISMATCH = '{"message": "Streaming session ID mismatch"}'


def leaks(body=MISMATCH, headers=None, status_line="HTTP 400", sent=(URL, '{"streamingSessionId": "made-up-1"}')):
    return leaks_in(
        ISSUED,
        status_line=status_line,
        headers=headers or {},
        body=body,
        request_parts=sent,
        unpredictable=SAMPLES.unpredictable_part(ISSUED),
    )


def exchange(*, body=MISMATCH, headers=None, request_body='{"streamingSessionId": "made-up-1"}', status=400, url=URL):
    return Exchange(
        service="chat",
        method="POST",
        url=url,
        status=status,
        duration_s=0.01,
        request_headers={"Content-Type": "application/json"},
        request_body=request_body,
        response_headers=headers or {"content-type": "application/json"},
        response_body=body,
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


@pytest.mark.parametrize("part", [ISSUED[-8:], ISSUED[-6:], ISSUED[-8:].upper(), ISSUED[-12:-3]])
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


def test_the_unpredictable_part_is_what_issued_ids_do_not_share():
    assert IdSamples([ISSUED]).unpredictable_part(ISSUED) == ISSUED  # one ID teaches nothing
    assert SAMPLES.unpredictable_part(ISSUED) == ISSUED[len("stream-1732500000") :]
    uuids = IdSamples(["0b5c7c1e-3a0f-4c55-9d7b-1f6e0c1d2e3f", "7d2f9a40-1b6e-4f0a-8c3d-5e6f7a8b9c0d"])
    assert uuids.unpredictable_part("0b5c7c1e-3a0f-4c55-9d7b-1f6e0c1d2e3f") == "0b5c7c1e-3a0f-4c55-9d7b-1f6e0c1d2e3f"


def test_a_rate_limit_reset_sharing_the_timestamp_digits_is_no_leak():
    # Epoch seconds of the next window share "1732500" and more with the ID's millisecond timestamp.
    assert leaks(headers={"X-RateLimit-Reset": "1732500060"}) == []
    unlearned = leaks_in(
        ISSUED, status_line="HTTP 400", headers={"X-RateLimit-Reset": "1732500060"}, body=MISMATCH, request_parts=[URL]
    )
    assert unlearned, "without learning, the timestamp's digits would count as a leak"


def test_a_field_whatever_its_name_and_a_cookie_are_searched_raw():
    (leak,) = leaks(body=f'{{"message": "Streaming session ID mismatch", "expectedToken": "{ISSUED}"}}')
    assert leak.whole and leak.where == "the body"
    (leak,) = leaks(headers={"Set-Cookie": f"last_stream={ISSUED}; Path=/; HttpOnly"})
    assert leak.whole and leak.where == "header 'Set-Cookie'"


def test_an_escaped_value_in_json_is_decoded_before_the_search():
    escaped = "".join(f"\\u{ord(character):04x}" for character in ISSUED)
    (leak,) = leaks(body=f'{{"message": "mismatch", "hint": "{escaped}"}}')
    assert leak.whole


JWT_ID = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzaWQiOiI0ZjVhIiwiaWF0IjoxNzMyNTAwMDAwfQ."
    "q0dVbWq6vSx1o7nQyF9dB5eB2yK3tT7uM0pX8cL4aZs"
)


def test_an_id_hidden_in_a_base64_cookie_session_is_a_leak():
    import base64
    import json

    blob = base64.urlsafe_b64encode(json.dumps({"lastStreamingSessionId": ISSUED, "fails": 1}).encode()).decode()
    found = leaks(headers={"Set-Cookie": f'session="{blob.rstrip("=")}"; HttpOnly; Path=/'})
    assert [(leak.where, leak.whole) for leak in found] == [("header 'Set-Cookie'", True)]
    standard = base64.b64encode(f"expected={ISSUED}".encode()).decode()  # the other alphabet, in the body
    assert [leak.where for leak in leaks(body=json.dumps({"message": "mismatch", "state": standard}))] == ["the body"]


def test_a_percent_encoded_id_is_a_leak_and_random_base64_is_not():
    encoded = ISSUED.replace("-", "%2D")
    assert [leak.where for leak in leaks(headers={"Location": f"/retry?expected={encoded}"})] == ["header 'Location'"]
    assert leaks(headers={"ETag": '"QmFzZTY0IGJ1dCBub3RoaW5nIHRvIHNlZQ"', "X-Request-Id": "Zm9vYmFyYmF6cXV4"}) == []


def test_a_jwt_shaped_id_is_searched_as_it_came_never_redacted_first():
    answer = exchange(body=f'{{"message": "Streaming session ID mismatch: expected {JWT_ID}"}}')
    invariants = observed(JWT_ID, answer)
    assert invariants.first(LEAK) is not None


# -- the invariant, on every error answer of the scenario ---------------------------------------------------


class _World:
    people: dict = {}
    compared: set = set()


def stream_exchange(issued=ISSUED):
    stream = StreamResult(
        status=200,
        headers={"X-Streaming-Session-Id": issued},
        streaming_session_id=issued,
        events=(),
        ending=Ending.DONE,
        duration_s=0.1,
    )
    return Exchange(
        service="chat",
        method="POST",
        url=URL.replace("update-stream", "stream"),
        status=200,
        duration_s=0.1,
        request_headers={},
        request_body='{"message": "Hi"}',
        response_headers=stream.headers,
        response_body=None,
        stream=stream,
    )


def observed(issued, *answers):
    invariants = Invariants(_World(), IdSamples([ANOTHER]))
    for answer in (stream_exchange(issued), *answers):
        invariants.observe(answer)
    return invariants


def test_the_finding_names_the_route_and_the_part_on_a_stable_first_line():
    invariants = observed(ISSUED, exchange(headers={"X-Streaming-Session-Id": ISSUED}))

    with pytest.raises(AssertionError) as caught:
        reveals_no_streaming_session_id(invariants)

    first, details = str(caught.value).split("\n", 1)
    assert first == (
        "Streaming session ID revealed: the 400 answer to POST /api/chat/sessions/{sessionId}/update-stream shows the "
        "whole issued streaming session ID in header 'X-Streaming-Session-Id'; expected no error to reveal it"
    )
    assert ISSUED in details and URL in details


def test_a_404_to_another_user_is_searched_too():
    url = "http://127.0.0.1:3002/api/chat/sessions/ses-0123456789abcdef0123"
    answer = exchange(
        status=404, url=url, body=f'{{"message": "not found", "current": "{ISSUED[-8:]}"}}', request_body=None
    )
    invariants = observed(ISSUED, answer)
    assert "the 404 answer to POST /api/chat/sessions/{sessionId} shows part" in invariants.first(LEAK).headline


def test_error_answers_that_reveal_nothing_pass():
    invariants = observed(ISSUED, exchange(), exchange(status=404, body='{"message": "Chat session not found"}'))
    assert invariants.findings == []
    reveals_no_streaming_session_id(invariants)
