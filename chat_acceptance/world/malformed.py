"""Malformed requests: bodies no client should send, which the platform must refuse clearly."""
from __future__ import annotations

from collections.abc import Callable

from chat_acceptance.transport.client import ApiResponse, PlatformClient, session_path
from chat_acceptance.world.people import Person

# What a step calls a request -> (service, path for a conversation).
REQUESTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "a question": ("chat", lambda conversation: session_path(conversation) + "/stream"),
    "a reply confirmation": ("chat", lambda conversation: session_path(conversation) + "/update-stream"),
    "a new conversation": ("chat", lambda conversation: "/api/chat/sessions"),
    "a log-in": ("auth", lambda conversation: "/api/auth/login"),
    "a credit allocation": ("accounting", lambda conversation: "/api/credits/allocate"),
}

MALFORMATIONS: dict[str, bytes] = {
    "a body that is not JSON": b'{"message": "unfinished',
    "an empty body": b"",
    "a message that is a number": b'{"message": 42}',
    "a list instead of an object": b'["message", "Hello"]',
    "a title that is not text": b'{"title": 42}',
}


def send_malformed(
    platform: PlatformClient, person: Person, conversation_id: str, request: str, malformation: str
) -> ApiResponse:
    service, path = REQUESTS[request]
    api = getattr(platform, service)
    return api.call("POST", path(conversation_id), token=person.token, content=MALFORMATIONS[malformation])
