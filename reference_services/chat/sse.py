"""Server-Sent Events framing: `event: <name>` and `data: <json>` lines, a blank line after each event."""

from __future__ import annotations

import json


class EventWriter:
    """Formats the events of one stream.

    `chatty` (the chatty_sse fault) adds what a real SSE server may send and a client must tolerate:
    id: and retry: fields, comments, CRLF line ends. `extra_fields` adds fields to every payload.
    """

    def __init__(self, *, chatty: bool = False, extra_fields: bool = False) -> None:
        self.chatty = chatty
        self.extra_fields = extra_fields
        self.line_end = "\r\n" if chatty else "\n"
        self.sequence = 0

    def event(self, name: str, payload: dict) -> str:
        self.sequence += 1
        if self.extra_fields:
            payload = {**payload, "sequence": self.sequence, "server": "reference-services"}
        lines = [f"event: {name}", f"data: {json.dumps(payload)}"]  # json.dumps never writes a newline
        if self.chatty:
            lines.insert(0, f"id: {self.sequence}")
        return self._frame(lines)

    def comment(self, text: str) -> str:
        return self._frame([f": {text}"])

    def retry(self, milliseconds: int) -> str:
        return self._frame([f"retry: {milliseconds}"])

    def _frame(self, lines: list[str]) -> str:
        return self.line_end.join(lines) + self.line_end * 2
