"""The fault matrix: proves the suite catches every defect and raises no false alarm on legitimate differences.

For each fault switch of the reference platform it runs the acceptance suite (behave, in a subprocess, against
the embedded platform with that switch on) and judges the outcome:
- a defect counts as caught only for the right reason: the one scenario its registry entry names (`scenario`:
  a scenario's name, or an outline's, whose every row counts) fails, and the first line of its failure holds
  the entry's `headline`, in a When or Then step (a Given failing is a cascade: what the scenario only needed
  broke). A `via="contract"` defect must show its headline in that scenario's contract finding.
  Other scenarios failing too (a cascade) never count; the run selects the scenarios tagged in `caught_by`;
- a legitimate difference must leave the whole suite passing (scenarios may be skipped with a reason).

`python -m suite_tools.fault_matrix` prints the table (`make faults`); tests/meta uses the same functions.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import multiprocessing
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

from behave.parser import parse_file

from chat_acceptance.reporting.headlines import first_line
from chat_acceptance.reporting.labels import name_outline_rows
from reference_services.faults import FAULTS, Fault
from suite_tools.suite_runs import ROOT, behave_settings, embedded_only, write_behave_ini

SUITE_TIMEOUT_S = 240  # far above any run's own deadlines: only a broken suite could reach it
CONTRACT_VIOLATION = "Contract violation:"
SETUP_SCENARIO = "suite set-up"  # the one result of a run that stopped in set-up (features/environment.py)
_ANY_ROW_ANNOTATION = re.compile(r" -- @\d+\.\d+.*$")
FINDINGS_BESIDE_FAILURES = "Contract findings beside failed scenarios"  # features/environment.py's run summary


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    location: str
    tags: tuple[str, ...]
    status: str  # passed, failed, skipped, ...
    message: str  # the first failure's message, one line; "" when it passed
    # A contract finding listed beside a failed behaviour verdict (behaviour first: it never replaces the message)
    contract_finding: str = ""
    headline: str = ""  # the first line of the failure: what the verdict says, the same on every run
    failed_in: str = ""  # the kind of step that failed: given, when or then ("" when none did)

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
        completed = _behave(command, Path(scratch), {**embedded_only(os.environ), **(environment or {})})
        seconds = time.monotonic() - started
        scenarios = _scenarios(results, _findings_beside_failures(completed.stdout)) if results.exists() else ()
    output = (completed.stdout + completed.stderr)[-8000:]
    return SuiteRun(completed.returncode, scenarios, seconds, output)


# A run is `python -m behave` in a process of its own, forked from a server that has imported, and done nothing
# else, what the hooks and steps import (behave, the library, the reference platform): a fresh interpreter
# spends about a second on those imports, and `make test` makes some 200 runs on two cores. The hooks, the steps
# and the platform still load, start and stop in each run's own process; `random` is reseeded after a fork.
# Only what the interpreter reads when it starts (PYTHON* variables) comes from the server's start, not the run.
# As with any multiprocessing, a script that calls run_suite guards its main (`if __name__ == "__main__"`).
_FORKS = multiprocessing.get_context("forkserver")


def _suite_imports() -> list[str]:
    """The modules that features/environment.py and the steps import, except the steps' own (behave loads those,
    and they register steps when imported)."""
    local = {path.stem for path in (ROOT / "features").rglob("*.py")}
    names = ["behave.__main__", *(location.split(":")[0] for location in behave_settings()["formatters"].values())]
    for path in (ROOT / "features").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):  # walk: the hooks import the platform only when used
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return sorted({name for name in names if name.split(".")[0] not in local})


@functools.cache
def _forks() -> multiprocessing.context.ForkServerContext:
    """The fork server's context, its preload set before its first run starts the server (a module it cannot
    import is left out, never an error); importing this module costs nothing."""
    _FORKS.set_forkserver_preload(_suite_imports())
    return _FORKS


def _behave(command: list[str], directory: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `command` (`python -m behave ...`) from `directory` with exactly `environment`, forked (see above)."""
    stdout, stderr = directory / "stdout.txt", directory / "stderr.txt"
    arguments = command[command.index("behave") + 1 :]
    process = _forks().Process(
        target=_behave_main, args=(arguments, str(directory), environment, str(stdout), str(stderr))
    )
    process.start()
    process.join(SUITE_TIMEOUT_S)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise subprocess.TimeoutExpired(command, SUITE_TIMEOUT_S)
    return subprocess.CompletedProcess(command, process.exitcode, _console(stdout), _console(stderr))


