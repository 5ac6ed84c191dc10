"""A baseline of known defects: a team records today's failures once, and later runs fail only on what changed.

    python -m chat_acceptance.reporting.baseline record  [--outcomes DIR] [--baseline FILE]
    python -m chat_acceptance.reporting.baseline check   [--outcomes DIR] [--baseline FILE] [--behave-status N]

During a run, the hooks (features/environment.py) write every scenario's outcome into the outcomes directory,
one file per behave process (parallel runs write several). `record` turns the failures of such a run into the
baseline file (scenario identity -> its headline: the stable first line of its failure), which the team commits
(`make baseline`). `record` refuses a run that stopped (set-up, or the run-level health watcher): what stopped a
run is never a known defect. `check` compares a later run with it (`make acceptance` when the file is present):
it fails on a failure the baseline does not know, on a known one that now fails with another headline (a
recorded leak that became "accepts any ID" is a new defect), on a known one that did not run (a skipped or
deselected scenario hides nothing), and on a known one that now passes, so that the baseline only ever shrinks
(Schemathesis' --baseline works the same way). Known defects that fail again as recorded are listed with their
headline, and the running scenario's Allure result is marked "known defect" (see `mark_in_report`).

A scenario's identity is its feature file and its name, with an outline's example row written out rather than
numbered, so that adding or moving examples does not change it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

import allure

from chat_acceptance.config.suite_config import BY_NAME
from chat_acceptance.reporting.allure_dynamic import current_test
from chat_acceptance.reporting.headlines import failure_reason, run_stopped, status

if TYPE_CHECKING:
    from behave.model import Scenario

DEFAULT_BASELINE = BY_NAME["baseline"].default
DEFAULT_OUTCOMES = BY_NAME["scenario_outcomes"].default
KNOWN_DEFECT_TAG = "known-defect"
_OUTLINE_SUFFIX = re.compile(r" -- @\d+\.\d+.*$")


class Outcome(TypedDict):
    """A scenario's outcome as a run writes it; a failure also says what the findings report groups by."""

    status: str  # "passed" or "failed"
    reason: NotRequired[str]  # the headline
    name: NotRequired[str]
    location: NotRequired[str]
    tags: NotRequired[list[str]]  # their severity ranks the finding


def scenario_identity(scenario: Scenario) -> str:
    """E.g. "security.feature: The <service> service refuses <token> | chat | lists her conversations | no token"."""
    name = _OUTLINE_SUFFIX.sub("", scenario.name)
    row = getattr(scenario, "_row", None)  # the example row of a scenario generated from an outline
    if row is not None:
        name = " | ".join([name, *row.cells])
    return f"{Path(scenario.filename).name}: {name}"


# -- the baseline file ----------------------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """The known defects (identity -> recorded reason), or None when there is no baseline file."""
    file = Path(path)
    if not str(path) or not file.is_file():
        return None
    known = json.loads(file.read_text(encoding="utf-8")).get("known_defects", {})
    if not isinstance(known, dict) or not all(isinstance(reason, str) for reason in known.values()):
        raise ValueError(f"{file}: known_defects must map scenario identities to reasons")
    return known


def write(path: str | os.PathLike[str], known: Mapping[str, str]) -> None:
    document = {
        "about": "Known defects: scenarios that failed when this baseline was recorded (make baseline), each with "
        "the headline it failed with. make acceptance fails on any other failure, on a known one failing with "
        "another headline or not run, and on a known one that now passes: then remove its line.",
        "known_defects": dict(sorted(known.items())),
    }
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- during a run ---------------------------------------------------------------------------------------------


class OutcomeRecorder:
    """Collects each scenario's outcome during a run and writes them for `record` and `check`."""

    def __init__(
        self,
        outcomes_dir: str | os.PathLike[str],
        known: Mapping[str, str] | None,
        redact: Callable[[str], str] = lambda text: text,
    ):
        self.outcomes_dir = Path(outcomes_dir)
        self.known = known or {}
        self.redact = redact  # a reason is written to files that get committed: never a secret
        self.outcomes: dict[str, Outcome] = {}

    def record(self, scenario: Scenario, reason: str | None = None) -> None:
        verdict = status(scenario)
        if verdict in ("skipped", "untested"):
            return
        identity = scenario_identity(scenario)
        failed = verdict != "passed"
        if failed:
            # What the findings report groups by (reporting/findings.py): headline, name, place and tags
            self.outcomes[identity] = Outcome(
                status="failed",
                reason=self.redact(reason or failure_reason(scenario)),
                name=scenario.name,
                location=str(getattr(scenario, "location", "")),
                tags=sorted(getattr(scenario, "effective_tags", ())),
            )
        else:
            self.outcomes[identity] = Outcome(status="passed")
        mark_in_report(identity, failed, self.known)

    def write(self, *, aborted: bool) -> Path:
        self.outcomes_dir.mkdir(parents=True, exist_ok=True)
        path = self.outcomes_dir / f"outcomes-{os.getpid()}.json"
        path.write_text(json.dumps({"aborted": aborted, "scenarios": self.outcomes}, indent=1), encoding="utf-8")
        return path


