"""Malformed bodies: what no client should send, which the platform must refuse clearly."""

from __future__ import annotations

MALFORMATIONS: dict[str, bytes] = {
    "a body that is not JSON": b'{"message": "unfinished',
    "an empty body": b"",
    "a message that is a number": b'{"message": 42}',
    "a list instead of an object": b'["message", "Hello"]',
    "a title that is not text": b'{"title": 42}',
}
