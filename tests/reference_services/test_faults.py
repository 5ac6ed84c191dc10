"""Every fault switch, proven over HTTP: each test starts a platform with that one fault and shows its effect.

The fault's absence is covered by the normal tests (test_chat, test_auth, test_accounting, test_robustness).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import sys
import time
import urllib.parse

import jwt
import pytest
import requests

from reference_services.faults import FAULTS, ActiveFaults, Fault, UnknownFaultError
from reference_services.wording import ALTERNATIVE, STANDARD
from tests.reference_services.reference_testkit import ReferenceClient, bad_tokens, eventually, raw_http

MADE_UP_ID = "stream-1700000000000-deadbeef"


def streamed(api: ReferenceClient, user: str = "user1"):
    """A session of `user` (given credits) with one completed stream."""
    assert api.allocate(user, 5000).status_code == 201
    return api.streamed_session(user)


def refused_as_mismatch(response) -> bool:
    return response.status_code == 400 and "mismatch" in response.json()["message"].lower()


# --- the registry itself ---


def test_every_fault_has_a_test_here():
    missing = [name for name in FAULTS if f"test_{name}" not in vars(sys.modules[__name__])]
    assert missing == []


def test_registry_entries_are_well_formed():
    for name, fault in FAULTS.items():
        assert fault.name == name and fault.description and "\n" not in fault.description
        assert dataclasses.is_dataclass(fault) and type(fault).__dataclass_params__.frozen
        if fault.kind == "defect":
            assert fault.caught_by and fault.via in ("scenario", "contract")
            assert all(re.fullmatch(r"behaviour\.[a-z_]+", tag) for tag in fault.caught_by)
        else:
            assert fault.kind == "legitimate" and fault.caught_by == ()


def test_active_faults_refuse_unknown_names():
    with pytest.raises(UnknownFaultError) as refused:
        ActiveFaults(["accept_any_id", "no_such_fault"])
    assert "no_such_fault" in str(refused.value) and "late_id_store" in str(refused.value)
    faults = ActiveFaults(["accept_any_id"])
    assert faults.on("accept_any_id") and not faults.on("late_id_store")
    with pytest.raises(UnknownFaultError):
        faults.on("typo_in_the_code")
    assert isinstance(FAULTS["accept_any_id"], Fault)


# --- confirming a streamed reply ---


def test_accept_any_id(platform_with):
    with platform_with("accept_any_id") as (_, api):
        session_id, _ = streamed(api)
        assert api.confirm("user1", session_id, "anything at all").status_code == 200


def test_shape_only_id_check(platform_with):
    with platform_with("shape_only_id_check") as (_, api):
        session_id, _ = streamed(api)
        assert api.confirm("user1", session_id, MADE_UP_ID).status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, "not-the-shape"))


def test_accept_earlier_stream_id(platform_with):
    with platform_with("accept_earlier_stream_id") as (_, api):
        session_id, earlier = streamed(api)
        api.stream("user1", session_id)
        assert api.confirm("user1", session_id, earlier.streaming_session_id).status_code == 200
        _, other = api.streamed_session("user1")
        assert refused_as_mismatch(api.confirm("user1", session_id, other.streaming_session_id))


def test_accept_other_session_id(platform_with):
    with platform_with("accept_other_session_id") as (_, api):
        session_id, _ = streamed(api)
        _, other = api.streamed_session("user1")
        assert api.confirm("user1", session_id, other.streaming_session_id).status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_reveal_expected_id(platform_with):
    with platform_with("reveal_expected_id") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and result.streaming_session_id in response.json()["message"]


def test_wrong_id_500(platform_with):
    with platform_with("wrong_id_500") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, MADE_UP_ID).status_code == 500
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_wrong_id_vague_400(platform_with):
    with platform_with("wrong_id_vague_400") as (_, api):
        session_id, _ = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert response.status_code == 400 and "mismatch" not in response.json()["message"].lower()


def test_object_id_wildcard(platform_with):
    with platform_with("object_id_wildcard") as (_, api):
        session_id, _ = streamed(api)
        assert api.confirm("user1", session_id, {"$ne": None}).status_code == 200
        assert api.confirm("user1", session_id, 12345).status_code == 400


def test_falsy_id_skips_check(platform_with):
    with platform_with("falsy_id_skips_check") as (_, api):
        session_id, _ = streamed(api)
        assert api.confirm("user1", session_id, None).status_code == 200
        assert api.confirm("user1", session_id, "").status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_confirmation_not_saved(platform_with):
    with platform_with("confirmation_not_saved") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, result.streaming_session_id, complete_response="New").status_code == 200
        assert api.session("user1", session_id).json()["messages"][-1]["content"] == result.text


def test_tokens_used_as_string(platform_with):
    with platform_with("tokens_used_as_string") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, result.streaming_session_id, tokens_used=12)
        assert response.status_code == 200 and response.json()["tokensUsed"] == "12"


def test_invalid_body_422(platform_with):
    with platform_with("invalid_body_422") as (_, api):
        session_id, _ = streamed(api)
        response = api.confirm("user1", session_id, {"$ne": None})
        assert response.status_code == 422 and "detail" in response.json()


# --- the stream ---


def test_no_id_header(platform_with):
    with platform_with("no_id_header") as (_, api):
        _, result = streamed(api)
        assert result.streaming_session_id is None and result.payloads("chunk") and result.ended == "done"


def test_no_done_event(platform_with):
    with platform_with("no_done_event") as (_, api):
        _, result = streamed_until_closed(api)
        assert result.payloads("chunk") and result.payloads("done") == [] and result.ended == "closed"


def streamed_until_closed(api: ReferenceClient):
    assert api.allocate("user1", 5000).status_code == 201
    session_id = api.new_session("user1")
    return session_id, api.stream("user1", session_id)


def test_no_chunks(platform_with):
    with platform_with("no_chunks") as (_, api):
        _, result = streamed(api)
        assert [name for name, _ in result.events] == ["done"]


def test_reply_not_saved(platform_with):
    with platform_with("reply_not_saved") as (_, api):
        session_id, result = streamed(api)
        assert [m["role"] for m in api.session("user1", session_id).json()["messages"]] == ["user"]
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200
        assert [m["role"] for m in api.session("user1", session_id).json()["messages"]] == ["user"]


def test_hang_after_chunks(platform_with):
    with platform_with("hang_after_chunks") as (platform, api):
        session_id, result = streamed_until_closed_or_timeout(api)
        assert len(result.payloads("chunk")) == 2 and result.ended == "timeout"
        # a hung stream, still open, must not hold stop() up
        hung = api.request(
            "POST",
            "chat",
            f"/api/chat/sessions/{session_id}/stream",
            user="user1",
            json={"message": "x"},
            stream=True,
        )
        received = hung.iter_content(chunk_size=None)
        assert b"event: chunk" in next(received) and b"event: chunk" in next(received)
        started = time.monotonic()
        platform.stop()
        assert time.monotonic() - started < 3  # ~1 s of grace, then the hung task is cancelled
        hung.close()


def streamed_until_closed_or_timeout(api: ReferenceClient):
    assert api.allocate("user1", 5000).status_code == 201
    session_id = api.new_session("user1")
    return session_id, api.stream("user1", session_id, read_timeout=0.5)


def test_done_before_chunks(platform_with):
    with platform_with("done_before_chunks") as (_, api):
        _, result = streamed(api)
        assert [name for name, _ in result.events] == ["done"]  # the reader stops at done; chunks come after
        session_id = api.new_session("user1")
        body = api.request(
            "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user="user1", json={"message": "x"}
        ).text
        assert body.index("event: done") < body.index("event: chunk")


def test_zero_tokens_used(platform_with):
    with platform_with("zero_tokens_used") as (_, api):
        _, result = streamed(api)
        assert result.payloads("done")[0]["tokensUsed"] == 0


def test_messages_out_of_order(platform_with):
    with platform_with("messages_out_of_order") as (_, api):
        session_id, _ = streamed(api)
        assert [m["role"] for m in api.session("user1", session_id).json()["messages"]] == ["assistant", "user"]


# --- who may see what ---


def test_no_ownership_check(platform_with):
    with platform_with("no_ownership_check") as (_, api):
        session_id, result = streamed(api)
        assert api.allocate("user2", 5000).status_code == 201
        assert api.session("user2", session_id).status_code == 200
        assert api.confirm("user2", session_id, result.streaming_session_id).status_code == 200
        assert api.stream("user2", session_id).ended == "done"
        assert api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user="user2").status_code == 200


def test_foreign_sessions_listed(platform_with):
    with platform_with("foreign_sessions_listed") as (_, api):
        theirs = api.new_session("user1")
        listed = api.request("GET", "chat", "/api/chat/sessions", user="user2").json()["sessions"]
        assert theirs in {session["sessionId"] for session in listed}


def test_signature_not_verified(platform_with):
    with platform_with("signature_not_verified") as (_, api):
        token = bad_tokens(api, "user1")["wrong_key"]
        assert api.request("GET", "chat", "/api/chat/sessions", token=token).status_code == 200


def test_alg_none_accepted(platform_with):
    with platform_with("alg_none_accepted") as (_, api):
        tokens = bad_tokens(api, "user1")
        assert api.request("GET", "chat", "/api/chat/sessions", token=tokens["alg_none"]).status_code == 200
        assert api.request("GET", "chat", "/api/chat/sessions", token=tokens["wrong_key"]).status_code == 401


def test_expiry_not_checked(platform_with):
    with platform_with("expiry_not_checked") as (_, api):
        token = bad_tokens(api, "user1")["expired"]
        assert api.request("GET", "chat", "/api/chat/sessions", token=token).status_code == 200


def test_token_type_not_checked(platform_with):
    with platform_with("token_type_not_checked") as (_, api):
        token = bad_tokens(api, "user1")["refresh"]
        assert api.request("GET", "chat", "/api/chat/sessions", token=token).status_code == 200


def test_anonymous_access(platform_with):
    with platform_with("anonymous_access") as (_, api):
        assert api.request("GET", "chat", "/api/chat/sessions").status_code == 200
        assert api.request("GET", "accounting", "/api/credits/balance").status_code == 200


def test_identity_from_header(platform_with):
    with platform_with("identity_from_header") as (_, api):
        theirs = api.new_session("user2")
        headers = {"X-User-Id": api.user_id("user2")}
        assert (
            api.request("GET", "chat", f"/api/chat/sessions/{theirs}", user="user1", headers=headers).status_code == 200
        )


def test_non_admin_allocation(platform_with):
    with platform_with("non_admin_allocation") as (_, api):
        assert api.allocate("user2", 77, by="user1").status_code == 201
        assert api.balance("user2") == 77


def test_supervisor_refused(platform_with):
    with platform_with("supervisor_refused") as (_, api):
        assert api.allocate("user2", 77, by="supervisor1").status_code == 403
        assert (
            api.request(
                "GET", "accounting", f"/api/credits/balance/{api.user_id('user2')}", user="supervisor1"
            ).status_code
            == 403
        )
        assert api.allocate("user2", 77, by="admin").status_code == 201


def test_balance_of_open_to_all(platform_with):
    with platform_with("balance_of_open_to_all") as (_, api):
        assert api.allocate("user2", 77).status_code == 201
        answer = api.request("GET", "accounting", f"/api/credits/balance/{api.user_id('user2')}", user="user1")
        assert answer.status_code == 200 and answer.json()["totalCredits"] == 77


def test_balance_of_ignores_user(platform_with):
    with platform_with("balance_of_ignores_user") as (_, api):
        assert api.allocate("user2", 77).status_code == 201
        answer = api.request("GET", "accounting", f"/api/credits/balance/{api.user_id('user2')}", user="admin")
        assert answer.status_code == 200 and answer.json()["totalCredits"] == api.balance("admin") != 77


def test_enduser_manages_users(platform_with):
    with platform_with("enduser_manages_users") as (_, api):
        body = {"username": "mallory", "email": "mallory@example.com", "password": "Str0ng!pass", "role": "admin"}
        created = api.request("POST", "auth", "/api/admin/users", user="user1", json=body)
        assert created.status_code == 201
        deleted = api.request("DELETE", "auth", f"/api/admin/users/{created.json()['userId']}", user="user1")
        assert deleted.status_code == 200


def test_cors_hides_streaming_id(platform_with):
    with platform_with("cors_hides_streaming_id") as (_, api):
        response = api.request(
            "GET", "chat", "/api/chat/sessions", user="user1", headers={"Origin": "http://a.example"}
        )
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"]
        assert "x-streaming-session-id" not in response.headers.get("Access-Control-Expose-Headers", "").lower()


def test_cors_preflight_without_authorization(platform_with):
    with platform_with("cors_preflight_without_authorization") as (_, api):
        preflight = api.request(
            "OPTIONS",
            "chat",
            "/api/chat/sessions/any/stream",
            headers={
                "Origin": "http://a.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert (
            preflight.status_code == 400
            and "authorization" not in preflight.headers.get("Access-Control-Allow-Headers", "").lower()
        )


# --- credits ---


def test_allocation_ignored(platform_with):
    with platform_with("allocation_ignored") as (_, api):
        assert api.allocate("user2", 500).status_code == 201
        assert api.balance("user2") == 0


def test_username_allocation_refused(platform_with):
    with platform_with("username_allocation_refused") as (_, api):
        assert api.allocate("user2", 500).status_code == 404
        assert api.allocate(api.user_id("user2"), 500).status_code == 201


def test_no_charge(platform_with):
    with platform_with("no_charge") as (_, api):
        assert api.allocate("user1", 5000).status_code == 201
        api.streamed_session("user1")
        assert api.balance("user1") == 5000


def test_no_credit_check(platform_with):
    with platform_with("no_credit_check") as (_, api):
        session_id = api.new_session("user2")
        assert api.balance("user2") == 0
        assert api.stream("user2", session_id).ended == "done"


def test_nonpositive_allocation_accepted(platform_with):
    with platform_with("nonpositive_allocation_accepted") as (_, api):
        assert api.allocate("user2", 0).status_code == 201
        assert api.allocate("user2", -5).status_code == 201


# --- sessions and models ---


def test_sessions_not_listed(platform_with):
    with platform_with("sessions_not_listed") as (_, api):
        api.new_session("user1")
        assert api.request("GET", "chat", "/api/chat/sessions", user="user1").json()["sessions"] == []


def test_delete_ignored(platform_with):
    with platform_with("delete_ignored") as (_, api):
        session_id = api.new_session("user1")
        assert api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user="user1").status_code == 200
        assert api.session("user1", session_id).status_code == 200


def test_no_models_available(platform_with):
    with platform_with("no_models_available") as (_, api):
        models = api.request("GET", "chat", "/api/models", user="user1").json()["models"]
        assert models and not any(model["available"] for model in models)


def test_created_at_missing(platform_with):
    with platform_with("created_at_missing") as (_, api):
        response = api.request("POST", "chat", "/api/chat/sessions", user="user1", json={"title": "x"})
        assert response.status_code == 201 and "createdAt" not in response.json()


def test_broken_json_500(platform_with):
    with platform_with("broken_json_500") as (_, api):
        response = api.request(
            "POST", "auth", "/api/auth/login", data=b"{broken", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")


# --- legitimate differences: the contract still holds ---


def test_header_lower_case(platform_with):
    with platform_with("header_lower_case") as (platform, api):
        assert wire_header_line(platform, api).startswith(b"x-streaming-session-id: ")
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_header_upper_case(platform_with):
    with platform_with("header_upper_case") as (platform, api):
        assert wire_header_line(platform, api).startswith(b"X-STREAMING-SESSION-ID: ")
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def wire_header_line(platform, api: ReferenceClient) -> bytes:
    """The streaming ID's header line as written on the wire."""
    assert api.allocate("user1", 5000).status_code == 201
    session_id = api.new_session("user1")
    head = raw_http(
        platform.chat_url,
        "POST",
        f"/api/chat/sessions/{session_id}/stream",
        {"Authorization": f"Bearer {api.token('user1')}", "Content-Type": "application/json"},
        b'{"message": "hi"}',
    )
    return next(line for line in head.split(b"\r\n") if line.lower().startswith(b"x-streaming-session-id:"))