def mark_in_report(identity: str, failed: bool, known: Mapping[str, str]) -> None:
    """Marks a known defect on the running scenario's Allure result: a tag and its recorded reason."""
    if identity not in known or current_test() is None:
        return
    if failed:
        allure.dynamic.tag(KNOWN_DEFECT_TAG)
        allure.dynamic.label("known defect", known[identity])
        allure.dynamic.description(f"Known defect (acceptance baseline): {known[identity]}")
    else:
        allure.dynamic.tag("known-defect-now-passes")
        allure.dynamic.description("A known defect of the acceptance baseline now passes: remove it from the baseline.")


# -- after a run ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcomes:
    aborted: bool
    scenarios: dict[str, Outcome]

    @classmethod
    def read(cls, outcomes_dir: str | os.PathLike[str]) -> RunOutcomes | None:
        scenarios: dict[str, Outcome]
        files = sorted(Path(outcomes_dir).glob("outcomes-*.json"))
        if not files:
            return None
        aborted, scenarios = False, {}
        for file in files:
            document = json.loads(file.read_text(encoding="utf-8"))
            aborted = aborted or bool(document.get("aborted"))
            scenarios.update(document.get("scenarios", {}))
        return cls(aborted, scenarios)

    def failures(self) -> dict[str, str]:
        scenarios = self.scenarios.items()
        return {name: outcome.get("reason", "") for name, outcome in scenarios if outcome["status"] == "failed"}

    def stopped(self) -> str | None:
        """Why the run stopped before judging its scenarios (set-up, or the health watcher), or None."""
        if self.aborted:
            return "the run stopped in set-up"
        stopped = [reason for reason in self.failures().values() if run_stopped(reason)]
        return stopped[0] if stopped else None


@dataclass(frozen=True)
class Verdict:
    new_failures: dict[str, str]  # identity -> today's headline
    now_passing: list[str]
    known_failing: dict[str, str]  # identity -> the recorded headline, failing as recorded
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # identity -> (recorded, today's headline)
    not_run: list[str] = field(default_factory=list)  # known defects this run did not judge

    @property
    def passed(self) -> bool:
        return not (self.new_failures or self.now_passing or self.changed or self.not_run)

    def report(self) -> str:
        lines = [
            f"acceptance baseline: {len(self.known_failing)} known defect(s) failed as recorded, "
            f"{len(self.new_failures)} new failure(s), {len(self.changed)} known defect(s) failing with another "
            f"headline, {len(self.not_run)} known defect(s) not run, {len(self.now_passing)} known defect(s) now "
            "passing"
        ]
        lines += [f"  known defect: {name} — {reason}" for name, reason in sorted(self.known_failing.items())]
        lines += [f"  NEW FAILURE: {name} — {reason}" for name, reason in sorted(self.new_failures.items())]
        lines += [
            f"  ANOTHER HEADLINE: {name} — recorded: {recorded} — now: {today}"
            for name, (recorded, today) in sorted(self.changed.items())
        ]
        lines += [f"  NOT RUN (a known defect must run to be known): {name}" for name in sorted(self.not_run)]
        lines += [f"  NOW PASSES (remove it from the baseline): {name}" for name in sorted(self.now_passing)]
        lines.append("baseline verdict: " + ("pass" if self.passed else "FAIL"))
        return "\n".join(lines)


def compare(outcomes: RunOutcomes, known: Mapping[str, str]) -> Verdict:
    failures = outcomes.failures()
    return Verdict(
        new_failures={name: reason for name, reason in failures.items() if name not in known},
        now_passing=sorted(
            name for name, outcome in outcomes.scenarios.items() if outcome["status"] == "passed" and name in known
        ),
        known_failing={name: known[name] for name, reason in failures.items() if known.get(name) == reason},
        changed={
            name: (known[name], reason) for name, reason in failures.items() if name in known and known[name] != reason
        },
        not_run=sorted(name for name in known if name not in outcomes.scenarios),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_acceptance.reporting.baseline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=("record", "check"))
    parser.add_argument("--outcomes", default=DEFAULT_OUTCOMES, help="the run's outcomes (default: %(default)s)")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="the baseline file (default: %(default)s)")
    parser.add_argument("--behave-status", type=int, default=None, help="behave's exit status, kept when it stopped")
    args = parser.parse_args(argv)

    outcomes = RunOutcomes.read(args.outcomes)
    if outcomes is None or outcomes.aborted:
        print(f"acceptance baseline: the run stopped before its scenarios finished ({args.outcomes}); nothing compared")
        return args.behave_status or 1
    if args.action == "record":
        stopped = outcomes.stopped()
        if stopped is not None:
            print(f"acceptance baseline: nothing recorded: {stopped}; a stopped run is never a known defect")
            return args.behave_status or 1
        failures = outcomes.failures()
        write(args.baseline, failures)
        print(
            f"acceptance baseline: recorded {len(failures)} known defect(s) of {len(outcomes.scenarios)} scenarios "
            f"run in {args.baseline}; commit it"
        )
        return 0
    known = load(args.baseline)
    if known is None:
        print(f"acceptance baseline: no file {args.baseline}; record one with make baseline")
        return 2
    verdict = compare(outcomes, known)
    print(verdict.report())
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
