"""The map of the contract with the last run's verdicts: reports/promises.md, one row per promise.

    python -m chat_acceptance.reporting.promise_table [--results reports/allure-results] [--output reports/promises.md]
    python -m chat_acceptance.reporting.promise_table --page docs/scenarios.md    # the map in the docs, after a change

A promise's verdict is that of the scenarios that check it (their behaviour tags, read from the Allure results):
failed when one failed or broke, passed when all that ran passed, NOT CHECKED (with the reason) when a scenario
of it could not be checked on this deployment and none failed, skipped or not run otherwise. A promise no
scenario checks shows its reason. Prints one line; exits 1 when there are no results to read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from chat_acceptance.contract_map import ContractMap, load
from chat_acceptance.reporting.labels import NOT_CHECKED_LABEL

_ORDER = ("failed", "broken", "passed", "skipped")


NOT_CHECKED = "not checked"  # the status of a skipped scenario whose promise this deployment did not let us check


def verdicts_by_tag(results: Path) -> dict[str, list[tuple[str, str]]]:
    """behaviour tag -> [(scenario name, status)] from the Allure results of the last run; a skipped scenario
    that was not checked has the status "not checked: <reason>"."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for result_file in sorted(results.glob("*-result.json")):
        result = json.loads(result_file.read_text())
        labels = result.get("labels", [])
        tags = {label["value"] for label in labels if label.get("name") == "tag"}
        reason = next((label["value"] for label in labels if label.get("name") == NOT_CHECKED_LABEL), None)
        status = result.get("status", "unknown")
        if status == "skipped" and reason:
            status = f"{NOT_CHECKED}: {reason.removeprefix('NOT CHECKED:').strip()}"
        for tag in tags:
            if tag.startswith("behaviour."):
                found[tag].append((result.get("name", "?"), status))
    return found


def verdict(statuses: list[str]) -> str:
    if not statuses:
        return "not run"
    if {"failed", "broken"} & set(statuses):
        return "FAILED"
    unchecked = [status for status in statuses if status.startswith(NOT_CHECKED)]
    if unchecked:  # never "passed": one of its scenarios could not be checked
        return "NOT CHECKED (" + unchecked[0].removeprefix(NOT_CHECKED + ":").strip().replace("|", "/") + ")"
    ran = [status for status in statuses if status != "skipped"]
    return "passed" if ran and all(status == "passed" for status in ran) else "skipped"


def table(contract_map: ContractMap, by_tag: dict[str, list[tuple[str, str]]]) -> str:
    lines = [
        "# The contract's promises and the last run's verdicts",
        "",
        "Generated from contract/promises.yaml and the Allure results; `make acceptance` rewrites it.",
        "",
        "| promise | what it promises | scenarios (behaviour tags) | last verdict |",
        "| --- | --- | --- | --- |",
    ]
    for promise in contract_map.promises:
        if promise.checked_by:
            runs = [run for tag in promise.checked_by for run in by_tag.get(tag, [])]
            scenarios = ", ".join(f"`{tag.removeprefix('behaviour.')}`" for tag in promise.checked_by)
            shown = f"{verdict([status for _, status in runs])} ({len(runs)} run)" if runs else "not run"
        else:
            scenarios, shown = "none", f"no scenario: {promise.reason}"
        lines.append(f"| `{promise.id}` | {promise.words} | {scenarios} | {shown} |")
    return "\n".join(lines) + "\n"


MAP_START, MAP_END = "<!-- the map of the contract: generated -->", "<!-- end of the map -->"


def page_section(contract_map: ContractMap) -> str:
    """The map as the documentation shows it (no verdicts: those are the last run's, in reports/promises.md)."""
    rows = ["| promise | what it promises | checked by |", "| --- | --- | --- |"]
    for promise in contract_map.promises:
        checked = ", ".join(f"`{tag.removeprefix('behaviour.')}`" for tag in promise.checked_by)
        rows.append(f"| `{promise.id}` | {promise.words} | {checked or 'no scenario: ' + promise.reason} |")
    return "\n".join([MAP_START, *rows, MAP_END])


def with_page_section(page: str, contract_map: ContractMap) -> str:
    start, end = page.index(MAP_START), page.index(MAP_END) + len(MAP_END)
    return page[:start] + page_section(contract_map) + page[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chat_acceptance.reporting.promise_table")
    parser.add_argument("--results", type=Path, default=Path("reports/allure-results"))
    parser.add_argument("--output", type=Path, default=Path("reports/promises.md"))
    parser.add_argument("--page", type=Path, help="rewrite the map in this documentation page instead (no verdicts)")
    args = parser.parse_args(argv)
    if args.page:
        args.page.write_text(with_page_section(args.page.read_text(), load()))
        print(f"the map of the contract rewritten in {args.page}")
        return 0
    if not any(args.results.glob("*-result.json")):
        print(f"promise table not written: no Allure results in {args.results}")
        return 1
    contract_map = load()
    text = table(contract_map, verdicts_by_tag(args.results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    failed = sum("| FAILED" in line for line in text.splitlines())
    unchecked = sum("| NOT CHECKED" in line for line in text.splitlines())
    not_run = sum(line.endswith("| not run |") for line in text.splitlines())
    print(
        f"promise table: {args.output} ({len(contract_map.promises)} promises, {failed} failed, {unchecked} not "
        f"checked, {not_run} not run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
