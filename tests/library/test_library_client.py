"""chat_acceptance.transport (http_transport, client): the HTTP transport against a scripted server."""

from __future__ import annotations

import json
import time
from urllib.parse import unquote

import jwt
import pytest

from chat_acceptance.redaction import Redactor
from chat_acceptance.reporting.attachments import format_exchange
from chat_acceptance.transport import http_transport
from chat_acceptance.transport.client import (
    MISSING,
    AccountingApi,
    AuthApi,
    ChatApi,
    PlatformClient,
    confirmation,
    session_path,
)
from chat_acceptance.transport.exchange import ApiResponse, Claims, Exchange, PlatformUnavailable, route_of
from chat_acceptance.transport.http_transport import HttpTransport, Timeouts
from chat_acceptance.transport.sse import Ending
from tests.library.scripted_server import Hold, Repeat, ScriptedReply, json_reply, sse

SECRET = "a-test-signing-secret-of-at-least-32-bytes!"
TOKEN = jwt.encode({"sub": "u1", "username": "user1", "role": "enduser", "type": "access"}, SECRET, algorithm="HS256")
PASSWORD = "User1@123"
MARGIN_S = 1.5


def make_transport(*, read_s: float = 2.0, deadline_s: float = 5.0, cap: int = 100, checker=None) -> HttpTransport:
    return HttpTransport(Timeouts(2.0, read_s, deadline_s, cap), Redactor([PASSWORD]), checker)


@pytest.fixture
def transport():
    made: list[HttpTransport] = []

    def make(**options) -> HttpTransport:
        made.append(make_transport(**options))
        return made[-1]

    yield make
    for item in made:
        item.close()


class RecordingChecker:
    def __init__(self):
        self.responses, self.events = [], []

    def check_response(self, method, path, status, headers, body):
        self.responses.append((method, path, status, body))

    def check_event(self, method, path, event, data):
        self.events.append((method, path, event, data))


def assert_one_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message, message
    assert "Traceback" not in message and 'File "' not in message, message


# ------------------------------------------------------------------------------------------ unavailable


