"""categories.json sorts the suite's failure messages into the intended groups.

Allure 2 full-matches a messageRegex (Java String.matches); Allure 3 searches it (JavaScript RegExp.test).
Both are checked; the regexes use only syntax the three engines share. The first matching category wins.
"""
import json
import re

import pytest

from chat_acceptance.reporting import CATEGORIES_FILE

CATEGORIES = json.loads(CATEGORIES_FILE.read_text())

# (status, message as allure-behave records it: "<exception type>: <text>\n", expected category)
CASES = [
    ("failed", "AssertionError: \nExpected: the confirmation to be refused\n     but: expected the confirmation to be "
               "rejected as a streaming session ID mismatch, got 200 {\"message\": \"ok\"}\n",
     "Wrong streaming ID accepted"),
    ("failed", "AssertionError: the stream came with no X-Streaming-Session-Id header (status 200)\n",
     "Streaming session ID not issued"),
    ("failed", "AssertionError: stream ended: connection closed before the done event\n",
     "Stream broken or timed out"),
    ("failed", "AssertionError: stream ended: overall deadline passed: 10 s\n", "Stream broken or timed out"),
    ("failed", "AssertionError: no data within the read timeout (2 s) after 2 chunks\n", "Stream broken or timed out"),
    ("broken", "chat_acceptance.client.ServiceUnavailable: the chat service is unavailable: connection refused\n",
     "Service unavailable"),
    ("broken", "ConnectionError: auth service unreachable at http://127.0.0.1:3000\n", "Service unavailable"),
    ("failed", "AssertionError: Contract violation: POST /api/chat/sessions/{sessionId}/update-stream 200: "
               "tokensUsed: '12' is not of type 'integer'\n", "Contract violation"),
    ("failed", "chat_acceptance.contract.ContractViolation: Contract violation: created_at missing\n",
     "Contract violation"),
    ("failed", "AssertionError: expected the request to be refused (401), got 200\n", "Access control broken"),
    ("failed", "AssertionError: expected balance 90, got 100\n", "Product errors"),
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


@pytest.mark.parametrize(("status", "message", "expected"), CASES, ids=[case[2] + f" {i}" for i, case in enumerate(CASES)])
def test_allure_2_full_match(status, message, expected):
    assert category(status, message, lambda regex, text: re.fullmatch(regex, text) is not None) == expected


@pytest.mark.parametrize(("status", "message", "expected"), CASES, ids=[case[2] + f" {i}" for i, case in enumerate(CASES)])
def test_allure_3_search(status, message, expected):
    assert category(status, message, lambda regex, text: re.search(regex, text) is not None) == expected


def test_contract_violation_only_at_the_start():
    message = "AssertionError: expected balance 90, got 100 (not a Contract violation: here)\n"
    assert category("failed", message, lambda regex, text: re.search(regex, text) is not None) == "Product errors"


def test_a_passing_or_skipped_test_is_in_no_category():
    assert all(set(candidate["matchedStatuses"]) <= {"failed", "broken"} for candidate in CATEGORIES)
