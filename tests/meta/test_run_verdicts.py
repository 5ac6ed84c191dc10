"""Verdicts a team can trust when things go wrong: two defects at once, a stalled platform, throttling, and what
the console shows when behave runs as `make acceptance` runs it (capturing hook output, not on a terminal)."""

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from chat_acceptance.reporting.run_metadata import CATEGORIES_FILE
from suite_tools.fault_matrix import run_suite
from suite_tools.suite_runs import SEED_SCENARIOS, embedded_only, write_behave_ini
from tests.meta.meta_kit import separate_deployment

CATEGORIES = json.loads(CATEGORIES_FILE.read_text())
STALL_REASON = (
    "the run stopped: the chat service stalled (3 streams in a row sent nothing within the read timeout), so the "
    "remaining scenarios fail at once"
)
A_MINUTE_S = 60
TOKENS_AS_STRING = (
    "Contract violation: POST /api/chat/sessions/{sessionId}/update-stream → 200: $.tokensUsed must be integer, "
    "got a string"
)


def category_of(message: str) -> str | None:
    """The Allure category a failure lands in (Allure 3 searches each messageRegex; the first match wins).
    `message` is behave's ("ASSERT FAILED: ..."); allure-behave records the exception ("AssertionError: ...")."""
    message = "AssertionError: " + message.removeprefix("ASSERT FAILED: ") + "\n"
    for candidate in CATEGORIES:
        regex = candidate.get("messageRegex")
        if "failed" in candidate["matchedStatuses"] and (regex is None or re.search(regex, message)):
            return candidate["name"]
    return None


def test_one_finding_never_hides_another_behaviour_first(tmp_path):
    """A wrong ID accepted and tokensUsed sent as a string: the wrong-ID scenarios fail as wrong IDs accepted, and
    the contract finding is reported beside them; a scenario that only breaks the shapes fails on the finding."""
    results = tmp_path / "allure-results"
    run = run_suite(
        faults=["accept_any_id", "tokens_used_as_string"],
        tags="@behaviour.wrong_id_rejected or @behaviour.own_id_confirms",
        allure_results=results,
    )
    wrong_id = [scenario for scenario in run.failed if "behaviour.wrong_id_rejected" in scenario.tags]
    own_id = [scenario for scenario in run.failed if "behaviour.own_id_confirms" in scenario.tags]
    assert len(wrong_id) == 2 and len(own_id) == 1, run.output
    for scenario in wrong_id:
        assert "Contract violation" not in scenario.message
        assert category_of(scenario.message) == "Wrong streaming ID accepted", scenario.message
    assert own_id[0].message == f"ASSERT FAILED: {TOKENS_AS_STRING}"
    assert category_of(own_id[0].message) == "Contract violation"
    beside = run.output[run.output.index("Contract findings beside failed scenarios (2):") :]
    assert all(f"{scenario.name}\n      {TOKENS_AS_STRING}" in beside for scenario in wrong_id)
    assert all(scenario.contract_finding == TOKENS_AS_STRING and scenario.broke_the_contract for scenario in wrong_id)
    # In the report: each wrong-ID scenario under its behaviour's category, and its finding beside it, a result of
    # its own under "Contract violation".
    reported = {
        result["name"]: result for result in map(json.loads, map(Path.read_text, results.glob("*-result.json")))
    }
    for scenario in wrong_id:
        beside = reported[f"{scenario.name} (contract)"]
        assert beside["status"] == "failed" and beside["statusDetails"]["message"] == TOKENS_AS_STRING
        assert category_of(beside["statusDetails"]["message"]) == "Contract violation"
        assert reported[scenario.name]["status"] == "failed"
        assert category_of(reported[scenario.name]["statusDetails"]["message"]) == "Wrong streaming ID accepted"


def test_a_stalled_embedded_platform_gets_its_verdict_within_a_minute():
    run = run_suite(faults=["silent_after_three_chunks"])
    _assert_stopped_fast(run)


def test_a_stalled_deployment_gets_its_verdict_within_a_minute():
    with separate_deployment("silent_after_three_chunks", start_deadline_s=20) as deployment:
        run = run_suite(environment=deployment)
    _assert_stopped_fast(run)


def _assert_stopped_fast(run):
    assert run.exit_code != 0 and run.seconds < A_MINUTE_S, f"{run.seconds:.0f} s\n{run.output}"
    stopped = [scenario for scenario in run.failed if STALL_REASON in scenario.message]
    # Three streams stall (each failing on its own promise); every later scenario fails at once with the reason.
    assert len(stopped) >= len(run.failed) - 3 and len(stopped) > 40, run.output
    assert {category_of(scenario.message) for scenario in stopped} == {"Run stopped: platform stalled or throttled"}
    assert "3 stalls and 0 connection failures" in run.output


