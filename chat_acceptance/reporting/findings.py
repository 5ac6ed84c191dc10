"""Findings, not only failures: failing scenarios grouped by what they say, worst first.

    python -m chat_acceptance.reporting.findings [--outcomes DIR] [--output reports/findings.md]
                                                 [--allure-results reports/allure-results]

One defect often fails many scenarios: "403 instead of 401 for a token that fails verification" fails a row of
the token matrix per route. Each failure's headline (the stable first line of its message) names the promise and
what the platform did; with the route it was seen on taken out ("<route>"), equal headlines are one finding.
A finding has its count, the routes it was seen on and one example scenario.

Worst first (docs/findings.md):
1. the run stopped (set-up, or the health watcher): nothing after it was judged;
2. broken promises, by the most severe tag of the scenarios they fail (@blocker: the refusals and the
   streaming-ID promises, then @critical, @normal, @minor, @trivial);
3. contract shape findings ("Contract violation: ..."), after every broken promise;
ties: more failing scenarios first, then the headline's alphabetical order, so the order repeats.

The console summary (console.py), reports/findings.md and the Allure categories (one per finding) all come
from `group`. The run's last console line is `closing_line`: "N findings in M failing scenarios".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from chat_acceptance.reporting.baseline import DEFAULT_OUTCOMES, Outcome, RunOutcomes
from chat_acceptance.reporting.headlines import run_stopped
from chat_acceptance.reporting.run_metadata import CATEGORIES_FILE

ROUTE = "<route>"
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
CONTRACT = "Contract violation:"
_ROUTE = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[^\s;,)]*")
# A per-scenario count that says nothing about the defect ("(+2 more findings in the report)").
_MORE = re.compile(r" \(\+\d+ more findings? in the report\)$")
DEFAULT_OUTPUT = "reports/findings.md"
# The categories of reporting/categories.json kept beside the findings': failures that are no finding of their own.
_RUN_CATEGORIES = ("Suite set-up failed", "Run stopped: platform stalled or throttled", "Service unavailable")


@dataclass(frozen=True)
class Failure:
    """A failing scenario: its name, where it is, its headline and its tags."""

    name: str
    location: str
    headline: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """Failing scenarios whose headlines say the same, the routes aside."""

    headline: str  # the shared headline, "<route>" where the route stood
    failures: tuple[Failure, ...]

    @property
    def count(self) -> int:
        return len(self.failures)

    @property
    def routes(self) -> tuple[str, ...]:
        return tuple(sorted({route for failure in self.failures for route in _ROUTE.findall(failure.headline)}))

    @property
    def example(self) -> Failure:
        return self.failures[0]

    @property
    def kind(self) -> str:
        """ "run stopped", "contract shape", or the worst severity among its scenarios' tags."""
        if run_stopped(self.headline):
            return "run stopped"
        if self.headline.startswith(CONTRACT):
            return "contract shape"
        tags = {tag for failure in self.failures for tag in failure.tags}
        return next((severity for severity in SEVERITIES if severity in tags), "normal")

    def rank(self) -> tuple[int, int, str]:
        order = ("run stopped", *SEVERITIES, "contract shape")
        return order.index(self.kind), -self.count, self.headline


def key(headline: str) -> str:
    """The part of a headline that names the defect: routes become "<route>", per-scenario counts go."""
    return _MORE.sub("", _ROUTE.sub(ROUTE, headline))


def group(failures: Iterable[Failure]) -> list[Finding]:
    """The failures as findings, worst first."""
    by_key: dict[str, list[Failure]] = {}
    for failure in failures:
        by_key.setdefault(key(failure.headline), []).append(failure)
    findings = [Finding(headline, tuple(sorted(found, key=_place))) for headline, found in by_key.items()]
    return sorted(findings, key=Finding.rank)


def _place(failure: Failure) -> tuple[str, int, str]:
    """Feature file, then line: the example is the first failing scenario in the features' order."""
    path, _, line = failure.location.rpartition(":")
    return (path, int(line), failure.name) if line.isdigit() else (failure.location, 0, failure.name)


def closing_line(findings: list[Finding]) -> str:
    """The run's last line: "N findings in M failing scenarios"."""
    scenarios = sum(finding.count for finding in findings)
    return f"{len(findings)} finding{'' if len(findings) == 1 else 's'} in {_scenarios(scenarios)}"


