"""JUnit that says why a scenario was not checked: behave's reporter writes an empty <skipped/>."""

from __future__ import annotations

from typing import TYPE_CHECKING

from behave.model_type import Status
from behave.reporter.junit import JUnitReporter

if TYPE_CHECKING:
    from behave.configuration import Configuration
    from behave.model import Scenario
    from behave.reporter.junit import FeatureReportData


class ReasonedJUnitReporter(JUnitReporter):  # type: ignore[misc]  # behave publishes no types
    """behave's JUnit reporter, with a skipped scenario's reason in <skipped message="...">, so that CI shows a
    promise that was not checked (throttling, a deployment's welcome credits, a missing account) and why."""

    def _process_scenario(self, scenario: Scenario, report: FeatureReportData) -> None:
        super()._process_scenario(scenario, report)
        reason = getattr(scenario, "skip_reason", None)
        case = report.testcases[-1] if report.testcases and reason else None
        skipped = case.find("skipped") if case is not None and case.get("name") == (scenario.name or "") else None
        if skipped is not None and scenario.status == Status.skipped:
            skipped.set("message", reason)


def use_reasoned_junit(config: Configuration) -> None:
    """Puts ReasonedJUnitReporter in the place of behave's JUnit reporter, when the run writes JUnit."""
    config.reporters[:] = [
        ReasonedJUnitReporter(config) if type(reporter) is JUnitReporter else reporter for reporter in config.reporters
    ]
