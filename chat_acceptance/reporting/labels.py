"""The Allure labels and links the suite adds to a scenario: epic, story, severity, the contract's sections and
promises from its tags; names for Scenario Outline rows; why a scenario was not checked.

A cheap no-op when behave runs without the Allure formatter; needs `allure_dynamic.install()` from before_all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import allure
from allure_commons.mapping import parse_tag
from allure_commons.model2 import Link
from allure_commons.types import Severity
from behave.model import Feature, Rule, Scenario, ScenarioOutline

from chat_acceptance import contract_map
from chat_acceptance.reporting.allure_dynamic import current_test

# Where a @contract.<anchor> tag links to: the contract, relative to the report's index.html in
# reports/allure-report/ (the contract lives beside this repository, in ../shared/contract.md).
CONTRACT_URL = "../../../shared/contract.md"
# The map of the contract (contract/promises.yaml), relative to reports/allure-report/index.html.
MAP_URL = "../../contract/promises.yaml"
NOT_CHECKED_LABEL = "not_checked"  # a skipped scenario's reason, for reports/promises.md

_ROW_ID = re.compile(r" -- @\d+\.\d+$")  # behave's row annotation (pyproject: scenario_outline_annotation_schema)
_SEVERITIES = frozenset(severity.value for severity in Severity)


def apply_scenario_labels(scenario: Scenario, *, contract_url: str = CONTRACT_URL, map_url: str = MAP_URL) -> None:
    """Adds the labels and links that allure-behave does not derive itself. Call from before_scenario.

    allure-behave already turns the feature's and the scenario's tags into labels (every tag a `tag`,
    @blocker..@trivial a severity, @allure.label.<name>:<value>, @allure.link...) and adds the feature label.
    This adds the epic (@epic.<name>, underscores read as spaces; else the feature's name), the story (the
    scenario's Rule), the Rule's own tags (allure-behave ignores them; the most specific severity wins) and a
    link per @contract.<anchor> to that section of the contract.
    """
    if current_test() is None:
        return
    rule = _rule_of(scenario)
    rule_tags = list(rule.tags) if rule else []
    tags = [*scenario.feature.tags, *rule_tags, *scenario.tags]  # least to most specific

    epics = [tag.removeprefix("epic.").replace("_", " ") for tag in tags if tag.startswith("epic.")]
    allure.dynamic.epic(*(epics or [scenario.feature.name]))
    if rule is not None:
        allure.dynamic.story(rule.name)
    for tag in rule_tags:
        parsed = parse_tag(tag)
        if isinstance(parsed, Link):
            allure.dynamic.link(parsed.url, link_type=parsed.type, name=parsed.name)
        elif parsed.name != "severity":
            allure.dynamic.label(parsed.name, parsed.value)
    severities = [tag for tag in tags if tag in _SEVERITIES]
    if severities:
        allure.dynamic.severity(severities[-1])
    for anchor in dict.fromkeys(tag.removeprefix("contract.") for tag in tags if tag.startswith("contract.")):
        allure.dynamic.link(f"{contract_url}#{anchor}", name=f"contract: {_section_title(anchor)}")
    # The map of the contract on each scenario: a label per promise it checks, and a link to the map per contract
    # section naming them (Allure keeps one link per address, so these never replace the section links above).
    by_section: dict[str, list[str]] = {}
    for promise in contract_map.load().for_tags(tags):
        allure.dynamic.label("promise", promise.id)
        by_section.setdefault(contract_map.section_of(promise.quote), []).append(promise.id)
    for anchor, ids in by_section.items():
        allure.dynamic.link(f"{map_url}#{anchor}", name=f"promises ({_section_title(anchor)}): {', '.join(ids)}")


def name_outline_rows(features: Iterable[Feature]) -> None:
    """Names each Scenario Outline row by its example values instead of behave's "-- @1.2". Call from before_all,
    before any formatter sees a scenario.

    pyproject's `scenario_outline_annotation_schema = "{name} -- @{row.id}"` gives every row a distinct name
    while the features are parsed (behavex tells rows apart by it); behave's schema cannot show the values. Here
    the "-- @1.2" goes, a name whose <placeholders> already hold the row's values is kept as it is, and rows
    whose names would be alike get their values appended: "An allocation raises the balance ... (username)".
    """
    for feature in features:
        for outline in _outlines(feature):
            rows = outline.scenarios
            names = [_ROW_ID.sub("", row.name) for row in rows]
            for row, name in zip(rows, names, strict=True):
                if names.count(name) > 1 and getattr(row, "_row", None) is not None:
                    name = f"{name} ({', '.join(cell.strip() for cell in row._row.cells)})"
                row.name = name


def _outlines(container: Any) -> Iterator[ScenarioOutline]:
    for item in getattr(container, "run_items", []):
        if isinstance(item, ScenarioOutline):
            yield item
        elif isinstance(item, Rule):
            yield from _outlines(item)


def _rule_of(scenario: Scenario) -> Rule | None:
    entity = scenario.parent  # a Feature, a Rule, or the Scenario Outline that generated this scenario
    while entity is not None and not isinstance(entity, Rule):
        entity = getattr(entity, "parent", None)
    return entity


def _section_title(anchor: str) -> str:
    # A Markdown heading's anchor back to words: "confirming-a-streamed-reply" -> "Confirming a streamed reply".
    words = anchor.replace("-", " ")
    return words[:1].upper() + words[1:]


def mark_not_checked(reason: str) -> None:
    """Records on the running scenario's Allure result why it was not checked: a label the promise table reads,
    and the description the HTML report shows. Call from after_scenario."""
    if current_test() is None:
        return
    allure.dynamic.label(NOT_CHECKED_LABEL, reason)
    allure.dynamic.description(reason)
