"""The fault matrix: proves the suite catches every defect and raises no false alarm on legitimate differences.

For each fault switch of the reference platform it runs the acceptance suite (behave, in a subprocess, against
the embedded platform with that switch on) and judges the outcome:
- a defect must make the suite fail through the scenarios tagged in the registry's `caught_by`, and, when the
  registry says `via="contract"`, through a contract violation;
- a legitimate difference must leave the whole suite passing (scenarios may be skipped with a reason).

`python -m suite_tools.fault_matrix` prints the table (`make faults`); tests/meta uses the same functions.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reference_services.faults import FAULTS, Fault
from suite_tools.suite_runs import ROOT, embedded_only, write_behave_ini

SUITE_TIMEOUT_S = 240  # far above any run's own deadlines: only a broken suite could reach it
CONTRACT_VIOLATION = "Contract violation:"
SETUP_SCENARIO = "suite set-up"
FINDINGS_BESIDE_FAILURES = "Contract findings beside failed scenarios"  # features/environment.py's run summary  # the one result of a run that stopped in set-up (features/environment.py)


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    location: str
    tags: tuple[str, ...]
    status: str  # passed, failed, skipped, ...
    message: str  # the first failure's message, one line; "" when it passed
    # A contract finding listed beside a failed behaviour verdict (behaviour first: it never replaces the message)
    contract_finding: str = ""

    @property
    def broke_the_contract(self) -> bool:
        return CONTRACT_VIOLATION in self.message or bool(self.contract_finding)


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int
    scenarios: tuple[ScenarioOutcome, ...]
    seconds: float
    output: str  # the end of behave's console output, for diagnosis

    @property
    def scenarios_run(self) -> int:
        return sum(scenario.status not in ("skipped", "untested") for scenario in self.scenarios)

    @property
    def stopped_in_setup(self) -> bool:
        """The run stopped before any scenario: its only result is the failed "suite set-up"."""
        return [(scenario.name, scenario.status) for scenario in self.scenarios] == [(SETUP_SCENARIO, "failed")]

    @property
    def failed(self) -> tuple[ScenarioOutcome, ...]:
        return tuple(scenario for scenario in self.scenarios if scenario.status not in ("passed", "skipped"))


@dataclass(frozen=True)
class Verdict:
    fault: Fault
    run: SuiteRun
    as_expected: bool
    explanation: str

    @property
    def expected(self) -> str:
        if self.fault.throttles:
            return "not checked"
        return "fail" if self.fault.kind == "defect" else "pass"

    @property
    def outcome(self) -> str:
        if self.fault.throttles and not self.run.failed and self.run.exit_code:
            return "not checked"
        return "fail" if self.run.failed or self.run.exit_code else "pass"


def run_suite(
    *,
    faults: Iterable[str] = (),
    tags: str | None = None,
    defines: dict[str, str] | None = None,
    environment: dict[str, str] | None = None,
    allure_results: Path | None = None,
    capture: bool = False,
    junit: Path | None = None,
    paths: Sequence[str] = (),
    show_skipped: bool = False,
) -> SuiteRun:
    """Runs behave and returns every scenario's outcome: against the embedded reference platform, or against
    the deployment that `environment` names (AUTH_SERVICE_URL, ...; the caller's own shell never counts).

    It runs from a scratch directory whose behave.ini carries pyproject's userdata but writes Allure results
    only where `allure_results` says and no JUnit files, so that meta-runs never mix with the real reports.
    """
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as scratch:
        results = Path(scratch) / "results.json"
        formats = {"json": results, **({"allure": allure_results} if allure_results else {})}
        write_behave_ini(Path(scratch), formats=formats, show_skipped=show_skipped, junit=junit)
        # capture=True runs behave as `make acceptance` does, capturing hook output.
        command = [sys.executable, "-m", "behave", "--no-color", *([] if capture else ["--no-capture"])]
        for name, value in {"reference_faults": ",".join(faults), **(defines or {})}.items():
            command += ["-D", f"{name}={value}"]
        if tags:
            command += ["--tags", tags]
        command += [str(ROOT / path) for path in paths]  # e.g. a shard's "features/x.feature:12" locations
        started = time.monotonic()
        completed = subprocess.run(
            command,
            cwd=scratch,
            env={**embedded_only(os.environ), **(environment or {})},
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_S,
        )
        seconds = time.monotonic() - started
        scenarios = _scenarios(results, _findings_beside_failures(completed.stdout)) if results.exists() else ()
    output = (completed.stdout + completed.stderr)[-8000:]
    return SuiteRun(completed.returncode, scenarios, seconds, output)


THROTTLE_BUDGET_S = 3  # a throttling switch's run: a small waiting budget, so that it stops within seconds
THROTTLED_LINE = "THROTTLED: "  # the run summary's closing line of a throttled run (features/environment.py)


def judge(fault: Fault) -> Verdict:
    if fault.throttles:
        return judge_throttled(fault)
    if fault.kind == "legitimate":
        run = run_suite(faults=[fault.name])
        if run.exit_code == 0 and not run.failed:
            return Verdict(fault, run, True, "the whole suite passed")
        return Verdict(fault, run, False, f"false alarm: {_first_failure(run)}")
    tags = " or ".join(f"@{tag}" for tag in fault.caught_by)
    if fault.stops_setup:
        run = run_suite(faults=[fault.name], tags=tags)
        if not run.stopped_in_setup:
            return Verdict(fault, run, False, f"set-up did not stop the run: {_first_failure(run)}")
        # Set-up caught it; the scenarios must catch it too, in a run whose set-up allocates nothing.
        run = run_suite(faults=[fault.name], tags=tags, defines={"credits_to_allocate": "0"})
    else:
        run = run_suite(faults=[fault.name], tags=tags)
    missed = [tag for tag in fault.caught_by if not any(tag in scenario.tags for scenario in run.failed)]
    if missed:
        return Verdict(fault, run, False, f"not caught by {', '.join(missed)}; {_first_failure(run)}")
    if fault.via == "contract" and not any(scenario.broke_the_contract for scenario in run.failed):
        return Verdict(fault, run, False, f"caught, but not as a contract violation: {_first_failure(run)}")
    return Verdict(fault, run, True, _first_failure(run))


def judge_throttled(fault: Fault) -> Verdict:
    """A legitimate rate limit that a run cannot outwait: the run must end non-zero, none failed, the scenarios
    it could not run skipped as not checked, and one THROTTLED line saying what it would need."""
    run = run_suite(faults=[fault.name], defines={"throttle_budget": str(THROTTLE_BUDGET_S)})
    if run.failed:
        return Verdict(fault, run, False, f"false alarm while throttled: {_first_failure(run)}")
    skipped = [scenario for scenario in run.scenarios if scenario.status == "skipped"]
    if run.exit_code == 0 or not skipped or THROTTLED_LINE not in run.output:
        return Verdict(fault, run, False, f"not reported as throttled (exit {run.exit_code}): {run.output[-300:]}")
    return Verdict(fault, run, True, f"throttled: {len(skipped)} scenarios not checked, none failed")


def judge_all(faults: Sequence[Fault], workers: int) -> list[Verdict]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(judge, faults))


def _first_failure(run: SuiteRun) -> str:
    if not run.failed:
        return "no scenario failed" if run.exit_code == 0 else f"behave exited {run.exit_code}: {run.output[-300:]}"
    first = run.failed[0]
    return f"{first.name} ({first.location}): {first.message}"


def _findings_beside_failures(console: str) -> dict[str, str]:
    """Scenario name -> contract finding, from the run summary's "Contract findings beside failed scenarios"."""
    _, found, listed = console.partition(FINDINGS_BESIDE_FAILURES)
    pairs = re.findall(r"^  (\S.*)\n      (Contract violation: .*)$", listed if found else "", re.MULTILINE)
    return dict(pairs)


def _scenarios(results: Path, findings: dict[str, str] | None = None) -> tuple[ScenarioOutcome, ...]:
    outcomes = []
    for feature in json.loads(results.read_text() or "[]"):
        for element in feature.get("elements", []):
            if element.get("type") != "scenario":
                continue
            messages = [
                step["result"].get("error_message") or ""
                for step in element.get("steps", [])
                if step.get("result", {}).get("status") in ("failed", "error")
            ]
            message = messages[0] if messages else ""
            if isinstance(message, list):
                message = " ".join(message)
            outcomes.append(
                ScenarioOutcome(
                    name=element.get("name", ""),
                    location=element.get("location", ""),
                    tags=tuple(element.get("tags", [])),
                    status=element.get("status", "untested"),
                    message=" ".join(str(message).split())[:400],
                    contract_finding=(findings or {}).get(element.get("name", ""), ""),
                )
            )
    return tuple(outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faults", nargs="*", help="fault names (default: every fault in the registry)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="suite runs at once")
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.faults if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    faults = [FAULTS[name] for name in arguments.faults] if arguments.faults else list(FAULTS.values())
    started = time.monotonic()
    verdicts = judge_all(faults, arguments.workers)
    print(_table(verdicts))
    wrong = [verdict for verdict in verdicts if not verdict.as_expected]
    print(
        f"\n{len(verdicts) - len(wrong)} of {len(verdicts)} as expected in {time.monotonic() - started:.0f} s "
        f"({arguments.workers} at once)"
    )
    return 1 if wrong else 0


def _table(verdicts: list[Verdict]) -> str:
    rows = [("switch", "kind", "expected", "suite", "ok", "failing scenario", "time")]
    for verdict in verdicts:
        failing = verdict.run.failed[0].name if verdict.run.failed else "-"
        rows.append(
            (
                verdict.fault.name,
                verdict.fault.kind,
                verdict.expected,
                verdict.outcome,
                "yes" if verdict.as_expected else "NO",
                failing[:70],
                f"{verdict.run.seconds:.1f}s",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for verdict in verdicts:
        if not verdict.as_expected:
            lines.append(f"\n{verdict.fault.name}: {verdict.explanation}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
