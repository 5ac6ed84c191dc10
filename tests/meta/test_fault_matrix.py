"""Meta-tests: the suite catches every defect of the reference platform's registry, through the scenario about
it, and passes against every legitimate difference. Each case runs behave in a subprocess (fault_matrix)."""
import re
from pathlib import Path

import pytest

from chat_acceptance.contract_map import load as load_contract_map
from suite_tools.fault_matrix import FAULTS, judge, run_suite

FEATURES = Path(__file__).resolve().parents[2] / "features"
DEFECTS = sorted(name for name, fault in FAULTS.items() if fault.kind == "defect")
LEGITIMATE = sorted(name for name, fault in FAULTS.items() if fault.kind == "legitimate")
# No defect may hold a run longer than this: the suite's own deadlines (read timeout, stream deadline,
# confirmation window) must end it first.
WELL_UNDER_A_MINUTE_S = 45


@pytest.mark.parametrize("name", DEFECTS)
def test_the_suite_catches_the_defect_through_its_scenario(name):
    verdict = judge(FAULTS[name])
    assert verdict.as_expected, verdict.explanation
    assert verdict.run.seconds < WELL_UNDER_A_MINUTE_S, f"{name} held the suite for {verdict.run.seconds:.0f} s"


# Issue 13's switches: their scenarios catch them on their own, without the conformance check.
WITHOUT_CONTRACT_CHECKS = [
    "login_any_password", "login_reports_default_role", "models_open", "cors_origin_404",
    "negative_tokens_used_accepted", "enduser_deletes_users", "supervisor_manages_users",
    "forbidden_creation_stored", "duplicate_user_accepted", "user_delete_ignored", "delete_unknown_user_200",
    "balance_of_unknown_user_200", "supervisor_balance_refused", "missing_question_answered",
]


@pytest.mark.parametrize("name", WITHOUT_CONTRACT_CHECKS)
def test_the_scenario_catches_the_defect_with_contract_checks_off(name):
    fault = FAULTS[name]
    tags = " or ".join(f"@{tag}" for tag in fault.caught_by)
    run = run_suite(faults=[name], tags=tags, defines={"contract_checks": "off"})
    missed = [tag for tag in fault.caught_by if not any(tag in scenario.tags for scenario in run.failed)]
    assert missed == [], f"{name} not caught by {missed} with contract_checks=off: {run.output[-500:]}"


@pytest.mark.parametrize("name", LEGITIMATE)
def test_the_suite_passes_against_the_legitimate_difference(name):
    verdict = judge(FAULTS[name])
    assert verdict.as_expected, verdict.explanation


def test_every_scenario_is_proven_by_a_defect_it_catches():
    tags = set(re.findall(r"@(behaviour\.\w+)", "".join(path.read_text() for path in FEATURES.glob("*.feature"))))
    caught = {tag for fault in FAULTS.values() for tag in fault.caught_by}
    assert tags - caught == set(), "scenarios that no fault switch proves"
    assert caught - tags - {"setup"} == set(), "faults naming a scenario tag that no feature has"


def test_every_promise_a_scenario_checks_is_proven_by_a_defect():
    """A switch proves a promise when it is caught by a scenario that checks the promise (contract/promises.yaml)."""
    caught = {tag for fault in FAULTS.values() if fault.kind == "defect" for tag in fault.caught_by}
    promises = load_contract_map().promises
    unproven = [promise.id for promise in promises if promise.checked_by and not set(promise.checked_by) & caught]
    assert unproven == [], "promises no fault switch proves"
    unchecked = [promise.id for promise in promises if not promise.checked_by]
    assert all(promise.reason for promise in promises if not promise.checked_by), unchecked
