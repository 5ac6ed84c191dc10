"""chat_acceptance.reporting.findings: failing scenarios grouped by headline into findings, worst first, and the
reports made of them (console lines, reports/findings.md, Allure categories)."""

import json
import re

from chat_acceptance.reporting import findings
from chat_acceptance.reporting.findings import Failure, closing_line, group
from chat_acceptance.reporting.run_metadata import CATEGORIES_FILE

R401 = "expected the request to be refused as unauthenticated (401), but {} answered 403 with another message"
ROUTES = ["GET /api/models", "GET /api/chat/sessions", "POST /api/credits/allocate", "DELETE /api/admin/users/{userId}"]


def token_matrix_rows():
    # One defect (403 instead of 401 for a token that fails verification) failing a row per route.
    return [
        Failure(
            f"Alice cannot do {number} with a forged token",
            f"features/security.feature:{131 + number}",
            R401.format(route),
            ("critical", "behaviour.forged_token_refused"),
        )
        for number, route in enumerate(ROUTES)
    ]


def test_one_defect_failing_many_rows_is_one_finding_with_its_routes_and_an_example():
    [finding] = group(token_matrix_rows())
    assert finding.count == 4 and finding.headline == R401.format("<route>")
    assert finding.routes == tuple(sorted(ROUTES))
    assert finding.example.name == "Alice cannot do 0 with a forged token"


def test_findings_come_worst_first_run_stopped_then_severity_then_shape_then_count():
    shape = Failure(
        "s", "f:1", "Contract violation: GET /api/models → 401: $.message is required but missing", ("blocker",)
    )
    normal = Failure("n", "f:2", "expected at least one available model, but none of the 1 listed is", ("normal",))
    blocker = Failure("b", "f:3", "Wrong streaming ID accepted: a near miss of family 'shortened' (...)", ("blocker",))
    stopped = Failure("x", "f:4", "the run stopped: the chat service stalled", ("normal",))
    found = group([shape, normal, *token_matrix_rows(), blocker, stopped])
    assert [finding.kind for finding in found] == ["run stopped", "blocker", "critical", "normal", "contract shape"]
    assert closing_line(found) == "5 findings in 8 failing scenarios"
    assert closing_line(group([blocker])) == "1 finding in 1 failing scenario"


def test_among_equals_more_scenarios_come_first_and_the_order_repeats():
    one = Failure("a", "f:1", "expected a, but b", ("critical",))
    many = token_matrix_rows()
    assert [finding.count for finding in group([one, *many])] == [4, 1]
    assert [f.headline for f in group([one, *many])] == [f.headline for f in group([*many, one])]


def test_a_per_scenario_count_of_more_findings_does_not_split_a_finding():
    first = Failure("a", "f:1", "Contract violation: GET /api/models → 401: $.message is required but missing", ())
    second = Failure(
        "b",
        "f:2",
        first.headline.replace("GET /api/models", "GET /api/chat/sessions") + " (+2 more findings in the report)",
        (),
    )
    assert len(group([first, second])) == 1


def test_the_markdown_report_lists_each_finding_with_count_routes_and_example(tmp_path):
    output = tmp_path / "reports" / "findings.md"
    found = findings.write_reports(token_matrix_rows(), output)
    text = output.read_text()
    assert text.startswith("# Findings\n\n1 finding in 4 failing scenarios, worst first")
    assert "## 1. " + R401.format("<route>") in text
    assert "- failing scenarios: 4" in text and "`GET /api/models`" in text
    assert "- example: Alice cannot do 0 with a forged token (`features/security.feature:131`)" in text
    assert len(found) == 1


def test_allure_gets_one_category_per_finding_matching_each_of_its_scenarios(tmp_path):
    rows = token_matrix_rows()
    other = Failure("m", "f:9", "expected at least one available model, but none of the 1 listed is", ("normal",))
    findings.write_reports([*rows, other], None, tmp_path)
    written = json.loads((tmp_path / "categories.json").read_text())
    static_names = {category["name"] for category in json.loads(CATEGORIES_FILE.read_text())}
    per_finding = [category for category in written if category["name"] not in static_names]
    assert [category["name"] for category in per_finding] == [
        "1. [critical] " + R401.format("<route>"),
        "2. [normal] " + other.headline,
    ]
    for failure in rows:  # as allure-behave records the message; Allure 2 full-matches it
        message = f"AssertionError: ASSERT FAILED: {failure.headline}\nthe values of this run"
        assert re.fullmatch(per_finding[0]["messageRegex"], message)
        assert not re.fullmatch(per_finding[1]["messageRegex"], message)
    assert "Suite set-up failed" in [category["name"] for category in written]


def test_failures_are_read_back_from_the_recorded_outcomes():
    outcomes = {
        "f: b": {"status": "failed", "reason": "expected b", "name": "b", "location": "f:2", "tags": ["minor"]},
        "f: a": {"status": "passed"},
    }
    assert findings.failures_from(outcomes) == [Failure("b", "f:2", "expected b", ("minor",))]
