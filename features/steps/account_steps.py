"""Accounts: duplicates, users who do not exist; questions and confirmations with invalid bodies."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import given, when

from chat_acceptance.world import access


@when("the administrator creates another user with Carol's {what:AccountField}")
def step_create_duplicate(context, what):
    context.world.answer = access.create_duplicate_of(context.world, "Carol", what)


@given("the administrator has deleted {deleted:Person}'s account and created {name:Person} with her username")
def step_username_of_deleted_account(context, deleted, name):
    access.give_username_of_deleted(context.world, name, deleted)


@when("the administrator {action:UnknownUserAction} a user who does not exist")
def step_act_on_unknown_user(context, action):
    context.world.answer = access.act_on_unknown_user(context.world, action)


@when("{name:Person} confirms the reply with its own streaming session ID, counting {count:JsonValue} tokens")
def step_confirm_counting(context, name, count):
    context.world.answer = access.confirm_counting(context.world, name, count)


@when("{name:Person} asks in that conversation sending {value:JsonValue} as the question")
def step_ask_sending(context, name, value):
    context.world.answer = access.ask_sending(context.world, name, value)