def test_a_refused_port_is_one_line_naming_service_url_and_request(transport, refused_url):
    with pytest.raises(PlatformUnavailable) as caught:
        AuthApi(transport(), refused_url).health()

    message = str(caught.value)
    assert_one_line(message)
    assert message.startswith(f"auth service at {refused_url} is unavailable")
    assert "connection refused" in message
    assert message.endswith("(GET /health)")
    assert isinstance(caught.value, AssertionError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_refused_stream_request_is_unavailable_too(transport, refused_url):
    with pytest.raises(PlatformUnavailable) as caught:
        ChatApi(transport(), refused_url).stream_reply(TOKEN, "s1", "hello")

    message = str(caught.value)
    assert_one_line(message)
    assert f"chat service at {refused_url}" in message
    assert "(POST /api/chat/sessions/{sessionId}/stream)" in message  # the route: no IDs in verdicts


def test_an_unavailable_service_is_recorded_with_the_reason(transport, refused_url):
    http = transport()
    seen: list[Exchange] = []
    http.add_listener(seen.append)
    with pytest.raises(PlatformUnavailable):
        AccountingApi(http, refused_url).balance(TOKEN)

    [exchange] = seen
    assert exchange.status is None
    assert exchange.error == "connection refused"
    assert exchange.request_headers["Authorization"] == f"Bearer {TOKEN}"  # raw: the reports redact it


def test_a_body_trickling_forever_is_cut_at_the_read_deadline(server, transport):
    server.reply(
        ScriptedReply(
            headers=[("Content-Type", "application/json"), ("Content-Length", "1000000")],
            body=[b"[", Repeat(b" ", every_s=0.02)],
            chunked=False,
        )
    )
    read_s = 0.5
    started = time.monotonic()
    with pytest.raises(PlatformUnavailable) as caught:
        ChatApi(transport(read_s=read_s), server.url).models(TOKEN)
    elapsed = time.monotonic() - started

    message = str(caught.value)
    assert_one_line(message)
    assert "read timeout" in message and "(GET /api/models)" in message
    assert read_s <= elapsed < read_s + MARGIN_S  # a correctness bound: the deadline cuts the call


def test_a_chunked_body_trickling_forever_is_cut_too(server, transport):
    server.reply(ScriptedReply(headers=[("Content-Type", "application/json")], body=[Repeat(b" ", every_s=0.02)]))
    started = time.monotonic()
    with pytest.raises(PlatformUnavailable, match="read timeout"):
        ChatApi(transport(read_s=0.4), server.url).models(TOKEN)
    assert time.monotonic() - started < 0.4 + MARGIN_S


def test_no_answer_at_all_is_cut_at_the_read_timeout(server, transport):
    server.reply(ScriptedReply(headers=[("Content-Type", "application/json")], body=[Hold()], chunked=False))
    # Hold after the head: no body byte ever comes.
    with pytest.raises(PlatformUnavailable) as caught:
        AuthApi(transport(read_s=0.3), server.url).health()
    assert_one_line(str(caught.value))
    assert "read timeout" in str(caught.value)


def test_a_too_large_body_is_refused(server, transport, monkeypatch):
    monkeypatch.setattr(http_transport, "_MAX_BODY_BYTES", 1000)
    server.reply(ScriptedReply(headers=[("Content-Type", "application/json")], body=[b"x" * 400] * 5))

    with pytest.raises(PlatformUnavailable) as caught:
        ChatApi(transport(), server.url).models(TOKEN)
    message = str(caught.value)
    assert_one_line(message)
    assert "larger than 1000 bytes" in message


def test_the_default_size_cap_is_ten_mebibytes(server, transport):
    piece = b"x" * 65536
    count = 10 * 1024 * 1024 // len(piece) + 1
    server.reply(
        ScriptedReply(
            headers=[("Content-Type", "text/plain"), ("Content-Length", str(len(piece) * count))],
            body=[piece] * count,
            chunked=False,
        )
    )

    with pytest.raises(PlatformUnavailable, match=f"larger than {10 * 1024 * 1024} bytes"):
        AuthApi(transport(), server.url).health()


def test_a_body_just_under_the_cap_is_read(server, transport, monkeypatch):
    monkeypatch.setattr(http_transport, "_MAX_BODY_BYTES", 1000)
    server.reply(ScriptedReply(headers=[("Content-Type", "text/plain")], body=[b"y" * 500, b"y" * 500]))

    answer = AuthApi(transport(), server.url).health()
    assert answer.text == "y" * 1000


# ------------------------------------------------------------------------------------------ calls


def test_a_call_returns_status_headers_and_text(server, transport):
    server.reply(json_reply(201, {"sessionId": "s-1", "title": "t"}, headers=[("X-Extra", "1")]))

    answer = ChatApi(transport(), server.url).create_session(TOKEN, title="t")
    assert answer == ApiResponse("POST /api/chat/sessions", 201, answer.headers, answer.text)
    assert answer.json == {"sessionId": "s-1", "title": "t"}
    assert answer.field("sessionId") == "s-1"
    assert answer.headers["x-extra"] == "1"
    [received] = server.received
    assert received.method == "POST" and received.target == "/api/chat/sessions"
    assert json.loads(received.body) == {"title": "t"}
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["content-type"] == "application/json"


def test_every_call_has_a_connect_and_read_timeout(server, transport, monkeypatch):
    http = transport(read_s=7.0)
    sent = []
    original = http._session.send
    monkeypatch.setattr(
        http._session, "send", lambda request, **options: (sent.append(options), original(request, **options))[1]
    )
    server.reply(json_reply(200, {"status": "ok"}))
    server.reply(json_reply(402, {"message": "no credits"}))

    AuthApi(http, server.url).health()
    ChatApi(http, server.url).stream_reply(TOKEN, "s", "hi")
    assert [options["timeout"] for options in sent] == [(2.0, 7.0), (2.0, 5.0)]  # a stream: never past the deadline


@pytest.mark.parametrize(
    ("text", "json_value", "message"),
    [
        ('{"message": "bad"}', {"message": "bad"}, "bad"),
        ('{"message": 5}', {"message": 5}, None),
        ("[1, 2]", [1, 2], None),
        ("<html>oops</html>", None, None),
        ("", None, None),
    ],
)
def test_api_response_json_and_message(text, json_value, message):
    answer = ApiResponse("GET /x", 400, {}, text)
    assert answer.json == json_value
    assert answer.message == message
    assert answer.field("message") == (json_value.get("message") if isinstance(json_value, dict) else None)


def test_an_explicit_json_null_is_sent_as_null(server, transport):
    server.reply(json_reply(400, {"message": "invalid"}))

    ChatApi(transport(), server.url).confirm_reply(TOKEN, "s1", None)
    [received] = server.received
    assert received.body == b"null"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["content-length"] == "4"


def test_no_body_is_sent_when_none_is_given(server, transport):
    server.reply(json_reply(200, {"models": []}))

    ChatApi(transport(), server.url).models(TOKEN)
    [received] = server.received
    assert received.body == b""
    assert received.headers.get("content-length", "0") == "0"


def test_raw_content_is_sent_as_is_as_json(server, transport):
    server.reply(json_reply(400, {"message": "invalid JSON"}))

    ChatApi(transport(), server.url).call("POST", "/api/chat/sessions", token=TOKEN, content=b'{"message": "unfinished')
    [received] = server.received
    assert received.body == b'{"message": "unfinished'
    assert received.headers["content-type"] == "application/json"


# ------------------------------------------------------------------------------------------ identity claims

CLAIMS = Claims(
    headers={"X-User-Id": "alice-id"},
    query={"userId": "alice-id", "user": "alice"},
    body={"userId": "alice-id", "owner": "alice-id"},
)


def test_claims_go_in_headers_and_query_of_every_request_with_a_token(server, transport):
    server.reply(json_reply(200, {"sessions": []}))
    made = transport()
    made.add_claim_source(lambda token: CLAIMS)

    ChatApi(made, server.url).list_sessions(TOKEN)
    [received] = server.received
    assert received.target == "/api/chat/sessions?userId=alice-id&user=alice"
    assert received.headers["x-user-id"] == "alice-id"


def test_claims_go_in_a_write_s_json_body_without_replacing_its_own_fields(server, transport):
    server.reply(json_reply(400, {"message": "mismatch"}))
    made = transport()
    made.add_claim_source(lambda token: CLAIMS)

    ChatApi(made, server.url).confirm_reply(TOKEN, "s1", {"completeResponse": "r", "owner": "mine"})
    [received] = server.received
    assert json.loads(received.body) == {"completeResponse": "r", "owner": "mine", "userId": "alice-id"}


@pytest.mark.parametrize(
    "method, path, body",
    [
        (
            "POST",
            "/api/credits/allocate",
            {"userId": "carol", "credits": 5},
        ),  # the contract's userId names whom to credit
        ("POST", "/api/admin/users", {"username": "carol"}),  # and whom to create
        ("POST", "/api/chat/sessions/s1/update-stream", None),  # a JSON null is no object to add to
        ("POST", "/api/chat/sessions/s1/update-stream", ["a list"]),
        ("GET", "/api/chat/sessions", {"title": "a read"}),  # reads get no body fields
    ],
)
def test_claims_never_change_a_body_that_names_a_user_or_is_no_object_of_a_write(method, path, body):
    assert CLAIMS.body_for(method, path, body) == body


def test_no_claims_without_a_token_and_a_stopped_source_adds_none(server, transport):
    server.reply(json_reply(200, {"models": []}))
    server.reply(json_reply(200, {"models": []}))
    made = transport()
    stop = made.add_claim_source(lambda token: CLAIMS)
    ChatApi(made, server.url).call("GET", "/api/models")
    stop()
    ChatApi(made, server.url).models(TOKEN)
    assert [received.target for received in server.received] == ["/api/models", "/api/models"]
    assert all("x-user-id" not in received.headers for received in server.received)


def test_confirmation_leaves_a_missing_id_out_and_keeps_a_null_one():
    assert confirmation("reply", MISSING, 3) == {"completeResponse": "reply", "tokensUsed": 3}
    assert confirmation("reply", None, 3) == {"completeResponse": "reply", "streamingSessionId": None, "tokensUsed": 3}
    assert confirmation("reply", "sid", 0) == {
        "completeResponse": "reply",
        "streamingSessionId": "sid",
        "tokensUsed": 0,
    }
    assert confirmation("reply", {"$ne": ""}, 1)["streamingSessionId"] == {"$ne": ""}


def test_a_confirmation_without_the_id_goes_on_the_wire_without_it(server, transport):
    server.reply(json_reply(400, {"message": "streamingSessionId is required"}))

    ChatApi(transport(), server.url).confirm_reply(TOKEN, "s1", confirmation("r", MISSING, 2))
    [received] = server.received
    assert received.target == "/api/chat/sessions/s1/update-stream"
    assert json.loads(received.body) == {"completeResponse": "r", "tokensUsed": 2}


# ------------------------------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    ("session_id", "segment"),
    [("abc", "abc"), ("a/b c", "a%2Fb%20c"), ("x?y#z", "x%3Fy%23z"), ("100%", "100%25"), ("é", "%C3%A9")],
)
def test_session_path_quotes_an_opaque_id_as_one_segment(session_id, segment):
    assert session_path(session_id) == f"/api/chat/sessions/{segment}"


