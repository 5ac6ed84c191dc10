"""chat_acceptance.attacks.forgery: look-alike IDs and tokens the platform did not sign, checked with PyJWT."""

from __future__ import annotations

import base64
import json
import random
import re
import string
import time
import warnings

import jwt
import pytest

from chat_acceptance.attacks.forgery import (
    WELL_KNOWN_SIGNING_KEYS,
    altered_token,
    claims_of,
    expired_token,
    lookalike_of,
    made_up_streaming_id,
    tokens_signed_with_other_keys,
    unsigned_token,
)

SECRET = "a-test-signing-secret-of-at-least-32-bytes!"
NOW = int(time.time())
CLAIMS = {
    "sub": "65f1c0ffee0ddba11c0ffee0",
    "username": "user1",
    "email": "user1@example.com",
    "role": "enduser",
    "type": "access",
    "iat": NOW,
    "exp": NOW + 900,
}
TOKEN = jwt.encode(CLAIMS, SECRET, algorithm="HS256")
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def header_of(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify(token: str, **options) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], **options)


def kind(character: str) -> str:
    if character in string.digits:
        return "digit"
    if character in string.ascii_lowercase:
        return "lower"
    if character in string.ascii_uppercase:
        return "upper"
    return character


# ------------------------------------------------------------------------------------------ IDs


def test_made_up_streaming_ids_are_fresh_strings():
    first, second = made_up_streaming_id(), made_up_streaming_id()
    assert isinstance(first, str) and first and first != second


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        ("stream-1732500000000-a1b2c3d4", "stream-1732500000000-b2c3d4e5"),
        ("stream-1732500000000-ffffffff", "stream-1732500000000-aaaaaaaa"),
        ("stream-1732500000000-99999999", "stream-1732500000000-00000000"),
        ("ABC-xyz", "ABC-yza"),
        ("id_Zz9.", "id_Aa0."),
        ("", "0"),
        ("---", "---0"),
    ],
)
def test_a_lookalike_changes_the_last_run_kind_for_kind(issued, expected):
    assert lookalike_of(issued) == expected


def test_a_uuid_stays_a_uuid():
    issued = "3f0c8a4e-9b7d-4c1e-a2f3-5d6e7f8a9b0c"
    lookalike = lookalike_of(issued)
    assert UUID_SHAPE.fullmatch(lookalike)
    assert lookalike != issued
    assert lookalike[:24] == issued[:24]


def test_a_lookalike_of_the_original_format_keeps_its_shape():
    issued = "stream-1732500000000-a1b2c3d4"
    assert re.fullmatch(r"stream-\d{13}-[0-9a-f]{8}", lookalike_of(issued))


def random_strings(alphabet: str, count: int = 500, max_size: int = 40, seed: int = 1) -> list[str]:
    generator = random.Random(seed)
    return ["".join(generator.choice(alphabet) for _ in range(generator.randint(0, max_size))) for _ in range(count)]


ANY_CHARACTERS = string.printable + "\u00e9\u00df\u0663\u2013\U0001f600\x00"  # includes non-ASCII letters and digits


def test_a_lookalike_always_differs():
    for issued in random_strings(ANY_CHARACTERS) + random_strings("-_.", seed=2) + ["", "\u0663", "\u00e9"]:
        assert lookalike_of(issued) != issued, issued


def test_a_lookalike_has_the_same_shape():
    for issued in random_strings(string.ascii_letters + string.digits + "-_.:", seed=3):
        if not any(c in string.ascii_letters + string.digits for c in issued):
            continue
        lookalike = lookalike_of(issued)
        assert len(lookalike) == len(issued), issued
        assert [kind(c) for c in lookalike] == [kind(c) for c in issued], issued
        assert all(
            new in string.hexdigits for old, new in zip(issued, lookalike, strict=True) if old in string.hexdigits
        ), issued


