"""Confirming a streamed reply with a streaming session ID."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import then, when

from chat_acceptance.attacks import forgery
from chat_acceptance.checks import consequences
from chat_acceptance.checks import expectations as expect
from chat_acceptance.world import access


@when("{name:Person} confirms the reply with its own streaming session ID")
def step_confirm_with_own_id(context, name):
    context.world.answer = context.world.person(name).confirm_with_own_id(context.world.reply)


@when("{name:Person} confirms the reply with its own streaming session ID {times:d} times")
def step_confirm_with_own_id_again(context, name, times):
    context.world.confirmations = context.world.confirm_again(name, times)


@then("every confirmation is accepted")
def step_every_confirmation_accepted(context):
    expect.every_confirmation_accepted(context.world.confirmations)


@when('{name:Person} confirms the reply as "{text}" with its own streaming session ID')
def step_confirm_edited_reply(context, name, text):
    context.world.answer = context.world.person(name).confirm_with_own_id(context.world.reply, text)


@when('{name:Person} confirms the latest reply as "{text}" with its own streaming session ID')
def step_confirm_latest_reply(context, name, text):
    context.world.protect(f"{name} confirming her latest reply", name)  # what must stay as it was
    context.world.answer = context.world.person(name).confirm_with_own_id(context.world.reply, text)


@then('the latest reply reads "{text}" and the earlier replies read as before')
def step_only_latest_reply_changed(context, text):
    consequences.only_last_reply_changed(context.world.protected, text)


@when("{name:Person} confirms the reply with {other:OtherId}")
def step_confirm_with_other_id(context, name, other):
    world, other_id = context.world, context.world.other_id(other)
    world.answer = world.person(name).confirm(world.reply, other_id, forgery.attacker_text())


@when("{name:Person} confirms the reply sending {value:JsonValue} as the streaming session ID")
def step_confirm_sending_value(context, name, value):
    world = context.world
    world.make_sure_reply_id_is_stored()  # before that, every ID gets the mismatch: "invalid" would prove nothing
    world.answer = world.person(name).confirm(world.reply, value, forgery.attacker_text())
    world.sent_id = value


@when("{name:Person} confirms his own reply naming {owner:Person}'s conversation")
def step_confirm_own_reply_naming(context, name, owner):
    context.world.answer = access.confirm_naming(context.world, name, owner)


@then("{owner:Person}'s conversation reads as it did")
def step_others_conversation_unchanged(context, owner):
    expect.others_left_alone(context.world.invariants, owner)


@when('{name:Person} confirms {owner:Person}\'s reply as "{text}" with its streaming session ID')
def step_confirm_someone_elses_reply(context, name, owner, text):
    context.world.answer = context.world.confirm_someone_elses_reply(name, owner, text)


@when("{name:Person}'s reply is confirmed with someone else's text, trying each near miss of its ID: {what:NearMisses}")
def step_confirm_with_near_misses(context, name, what):
    context.world.try_near_misses(what.name)


@then("every attempt is rejected as a streaming session ID mismatch")
def step_every_attempt_rejected(context):
    expect.every_near_miss_rejected(context.world)


@then("the confirmation is accepted")
def step_confirmation_accepted(context):
    expect.is_accepted(context.world.answer, "the confirmation")


@then("the confirmation is rejected as a streaming session ID mismatch")
def step_rejected_as_mismatch(context):
    expect.is_rejected_as_mismatch(context.world.answer)


@then("the confirmation is refused as invalid")
def step_refused_as_invalid(context):
    expect.is_refused_as_invalid(context.world.answer, isinstance(context.world.sent_id, str))


@then("the rejection does not reveal the issued streaming session ID")
@then("no rejection reveals the issued streaming session ID")
@then("the refusal does not reveal the streaming session ID of {owner:Person}'s reply")
def step_rejection_does_not_reveal_id(context, owner=None):
    expect.reveals_no_streaming_session_id(context.world.invariants)


@then("the refused attempt changed nothing")
@then("the refused attempts changed nothing")
def step_refused_attempt_changed_nothing(context):
    """Every refusal of the scenario left balances, lists, conversations and accounts as they were, and the
    reply's owner can still confirm it with its own ID (the consequence invariant, checked after each refusal)."""
    expect.changed_nothing(context.world.invariants)


@then("the reply can still be confirmed with its own streaming session ID")
def step_reply_still_confirmable(context):
    reply = context.world.reply
    expect.is_accepted(context.world.person(reply.owner).confirm_with_own_id(reply), "the confirmation")