def test_late_id_store(platform_with):
    with platform_with("late_id_store") as (_, api):
        session_id, result = streamed(api)
        assert refused_as_mismatch(api.confirm("user1", session_id, result.streaming_session_id))
        eventually(
            lambda: api.confirm("user1", session_id, result.streaming_session_id).status_code == 200, deadline_s=2
        )


def test_chatty_sse(platform_with):
    with platform_with("chatty_sse") as (_, api):
        session_id, result = streamed(api)
        chunks = result.payloads("chunk")
        assert len(chunks) > 20 and all(len(chunk["text"]) == 1 for chunk in chunks)
        assert result.events[0][0] == "progress"  # an event type clients do not know
        assert api.session("user1", session_id).json()["messages"][-1]["content"] == result.text
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200
        body = api.request(
            "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user="user1", json={"message": "x"}
        ).content
        for part in (b"\r\n\r\n", b"retry: ", b"id: ", b": heartbeat", b"event: progress"):
            assert part in body


def test_slow_model(platform_with):
    with platform_with("slow_model", model_chunks=2) as (_, api):
        assert api.allocate("user1", 5000).status_code == 201
        session_id = api.new_session("user1")
        started = time.monotonic()
        result = api.stream("user1", session_id)
        assert result.ended == "done" and time.monotonic() - started >= 0.2


