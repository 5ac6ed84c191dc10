"""The baseline of known defects with real runs: record with one defect on, then compare later runs with it."""

import json

from chat_acceptance.reporting import baseline
from suite_tools.fault_matrix import run_suite

# X: an earlier reply's ID accepted; Y: every user's conversations listed. Two scenarios are enough.
X, Y = "accept_earlier_stream_id", "foreign_sessions_listed"
X_SCENARIO = "security.feature: The ID of an earlier reply in the same conversation is rejected"
Y_SCENARIO = "security.feature: Another user does not see Alice's conversation in their list"
TAGS = "@behaviour.earlier_stream_id_rejected or @behaviour.foreign_session_unlisted"


def run_and_check(tmp_path, name, faults, known_file, capsys, *, action="check", allure=None, tags=TAGS, runs=4):
    outcomes = tmp_path / f"outcomes-{name}"
    run = run_suite(
        faults=faults,
        tags=tags,
        defines={"baseline": str(known_file) if action == "check" else "", "scenario_outcomes": str(outcomes)},
        allure_results=allure,
    )
    assert run.scenarios_run == runs, run.output
    capsys.readouterr()
    status = baseline.main(
        [action, "--outcomes", str(outcomes), "--baseline", str(known_file), "--behave-status", str(run.exit_code)]
    )
    return run, status, capsys.readouterr().out


def test_the_baseline_only_shrinks(tmp_path, capsys):
    known_file = tmp_path / "acceptance-baseline.json"

    run, status, printed = run_and_check(tmp_path, "record", [X], known_file, capsys, action="record")
    assert run.exit_code != 0 and status == 0, printed
    known = baseline.load(known_file)
    assert list(known) == [X_SCENARIO] and "rejected as a streaming session ID mismatch" in known[X_SCENARIO]

    # The same defect again: behave still fails, the baseline verdict passes, and the report says why.
    allure = tmp_path / "allure"
    run, status, printed = run_and_check(tmp_path, "again", [X], known_file, capsys, allure=allure)
    assert run.exit_code != 0 and status == 0, printed
    assert f"known defect: {X_SCENARIO} — {known[X_SCENARIO]}" in printed
    marked = [json.loads(path.read_text()) for path in allure.glob("*-result.json")]
    marked = [result for result in marked if {"name": "tag", "value": "known-defect"} in result["labels"]]
    assert [result["name"] for result in marked] == ["The ID of an earlier reply in the same conversation is rejected"]
    assert {"name": "known defect", "value": known[X_SCENARIO]} in marked[0]["labels"]

    # A new defect besides it: the run fails, naming the new scenario.
    run, status, printed = run_and_check(tmp_path, "new", [X, Y], known_file, capsys)
    assert status == 1 and f"NEW FAILURE: {Y_SCENARIO}" in printed and "baseline verdict: FAIL" in printed

    # The same scenario failing for another reason is another defect: the earlier reply's ID is now refused, but
    # not as a mismatch.
    run, status, printed = run_and_check(tmp_path, "changed", ["wrong_id_vague_400"], known_file, capsys)
    assert status == 1 and f"ANOTHER HEADLINE: {X_SCENARIO} — recorded: {known[X_SCENARIO]}" in printed, printed

    # The known defect deselected: it did not run, so the run proves nothing about it.
    run, status, printed = run_and_check(
        tmp_path, "deselected", [X], known_file, capsys, tags="@behaviour.foreign_session_unlisted", runs=3
    )
    assert status == 1 and f"NOT RUN (a known defect must run to be known): {X_SCENARIO}" in printed, printed

    # The known defect fixed: the run fails until its line is removed.
    run, status, printed = run_and_check(tmp_path, "fixed", [], known_file, capsys)
    assert run.exit_code == 0 and status == 1, printed
    assert f"NOW PASSES (remove it from the baseline): {X_SCENARIO}" in printed
