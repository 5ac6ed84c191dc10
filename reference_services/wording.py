"""Every human-readable message the services send, in one place.

The contract fixes no wording except that a streaming session ID mismatch says "mismatch"; the
`different_wording` fault swaps in the second catalogue to prove the suite does not depend on wording.
"""

from __future__ import annotations

STANDARD = {
    "invalid_body": "Invalid request body: {detail}",
    "body_too_large": "Request body too large (limit {limit} bytes)",
    "route_not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "internal_error": "Internal server error",
    "http_error": "{detail}",
    "token_missing": "Authentication required",
    "token_invalid": "Invalid or expired token",
    "forbidden": "You do not have permission to do this",
    "service_key_invalid": "Unknown service",
    "login_failed": "Invalid username or password",
    "user_created": "User created",
    "user_exists": "A user with this username or email already exists",
    "user_deleted": "User deleted",
    "user_not_found": "User not found",
    "credits_must_be_positive": "Credits must be a positive integer",
    "insufficient_credits": "Insufficient credits",
    "accounting_unavailable": "Accounting service unavailable",
    "auth_unavailable": "Auth service unavailable",
    "session_not_found": "Chat session not found",
    "session_not_yours": "Chat session not found for this user (latest stream {stream})",
    "session_of_another_user": "Chat session '{title}' belongs to another user ({owner})",
    "session_deleted": "Chat session deleted",
    "message_empty": "Message must not be empty",
    "reply_confirmed": "Stream response saved",
    "tokens_used_negative": "Invalid request body: tokensUsed must be 0 or more",
    "streaming_id_mismatch": "Streaming session ID mismatch",
    "streaming_id_mismatch_revealing": "Streaming session ID mismatch: expected {expected}",
    "streaming_id_mismatch_hint": "Streaming session ID mismatch (expected an ID ending in {tail})",
    "streaming_id_vague": "Could not update the session",
    "generation_failed": "The reply could not be generated",
    "service_stopping": "The service is shutting down: the reply was not completed",
    "greeting": "Hello! How can I help you today?",
}

ALTERNATIVE = {
    "invalid_body": "The request could not be understood ({detail})",
    "body_too_large": "Payload exceeds {limit} bytes",
    "route_not_found": "No such resource",
    "method_not_allowed": "This method is not supported here",
    "internal_error": "Something went wrong on our side",
    "http_error": "Request refused ({detail})",
    "token_missing": "Please sign in first",
    "token_invalid": "Your sign-in is not valid any more",
    "forbidden": "Access denied for your role",
    "service_key_invalid": "Caller is not a known service",
    "login_failed": "Those credentials did not work",
    "user_created": "Account ready",
    "user_exists": "That account is already registered",
    "user_deleted": "Account removed",
    "user_not_found": "No such account",
    "credits_must_be_positive": "Only positive credit amounts can be allocated",
    "insufficient_credits": "Your credit balance is empty",
    "accounting_unavailable": "Billing is unreachable right now",
    "auth_unavailable": "Identity service is unreachable right now",
    "session_not_found": "No such conversation",
    "session_not_yours": "No such conversation for you (its stream is {stream})",
    "session_of_another_user": "Conversation '{title}' is owned by someone else ({owner})",
    "session_deleted": "Conversation removed",
    "message_empty": "Please type a message",
    "reply_confirmed": "Reply stored",
    "tokens_used_negative": "The token count cannot be negative",
    "streaming_id_mismatch": "Rejected: stream identifier mismatch for this conversation",
    "streaming_id_mismatch_revealing": "Rejected: stream identifier mismatch, wanted {expected}",
    "streaming_id_mismatch_hint": "Rejected: stream identifier mismatch, the right one ends {tail}",
    "streaming_id_vague": "Update refused",
    "generation_failed": "The model gave up half-way",
    "service_stopping": "Maintenance: the reply was cut short",
    "greeting": "Hi there, ask me anything.",
}


class Wording:
    def __init__(self, alternative: bool = False) -> None:
        self._catalogue = ALTERNATIVE if alternative else STANDARD

    def __call__(self, key: str, **values: object) -> str:
        return self._catalogue[key].format(**values)