def test_foreign_id_shapes(platform_with):
    with platform_with("foreign_id_shapes") as (_, api):
        session_id, result = streamed(api)
        assert re.fullmatch(r"[0-9a-f]{24}", session_id)
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", result.streaming_session_id
        )
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_extra_fields(platform_with):
    with platform_with("extra_fields") as (_, api):
        session_id, result = streamed(api)
        assert {"requestId", "apiVersion"} <= api.session("user1", session_id).json().keys()
        assert all(len(payload) > 1 for _, payload in result.events if "text" in payload)
        assert {"tokensUsed", "sequence"} <= result.payloads("done")[0].keys()
        error = api.confirm("user1", session_id, MADE_UP_ID).json()
        assert {"message", "code", "details"} <= error.keys() and "mismatch" in error["message"].lower()
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_different_economics(platform_with):
    with platform_with("different_economics") as (_, api):
        assert api.balance("user2") == 1000
        session_id = api.new_session("user2")
        result = api.stream("user2", session_id)
        assert api.balance("user2") == 1000 - 3 * result.payloads("done")[0]["tokensUsed"]


def test_different_wording(platform_with):
    with platform_with("different_wording") as (_, api):
        failed_login = api.login("user1", "wrong").json()["message"]
        assert failed_login == ALTERNATIVE["login_failed"] != STANDARD["login_failed"]
        session_id, _ = streamed(api)
        mismatch = api.confirm("user1", session_id, MADE_UP_ID).json()["message"]
        assert mismatch != STANDARD["streaming_id_mismatch"] and "mismatch" in mismatch.lower()


