"""Malformed bodies: what no client should send, which the platform must refuse clearly."""

from __future__ import annotations

NOT_JSON = b'{"message": "unfinished'
EMPTY = b""
MESSAGE_A_NUMBER = b'{"message": 42}'
LIST_NOT_OBJECT = b'["message", "Hello"]'
TITLE_NOT_TEXT = b'{"title": 42}'