def _console(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _behave_main(arguments: list[str], directory: str, environment: dict[str, str], stdout: str, stderr: str) -> None:
    """In the forked process: what `python -m behave` would do from `directory`, its console into two files."""
    os.chdir(directory)
    os.environ.clear()
    os.environ.update(environment)
    sys.path.insert(0, directory)  # as `python -m` puts the current directory first
    for descriptor, path in ((1, stdout), (2, stderr)):
        with open(path, "w") as file:
            os.dup2(file.fileno(), descriptor)
    sys.argv = [sys.argv[0], *arguments]
    from behave.__main__ import main

    try:
        code = main(arguments)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(code)


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
    return _judge_defect(fault, run)


def _judge_defect(fault: Fault, run: SuiteRun) -> Verdict:
    """Caught when the named scenario failed with the named headline (in its contract finding, via contract)."""
    rows = set(scenario_rows().get(fault.scenario, ()))
    own = [scenario for scenario in run.failed if scenario.name in rows]
    if not own:
        return Verdict(fault, run, False, f"{fault.scenario!r} did not fail; {_first_failure(run)}")
    for scenario in own:
        if scenario.failed_in == "given":  # what the scenario only needed broke: a cascade, not its promise
            continue
        line = _verdict_line(fault, scenario)
        if fault.headline in line:
            return Verdict(fault, run, True, f"{scenario.name}: {line}")
    shown = _verdict_line(fault, own[0])
    where = " in a Given (a cascade)" if own[0].failed_in == "given" else ""
    return Verdict(
        fault, run, False, f"{own[0].name!r} failed{where} for another reason: {shown!r}; expected {fault.headline!r}"
    )


def _verdict_line(fault: Fault, scenario: ScenarioOutcome) -> str:
    """Where a defect's headline must be: the failure's first line; for a contract defect, the scenario's
    contract finding (its own first verdict, or the finding listed beside a failed behaviour verdict)."""
    if fault.via == "contract" and CONTRACT_VIOLATION not in scenario.headline:
        return scenario.contract_finding
    return scenario.headline


def scenario_rows() -> dict[str, tuple[str, ...]]:
    """Every name a fault may give as its `scenario` -> the names of the scenarios it stands for in a run: a
    scenario's own name, or an outline's name (with its <placeholders>) -> the names of all its rows."""
    rows: dict[str, tuple[str, ...]] = {}
    for feature in _named_features():
        for item in feature.walk_scenarios(with_outlines=True):
            children = getattr(item, "scenarios", None)  # a Scenario Outline
            names = tuple(row.name for row in children) if children is not None else (item.name,)
            rows[item.name] = tuple(dict.fromkeys(rows.get(item.name, ()) + names))
    return rows


def scenario_tags() -> dict[str, frozenset[str]]:
    """Each scenario's name as a run shows it -> its tags (its own, its Examples', its Rule's, its feature's)."""
    return {
        scenario.name: frozenset(scenario.effective_tags)
        for feature in _named_features()
        for scenario in feature.walk_scenarios()
    }


def _named_features() -> list:
    """The features, parsed, their outline rows named as a run names them."""
    features = [parse_file(path) for path in sorted((ROOT / "features").glob("*.feature"))]
    for feature in features:  # behave's default row annotation here; pyproject's in a run: both go
        for row in feature.walk_scenarios():
            row.name = _ANY_ROW_ANNOTATION.sub("", row.name)
    name_outline_rows(features)
    return features


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
            failed_steps = [
                step for step in element.get("steps", []) if step.get("result", {}).get("status") in ("failed", "error")
            ]
            message = failed_steps[0]["result"].get("error_message") or "" if failed_steps else ""
            if isinstance(message, list):  # behave's JSON keeps a message as its lines
                message = "\n".join(message)
            outcomes.append(
                ScenarioOutcome(
                    name=element.get("name", ""),
                    location=element.get("location", ""),
                    tags=tuple(element.get("tags", [])),
                    status=element.get("status", "untested"),
                    message=" ".join(str(message).split())[:400],
                    contract_finding=(findings or {}).get(element.get("name", ""), ""),
                    headline=first_line(str(message)),
                    failed_in=failed_steps[0].get("step_type", "") if failed_steps else "",
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
    rows = [("switch", "kind", "expected", "suite", "ok", "caught by (or the first failing scenario)", "time")]
    for verdict in verdicts:
        caught = verdict.as_expected and verdict.fault.kind == "defect"
        failing = verdict.fault.scenario if caught else verdict.run.failed[0].name if verdict.run.failed else "-"
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