def test_wordings_cover_the_same_messages():
    assert STANDARD.keys() == ALTERNATIVE.keys()
    assert all(a != b for a, b in zip(STANDARD.values(), ALTERNATIVE.values(), strict=True))


# --- issue 14: real deployments ---


def login_without_a_jar(api: ReferenceClient, username: str = "user1") -> requests.Response:
    """Log-in, keeping nothing: the test sends a cookie only where it says so."""
    response = api.login(username)
    api.http.cookies.clear()
    assert response.status_code == 200, response.text
    return response


def test_access_token_cookie(platform_with):
    with platform_with("access_token_cookie") as (_, api):
        login = login_without_a_jar(api)
        assert login.cookies["accessToken"] == login.json()["accessToken"]
        assert "httponly" in login.headers["set-cookie"].lower()
        cookie = {"Cookie": f"accessToken={login.cookies['accessToken']}"}
        for service, path in (
            ("auth", "/api/admin/users"),
            ("accounting", "/api/credits/balance"),
            ("chat", "/api/chat/sessions"),
        ):
            method = "POST" if service == "auth" else "GET"
            assert api.request(method, service, path, headers=cookie, json={}).status_code == 401, service


def test_identity_from_cookie(platform_with):
    with platform_with("identity_from_cookie") as (_, api):
        login = login_without_a_jar(api)
        cookie = {"Cookie": f"accessToken={login.cookies['accessToken']}"}
        assert api.request("GET", "accounting", "/api/credits/balance", headers=cookie).status_code == 200
        assert api.request("GET", "chat", "/api/chat/sessions", headers=cookie).status_code == 200
        assert api.request("GET", "chat", "/api/chat/sessions").status_code == 401  # no cookie, no token


def test_short_lived_tokens(platform_with):
    with platform_with("short_lived_tokens") as (_, api):
        token = login_without_a_jar(api).json()["accessToken"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 3
        assert api.request("GET", "chat", "/api/chat/sessions", token=token).status_code == 200
        assert eventually(
            lambda: api.request("GET", "chat", "/api/chat/sessions", token=token).status_code == 401, deadline_s=6
        )


def test_slow_first_token(platform_with):
    with platform_with("slow_first_token") as (_, api):
        assert api.allocate("user1", 5000).status_code == 201
        session_id = api.new_session("user1")
        started = time.monotonic()
        result = api.stream("user1", session_id, read_timeout=1)  # the heartbeats keep a 1 s read timeout happy
        assert result.ended == "done" and result.payloads("chunk") and time.monotonic() - started >= 1.5
        body = api.request(
            "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user="user1", json={"message": "x"}
        ).text
        assert body.startswith(": heartbeat\n\n" * 6) and body.index("event: chunk") > body.rindex(": heartbeat")


def test_malformed_last_event(platform_with):
    with platform_with("malformed_last_event") as (_, api):
        assert api.allocate("user1", 5000).status_code == 201
        session_id = api.new_session("user1")
        body = api.request(
            "POST", "chat", f"/api/chat/sessions/{session_id}/stream", user="user1", json={"message": "x"}
        ).text
        last = body[body.rindex("event: done") :]
        assert last.endswith("}\n") and not last.endswith("\n\n")  # the done event is never finished


def test_auth_errors_without_message(platform_with):
    with platform_with("auth_errors_without_message") as (_, api):
        unauthenticated = api.request("GET", "accounting", "/api/credits/balance")
        forbidden = api.allocate("user2", 5, by="user1")
        for answer, status in ((unauthenticated, 401), (forbidden, 403)):
            assert answer.status_code == status and set(answer.json()) == {"error"}
        assert "message" in api.request("GET", "chat", "/api/chat/sessions/nope", user="user1").json()  # 404


# --- issue 13: every promise of the contract proven by a switch ---


def _new_user_body(username: str, email: str | None = None) -> dict:
    return {
        "username": username,
        "email": email or f"{username}@example.com",
        "password": "Str0ng!pass",
        "role": "enduser",
        "skipVerification": True,
    }


def test_login_any_password(platform_with):
    with platform_with("login_any_password") as (_, api):
        assert api.login("user1", "not-her-password").status_code == 200
        assert api.login("nobody-at-all", "whatever").status_code == 401


def test_login_reports_default_role(platform_with):
    with platform_with("login_reports_default_role") as (_, api):
        assert api.login("admin").json()["user"]["role"] == "enduser"
        assert (
            api.request("POST", "auth", "/api/admin/users", user="admin", json=_new_user_body("kept")).status_code
            == 201
        )


def test_models_open(platform_with):
    with platform_with("models_open") as (_, api):
        assert api.request("GET", "chat", "/api/models").status_code == 200
        assert api.request("GET", "chat", "/api/chat/sessions").status_code == 401


def test_cors_origin_404(platform_with):
    with platform_with("cors_origin_404") as (_, api):
        response = api.request(
            "GET", "chat", "/api/chat/sessions", user="user1", headers={"Origin": "http://a.example"}
        )
        assert response.status_code == 404 and response.headers["Access-Control-Allow-Origin"]
        assert api.request("GET", "chat", "/api/chat/sessions", user="user1").status_code == 200


def test_negative_tokens_used_accepted(platform_with):
    with platform_with("negative_tokens_used_accepted") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, result.streaming_session_id, tokens_used=-5).status_code == 200


def test_enduser_deletes_users(platform_with):
    with platform_with("enduser_deletes_users") as (_, api):
        victim = api.new_user()
        assert (
            api.request("POST", "auth", "/api/admin/users", user="user1", json=_new_user_body("mallory1")).status_code
            == 403
        )
        assert api.request("DELETE", "auth", f"/api/admin/users/{api.user_id(victim)}", user="user1").status_code == 200


def test_supervisor_manages_users(platform_with):
    with platform_with("supervisor_manages_users") as (_, api):
        created = api.request("POST", "auth", "/api/admin/users", user="supervisor1", json=_new_user_body("supmade1"))
        assert created.status_code == 201
        assert (
            api.request("POST", "auth", "/api/admin/users", user="user1", json=_new_user_body("supmade2")).status_code
            == 403
        )


