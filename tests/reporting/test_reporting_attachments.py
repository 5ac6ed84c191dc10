"""Exchanges become readable attachments without a single secret in them."""

from chat_acceptance.redaction import Redactor
from chat_acceptance.reporting import attachments
from tests.reporting.reporting_samples import (
    ACCESS_TOKEN,
    PASSWORD,
    SECRETS,
    STREAMING_SESSION_ID,
    login_exchange,
    stream_exchange,
)


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text


def test_a_login_shows_its_bodies_without_password_or_tokens():
    text = attachments.format_exchange(login_exchange(), Redactor())

    assert_no_secret(text)
    assert "POST http://127.0.0.1:3000/api/auth/login" in text
    assert "status 200 after 0.042 s (auth service)" in text
    assert '"username": "user1"' in text
    assert '"password": "<REDACTED>"' in text
    assert '"accessToken": "<REDACTED>"' in text
    assert "Set-Cookie: <REDACTED>" in text


def test_a_streamed_reply_shows_its_transcript_and_issued_id():
    text = attachments.format_exchange(stream_exchange(), Redactor())

    assert_no_secret(text)
    assert "Authorization: Bearer <REDACTED>" in text
    assert f"streaming session ID issued: '{STREAMING_SESSION_ID}'" in text
    assert '   0.012s  chunk: {"text": "Hello"}' in text
    assert "end: done event received" in text


def test_secrets_the_configuration_knows_are_redacted_anywhere():
    exchange = login_exchange()
    leaky = type(exchange)(**{**vars(exchange), "error": f"login failed for user1/{PASSWORD}"})

    assert_no_secret(attachments.format_exchange(leaky, Redactor([PASSWORD])))


def test_the_title_names_method_path_and_status():
    assert attachments.exchange_title(stream_exchange(), Redactor()) == "POST /api/chat/sessions/abc123/stream → 200"
    unanswered = type(login_exchange())(**{**vars(login_exchange()), "status": None, "error": "refused"})
    assert attachments.exchange_title(unanswered, Redactor()) == "POST /api/auth/login → no response"


def test_without_allure_attaching_is_a_no_op():
    class Untouchable(Redactor):
        def text(self, text):
            raise AssertionError("nothing should be rendered without Allure")

    attachments.attach_exchange(login_exchange(), Untouchable())
    attachments.attach_failure(login_exchange(), Untouchable())
    attachments.attach_text("note", ACCESS_TOKEN, Untouchable())


STEPS = """
    from behave import then, when
    from chat_acceptance.reporting import attachments
    from tests.reporting.reporting_samples import login_exchange, stream_exchange
    from chat_acceptance.redaction import Redactor

    @when("user1 logs in and streams a reply")
    def step_impl(context):
        context.last_exchange = stream_exchange()
        attachments.attach_exchange(login_exchange(), Redactor())
        attachments.attach_exchange(context.last_exchange, Redactor())
        attachments.attach_text("a note with a token", login_exchange().response_body, Redactor())

    @then("the reply is refused")
    def step_impl(context):
        assert False, "expected the request to be refused"
"""

ENVIRONMENT = """
    from chat_acceptance.reporting import attachments
    from chat_acceptance.reporting import allure_dynamic
    from chat_acceptance.redaction import Redactor

    def before_all(context):
        allure_dynamic.install()

    def after_step(context, step):
        if step.status == "failed":
            attachments.attach_failure(context.last_exchange, Redactor())
"""

FEATURE = """
    Feature: Attachments
      Scenario: a streamed reply
        When user1 logs in and streams a reply
        Then the reply is refused
"""


def test_attachments_land_on_the_step_redacted(run_behave):
    run = run_behave(feature=FEATURE, steps=STEPS, environment=ENVIRONMENT)

    attachments = run.attachments("a streamed reply")
    assert sorted(attachments) == [
        "POST /api/auth/login → 200",
        "POST /api/chat/sessions/abc123/stream → 200",
        "a note with a token",
        "stream timing",
        "✗ response that broke the expectation: POST /api/chat/sessions/abc123/stream → 200",
    ]
    for text in attachments.values():
        assert_no_secret(text)
    assert "chunk:" in attachments["✗ response that broke the expectation: POST /api/chat/sessions/abc123/stream → 200"]
