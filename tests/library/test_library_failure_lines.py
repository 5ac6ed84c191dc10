"""Lines that say what was checked: every failure line the library can print is written for its own check.

The walk is static and complete: it finds every `raise AssertionError(...)` in chat_acceptance/ and every
expectation a matcher states, renders the first line of each template (a value as `{expression}`), and
requires, for each, the words that name the check's own promise (LINES below). A new failure line fails this
test until it is listed here, read, and found to name its promise. The first line is also the finding's
headline (reporting/findings.py), so it may carry no value that differs per run: IDs, scenario-fresh
usernames, URLs, a seed, a generated value; those go on the lines after it.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from chat_acceptance.checks import matchers
from chat_acceptance.transport.exchange import ApiResponse
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult

LIBRARY = Path(__file__).resolve().parents[2] / "chat_acceptance"

# "module:function" -> the words each of its failure lines (in source order) must contain: its own promise, or
# for a suite error (a scenario misusing the library, a set-up the configuration cannot give) what is missing.
LINES: dict[str, list[str]] = {
    "checks/expectations.py:belongs_to_its_creator": ["expected the conversation to belong to its creator"],
    "checks/expectations.py:changed_nothing": [
        "no refused attempt of this scenario was compared with what it protects"
    ],
    "checks/expectations.py:others_left_alone": [
        "no request by another user naming {owner}'s conversation was compared with it"
    ],
    "checks/expectations.py:every_confirmation_accepted": ["Issued streaming session ID refused after it was accepted"],
    "checks/expectations.py:_allows_origin": ["expected Access-Control-Allow-Origin to name the page's origin"],
    "actors/people.py:listed_conversations": ["expected the conversation list to hold a list of sessions"],
    "world/build.py:fund_personas": ["left the balance"],
    "world/build.py:sign_in_personas": ["cannot sign in as"],
    "world/scenario.py:person": ["has not been introduced in this scenario"],
    "world/scenario.py:conversation_of": ["has no conversation in this scenario"],
    "world/scenario.py:told": ["has not asked the platform anything"],
    "world/scenario.py:reply_of": ["has received no reply"],
    "world/scenario.py:the_reply": ["no reply has been received in this scenario"],
    "world/scenario.py:the_answer": ["not an answer"],
    "world/scenario.py:the_conversation": ["no conversation has been started"],
    "world/scenario.py:other_id": ["the scenario has no such reply"],
    "world/suite.py:configured_account": ["is not configured"],
    "world/access.py:_refresh_token": ["gave no refreshToken"],
    "world/access.py:_expired_token": ["an expired token needs the token signing secret"],
    "world/access.py:make_expired_token": ["an expired token needs the token signing secret"],
    "world/leftovers.py:_removed": ["expected the clean-up to remove what the run created"],
    "checks/account_expectations.py:account_created": ["expected the new account to sign in"],
    "checks/account_expectations.py:carol_gone": [
        "expected Carol to be unable to sign in once her account is deleted",
        "expected accounting to answer 404 for",
    ],
    "checks/account_expectations.py:carol_richer_by": ["expected Carol's balance to grow by exactly"],
    "checks/account_expectations.py:check": ["expected Carol's balance to grow by exactly"],
    "checks/account_expectations.py:shows_carol_balance": ["expected the balance shown to be Carol's own"],
    "transport/client.py:signs_in": ["expected signing in to look at an account to answer 200 or 401"],
    "checks/account_expectations.py:accounts_unchanged": ["Refused attempt changed what it protects"],
    "checks/account_expectations.py:is_signed_in_as": ["to be accepted (200)", "to be signed in as"],
    "checks/consequences.py:only_last_reply_changed": [
        "no conversation was recorded before the confirmation",
        "the conversation held no reply before the confirmation",
        "expected the confirmation to change only the latest reply",
    ],
    "checks/account_expectations.py:still_signs_in": ["expected the account to still sign in with the password"],
    "checks/account_expectations.py:does_not_sign_in": ["expected the account not to exist"],
    "checks/expectations.py:set_up_succeeded": ["the suite's set-up failed"],
    "checks/expectations.py:kept_to_the_contract": [""],  # the contract finding's own stable line (test below)
    "checks/expectations.py:reports_positive_tokens_used": [
        "expected done to report a positive whole number of tokens"
    ],
    "checks/expectations.py:streamed_nothing": ["expected no reply to be streamed"],
    "checks/expectations.py:holds_question_then_reply": ["expected the conversation to end with the question"],
    "checks/expectations.py:last_reply_reads": ["expected the last reply to read"],
    "checks/expectations.py:lists_conversation": ["conversations to list the new one titled"],
    "checks/expectations.py:does_not_list_others": ["expected the conversations listed not to include {owner}'s"],
    "checks/expectations.py:no_longer_lists": ["conversations not to list the deleted one"],
    "checks/expectations.py:_listed": ["expected a list of sessions"],
    "checks/expectations.py:has_an_available_model": ["expected at least one available model"],
    "checks/expectations.py:is_gone_for_every_route": ["refused as not found (404) for a deleted conversation"],
    "checks/expectations.py:told_not_found_each_time": [
        "Conversation reached through a crafted ID: {what} answered {answer.status}; expected every attempt to be "
        "told the conversation does not exist (404)"
    ],
    "checks/expectations.py:every_near_miss_rejected": [
        "rejected as a streaming session ID mismatch",
        "no near miss was tried",
    ],
    "checks/expectations.py:exposes_streaming_session_id": [
        "Access-Control-Expose-Headers to list X-Streaming-Session-Id"
    ],
    "checks/expectations.py:allows_headers": ["expected the preflight to allow"],
    "checks/account_expectations.py:balance_grew_by": ["balance to grow by exactly"],
    "checks/account_expectations.py:balance_not_grown": ["balance not to grow"],
    "checks/account_expectations.py:balance_gone_down": ["balance to go down after the reply"],
    "checks/account_expectations.py:shows_balance_of": ["expected the balance shown to be {person.name}'s own"],
    "checks/matchers.py:require": ["expected {StringDescription().append_description_of(matcher)}"],
    "actors/people.py:sign_in": ["gave no accessToken or user.id"],
    "actors/people.py:start_conversation": ["starting a conversation gave no sessionId"],
    "actors/people.py:messages": ["expected the conversation to hold a list of messages"],
    "actors/people.py:balance": ["balance to hold a numeric totalCredits"],
}
# What a first line may not interpolate: values that differ from run to run.
PER_RUN = re.compile(
    r"streaming_session_id|conversation_id|user_id|seed|url|\.value\b|attempted_account|token\b|"
    r"issued|revealed"
)
# ... except a route: the path template, the same on every run (route_of turns an ID's place into {sessionId}).
ROUTE = "route_of("
# Usernames that are the same on every run: the configured accounts (Alice, Bob, the administrator, the
# supervisor), never the scenario-fresh ones (Carol, ghost-...).
CONFIGURED_ACCOUNTS = {
    "world/access.py:_refresh_token",
    "checks/account_expectations.py:is_signed_in_as",
    "world/build.py:fund_personas",
    "world/build.py:sign_in_personas",
}


def _render(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _render(node.left) + _render(node.right)
    return "{" + ast.unparse(node) + "}"


@functools.cache
def failure_lines() -> dict[str, list[str]]:
    """Every AssertionError the library raises: "module:function" -> the first line of each, in source order."""
    found: dict[str, list[str]] = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Raise)
                    and isinstance(node.exc, ast.Call)
                    and getattr(node.exc.func, "id", None) == "AssertionError"
                    and node.exc.args
                ):
                    site = f"{path.relative_to(LIBRARY).as_posix()}:{function.name}"
                    found.setdefault(site, []).append(_render(node.exc.args[0]).split("\n")[0])
    return found


def test_every_failure_line_of_the_library_is_listed_with_its_promise():
    assert sorted(failure_lines()) == sorted(LINES), "list each new failure line in LINES, with its promise"


@pytest.mark.parametrize("site", sorted(LINES))
def test_each_first_line_names_its_own_promise_and_no_per_run_value(site):
    lines = failure_lines()[site]
    assert len(lines) == len(LINES[site]), f"{site} raises {len(lines)} failure(s): {lines}"
    for line, promise in zip(lines, LINES[site], strict=True):
        assert promise in line, f"{site}: {line!r} does not name its promise ({promise!r})"
        values = re.findall(r"\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", line)
        per_run = [
            value
            for value in values
            if not value.startswith(ROUTE)
            and (PER_RUN.search(value) or ("username" in value and site not in CONFIGURED_ACCOUNTS))
        ]
        assert per_run == [], f"{site}: the first line {line!r} carries per-run values {per_run}"


# The expectations the matchers state, each failed on purpose: the line says the promise the matcher checks.
ANSWER = ApiResponse("POST /api/chat/sessions/{sessionId}/update-stream", 200, {}, '{"message": "ok"}')
REFUSED = ApiResponse("GET /api/models", 500, {}, "<html>Traceback (most recent call last)</html>")
BROKEN_STREAM = StreamResult(
    200,
    {},
    None,
    (StreamEvent("chunk", '{"text": "x"}', 0.01),),
    Ending.STALLED,
    0.5,
    request="POST /api/chat/sessions/{sessionId}/stream",
)
MATCHER_LINES = [  # (matcher, its arguments, an item it refuses, how its failure must begin)
    ("has_status", (201,), ANSWER, "expected an answer with status 201, but POST "),
    ("is_accepted", ("the deletion", 200), REFUSED, "expected the deletion to be accepted (200), but GET "),
    (
        "is_rejected_as_mismatch",
        (),
        ANSWER,
        'expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" in its '
        "message), but POST /api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    ("is_refused", (401, "unauthenticated"), ANSWER, "expected the request to be refused as unauthenticated (401)"),
    ("is_clear_client_error", (), REFUSED, "expected the request to be refused with a clear message"),
    (
        "does_not_reveal",
        ("s3cr3t", "the error"),
        ApiResponse("GET /x", 404, {}, "s3cr3t"),
        "expected the error not to reveal the issued streaming session ID",
    ),
    ("is_complete_stream", (), BROKEN_STREAM, "expected a stream of one or more chunks followed by done, but"),
    (
        "has_ended",
        (),
        BROKEN_STREAM,
        "expected a stream that ended, but POST /api/chat/sessions/{sessionId}/stream answered 200; the stream ended: ",
    ),
    (
        "carries_streaming_session_id",
        (),
        BROKEN_STREAM,
        "expected a stream carrying its streaming session ID (an X-Streaming-Session-Id header), but",
    ),
]


def test_every_matcher_is_walked():
    made = {
        name
        for name, value in vars(matchers).items()
        if callable(value) and str(getattr(value, "__annotations__", {}).get("return")).startswith("BaseMatcher[")
    }
    assert made == {name for name, *_ in MATCHER_LINES}, "walk each new matcher in MATCHER_LINES"


@pytest.mark.parametrize(("name", "arguments", "item", "line"), MATCHER_LINES, ids=[row[0] for row in MATCHER_LINES])
def test_each_matcher_fails_with_its_own_promise_on_one_line(name, arguments, item, line):
    with pytest.raises(AssertionError) as failure:
        matchers.require(item, getattr(matchers, name)(*arguments))
    assert str(failure.value).startswith(line) and "\n" not in str(failure.value), str(failure.value)