def test_a_hex_id_stays_hex():
    for issued in random_strings("0123456789abcdef-", seed=4):
        if issued.strip("-"):
            assert len(lookalike_of(issued)) == len(issued)
            assert set(lookalike_of(issued)) <= set("0123456789abcdef-"), issued


# ------------------------------------------------------------------------------------------ tokens


def test_the_genuine_token_verifies():
    assert verify(TOKEN) == CLAIMS


def test_claims_are_read_without_the_signature():
    assert claims_of(TOKEN) == CLAIMS


def test_an_altered_token_changes_claims_keeps_the_signature_and_fails_verification():
    forged = altered_token(TOKEN, role="admin", username="mallory")

    assert claims_of(forged) == {**CLAIMS, "role": "admin", "username": "mallory"}
    assert forged.split(".")[0] == TOKEN.split(".")[0]
    assert forged.split(".")[2] == TOKEN.split(".")[2]
    with pytest.raises(jwt.InvalidSignatureError):
        verify(forged)


def test_an_unsigned_token_uses_alg_none_with_an_empty_signature_and_fails_verification():
    forged = unsigned_token(TOKEN)

    header, payload, signature = forged.split(".")
    assert header_of(forged) == {"alg": "none", "typ": "JWT"}
    assert signature == ""
    assert payload == TOKEN.split(".")[1]
    assert claims_of(forged) == CLAIMS
    with pytest.raises(jwt.InvalidTokenError):
        verify(forged)
    # what a careless server would accept: the claims are intact without any signature check
    assert jwt.decode(forged, options={"verify_signature": False}) == CLAIMS


def test_an_expired_token_is_properly_signed_and_fails_only_for_expiry():
    forged = expired_token(TOKEN, SECRET)

    with pytest.raises(jwt.ExpiredSignatureError):
        verify(forged)
    claims = verify(forged, options={"verify_exp": False})  # the signature is good
    assert {k: v for k, v in claims.items() if k not in ("iat", "exp")} == {
        k: v for k, v in CLAIMS.items() if k not in ("iat", "exp")
    }
    now = time.time()
    assert claims["exp"] < now and claims["iat"] < claims["exp"]
    assert header_of(forged)["alg"] == "HS256"


def test_an_expired_token_signed_with_another_secret_fails_the_signature():
    forged = expired_token(TOKEN, "another-secret-that-is-also-32-bytes-long")
    with pytest.raises(jwt.InvalidSignatureError):
        verify(forged, options={"verify_exp": False})


def test_a_recently_expired_token_expired_when_asked():
    forged = expired_token(TOKEN, SECRET, seconds_ago=120)
    claims = verify(forged, options={"verify_exp": False})
    assert 110 <= time.time() - claims["exp"] <= 130
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(forged, leeway=60)  # beyond a minute of clock-skew allowance
    verify(forged, leeway=3000)  # what a leeway read in the wrong unit lets through


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the test's own checks
def test_tokens_signed_with_other_keys_are_good_tokens_under_every_sample_key_and_one_made_up():
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        forged = tokens_signed_with_other_keys(TOKEN, role="admin")
    assert not warned  # short sample keys on purpose: no warning in the run's output
    assert len(forged) == len(WELL_KNOWN_SIGNING_KEYS) + 1
    for token, key in zip(forged, WELL_KNOWN_SIGNING_KEYS, strict=False):
        assert jwt.decode(token, key, algorithms=["HS256"])["role"] == "admin"
        with pytest.raises(jwt.InvalidSignatureError):
            verify(token)
    made_up_key_token = forged[-1]
    assert (
        all(_fails_signature(made_up_key_token, key) for key in (SECRET, *WELL_KNOWN_SIGNING_KEYS))
        and claims_of(made_up_key_token)["sub"] == CLAIMS["sub"]
    )
    assert forged[-1] != tokens_signed_with_other_keys(TOKEN, role="admin")[-1]  # a new made-up key every time


def _fails_signature(token: str, key: str) -> bool:
    try:
        jwt.decode(token, key, algorithms=["HS256"])
    except jwt.InvalidSignatureError:
        return True
    return False
