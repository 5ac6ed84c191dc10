"""What the console shows: each step once, compact off a terminal, and a closing summary that really prints.

- `ConsoleFormatter` is the suite's `default_format` (pyproject.toml). behave adds the default format only when no
  `-f` is given on the command line, so naming the console formatter there instead of in `format` is what keeps
  every step from printing twice. On a terminal it is behave's `pretty`; elsewhere (CI logs, pipes) behave's
  `progress3`: one line per scenario, failures spelled out under it.
- `RunSummary` is a behave *reporter*, not a hook: behave captures what `after_all` prints and drops it when the
  hook passes, but it calls its reporters after every formatter has closed, with nothing captured. It ends the
  run's output with the failing scenarios and their headlines, then the run's notes (contract checks,
  throttling, health, the seed), which environment.py registers as functions, then the findings (failures
  grouped by headline, worst first: findings.py) and, last, "N findings in M failing scenarios".
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from behave.formatter.pretty import PrettyFormatter
from behave.formatter.progress import ScenarioStepProgressFormatter
from behave.reporter.base import Reporter

from chat_acceptance.reporting import findings
from chat_acceptance.reporting.headlines import FAILED, failure_reason, status

if TYPE_CHECKING:  # behave publishes no types: its classes name what is meant, and mypy reads them as Any
    from behave.configuration import Configuration
    from behave.formatter.base import Formatter, StreamOpener
    from behave.model import Feature

# How a scenario's skip reason begins when its promise could not be checked on this deployment (features/
# environment.py): listed in the summary, JUnit's <skipped message>, the promise table; never counted as passed.
NOT_CHECKED = "NOT CHECKED"


class ConsoleFormatter(PrettyFormatter):  # type: ignore[misc]  # behave publishes no types
    """pretty on a terminal; progress3 (compact) anywhere else."""

    name = "console"
    description = "pretty on a terminal, one compact line per scenario elsewhere"

    def __new__(cls, stream_opener: StreamOpener, config: Configuration) -> Formatter:
        if _is_terminal(stream_opener):
            return super().__new__(cls)
        compact = ScenarioStepProgressFormatter.__new__(ScenarioStepProgressFormatter)
        compact.__init__(stream_opener, config)
        return compact


def _is_terminal(stream_opener: StreamOpener) -> bool:
    stream = getattr(stream_opener, "stream", None) or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class RunSummary(Reporter):  # type: ignore[misc]  # behave publishes no types
    """Prints, after everything else, the failing scenarios with their reasons and then the run's notes."""

    def __init__(
        self, config: Configuration, notes: Iterable[Callable[[], str | None]] = (), stream: TextIO | None = None
    ):
        super().__init__(config)
        self.notes = list(notes)
        self.stream = stream or sys.stdout
        self.features: list[Feature] = []

    def feature(self, feature: Feature) -> None:
        self.features.append(feature)

    def end(self) -> None:
        lines = []
        failing = list(failing_scenarios(self.features))
        if failing:
            lines.append(f"Failing scenarios ({len(failing)}):")
            lines += [f"  {failure.location}  {failure.name}\n      {failure.headline}" for failure in failing]
        unchecked = list(not_checked(self.features))
        if unchecked:
            lines.append(f"Not checked ({len(unchecked)}), so neither passed nor failed:")
            by_reason: dict[str, list[str]] = {}
            for location, name, reason in unchecked:
                by_reason.setdefault(reason, []).append(f"      {location}  {name}")
            for reason, scenarios in by_reason.items():
                lines += [f"  {reason} ({len(scenarios)}):", *scenarios]
        for note in self.notes:
            text = note()
            if text:
                lines.append(text)
        found = findings.group(failing)
        lines += findings.console_lines(found)
        lines.append(findings.closing_line(found))  # the run's last line
        self.stream.write("\n" + "\n".join(lines) + "\n")
        self.stream.flush()


def failing_scenarios(features: Iterable[Feature]) -> Iterable[findings.Failure]:
    """Every scenario that failed, with its headline and tags, in run order."""
    for feature in features:
        for scenario in feature.walk_scenarios():
            if status(scenario) in FAILED:
                yield findings.Failure(
                    scenario.name, str(scenario.location), failure_reason(scenario), tuple(scenario.effective_tags)
                )


def not_checked(features: Iterable[Feature]) -> Iterable[tuple[str, str, str]]:
    """(location, name, reason) of every scenario whose promise could not be checked on this deployment."""
    for feature in features:
        for scenario in feature.walk_scenarios():
            reason = getattr(scenario, "skip_reason", None) or ""
            if status(scenario) == "skipped" and reason.startswith(NOT_CHECKED):
                yield str(scenario.location), scenario.name, reason.removeprefix(NOT_CHECKED + ":").strip()