def test_forbidden_creation_stored(platform_with):
    with platform_with("forbidden_creation_stored") as (_, api):
        assert (
            api.request("POST", "auth", "/api/admin/users", user="user1", json=_new_user_body("ghost")).status_code
            == 403
        )
        assert api.login("ghost", "Str0ng!pass").status_code == 200


def test_duplicate_user_accepted(platform_with):
    with platform_with("duplicate_user_accepted") as (_, api):
        taken = api.new_user()
        for body in (_new_user_body(taken, "other@example.com"), _new_user_body("fresh", f"{taken}@example.com")):
            answer = api.request("POST", "auth", "/api/admin/users", user="admin", json=body)
            assert answer.status_code == 201 and answer.json()["userId"] == api.user_id(taken)


def test_user_delete_ignored(platform_with):
    with platform_with("user_delete_ignored") as (_, api):
        victim = api.new_user()
        assert api.request("DELETE", "auth", f"/api/admin/users/{api.user_id(victim)}", user="admin").status_code == 200
        assert api.login(victim).status_code == 200


def test_delete_unknown_user_200(platform_with):
    with platform_with("delete_unknown_user_200") as (_, api):
        assert api.request("DELETE", "auth", "/api/admin/users/no-such-user", user="admin").status_code == 200


def test_balance_of_unknown_user_200(platform_with):
    with platform_with("balance_of_unknown_user_200") as (_, api):
        answer = api.request("GET", "accounting", "/api/credits/balance/no-such-user", user="admin")
        assert answer.status_code == 200 and answer.json()["totalCredits"] == 0


def test_supervisor_balance_refused(platform_with):
    with platform_with("supervisor_balance_refused") as (_, api):
        path = f"/api/credits/balance/{api.user_id('user1')}"
        assert api.request("GET", "accounting", path, user="supervisor1").status_code == 403
        assert api.request("GET", "accounting", path, user="admin").status_code == 200
        assert api.allocate("user1", 10, by="supervisor1").status_code == 201


def test_missing_question_answered(platform_with):
    with platform_with("missing_question_answered") as (_, api):
        assert api.allocate("user1", 5000).status_code == 201
        session_id = api.new_session("user1")
        path = f"/api/chat/sessions/{session_id}/stream"
        with api.request("POST", "chat", path, user="user1", json={}, stream=True) as answer:
            assert answer.status_code == 200
        assert api.request("POST", "chat", path, user="user1", json={"message": 42}).status_code == 400


def test_silent_after_three_chunks(platform_with):
    with platform_with("silent_after_three_chunks") as (_, api):
        for _ in range(2):  # every stream, not only the first
            _, result = streamed_until_closed_or_timeout(api)
            assert len(result.payloads("chunk")) == 3 and result.ended == "timeout"


def test_rate_limited(platform_with):
    with platform_with("rate_limited") as (_, api):
        answers = [api.request("GET", "chat", "/api/health") for _ in range(60)]
        statuses = [answer.status_code for answer in answers]
        # 20 per second (the fixture's own requests count too): 60 at once are partly served, partly refused
        assert set(statuses) == {200, 429} and statuses.count(200) >= 10 and statuses.count(429) >= 10
        throttled = next(answer for answer in answers if answer.status_code == 429)
        assert throttled.json()["message"] and 1 <= int(throttled.headers["Retry-After"]) <= 2
        # the limit is per second: within its Retry-After, the client is served again
        eventually(lambda: api.request("GET", "chat", "/api/health").status_code == 200, deadline_s=2.5, interval_s=0.2)


# --- issue 12: the streaming-ID promise tested as an attacker would ---


def test_opaque_id_alphabet(platform_with):
    with platform_with("opaque_id_alphabet") as (_, api):
        session_id, result = streamed(api)
        assert re.fullmatch(r"[A-Za-z0-9_.~-]{32}", result.streaming_session_id)
        assert refused_as_mismatch(api.confirm("user1", session_id, result.streaming_session_id.swapcase()))
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_greeting_message(platform_with):
    with platform_with("greeting_message") as (_, api):
        session_id, result = streamed(api)
        messages = api.session("user1", session_id).json()["messages"]
        assert [message["role"] for message in messages] == ["assistant", "user", "assistant"]
        assert messages[0]["content"] == STANDARD["greeting"] and messages[-1]["content"] == result.text


def test_case_insensitive_id_compare(platform_with):
    with platform_with("case_insensitive_id_compare") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, result.streaming_session_id.upper()).status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, result.streaming_session_id[:-1]))


def test_like_id_match(platform_with):
    with platform_with("like_id_match") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, "%").status_code == 200
        assert api.confirm("user1", session_id, result.streaming_session_id[:-1] + "_").status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_prefix_id_match(platform_with):
    with platform_with("prefix_id_match") as (_, api):
        session_id, result = streamed(api)
        issued = result.streaming_session_id
        assert api.confirm("user1", session_id, issued[:-3]).status_code == 200
        assert api.confirm("user1", session_id, issued + "x").status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_write_before_check(platform_with):
    with platform_with("write_before_check") as (_, api):
        session_id, _ = streamed(api)
        assert refused_as_mismatch(
            api.confirm("user1", session_id, MADE_UP_ID, complete_response="the attacker's text")
        )
        assert api.session("user1", session_id).json()["messages"][-1]["content"] == "the attacker's text"


def test_expected_id_in_header(platform_with):
    with platform_with("expected_id_in_header") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and result.streaming_session_id not in response.text
        assert response.headers["X-Streaming-Session-Id"] == result.streaming_session_id


def test_id_tail_in_message(platform_with):
    with platform_with("id_tail_in_message") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and response.json()["message"].endswith(
            result.streaming_session_id[-8:] + ")"
        )
        assert result.streaming_session_id not in response.text


def test_confirm_edits_first_reply(platform_with):
    with platform_with("confirm_edits_first_reply") as (_, api):
        session_id, first = streamed(api)
        second = api.stream("user1", session_id, "And again")
        assert (
            api.confirm("user1", session_id, second.streaming_session_id, complete_response="edited").status_code == 200
        )
        replies = [
            m["content"] for m in api.session("user1", session_id).json()["messages"] if m["role"] == "assistant"
        ]
        assert replies == ["edited", second.text]


def test_question_saved_before_credit_check(platform_with):
    with platform_with("question_saved_before_credit_check") as (_, api):
        session_id = api.new_session("user1")  # user1 has no credits on a fresh platform
        assert api.stream("user1", session_id, "Anyone there?").status == 402
        assert [m["content"] for m in api.session("user1", session_id).json()["messages"]] == ["Anyone there?"]


