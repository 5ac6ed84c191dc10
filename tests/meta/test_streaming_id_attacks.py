"""Meta-tests for issue 12: each attacker's defect of the streaming session ID is caught by the scenario about
its promise, for the reason it is about, also with the OpenAPI conformance check off (so that the behaviour
checks stand on their own). Each case runs behave in a subprocess against the embedded platform."""

import pytest

from suite_tools.fault_matrix import FAULTS, run_suite

# defect -> what the failure of its scenario must say (case-insensitive)
WHY = {
    "case_insensitive_id_compare": "a near miss of family 'letter case' (all upper case) was confirmed",
    "like_id_match": "a near miss of family 'wildcards' (SQL LIKE: % alone) was confirmed",
    "prefix_id_match": "a near miss of family 'shortened' (without its last character) was confirmed",
    "trimmed_id_compare": "a near miss of family 'whitespace' (a space at the end) was confirmed",
    "normalised_id_compare": "a near miss of family 'other encodings' (every character percent-encoded) was confirmed",
    "id_cut_to_column_width": "a near miss of family 'one character changed' (last character changed) was confirmed",
    "write_before_check": "Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/update-stream",
    "expected_id_in_header": "shows the whole issued streaming session ID in header 'x-streaming-session-id'",
    "id_tail_in_message": "shows part of the issued streaming session ID in the body",
    "confirm_edits_first_reply": "expected the confirmation to change only the latest reply",
    "question_saved_before_credit_check": (
        "Refused attempt changed what it protects: POST /api/chat/sessions/{sessionId}/stream answered 402"
    ),
    "foreign_404_names_stream": "the 404 answer to GET /api/chat/sessions/{sessionId} shows the whole issued",
}


def test_every_issue_12_defect_is_listed_here():
    assert set(WHY) <= set(FAULTS) and all(FAULTS[name].kind == "defect" for name in WHY)


@pytest.mark.parametrize("name", sorted(WHY))
def test_the_defect_is_caught_by_its_scenario_with_contract_checks_off(name):
    fault = FAULTS[name]
    run = run_suite(
        faults=[name], tags=" or ".join(f"@{tag}" for tag in fault.caught_by), defines={"contract_checks": "off"}
    )

    missed = [tag for tag in fault.caught_by if not any(tag in scenario.tags for scenario in run.failed)]
    assert missed == [], f"{name} not caught by {missed}: {run.output[-1500:]}"
    messages = [scenario.message.lower() for scenario in run.failed]
    assert any(WHY[name].lower() in message for message in messages), messages
    assert not any("contract violation" in message for message in messages)
