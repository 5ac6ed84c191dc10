"""Makes allure-behave 2.16 report what behave 1.3 and allure.dynamic give it.

Two gaps in allure-behave, both closed by `install()`:

- Its listener implements no add_label, add_title or add_parameter hook, so `allure.dynamic.label`, `.severity`,
  `.epic`, `.story`, `.tag`, `.title` and `.parameter` are silently lost. `DynamicMetadata` implements them on
  the running test result.
- Its formatter wraps only `feature.scenarios` in an Allure test, so scenarios inside a `Rule:` never reach the
  results at all (and steps with a table or text inside a Rule raise KeyError, allure-python issue #886).
  `install()` gives the formatter a `rule()` callback that wraps the Rule's scenarios the same way.

When the test result exists: the formatter wraps `Scenario.run`, and behave runs the before_tag and
before_scenario hooks, the steps, the after_scenario hook and the scenario's cleanups inside `Scenario.run`.
So `allure.dynamic.*` works anywhere from before_scenario to after_scenario; outside a scenario (before_all,
before_feature) there is no test result and the call does nothing. No queueing is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_commons.model2 import Label, Parameter, TestResult
from allure_commons.types import ALLURE_UNIQUE_LABELS, LabelType, ParameterMode
from allure_commons.utils import represent

if TYPE_CHECKING:
    from behave.model import Rule

_PLUGIN_NAME = "chat_acceptance.reporting.allure_dynamic"


def current_test() -> TestResult | None:
    """The running scenario's Allure test result; None without the Allure formatter or outside a scenario."""
    listener = _allure_listener()
    return listener.logger.get_test(None) if listener else None


def install() -> bool:
    """Registers the plugin and the Rule fix; idempotent. Call from before_all.

    Returns False (and does nothing) when behave runs without the Allure formatter.
    """
    if _allure_listener() is None:
        return False
    manager = allure_commons.plugin_manager
    if not manager.has_plugin(_PLUGIN_NAME):
        manager.register(DynamicMetadata(), name=_PLUGIN_NAME)
    if "rule" not in vars(AllureFormatter):  # leaves a future allure-behave's own rule() alone
        AllureFormatter.rule = _wrap_rule_scenarios
    return True


class DynamicMetadata:
    """The allure.dynamic hooks that allure-behave's listener lacks, applied to the running test."""

    @allure_commons.hookimpl
    def add_label(self, label_type: LabelType | str, labels: Iterable[Enum | str]) -> None:
        test = current_test()
        if test is None:
            return
        name = _plain(label_type)
        for value in map(_plain, labels):
            if name in ALLURE_UNIQUE_LABELS:  # e.g. severity: the new value replaces allure-behave's default
                test.labels[:] = [label for label in test.labels if label.name != name]
            if not any(label.name == name and label.value == value for label in test.labels):
                test.labels.append(Label(name=name, value=value))

    @allure_commons.hookimpl
    def add_title(self, test_title: str) -> None:
        test = current_test()
        if test is not None:
            test.name = test_title

    @allure_commons.hookimpl
    def add_parameter(self, name: str, value: object, excluded: bool | None, mode: ParameterMode | None) -> None:
        test = current_test()
        if test is None:
            return
        parameter = Parameter(
            name=name, value=represent(value), excluded=excluded or None, mode=mode.value if mode else None
        )
        # allure-behave leaves parameters None outside Scenario Outlines.
        others = [existing for existing in test.parameters or [] if existing.name != name]
        test.parameters = [*others, parameter]


def _allure_listener() -> AllureListener | None:
    # Looked up on every call: the formatter registers the listener at start and unregisters it at close.
    plugins = allure_commons.plugin_manager.get_plugins()
    return next((plugin for plugin in plugins if isinstance(plugin, AllureListener)), None)


def _wrap_rule_scenarios(formatter: AllureFormatter, rule: Rule) -> None:
    # What AllureFormatter.feature() does for the feature's own scenarios; behave calls rule() before running them.
    formatter._wrap_scenario(rule.scenarios)  # allure-behave's own wrapping, not public API


def _plain(value: Enum | str) -> str:
    # A label's type or value: allure's enums (LabelType, Severity) hold strings.
    return str(value.value) if isinstance(value, Enum) else value