@pytest.mark.parametrize("session_id", ["a/b c", "x?y#z", "../x", "%2F", "a;b=c"])
def test_an_opaque_id_arrives_as_one_segment(server, transport, session_id):
    server.reply(json_reply(404, {"message": "not found"}))

    ChatApi(transport(), server.url).get_session(TOKEN, session_id)
    [received] = server.received
    prefix = "/api/chat/sessions/"
    assert received.target.startswith(prefix), received.target
    segment = received.target[len(prefix) :]
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert unquote(segment) == session_id


@pytest.mark.parametrize("session_id", ["..", "."])
def test_a_dot_segment_id_stays_inside_the_sessions_collection(server, transport, session_id):
    server.reply(json_reply(404, {"message": "not found"}))

    ChatApi(transport(), server.url).get_session(TOKEN, session_id)
    [received] = server.received
    prefix = "/api/chat/sessions/"
    assert received.target.startswith(prefix), received.target
    assert unquote(received.target[len(prefix) :]) == session_id


def test_user_ids_are_quoted_too(server, transport):
    server.reply(json_reply(404, {"message": "no such user"}))
    server.reply(json_reply(404, {"message": "no such user"}))
    http = transport()

    AuthApi(http, server.url).delete_user(TOKEN, "u/1")
    AccountingApi(http, server.url + "/").balance_of(TOKEN, "u 2")
    assert [r.target for r in server.received] == ["/api/admin/users/u%2F1", "/api/credits/balance/u%202"]


