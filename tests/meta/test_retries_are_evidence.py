"""Meta-tests for issue 20: a confirmation sent again (for a deployment that stores the issued ID late) is
evidence, counted in the run's summary. Against the reference platform, which stores the ID before the stream's
first byte, a run makes no retry; against one that stores it late, the count says so. Each case runs behave in a
subprocess against the embedded platform."""

import re

from suite_tools.fault_matrix import run_suite

CONFIRMING = "@behaviour.own_id_confirms or @behaviour.own_id_confirms_again or @behaviour.invalid_id_refused"


def _retries(output: str) -> int:
    found = re.search(r"confirmation retries: (\d+)", output)
    assert found, output[-1500:]
    return int(found.group(1))


def test_the_reference_platform_gets_no_retry():
    run = run_suite(tags=CONFIRMING)
    assert run.exit_code == 0 and run.scenarios_run >= 8, run.output[-1500:]
    assert _retries(run.output) == 0


def test_a_late_store_is_retried_and_every_retry_counted():
    run = run_suite(faults=["late_id_store"], tags=CONFIRMING)
    assert run.exit_code == 0, run.output[-1500:]
    assert _retries(run.output) > 0
