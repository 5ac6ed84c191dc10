"""allure.dynamic.* lands in the results, from hooks and steps, for scenarios inside Rules too."""

from chat_acceptance.reporting import allure_dynamic

FEATURE = """
    Feature: Dynamic metadata

      Scenario: top level
        Given a step that sets metadata

      Rule: A rule

        Scenario: inside a rule, with a table
          Given a step that sets metadata
            | column |
            | value  |

        Scenario Outline: outline <n>
          Given a step that sets metadata

          Examples:
            | n |
            | 1 |
"""

STEPS = """
    import allure
    from behave import given

    @given("a step that sets metadata")
    def step_impl(context):
        allure.dynamic.severity(allure.severity_level.CRITICAL)
        allure.dynamic.title("titled: " + context.scenario.name)
        allure.dynamic.parameter("model", "echo-1")
        allure.dynamic.label("owner", "from-step")
"""

ENVIRONMENT = """
    import allure
    from chat_acceptance.reporting import allure_dynamic

    def before_all(context):
        assert allure_dynamic.install()
        assert allure_dynamic.install(), "a second install is harmless"

    def before_scenario(context, scenario):
        allure.dynamic.label("layer", "acceptance")

    def after_scenario(context, scenario):
        allure.dynamic.tag("seen-by-after-scenario")
"""


def test_dynamic_metadata_from_hooks_and_steps_reaches_every_scenario(run_behave):
    run = run_behave(feature=FEATURE, steps=STEPS, environment=ENVIRONMENT)

    assert run.returncode == 0, run.output
    results = run.results()
    assert sorted(results) == [
        "titled: inside a rule, with a table",
        "titled: outline 1 -- @1.1 ",
        "titled: top level",
    ]
    for name, result in results.items():
        labels = [(label["name"], label["value"]) for label in result["labels"]]
        assert ("layer", "acceptance") in labels, name
        assert ("owner", "from-step") in labels, name
        assert ("tag", "seen-by-after-scenario") in labels, name
        assert [value for label, value in labels if label == "severity"] == ["critical"], name
        assert {"name": "model", "value": "'echo-1'"} in result["parameters"], name
        assert result["status"] == "passed", name


def test_outline_parameters_are_kept_beside_dynamic_ones(run_behave):
    run = run_behave(feature=FEATURE, steps=STEPS, environment=ENVIRONMENT)

    parameters = run.results()["titled: outline 1 -- @1.1 "]["parameters"]
    assert [parameter["name"] for parameter in parameters] == ["n", "model"]


def test_without_the_allure_formatter_install_does_nothing(run_behave):
    assert allure_dynamic.install() is False
    assert allure_dynamic.current_test() is None

    run = run_behave(
        feature=FEATURE,
        steps=STEPS,
        environment=ENVIRONMENT.replace("assert allure_dynamic.install()", "assert not allure_dynamic.install()"),
        allure=False,
    )

    assert run.returncode == 0, run.output
