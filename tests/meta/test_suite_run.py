"""The suite as teams run it: a whole run and its reports, a separately started deployment, bad set-ups."""

import json
import re
import secrets

import pytest

from chat_acceptance.reporting import html_report
from suite_tools.fault_matrix import run_suite
from suite_tools.suite_runs import suite_userdata
from tests.meta.meta_kit import free_port, separate_deployment

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ")
USERDATA = suite_userdata()
PASSWORDS = [value for name, value in USERDATA.items() if name.endswith("password")]
JWT_SECRET = f"meta-test-secret-{secrets.token_hex(8)}"
# One worker runs the module (make test's --dist loadgroup), so that its whole reported run is made once.
pytestmark = pytest.mark.xdist_group("reported_run")


@pytest.fixture(scope="module")
def reported_run(tmp_path_factory):
    """One whole run against the embedded platform, writing Allure results, with a known signing secret."""
    results = tmp_path_factory.mktemp("allure") / "results"
    return run_suite(allure_results=results, defines={"jwt_secret": JWT_SECRET}), results


def test_the_whole_suite_passes_against_the_reference_platform(reported_run):
    run, _ = reported_run
    assert run.exit_code == 0 and not run.failed, run.output
    assert len(run.scenarios) >= 59 and {scenario.status for scenario in run.scenarios} == {"passed"}
    assert re.search(r"contract checks: [1-9]\d* responses and [1-9]\d* stream events validated", run.output)


def test_every_scenario_has_one_allure_result_with_its_labels_and_exchanges(reported_run):
    run, results = reported_run
    tests = [json.loads(path.read_text()) for path in results.glob("*-result.json")]
    assert sorted(test["name"] for test in tests) == sorted(scenario.name for scenario in run.scenarios)
    for test in tests:
        labels = {label["name"] for label in test["labels"]}
        assert {"epic", "feature", "severity"} <= labels, test["name"]
        assert any(step.get("attachments") for step in test["steps"]), f"no exchange attached to {test['name']}"
    in_rules = [test for test in tests if any(label["name"] == "story" for label in test["labels"])]
    assert len(in_rules) >= 20, "the security feature's scenarios carry their Rule as the story"
    assert all(test.get("links") for test in tests if any("contract." in label["value"] for label in test["labels"]))
    assert (results / "environment.properties").is_file() and (results / "categories.json").is_file()


def test_no_secret_appears_in_the_allure_results(reported_run):
    _, results = reported_run
    for path in results.iterdir():
        text = path.read_text(errors="replace")
        assert not JWT.search(text), f"a token in {path.name}"
        for secret in [*PASSWORDS, JWT_SECRET]:
            assert secret not in text, f"a secret in {path.name}"


def test_the_html_report_is_generated_from_a_real_run(reported_run, tmp_path):
    _, results = reported_run
    output = tmp_path / "report"
    assert html_report.main(["--results", str(results), "--output", str(output)]) == 0
    assert (output / "index.html").stat().st_size > 100_000


def test_the_suite_passes_against_a_separately_started_deployment():
    # No JWT_SECRET: the deployment does not share its signing secret, so expired-token cases are skipped.
    with separate_deployment(start_deadline_s=15) as deployment:
        run = run_suite(environment=deployment)
    assert run.exit_code == 0 and not run.failed, run.output
    skipped = [scenario for scenario in run.scenarios if scenario.status == "skipped"]
    assert skipped and all("behaviour.expired_token_refused" in scenario.tags for scenario in skipped)
    assert len(run.scenarios) - len(skipped) >= 56


def test_a_service_that_is_down_stops_the_run_with_one_line(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    results, junit = tmp_path / "allure-results", tmp_path / "junit"
    run = run_suite(
        environment={"AUTH_SERVICE_URL": closed, "ACCOUNTING_SERVICE_URL": closed, "CHAT_SERVICE_URL": closed},
        defines={"health_deadline": "0.5"},
        allure_results=results,
        junit=junit,
    )
    assert run.exit_code != 0 and run.stopped_in_setup
    reason = f"auth service at {closed} is unavailable: connection refused (GET /health)"
    assert f"ABORTED: {reason}" in run.output
    assert run.scenarios[0].message == f"ASSERT FAILED: the suite's set-up failed: {reason}"
    assert "Traceback" not in run.output and "By user" not in run.output
    # The reports hold that one failed result, never the features as skipped (nor an earlier run).
    [allure] = [json.loads(path.read_text()) for path in results.glob("*-result.json")]
    assert (allure["name"], allure["status"]) == ("suite set-up", "failed")
    assert allure["statusDetails"]["message"] == f"AssertionError: the suite's set-up failed: {reason}\n"
    [report] = list(junit.glob("*.xml"))
    [case] = list(report.read_text().split("<testcase")[1:])
    assert (
        'name="suite set-up"' in case
        and f'<failure type="AssertionError" message="the suite\'s set-up failed: {reason}"' in case
    )


def test_a_bad_setting_stops_the_run_with_one_line():
    run = run_suite(defines={"stream_deadline": "soon"})
    assert run.exit_code != 0 and run.stopped_in_setup
    assert "ABORTED: configuration: stream_deadline='soon' (from -D stream_deadline) is not a number" in run.output
    assert "Traceback" not in run.output and "By user" not in run.output


def test_a_mistyped_setting_stops_the_run_naming_the_nearest_known_one():
    run = run_suite(defines={"stream_deadlin": "60"})
    assert run.exit_code != 0 and run.stopped_in_setup
    assert "ABORTED: configuration: unknown setting -D stream_deadlin; did you mean stream_deadline?" in run.output


def test_a_selection_that_matches_nothing_fails_the_run_with_one_line():
    run = run_suite(tags="@nosuchtag")
    assert run.exit_code != 0 and run.stopped_in_setup
    assert "ABORTED: nothing selected: no scenario matches --tags=@nosuchtag" in run.output


def test_contract_checks_can_be_turned_off_for_a_deployment_that_extends_the_contract():
    # tokens_used_as_string is seen by the conformance check alone: with it off, the scenario has nothing to say.
    tags = "@behaviour.own_id_confirms"
    checked = run_suite(faults=["tokens_used_as_string"], tags=tags)
    unchecked = run_suite(faults=["tokens_used_as_string"], tags=tags, defines={"contract_checks": "off"})
    assert checked.failed and "Contract violation:" in checked.failed[0].message
    assert unchecked.exit_code == 0 and unchecked.scenarios_run == 1 and not unchecked.failed, unchecked.output
    assert "contract checks:" not in unchecked.output
