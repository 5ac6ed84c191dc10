"""Parallel runs (parallel_suite, `make acceptance JOBS=N`): the same verdicts as a serial run, one merged set of
Allure results with every attachment, a non-zero exit status when a scenario fails, and a configured deployment
used as it is."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from suite_tools import bench, parallel_suite
from suite_tools.fault_matrix import run_suite
from suite_tools.suite_runs import FEATURES, embedded_only


def verdicts(timings) -> dict[tuple[str, str], str]:
    return {(timing.feature, timing.name.strip()): timing.status for timing in timings if timing.status != "skipped"}


def test_a_parallel_run_gives_the_same_verdicts_and_the_same_report_as_a_serial_one(tmp_path):
    serial = bench.run_serial(results_dir=tmp_path / "serial")
    parallel = bench.run_parallel(2, results_dir=tmp_path / "parallel")
    assert (serial.exit_code, parallel.exit_code) == (0, 0)
    assert verdicts(parallel.scenarios) == verdicts(serial.scenarios)
    assert len(verdicts(serial.scenarios)) > 50 and set(verdicts(serial.scenarios).values()) == {"passed"}
    # One merged report: every scenario that attached exchanges in the serial run did in the parallel one,
    # every attachment it names is there, and the run's metadata is written once for the whole run.
    attached = {(timing.feature, timing.name) for timing in serial.scenarios if timing.attachments}
    assert attached == {(timing.feature, timing.name) for timing in parallel.scenarios if timing.attachments}
    results = tmp_path / "parallel"
    for result in results.glob("*-result.json"):
        for source in _attachment_sources(json.loads(result.read_text())):
            assert (results / source).is_file(), source
    assert (results / "environment.properties").is_file()


def _attachment_sources(node: dict) -> list[str]:
    sources = [attachment["source"] for attachment in node.get("attachments") or ()]
    return sources + [source for step in node.get("steps") or () for source in _attachment_sources(step)]


def test_a_failing_scenario_fails_the_parallel_run_with_the_serial_verdicts(tmp_path):
    tags = "@behaviour.own_id_confirms or @behaviour.wrong_id_rejected"  # one scenario passes, two fail
    serial = run_suite(faults=["accept_any_id"], tags=tags)
    run = parallel_suite.run(
        2,
        scheme="scenario",
        behavex_args=[f"--tags={tags}", "-D", "reference_faults=accept_any_id"],
        results_dir=tmp_path / "results",
        output_dir=tmp_path / "behavex",
        junit_dir=tmp_path / "junit",
        environ=_without_deployment(),
        capture=True,
    )
    assert serial.exit_code != 0 and run.exit_code != 0, run.output[-2000:]
    parallel = {name: status for (_, name), status in verdicts(bench.scenario_timings(tmp_path / "results")).items()}
    assert parallel == {
        scenario.name.strip(): scenario.status for scenario in serial.scenarios if scenario.status != "skipped"
    }
    assert sorted(status for status in parallel.values()) == ["failed", "failed", "passed"]
    assert list((tmp_path / "junit").glob("TESTS-*.xml")), "the JUnit reports are copied for CI"


def test_a_configured_deployment_is_tested_as_it_is(reference_platform, tmp_path):
    platform = reference_platform()
    environ = {
        **_without_deployment(),
        "AUTH_SERVICE_URL": platform.auth_url,
        "ACCOUNTING_SERVICE_URL": platform.accounting_url,
        "CHAT_SERVICE_URL": platform.chat_url,
    }
    run = parallel_suite.run(
        2,
        behavex_args=["--tags=@core"],
        results_dir=tmp_path / "results",
        output_dir=tmp_path / "behavex",
        junit_dir=None,
        environ=environ,
        capture=True,
    )
    assert run.exit_code == 0, run.output[-2000:]
    with sqlite3.connect(platform.data_dir / "accounting.sqlite3") as database:
        assert database.execute("SELECT count(*) FROM allocations").fetchone()[0] >= 2  # Alice and Bob


def test_defines_are_read_from_behavex_arguments():
    arguments = ["--tags=@core", "-D", "model_chunk_delay=0.02", "--define", "reference_faults=a,b", "-Dflag"]
    assert parallel_suite.defines_in(arguments) == {
        "model_chunk_delay": "0.02",
        "reference_faults": "a,b",
        "flag": "true",
    }


def test_the_features_with_the_most_scenarios_start_first(tmp_path):
    for name, scenarios in (("small", 1), ("large", 3), ("medium", 2)):
        body = "".join(f"  Scenario: s{number}\n    Given nothing\n" for number in range(scenarios))
        (tmp_path / f"{name}.feature").write_text(f"Feature: {name}\n{body}")
    assert [path.stem for path in parallel_suite.features_longest_first(tmp_path)] == ["large", "medium", "small"]


def _without_deployment() -> dict[str, str]:
    return embedded_only(os.environ)


def test_the_real_features_are_all_found():
    found = {Path(path).name for path in parallel_suite.features_longest_first()}
    assert found == {path.name for path in FEATURES.glob("*.feature")}
