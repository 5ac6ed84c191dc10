"""Accounts: duplicates, users who do not exist, and confirmations that count tokens."""
from behave import when

import parameter_types  # noqa: F401  (registers the step parameter types)
from chat_acceptance.world import access, consequences


@when("the administrator creates another user with Carol's {what:AccountField}")
def step_create_duplicate(context, what):
    context.world.answer = access.create_duplicate_of(context.world, "Carol", what)


@when("the administrator {action:UnknownUserAction} a user who does not exist")
def step_act_on_unknown_user(context, action):
    context.world.answer = access.act_on_unknown_user(context.world.person("the administrator"), action)


@when("{name:Person} confirms the reply with its own streaming session ID, counting {count:JsonValue} tokens")
def step_confirm_counting(context, name, count):
    world = context.world
    world.protect(f"{name} confirming her reply counting {count!r} tokens", name)
    world.answer = access.confirm_counting(world.person(name), world.reply, consequences.attacker_text(), count)