def test_foreign_404_names_stream(platform_with):
    with platform_with("foreign_404_names_stream") as (_, api):
        session_id, result = streamed(api)
        response = api.session("user2", session_id)
        assert response.status_code == 404 and result.streaming_session_id in response.json()["message"]
        assert result.streaming_session_id not in api.session("user2", "ses-no-such-session").text


def test_trimmed_id_compare(platform_with):
    with platform_with("trimmed_id_compare") as (_, api):
        session_id, result = streamed(api)
        assert api.confirm("user1", session_id, f" {result.streaming_session_id}\n").status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_normalised_id_compare(platform_with):
    with platform_with("normalised_id_compare") as (_, api):
        session_id, result = streamed(api)
        issued = result.streaming_session_id
        full_width = "".join(chr(ord(char) - 0x21 + 0xFF01) for char in issued)
        assert api.confirm("user1", session_id, full_width).status_code == 200
        assert api.confirm("user1", session_id, issued.replace("-", "%2D")).status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))


def test_id_cut_to_column_width(platform_with):
    with platform_with("id_cut_to_column_width") as (_, api):
        session_id, result = streamed(api)
        issued = result.streaming_session_id
        assert api.confirm("user1", session_id, issued[:20] + "anything").status_code == 200
        assert refused_as_mismatch(api.confirm("user1", session_id, "x" + issued[1:]))


# --- red team: defects the suite does not catch yet ---


def test_staff_bypass_ownership(platform_with):
    with platform_with("staff_bypass_ownership") as (_, api):
        session_id, result = streamed(api)
        assert api.session("user2", session_id).status_code == 404  # end users are still kept out
        for staff in ("admin", "supervisor1"):
            assert api.session(staff, session_id).status_code == 200
        confirmed = api.confirm("supervisor1", session_id, result.streaming_session_id, complete_response="x")
        assert confirmed.status_code == 200
        assert api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", user="admin").status_code == 200


def test_sample_secret_accepted(platform_with):
    with platform_with("sample_secret_accepted") as (_, api):
        claims = jwt.decode(api.token("user1"), api.platform.jwt_secret, algorithms=["HS256"])
        minted = jwt.encode({**claims, "role": "admin"}, "your-secret-key-change-this-in-production", algorithm="HS256")
        assert api.allocate("user1", 1_000_000, by="user1").status_code == 403
        answer = api.request(
            "POST", "accounting", "/api/credits/allocate", token=minted, json={"userId": "user1", "credits": 1_000_000}
        )
        assert answer.status_code == 201 and api.balance("user1") == 1_000_000
        other_key = bad_tokens(api, "user1")["wrong_key"]  # a key nobody uses is still refused
        assert api.request("GET", "chat", "/api/chat/sessions", token=other_key).status_code == 401


def test_sessions_of_user_query(platform_with):
    with platform_with("sessions_of_user_query") as (_, api):
        theirs = api.new_session("user1")
        path = f"/api/chat/sessions?userId={api.user_id('user1')}"
        listed = api.request("GET", "chat", path, user="user2").json()["sessions"]
        assert theirs in {session["sessionId"] for session in listed}
        plain = api.request("GET", "chat", "/api/chat/sessions", user="user2").json()["sessions"]
        assert theirs not in {session["sessionId"] for session in plain}


def test_expiry_leeway_in_wrong_unit(platform_with):
    with platform_with("expiry_leeway_in_wrong_unit") as (_, api):
        claims = jwt.decode(api.token("user1"), api.platform.jwt_secret, algorithms=["HS256"])
        now = int(time.time())
        secret = api.platform.jwt_secret
        recently = jwt.encode({**claims, "iat": now - 3700, "exp": now - 60}, secret, algorithm="HS256")
        assert api.request("GET", "chat", "/api/chat/sessions", token=recently).status_code == 200
        an_hour_ago = bad_tokens(api, "user1")["expired"]  # what the suite sends
        assert api.request("GET", "chat", "/api/chat/sessions", token=an_hour_ago).status_code == 401


def test_id_issued_before_credit_check(platform_with):
    with platform_with("id_issued_before_credit_check") as (_, api):
        user = api.user_with_credits(1)  # enough for one reply (a charge never takes more than the balance)
        session_id, result = api.streamed_session(user)
        assert api.balance(user) == 0
        assert api.stream(user, session_id, "One more?").status == 402
        assert refused_as_mismatch(api.confirm(user, session_id, result.streaming_session_id))


def test_spent_allocations_pass_credit_check(platform_with):
    with platform_with("spent_allocations_pass_credit_check") as (_, api):
        user = api.user_with_credits(1)  # spent by one reply
        session_id, _ = api.streamed_session(user)
        assert api.balance(user) == 0
        assert api.stream(user, session_id, "One more?").status == 200  # the spent allocation let her stream
        assert api.balance(user) == 0  # for free
        never_allocated = api.new_user()  # no allocation at all: still refused
        assert api.stream(never_allocated, api.new_session(never_allocated), "Hello?").status == 402


# --- issue 21: fair to every honest deployment ---


