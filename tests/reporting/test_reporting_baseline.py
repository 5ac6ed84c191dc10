"""chat_acceptance.reporting.baseline: identities, the comparison rule and the command line, without behave."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from chat_acceptance.reporting import baseline
from chat_acceptance.reporting.baseline import RunOutcomes, compare, scenario_identity


def scenario(name, filename="features/security.feature", row=None):
    return SimpleNamespace(name=name, filename=filename, _row=SimpleNamespace(cells=row) if row else None)


def test_an_identity_names_the_feature_file_and_writes_the_example_row_out():
    assert scenario_identity(scenario("A new conversation appears", "features/conversations.feature")) == (
        "conversations.feature: A new conversation appears"
    )
    outline = scenario("The chat service refuses no token -- @1.3 No token at all", row=["chat", "lists", "no token"])
    # The row's number (@1.3) moves when examples are added; its values do not.
    assert scenario_identity(outline) == "security.feature: The chat service refuses no token | chat | lists | no token"


def outcomes(**statuses):
    return RunOutcomes(
        aborted=False,
        scenarios={
            name: {"status": status, **({"reason": f"headline {name}"} if status == "failed" else {})}
            for name, status in statuses.items()
        },
    )


def test_only_known_failures_pass_and_a_known_one_that_passes_fails():
    known = {"a": "headline a", "b": "headline b"}
    assert compare(outcomes(a="failed", b="failed", c="passed"), known).passed
    new = compare(outcomes(a="failed", b="failed", c="failed"), known)
    assert not new.passed and new.new_failures == {"c": "headline c"}
    assert "NEW FAILURE: c — headline c" in new.report()
    fixed = compare(outcomes(a="failed", b="passed"), known)
    assert not fixed.passed and fixed.now_passing == ["b"]
    assert "NOW PASSES (remove it from the baseline): b" in fixed.report()
    assert "known defect: a — headline a" in fixed.report()


def test_a_known_defect_failing_with_another_headline_fails_the_run():
    # A recorded leak that became "accepts any ID" is another defect in the same scenario.
    verdict = compare(outcomes(a="failed"), {"a": "Streaming session ID revealed: ..."})
    assert not verdict.passed and verdict.changed == {"a": ("Streaming session ID revealed: ...", "headline a")}
    assert verdict.known_failing == {}
    assert "ANOTHER HEADLINE: a — recorded: Streaming session ID revealed: ... — now: headline a" in verdict.report()


def test_a_known_defect_that_did_not_run_fails_the_run():
    verdict = compare(outcomes(c="passed"), {"a": "headline a"})
    assert not verdict.passed and verdict.not_run == ["a"]
    assert "NOT RUN (a known defect must run to be known): a" in verdict.report()


def test_the_baseline_file_round_trips_and_a_missing_one_is_none(tmp_path):
    path = tmp_path / "acceptance-baseline.json"
    assert baseline.load(path) is None and baseline.load("") is None
    baseline.write(path, {"b": "why b", "a": "why a"})
    assert baseline.load(path) == {"a": "why a", "b": "why b"}
    assert list(json.loads(path.read_text())["known_defects"]) == ["a", "b"]  # sorted: small diffs when it shrinks


def test_a_broken_baseline_file_says_so(tmp_path):
    path = tmp_path / "acceptance-baseline.json"
    path.write_text('{"known_defects": ["a"]}')
    with pytest.raises(ValueError, match="must map scenario identities to reasons"):
        baseline.load(path)


def test_a_run_that_stopped_compares_nothing_and_keeps_behaves_status(tmp_path, capsys):
    outcomes_dir = tmp_path / "outcomes"
    assert baseline.main(["check", "--outcomes", str(outcomes_dir), "--behave-status", "3"]) == 3
    outcomes_dir.mkdir()
    (outcomes_dir / "outcomes-1.json").write_text(json.dumps({"aborted": True, "scenarios": {}}))
    assert baseline.main(["record", "--outcomes", str(outcomes_dir), "--baseline", str(tmp_path / "b.json")]) == 1
    assert not (tmp_path / "b.json").exists()
    assert "the run stopped before its scenarios finished" in capsys.readouterr().out


def test_a_run_the_health_watcher_stopped_is_never_recorded(tmp_path, capsys):
    outcomes_dir = tmp_path / "outcomes"
    outcomes_dir.mkdir()
    stopped = {"status": "failed", "reason": "the run stopped: the chat service stalled (3 streams in a row ...)"}
    defect = {"status": "failed", "reason": "expected the request to be refused as not found (404), but ..."}
    (outcomes_dir / "outcomes-1.json").write_text(
        json.dumps({"aborted": False, "scenarios": {"a": defect, "b": stopped}})
    )
    status = baseline.main(["record", "--outcomes", str(outcomes_dir), "--baseline", str(tmp_path / "b.json")])
    assert status == 1 and not (tmp_path / "b.json").exists()
    assert "a stopped run is never a known defect" in capsys.readouterr().out


def test_the_recorded_reason_is_the_first_line_of_the_failure_only():
    step = SimpleNamespace(
        status="failed",
        name="x",
        keyword="Then",
        error_message="ASSERT FAILED: expected a thing, but another\nvalue sent: 'abc-123'",
    )
    failing = SimpleNamespace(
        name="s",
        filename="features/f.feature",
        _row=None,
        all_steps=[step],
        status=SimpleNamespace(name="failed"),
        location="features/f.feature:3",
        effective_tags=["critical"],
        error_message=None,
    )
    recorder = baseline.OutcomeRecorder("unused", None)
    recorder.record(failing)
    assert recorder.outcomes["f.feature: s"]["reason"] == "expected a thing, but another"


def test_outcomes_of_parallel_processes_are_merged(tmp_path):
    for pid, scenarios in ((1, {"a": {"status": "failed", "reason": "r"}}), (2, {"b": {"status": "passed"}})):
        (tmp_path / f"outcomes-{pid}.json").write_text(json.dumps({"aborted": False, "scenarios": scenarios}))
    assert RunOutcomes.read(tmp_path).failures() == {"a": "r"} and len(RunOutcomes.read(tmp_path).scenarios) == 2
