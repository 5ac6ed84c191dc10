"""The chat service: models, sessions, streaming and confirming replies (default behaviour, no faults)."""

from __future__ import annotations

import asyncio
import re

import pytest

from reference_services.chat.storage import ChatStore
from reference_services.chat.streaming import ReplyStreamer
from reference_services.faults import ActiveFaults
from reference_services.model import BuiltinModel
from reference_services.security import Caller
from reference_services.wording import Wording
from tests.reference_services.reference_testkit import bad_tokens, raw_http, sse_events

STREAM_ID = re.compile(r"stream-\d{13}-[0-9a-f]{8}")


# --- models and sessions ---


def test_models_lists_an_available_model(api):
    response = api.request("GET", "chat", "/api/models", user="user1")
    assert response.status_code == 200
    models = response.json()["models"]
    assert models and all({"id", "name", "available"} <= model.keys() for model in models)
    assert any(model["available"] is True for model in models)


def test_health_answers_ok(api):
    response = api.request("GET", "chat", "/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "chat-service"}


def test_new_session_answers_id_title_and_creation_time(api):
    response = api.request("POST", "chat", "/api/chat/sessions", user="user1", json={"title": "About whales"})
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["sessionId"], str) and body["sessionId"]
    assert body["title"] == "About whales"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["createdAt"])


def test_new_session_needs_no_body(api):
    response = api.request("POST", "chat", "/api/chat/sessions", user="user1")
    assert response.status_code == 201
    assert response.json()["title"]


def test_initial_message_is_the_sessions_first_message(api):
    session_id = api.new_session("user1", title="t", initialMessage="First words", modelId="reference-echo")
    messages = api.session("user1", session_id).json()["messages"]
    assert [(message["role"], message["content"]) for message in messages] == [("user", "First words")]


def test_model_ids_may_be_strings_or_integers(api, funded):
    session_id = api.new_session(funded, modelId=7)
    response = api.request(
        "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user=funded, json={"message": "hi", "modelId": 7}
    )
    assert response.status_code == 200 and "event: done" in response.text


def test_session_list_holds_only_the_callers_sessions(api):
    mine = api.new_session("user1")
    theirs = api.new_session("user2")
    response = api.request("GET", "chat", "/api/chat/sessions", user="user1")
    assert response.status_code == 200
    listed = {session["sessionId"] for session in response.json()["sessions"]}
    assert mine in listed and theirs not in listed
    entry = next(session for session in response.json()["sessions"] if session["sessionId"] == mine)
    assert {"sessionId", "title", "createdAt", "updatedAt"} <= entry.keys()


def test_session_reads_back(api):
    session_id = api.new_session("user1", title="Read me")
    response = api.session("user1", session_id)
    assert response.status_code == 200
    assert response.json()["sessionId"] == session_id
    assert response.json()["title"] == "Read me"
    assert response.json()["messages"] == []


def test_another_users_session_does_not_exist_for_them(api, funded):
    session_id, result = api.streamed_session(funded)
    assert api.session("user2", session_id).status_code == 404
    assert api.stream("user2", session_id).status == 404
    assert api.confirm("user2", session_id, result.streaming_session_id).status_code == 404
    assert api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user="user2").status_code == 404
    # ... and it is untouched for its owner
    assert api.session(funded, session_id).status_code == 200
    assert api.confirm(funded, session_id, result.streaming_session_id).status_code == 200


def test_deleted_session_is_gone_on_every_route(api, funded):
    session_id, result = api.streamed_session(funded)
    response = api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user=funded)
    assert response.status_code == 200
    assert response.json()["sessionId"] == session_id and response.json()["message"]
    assert api.session(funded, session_id).status_code == 404
    assert api.stream(funded, session_id).status == 404
    assert api.confirm(funded, session_id, result.streaming_session_id).status_code == 404
    assert api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user=funded).status_code == 404
    listed = api.request("GET", "chat", "/api/chat/sessions", user=funded).json()["sessions"]
    assert session_id not in {session["sessionId"] for session in listed}


def test_unknown_session_is_404(api):
    assert api.session("user1", "no-such-session").status_code == 404
    assert api.stream("user1", "no-such-session").status == 404
    assert api.confirm("user1", "no-such-session", "stream-1700000000000-deadbeef").status_code == 404


# --- streaming ---


