"""chat_acceptance.reporting.console: pretty on a terminal, compact elsewhere; the closing summary's content."""

import io

from behave.configuration import Configuration
from behave.formatter.base import StreamOpener
from behave.formatter.pretty import PrettyFormatter
from behave.formatter.progress import ScenarioStepProgressFormatter
from behave.model_type import Status
from behave.parser import parse_feature

from chat_acceptance.reporting.console import ConsoleFormatter, RunSummary
from chat_acceptance.reporting.headlines import failure_reason


class Config:
    """What behave's formatters read of the configuration."""

    color = False
    show_source = True
    show_timings = True
    show_skipped = True
    show_multiline = True
    verbose = False
    stage = None
    summary = True
    dry_run = False
    userdata = {}


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_console_is_pretty_on_a_terminal_and_compact_elsewhere():
    config = Configuration(command_args=[], load_config=False)
    assert isinstance(ConsoleFormatter(StreamOpener(stream=Terminal()), config), PrettyFormatter)
    compact = ConsoleFormatter(StreamOpener(stream=io.StringIO()), config)
    assert isinstance(compact, ScenarioStepProgressFormatter)


FEATURE = """Feature: Replies
  Scenario: A wrong ID is rejected
    Given a reply
    When it is confirmed with a made-up ID
    Then it is rejected

  Scenario: A reply streams
    Given a reply
"""


def _failed_feature():
    feature = parse_feature(FEATURE, filename="features/replies.feature")
    wrong_id, streams = feature.scenarios
    first, second, third = wrong_id.steps
    first.status, second.status, third.status = Status.passed, Status.passed, Status.failed
    third.error_message = (
        "ASSERT FAILED: expected the confirmation to be rejected as a streaming session ID mismatch, but POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200\nTraceback ..."
    )
    streams.steps[0].status = Status.passed
    return feature


def test_the_summary_ends_with_the_failures_and_their_one_line_reasons_then_the_notes():
    feature = _failed_feature()
    printed = io.StringIO()
    summary = RunSummary(
        Config(), notes=[lambda: None, lambda: "contract checks: 3 responses and 2 stream events"], stream=printed
    )
    summary.feature(feature)
    summary.end()

    assert printed.getvalue().splitlines()[1:] == [
        "Failing scenarios (1):",
        "  features/replies.feature:2  A wrong ID is rejected",
        "      expected the confirmation to be rejected as a streaming session ID mismatch, but POST "
        "/api/chat/sessions/{sessionId}/update-stream answered 200",
        "contract checks: 3 responses and 2 stream events",
        "Findings (1), worst first:",
        "  1. [normal] expected the confirmation to be rejected as a streaming session ID mismatch, but <route> "
        "answered 200",
        "      1 failing scenario; routes: POST /api/chat/sessions/{sessionId}/update-stream; "
        "e.g. features/replies.feature:2  A wrong ID is rejected",
        "1 finding in 1 failing scenario",
    ]


def test_a_passing_run_prints_its_notes_and_no_findings():
    feature = parse_feature(FEATURE, filename="features/replies.feature")
    for scenario in feature.scenarios:
        for step in scenario.steps:
            step.status = Status.passed
    printed = io.StringIO()
    summary = RunSummary(Config(), notes=[lambda: "platform health: fine"], stream=printed)
    summary.feature(feature)
    summary.end()
    assert printed.getvalue() == "\nplatform health: fine\n0 findings in 0 failing scenarios\n"


def test_an_undefined_step_is_a_reason_too():
    feature = parse_feature(FEATURE, filename="features/replies.feature")
    step = feature.scenarios[1].steps[0]
    step.status = Status.undefined
    assert failure_reason(feature.scenarios[1]) == "undefined step: a reply"


def test_scenarios_not_checked_are_listed_by_reason_and_are_not_failures():
    feature = parse_feature(FEATURE, filename="features/replies.feature")
    wrong_id, streams = feature.scenarios
    for scenario, reason in ((wrong_id, "the run stopped: throttled"), (streams, "the run stopped: throttled")):
        scenario.skip()
        scenario.skip_reason = f"NOT CHECKED: {reason}"
    printed = io.StringIO()
    summary = RunSummary(Config(), stream=printed)
    summary.feature(feature)
    summary.end()
    assert printed.getvalue().splitlines()[1:] == [
        "Not checked (2), so neither passed nor failed:",
        "  the run stopped: throttled (2):",
        "      features/replies.feature:2  A wrong ID is rejected",
        "      features/replies.feature:7  A reply streams",
        "0 findings in 0 failing scenarios",
    ]


def test_junit_says_why_a_scenario_was_not_checked(tmp_path):
    from xml.etree import ElementTree

    from behave.reporter.junit import JUnitReporter

    from chat_acceptance.reporting.junit import ReasonedJUnitReporter, use_reasoned_junit

    config = Configuration(
        command_args=["--junit", f"--junit-directory={tmp_path}", "--show-skipped"], load_config=False
    )
    config.base_dir = str(tmp_path)  # what behave sets once it has found the features
    use_reasoned_junit(config)
    reporter = next(reporter for reporter in config.reporters if isinstance(reporter, JUnitReporter))
    assert type(reporter) is ReasonedJUnitReporter
    feature = parse_feature(FEATURE, filename="features/replies.feature")
    wrong_id, streams = feature.scenarios
    wrong_id.skip()
    wrong_id.skip_reason = "NOT CHECKED: the run stopped: throttled"
    for step in streams.steps:
        step.status = Status.passed
    reporter.feature(feature)
    cases = ElementTree.parse(next(tmp_path.glob("*.xml"))).getroot().iter("testcase")
    skipped = {case.get("name"): case.find("skipped") for case in cases}
    assert skipped["A wrong ID is rejected"].get("message") == "NOT CHECKED: the run stopped: throttled"
    assert skipped["A reply streams"] is None
