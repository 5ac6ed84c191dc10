"""Fault switches: ways the reference platform can break the contract on purpose, or differ from it legitimately.

A *defect* is a realistic bug that the acceptance suite must catch; `caught_by` names the scenario tags
(behave tags without "@") expected to fail, and `via` says how: "scenario" (a step's expectation fails) or
"contract" (the OpenAPI conformance check fails first). A *legitimate* difference honours the contract, so
the suite must still pass with it switched on.

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
        name, "defect", description, tuple(f"behaviour.{tag}" for tag in tags), via, stops_setup, scenario, headline
    )


def _legitimate(name: str, description: str) -> Fault:
    return Fault(name, "legitimate", description)


_ALL = (
    # confirming a streamed reply
    _defect("accept_any_id", "update-stream accepts any streaming session ID", "wrong_id_rejected"),
    _defect(
        "shape_only_id_check",
        "never stores issued IDs; accepts any ID shaped like stream-{13 digits}-{8 hex}; other shapes get the "
        "mismatch 400",
        "wrong_id_rejected",
    ),
    _defect("accept_earlier_stream_id", "accepts any ID ever issued for this session", "earlier_stream_id_rejected"),
    _defect(
        "accept_other_session_id",
        "accepts any ID the platform ever issued, for any session",
        "other_session_id_rejected",
    ),
    _defect("reveal_expected_id", "the mismatch message includes the expected ID", "wrong_id_rejected"),
    _defect("wrong_id_500", "a wrong ID gets a 500", "wrong_id_rejected"),
    _defect(
        "wrong_id_vague_400", "a wrong ID gets a 400 whose message does not mention a mismatch", "wrong_id_rejected"
    ),
    _defect(
        "object_id_wildcard",
        "a JSON object as streamingSessionId matches any ID (NoSQL-operator style)",
        "invalid_id_refused",
    ),
    _defect(
        "falsy_id_skips_check",
        "a null or empty streamingSessionId skips the check and confirms",
        "invalid_id_refused",
    ),
    _defect(
        "confirmation_not_saved",
        "update-stream answers 200 but does not replace the last assistant message",
        "confirmed_reply_kept",
    ),
    # the stream
    _defect("no_id_header", "the stream has no X-Streaming-Session-Id header", "own_id_confirms"),
    # issue 14: a missing done fails the scenario about the stream's end, not every scenario that needs a reply
    _defect("no_done_event", "the stream closes after the chunks without a done event", "reply_streams_in_chunks"),
    _defect("no_chunks", "the stream sends done without any chunk", "reply_streams_in_chunks"),
    _defect(
        "reply_not_saved",
        "the assistant reply is never saved (not by the stream, not by update-stream, which still answers 200)",
        "own_id_confirms",
        "reply_streams_in_chunks",
    ),
    _defect(
        "hang_after_chunks",
        "sends two chunks, then keeps the connection open forever without sending anything",
        "own_id_confirms",
    ),
    _defect("done_before_chunks", "done is sent before the chunks", "reply_streams_in_chunks"),
    _defect("zero_tokens_used", "done reports tokensUsed 0", "reply_streams_in_chunks"),
    _defect(
        "messages_out_of_order", "the session lists the reply before the user's message", "reply_streams_in_chunks"
    ),
    # who may see what
    _defect(
        "no_ownership_check",
        "any user can read, stream into, confirm and delete any session",
        "foreign_session_unreadable",
        "foreign_session_unstreamable",
        "foreign_reply_unconfirmable",
        "foreign_session_undeletable",
    ),
    _defect("foreign_sessions_listed", "the session list returns every user's sessions", "foreign_session_unlisted"),
    _defect("signature_not_verified", "tokens are decoded without verifying the signature", "forged_token_refused"),
    _defect("alg_none_accepted", 'tokens with alg "none" (no signature) are accepted', "unsigned_token_refused"),
    _defect("expiry_not_checked", "expired tokens are accepted", "expired_token_refused"),
    _defect("token_type_not_checked", "refresh tokens are accepted as access tokens", "refresh_token_refused"),
    _defect(
        "anonymous_access",
        "a request without a token is served as an anonymous user instead of 401",
        "missing_token_refused",
    ),
    _defect(
        "identity_from_header",
        "an X-User-Id header overrides the token's user (chat service)",
        "identity_from_token_only",
    ),
    _defect("non_admin_allocation", "any signed-in user may allocate credits", "enduser_cannot_allocate"),
    _defect(
        "supervisor_refused",
        "only admins may allocate credits or read another user's balance: supervisors get 403",
        "supervisor_allocates",
    ),
    _defect(
        "balance_of_open_to_all",
        "any signed-in user may read any user's balance",
        "enduser_cannot_see_others_balance",
    ),
    _defect(
        "balance_of_ignores_user",
        "reading a user's balance answers the caller's own balance instead",
        "staff_see_balances",
    ),
    _defect(
        "enduser_manages_users",
        "the admin user routes check the token but not the role",
        "enduser_cannot_manage_users",
    ),
    _defect(
        "cors_hides_streaming_id",
        "Access-Control-Expose-Headers does not list X-Streaming-Session-Id",
        "streaming_id_exposed_to_browsers",
    ),
    _defect(
        "cors_preflight_without_authorization",
        "CORS preflights allow Content-Type but not Authorization, so browsers cannot send the token",
        "browsers_may_send_credentials",
    ),
    # credits
    _defect(
        "allocation_ignored",
        "allocation answers 201 but the balance does not change",
        "allocation_raises_balance",
        stops_setup=True,
    ),
    _defect(
        "username_allocation_refused",
        "allocation by username answers 404 (only ids work)",
        "allocation_raises_balance",
    ),
    _defect("no_charge", "a completed stream does not lower the balance", "stream_lowers_balance"),
    _defect("no_credit_check", "a user with no credits can still stream (no 402)", "no_credits_no_stream"),
    _defect(
        "nonpositive_allocation_accepted",
        "allocations of 0 or negative credits are accepted",
        "invalid_allocation_refused",
    ),
    # sessions and models
    _defect("sessions_not_listed", "the session list is always empty", "new_session_listed"),
    _defect("delete_ignored", "deleting a session answers 200 but the session stays", "deleted_session_gone"),
    _defect("no_models_available", "every model is listed with available: false", "models_listed"),
    # robustness and contract shapes
    _defect(
        "broken_json_500",
        "a body that is not valid JSON gets a 500 with an HTML/plain-text page",
        "malformed_request_refused",
    ),
    _defect(
        "tokens_used_as_string",
        'update-stream\'s 200 body has tokensUsed as a string ("12")',
        "own_id_confirms",
        via="contract",
    ),
    _defect("created_at_missing", "creating a session answers without createdAt", "own_id_confirms", via="contract"),
    _defect(
        "invalid_body_422",
        "an invalid body gets FastAPI's default 422 instead of 400",
        "invalid_id_refused",
        via="contract",
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
    ),
    _defect(
        "malformed_last_event",
        "the done event is written without the blank line that ends it, so the stream closes on an unfinished "
        "event (which SSE discards)",
        "reply_streams_in_chunks",
    ),
    _defect(
        "auth_errors_without_message",
        'authentication and permission errors (401, 403) are {"error": ...} without "message"',
        "missing_token_refused",
        via="contract",
    ),
    # issue 13: every promise of the contract proven by a switch
    _defect("login_any_password", "sign-in accepts any password for an existing username", "sign_in_refused"),
    _defect(
        "login_reports_default_role",
        "the sign-in answer's user.role is always enduser, whatever the account's role",
        "sign_in_names_the_user",
    ),
    _defect("models_open", "the model list answers without a token", "missing_token_refused"),
    _defect(
        "cors_origin_404",
        "every request carrying an Origin header is refused with 404, while the CORS headers are still sent",
        "streaming_id_exposed_to_browsers",
    ),
    _defect("negative_tokens_used_accepted", "update-stream accepts a negative tokensUsed", "negative_tokens_refused"),
    _defect(
        "enduser_deletes_users",
        "deleting a user checks the token but not the role",
        "enduser_cannot_manage_users",
    ),
    _defect(
        "supervisor_manages_users",
        "the user administration routes let supervisors through, as the credit routes do",
        "supervisor_cannot_manage_users",
    ),
    _defect(
        "forbidden_creation_stored",
        "a user creation by a non-admin is answered 403, but only after the account was stored",
        "enduser_cannot_manage_users",
    ),
    _defect(
        "duplicate_user_accepted",
        "creating a user whose username or email is in use answers 201 with the existing account's id",
        "duplicate_user_refused",
    ),
    _defect("user_delete_ignored", "deleting a user answers 200 but the account stays", "admin_manages_users"),
    _defect("delete_unknown_user_200", "deleting a user who does not exist answers 200", "unknown_user_not_found"),
    _defect(
        "balance_of_unknown_user_200",
        "the balance of a user who does not exist answers 200 with no credits",
        "unknown_user_not_found",
    ),
    _defect(
        "missing_question_answered",
        "a question without a message is answered as an empty question instead of 400",
        "invalid_question_refused",
    ),
    _defect(
        "supervisor_balance_refused",
        "supervisors may allocate credits but get 403 on another user's balance",
        "staff_handle_credits",
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
        "own_id_confirms",
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
    ),
    _defect(
        "like_id_match",
        'update-stream matches the streaming session ID with SQL LIKE, so "%" confirms any reply',
        "near_miss_rejected",
    ),
    _defect(
        "prefix_id_match",
        "update-stream compares only as many characters as the shorter ID has: a shortened copy of the ID, or the "
        "ID with characters added, confirms",
        "near_miss_rejected",
    ),
    _defect(
        "trimmed_id_compare",
        "update-stream trims whitespace off the claimed ID before it compares",
        "near_miss_rejected",
    ),
    _defect(
        "normalised_id_compare",
        "update-stream URL-decodes and NFKC-normalises the claimed ID before it compares",
        "near_miss_rejected",
    ),
    _defect(
        "id_cut_to_column_width",
        "update-stream compares only the first 20 characters of the IDs (the width of the column they are kept in)",
        "near_miss_rejected",
    ),
    _defect(
        "write_before_check",
        "update-stream saves completeResponse before it checks the ID: a wrong or invalid ID gets a 400, and the "
        "conversation holds its text",
        "wrong_id_rejected",
        "near_miss_rejected",
        "invalid_id_refused",
    ),
    _defect(
        "expected_id_in_header",
        "the mismatch answer carries the expected ID in an X-Streaming-Session-Id header",
        "wrong_id_rejected",
    ),
    _defect(
        "id_tail_in_message",
        "the mismatch message ends with the last eight characters of the expected ID",
        "wrong_id_rejected",
    ),
    _defect(
        "question_saved_before_credit_check",
        "a question from a user without credits is stored in the conversation before the 402",
        "no_credits_no_stream",
    ),
    _defect(
        "foreign_404_names_stream",
        "the 404 for another user's conversation names the conversation's latest streaming session ID",
        "foreign_session_unreadable",
        "foreign_session_unstreamable",
        "foreign_session_undeletable",
    ),
    _defect(
        "confirm_edits_first_reply",
        "a confirmation rewrites the conversation's first assistant message instead of its last",
        "latest_reply_confirmed",
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
