"""Malformed requests."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import then, when

from chat_acceptance.checks import expectations as expect
from chat_acceptance.world import access


@when("{name:Person} sends {request:Request} with {malformation:Malformation}")
def step_send_malformed(context, name, request, malformation):
    context.world.answer = access.send_malformed(context.world, name, request, malformation)


@then("the request is refused with a clear error message")
def step_refused_clearly(context):
    expect.is_clear_refusal(context.world.answer)
