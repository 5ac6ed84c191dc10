"""Meta-tests: the suite catches every defect of the reference platform's registry, through the scenario about
it, and passes against every legitimate difference. Each case runs behave in a subprocess (fault_matrix)."""

import re
from pathlib import Path

import pytest

from chat_acceptance.contract_map import load as load_contract_map
from reference_services.faults import Fault
from suite_tools.fault_matrix import (
    FAULTS,
    ScenarioOutcome,
    SuiteRun,
    _judge_defect,
    judge,
    run_suite,
    scenario_rows,
    scenario_tags,
)

FEATURES = Path(__file__).resolve().parents[2] / "features"
DEFECTS = sorted(name for name, fault in FAULTS.items() if fault.kind == "defect")
LEGITIMATE = sorted(name for name, fault in FAULTS.items() if fault.kind == "legitimate")
# No defect may hold a run longer than this: the suite's own deadlines (read timeout, stream deadline,
# confirmation window) must end it first.
WELL_UNDER_A_MINUTE_S = 45


# First: each runs the whole suite, the longest runs here; under xdist they start early (tests/conftest.py).
@pytest.mark.parametrize("name", LEGITIMATE)
def test_the_suite_passes_against_the_legitimate_difference(name):
    verdict = judge(FAULTS[name])
    assert verdict.as_expected, verdict.explanation


@pytest.mark.parametrize("name", DEFECTS)
def test_the_suite_catches_the_defect_through_its_scenario(name):
    verdict = judge(FAULTS[name])
    assert verdict.as_expected, verdict.explanation
    assert verdict.run.seconds < WELL_UNDER_A_MINUTE_S, f"{name} held the suite for {verdict.run.seconds:.0f} s"


# Issue 13's switches: their scenarios catch them on their own, without the conformance check.
WITHOUT_CONTRACT_CHECKS = [
    "login_any_password",
    "login_reports_default_role",
    "models_open",
    "cors_origin_404",
    "negative_tokens_used_accepted",
    "enduser_deletes_users",
    "supervisor_manages_users",
    "forbidden_creation_stored",
    "duplicate_user_accepted",
    "user_delete_ignored",
    "delete_unknown_user_200",
    "balance_of_unknown_user_200",
    "supervisor_balance_refused",
    "missing_question_answered",
]


@pytest.mark.parametrize("name", WITHOUT_CONTRACT_CHECKS)
def test_the_scenario_catches_the_defect_with_contract_checks_off(name):
    fault = FAULTS[name]
    tags = " or ".join(f"@{tag}" for tag in fault.caught_by)
    run = run_suite(faults=[name], tags=tags, defines={"contract_checks": "off"})
    verdict = _judge_defect(fault, run)
    assert verdict.as_expected, f"with contract_checks=off: {verdict.explanation}"


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


# -- caught for the right reason ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEFECTS)
def test_every_defect_names_an_existing_scenario_of_its_tags_and_a_headline(name):
    fault = FAULTS[name]
    assert fault.scenario, f"{name} names no scenario that must catch it"
    assert fault.headline.strip(), f"{name} names no headline its scenario must fail with"
    assert "\n" not in fault.headline, "a headline is one line"
    rows = scenario_rows()
    assert fault.scenario in rows, f"{name}: no scenario or outline is named {fault.scenario!r}"
    tags = scenario_tags()
    tagged = {tag for row in rows[fault.scenario] for tag in tags[row]}
    assert tagged & set(fault.caught_by), f"{name}: {fault.scenario!r} carries none of {fault.caught_by}"


_SCENARIO = "A reply streams piece by piece and is kept in the conversation"
_HEADLINE = "expected a stream carrying its streaming session ID"
_DEFECT = Fault(
    "example",
    "defect",
    "an example",
    ("behaviour.reply_streams_in_chunks",),
    "scenario",
    scenario=_SCENARIO,
    headline=_HEADLINE,
)


def _run(*outcomes: tuple[str, str, str], failed_in: str = "then") -> SuiteRun:
    return SuiteRun(
        1,
        tuple(
            ScenarioOutcome(name, "here:1", (), "failed", headline, finding, headline, failed_in)
            for name, headline, finding in outcomes
        ),
        1.0,
        "",
    )


def test_a_defect_is_caught_only_by_its_scenario_failing_with_its_headline():
    assert _judge_defect(_DEFECT, _run((_SCENARIO, _HEADLINE + ", but the stream ended", ""))).as_expected
    cascade = _run(("A reply confirmed with its own streaming session ID is accepted", _HEADLINE + ", but", ""))
    assert not _judge_defect(_DEFECT, cascade).as_expected, "another scenario failing (a cascade) must not count"
    wrong_reason = _run((_SCENARIO, "expected a stream of one or more chunks followed by done, but", ""))
    verdict = _judge_defect(_DEFECT, wrong_reason)
    assert not verdict.as_expected and "another reason" in verdict.explanation
    in_a_given = _judge_defect(_DEFECT, _run((_SCENARIO, _HEADLINE + ", but", ""), failed_in="given"))
    assert not in_a_given.as_expected and "in a Given (a cascade)" in in_a_given.explanation


def test_an_outline_named_as_the_scenario_is_caught_by_any_of_its_rows():
    outline = Fault(
        "example",
        "defect",
        "an example",
        ("behaviour.invalid_id_refused",),
        "scenario",
        scenario="A streaming session ID that is <what> is refused, never taken as a match",
        headline="refused as invalid (400)",
    )
    row = "A streaming session ID that is null is refused, never taken as a match"
    assert _judge_defect(
        outline, _run((row, "expected the request to be refused as invalid (400), but", ""))
    ).as_expected


def test_a_contract_defect_is_caught_by_its_contract_finding_beside_the_behaviour_verdict():
    contract = Fault(
        "example",
        "defect",
        "an example",
        ("behaviour.reply_streams_in_chunks",),
        "contract",
        scenario=_SCENARIO,
        headline="status 422 is not declared",
    )
    beside = _run(
        (
            _SCENARIO,
            "expected the request to be refused as invalid (400), but it answered 422",
            "Contract violation: POST /x → 422: status 422 is not declared",
        )
    )
    assert _judge_defect(contract, beside).as_expected
    behaviour_only = _run(
        (_SCENARIO, "expected the request to be refused as invalid (400), but 422 status 422 is not declared", "")
    )
    assert not _judge_defect(contract, behaviour_only).as_expected, "a contract defect needs its contract finding"


def test_identity_claims_without_the_query_no_longer_send_it():
    """identity_claims drops places for a deployment that rightly refuses unknown parameters: without the query,
    the ?userId= defect goes unseen, which shows the setting really decides what is sent."""
    tags = "@behaviour.foreign_session_unlisted"
    run = run_suite(faults=["sessions_of_user_query"], tags=tags, defines={"identity_claims": "headers, body"})
    assert run.exit_code == 0 and not run.failed, run.output
    assert _judge_defect(
        FAULTS["sessions_of_user_query"], run_suite(faults=["sessions_of_user_query"], tags=tags)
    ).as_expected
