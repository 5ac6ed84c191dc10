"""apply_scenario_labels: epic, story, the Rule's tags, severity and contract links from tags."""

import pytest

from tests.reporting.reporting_samples import LABELS_ENVIRONMENT, NOTHING_STEPS

FEATURE = """
    @epic.Streaming_replies @core
    Feature: Confirming replies

      @minor
      Scenario: outside any rule
        Given nothing

      @security @critical
      Rule: A reply is confirmed only with its own streaming session ID

        @contract.confirming-a-streamed-reply
        Scenario: the right ID confirms
          Given nothing

        @blocker @contract.streaming-a-reply
        Scenario Outline: a wrong ID is refused (<kind>)
          Given nothing

          Examples:
            | kind     |
            | made up  |
"""

UNTAGGED_FEATURE = """
    Feature: Listing models
      Scenario: models are listed
        Given nothing
"""

STEPS, ENVIRONMENT = NOTHING_STEPS, LABELS_ENVIRONMENT

IN_RULE = "the right ID confirms"
OUTLINE = "a wrong ID is refused (made up) -- @1.1 "


@pytest.fixture
def run(run_behave):
    run = run_behave(feature=FEATURE, steps=STEPS, environment=ENVIRONMENT)
    assert run.returncode == 0, run.output
    return run


def values(labels, name):
    return [value for label, value in labels if label == name]


def test_epic_comes_from_the_epic_tag(run):
    for scenario in ("outside any rule", IN_RULE, OUTLINE):
        assert values(run.labels(scenario), "epic") == ["Streaming replies"]


def test_epic_falls_back_to_the_feature_name(run_behave):
    run = run_behave(feature=UNTAGGED_FEATURE, steps=STEPS, environment=ENVIRONMENT)

    labels = run.labels("models are listed")
    assert values(labels, "epic") == ["Listing models"]
    assert values(labels, "story") == []


def test_feature_label_is_allure_behaves_and_not_repeated(run):
    assert values(run.labels(IN_RULE), "feature") == ["Confirming replies"]


def test_story_is_the_rule(run):
    rule = "A reply is confirmed only with its own streaming session ID"
    assert values(run.labels(IN_RULE), "story") == [rule]
    assert values(run.labels(OUTLINE), "story") == [rule]
    assert values(run.labels("outside any rule"), "story") == []


def test_suite_tags_of_the_feature_and_the_rule_are_tags(run):
    assert {"core", "security"} <= set(values(run.labels(IN_RULE), "tag"))
    assert "security" not in values(run.labels("outside any rule"), "tag")


def test_the_most_specific_severity_wins(run):
    assert values(run.labels("outside any rule"), "severity") == ["minor"]  # scenario over feature default
    assert values(run.labels(IN_RULE), "severity") == ["critical"]  # from the rule
    assert values(run.labels(OUTLINE), "severity") == ["blocker"]  # scenario over rule


def test_contract_tags_link_to_the_contract_section(run):
    assert run.results()[IN_RULE]["links"] == [
        {
            "type": "link",
            "name": "contract: Confirming a streamed reply",
            "url": "../../../shared/contract.md#confirming-a-streamed-reply",
        }
    ]
    assert [link["name"] for link in run.results()[OUTLINE]["links"]] == ["contract: Streaming a reply"]
