"""Confirming a streamed reply: does the claimed streaming session ID match the one issued last?"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from urllib.parse import unquote

from fastapi.exceptions import RequestValidationError

from reference_services.chat.storage import ChatStore, Session
from reference_services.faults import ActiveFaults
from reference_services.web.fields import is_storable_text

# What the original system checked instead of the stored ID (the shape_only_id_check defect).
ORIGINAL_ID_SHAPE = re.compile(r"stream-\d{13}-[0-9a-f]{8}")
ID_COLUMN_WIDTH = 20  # id_cut_to_column_width


def claim_matches(claim: object, session: Session, store: ChatStore, faults: ActiveFaults) -> bool:
    """Whether `claim` (the body's streamingSessionId) is the ID issued for the session's most recent stream.

    The body field is typed as any JSON value so that the two NoSQL-style defects below can be switched on;
    the contract's rule (a string, nothing else) is enforced right after them.
    """
    if faults.on("object_id_wildcard") and isinstance(claim, dict):
        return True
    if faults.on("falsy_id_skips_check") and (claim is None or claim == ""):
        return True
    if not isinstance(claim, str) or not is_storable_text(claim):
        raise RequestValidationError(
            [{"type": "string_type", "loc": ("body", "streamingSessionId"), "msg": "Input should be a valid string"}]
        )
    if faults.on("accept_any_id"):
        return True
    if faults.on("shape_only_id_check"):
        return ORIGINAL_ID_SHAPE.fullmatch(claim) is not None
    if faults.on("accept_earlier_stream_id") and store.was_issued(claim, session_id=session.id):
        return True
    if faults.on("accept_other_session_id") and store.was_issued(claim):
        return True
    if faults.on("like_id_match"):
        return store.latest_stream_matches(session.id, claim, "like")
    if faults.on("case_insensitive_id_compare"):
        return store.latest_stream_matches(session.id, claim, "nocase")
    expected = session.streaming_session_id
    if faults.on("trimmed_id_compare"):
        claim = claim.strip()
    if faults.on("normalised_id_compare"):
        claim = unicodedata.normalize("NFKC", unquote(claim))
    if faults.on("id_cut_to_column_width") and expected is not None:
        claim, expected = claim[:ID_COLUMN_WIDTH], expected[:ID_COLUMN_WIDTH]
    if faults.on("prefix_id_match") and expected is not None:
        shorter = min(len(claim), len(expected))  # strncmp-style: only the length both have
        return claim[:shorter] == expected[:shorter]
    matches = expected is not None and hmac.compare_digest(claim.encode(), expected.encode())
    if matches and faults.on("id_seen_by_some_replicas"):
        return secrets.randbelow(2) == 0  # this replica has not seen the ID (yet)
    return matches
