"""Confirming a streamed reply with a streaming session ID."""
from behave import then, when

import parameter_types  # noqa: F401  (registers the step parameter types)
from chat_acceptance.world import expectations as expect


@when("{name:Person} confirms the reply with its own streaming session ID")
def step_confirm_with_own_id(context, name):
    context.world.answer = context.world.person(name).confirm_with_own_id(context.world.reply)


@when('{name:Person} confirms the reply as "{text}" with its own streaming session ID')
def step_confirm_edited_reply(context, name, text):
    context.world.answer = context.world.person(name).confirm_with_own_id(context.world.reply, text)


@when("{name:Person} confirms the reply with {other:OtherId}")
def step_confirm_with_other_id(context, name, other):
    other_id = context.world.other_id(other)
    context.world.answer = context.world.person(name).confirm(context.world.reply, other_id)


@when("{name:Person} confirms the reply sending {value:JsonValue} as the streaming session ID")
def step_confirm_sending_value(context, name, value):
    context.world.answer = context.world.person(name).confirm(context.world.reply, value)


@when('{name:Person} confirms {owner:Person}\'s reply as "{text}" with its streaming session ID')
def step_confirm_someone_elses_reply(context, name, owner, text):
    reply = context.world.reply_of(owner)
    context.world.answer = context.world.person(name).confirm(reply, reply.streaming_session_id, text)


@then("the confirmation is accepted")
def step_confirmation_accepted(context):
    expect.is_accepted(context.world.answer, "the confirmation")


@then("the confirmation is rejected as a streaming session ID mismatch")
def step_rejected_as_mismatch(context):
    expect.is_rejected_as_mismatch(context.world.answer)


@then("the confirmation is refused as invalid")
def step_refused_as_invalid(context):
    expect.is_refused_as_invalid(context.world.answer)


@then("the rejection does not reveal the issued streaming session ID")
def step_rejection_does_not_reveal_id(context):
    expect.reveals_no_streaming_session_id(context.world.error_answers(), context.world.reply)


@then("the reply can still be confirmed with its own streaming session ID")
def step_reply_still_confirmable(context):
    reply = context.world.reply
    expect.is_accepted(context.world.person(reply.owner).confirm_with_own_id(reply), "the confirmation")
