"""Meta-test for issue 20: where other runs use the configured accounts at the same time (shared_accounts, as
parallel runs set it), Alice and Bob get a scenario-fresh funded account, so that a refusal is still compared on
their balances: a mismatch that charges the caller is caught, and an honest platform passes."""

from suite_tools.fault_matrix import run_suite

WRONG_ID = "@behaviour.wrong_id_rejected"
SHARED = {"shared_accounts": "on"}


def test_a_refusal_that_charges_is_caught_on_a_fresh_account_when_accounts_are_shared():
    run = run_suite(faults=["mismatch_charges_caller"], tags=WRONG_ID, defines=SHARED)
    messages = [scenario.message for scenario in run.failed]
    assert len(messages) == 2, run.output[-1500:]
    assert all(
        "Refused attempt changed what it protects" in message and "Alice's balance went from" in message
        for message in messages
    )


def test_an_honest_platform_passes_when_accounts_are_shared():
    run = run_suite(tags=WRONG_ID, defines=SHARED)
    assert run.exit_code == 0 and run.scenarios_run == 2, run.output[-1500:]
