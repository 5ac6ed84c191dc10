"""Credits: allocations, balances and what replies cost."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import given, then, when

from chat_acceptance.checks import account_expectations as expect_account
from chat_acceptance.checks import expectations as expect
from chat_acceptance.world import access


@given("{name:Person} is a new user")
def step_new_user(context, name):
    context.world.new_user(name)


@given("{name:Person} is a new user with {credits:d} credits")
def step_new_user_with_credits(context, name, credits):
    context.world.new_user_with_credits(name, credits)


@given("{name:Person} is a new user without credits")
def step_new_user_without_credits(context, name):
    context.world.new_user_without_credits(name)


@given("{name:Person} is a new user who has spent all her credits on replies")
def step_new_user_spent_credits(context, name):
    context.world.earlier_reply = context.world.new_user_who_spent_her_credits(name)


@when("{giver:Person} allocates {credits:JsonValue} credits to {name:Person} by her {identifier:Identifier}")
def step_allocate(context, giver, credits, name, identifier):
    person = context.world.person(name)
    user = person.user_id if identifier == "user id" else person.username
    context.world.answer = context.world.person(giver).allocate(user, credits)


@when("the administrator allocates {credits:d} credits to a user who does not exist")
def step_admin_allocates_to_nobody(context, credits):
    context.world.answer = context.world.person("the administrator").allocate(access.unknown_user_id(), credits)


@when("{name:Person} looks at {owner:Person}'s balance")
def step_look_at_balance(context, name, owner):
    context.world.answer = context.world.person(name).balance_of(context.world.person(owner).user_id)


@then("it shows the balance {name:Person} sees herself")
def step_shows_own_balance(context, name):
    expect_account.shows_balance_of(context.world.answer, context.world.person(name))


@then("the allocation is accepted")
def step_allocation_accepted(context):
    expect.is_accepted(context.world.answer, "the allocation", 201)


@then("the allocation is refused as invalid")
def step_allocation_invalid(context):
    expect.is_refused_as_invalid(context.world.answer)


@then("the allocation is refused because the user does not exist")
def step_allocation_unknown_user(context):
    expect.is_not_found(context.world.answer)


@then("{name:Person}'s balance has grown by exactly {credits:d} credits")
def step_balance_grew_by(context, name, credits):
    expect_account.balance_grew_by(context.world, name, credits)


@then("{name:Person}'s balance has not grown")
def step_balance_not_grown(context, name):
    expect_account.balance_not_grown(context.world, name)


@then("{name:Person}'s balance has gone down")
def step_balance_gone_down(context, name):
    expect_account.balance_gone_down(context.world, name)


@then("{name:Person} is told she has insufficient credits")
def step_told_insufficient_credits(context, name):
    expect.is_refused_for_insufficient_credits(context.world.told(name))


@then("{name:Person}'s earlier reply still confirms with its own streaming session ID")
def step_earlier_reply_still_confirms(context, name):
    reply = context.world.earlier_reply
    expect.is_accepted(context.world.person(name).confirm_with_own_id(reply), f"{name} confirming her earlier reply")


@then("no reply was streamed")
def step_no_reply_streamed(context):
    expect.streamed_nothing(context.world.answer)


@given('{name:Person} has paid for a reply to "{question}" in a new conversation')
def step_paid_for_reply(context, name, question):
    context.world.paid_reply(name, question)


@given("{name:Person} is a new user with credits for {replies:d} replies")
def step_new_user_with_credits_for(context, name, replies):
    context.world.new_user_with_credits_for(name, replies)