def test_stream_sends_the_id_header_chunks_and_done(api, funded):
    session_id = api.new_session(funded)
    result = api.stream(funded, session_id, "What is a stream?")
    assert result.status == 200
    assert result.headers["Content-Type"] == "text/event-stream"
    assert result.headers["Cache-Control"] == "no-cache"
    assert STREAM_ID.fullmatch(result.streaming_session_id)
    chunks = result.payloads("chunk")
    assert len(chunks) == 5 and all(isinstance(chunk["text"], str) and chunk["text"] for chunk in chunks)
    assert result.ended == "done"
    assert [name for name, _ in result.events] == ["chunk"] * 5 + ["done"]
    done = result.payloads("done")[0]
    assert isinstance(done["tokensUsed"], int) and done["tokensUsed"] > 0


def test_stream_leaves_the_message_and_the_reply_in_the_session(api, funded):
    session_id = api.new_session(funded)
    result = api.stream(funded, session_id, "Remember this")
    messages = api.session(funded, session_id).json()["messages"]
    assert [(message["role"], message["content"]) for message in messages] == [
        ("user", "Remember this"),
        ("assistant", result.text),
    ]
    assert all(message["timestamp"] for message in messages)


def test_stream_is_charged_one_credit_per_token(api, funded):
    before = api.balance(funded)
    session_id = api.new_session(funded)
    result = api.stream(funded, session_id)
    assert api.balance(funded) == before - result.payloads("done")[0]["tokensUsed"]


def test_each_stream_gets_a_new_id(api, funded):
    session_id = api.new_session(funded)
    first, second = api.stream(funded, session_id), api.stream(funded, session_id)
    assert first.streaming_session_id != second.streaming_session_id


def test_stream_without_credits_is_402_before_any_event(api):
    broke = api.new_user()
    session_id = api.new_session(broke)
    result = api.stream(broke, session_id)
    assert result.status == 402
    assert result.body["message"]
    assert result.headers["Content-Type"] == "application/json"
    assert "X-Streaming-Session-Id" not in result.headers
    assert api.session(broke, session_id).json()["messages"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"message": ""}, {"message": 42}, {"message": None}, {"message": ["hi"]}, {"modelId": "x"}, [], "hello"],
    ids=["empty", "empty-message", "number", "null", "list", "no-message", "array", "string"],
)
def test_stream_with_an_invalid_body_is_400(api, funded, body):
    session_id = api.new_session(funded)
    response = api.request("POST", "chat", f"/api/chat/sessions/{session_id}/stream", user=funded, json=body)
    assert response.status_code == 400
    assert response.json()["message"]
    assert "x-streaming-session-id" not in response.headers


def test_stream_without_a_token_is_401(api):
    session_id = api.new_session("user1")
    result = api.stream(None, session_id)
    assert result.status == 401 and result.body["message"]


def test_streaming_id_header_is_written_in_mixed_case_on_the_wire(api, funded):
    session_id = api.new_session(funded)
    head = raw_http(
        api.platform.chat_url,
        "POST",
        f"/api/chat/sessions/{session_id}/stream",
        {"Authorization": f"Bearer {api.token(funded)}", "Content-Type": "application/json"},
        b'{"message": "hi"}',
    )
    assert re.search(rb"\r\nX-Streaming-Session-Id: stream-\d{13}-[0-9a-f]{8}\r\n", head), head


def test_sse_framing_is_event_and_data_lines_then_a_blank_line(api, funded):
    session_id = api.new_session(funded)
    response = api.request(
        "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user=funded, json={"message": "frame me"}
    )
    events = response.text.split("\n\n")
    assert events[-1] == ""  # the body ends with a blank line
    for event in events[:-1]:
        name, data = event.split("\n")
        assert name in ("event: chunk", "event: done")
        assert data.startswith("data: {")


def test_client_leaving_mid_stream_breaks_nothing(api, funded):
    session_id = api.new_session(funded)
    response = api.request(
        "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user=funded, json={"message": "x"}, stream=True
    )
    next(response.iter_content(chunk_size=None))
    response.close()
    assert api.request("GET", "chat", "/api/health").status_code == 200
    assert api.stream(funded, session_id).ended == "done"


# --- confirming a streamed reply (update-stream) ---


def mismatch(response) -> bool:
    return response.status_code == 400 and "mismatch" in response.json()["message"].lower()