# ------------------------------------------------------------------------------------------ listeners


def test_listeners_get_one_raw_exchange_per_call_and_the_report_redacts_it(server, transport):
    """Raw evidence: the checks judge what came, Set-Cookie and secrets included; whatever shows an exchange
    redacts it (chat_acceptance.reporting.attachments.format_exchange)."""
    login_answer = {"accessToken": TOKEN, "refreshToken": TOKEN, "user": {"id": "u1", "username": "user1"}}
    server.reply(json_reply(200, login_answer, headers=[("Set-Cookie", f"refresh={TOKEN}; HttpOnly")]))
    server.reply(json_reply(200, {"totalCredits": 5}))
    http = transport()
    seen: list[Exchange] = []
    http.add_listener(seen.append)

    AuthApi(http, server.url).login("user1", PASSWORD)
    AccountingApi(http, server.url).balance(TOKEN)

    assert len(seen) == 2
    login, balance = seen
    assert (login.service, login.method, login.url, login.status) == (
        "auth",
        "POST",
        server.url + "/api/auth/login",
        200,
    )
    assert json.loads(login.request_body) == {"username": "user1", "password": PASSWORD}
    assert json.loads(login.response_body) == login_answer
    assert login.response_headers["Set-Cookie"] == f"refresh={TOKEN}; HttpOnly"
    assert balance.request_headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(balance.response_body) == {"totalCredits": 5}
    assert balance.duration_s >= 0 and balance.error is None
    for exchange in seen:
        shown = format_exchange(exchange, Redactor())
        assert TOKEN not in shown and PASSWORD not in shown and "eyJ" not in shown


def test_a_listener_can_be_stopped(server, transport):
    server.reply(json_reply(200, {"status": "ok"}))
    server.reply(json_reply(200, {"status": "ok"}))
    http = transport()
    seen: list[Exchange] = []
    stop = http.add_listener(seen.append)

    AuthApi(http, server.url).health()
    stop()
    AuthApi(http, server.url).health()
    assert len(seen) == 1


def test_every_answer_goes_through_the_contract_checker(server, transport):
    checker = RecordingChecker()
    server.reply(json_reply(200, {"status": "ok"}))
    AuthApi(transport(checker=checker), server.url).health()

    assert checker.responses == [("GET", "/health", 200, b'{"status": "ok"}')]


