"""Who may do what: tokens, roles and browsers on other origins."""
from behave import then, when

import parameter_types  # noqa: F401  (registers the step parameter types)
from chat_acceptance.world import access
from chat_acceptance.world import expectations as expect


@when("{name:Person} {action:GuardedAction} with {token:TokenKind}")
def step_guarded_action_with_token(context, name, action, token):
    context.world.answer = access.act_with_token(context.world, name, action, token)


@then("the request is refused as unauthenticated")
def step_refused_unauthenticated(context):
    expect.is_refused_as_unauthenticated(context.world.answer)


@then("the request is refused as forbidden")
def step_refused_forbidden(context):
    expect.is_refused_as_forbidden(context.world.answer)


@when('{name:Person} tries to create a user named "{username}"')
def step_try_to_create_user(context, name, username):
    context.world.answer = access.try_to_create_user(context.world, context.world.person(name), username)


@when('{name:Person}\'s browser on "{origin}" asks for a reply to "{question}" in a new conversation')
def step_browser_asks_for_reply(context, name, origin, question):
    context.world.answer = access.ask_from_browser(context.world.person(name), origin, question)


@then("the browser may read the streaming session ID of the reply")
def step_browser_may_read_id(context):
    expect.exposes_streaming_session_id(context.world.answer)


@when('a browser on "{origin}" asks whether it may send {name:Person}\'s question there')
def step_browser_preflight(context, origin, name):
    world = context.world
    world.answer = access.preflight_question(world.suite.platform, origin, world.conversation_of(name))


@then("the browser may send the Authorization and Content-Type headers")
def step_browser_may_send_headers(context):
    expect.allows_headers(context.world.answer, "Authorization", "Content-Type")