def console_lines(findings: list[Finding]) -> list[str]:
    """The console's findings block (empty without findings)."""
    if not findings:
        return []
    lines = [f"Findings ({len(findings)}), worst first:"]
    for number, finding in enumerate(findings, 1):
        lines.append(f"  {number}. [{finding.kind}] {finding.headline}")
        seen = f"; routes: {', '.join(finding.routes)}" if finding.routes else ""
        example = finding.example
        lines.append(f"      {_scenarios(finding.count)}{seen}; e.g. {example.location}  {example.name}")
    return lines


def markdown(findings: list[Finding]) -> str:
    """reports/findings.md: the findings, worst first, each with count, routes and an example."""
    lines = ["# Findings", "", closing_line(findings) + ", worst first (see docs/findings.md).", ""]
    for number, finding in enumerate(findings, 1):
        lines += [
            f"## {number}. {finding.headline}",
            "",
            f"- kind: {finding.kind}",
            f"- failing scenarios: {finding.count}",
            f"- routes: {', '.join(f'`{route}`' for route in finding.routes) or '(none named)'}",
            f"- example: {finding.example.name} (`{finding.example.location}`)",
            f"- example's headline: {finding.example.headline}",
            "",
        ]
        if finding.count > 1:
            lines += ["<details><summary>every failing scenario</summary>", ""]
            lines += [f"- {failure.name} (`{failure.location}`)" for failure in finding.failures]
            lines += ["", "</details>", ""]
    return "\n".join(lines)


class Category(TypedDict):
    """An Allure category, as reporting/categories.json holds them."""

    name: str
    description: str
    matchedStatuses: list[str]
    messageRegex: str


def categories(findings: list[Finding], static: list[Category]) -> list[Category]:
    """Allure categories: the run-stopping ones of reporting/categories.json, then one per finding, worst first
    (its regex matches the message of each of its scenarios, whichever route it names)."""
    stopping = [category for category in static if category.get("name") in _RUN_CATEGORIES]
    per_finding = [
        Category(
            name=f"{number}. [{finding.kind}] {finding.headline}",
            description=f"{_scenarios(finding.count)}; routes: {', '.join(finding.routes) or '(none named)'}",
            matchedStatuses=["failed", "broken"],
            messageRegex=_message_regex(finding.headline),
        )
        for number, finding in enumerate(findings, 1)
        if finding.kind != "run stopped"
    ]
    return stopping + per_finding


def _message_regex(headline: str) -> str:
    # Allure 2 full-matches, Allure 3 searches: anything may come before and after the headline.
    parts = [re.escape(part) for part in headline.split(ROUTE)]
    return r"[\s\S]*" + r"[A-Z]+ /\S*".join(parts) + r"[\s\S]*"


def _scenarios(count: int) -> str:
    return f"{count} failing scenario{'' if count == 1 else 's'}"


# -- from the outcomes a run wrote (baseline.OutcomeRecorder) -------------------------------------------------


def failures_from(outcomes: Mapping[str, Outcome]) -> list[Failure]:
    """The failures among recorded outcomes (identity -> outcome), in identity order."""
    return [
        Failure(
            name=outcome.get("name", identity),
            location=outcome.get("location", ""),
            headline=outcome.get("reason", ""),
            tags=tuple(outcome.get("tags", ())),
        )
        for identity, outcome in sorted(outcomes.items())
        if outcome.get("status") == "failed"
    ]


def write_reports(
    failures: list[Failure],
    output: str | os.PathLike[str] | None,
    allure_results: str | os.PathLike[str] | None = None,
    static_categories: Path = CATEGORIES_FILE,
) -> list[Finding]:
    """Writes reports/findings.md and, with Allure results, their categories.json (one category per finding)."""
    found = group(failures)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(markdown(found), encoding="utf-8")
    if allure_results and Path(allure_results).is_dir():
        static: list[Category] = json.loads(static_categories.read_text())
        (Path(allure_results) / "categories.json").write_text(
            json.dumps(categories(found, static), indent=2, ensure_ascii=False), encoding="utf-8"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_acceptance.reporting.findings", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--outcomes", default=DEFAULT_OUTCOMES, help="the run's outcomes (default: %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="the findings file (default: %(default)s)")
    parser.add_argument("--allure-results", default="reports/allure-results", help="where categories.json goes")
    args = parser.parse_args(argv)
    outcomes = RunOutcomes.read(args.outcomes)
    if outcomes is None:
        print(f"findings: no outcomes in {args.outcomes}; run the suite first")
        return 1
    found = write_reports(failures_from(outcomes.scenarios), args.output, args.allure_results)
    print(f"findings: {closing_line(found)} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
