"""The Suite every runner gets (chat_acceptance/world/build.py): connected as the configuration says, contract
checks as the runner asks, and set-up phases that stop the run with one line naming what to fix."""

from __future__ import annotations

import pytest

from chat_acceptance.config.suite_config import SuiteConfig
from chat_acceptance.contract.checker import ContractChecker
from chat_acceptance.world.build import build_suite, check_health, set_up, sign_in_personas
from tests.library.scripted_server import json_reply


def config_for(server, **defines: str) -> SuiteConfig:
    defines = {name: server.url for name in ("auth_service_url", "accounting_service_url", "chat_service_url")} | {
        "contract_checks": "off",
        **defines,
    }
    return SuiteConfig.from_sources(defines, list(defines), {})


def test_the_suites_client_travels_as_the_deployment_says(server):
    config = config_for(
        server, extra_headers="X-Api-Key: gk-1", auth_health_path="/auth/health", max_requests_per_second="50"
    )
    for _ in range(3):
        server.reply(json_reply(200, {}))
    suite = build_suite(config)
    check_health(suite)
    assert [received.target for received in server.received] == ["/auth/health", "/health", "/api/health"]
    assert {received.headers["x-api-key"] for received in server.received} == {"gk-1"}
    assert suite.platform.transport.health.min_interval_s == pytest.approx(1 / 50)  # the configured pacing


def test_contract_checks_follow_the_configuration_unless_the_runner_turns_them_off(server):
    checked = config_for(server, contract_checks="on")
    assert isinstance(build_suite(checked).platform.transport.checker, ContractChecker)
    assert build_suite(checked, contract_checks=False).platform.transport.checker is None
    assert build_suite(config_for(server)).platform.transport.checker is None


def test_a_persona_who_cannot_sign_in_stops_the_set_up_naming_the_setting_to_fix(server):
    server.reply(json_reply(401, {"message": "invalid credentials"}))
    with pytest.raises(AssertionError) as failure:
        sign_in_personas(build_suite(config_for(server)))
    assert str(failure.value).startswith(
        "test_user_password (the default; $TEST_USER_PASSWORD sets it): Alice cannot sign in as 'user1' "
        "(test_user): expected signing in as 'user1' to be accepted (200), but POST /api/auth/login answered 401"
    ), str(failure.value)


def test_set_up_runs_the_phases_in_order_and_stops_at_the_first_that_fails(server):
    ran: list[str] = []

    def failing(suite) -> None:
        ran.append("failing")
        raise AssertionError("the chat service is unavailable")

    with pytest.raises(AssertionError, match="the chat service is unavailable"):
        set_up(build_suite(config_for(server)), [lambda suite: ran.append("first"), failing, ran.append])
    assert ran == ["first", "failing"]
