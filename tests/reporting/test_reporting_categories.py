"""categories.json sorts the suite's failure messages into the intended groups.

Allure 2 full-matches a messageRegex (Java String.matches); Allure 3 searches it (JavaScript RegExp.test).
Both are checked; the regexes use only syntax the three engines share. The first matching category wins.
"""

import json
import re

import pytest

from chat_acceptance.checks import matchers
from chat_acceptance.contract.violation import ContractViolation
from chat_acceptance.reporting.run_metadata import CATEGORIES_FILE
from chat_acceptance.transport.exchange import ApiResponse, PlatformUnavailable
from chat_acceptance.transport.run_health import PlatformUnhealthy
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult

CATEGORIES = json.loads(CATEGORIES_FILE.read_text())


def failure_of(matcher, item) -> str:
    """The message allure-behave records when the suite's own matcher fails on `item`."""
    try:
        matchers.require(item, matcher)
    except AssertionError as failure:
        return f"AssertionError: {failure}\n"
    raise AssertionError("the matcher accepted the item")


def answer(status: int, body: str) -> ApiResponse:
    return ApiResponse("POST /api/chat/sessions/s1/update-stream", status, {"Content-Type": "application/json"}, body)


def stream(ending: Ending, header: str | None = "stream-1-ab", names=("chunk", "chunk")) -> StreamResult:
    events = tuple(StreamEvent(name, '{"text": "x"}', 0.01) for name in names)
    return StreamResult(200, {}, header, events, ending, 0.05)


OK = '{"message": "Stream response saved"}'
VIOLATION = ContractViolation(
    "POST /api/chat/sessions/{sessionId}/update-stream",
    'must be integer, got "12"',
    status=200,
    location="$.tokensUsed",
)
UNAVAILABLE = PlatformUnavailable("chat service at http://127.0.0.1:3002 is unavailable: connection refused (GET /)")
STALLED = PlatformUnhealthy(
    "the run stopped: the chat service stalled (3 streams in a row sent nothing within the read timeout), so the "
    "remaining scenarios fail at once"
)
SETUP = "the suite's set-up failed: auth service at http://127.0.0.1:9 is unavailable: connection refused (GET /health)"
# (status, message as allure-behave records it, expected category): the suite's real failure messages first.
CASES = [
    ("failed", failure_of(matchers.is_rejected_as_mismatch(), answer(200, OK)), "Wrong streaming ID accepted"),
    (
        "failed",
        failure_of(matchers.carries_streaming_session_id(), stream(Ending.DONE, header=None)),
        "Streaming session ID not issued",
    ),
    ("failed", failure_of(matchers.is_complete_stream(), stream(Ending.CLOSED_EARLY)), "Stream broken or timed out"),
    ("failed", failure_of(matchers.is_complete_stream(), stream(Ending.STALLED)), "Stream broken or timed out"),
    ("failed", failure_of(matchers.is_refused(401, "unauthenticated"), answer(200, OK)), "Access control broken"),
    ("failed", failure_of(matchers.is_refused(403, "forbidden"), answer(201, OK)), "Access control broken"),
    ("failed", failure_of(matchers.is_refused(404, "not found"), answer(200, OK)), "Access control broken"),
    ("failed", failure_of(matchers.is_refused(400, "invalid"), answer(200, OK)), "Invalid input accepted"),
    ("failed", failure_of(matchers.is_clear_client_error(), answer(500, "<html>500</html>")), "Invalid input accepted"),
    ("failed", f"AssertionError: {VIOLATION}\n", "Contract violation"),
    ("failed", f"AssertionError: {VIOLATION.stable_line} (+1 more findings in the report)\n", "Contract violation"),
    ("failed", f"AssertionError: {STALLED}\n", "Run stopped: platform stalled or throttled"),
    ("failed", f"AssertionError: {SETUP}\n", "Suite set-up failed"),
    (
        "failed",
        "chat_acceptance.contract.violation.ContractViolation: Contract violation: created_at missing\n",
        "Contract violation",
    ),
    ("failed", f"chat_acceptance.transport.exchange.PlatformUnavailable: {UNAVAILABLE}\n", "Service unavailable"),
    (
        "failed",
        "AssertionError: expected Carol's balance to grow by exactly 750 credits, it grew by 0\n",
        "Product errors",
    ),
    ("broken", "KeyError: 'sessionId'\n", "Test errors"),
]


def category(status, message, matches):
    for candidate in CATEGORIES:
        if status not in candidate["matchedStatuses"]:
            continue
        regex = candidate.get("messageRegex")
        if regex is None or matches(regex, message):
            return candidate["name"]
    return None


@pytest.mark.parametrize(
    ("status", "message", "expected"), CASES, ids=[case[2] + f" {i}" for i, case in enumerate(CASES)]
)
def test_allure_2_full_match(status, message, expected):
    assert category(status, message, lambda regex, text: re.fullmatch(regex, text) is not None) == expected


@pytest.mark.parametrize(
    ("status", "message", "expected"), CASES, ids=[case[2] + f" {i}" for i, case in enumerate(CASES)]
)
def test_allure_3_search(status, message, expected):
    assert category(status, message, lambda regex, text: re.search(regex, text) is not None) == expected


def test_contract_violation_only_at_the_start():
    message = "AssertionError: expected balance 90, got 100 (not a Contract violation: here)\n"
    assert category("failed", message, lambda regex, text: re.search(regex, text) is not None) == "Product errors"


def test_a_passing_or_skipped_test_is_in_no_category():
    assert all(set(candidate["matchedStatuses"]) <= {"failed", "broken"} for candidate in CATEGORIES)


@pytest.mark.parametrize("message", [case[1] for case in CASES])
def test_every_failure_message_is_one_line(message):
    assert "\n" not in message.rstrip("\n")


def test_the_same_defect_reads_the_same_in_every_run():
    """Two runs differ in their IDs, bodies and timings; the verdict's words do not."""
    first = ApiResponse(
        "POST /api/chat/sessions/{sessionId}/update-stream", 200, {}, '{"sessionId": "ses-1", "tokensUsed": 3}'
    )
    second = ApiResponse(
        "POST /api/chat/sessions/{sessionId}/update-stream", 200, {}, '{"sessionId": "ses-2", "tokensUsed": 9}'
    )
    assert failure_of(matchers.is_rejected_as_mismatch(), first) == failure_of(
        matchers.is_rejected_as_mismatch(), second
    )
    slow = StreamResult(200, {}, "stream-1-aa", (StreamEvent("chunk", '{"text": "a"}', 0.2),), Ending.STALLED, 10.4)
    slower = StreamResult(
        200, {}, "stream-2-bb", (StreamEvent("chunk", '{"text": "b"}', 0.9),) * 2, Ending.STALLED, 10.9
    )
    assert failure_of(matchers.is_complete_stream(), slow) == failure_of(matchers.is_complete_stream(), slower)
    other = ContractViolation(
        "POST /api/chat/sessions/{sessionId}/update-stream",
        'must be integer, got "31"',
        status=200,
        location="$.tokensUsed",
    )
    assert VIOLATION.stable_line == other.stable_line and str(VIOLATION) != str(other)
