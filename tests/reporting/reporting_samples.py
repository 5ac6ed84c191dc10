"""Exchanges full of secrets, for the reporting tests (imported by the tests and by the behave runs they start)."""

from __future__ import annotations

import json

from chat_acceptance.transport.exchange import Exchange
from chat_acceptance.transport.sse import Ending, StreamEvent, StreamResult

PASSWORD = "User1@123"
ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzIiwidHlwZSI6ImFjY2VzcyJ9.c2lnbmF0dXJlLWFjY2Vzcw"
REFRESH_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzIiwidHlwZSI6InJlZnJlc2gifQ.c2lnbmF0dXJlLXJlZnJlc2g"
SECRETS = (PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN)
STREAMING_SESSION_ID = "stream-1732500000000-0a1b2c3d"


def login_exchange() -> Exchange:
    return Exchange(
        service="auth",
        method="POST",
        url="http://127.0.0.1:3000/api/auth/login",
        status=200,
        duration_s=0.042,
        request_headers={"Content-Type": "application/json"},
        request_body=json.dumps({"username": "user1", "password": PASSWORD}),
        response_headers={"Content-Type": "application/json", "Set-Cookie": f"refresh={REFRESH_TOKEN}; HttpOnly"},
        response_body=json.dumps(
            {
                "accessToken": ACCESS_TOKEN,
                "refreshToken": REFRESH_TOKEN,
                "user": {"id": "3", "username": "user1", "role": "enduser"},
            }
        ),
    )


def stream_exchange() -> Exchange:
    headers = {"Content-Type": "text/event-stream", "X-Streaming-Session-Id": STREAMING_SESSION_ID}
    stream = StreamResult(
        status=200,
        headers=headers,
        streaming_session_id=STREAMING_SESSION_ID,
        events=(
            StreamEvent("chunk", json.dumps({"text": "Hello"}), 0.012),
            StreamEvent("chunk", json.dumps({"text": " there"}), 0.034),
            # A platform that leaks a token into an event must not leak it into the report.
            StreamEvent("done", json.dumps({"tokensUsed": 12, "debug": ACCESS_TOKEN}), 0.051),
        ),
        ending=Ending.DONE,
        duration_s=0.052,
    )
    return Exchange(
        service="chat",
        method="POST",
        url="http://127.0.0.1:3002/api/chat/sessions/abc123/stream",
        status=200,
        duration_s=0.052,
        request_headers={"Authorization": f"Bearer {ACCESS_TOKEN}", "Content-Type": "application/json"},
        request_body=json.dumps({"message": "Hello?"}),
        response_headers=headers,
        response_body=None,
        stream=stream,
    )


# A run of label-only features: one step that does nothing, and hooks that apply the scenario labels.
NOTHING_STEPS = """
    from behave import given

    @given("nothing")
    def step_impl(context):
        pass
"""

LABELS_ENVIRONMENT = """
    from chat_acceptance.reporting import allure_dynamic, labels

    def before_all(context):
        allure_dynamic.install()

    def before_scenario(context, scenario):
        labels.apply_scenario_labels(scenario)
"""
