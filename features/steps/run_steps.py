"""Steps the run adds by itself (features/environment.py): the set-up's own result, and the contract check that
ends every scenario when contract checks are on."""

from behave import then

from chat_acceptance.checks import expectations as expect


@then("the suite is set up")
def step_suite_is_set_up(context):
    expect.set_up_succeeded(context.setup_failure)


@then("every answer kept to the contract")
def step_every_answer_kept_to_the_contract(context):
    expect.kept_to_the_contract(context.world.contract_findings)


@then("every request kept the promises that hold for all requests")
def step_every_request_kept_the_invariants(context):
    expect.kept_the_invariants(context.world.invariants)