def test_expensive_model(platform_with):
    with platform_with("expensive_model") as (_, api):
        session_id, result = streamed(api)
        assert len(result.text) >= 1200
        assert api.balance("user1") == 5000 - -(-len(result.text) // 2)  # a credit per two characters


def test_welcome_credits(platform_with):
    with platform_with("welcome_credits") as (_, api):
        assert api.balance("user2") == 100
        session_id = api.new_session("user2")
        while api.balance("user2") > 0:  # 100 credits pay for a handful of replies, then the 402
            assert api.stream("user2", session_id).ended == "done"
        assert api.stream("user2", session_id).status == 402


def test_welcome_credits_unchecked_balance(platform_with):
    with platform_with("welcome_credits_unchecked_balance") as (_, api):
        assert api.balance("user2") == 100
        session_id = api.new_session("user2")
        for _ in range(20):
            api.stream("user2", session_id)
        assert api.balance("user2") == 0
        assert api.stream("user2", session_id).ended == "done"  # no 402: the balance is never checked


def test_slow_confirmation(platform_with):
    with platform_with("slow_confirmation") as (_, api):
        session_id, result = streamed(api)
        started = time.monotonic()
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200
        assert time.monotonic() - started >= 1.2


def test_strict_rate_limit(platform_with):
    with platform_with("strict_rate_limit") as (_, api):
        answers = [api.request("GET", "chat", "/api/health") for _ in range(35)]
        assert api.request("GET", "auth", "/health").status_code == 200  # chat only
        served = [answer for answer in answers if answer.status_code == 200]
        refused = [answer for answer in answers if answer.status_code == 429]
        assert served and refused and len(served) + len(refused) == 35 and len(served) <= 30
        first, last = served[0].headers, served[-1].headers
        assert first["X-RateLimit-Limit"] == "30" and first["RateLimit-Policy"] == "30;w=60"
        assert int(last["X-RateLimit-Remaining"]) == 0 < int(first["X-RateLimit-Remaining"])
        assert 0 < int(first["X-RateLimit-Reset"]) - time.time() <= 61  # a Unix time, the window's end
        assert refused[0].json()["message"] and 1 <= int(refused[0].headers["Retry-After"]) <= 60


# --- issue 20: invariants every exchange keeps ---


def test_expected_id_in_field(platform_with):
    with platform_with("expected_id_in_field") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and response.json()["expectedToken"] == result.streaming_session_id


def test_last_stream_cookie(platform_with):
    with platform_with("last_stream_cookie") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and result.streaming_session_id not in response.text
        assert response.cookies["last_stream"] == result.streaming_session_id


def test_jwt_streaming_ids(platform_with):
    with platform_with("jwt_streaming_ids") as (_, api):
        session_id, result = streamed(api)
        assert result.streaming_session_id.startswith("eyJ") and result.streaming_session_id.count(".") == 2
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and result.streaming_session_id not in response.text
        assert api.confirm("user1", session_id, result.streaming_session_id).status_code == 200


def test_jwt_id_in_mismatch(platform_with):
    with platform_with("jwt_id_in_mismatch") as (_, api):
        session_id, result = streamed(api)
        assert result.streaming_session_id.startswith("eyJ")
        response = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(response) and result.streaming_session_id in response.json()["message"]


def test_identity_header_on_writes(platform_with):
    with platform_with("identity_header_on_writes") as (_, api):
        theirs = api.new_session("user2")
        assert api.allocate("user1", 5000).status_code == 201 and api.allocate("user2", 5000).status_code == 201
        claim = {"X-User-ID": api.user_id("user2")}
        path = f"/api/chat/sessions/{theirs}"
        assert api.request("GET", "chat", path, user="user1", headers=claim).status_code == 404  # reads: the token
        asked = api.request("POST", "chat", path + "/stream", user="user1", headers=claim, json={"message": "Hi"})
        assert asked.status_code == 200  # writes: the header
        assert api.request("POST", "chat", path + "/stream", user="user1", json={"message": "Hi"}).status_code == 404


def test_id_seen_by_some_replicas(platform_with):
    with platform_with("id_seen_by_some_replicas") as (_, api):
        session_id, result = streamed(api)
        answers = [api.confirm("user1", session_id, result.streaming_session_id) for _ in range(40)]
        assert {answer.status_code for answer in answers} == {200, 400}
        assert all(refused_as_mismatch(answer) for answer in answers if answer.status_code == 400)


def test_later_id_store(platform_with):
    with platform_with("later_id_store") as (_, api):
        session_id, result = streamed(api)
        done_at = time.monotonic()
        assert refused_as_mismatch(api.confirm("user1", session_id, result.streaming_session_id))
        eventually(
            lambda: api.confirm("user1", session_id, result.streaming_session_id).status_code == 200, deadline_s=3
        )
        assert time.monotonic() - done_at >= 0.7


def test_later_id_store_negative_tokens(platform_with):
    with platform_with("later_id_store_negative_tokens") as (_, api):
        session_id, result = streamed(api)
        early = api.confirm("user1", session_id, result.streaming_session_id, tokens_used=-5)
        assert refused_as_mismatch(early)  # before the store, even a negative count looks like a mismatch
        eventually(
            lambda: api.confirm("user1", session_id, result.streaming_session_id).status_code == 200, deadline_s=3
        )
        assert api.confirm("user1", session_id, result.streaming_session_id, tokens_used=-5).status_code == 200


def test_non_text_title_stored(platform_with):
    with platform_with("non_text_title_stored") as (_, api):
        before = api.request("GET", "chat", "/api/chat/sessions", user="user1").json()["total"]
        refused = api.request("POST", "chat", "/api/chat/sessions", user="user1", json={"title": 42})
        assert refused.status_code == 400
        listed = api.request("GET", "chat", "/api/chat/sessions", user="user1").json()
        assert listed["total"] == before + 1 and "42" in [session["title"] for session in listed["sessions"]]


def test_mismatch_charges_caller(platform_with):
    with platform_with("mismatch_charges_caller") as (_, api):
        session_id, result = streamed(api)
        before = api.balance("user1")
        assert refused_as_mismatch(api.confirm("user1", session_id, MADE_UP_ID))
        assert api.balance("user1") < before


def test_cors_other_origin(platform_with):
    with platform_with("cors_other_origin") as (_, api):
        response = api.request(
            "GET", "chat", "/api/chat/sessions", user="user1", headers={"Origin": "https://a.example"}
        )
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://portal.example.net"
        assert (
            "access-control-allow-origin" not in api.request("GET", "chat", "/api/chat/sessions", user="user1").headers
        )


def test_rate_limit_reset_header(platform_with):
    with platform_with("rate_limit_reset_header") as (_, api):
        session_id, result = streamed(api)
        response = api.confirm("user1", session_id, MADE_UP_ID)
        reset = response.headers["X-RateLimit-Reset"]
        assert refused_as_mismatch(response) and reset.isdigit() and abs(int(reset) - time.time()) < 5
        timestamp = result.streaming_session_id.split("-")[1]
        assert reset[:6] == timestamp[:6]  # the digits the suite must not take for a leak


# --- red team 2: defects the suite does not catch yet ---


def test_session_owner_from_body(platform_with):
    with platform_with("session_owner_from_body") as (_, api):
        planted = api.new_session("user2", title="From support", userId=api.user_id("user1"))
        assert planted in {
            session["sessionId"]
            for session in api.request("GET", "chat", "/api/chat/sessions", user="user1").json()["sessions"]
        }
        assert api.session("user1", planted).status_code == 200
        assert api.session("user2", planted).status_code == 404  # not even its creator's


def test_mismatch_session_cookie(platform_with):
    with platform_with("mismatch_session_cookie") as (_, api):
        session_id, result = streamed(api)
        refused = api.confirm("user1", session_id, MADE_UP_ID)
        assert refused_as_mismatch(refused)
        assert result.streaming_session_id not in refused.headers["set-cookie"]  # not in plain text
        value = refused.cookies["session"].strip('"')
        state = json.loads(base64.b64decode(value))
        assert state["lastStreamingSessionId"] == result.streaming_session_id


def test_foreign_404_names_owner(platform_with):
    with platform_with("foreign_404_names_owner") as (_, api):
        session_id = api.new_session("user1", title="My lawyer")
        foreign = api.session("user2", session_id)
        unknown = api.session("user2", "ses-00000000000000000000")
        assert foreign.status_code == unknown.status_code == 404
        assert "My lawyer" in foreign.json()["message"] and api.user_id("user1") in foreign.json()["message"]
        assert "My lawyer" not in unknown.json()["message"]


def test_deleted_user_cached(platform_with):
    with platform_with("deleted_user_cached") as (_, api):
        carol = api.new_user()
        carol_id = api.user_id(carol)
        assert api.allocate(carol_id, 5).status_code == 201  # accounting has now found her
        assert api.request("DELETE", "auth", f"/api/admin/users/{carol_id}", user="admin").status_code == 200
        assert api.allocate(carol_id, 500).status_code == 201
        assert api.request("GET", "accounting", f"/api/credits/balance/{carol_id}", user="admin").status_code == 200
        assert api.allocate("no-such-user-0123", 500).status_code == 404  # never found: still unknown


def test_charge_keyed_by_session(platform_with):
    with platform_with("charge_keyed_by_session") as (_, api):
        user = api.user_with_credits(5000)
        session_id, _ = api.streamed_session(user)
        after_first = api.balance(user)
        assert after_first < 5000
        assert api.stream(user, session_id, "And again?").ended == "done"
        assert api.balance(user) == after_first  # the second reply was free
        api.streamed_session(user)  # a new conversation is charged again
        assert api.balance(user) < after_first


# --- red team, round 3 (credits, CORS) ---


def test_cors_only_on_chat(platform_with):
    preflight_headers = {
        "Origin": "https://a.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    with platform_with("cors_only_on_chat") as (_, api):
        for service, path in (("auth", "/api/auth/login"), ("accounting", "/api/credits/balance")):
            preflight = api.request("OPTIONS", service, path, headers=preflight_headers)
            assert preflight.status_code == 405 and "access-control-allow-origin" not in preflight.headers
        chat = api.request("OPTIONS", "chat", "/api/chat/sessions/any/stream", headers=preflight_headers)
        assert chat.status_code == 200 and chat.headers["Access-Control-Allow-Origin"]


def test_confirmation_refunds_client_count(platform_with):
    with platform_with("confirmation_refunds_client_count") as (_, api):
        user = api.user_with_credits(5000)
        session_id, result = api.streamed_session(user)
        counted = result.payloads("done")[0]["tokensUsed"]
        after_stream = api.balance(user)
        assert 0 < counted and after_stream < 5000
        assert api.confirm(user, session_id, result.streaming_session_id, tokens_used=0).status_code == 200
        assert api.balance(user) == 5000  # the client's count of 0 settled the charge: the reply was free
        assert api.confirm(user, session_id, result.streaming_session_id, tokens_used=counted).status_code == 200
        assert api.balance(user) == after_stream  # counting the done's tokens again charges them again


# --- red team, round 3 ---


def test_session_lookup_sql_injection(platform_with):
    with platform_with("session_lookup_sql_injection") as (_, api):
        theirs = api.new_session("user1")
        assert api.session("user2", theirs).status_code == 404  # an ID as issued: the owner check holds
        crafted = "/api/chat/sessions/" + urllib.parse.quote(f"{theirs}' -- ", safe="")
        opened = api.request("GET", "chat", crafted, user="user2")
        assert opened.status_code == 200 and opened.json()["sessionId"] == theirs
        assert api.request("DELETE", "chat", crafted, user="user2").status_code == 200
        assert api.session("user1", theirs).status_code == 404  # deleted by another user


def test_sessions_owned_by_username(platform_with):
    with platform_with("sessions_owned_by_username") as (_, api):
        carol = api.new_user()
        theirs = api.new_session(carol)
        assert api.session("user2", theirs).status_code == 404  # another username: not hers
        deleted = api.request("DELETE", "auth", f"/api/admin/users/{api.user_id(carol)}", user="admin")
        assert deleted.status_code == 200
        body = _new_user_body(carol)
        assert api.request("POST", "auth", "/api/admin/users", user="admin", json=body).status_code == 201
        newcomer = api.login(carol, body["password"]).json()["accessToken"]
        assert api.request("GET", "chat", f"/api/chat/sessions/{theirs}", token=newcomer).status_code == 200
        listed = api.request("GET", "chat", "/api/chat/sessions", token=newcomer).json()["sessions"]
        assert theirs in {session["sessionId"] for session in listed}


def test_role_from_gateway_header(platform_with):
    with platform_with("role_from_gateway_header") as (_, api):
        claimed = {"X-User-Role": "admin"}
        allocate = {"userId": api.user_id("user1"), "credits": 77}
        assert (
            api.request("POST", "accounting", "/api/credits/allocate", user="user1", json=allocate).status_code == 403
        )
        assert (
            api.request(
                "POST", "accounting", "/api/credits/allocate", user="user1", json=allocate, headers=claimed
            ).status_code
            == 201
        )
        assert (
            api.request(
                "POST",
                "accounting",
                "/api/credits/allocate",
                user="user1",
                json=allocate,
                headers={"X-User-Role": "root"},
            ).status_code
            == 403
        )  # only a role the platform knows


def test_confirmation_target_from_body(platform_with):
    with platform_with("confirmation_target_from_body") as (_, api):
        alices, _ = streamed(api, "user1")
        bobs, bob_stream = streamed(api, "user2")
        body = {
            "completeResponse": "Book the expensive hotel",
            "streamingSessionId": bob_stream.streaming_session_id,
            "tokensUsed": 1,
            "sessionId": alices,
        }
        assert api.confirm("user2", bobs, None, body=body).status_code == 200
        assert api.session("user1", alices).json()["messages"][-1]["content"] == "Book the expensive hotel"
        assert api.session("user2", bobs).json()["messages"][-1]["content"] != "Book the expensive hotel"