def test_right_id_confirms_and_replaces_the_last_reply(api, funded):
    session_id, result = api.streamed_session(funded)
    response = api.confirm(funded, session_id, result.streaming_session_id, complete_response="Edited", tokens_used=7)
    assert response.status_code == 200
    assert response.json()["sessionId"] == session_id
    assert response.json()["tokensUsed"] == 7
    assert response.json()["message"]
    messages = api.session(funded, session_id).json()["messages"]
    assert messages[-1]["role"] == "assistant" and messages[-1]["content"] == "Edited"
    assert len(messages) == 2


def test_right_id_confirms_again(api, funded):
    session_id, result = api.streamed_session(funded)
    assert api.confirm(funded, session_id, result.streaming_session_id, complete_response="one").status_code == 200
    assert api.confirm(funded, session_id, result.streaming_session_id, complete_response="two").status_code == 200
    assert api.session(funded, session_id).json()["messages"][-1]["content"] == "two"


def test_made_up_id_is_a_mismatch(api, funded):
    session_id, result = api.streamed_session(funded)
    for made_up in ("stream-1700000000000-deadbeef", "nonsense", result.streaming_session_id + "x"):
        response = api.confirm(funded, session_id, made_up)
        assert mismatch(response)
        assert result.streaming_session_id not in response.text


def test_earlier_streams_id_is_a_mismatch(api, funded):
    session_id, earlier = api.streamed_session(funded)
    latest = api.stream(funded, session_id)
    response = api.confirm(funded, session_id, earlier.streaming_session_id)
    assert mismatch(response)
    assert latest.streaming_session_id not in response.text


def test_another_sessions_id_is_a_mismatch(api, funded):
    session_id, result = api.streamed_session(funded)
    _, other = api.streamed_session(funded)
    response = api.confirm(funded, session_id, other.streaming_session_id)
    assert mismatch(response)
    assert result.streaming_session_id not in response.text


def test_empty_id_is_a_mismatch(api, funded):
    session_id, _ = api.streamed_session(funded)
    assert mismatch(api.confirm(funded, session_id, ""))


def test_no_stream_yet_means_every_id_is_a_mismatch(api):
    session_id = api.new_session("user1")
    assert mismatch(api.confirm("user1", session_id, "stream-1700000000000-deadbeef"))


@pytest.mark.parametrize(
    "claim",
    [{"$ne": None}, {"$gt": ""}, 12345, None, ["stream-1700000000000-deadbeef"], True, 1.5, "\ud800"],
    ids=["ne-operator", "gt-operator", "number", "null", "list", "boolean", "float", "lone-surrogate"],
)
def test_non_string_or_broken_id_is_an_invalid_body(api, funded, claim):
    session_id, result = api.streamed_session(funded)
    response = api.confirm(funded, session_id, claim)
    assert response.status_code == 400
    assert response.json()["message"]
    assert result.streaming_session_id not in response.text
    assert api.session(funded, session_id).json()["messages"][-1]["content"] == result.text  # nothing confirmed


@pytest.mark.parametrize(
    "body",
    [
        {"completeResponse": "x", "tokensUsed": 1},
        {"streamingSessionId": "ID", "tokensUsed": 1},
        {"completeResponse": "x", "streamingSessionId": "ID"},
        {"completeResponse": 5, "streamingSessionId": "ID", "tokensUsed": 1},
        {"completeResponse": "x", "streamingSessionId": "ID", "tokensUsed": -1},
        {"completeResponse": "x", "streamingSessionId": "ID", "tokensUsed": "5"},
        {"completeResponse": "x", "streamingSessionId": "ID", "tokensUsed": 1.5},
        [],
    ],
    ids=[
        "missing-id",
        "missing-response",
        "missing-tokens",
        "response-number",
        "negative-tokens",
        "tokens-string",
        "tokens-float",
        "array",
    ],
)
def test_other_invalid_bodies_are_400(api, funded, body):
    session_id, result = api.streamed_session(funded)
    if isinstance(body, dict) and body.get("streamingSessionId") == "ID":
        body = {**body, "streamingSessionId": result.streaming_session_id}
    response = api.confirm(funded, session_id, None, body=body)
    assert response.status_code == 400
    assert response.json()["message"]
    assert result.streaming_session_id not in response.json()["message"]


def test_confirming_without_a_token_is_401(api, funded):
    session_id, result = api.streamed_session(funded)
    assert api.confirm(None, session_id, result.streaming_session_id).status_code == 401


