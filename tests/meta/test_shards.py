"""Shards (make acceptance SHARD=K/N) cover every scenario once, and their merged reports give a serial run's
verdicts. The CI templates that run them are checked in tests/ci."""

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from suite_tools import shards
from suite_tools.fault_matrix import run_suite


@pytest.mark.parametrize("total", [1, 2, 3, 5])
def test_the_shards_cover_every_scenario_exactly_once(total):
    every = shards.scenario_locations()
    chosen = [shards.select(index, total, every) for index in range(1, total + 1)]
    assert sorted(location for shard in chosen for location in shard) == sorted(every)
    assert len(set(every)) == len(every) >= 60
    assert all(abs(len(shard) - len(every) / total) < 1 for shard in chosen)  # evenly dealt
    assert chosen == [shards.select(index, total, shards.scenario_locations()) for index in range(1, total + 1)]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", ""])
def test_a_shard_that_is_not_k_of_n_is_refused(text):
    with pytest.raises(shards.ShardError):
        shards.parse_shard(text)


def test_merged_shards_give_the_serial_runs_verdicts(tmp_path):
    # A defect on, so that the verdicts compared hold failures as well as passes.
    faults = ["accept_other_session_id"]
    serial = _run(tmp_path / "serial", faults)
    locations = shards.scenario_locations()
    for index in (1, 2, 3):
        _run(tmp_path / "shards" / str(index), faults, paths=shards.select(index, 3, locations))
    results, cases = shards.merge(sorted((tmp_path / "shards").iterdir()), tmp_path / "merged")

    expected_junit, merged_junit = _junit_verdicts(serial / "junit"), _junit_verdicts(tmp_path / "merged" / "junit")
    assert merged_junit == expected_junit and cases == len(expected_junit) == len(locations)
    assert any(status == "failed" for status in expected_junit.values())
    assert _allure_verdicts(tmp_path / "merged" / "allure-results") == _allure_verdicts(serial / "allure-results")
    assert results == len(locations)
    assert (tmp_path / "merged" / "allure-results" / "categories.json").is_file()


def test_outline_rows_are_named_by_their_values_in_junit(tmp_path):
    junit = _run(tmp_path, [], tags="@behaviour.allocation_raises_balance") / "junit"
    names = sorted(_junit_verdicts(junit))
    assert not any("-- @" in name for _, name in names) and len(set(names)) == len(names) >= 60
    assert [name for _, name in names if "allocation raises" in name] == [
        "An allocation raises the balance by exactly its amount (user id)",
        "An allocation raises the balance by exactly its amount (username)",
    ]


def _run(reports: Path, faults, *, paths=(), tags=None) -> Path:
    (reports / "allure-results").mkdir(parents=True)
    run_suite(
        faults=faults,
        paths=paths,
        tags=tags,
        allure_results=reports / "allure-results",
        junit=reports / "junit",
        show_skipped=True,
    )
    return reports


def _junit_verdicts(folder: Path) -> dict[tuple[str, str], str]:
    verdicts = {}
    for report in folder.glob("*.xml"):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            status = (
                "failed"
                if case.find("failure") is not None or case.find("error") is not None
                else ("skipped" if case.find("skipped") is not None else "passed")
            )
            verdicts[(case.get("classname"), case.get("name"))] = status
    return verdicts


def _allure_verdicts(folder: Path) -> dict[str, tuple[str, str]]:
    verdicts = {}
    for path in folder.glob("*-result.json"):
        result = json.loads(path.read_text())
        message = (result.get("statusDetails") or {}).get("message") or ""
        verdicts[result["name"]] = (result["status"], message.splitlines()[0] if message else "")
    return verdicts
