"""The map of the contract in the reports: a label per promise on each scenario, and reports/promises.md."""

import json
from pathlib import Path

from chat_acceptance.contract_map import ContractMap, Promise, load
from chat_acceptance.reporting import promise_table
from tests.reporting.reporting_samples import LABELS_ENVIRONMENT, NOTHING_STEPS

FEATURE = """
    Feature: Models
      @behaviour.models_listed
      Scenario: models are listed
        Given nothing
"""

STEPS, ENVIRONMENT = NOTHING_STEPS, LABELS_ENVIRONMENT


def test_each_scenario_carries_the_promises_it_checks_and_a_link_to_the_map(run_behave):
    run = run_behave(feature=FEATURE, steps=STEPS, environment=ENVIRONMENT)
    assert run.returncode == 0, run.output
    assert [value for name, value in run.labels("models are listed") if name == "promise"] == ["models.200"]
    assert {
        "name": "promises (Chat service): models.200",
        "type": "link",
        "url": "../../contract/promises.yaml#chat-service",
    } in run.results()["models are listed"]["links"]


def _result(folder, name, status, *tags):
    labels = [{"name": "tag", "value": tag} for tag in tags]
    (folder / f"{name}-result.json").write_text(json.dumps({"name": name, "status": status, "labels": labels}))


MAP = ContractMap(
    (
        Promise("a.one", "q1", ("behaviour.a", "behaviour.b"), words="first"),
        Promise("a.two", "q2", ("behaviour.c",), words="second"),
        Promise("a.three", "q3", (), reason="needs the secret", words="third"),
        Promise("a.four", "q4", ("behaviour.d",), words="fourth"),
    )
)


def test_a_promise_fails_when_one_of_its_scenarios_failed(tmp_path):
    _result(tmp_path, "s1", "passed", "behaviour.a")
    _result(tmp_path, "s2", "failed", "behaviour.b", "critical")
    _result(tmp_path, "s3", "passed", "behaviour.c")
    _result(tmp_path, "s4", "skipped", "behaviour.c")
    rows = {
        line.split("|")[1].strip(): line
        for line in promise_table.table(MAP, promise_table.verdicts_by_tag(tmp_path)).splitlines()
        if line.startswith("| `")
    }
    assert "FAILED (2 run)" in rows["`a.one`"]
    assert "passed (2 run)" in rows["`a.two`"]
    assert "no scenario: needs the secret" in rows["`a.three`"]
    assert rows["`a.four`"].endswith("| not run |")


def test_the_table_is_written_for_the_last_run(tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    _result(results, "s1", "passed", "behaviour.models_listed")
    output = tmp_path / "promises.md"
    assert promise_table.main(["--results", str(results), "--output", str(output)]) == 0
    text = output.read_text()
    assert "| `models.200` | the available models are listed | `models_listed` | passed (1 run) |" in text
    # A run that checked almost nothing (one stopped in set-up, say) must not read as all promises kept.
    not_run = sum(line.endswith("| not run |") for line in text.splitlines())
    assert not_run > 0 and f"0 failed, 0 not checked, {not_run} not run)" in capsys.readouterr().out


def test_no_results_no_table(tmp_path, capsys):
    assert promise_table.main(["--results", str(tmp_path), "--output", str(tmp_path / "promises.md")]) == 1
    assert "no Allure results" in capsys.readouterr().out


def test_the_docs_show_the_map_as_it_is():
    page = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
    text = page.read_text()
    assert promise_table.with_page_section(text, load()) == text, (
        "docs/scenarios.md's map is out of date: "
        "python -m chat_acceptance.reporting.promise_table --page docs/scenarios.md"
    )


def test_a_promise_whose_scenario_could_not_be_checked_is_not_checked_with_the_reason_never_passed(tmp_path):
    _result(tmp_path, "s1", "passed", "behaviour.a")
    _result(tmp_path, "s2", "passed", "behaviour.c")
    reason = {"name": "not_checked", "value": "NOT CHECKED: Carol still has 66 credits after 2 replies"}
    (tmp_path / "s3-result.json").write_text(
        json.dumps({"name": "s3", "status": "skipped", "labels": [{"name": "tag", "value": "behaviour.c"}, reason]})
    )
    _result(tmp_path, "s4", "failed", "behaviour.d")
    _result(tmp_path, "s5", "skipped", "behaviour.d")
    (tmp_path / "s6-result.json").write_text(
        json.dumps({"name": "s6", "status": "skipped", "labels": [{"name": "tag", "value": "behaviour.d"}, reason]})
    )
    rows = {
        line.split("|")[1].strip(): line
        for line in promise_table.table(MAP, promise_table.verdicts_by_tag(tmp_path)).splitlines()
        if line.startswith("| `")
    }
    assert "| NOT CHECKED (Carol still has 66 credits after 2 replies) (2 run) |" in rows["`a.two`"]
    assert "FAILED (3 run)" in rows["`a.four`"]  # a failure still wins