# Scenarios that go over rate_limited's 20 requests a second even on a busy machine: the near misses send their
# confirmations in a burst (near_miss_workers at once); without them, a slowed-down run stayed under the limit.
OVER_THE_RATE_LIMIT = f"{SEED_SCENARIOS} or @sessions or @behaviour.near_miss_rejected"


def test_a_rate_limit_is_honoured_and_reported_never_a_broken_promise():
    # rate_limited: 20 requests per second per client; the fault matrix runs the whole suite against it too.
    run = run_suite(faults=["rate_limited"], tags=OVER_THE_RATE_LIMIT)
    assert run.exit_code == 0 and not run.failed, run.output
    met = re.search(
        r"throttling: (\d+) answers were 429 Too Many Requests; waited (\d+\.\d) s of the 300 s budget", run.output
    )
    assert met and int(met[1]) > 0 and float(met[2]) > 0, run.output


def test_pacing_keeps_a_rate_limited_platform_from_throttling_at_all():
    run = run_suite(faults=["rate_limited"], tags=SEED_SCENARIOS, defines={"max_requests_per_second": "12"})
    assert run.exit_code == 0 and not run.failed, run.output
    assert "throttling: 0 answers were 429 Too Many Requests" in run.output


def test_a_spent_waiting_budget_ends_the_run_with_that_reason_and_fails_no_scenario():
    """Throttling is no broken promise: once the budget is spent (in set-up or later), what is left is not checked
    (skipped with the reason), nothing fails, and the run ends non-zero with its THROTTLED line."""
    run = run_suite(faults=["rate_limited"], tags=OVER_THE_RATE_LIMIT, defines={"throttle_budget": "0"})
    assert run.exit_code != 0 and not run.failed, run.output
    assert any(scenario.status == "skipped" for scenario in run.scenarios), run.output
    assert "THROTTLED: " in run.output, run.output
    assert "kept answering 429 Too Many Requests and the run's waiting budget of 0 s" in run.output


def test_the_console_prints_each_step_once_and_ends_with_the_failures_their_findings_and_the_count():
    """As `make acceptance` runs behave: hook output captured, stdout not a terminal (the compact format)."""
    run = run_suite(
        faults=["accept_any_id"], tags="@behaviour.wrong_id_rejected or @behaviour.own_id_confirms", capture=True
    )
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert not any(line.lstrip().startswith(("Given ", "When ", "Then ", "And ")) for line in lines), run.output
    assert any(
        re.fullmatch(r"\s+A reply confirmed with its own streaming session ID is accepted\s+\.+", line)
        for line in lines
    ), run.output
    failing = run.output[run.output.index("Failing scenarios (2):") : run.output.index("Findings (")]
    assert failing.count("expected the confirmation to be rejected as a streaming session ID mismatch") == 2
    assert any(
        re.fullmatch(
            r"contract checks: [1-9]\d* responses and [1-9]\d* stream events validated against "
            r"contract/openapi.yaml",
            line,
        )
        for line in lines
    ), lines[-8:]
    # One defect failing two rows is one finding, and the run's last line says so.
    assert "Findings (1), worst first:" in run.output and lines[-1] == "1 finding in 2 failing scenarios", lines[-4:]


def test_outline_rows_are_named_by_their_example_values():
    run = run_suite(tags="@behaviour.wrong_id_rejected or @behaviour.allocation_raises_balance")
    names = sorted(scenario.name for scenario in run.scenarios)
    assert names == [
        "A reply confirmed with any other ID is rejected as a mismatch (a made-up ID)",
        "A reply confirmed with any other ID is rejected as a mismatch (an ID shaped like the issued one)",
        "An allocation raises the balance by exactly its amount (user id)",
        "An allocation raises the balance by exactly its amount (username)",
    ], names


def test_on_a_terminal_the_console_is_pretty_and_prints_each_step_once(tmp_path):
    write_behave_ini(tmp_path, formats={"json": tmp_path / "results.json"})
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "behave", "--no-color", "--tags=@core"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=embedded_only(os.environ),
    ) as behave:
        os.close(secondary)
        output = _read_all(primary)
        assert behave.wait(timeout=120) == 0, output
    step = "When Alice confirms the reply with its own streaming session ID"
    assert "Scenario: A reply confirmed with its own streaming session ID is accepted" in output
    # Skipped scenarios are listed too; the step itself (not a longer one it begins) prints once.
    assert len(re.findall(rf"^\s*{re.escape(step)}\s+#", output, re.MULTILINE)) == 1, output
    ran = int(re.search(r"(\d+) scenarios? passed", output)[1])
    assert ran >= 3 and output.count("And every answer kept to the contract") == ran


def _read_all(descriptor: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # the terminal's other end closed: behave is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(descriptor)
    return b"".join(chunks).decode(errors="replace")
