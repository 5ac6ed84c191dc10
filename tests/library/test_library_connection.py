"""What a profile changes on the wire: headers every request carries, where the health checks are, the proxy, and
which certificates are trusted."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.redaction import Redactor
from chat_acceptance.transport.client import PlatformClient
from chat_acceptance.transport.exchange import PlatformUnavailable
from chat_acceptance.transport.http_transport import Connection, HttpTransport, Timeouts
from tests.library.scripted_server import json_reply

TIMEOUTS = Timeouts(2, 2, 5, 100)


def client(server, connection: Connection | None = None, health_paths=None) -> PlatformClient:
    transport = HttpTransport(TIMEOUTS, Redactor(["gk-secret"]), connection=connection)
    return PlatformClient(
        transport, auth_url=server.url, accounting_url=server.url, chat_url=server.url, health_paths=health_paths
    )


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
        "/auth/health",
        "/credits/health",
        "/chat/health",
        "/health",
        "/health",
        "/api/health",
    ]


def test_a_proxy_carries_every_request(server):
    proxied = HttpTransport(TIMEOUTS, Redactor(), connection=Connection(proxy=server.url))
    server.reply(json_reply(200, {}))
    PlatformClient(proxied, auth_url="http://auth.internal.test", accounting_url="", chat_url="").auth.health()
    assert server.received[0].target == "http://auth.internal.test/health"  # the absolute form a proxy gets


# -- TLS: a deployment behind a private certificate authority ------------------------------------------------


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A certificate authority of our own, a certificate it signed for 127.0.0.1 and one for a client:
    (ca, cert, key); the client's are client.pem and client.key beside them."""
    folder = tmp_path_factory.mktemp("tls")
    ca, ca_key, cert, key, request = (folder / name for name in ("ca.pem", "ca.key", "cert.pem", "key.pem", "req.csr"))

    def run(*arguments: str | Path) -> None:
        subprocess.run(["openssl", *map(str, arguments)], check=True, capture_output=True, timeout=60)

    def signed(out: Path, subject: str, key_file: Path, *extra: str | Path) -> None:
        """A new key and a certificate `out` for `subject`, signed by the CA."""
        run(*"req -newkey rsa:2048 -nodes -subj".split(), subject, "-keyout", key_file, "-out", request)
        run(*"x509 -req -CAcreateserial -days 1 -CA".split(), ca, "-CAkey", ca_key, "-in", request, *extra, "-out", out)

    run(*"req -x509 -newkey rsa:2048 -nodes -days 1 -subj".split(), "/CN=Test CA", "-keyout", ca_key, "-out", ca)
    extensions = folder / "san.cnf"
    extensions.write_text("subjectAltName = IP:127.0.0.1\n")
    signed(cert, "/CN=127.0.0.1", key, "-extfile", extensions)
    signed(folder / "client.pem", "/CN=chat-acceptance", folder / "client.key")
    return ca, cert, key


@contextmanager
def https_server(private_ca, *, mutual: bool) -> Iterator[str]:
    """A health check over TLS with our CA's certificate; `mutual`: only for clients with one our CA signed."""
    ca, cert, key = private_ca

    class Healthy(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def health_over_tls(url: str, **defines: str):
    config = SuiteConfig.from_sources(defines, list(defines), {})
    transport = HttpTransport(TIMEOUTS, Redactor(), connection=Connection.of(config))
    return PlatformClient(transport, auth_url=url, accounting_url=url, chat_url=url).auth.health()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify_tls off: as asked
def test_a_private_ca_is_trusted_only_when_the_profile_names_it(private_ca):
    with https_server(private_ca, mutual=False) as url:
        with pytest.raises(
            PlatformUnavailable,
            match=r"^auth service at https://127\.0\.0\.1:\d+ is unavailable: its "
            r"TLS certificate is not trusted \(.*set ca_bundle\) \(GET /health\)$",
        ):
            health_over_tls(url)
        assert health_over_tls(url, ca_bundle=str(private_ca[0])).status == 200
        assert health_over_tls(url, verify_tls="off").status == 200


def test_a_client_certificate_is_presented_when_the_profile_names_it(private_ca):
    ca = private_ca[0]
    client = {"client_certificate": str(ca.parent / "client.pem"), "client_key": str(ca.parent / "client.key")}
    with https_server(private_ca, mutual=True) as url:
        with pytest.raises(
            PlatformUnavailable,
            match=r"is unavailable: the TLS handshake failed \(.*; does it want a "
            r"client certificate\? set client_certificate\) \(GET /health\)$",
        ):
            health_over_tls(url, ca_bundle=str(ca))
        assert health_over_tls(url, ca_bundle=str(ca), **client).status == 200


def test_connection_of_a_configuration():
    defines = {"extra_headers": "X-Api-Key: k", "proxy": "http://proxy.test:3128", "verify_tls": "off"}
    connection = Connection.of(SuiteConfig.from_sources(defines, list(defines), {}))
    assert connection == Connection(headers={"X-Api-Key": "k"}, proxy="http://proxy.test:3128", verify=False)
