"""Fault switches: ways the reference platform can break the contract on purpose, or differ from it legitimately.

A *defect* is a realistic bug that the acceptance suite must catch, for the right reason: `scenario` names the
one scenario about its promise (or the outline, any row of which counts) that must fail, and `headline` the
stable part of that failure's first line; `via` says how: "scenario" (a step's expectation fails) or "contract"
(the headline is the scenario's OpenAPI conformance finding). `caught_by` names the scenario tags (behave tags
without "@") the fault matrix runs; other scenarios failing too never count (suite_tools/fault_matrix.py).
A *legitimate* difference honours the contract, so the suite must still pass with it switched on.

The code checks a fault at the one narrowest place it affects, with `if faults.on("name"):`.
Adding a fault is one entry in FAULTS plus that one `if`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["defect", "legitimate"]
Via = Literal["scenario", "contract"]


@dataclass(frozen=True)
class Fault:
    name: str
    kind: Kind
    description: str
    caught_by: tuple[str, ...] = ()
    via: Via | None = None
    # The defect breaks what the suite's set-up relies on (credits for its test users), so a normal run stops
    # in set-up; the scenarios in caught_by catch it in a run whose set-up allocates no credits.
    stops_setup: bool = False
    # A legitimate rate limit so strict that a whole run cannot finish within its waiting budget: the run must end
    # with the scenarios it could not run reported as not checked (skipped with the reason), none failed.
    throttles: bool = False
    # The one scenario (its name as in the feature file) that must fail because of this defect, and the stable
    # first line of its failure message (a substring of it): the defect counts as caught only for that reason.
    scenario: str = ""
    headline: str = ""


def _defect(
    name: str,
    description: str,
    *tags: str,
    via: Via = "scenario",
    stops_setup: bool = False,
    scenario: str = "",
    headline: str = "",
) -> Fault:
    return Fault(
        name,
        "defect",
        description,
        tuple(f"behaviour.{tag}" for tag in tags),
        via,
        stops_setup=stops_setup,
        scenario=scenario,
        headline=headline,
    )


def _legitimate(name: str, description: str, *, throttles: bool = False) -> Fault:
    return Fault(name, "legitimate", description, throttles=throttles)


_ALL = (
    # confirming a streamed reply
    _defect(
        "accept_any_id",
        "update-stream accepts any streaming session ID",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "shape_only_id_check",
        "never stores issued IDs; accepts any ID shaped like stream-{13 digits}-{8 hex}; other shapes get the "
        "mismatch 400",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (an ID shaped like the issued one)",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "accept_earlier_stream_id",
        "accepts any ID ever issued for this session",
        "earlier_stream_id_rejected",
        scenario="The ID of an earlier reply in the same conversation is rejected",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "accept_other_session_id",
        "accepts any ID the platform ever issued, for any session",
        "other_session_id_rejected",
        scenario="The ID of a reply in another conversation is rejected",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "reveal_expected_id",
        "the mismatch message includes the expected ID",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline="Streaming session ID revealed: the 400 answer to POST "
        "/api/chat/sessions/{sessionId}/update-stream shows the whole issued streaming session ID in the "
        "body",
    ),
    _defect(
        "wrong_id_500",
        "a wrong ID gets a 500",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 500",
    ),
    _defect(
        "wrong_id_vague_400",
        "a wrong ID gets a 400 whose message does not mention a mismatch",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline='expected the confirmation to be rejected as a streaming session ID mismatch (400 with "mismatch" '
        "in its message), but POST /api/chat/sessions/{sessionId}/update-stream answered 400 with another "
        "message",
    ),
    _defect(
        "object_id_wildcard",
        "a JSON object as streamingSessionId matches any ID (NoSQL-operator style)",
        "invalid_id_refused",
        scenario="A streaming session ID that is an object is refused, never taken as a match",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "falsy_id_skips_check",
        "a null or empty streamingSessionId skips the check and confirms",
        "invalid_id_refused",
        scenario="A streaming session ID that is null is refused, never taken as a match",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "confirmation_not_saved",
        "update-stream answers 200 but does not replace the last assistant message",
        "confirmed_reply_kept",
        scenario="The confirmed reply is what the conversation keeps",
        headline="expected the last reply to read 'Paris is the capital of France.', but it reads otherwise",
    ),
    # the stream
    _defect(
        "no_id_header",
        "the stream has no X-Streaming-Session-Id header",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream carrying its streaming session ID (an X-Streaming-Session-Id header), but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: done event received",
    ),
    # issue 14: a missing done fails the scenario about the stream's end, not every scenario that needs a reply
    _defect(
        "no_done_event",
        "the stream closes after the chunks without a done event",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: connection closed before the "
        "done event; events: chunk;",
    ),
    _defect(
        "no_chunks",
        "the stream sends done without any chunk",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: done event received; events: "
        "done;",
    ),
    _defect(
        "reply_not_saved",
        "the assistant reply is never saved (not by the stream, not by update-stream, which still answers 200)",
        "own_id_confirms",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected the conversation to end with the question 'What is the capital of France?' followed by "
        "the streamed reply, but it holds user",
    ),
    _defect(
        "hang_after_chunks",
        "sends two chunks, then keeps the connection open forever without sending anything",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: no data within the read "
        "timeout",
    ),
    _defect(
        "done_before_chunks",
        "done is sent before the chunks",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: done event received; events: "
        "done;",
    ),
    _defect(
        "zero_tokens_used",
        "done reports tokensUsed 0",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected done to report a positive whole number of tokens used, got tokensUsed 0",
    ),
    _defect(
        "messages_out_of_order",
        "the session lists the reply before the user's message",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="followed by the streamed reply, but it holds assistant, user",
    ),
    # who may see what
    _defect(
        "no_ownership_check",
        "any user can read, stream into, confirm and delete any session",
        "foreign_session_unreadable",
        "foreign_session_unstreamable",
        "foreign_reply_unconfirmable",
        "foreign_session_undeletable",
        scenario="Another user cannot read Alice's conversation",
        headline="expected the request to be refused as not found (404), but GET /api/chat/sessions/{sessionId} "
        "answered 200",
    ),
    _defect(
        "foreign_sessions_listed",
        "the session list returns every user's sessions",
        "foreign_session_unlisted",
        scenario="Another user does not see Alice's conversation in their list",
        headline="expected the conversations listed not to include Alice's, but they do",
    ),
    _defect(
        "signature_not_verified",
        "tokens are decoded without verifying the signature",
        "forged_token_refused",
        scenario="Alice cannot check her balance with a token altered to claim the admin role",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/credits/balance "
        "answered 200",
    ),
    _defect(
        "alg_none_accepted",
        'tokens with alg "none" (no signature) are accepted',
        "unsigned_token_refused",
        scenario="Alice cannot check her balance with an unsigned token",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/credits/balance "
        "answered 200",
    ),
    _defect(
        "expiry_not_checked",
        "expired tokens are accepted",
        "expired_token_refused",
        scenario="Alice cannot check her balance with an expired token",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/credits/balance "
        "answered 200",
    ),
    _defect(
        "token_type_not_checked",
        "refresh tokens are accepted as access tokens",
        "refresh_token_refused",
        scenario="Alice cannot check her balance with her refresh token",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/credits/balance "
        "answered 200",
    ),
    _defect(
        "anonymous_access",
        "a request without a token is served as an anonymous user instead of 401",
        "missing_token_refused",
        scenario="Alice cannot check her balance with no token",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/credits/balance "
        "answered 200",
    ),
    _defect(
        "identity_from_header",
        "an X-User-Id header overrides the token's user (chat service)",
        "identity_from_token_only",
        scenario="Claiming to be Alice does not make Bob Alice",
        headline="expected the request to be refused as not found (404), but GET /api/chat/sessions/{sessionId} "
        "answered 200",
    ),
    _defect(
        "non_admin_allocation",
        "any signed-in user may allocate credits",
        "enduser_cannot_allocate",
        scenario="Carol cannot give herself 1000 credits",
        headline="expected the request to be refused as forbidden (403), but POST /api/credits/allocate answered 201",
    ),
    _defect(
        "supervisor_refused",
        "only admins may allocate credits or read another user's balance: supervisors get 403",
        "supervisor_allocates",
        scenario="A supervisor can allocate credits",
        headline="expected the allocation to be accepted (201), but POST /api/credits/allocate answered 403",
    ),
    _defect(
        "balance_of_open_to_all",
        "any signed-in user may read any user's balance",
        "enduser_cannot_see_others_balance",
        scenario="Alice cannot look at Carol's balance",
        headline="expected the request to be refused as forbidden (403), but GET /api/credits/balance/{userId} "
        "answered 200",
    ),
    _defect(
        "balance_of_ignores_user",
        "reading a user's balance answers the caller's own balance instead",
        "staff_see_balances",
        scenario="The administrator sees the balance a user sees herself",
        headline="expected the balance shown to be Carol's own, but it is another",
    ),
    _defect(
        "enduser_manages_users",
        "the admin user routes check the token but not the role",
        "enduser_cannot_manage_users",
        scenario="Alice cannot create a user",
        headline="expected the request to be refused as forbidden (403), but POST /api/admin/users answered 201",
    ),
    _defect(
        "cors_hides_streaming_id",
        "Access-Control-Expose-Headers does not list X-Streaming-Session-Id",
        "streaming_id_exposed_to_browsers",
        scenario="A web page on another origin can read the streaming session ID",
        headline="expected Access-Control-Expose-Headers to list X-Streaming-Session-Id for an allowed origin",
    ),
    _defect(
        "cors_preflight_without_authorization",
        "CORS preflights allow Content-Type but not Authorization, so browsers cannot send the token",
        "browsers_may_send_credentials",
        scenario="A web page on another origin can <action>",
        headline="expected the preflight to allow Authorization, Content-Type from the origin",
    ),
    # credits
    _defect(
        "allocation_ignored",
        "allocation answers 201 but the balance does not change",
        "allocation_raises_balance",
        stops_setup=True,
        scenario="An allocation raises the balance by exactly its amount (user id)",
        headline="expected Carol's balance to grow by exactly 750 credits, it grew by 0",
    ),
    _defect(
        "username_allocation_refused",
        "allocation by username answers 404 (only ids work)",
        "allocation_raises_balance",
        scenario="An allocation raises the balance by exactly its amount (username)",
        headline="expected the allocation to be accepted (201), but POST /api/credits/allocate answered 404",
    ),
    _defect(
        "no_charge",
        "a completed stream does not lower the balance",
        "stream_lowers_balance",
        scenario="A completed reply lowers the balance",
        headline="expected Carol's balance to go down after the reply, but it did not",
    ),
    _defect(
        "no_credit_check",
        "a user with no credits can still stream (no 402)",
        "no_credits_no_stream",
        scenario="A user without credits gets no reply",
        headline="expected the request to be refused as insufficient credits (402), but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: done event received",
    ),
    _defect(
        "nonpositive_allocation_accepted",
        "allocations of 0 or negative credits are accepted",
        "invalid_allocation_refused",
        scenario="An allocation of 0 credits is refused",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST /api/credits/allocate answered 201",
    ),
    # sessions and models
    _defect(
        "sessions_not_listed",
        "the session list is always empty",
        "new_session_listed",
        scenario="A new conversation appears in Alice's list",
        headline="expected Alice's conversations to list the new one titled 'Trip to Lisbon', but it is not listed",
    ),
    _defect(
        "delete_ignored",
        "deleting a session answers 200 but the session stays",
        "deleted_session_gone",
        scenario="A deleted conversation is gone for good",
        headline="expected Alice's conversations not to list the deleted one, but they do",
    ),
    _defect(
        "no_models_available",
        "every model is listed with available: false",
        "models_listed",
        scenario="Alice can see which models are available",
        headline="expected at least one available model, but none of the",
    ),
    # robustness and contract shapes
    _defect(
        "broken_json_500",
        "a body that is not valid JSON gets a 500 with an HTML/plain-text page",
        "malformed_request_refused",
        scenario="A malformed request is refused with a clear message: a question with a body that is not JSON",
        headline="expected the request to be refused with a clear message: a 4xx status and a JSON error whose "
        "message is text, with no stack trace or HTML, but POST /api/chat/sessions/{sessionId}/stream "
        "answered 500",
    ),
    _defect(
        "tokens_used_as_string",
        'update-stream\'s 200 body has tokensUsed as a string ("12")',
        "own_id_confirms",
        via="contract",
        scenario="A reply confirmed with its own streaming session ID is accepted",
        headline="Contract violation: POST /api/chat/sessions/{sessionId}/update-stream → 200: $.tokensUsed must be"
        " integer, got a string",
    ),
    _defect(
        "created_at_missing",
        "creating a session answers without createdAt",
        "new_session_listed",
        via="contract",
        scenario="A new conversation appears in Alice's list",
        headline="Contract violation: POST /api/chat/sessions → 201: $.createdAt is required but missing",
    ),
    _defect(
        "invalid_body_422",
        "an invalid body gets FastAPI's default 422 instead of 400",
        "invalid_id_refused",
        via="contract",
        scenario="A streaming session ID that is an object is refused, never taken as a match",
        headline="Contract violation: POST /api/chat/sessions/{sessionId}/update-stream → 422: status 422 is not "
        "declared",
    ),
    # legitimate differences: the suite must pass with each of these
    _legitimate("header_lower_case", "the ID header name is sent as x-streaming-session-id"),
    _legitimate("header_upper_case", "the ID header name is sent as X-STREAMING-SESSION-ID"),
    _legitimate(
        "late_id_store",
        "the issued ID is stored 0.5 s after the done event (before that, the right ID gets the mismatch 400)",
    ),
    _legitimate(
        "chatty_sse",
        "heartbeat comments, id: and retry: fields, CRLF line ends, an unknown event type, the reply split into "
        "many one-character chunk events, each written separately",
    ),
    _legitimate("slow_model", "0.2 s between chunks"),
    _legitimate(
        "foreign_id_shapes",
        "session IDs are 24-hex (Mongo ObjectId style) and streaming session IDs are UUIDs",
    ),
    _legitimate(
        "extra_fields",
        'every JSON answer and event payload carries extra fields; errors carry "code" and "details" too',
    ),
    _legitimate("different_economics", "every user starts with 1000 welcome credits and each token costs 3 credits"),
    _legitimate(
        "different_wording", 'every message is worded differently (the mismatch message still contains "mismatch")'
    ),
    # issue 14: real deployments (legitimate differences)
    _legitimate(
        "access_token_cookie",
        "log-in also sets the access token as an accessToken cookie (HttpOnly); no service takes identity from it",
    ),
    _legitimate("short_lived_tokens", "access tokens live 3 s (their exp claim says so); a client signs in again"),
    _legitimate(
        "slow_first_token",
        "the first chunk comes 1.5 s after the stream opens, with SSE heartbeat comments every 0.25 s until then",
    ),
    # issue 14: defects a real deployment showed
    _defect(
        "identity_from_cookie",
        "log-in sets an accessToken cookie and a request without a bearer token is served as the user it names",
        "missing_token_refused",
        scenario="Alice cannot open her conversation with only the cookies of her sign-in",
        headline="expected the request to be refused as unauthenticated (401), but GET "
        "/api/chat/sessions/{sessionId} answered 200",
    ),
    _defect(
        "malformed_last_event",
        "the done event is written without the blank line that ends it, so the stream closes on an unfinished "
        "event (which SSE discards)",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: connection closed before the "
        "done event; events: chunk;",
    ),
    _defect(
        "auth_errors_without_message",
        'authentication and permission errors (401, 403) are {"error": ...} without "message"',
        "missing_token_refused",
        via="contract",
        scenario="Alice cannot see the models with no token",
        headline="Contract violation: GET /api/models → 401: $.message is required but missing",
    ),
    # issue 13: every promise of the contract proven by a switch
    _defect(
        "login_any_password",
        "sign-in accepts any password for an existing username",
        "sign_in_refused",
        scenario="Signing in as Alice with a wrong password is refused",
        headline="expected the request to be refused as unauthenticated (401), but POST /api/auth/login answered 200",
    ),
    _defect(
        "login_reports_default_role",
        "the sign-in answer's user.role is always enduser, whatever the account's role",
        "sign_in_names_the_user",
        scenario="the administrator signs in and is told who she is",
        headline="expected 'admin' to be signed in as admin, but the answer's user is 'admin' with role 'enduser'",
    ),
    _defect(
        "models_open",
        "the model list answers without a token",
        "missing_token_refused",
        scenario="Alice cannot see the models with no token",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/models answered 200",
    ),
    _defect(
        "cors_origin_404",
        "every request carrying an Origin header is refused with 404, while the CORS headers are still sent",
        "streaming_id_exposed_to_browsers",
        scenario="A web page on another origin can read the streaming session ID",
        headline="expected a stream carrying its streaming session ID (an X-Streaming-Session-Id header), but POST "
        "/api/chat/sessions/{sessionId}/stream answered 404",
    ),
    _defect(
        "negative_tokens_used_accepted",
        "update-stream accepts a negative tokensUsed",
        "negative_tokens_refused",
        scenario="A confirmation counting -5 tokens is refused and changes nothing",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
    _defect(
        "enduser_deletes_users",
        "deleting a user checks the token but not the role",
        "enduser_cannot_manage_users",
        scenario="Alice cannot delete Carol's account",
        headline="expected the request to be refused as forbidden (403), but DELETE /api/admin/users/{userId} "
        "answered 200",
    ),
    _defect(
        "supervisor_manages_users",
        "the user administration routes let supervisors through, as the credit routes do",
        "supervisor_cannot_manage_users",
        scenario="the supervisor cannot create a user",
        headline="expected the request to be refused as forbidden (403), but POST /api/admin/users answered 201",
    ),
    _defect(
        "forbidden_creation_stored",
        "a user creation by a non-admin is answered 403, but only after the account was stored",
        "enduser_cannot_manage_users",
        scenario="Alice cannot create a user",
        headline="Refused attempt changed what it protects: POST /api/admin/users answered 403",
    ),
    _defect(
        "duplicate_user_accepted",
        "creating a user whose username or email is in use answers 201 with the existing account's id",
        "duplicate_user_refused",
        scenario="A second account with Carol's username is refused",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST /api/admin/users answered 201",
    ),
    _defect(
        "user_delete_ignored",
        "deleting a user answers 200 but the account stays",
        "admin_manages_users",
        scenario="the administrator can delete Carol's account",
        headline="expected Carol to be unable to sign in once her account is deleted, but she still can",
    ),
    _defect(
        "delete_unknown_user_200",
        "deleting a user who does not exist answers 200",
        "unknown_user_not_found",
        scenario="The administrator deletes a user who does not exist",
        headline="expected the request to be refused as not found (404), but DELETE /api/admin/users/{userId} "
        "answered 200",
    ),
    _defect(
        "balance_of_unknown_user_200",
        "the balance of a user who does not exist answers 200 with no credits",
        "unknown_user_not_found",
        scenario="The administrator looks at the balance of a user who does not exist",
        headline="expected the request to be refused as not found (404), but GET /api/credits/balance/{userId} "
        "answered 200",
    ),
    _defect(
        "missing_question_answered",
        "a question without a message is answered as an empty question instead of 400",
        "invalid_question_refused",
        scenario="A question that is missing is refused as invalid and changes nothing",
        headline='expected the request to be refused as invalid (400, not a "mismatch"), but'
        " POST /api/chat/sessions/{sessionId}/stream "
        "answered 200; the stream ended: done event received",
    ),
    _defect(
        "supervisor_balance_refused",
        "supervisors may allocate credits but get 403 on another user's balance",
        "staff_handle_credits",
        scenario="the supervisor can look at Carol's balance",
        headline="expected the request to be accepted (200), but GET /api/credits/balance/{userId} answered 403",
    ),
    # issue 15: a rate limit the suite must honour (429 with Retry-After: wait as told and resend)
    _legitimate(
        "rate_limited",
        "each service lets a client send 20 requests per second; more get 429 Too Many Requests with Retry-After",
    ),
    # issue 15: a platform that stalls on every stream (the run-level health watcher must end the run fast)
    _defect(
        "silent_after_three_chunks",
        "every stream sends its headers and three chunks, then stays open without sending anything",
        "reply_streams_in_chunks",
        scenario="A reply streams piece by piece and is kept in the conversation",
        headline="expected a stream of one or more chunks followed by done, but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200; the stream ended: no data within the read "
        "timeout",
    ),
    # issue 12: opaque IDs of another alphabet; messages of the platform's own in a conversation
    _legitimate(
        "opaque_id_alphabet",
        "streaming session IDs are 32 characters of mixed-case letters, digits and the punctuation _-.~",
    ),
    _legitimate("greeting_message", "every new conversation starts with an assistant greeting of the platform's own"),
    # issue 12: the streaming-ID promise tested as an attacker would
    _defect(
        "case_insensitive_id_compare",
        "update-stream compares the streaming session ID ignoring letter case (a NOCASE collation)",
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: the same ID in other letter case",
        headline="Wrong streaming ID accepted: a near miss of family 'letter case' (all upper case) was confirmed "
        "(200)",
    ),
    _defect(
        "like_id_match",
        'update-stream matches the streaming session ID with SQL LIKE, so "%" confirms any reply',
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: the ID with wildcard characters in it",
        headline="Wrong streaming ID accepted: a near miss of family 'wildcards' (SQL LIKE: % alone) was confirmed "
        "(200)",
    ),
    _defect(
        "prefix_id_match",
        "update-stream compares only as many characters as the shorter ID has: a shortened copy of the ID, or the "
        "ID with characters added, confirms",
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: a shortened copy of the ID",
        headline="Wrong streaming ID accepted: a near miss of family 'shortened' (without its last character) was "
        "confirmed (200)",
    ),
    _defect(
        "trimmed_id_compare",
        "update-stream trims whitespace off the claimed ID before it compares",
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: the ID with spaces or line breaks around it",
        headline="Wrong streaming ID accepted: a near miss of family 'whitespace' (a space at the end) was "
        "confirmed (200)",
    ),
    _defect(
        "normalised_id_compare",
        "update-stream URL-decodes and NFKC-normalises the claimed ID before it compares",
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: the ID in another encoding or with look-alike characters",
        headline="Wrong streaming ID accepted: a near miss of family 'other encodings' (every character "
        "percent-encoded) was confirmed (200)",
    ),
    _defect(
        "id_cut_to_column_width",
        "update-stream compares only the first 20 characters of the IDs (the width of the column they are kept in)",
        "near_miss_rejected",
        scenario="Near misses of the issued ID are rejected: the ID with one character changed",
        headline="Wrong streaming ID accepted: a near miss of family 'one character changed' (last character "
        "changed) was confirmed (200)",
    ),
    _defect(
        "write_before_check",
        "update-stream saves completeResponse before it checks the ID: a wrong or invalid ID gets a 400, and the "
        "conversation holds its text",
        "wrong_id_rejected",
        "near_miss_rejected",
        "invalid_id_refused",
        scenario="A streaming session ID that is an object is refused, never taken as a match",
        headline="Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/update-stream "
        "answered 400",
    ),
    _defect(
        "expected_id_in_header",
        "the mismatch answer carries the expected ID in an X-Streaming-Session-Id header",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline="Streaming session ID revealed: the 400 answer to POST "
        "/api/chat/sessions/{sessionId}/update-stream shows the whole issued streaming session ID in "
        "header 'x-streaming-session-id'",
    ),
    _defect(
        "id_tail_in_message",
        "the mismatch message ends with the last eight characters of the expected ID",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        headline="Streaming session ID revealed: the 400 answer to POST "
        "/api/chat/sessions/{sessionId}/update-stream shows part of the issued streaming session ID in the"
        " body",
    ),
    _defect(
        "question_saved_before_credit_check",
        "a question from a user without credits is stored in the conversation before the 402",
        "no_credits_no_stream",
        scenario="A user without credits gets no reply",
        headline="Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/stream answered 402",
    ),
    _defect(
        "foreign_404_names_stream",
        "the 404 for another user's conversation names the conversation's latest streaming session ID",
        "foreign_session_unreadable",
        "foreign_session_unstreamable",
        "foreign_session_undeletable",
        scenario="Another user cannot read Alice's conversation",
        headline="Streaming session ID revealed: the 404 answer to GET /api/chat/sessions/{sessionId} shows the "
        "whole issued streaming session ID in the body",
    ),
    _defect(
        "confirm_edits_first_reply",
        "a confirmation rewrites the conversation's first assistant message instead of its last",
        "latest_reply_confirmed",
        scenario="Confirming the latest reply of a long conversation changes that reply only",
        headline="expected the confirmation to change only the latest reply, to read 'Rome, on the Tiber.'",
    ),
    # red team: defects found by reading the suite as an attacker would
    _defect(
        "staff_bypass_ownership",
        "the chat service lets administrators and supervisors past the ownership check: they open, ask in, confirm "
        "and delete anyone's conversation",
        "foreign_session_unreadable",
        "foreign_session_unstreamable",
        "foreign_reply_unconfirmable",
        "foreign_session_undeletable",
        scenario="Another user cannot read Alice's conversation",
        headline="expected the request to be refused as not found (404), but GET /api/chat/sessions/{sessionId} "
        "answered 200",
    ),
    _defect(
        "sample_secret_accepted",
        "tokens are verified with the shared secret or, left in from development as a second key for rotation, the "
        "sample secret 'your-secret-key-change-this-in-production': anyone can mint an admin token",
        "forged_token_refused",
        scenario="Alice cannot see the models with a token signed with a key the platform does not hold",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/models answered 200",
    ),
    _defect(
        "sessions_of_user_query",
        "GET /api/chat/sessions?userId=<id> lists that user's conversations (a client-side filter trusted as the "
        "owner), whoever the token names",
        "foreign_session_unlisted",
        scenario="Another user does not see Alice's conversation in their list",
        headline="expected the conversations listed not to include Alice's, but they do",
    ),
    _defect(
        "expiry_leeway_in_wrong_unit",
        "token expiry is checked with a clock-skew leeway of 3000 meant as milliseconds but read as seconds: tokens "
        "expired up to 50 minutes ago are accepted",
        "expired_token_refused",
        scenario="Alice cannot see the models with a token that expired two minutes ago",
        headline="expected the request to be refused as unauthenticated (401), but GET /api/models answered 200",
    ),
    _defect(
        "id_issued_before_credit_check",
        "a question is given its streaming session ID (stored as the conversation's latest) before the credit check, "
        "so a question refused with 402 replaces the ID of the reply already there",
        "refused_question_keeps_reply_id",
        scenario="A question refused for want of credits leaves the earlier reply confirmable",
        headline="Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/stream answered 402",
    ),
    # issue 21: fair to every honest deployment (prices, welcome credits, slow confirmations, strict rate limits)
    _legitimate(
        "expensive_model",
        "replies are at least 1200 characters long and cost one credit per two characters (the contract fixes no "
        "price): about 600 credits a reply",
    ),
    _legitimate("welcome_credits", "every new account starts with 100 welcome credits"),
    _legitimate(
        "slow_confirmation",
        "update-stream answers after 1.2 s (a deployment that re-reads the conversation before it answers)",
    ),
    _legitimate(
        "strict_rate_limit",
        "the chat service lets each client send 30 requests a minute, announced in X-RateLimit-Limit/-Remaining/"
        "-Reset and RateLimit-Policy; more get 429 with Retry-After",
        throttles=True,
    ),
    _defect(
        "welcome_credits_unchecked_balance",
        "every new account starts with 100 welcome credits and streaming never checks the balance",
        "no_credits_no_stream",
        scenario="A user without credits gets no reply",
        headline="the request to be refused as insufficient credits (402)",
    ),
    # issue 20: invariants every exchange keeps (raw evidence, refusals change nothing, identity from the token,
    # retries are evidence, CORS names the caller's origin)
    _defect(
        "expected_id_in_field",
        "the mismatch answer names the expected ID in a field expectedToken (a debugging aid left on)",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch",
        headline="Streaming session ID revealed",
    ),
    _defect(
        "last_stream_cookie",
        "the mismatch answer sets a cookie last_stream=<the expected ID>",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch",
        headline="Streaming session ID revealed",
    ),
    _legitimate("jwt_streaming_ids", "streaming session IDs are JWTs (signed, naming the session and the time)"),
    _defect(
        "jwt_id_in_mismatch",
        "streaming session IDs are JWTs, and the mismatch message names the expected one",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch",
        headline="Streaming session ID revealed",
    ),
    _defect(
        "identity_header_on_writes",
        "asking (stream) and confirming (update-stream) take the caller from an X-User-Id header naming a known "
        "user; reads still use the token",
        "foreign_session_unstreamable",
        scenario="Another user cannot ask for a reply in Alice's conversation",
        headline="expected the request to be refused as not found (404)",
    ),
    _defect(
        "id_seen_by_some_replicas",
        "update-stream answers the mismatch to the correct ID half of the time, at random (an ID store that only "
        "some replicas see)",
        "own_id_confirms_again",
        scenario="The issued ID confirms the reply again every time it is sent",
        headline="Issued streaming session ID refused after it was accepted",
    ),
    _legitimate(
        "later_id_store",
        "the issued ID is stored 0.8 s after the done event (before that, the right ID gets the mismatch 400)",
    ),
    _defect(
        "later_id_store_negative_tokens",
        "the issued ID is stored 0.8 s after done (allowed), and update-stream accepts a negative tokensUsed",
        "negative_tokens_refused",
        scenario="A confirmation counting <count> tokens is refused and changes nothing",
        headline="expected the request to be refused as invalid",
    ),
    _defect(
        "non_text_title_stored",
        "a new conversation whose title is not text is stored, then the request is answered 400",
        "malformed_request_refused",
        scenario="A malformed request is refused with a clear message: <request> with <malformation>",
        headline="Refused attempt changed what it protects",
    ),
    _defect(
        "mismatch_charges_caller",
        "a confirmation refused as a mismatch still charges the caller for the reply's tokens",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch",
        headline="Refused attempt changed what it protects",
    ),
    _defect(
        "cors_other_origin",
        "Access-Control-Allow-Origin names another origin than the caller's (a fixed portal origin)",
        "streaming_id_exposed_to_browsers",
        scenario="A web page on another origin can read the streaming session ID",
        headline="expected Access-Control-Allow-Origin to name the page's origin",
    ),
    _legitimate(
        "rate_limit_reset_header",
        "every answer carries X-RateLimit-Reset, the epoch second when the rate window resets (its digits share "
        "the millisecond timestamp at the front of streaming session IDs)",
    ),
    # red team, fourth gap: a credit check that asks the wrong question
    _defect(
        "spent_allocations_pass_credit_check",
        "the balance the chat service checks before streaming adds up what unexpired allocations granted, spent or "
        'not ("has an unexpired allocation" instead of "balance > 0"): a user who spent down to zero streams free',
        "no_credits_no_stream",
        scenario="A user without credits gets no reply",
        headline="expected the request to be refused as insufficient credits (402), but POST "
        "/api/chat/sessions/{sessionId}/stream answered 200",
    ),
    # red team, round two: each caught by the scenario and headline it names
    _defect(
        "session_owner_from_body",
        "POST /api/chat/sessions takes a userId from the body as the new conversation's owner (mass assignment: "
        "{userId: caller, ...body}), so anyone can plant a conversation in another user's list",
        "identity_from_token_only",
        scenario="A conversation Bob starts while claiming to be Alice is his, not hers",
        headline="expected the conversation to belong to its creator, Bob, but it is listed for Alice",
    ),
    _defect(
        "mismatch_session_cookie",
        "the mismatch answer re-sends a cookie-session cookie whose base64 JSON holds the expected streaming "
        "session ID (the session middleware stores the last issued ID and a failed-attempt count)",
        "wrong_id_rejected",
        scenario="A reply confirmed with any other ID is rejected as a mismatch",
        headline="Streaming session ID revealed: the 400 answer to POST /api/chat/sessions/{sessionId}/update-stream "
        "shows the whole issued streaming session ID in header 'set-cookie'",
    ),
    _defect(
        "foreign_404_names_owner",
        "the 404 for another user's conversation says it belongs to another user and names the owner and the title, "
        "unlike the 404 for a conversation that does not exist (an existence oracle)",
        "foreign_session_unreadable",
        scenario="Another user cannot read Alice's conversation",
        headline="Another user's conversation revealed: the 404 answer to GET /api/chat/sessions/{sessionId} names "
        "its title; expected it not to exist for anyone but its owner",
    ),
    _defect(
        "deleted_user_cached",
        "accounting caches the users auth has found: once found, a deleted account is still given credits (201) and "
        "its balance is still shown (200) instead of 404",
        "admin_manages_users",
        scenario="the administrator can delete Carol's account",
        headline="expected accounting to answer 404 for credits for her once her account is deleted, but POST "
        "/api/credits/allocate answered 201",
    ),
    _defect(
        "charge_keyed_by_session",
        "a completed reply is charged with the conversation's ID as the idempotency key: only the first reply of a "
        "conversation is charged, every later one is free",
        "every_reply_charged",
        scenario="A later reply in the same conversation lowers the balance too",
        headline="expected Carol's balance to go down after the reply, but it did not",
    ),
    # red team, round 3 (credits, CORS)
    _defect(
        "cors_only_on_chat",
        "only the chat service answers CORS: auth and accounting send no Access-Control-* headers, so a web page on "
        "another origin can neither sign in nor read a balance",
        "browsers_may_send_credentials",
        scenario="A web page on another origin can <action>",
        headline="expected the preflight to allow Authorization, Content-Type from the origin",
    ),
    # The contract gives tokensUsed no effect on credits and says only that the balance has gone down when the
    # stream completes: settling the charge with the client's count breaks no written promise (docs/differences.md).
    _legitimate(
        "confirmation_refunds_client_count",
        "update-stream settles the reply's charge with the client's tokensUsed: what the stream charged for tokens "
        "the client does not count is refunded (so a client that confirms with tokensUsed 0 pays nothing)",
    ),
    # red team, round 3
    _defect(
        "session_lookup_sql_injection",
        "the chat service looks a conversation up with its owner in one SQL query built by string formatting "
        "(WHERE id = '{sessionId}' AND user_id = '{caller}'): a crafted ID opens, asks in, confirms and deletes "
        "anyone's conversation",
        "crafted_session_id_refused",
        scenario="Another user cannot reach Alice's conversation through <crafted ID>",
        headline="Conversation reached through a crafted ID: opening it answered 200",
    ),
    _defect(
        "sessions_owned_by_username",
        "conversations are owned by the token's username claim, not its sub: a new account given a deleted "
        "account's username inherits her conversations",
        "reused_username_inherits_nothing",
        scenario="A new account with a deleted account's username does not inherit her conversations",
        headline="expected the request to be refused as not found (404), but GET /api/chat/sessions/{sessionId} "
        "answered 200",
    ),
    # red team, round 3 (roles, confirmation target)
    _defect(
        "role_from_gateway_header",
        "every service takes the caller's role from an X-User-Role header when it names a role (meant to be set by "
        "the API gateway): an end user who sends X-User-Role: admin is an administrator",
        "role_from_token_only",
        "enduser_cannot_allocate",
        "enduser_cannot_manage_users",
        scenario="Claiming the administrator's role does not make Alice one",
        headline="expected the request to be refused as forbidden (403), but POST /api/credits/allocate answered 201",
    ),
    _defect(
        "confirmation_target_from_body",
        "update-stream checks ownership and the streaming session ID against the path's conversation, then writes "
        "completeResponse into the conversation a sessionId body field names (req.body.sessionId ?? "
        "req.params.sessionId): anyone rewrites any conversation's latest reply",
        "foreign_conversation_untouched",
        scenario="Bob cannot confirm his own reply into Alice's conversation",
        headline="Another user's request changed Alice's conversation: POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200",
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL}


class UnknownFaultError(ValueError):
    """A fault name that is not in the registry."""


class ActiveFaults:
    """The faults switched on for one running platform (immutable; usually empty)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = frozenset(names)
        unknown = sorted(names - FAULTS.keys())
        if unknown:
            raise UnknownFaultError(
                f"unknown fault(s): {', '.join(unknown)}; valid faults: {', '.join(sorted(FAULTS))}"
            )
        self.names: frozenset[str] = names

    def on(self, name: str) -> bool:
        # Guards against typos in the code itself: every name checked must be registered.
        if name not in FAULTS:
            raise UnknownFaultError(f"fault {name!r} is not in the registry")
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"ActiveFaults({sorted(self.names)!r})"


NO_FAULTS = ActiveFaults()


def faults_table() -> str:
    """The registry as a plain-text table (for --list-faults)."""
    rows = [("name", "kind", "via", "description", "caught by")]
    for fault in FAULTS.values():
        rows.append((fault.name, fault.kind, fault.via or "-", fault.description, ", ".join(fault.caught_by) or "-"))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for name, kind, via, description, caught_by in rows:
        padded = [cell.ljust(width) for cell, width in zip((name, kind, via), widths, strict=True)]
        lines.append("  ".join([*padded, description]) + (f"  [{caught_by}]" if caught_by != "-" else ""))
    return "\n".join(lines)