@pytest.mark.parametrize("kind", ["expired", "tampered", "wrong_key", "refresh", "alg_none", "garbage"])
def test_bad_tokens_are_401_on_every_chat_route(api, funded, kind):
    session_id, result = api.streamed_session(funded)
    token = bad_tokens(api, funded)[kind]
    calls = [
        ("GET", "/api/models", None),
        ("GET", "/api/chat/sessions", None),
        ("POST", "/api/chat/sessions", {"title": "x"}),
        ("GET", f"/api/chat/sessions/{session_id}", None),
        ("POST", f"/api/chat/sessions/{session_id}/stream", {"message": "hi"}),
        (
            "POST",
            f"/api/chat/sessions/{session_id}/update-stream",
            {"completeResponse": "x", "streamingSessionId": result.streaming_session_id, "tokensUsed": 1},
        ),
        ("DELETE", f"/api/chat/sessions/{session_id}", None),
    ]
    for method, path, body in calls:
        response = api.request(method, "chat", path, token=token, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["message"]
    assert api.session(funded, session_id).status_code == 200


def test_identity_comes_from_the_token_alone(api):
    theirs = api.new_session("user2")
    headers = {"X-User-Id": api.user_id("user2")}
    assert api.request("GET", "chat", f"/api/chat/sessions/{theirs}", user="user1", headers=headers).status_code == 404
    listed = api.request("GET", "chat", "/api/chat/sessions", user="user1", headers=headers).json()["sessions"]
    assert theirs not in {session["sessionId"] for session in listed}


# --- browsers (CORS) ---


def test_preflight_allows_authorization_and_content_type(api):
    for service, path in (
        ("chat", "/api/chat/sessions"),
        ("auth", "/api/auth/login"),
        ("accounting", "/api/credits/allocate"),
    ):
        response = api.request(
            "OPTIONS",
            service,
            path,
            headers={
                "Origin": "http://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert response.status_code == 200, (service, response.text)
        assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://app.example")
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed


def test_every_chat_response_exposes_the_streaming_id_header(api, funded):
    session_id = api.new_session(funded)
    origin = {"Origin": "http://app.example"}
    responses = [
        api.request(
            "POST",
            "chat",
            f"/api/chat/sessions/{session_id}/stream",
            user=funded,
            json={"message": "hi"},
            headers=origin,
        ),
        api.request("GET", "chat", "/api/chat/sessions", user=funded, headers=origin),
        api.request("GET", "chat", "/api/chat/sessions", user=funded),  # no Origin
        api.request("GET", "chat", "/api/chat/sessions/nope", user=funded, headers=origin),  # an error
    ]
    for response in responses:
        exposed = [name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")]
        assert "x-streaming-session-id" in exposed
    assert responses[0].headers["Access-Control-Allow-Origin"] in ("*", "http://app.example")


# --- the model and a generation failing after the start (no HTTP needed) ---


def test_builtin_model_is_deterministic_and_streams_pieces_that_join_back():
    model = BuiltinModel(chunks=5, chunk_delay=0)

    async def pieces() -> list[str]:
        return [piece async for piece in model.stream_reply("Tell me  about\nwhales")]

    first, second = asyncio.run(pieces()), asyncio.run(pieces())
    assert first == second and len(first) == 5
    assert "".join(first) == model.compose_reply("Tell me  about\nwhales")
    assert model.tokens_used("x", "".join(first)) > 0


class FailingModel(BuiltinModel):
    async def stream_reply(self, prompt: str):
        yield "Half a "
        raise RuntimeError("the upstream model went away")


class NoCredits:
    async def charge(self, user_id: str, credits: int) -> int:
        return 0


def test_a_generation_failure_after_the_start_ends_with_an_error_event(tmp_path):
    store = ChatStore(tmp_path)
    session = store.create_session("s1", "u1", "t", None, None)
    streamer = ReplyStreamer(store, FailingModel(), NoCredits(), ActiveFaults(), Wording(), credits_per_token=1)
    caller = Caller("u1", "user", "u@example.com", "enduser")

    async def body() -> str:
        return "".join([event async for event in streamer.events(session, caller, "hi", "stream-id")])

    events = list(sse_events([asyncio.run(body()).encode()]))
    assert [name for name, _ in events] == ["chunk", "error"]
    assert {"message", "code"} <= events[1][1].keys()
