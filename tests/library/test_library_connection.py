"""What a profile changes on the wire: headers every request carries, and where the health checks are."""
from __future__ import annotations

from scripted_server import json_reply

from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import Connection, HttpTransport, PlatformClient, Timeouts

TIMEOUTS = Timeouts(2, 2, 5, 100)


def client(server, connection: Connection | None = None, health_paths=None) -> PlatformClient:
    transport = HttpTransport(TIMEOUTS, Redactor(["gk-secret"]), connection=connection)
    return PlatformClient(transport, auth_url=server.url, accounting_url=server.url, chat_url=server.url,
                          health_paths=health_paths)


def test_extra_headers_go_with_every_request_and_a_steps_own_header_wins(server):
    platform = client(server, Connection(headers={"X-Api-Key": "gk-secret", "X-Tenant": "qa"}))
    for _ in range(2):
        server.reply(json_reply(200, {}))
    platform.auth.login("alice", "pw")
    platform.chat.call("GET", "/api/models", headers={"X-Tenant": "other"})
    first, second = server.received
    assert (first.headers["x-api-key"], first.headers["x-tenant"]) == ("gk-secret", "qa")
    assert (second.headers["x-api-key"], second.headers["x-tenant"]) == ("gk-secret", "other")


def test_without_a_connection_no_extra_header_is_sent(server):
    server.reply(json_reply(200, {}))
    client(server).auth.login("alice", "pw")
    assert "x-api-key" not in server.received[0].headers


def test_health_checks_go_where_the_profile_says_or_where_the_contract_says(server):
    for _ in range(6):
        server.reply(json_reply(200, {}))
    for service in client(server, health_paths=("/auth/health", "/credits/health", "/chat/health")).services:
        service.health()
    for service in client(server).services:
        service.health()
    assert [received.target for received in server.received] == [
        "/auth/health", "/credits/health", "/chat/health", "/health", "/health", "/api/health",
    ]
