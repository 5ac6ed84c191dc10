"""What the console shows: each step once, compact off a terminal, and a closing summary that really prints.

- `ConsoleFormatter` is the suite's `default_format` (pyproject.toml). behave adds the default format only when no
  `-f` is given on the command line, so naming the console formatter there instead of in `format` is what keeps
  every step from printing twice. On a terminal it is behave's `pretty`; elsewhere (CI logs, pipes) behave's
  `progress3`: one line per scenario, failures spelled out under it.
- `RunSummary` is a behave *reporter*, not a hook: behave captures what `after_all` prints and drops it when the
  hook passes, but it calls its reporters after every formatter has closed, with nothing captured. It ends the
  run's output with the failing scenarios and their one-line reasons, then the run's notes (contract checks,
  throttling, health), which environment.py registers as functions.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from behave.formatter.pretty import PrettyFormatter
from behave.formatter.progress import ScenarioStepProgressFormatter
from behave.model_type import Status
from behave.reporter.base import Reporter

_FAILED = {"failed", "error", "hook_error", "undefined"}
# How a scenario's skip reason begins when its promise could not be checked on this deployment (features/
# environment.py): listed in the summary, JUnit's <skipped message>, the promise table; never counted as passed.
NOT_CHECKED = "NOT CHECKED"


class ConsoleFormatter(PrettyFormatter):
    """pretty on a terminal; progress3 (compact) anywhere else."""

    name = "console"
    description = "pretty on a terminal, one compact line per scenario elsewhere"

    def __new__(cls, stream_opener, config):
        if _is_terminal(stream_opener):
            return super().__new__(cls)
        compact = ScenarioStepProgressFormatter.__new__(ScenarioStepProgressFormatter)
        compact.__init__(stream_opener, config)
        return compact


def _is_terminal(stream_opener) -> bool:
    stream = getattr(stream_opener, "stream", None) or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class RunSummary(Reporter):
    """Prints, after everything else, the failing scenarios with their reasons and then the run's notes."""

    def __init__(self, config, notes: Iterable[Callable[[], str | None]] = (), stream=None):
        super().__init__(config)
        self.notes = list(notes)
        self.stream = stream or sys.stdout
        self.features = []

    def feature(self, feature) -> None:
        self.features.append(feature)

    def end(self) -> None:
        lines = []
        failing = list(failing_scenarios(self.features))
        if failing:
            lines.append(f"Failing scenarios ({len(failing)}):")
            lines += [f"  {location}  {name}\n      {reason}" for location, name, reason in failing]
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
        if lines:
            self.stream.write("\n" + "\n".join(lines) + "\n")
            self.stream.flush()


def failing_scenarios(features) -> Iterable[tuple[str, str, str]]:
    """(location, name, one-line reason) of every scenario that failed, in run order."""
    for feature in features:
        for scenario in feature.walk_scenarios():
            if _status(scenario) in _FAILED:
                yield str(scenario.location), scenario.name, failure_reason(scenario)


def not_checked(features) -> Iterable[tuple[str, str, str]]:
    """(location, name, reason) of every scenario whose promise could not be checked on this deployment."""
    for feature in features:
        for scenario in feature.walk_scenarios():
            reason = getattr(scenario, "skip_reason", None) or ""
            if _status(scenario) == "skipped" and reason.startswith(NOT_CHECKED):
                yield str(scenario.location), scenario.name, reason.removeprefix(NOT_CHECKED + ":").strip()


def failure_reason(scenario) -> str:
    """The first line of the first failed step's message (or the hook's), which says what broke."""
    for step in scenario.all_steps:
        if _status(step) in _FAILED:
            message = step.error_message or ("undefined step: " + step.name if _status(step) == "undefined" else "")
            return first_line(message) or f"step failed: {step.name}"
    return first_line(scenario.error_message or "") or "failed"


def first_line(text: str) -> str:
    line = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return line.removeprefix("ASSERT FAILED:").strip()


def _status(entity) -> str:
    status = entity.status
    return status.name if isinstance(status, Status) else str(status)
