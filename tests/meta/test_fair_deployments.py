"""Meta-tests for issue 21: the suite is fair to every honest deployment. Each runs behave (fault_matrix) against
the reference platform with a switch: an expensive model, welcome credits, slow confirmations, a strict rate
limit, and a run interrupted half-way."""

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import requests

from chat_acceptance.waiting import poll_until
from suite_tools.fault_matrix import run_suite
from suite_tools.suite_runs import ROOT, SEED_SCENARIOS, write_behave_ini
from tests.meta.meta_kit import separate_deployment

NO_CREDITS = "@behaviour.no_credits_no_stream"
NEAR_MISSES = "@behaviour.near_miss_rejected"


def test_an_expensive_model_is_paid_for_on_demand():
    """Replies cost about 600 credits: the 5000 of set-up pay for 8; the run learns the price and tops up."""
    run = run_suite(faults=["expensive_model"])
    assert run.exit_code == 0 and not run.failed, [(scenario.name, scenario.message) for scenario in run.failed]
    granted = re.search(
        r"credits: a reply costs up to (\d+) credits; the run granted (\d+) credits .*, (\d+) of "
        r"them on demand",
        run.output,
    )
    assert granted and int(granted.group(1)) >= 600 and int(granted.group(3)) > 0, run.output
    assert "left on purpose: " in run.output and "the contract has no route to take credits back" in run.output


def test_welcome_credits_are_spent_down_so_the_no_credits_promise_is_checked():
    run = run_suite(faults=["welcome_credits"], tags=NO_CREDITS)
    assert run.exit_code == 0 and [scenario.status for scenario in run.scenarios if scenario.status != "skipped"] == [
        "passed"
    ], run.output


def test_welcome_credits_and_no_balance_check_fail_the_no_credits_scenario_with_its_own_headline():
    run = run_suite(faults=["welcome_credits_unchecked_balance"], tags=NO_CREDITS)
    assert [scenario.name for scenario in run.failed] == ["A user without credits gets no reply"], run.output
    assert "the request to be refused as insufficient credits (402)" in run.failed[0].message


def test_welcome_credits_beyond_reach_leave_the_promise_not_checked_never_passed(tmp_path):
    junit = tmp_path / "junit"
    run = run_suite(
        faults=["welcome_credits"], tags=NO_CREDITS, defines={"spend_down_replies": "1"}, junit=junit, show_skipped=True
    )
    assert not run.failed and "Not checked (1), so neither passed nor failed:" in run.output, run.output
    assert "Carol still has" in run.output and "-D spend_down_replies" in run.output
    assert not [scenario for scenario in run.scenarios if scenario.status == "passed"]
    messages = [
        skipped.get("message")
        for path in junit.glob("*.xml")
        for skipped in ElementTree.parse(path).getroot().iter("skipped")
        if skipped.get("message")
    ]
    assert len(messages) == 1 and messages[0].startswith("NOT CHECKED: Carol still has"), messages


def test_slow_confirmations_of_a_family_go_out_together_within_its_budget(tmp_path):
    """Each confirmation takes 1.2 s: a family's twelve near misses one after another would take 14 s each."""
    results = tmp_path / "allure"
    run = run_suite(faults=["slow_confirmation"], tags=NEAR_MISSES + " and @core", allure_results=results)
    ran = [scenario for scenario in run.scenarios if scenario.status != "skipped"]
    assert run.exit_code == 0 and ran and not run.failed, run.output
    assert run.seconds < 12 * 1.2 * len(ran), run.seconds  # a serial family alone would need more
    reports = [path.read_text() for path in results.glob("*-attachment*") if "near misses tried in" in path.read_text()]
    assert reports and all(re.search(r"^12 of 12 near misses tried in \d+\.\d+ s$", text, re.M) for text in reports)