class RefusingChecker:
    """A contract checker that finds every answer wrong (as ContractChecker raises: an AssertionError)."""

    def check_response(self, method, path, status, headers, body):
        raise AssertionError(f"Contract violation: {method} {path} → {status}: $.x must be integer, got a string")

    def check_event(self, method, path, event, data):
        raise AssertionError(f"Contract violation: {method} {path} → 200, event {event}: $.x is required but missing")


def test_a_contract_finding_goes_to_the_finding_listeners_so_the_scenario_judges_its_promise_first(server, transport):
    server.reply(json_reply(200, {"status": "ok"}))
    server.reply(
        ScriptedReply(headers=STREAM_HEADERS, body=[sse("chunk", {"text": "Hi"}), sse("done", {"tokensUsed": 1})])
    )
    server.reply(json_reply(200, {"status": "ok"}))
    http = transport(checker=RefusingChecker())
    findings: list[AssertionError] = []
    stop = http.add_finding_listener(findings.append)

    assert AuthApi(http, server.url).health().status == 200
    assert ChatApi(http, server.url).stream_reply(TOKEN, "s1", "hello").text == "Hi"
    assert [str(finding).split(":", 2)[1] for finding in findings] == [
        " GET /health → 200",
        " POST /api/chat/sessions/s1/stream → 200",
        " POST /api/chat/sessions/s1/stream → 200, event chunk",
        " POST /api/chat/sessions/s1/stream → 200, event done",
    ]
    stop()
    with pytest.raises(AssertionError, match="Contract violation"):  # no listener (set-up, load): it raises
        AuthApi(http, server.url).health()


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/chat/sessions/ses-1f2e", "/api/chat/sessions/{sessionId}"),
        ("/api/chat/sessions/ses-1f2e/update-stream", "/api/chat/sessions/{sessionId}/update-stream"),
        ("/api/chat/sessions/a%2Fb/stream?x=1", "/api/chat/sessions/{sessionId}/stream"),
        ("/api/chat/sessions", "/api/chat/sessions"),
        ("/api/admin/users/42", "/api/admin/users/{userId}"),
        ("/api/credits/balance/user2", "/api/credits/balance/{userId}"),
        ("/api/credits/balance", "/api/credits/balance"),
    ],
)
def test_messages_name_the_route_never_an_id(path, route):
    assert route_of(path) == route


# ------------------------------------------------------------------------------------------ streams


STREAM_HEADERS = [("Content-Type", "text/event-stream; charset=utf-8"), ("x-streaming-session-id", "sid-1")]


def test_stream_reads_a_complete_reply_and_checks_each_event(server, transport):
    checker = RecordingChecker()
    server.reply(
        ScriptedReply(headers=STREAM_HEADERS, body=[sse("chunk", {"text": "Hi"}), sse("done", {"tokensUsed": 1})])
    )
    http = transport(checker=checker)
    seen: list[Exchange] = []
    http.add_listener(seen.append)

    result = ChatApi(http, server.url).stream_reply(TOKEN, "s 1", "hello")

    assert result.ending is Ending.DONE
    assert result.text == "Hi"
    assert result.streaming_session_id == "sid-1"
    [received] = server.received
    assert received.target == "/api/chat/sessions/s%201/stream"
    assert json.loads(received.body) == {"message": "hello"}
    assert [event[2] for event in checker.events] == ["chunk", "done"]
    assert checker.responses == [("POST", "/api/chat/sessions/s%201/stream", 200, None)]
    [exchange] = seen
    assert exchange.stream is result and exchange.response_body is None
    assert exchange.request_headers["Authorization"] == f"Bearer {TOKEN}"


def test_stream_refused_with_402_returns_refused_with_the_body(server, transport):
    server.reply(json_reply(402, {"message": "Insufficient credits"}))
    http = transport()
    seen: list[Exchange] = []
    http.add_listener(seen.append)

    result = ChatApi(http, server.url).stream_reply(TOKEN, "s1", "hello")

    assert result.status == 402
    assert result.ending is Ending.REFUSED
    assert json.loads(result.body) == {"message": "Insufficient credits"}
    assert result.events == () and result.streaming_session_id is None
    assert json.loads(seen[0].response_body) == {"message": "Insufficient credits"}


