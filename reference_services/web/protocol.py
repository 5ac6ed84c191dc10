"""The HTTP protocol the reference services run on: uvicorn's h11 protocol with two changes.

- A request that cannot be parsed (a 1 MB header, a path that is not ASCII, garbage) is refused by uvicorn
  before any app runs, with a plain-text 400. The contract wants every error as a JSON object with a message,
  so this protocol writes that 400 as JSON.
- When the server starts a graceful shutdown it tells each connection; this protocol passes that on to the
  app through the lifespan state (SHUTTING_DOWN, an asyncio.Event), so that streams in flight can end with an
  `event: error` instead of being cut when the grace period ends.

Use it with `uvicorn.Config(..., http=JsonErrorsH11Protocol)`, or
`uvicorn --http reference_services.web.protocol:JsonErrorsH11Protocol ...`.
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

SHUTTING_DOWN = "shutting_down"  # the lifespan state key of the app's asyncio.Event
LINGER_SECONDS = 2.0  # after refusing, read and drop what the client still sends, so that it reads the answer
UNREADABLE_REQUEST = "The request could not be read as HTTP (request line, path or headers malformed or too large)"


def shutting_down_signal() -> dict[str, asyncio.Event]:
    """The lifespan state an app yields to be told of a graceful shutdown."""
    return {SHUTTING_DOWN: asyncio.Event()}


class JsonErrorsH11Protocol(H11Protocol):
    _refused = False

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"message": UNREADABLE_REQUEST, "code": "bad_request"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        try:
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # a response had already started: nothing more can be said
            pass
        # Closing at once with the rest of a large request unread would reset the connection, and the client
        # could lose the answer; so end our side, drop what still arrives, and close a little later.
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def shutdown(self) -> None:
        signal = (self.app_state or {}).get(SHUTTING_DOWN)
        if isinstance(signal, asyncio.Event):
            signal.set()
        super().shutdown()
