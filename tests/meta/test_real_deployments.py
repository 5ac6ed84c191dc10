"""Meta-tests for what a real deployment does (issue 14): no defect hides another, nothing ambient is sent,
tokens that expire mid-run are renewed, and a refusal is judged by its status. Each runs behave (fault_matrix)."""

import json
import re

import pytest

from suite_tools.fault_matrix import run_suite
from suite_tools.suite_runs import SEED_SCENARIOS

WRONG_ID = "behaviour.wrong_id_rejected"
STREAM_END = "behaviour.reply_streams_in_chunks"


def test_cascade_a_missing_done_does_not_hide_a_wrong_id_accepted():
    """The cascade: with no done event AND any ID accepted, the wrong-ID scenarios still get past their Given and
    fail for the wrong ID; only the scenario about the stream's end fails for the missing done."""
    run = run_suite(faults=["no_done_event", "accept_any_id"], tags=f"@{WRONG_ID} or @{STREAM_END}")
    wrong_id = [scenario for scenario in run.scenarios if WRONG_ID in scenario.tags]
    stream_end = [scenario for scenario in run.scenarios if STREAM_END in scenario.tags]
    assert len(wrong_id) == 2 and len(stream_end) == 1, run.output
    for scenario in wrong_id:
        assert scenario.status == "failed", scenario
        assert "the confirmation to be rejected as a streaming session ID mismatch" in scenario.message, scenario
    assert stream_end[0].status == "failed" and "chunks followed by done" in stream_end[0].message, stream_end


@pytest.mark.parametrize("fault", ["no_done_event", "malformed_last_event"])
def test_a_stream_without_done_fails_only_the_scenario_about_the_stream_end_and_is_recorded(fault, tmp_path):
    results = tmp_path / "allure"
    run = run_suite(faults=[fault], allure_results=results)
    failed_tags = {tag for scenario in run.failed for tag in scenario.tags if tag.startswith("behaviour.")}
    assert run.failed and failed_tags == {STREAM_END}, [(scenario.name, scenario.message) for scenario in run.failed]
    findings = [
        attachment["name"]
        for path in results.glob("*-result.json")
        for step in json.loads(path.read_text())["steps"]
        if "Alice has received" in step["name"]
        for attachment in step.get("attachments", [])
        if attachment["name"].startswith("stream finding")
    ]
    assert findings and all("no done event: connection closed before the done event" in name for name in findings)


def test_requests_carry_no_cookie_they_do_not_name():
    """The deployment serves a request without a token as whoever its log-in cookie names: the examples that
    send the sign-in cookies catch it, and the plain "no token" examples pass, so no cookie rode along."""
    run = run_suite(faults=["identity_from_cookie"], tags="@behaviour.missing_token_refused")
    by_token = {}
    for scenario in run.scenarios:
        kind = "cookies" if "cookies of her sign-in" in scenario.name else "none"
        by_token.setdefault(kind, set()).add(scenario.status)
    assert by_token == {"cookies": {"failed"}, "none": {"passed"}}, run.output


def test_refusals_are_judged_by_their_status_alone():
    """Error bodies without "message" are the contract check's finding; with it off, every refusal scenario
    (the statuses are right) passes."""
    run = run_suite(faults=["auth_errors_without_message"], defines={"contract_checks": "off"})
    assert run.exit_code == 0 and not run.failed, [(scenario.name, scenario.message) for scenario in run.failed]


def test_access_tokens_that_expire_during_a_stream_are_renewed_before_the_next_request():
    """Tokens live 3 s; each reply streams for about 4 s (1 s between its 5 chunks), so every confirmation
    after a stream needs a new sign-in, which the suite makes from the token's exp claim."""
    run = run_suite(faults=["short_lived_tokens"], tags=SEED_SCENARIOS, defines={"model_chunk_delay": "1"})
    assert run.exit_code == 0 and run.scenarios_run == 3 and not run.failed, run.output
    renewed = re.search(r"sign-ins: \d+ accounts, (\d+) signed in again", run.output)
    assert renewed and int(renewed.group(1)) >= 3, run.output


def test_heartbeats_keep_a_slow_first_token_alive_beyond_the_read_timeout():
    """The first chunk comes 1.5 s after the stream opens, with a heartbeat comment every 0.25 s: with a read
    timeout of 1 s, the heartbeats are what keeps each stream from being cut as stalled."""
    run = run_suite(faults=["slow_first_token"], tags=SEED_SCENARIOS, defines={"read_timeout": "1"})
    assert run.exit_code == 0 and run.scenarios_run == 3 and not run.failed, run.output
