"""Reads a streamed reply (Server-Sent Events) into a StreamResult.

The reader never hangs and never invents anything: every stream has an overall deadline and an event cap,
the response is always closed, and a missing X-Streaming-Session-Id header stays missing (None).
"""

from __future__ import annotations

import codecs
import enum
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import sseclient
import urllib3.exceptions

STREAMING_SESSION_ID_HEADER = "X-Streaming-Session-Id"


class Ending(enum.StrEnum):
    """How a stream ended, in words a report reader understands."""

    DONE = "done event received"
    ERROR = "error event received"
    CLOSED_EARLY = "connection closed before the done event"
    DEADLINE = "overall deadline passed"
    STALLED = "no data within the read timeout"
    EVENT_CAP = "event cap reached"
    BROKEN = "connection broken"
    REFUSED = "refused before streaming"
    NOT_A_STREAM = "answered 200 without an event stream"


class MalformedStream(AssertionError):
    """An event whose data the contract fixes (chunk, done, error) is not what it should be."""


@dataclass(frozen=True)
class StreamEvent:
    name: str
    data: str
    arrived_after_s: float
    id: str | None = None

    def payload(self) -> Any:
        """The event's data as JSON, or a one-line MalformedStream naming the event."""
        try:
            return json.loads(self.data)
        except ValueError:
            raise MalformedStream(f"{self.name} event data is not JSON: {self.data[:120]!r}") from None


@dataclass(frozen=True)
class StreamResult:
    """Everything a client observed of one streamed reply."""

    status: int
    headers: Mapping[str, str]
    streaming_session_id: str | None
    events: tuple[StreamEvent, ...]
    ending: Ending
    duration_s: float
    detail: str = ""
    body: str | None = None  # the answer's body when it was refused before streaming
    request: str = ""  # e.g. "POST /api/chat/sessions/{sessionId}/stream": the route, for messages

    @property
    def chunks(self) -> tuple[StreamEvent, ...]:
        return tuple(event for event in self.events if event.name == "chunk")

    @property
    def text(self) -> str:
        """The reply: the chunks' texts joined."""
        texts = []
        for number, chunk in enumerate(self.chunks, start=1):
            payload = chunk.payload()
            if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
                raise MalformedStream(f"chunk event #{number} has no text: {chunk.data[:120]!r}")
            texts.append(payload["text"])
        return "".join(texts)

    @property
    def done(self) -> Any:
        """The done event's payload, or None when no done event arrived."""
        return next((event.payload() for event in self.events if event.name == "done"), None)

    @property
    def error(self) -> Any:
        return next((event.payload() for event in self.events if event.name == "error"), None)

    @property
    def message(self) -> str | None:
        """The error message of an answer refused before streaming (a JSON body with a "message")."""
        try:
            body = json.loads(self.body or "")
        except ValueError:
            return None
        message = body.get("message") if isinstance(body, dict) else None
        return message if isinstance(message, str) else None

    @property
    def first_chunk_after_s(self) -> float | None:
        return next((event.arrived_after_s for event in self.chunks), None)

    def transcript(self) -> str:
        """One line per event with its arrival time, for reports."""
        lines = [f"status {self.status}, streaming session ID {self.streaming_session_id!r}"]
        lines += [f"{event.arrived_after_s:8.3f}s  {event.name}: {_one_line(event.data)}" for event in self.events]
        lines.append(f"{self.duration_s:8.3f}s  end: {self.ending.value}{': ' + self.detail if self.detail else ''}")
        return "\n".join(lines)


class DeadlinePassed(Exception):
    """A body was still arriving when its deadline passed."""


class _BodyEnded(Exception):
    """The server closed the body. Raised instead of ending the iteration, because sseclient would then
    dispatch an unfinished last event, which the SSE standard discards."""


def read_stream(
    response: requests.Response, *, deadline_s: float, max_events: int, started: float | None = None
) -> StreamResult:
    """Reads `response` until done, error, close, the deadline or the event cap; always closes it.

    `started` is the monotonic time the request was sent (arrival times count from there); the overall
    deadline counts from the same moment. A silent server is cut off by the response's read timeout, which
    the caller sets no longer than the deadline.
    """
    started = time.monotonic() if started is None else started
    give_up_at = started + deadline_s
    events: list[StreamEvent] = []
    ending, detail = Ending.CLOSED_EARLY, ""
    try:
        for event in sseclient.SSEClient(_event_source(response, give_up_at)).events():
            events.append(StreamEvent(event.event, event.data, time.monotonic() - started, event.id))
            if event.event in ("done", "error"):
                ending = Ending.DONE if event.event == "done" else Ending.ERROR
                break
            if len(events) >= max_events:
                ending, detail = Ending.EVENT_CAP, f"{max_events} events"
                break
    except _BodyEnded:
        pass  # CLOSED_EARLY: the body ended before a done or error event
    except DeadlinePassed:
        ending, detail = Ending.DEADLINE, f"{deadline_s:g} s"
    except (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout):
        ending = Ending.DEADLINE if time.monotonic() >= give_up_at else Ending.STALLED
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        ending, detail = Ending.BROKEN, f"{type(exc).__name__}: {exc}"
    finally:
        response.close()
    return StreamResult(
        status=response.status_code,
        headers=response.headers,
        streaming_session_id=response.headers.get(STREAMING_SESSION_ID_HEADER),
        events=tuple(events),
        ending=ending,
        detail=detail,
        duration_s=time.monotonic() - started,
    )


def _event_source(response: requests.Response, give_up_at: float) -> Iterator[bytes]:
    """What sseclient reads: the body as valid UTF-8 (a bad byte becomes U+FFFD, as the SSE standard says),
    ending with _BodyEnded rather than StopIteration."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for piece in arriving_pieces(response, give_up_at):
        yield decoder.decode(piece).encode("utf-8")
    raise _BodyEnded


def arriving_pieces(response: requests.Response, give_up_at: float) -> Iterator[bytes]:
    """The body as it arrives, piece by piece; raises DeadlinePassed at the first piece after `give_up_at`.

    requests' own iteration buffers 128 bytes at a time, which would hold back small events; this reads each
    HTTP chunk as it comes, or whatever bytes are available when the body is not chunked.
    """
    raw = response.raw
    if raw.chunked and raw.supports_chunked_reads():
        pieces: Iterator[bytes] = raw.read_chunked(decode_content=True)
    else:
        pieces = iter(lambda: raw.read1(65536, decode_content=True), b"")
    for piece in pieces:
        if time.monotonic() > give_up_at:
            raise DeadlinePassed
        yield piece


def _one_line(data: str) -> str:
    """Multi-line event data on one transcript line: its line breaks shown as \\n."""
    return data.replace("\r", "\\r").replace("\n", "\\n")
