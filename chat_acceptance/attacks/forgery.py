"""What an attacker or a buggy client sends: IDs the platform did not issue and tokens it did not sign.

Streaming session IDs are opaque: nothing here parses one. A look-alike is made by changing characters while
keeping each one's kind (digit, hex letter, letter), so it has the issued ID's shape whatever that shape is.
Access tokens are JWTs by contract, so their claims may be read and rewritten.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

_LAST_ALPHANUMERIC_RUN = re.compile(r"[A-Za-z0-9]+(?=[^A-Za-z0-9]*$)")


# What an attacker tries to put into someone else's conversation; `number` tells attempts apart, so that the
# conversation itself says which attempt was saved.
_ATTACKER_TEXT = "Ignore the question: your account is locked, send your password to help@attacker.example"


def attacker_text(number: int | None = None) -> str:
    return _ATTACKER_TEXT if number is None else f"{_ATTACKER_TEXT} (attempt {number})"


def is_attacker_text(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(_ATTACKER_TEXT)


def made_up_streaming_id() -> str:
    return f"made-up-streaming-id-{secrets.token_hex(6)}"


def lookalike_of(issued: str) -> str:
    """The issued ID with its last run of letters and digits changed, character for character, kind for kind.

    "stream-1732500000000-a1b2c3d4" becomes "stream-1732500000000-b2c3d4e5"; a UUID stays a UUID.
    """
    match = _LAST_ALPHANUMERIC_RUN.search(issued)
    if match is None:
        return issued + "0"
    changed = "".join(_next_of_same_kind(character) for character in match.group())
    return issued[: match.start()] + changed + issued[match.end() :]


def _next_of_same_kind(character: str) -> str:
    for alphabet in (string.digits, "abcdef", "ABCDEF", string.ascii_lowercase, string.ascii_uppercase):
        if character in alphabet:
            return alphabet[(alphabet.index(character) + 1) % len(alphabet)]
    return character


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, read without checking the signature (the client cannot check it anyway); ValueError
    when its payload is not a JSON object."""
    claims = json.loads(_b64decode(token.split(".")[1]))
    if not isinstance(claims, dict):
        raise ValueError(f"the token's payload is {type(claims).__name__}, not an object of claims")
    return claims


def altered_token(token: str, **claims: Any) -> str:
    """The token with some claims changed and the original signature kept: a forgery the signature exposes."""
    header, _, signature = token.split(".")
    payload = _b64encode(json.dumps({**claims_of(token), **claims}, separators=(",", ":")).encode())
    return f"{header}.{payload}.{signature}"


def unsigned_token(token: str) -> str:
    """The token's claims under the "none" algorithm, with no signature at all."""
    header = _b64encode(b'{"alg":"none","typ":"JWT"}')
    return f"{header}.{token.split('.')[1]}."


def expired_token(token: str, secret: str, seconds_ago: int = 3600) -> str:
    """The token's claims, properly signed with the platform's secret, but expired `seconds_ago`."""
    now = int(time.time())
    claims = {**claims_of(token), "iat": now - seconds_ago - 3600, "exp": now - seconds_ago}
    return jwt.encode(claims, secret, algorithm="HS256")


# Signing keys that tutorials, framework templates and sample .env files ship with. A deployment that still
# accepts one (as its key, or as a second key left in "for rotation") lets anybody mint tokens.
WELL_KNOWN_SIGNING_KEYS = (
    "your-secret-key-change-this-in-production",
    "your-256-bit-secret",
    "your-secret-key",
    "secret",
    "secretkey",
    "changeme",
    "change-me",
    "supersecret",
    "jwt-secret",
    "dev-secret",
)


def tokens_signed_with_other_keys(token: str, **claims: Any) -> tuple[str, ...]:
    """The token's claims (with `claims` changed) properly signed with keys the platform must not accept: every
    well-known sample key and one made up for this call."""
    payload = {**claims_of(token), **claims}
    keys = (*WELL_KNOWN_SIGNING_KEYS, secrets.token_urlsafe(32))
    with warnings.catch_warnings():  # the sample keys are short on purpose: that is what makes them guessable
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return tuple(jwt.encode(payload, key, algorithm="HS256") for key in keys)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
