"""Passwords, JWTs and the key the services use between themselves.

Never log a password, a token or the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import jwt

from reference_services.faults import ActiveFaults

ALGORITHM = "HS256"
ROLES = ("admin", "supervisor", "enduser")
TokenType = Literal["access", "refresh"]


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the access token says."""

    id: str
    username: str
    email: str
    role: str


ANONYMOUS = Caller(id="anonymous", username="anonymous", email="anonymous@invalid", role="enduser")


# The cookie some deployments set at log-in; the contract says no cookie changes who the caller is.
ACCESS_TOKEN_COOKIE = "accessToken"


# The sample_secret_accepted fault: a second verification key left in from development.
SAMPLE_SECRET = "your-secret-key-change-this-in-production"
# The expiry_leeway_in_wrong_unit fault: 3000 meant as milliseconds (3 s), read as seconds (50 min).
WRONG_UNIT_LEEWAY = 3000


class InvalidToken(Exception):
    """Missing, malformed, forged, expired or not an access token."""


# --- passwords: PBKDF2-SHA256, stored as pbkdf2_sha256$iterations$salt$hash ---


def hash_password(password: str, iterations: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    scheme, iterations, salt, expected = stored.split("$")
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


# --- tokens ---


def create_token(caller: Caller, token_type: TokenType, secret: str, lifetime_seconds: int) -> str:
    now = int(time.time())
    claims = {
        "sub": caller.id,
        "username": caller.username,
        "email": caller.email,
        "role": caller.role,
        "type": token_type,
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str, faults: ActiveFaults) -> Caller:
    """The caller an access token names, or InvalidToken."""
    try:
        header = jwt.get_unverified_header(token)
        unsigned = str(header.get("alg", "")).lower() == "none"
        verify_signature = not faults.on("signature_not_verified")
        if faults.on("alg_none_accepted") and unsigned:
            verify_signature = False
        options = {
            "verify_signature": verify_signature,
            # PyJWT stops checking exp when the signature is not verified; keep them independent.
            "verify_exp": not faults.on("expiry_not_checked"),
            "verify_iat": False,
            "require": ["sub", "exp", "type"],
        }
        leeway = WRONG_UNIT_LEEWAY if faults.on("expiry_leeway_in_wrong_unit") else 0
        try:
            claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options=options, leeway=leeway)
        except jwt.InvalidSignatureError:
            if not faults.on("sample_secret_accepted"):
                raise
            claims = jwt.decode(token, SAMPLE_SECRET, algorithms=[ALGORITHM], options=options, leeway=leeway)
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise InvalidToken(type(error).__name__) from error
    if claims.get("type") != "access" and not faults.on("token_type_not_checked"):
        raise InvalidToken("not an access token")
    caller = Caller(
        id=claims.get("sub"),
        username=claims.get("username", ""),
        email=claims.get("email", ""),
        role=claims.get("role", ""),
    )
    if not all(isinstance(value, str) for value in vars(caller).values()) or caller.role not in ROLES:
        raise InvalidToken("malformed claims")
    return caller


# --- between services ---

SERVICE_KEY_HEADER = "X-Service-Key"


def internal_service_key(secret: str) -> str:
    """The key the services present to each other's /internal routes, derived from the shared secret."""
    return hmac.new(secret.encode(), b"reference-services/internal", hashlib.sha256).hexdigest()


def is_internal_service_key(presented: str | None, secret: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), internal_service_key(secret).encode())
