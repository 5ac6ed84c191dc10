"""The seed document's whole flow (test_streaming_session_id.py), against the reference platform."""

from __future__ import annotations

import requests


def test_seed_flow(platform, api):
    for url in (f"{platform.auth_url}/health", f"{platform.accounting_url}/health", f"{platform.chat_url}/api/health"):
        response = requests.get(url, timeout=5)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    user = api.login("user1")
    admin = api.login("admin")
    assert user.status_code == 200 and admin.status_code == 200
    user_token, admin_token = user.json()["accessToken"], admin.json()["accessToken"]

    allocation = api.request(
        "POST", "accounting", "/api/credits/allocate", token=admin_token, json={"userId": "user1", "credits": 5000}
    )
    assert allocation.status_code == 201

    created = api.request("POST", "chat", "/api/chat/sessions", token=user_token, json={"title": "Streaming test"})
    assert created.status_code == 201
    session_id = created.json()["sessionId"]

    models = api.request("GET", "chat", "/api/models", token=user_token)
    assert models.status_code == 200
    assert any(model["available"] for model in models.json()["models"])

    # the correct streaming session ID confirms the reply
    stream = api.stream(None, session_id, "Tell me about streaming", token=user_token)
    assert stream.status == 200
    assert stream.streaming_session_id
    assert stream.payloads("chunk")
    assert stream.ended == "done"
    confirmed = api.confirm(
        None, session_id, stream.streaming_session_id, complete_response=stream.text, token=user_token
    )
    assert confirmed.status_code == 200

    # an incorrect one is refused as a mismatch
    stream = api.stream(None, session_id, "And once more", token=user_token)
    assert stream.ended == "done"
    refused = api.confirm(None, session_id, "stream-1700000000000-deadbeef", token=user_token)
    assert refused.status_code == 400
    assert "mismatch" in refused.json()["message"].lower()

    deleted = api.request("DELETE", "chat", f"/api/chat/sessions/{session_id}", token=user_token)
    assert deleted.status_code == 200
