"""Splitting the suite across CI jobs, and putting their reports back together.

    python -m suite_tools.shards select K/N            # the scenario locations of shard K of N, one per line
    python -m suite_tools.shards merge DIR... --into reports

`select` lists every scenario of features/ (each Scenario Outline row on its own) in a fixed order (feature file,
then line) and deals them out in turn: shard K takes the scenarios at positions K-1, K-1+N, ... So the shards
of one N never overlap, together cover every scenario once, and the split does not depend on the machine or
the run. `make acceptance SHARD=K/N` passes the locations to behave as `path:line` arguments.

`merge` takes the reports/ folders of the shard jobs (each with allure-results/ and junit/) and writes one
reports/allure-results (each scenario's result once; the run's metadata files once) and one reports/junit (each
feature's testcases in one testsuite, totals recounted). A shard reports the other shards' scenarios as skipped
(behave's `show_skipped`); the merge keeps, for each scenario, the result of the shard that ran it, so a
scenario skipped with a reason in every shard stays skipped. `make report` (or
`python -m chat_acceptance.reporting.html_report`) then builds one HTML report and appends one run to
reports/allure-history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from pathlib import Path

from behave.parser import parse_file

from suite_tools.suite_runs import FEATURES, ROOT


class ShardError(ValueError):
    """A shard that cannot be chosen or merged; the message is one line."""


def parse_shard(text: str) -> tuple[int, int]:
    """ "2/3" -> (2, 3)."""
    index, slash, total = text.partition("/")
    if not slash or not index.strip().isdigit() or not total.strip().isdigit():
        raise ShardError(f"SHARD={text!r} is not K/N (for example SHARD=1/3)")
    index, total = int(index), int(total)
    if not 1 <= index <= total:
        raise ShardError(f"SHARD={text!r}: K must be between 1 and N")
    return index, total


def scenario_locations(features_dir: Path = FEATURES) -> list[str]:
    """Every scenario (each outline row on its own) as "features/x.feature:LINE", in a fixed order."""
    locations = []
    for path in sorted(features_dir.rglob("*.feature")):
        feature = parse_file(str(path))
        lines = sorted(scenario.line for scenario in feature.walk_scenarios())
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        locations += [f"{shown}:{line}" for line in lines]
    return locations


def select(index: int, total: int, locations: Sequence[str]) -> list[str]:
    return list(locations[index - 1 :: total])


# -- merging -------------------------------------------------------------------------------------------------


def merge(shard_dirs: Iterable[Path], into: Path) -> tuple[int, int]:
    """Merges the shards' reports into `into`; returns (Allure results, JUnit testcases) written."""
    shard_dirs = list(shard_dirs)
    if not shard_dirs:
        raise ShardError("no shard folders to merge")
    for shard in shard_dirs:
        if not (shard / "allure-results").is_dir() and not (shard / "junit").is_dir():
            raise ShardError(f"{shard} holds neither allure-results/ nor junit/")
    results_out, junit_out = into / "allure-results", into / "junit"
    for folder in (results_out, junit_out):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    results = _merge_allure(shard_dirs, results_out)
    cases = _merge_junit(shard_dirs, junit_out)
    return results, cases


def _merge_allure(shard_dirs: list[Path], into: Path) -> int:
    chosen: dict[str, tuple[Path, dict]] = {}  # historyId -> the result that ran (else the first)
    for shard in shard_dirs:
        source = shard / "allure-results"
        for item in sorted(source.iterdir()) if source.is_dir() else ():
            if item.name.endswith("-result.json"):
                result = json.loads(item.read_text(encoding="utf-8"))
                key = result.get("historyId") or result.get("fullName") or item.name
                if key not in chosen or (
                    chosen[key][1].get("status") == "skipped" and result.get("status") != "skipped"
                ):
                    chosen[key] = (item, result)
            elif item.is_file() and not (into / item.name).exists():  # attachments (unique names), metadata once
                shutil.copyfile(item, into / item.name)
    for item, _ in chosen.values():
        shutil.copyfile(item, into / item.name)
    return len(chosen)


def _merge_junit(shard_dirs: list[Path], into: Path) -> int:
    suites: dict[str, ElementTree.Element] = {}
    cases: dict[str, dict[tuple[str, str], ElementTree.Element]] = {}
    for shard in shard_dirs:
        for report in sorted((shard / "junit").glob("*.xml")):
            suite = ElementTree.parse(report).getroot()
            suites.setdefault(report.name, suite)
            kept = cases.setdefault(report.name, {})
            for case in suite.findall("testcase"):
                key = (case.get("classname", ""), case.get("name", ""))
                if key not in kept or (_skipped(kept[key]) and not _skipped(case)):
                    kept[key] = case
    total = 0
    for name, suite in suites.items():
        for case in suite.findall("testcase"):
            suite.remove(case)
        chosen = list(cases[name].values())
        for case in chosen:
            suite.append(case)
        suite.set("tests", str(len(chosen)))
        suite.set("failures", str(sum(case.find("failure") is not None for case in chosen)))
        suite.set("errors", str(sum(case.find("error") is not None for case in chosen)))
        suite.set("skipped", str(sum(_skipped(case) for case in chosen)))
        suite.set("time", f"{sum(float(case.get('time', '0')) for case in chosen):.4f}")
        total += len(chosen)
        ElementTree.ElementTree(suite).write(into / name, encoding="utf-8", xml_declaration=True)
    return total


def _skipped(case: ElementTree.Element) -> bool:
    return case.find("skipped") is not None or case.get("status") in ("skipped", "untested")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suite_tools.shards", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    choose = commands.add_parser("select", help="print the scenario locations of shard K of N")
    choose.add_argument("shard", help="K/N, e.g. 1/3")
    join = commands.add_parser("merge", help="merge the shards' reports/ folders into one")
    join.add_argument("shards", nargs="+", type=Path, help="each shard job's reports/ folder")
    join.add_argument("--into", type=Path, default=Path("reports"), help="where to write (default: %(default)s)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "select":
            index, total = parse_shard(arguments.shard)
            chosen = select(index, total, scenario_locations())
            if not chosen:
                raise ShardError(f"shard {index}/{total} has no scenario: the suite has fewer than {total}")
            print("\n".join(chosen))
            return 0
        results, cases = merge(arguments.shards, arguments.into)
    except ShardError as problem:
        print(f"shards: {problem}", file=sys.stderr)
        return 2
    print(
        f"merged {len(arguments.shards)} shards into {arguments.into}: {results} Allure results, "
        f"{cases} JUnit testcases"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
