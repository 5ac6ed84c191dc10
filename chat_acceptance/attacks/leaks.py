"""Does an error answer reveal a streaming session ID the scenario received, whole or in part, anywhere in it?

The answer is judged as it came (raw evidence, never after redaction): the status line, every header name and
value (Set-Cookie included), and the body, both as sent and, when it is JSON, with its strings decoded, so
that whatever a field is called (`expectedToken`, `hint`...) and however a value is escaped, it is searched;
and in every part, what percent-encoding or base64 (a cookie-session blob, a JWT segment) hides.

A leak is the whole ID, or a run of at least six consecutive characters of its *unpredictable part*, in any
letter case, that the request itself did not carry (compared exactly: the client's own text coming back, such
as a near miss echoed in the message, is no leak).

The unpredictable part. IDs are opaque, but they need not be random throughout: the original system's
stream-{ms timestamp}-{8 hex} starts with a fixed word and the time, and a header such as X-RateLimit-Reset,
which carries the time too, shares digits with it without revealing anything. So the run learns from several
issued IDs what they have in common at their start and at their end (`IdSamples`); the rest, where they differ,
is what nobody may be shown. Until two different IDs are known, the whole ID counts as unpredictable.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_RUN = 6
_MAX_SAMPLES = 16  # enough to learn the fixed parts; more would only cost time


@dataclass(frozen=True)
class Leak:
    where: str  # "the status line", "header 'X-...'", "the body": the same words in every run
    revealed: str  # the run of the ID found there
    whole: bool  # the whole ID


class IdSamples:
    """Issued streaming session IDs seen in this run, and what they share at their start and end (the
    predictable part). Shared by the run's scenarios; safe to feed from several threads."""

    def __init__(self, samples: Iterable[str] = ()):
        self._samples: list[str] = []
        self._lock = threading.Lock()
        for sample in samples:
            self.learn(sample)

    def learn(self, issued: str | None) -> None:
        if not issued:
            return
        with self._lock:
            if issued not in self._samples and len(self._samples) < _MAX_SAMPLES:
                self._samples.append(issued)

    def unpredictable_part(self, issued: str) -> str:
        """`issued` without the start and end every issued ID shares (the whole ID until two are known)."""
        with self._lock:
            others = [sample for sample in self._samples if sample != issued]
        if not others:
            return issued
        samples = [issued, *others]
        prefix = len(os.path.commonprefix(samples))
        suffix = len(os.path.commonprefix([sample[::-1] for sample in samples]))
        middle = issued[prefix : max(prefix, len(issued) - suffix)]
        return middle or issued


def leaks_in(
    issued: str,
    *,
    status_line: str,
    headers: Mapping[str, str],
    body: str | None,
    request_parts: Iterable[str | None],
    unpredictable: str | None = None,
) -> list[Leak]:
    """Every part of one answer that reveals `issued`: the whole ID, or a run of its `unpredictable` part (the
    whole ID by default), the longest per part; a text the request itself held is never counted."""
    if not issued:
        return []
    sent = "\n".join(part for part in request_parts if part)
    parts = [("the status line", status_line)]
    parts += [(f"header {name!r}", _with_encodings_undone(f"{name}: {value}")) for name, value in headers.items()]
    parts.append(("the body", _with_encodings_undone(_with_decoded_strings(body or ""))))
    leaks = []
    for where, text in parts:
        run = _whole(issued, text, sent) or longest_run(unpredictable or issued, text, sent)
        if run:
            leaks.append(Leak(where, run, run.lower() == issued.lower()))
    return leaks


def _whole(issued: str, text: str, sent: str) -> str | None:
    return issued if _shown(issued, text, sent) else None


def longest_run(part: str, text: str, sent: str = "") -> str | None:
    """The longest run of `part` (at least MIN_RUN characters, or the whole of a shorter part) that `text` holds,
    in any letter case, where the text that holds it is not exactly in `sent`."""
    lowered_part, lowered_text = part.lower(), text.lower()
    shortest = min(MIN_RUN, len(part))
    # Quick way out: a text that holds no run of the shortest length holds no longer one either.
    if not any(lowered_part[start : start + shortest] in lowered_text for start in range(len(part) - shortest + 1)):
        return None
    for length in range(len(part), shortest - 1, -1):
        for start in range(len(part) - length + 1):
            run = part[start : start + length]
            if _shown(run, text, sent):
                return run
    return None


def _shown(run: str, text: str, sent: str) -> bool:
    """Whether `text` holds `run` in any letter case somewhere that the request did not send, exactly, itself."""
    lowered_text, lowered_run = text.lower(), run.lower()
    start = lowered_text.find(lowered_run)
    while start != -1:
        if text[start : start + len(run)] not in sent:
            return True
        start = lowered_text.find(lowered_run, start + 1)
    return False


# A run of base64 or base64url characters long enough to hide six characters of an ID (8 encode 6).
_ENCODED = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _with_encodings_undone(text: str) -> str:
    """`text`, then what it says once percent-encoding and base64 (either alphabet: cookies, JWT segments, signed
    session blobs) are undone, one per line: an ID is revealed just as well encoded."""
    undone = [urllib.parse.unquote(text)] if "%" in text else []
    for match in _ENCODED.finditer(text):
        encoded = match.group().rstrip("=")
        for alphabet in (None, b"-_"):
            try:
                raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=alphabet, validate=True)
            except ValueError:
                continue
            decoded = raw.decode("utf-8", errors="ignore")
            if decoded and decoded.isprintable():
                undone.append(decoded)
    return "\n".join([text, *undone])


def _with_decoded_strings(body: str) -> str:
    """The body as sent, and, when it is JSON, every string in it (keys too) decoded, one per line."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    strings: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                strings.append(str(key))
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(parsed)
    return "\n".join([body, *strings])