def test_stream_answered_200_without_an_event_stream(server, transport):
    server.reply(json_reply(200, {"reply": "whole"}, reason="OK"))

    result = ChatApi(transport(), server.url).stream_reply(TOKEN, "s1", "hello")
    assert result.status == 200
    assert result.ending is Ending.NOT_A_STREAM
    assert json.loads(result.body) == {"reply": "whole"}


def test_a_refusal_whose_body_never_ends_still_returns(server, transport):
    server.reply(
        ScriptedReply(
            status=500,
            reason="Oops",
            headers=[("Content-Type", "text/plain")],
            body=[b"partial", Repeat(b".", every_s=0.02)],
        )
    )

    result = ChatApi(transport(read_s=0.4), server.url).stream_reply(TOKEN, "s1", "hello")
    assert result.ending is Ending.REFUSED
    assert result.body.startswith("<body unreadable")


def test_a_silent_stream_is_cut_no_later_than_the_stream_deadline(server, transport):
    server.reply(ScriptedReply(headers=STREAM_HEADERS, body=[sse("chunk", {"text": "a"}), Hold()]))

    result = ChatApi(transport(read_s=30, deadline_s=0.4), server.url).stream_reply(TOKEN, "s1", "hello")
    assert result.ending in (Ending.DEADLINE, Ending.STALLED)
    assert result.duration_s < 0.4 + MARGIN_S


def test_the_stream_event_cap_comes_from_the_timeouts(server, transport):
    server.reply(ScriptedReply(headers=STREAM_HEADERS, body=[Repeat(sse("chunk", {"text": "x"}), every_s=0.005)]))

    result = ChatApi(transport(cap=4), server.url).stream_reply(TOKEN, "s1", "hello")
    assert result.ending is Ending.EVENT_CAP
    assert len(result.events) == 4


def test_platform_client_shares_one_transport(transport):
    http = transport()
    platform = PlatformClient(http, auth_url="http://a", accounting_url="http://b", chat_url="http://c")
    assert [(api.name, api.root) for api in platform.services] == [
        ("auth", "http://a"),
        ("accounting", "http://b"),
        ("chat", "http://c"),
    ]
    assert all(api.transport is http for api in platform.services)


# ------------------------------------------------------------------------------------------ threads


def test_each_thread_sends_with_its_own_session_and_exchanges_reach_the_listeners_in_the_callers_thread(
    server, transport
):
    """requests.Session is not thread-safe: a pool's workers each get their own; what they record is delivered,
    in order, in the thread that opened delivered_here (the one whose report context knows the running step)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(4):
        server.reply(json_reply(200, {"models": []}))
    made = transport()
    chat = ChatApi(made, server.url)
    delivered = []
    made.add_listener(lambda exchange: delivered.append((threading.current_thread().name, exchange.status)))
    sessions = {}  # thread -> the session it sent with

    def send(_):
        sessions.setdefault(threading.get_ident(), set()).add(id(made._session))
        return chat.models("token").status

    with made.delivered_here():
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(send, range(4))) == [200] * 4
        assert delivered == []  # held until the block ends
    assert all(len(used) == 1 for used in sessions.values())  # one session per thread, kept
    assert len({session for used in sessions.values() for session in used}) == len(sessions)  # none shared
    assert delivered == [(threading.current_thread().name, 200)] * 4


def test_a_listener_may_wait_on_requests_sent_from_other_threads(server, transport):
    """The invariants' snapshot: a listener that, for one exchange, sends reads from other threads and waits for
    them. Delivering while holding the transport's lock deadlocked (each read's exchange waited for that lock)."""
    import queue
    import threading

    for _ in range(3):
        server.reply(json_reply(200, {"models": []}))
    made = transport()
    chat = ChatApi(made, server.url)
    reads: list[object] = []

    def snapshot(exchange: Exchange) -> None:
        if reads:  # only for the first exchange: the reads' own exchanges come here too
            return
        reads.append("first")
        answers: queue.Queue[int] = queue.Queue()
        for _ in range(2):  # daemon threads: a regression fails this test instead of hanging the run
            threading.Thread(target=lambda: answers.put(chat.models("token").status), daemon=True).start()
        try:
            reads.extend(answers.get(timeout=5) for _ in range(2))
        except queue.Empty:
            reads.append("a read never finished")

    made.add_listener(snapshot)
    assert chat.models("token").status == 200
    assert reads == ["first", 200, 200]