def test_a_strict_rate_limit_ends_the_run_with_what_it_could_not_check_and_no_failure(tmp_path):
    junit = tmp_path / "junit"
    run = run_suite(faults=["strict_rate_limit"], defines={"throttle_budget": "2"}, junit=junit, show_skipped=True)
    assert run.exit_code != 0 and not run.failed, [(scenario.name, scenario.message) for scenario in run.failed]
    skipped = [scenario for scenario in run.scenarios if scenario.status == "skipped"]
    assert len(skipped) > 100 and run.seconds < 60
    line = next(line for line in run.output.splitlines() if line.startswith("THROTTLED: "))
    assert re.fullmatch(
        r"THROTTLED: the chat service allows 30 requests per 60 s \(X-RateLimit-\*\); the run still needed about "
        r"\d+ requests for \d+ scenarios \(about \d+ min at that rate\); allow it with a bigger -D throttle_budget "
        r"\(seconds\), an allow-listed client for the suite, or fewer scenarios \(--tags=@core\)",
        line,
    )
    assert "429 Too Many Requests" not in " ".join(scenario.message for scenario in run.scenarios)
    reasons = [
        skipped.get("message") or ""
        for path in junit.glob("*.xml")
        for skipped in ElementTree.parse(path).getroot().iter("skipped")
    ]
    assert sum("NOT CHECKED: the run stopped: the chat service" in reason for reason in reasons) == len(skipped)


def test_an_interrupted_run_still_removes_what_it_created():
    """SIGTERM half-way through a run against a deployment: the running scenario's clean-up and the run's sweep
    remove what it created; the summary says so."""
    prefix = f"meta-{os.getpid()}"
    with separate_deployment(start_deadline_s=15) as deployment, tempfile.TemporaryDirectory() as scratch:
        write_behave_ini(Path(scratch), formats={"json": Path(scratch) / "results.json"})
        command = [
            sys.executable,
            "-m",
            "behave",
            "--no-color",
            "--no-capture",
            "-D",
            f"run_prefix={prefix}",
            "-D",
            "model_chunk_delay=0.2",
            str(ROOT / "features"),
        ]
        behave = subprocess.Popen(
            command,
            cwd=scratch,
            env={**os.environ, **deployment},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            alice = _signed_in(deployment, "user1", "User1@123")
            created = poll_until(lambda: _conversations(deployment, alice, prefix), bool, deadline_s=30)
            assert created, "the run created nothing to remove"
            behave.send_signal(signal.SIGTERM)
            output, _ = behave.communicate(timeout=60)
        finally:
            if behave.poll() is None:
                behave.kill()
        assert behave.returncode != 0 and "ABORTED" in output, output[-2000:]
        assert f"clean-up: everything this run created is named with '{prefix}-" in output, output[-2000:]
        assert "all of it was removed" in output, output[-2000:]
        assert _conversations(deployment, alice, prefix) == []


def _signed_in(deployment, username, password) -> str:
    answer = requests.post(
        deployment["AUTH_SERVICE_URL"] + "/api/auth/login", json={"username": username, "password": password}, timeout=5
    )
    return answer.json()["accessToken"]


def _conversations(deployment, token, prefix) -> list[str]:
    answer = requests.get(
        deployment["CHAT_SERVICE_URL"] + "/api/chat/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    return [session["title"] for session in answer.json()["sessions"] if session["title"].startswith(prefix)]


def test_a_deployment_where_nobody_may_allocate_gets_one_line_not_a_cascade():
    """No administrator or supervisor configured, and Alice and Bob start without credits: every reply they need
    is not checked, for one reason, and nothing fails in a Given."""
    run = run_suite(tags=f"{SEED_SCENARIOS} or {NO_CREDITS}", defines={"admin_user": "", "supervisor_user": ""})
    assert not run.failed, [(scenario.name, scenario.message) for scenario in run.failed]
    assert not [scenario for scenario in run.scenarios if scenario.status == "passed"]
    reasons = re.findall(r"^  (\S.*) \(\d+\):$", run.output[run.output.index("Not checked (") :], re.M)
    assert sorted(reasons) == [
        "Alice cannot pay for a reply (balance 0) and no administrator or supervisor is configured to allocate credits",
        "needs admin, which this run's configuration does not provide",
    ], run.output
