"""What the suite attaches to the Allure results: each HTTP exchange (and a streamed reply's transcript) as
readable text, redacted; notes; figures as JSON for tools such as `make bench`.

Every attachment goes through the run's redactor. A cheap no-op when behave runs without the Allure formatter;
needs `allure_dynamic.install()` from before_all. Attachments land on the running step, else the scenario.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import allure

from chat_acceptance.redaction import Redactor
from chat_acceptance.reporting.allure_dynamic import current_test
from chat_acceptance.transport.exchange import Exchange
from chat_acceptance.transport.sse import StreamResult

# The names of the JSON attachments that `make bench` reads: each streamed reply's timing (stream_timing()),
# and the near misses a scenario tried with how long their confirmations took (World.try_near_misses).
STREAM_TIMING = "stream timing"
NEAR_MISS_TIMING = "near miss timing"


def attach_exchange(exchange: Exchange, redactor: Redactor) -> None:
    """Attaches one HTTP exchange (and a streamed reply's transcript), redacted, to the running step or test;
    for a reply that streamed, also its timing as JSON (STREAM_TIMING), which `make bench` reads."""
    if current_test() is None:
        return
    allure.attach(
        format_exchange(exchange, redactor),
        name=exchange_title(exchange, redactor),
        attachment_type=allure.attachment_type.TEXT,
    )
    if exchange.stream is not None and exchange.stream.status == 200:
        attach_json(STREAM_TIMING, stream_timing(exchange.stream))


def attach_json(name: str, value: Any) -> None:
    """A machine-readable attachment (figures for tools such as `make bench`; never anything secret)."""
    if current_test() is None:
        return
    allure.attach(json.dumps(value), name=name, attachment_type=allure.attachment_type.JSON)


def stream_timing(stream: StreamResult) -> dict[str, Any]:
    """How long a reply spent streaming, machine-readable: the time from the request to the stream's end."""
    return {"streaming_s": round(stream.duration_s, 6), "events": len(stream.events), "ending": stream.ending.value}


def attach_failure(exchange: Exchange | None, redactor: Redactor) -> None:
    """Attaches the last exchange as the response that broke the expectation. Call from after_step on failure."""
    if exchange is None or current_test() is None:
        return
    allure.attach(
        "The last response before the failed expectation.\n\n" + format_exchange(exchange, redactor),
        name=f"✗ response that broke the expectation: {exchange_title(exchange, redactor)}",
        attachment_type=allure.attachment_type.TEXT,
    )


def attach_text(name: str, text: str, redactor: Redactor) -> None:
    if current_test() is None:
        return
    allure.attach(redactor.text(text), name=redactor.text(name), attachment_type=allure.attachment_type.TEXT)


def exchange_title(exchange: Exchange, redactor: Redactor) -> str:
    """E.g. "POST /api/chat/sessions/abc/stream → 200"."""
    url = urlsplit(exchange.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    outcome = exchange.status if exchange.status is not None else "no response"
    return redactor.text(f"{exchange.method} {target} → {outcome}")


def format_exchange(exchange: Exchange, redactor: Redactor) -> str:
    """The exchange as readable text: request, response, and a streamed reply's events with arrival times.

    Every part goes through the redactor, whether or not the client redacted it already, and so does the
    whole text at the end.
    """
    status = exchange.status if exchange.status is not None else "no response"
    sections = [
        f"{exchange.method} {exchange.url}\n"
        f"status {status} after {exchange.duration_s:.3f} s ({exchange.service} service)"
        + (f"\nerror: {exchange.error}" if exchange.error else ""),
        _section("request headers", _headers(exchange.request_headers, redactor)),
        _section("request body", _body(exchange.request_body, redactor)),
        _section("response headers", _headers(exchange.response_headers, redactor)),
    ]
    stream = exchange.stream
    response_body = exchange.response_body
    if response_body is None and stream is not None:
        response_body = stream.body  # a stream refused before its first event answers with a plain body
    if stream is None or response_body is not None:
        sections.append(_section("response body", _body(response_body, redactor)))
    if stream is not None:
        sections.append(
            _section(
                f"streamed reply, streaming session ID issued: {stream.streaming_session_id!r}", stream.transcript()
            )
        )
    return redactor.text("\n\n".join(sections))


def _section(title: str, content: str) -> str:
    return f"── {title}\n{content}"


def _headers(headers: Mapping[str, str] | None, redactor: Redactor) -> str:
    if not headers:
        return "(none)"
    return "\n".join(f"{name}: {value}" for name, value in redactor.headers(dict(headers)).items())


def _body(body: str | None, redactor: Redactor) -> str:
    redacted = redactor.body(body)
    if not redacted:
        return "(empty)"
    try:
        return json.dumps(json.loads(redacted), indent=2, ensure_ascii=False)
    except ValueError:
        return redacted
