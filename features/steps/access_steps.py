"""Who may do what: tokens, roles, signing in, what a refusal leaves behind, browsers on other origins."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import then, when

from chat_acceptance.checks import account_expectations as expect_account
from chat_acceptance.checks import expectations as expect
from chat_acceptance.world import access


@when("{name:Person} tries to {route:TokenRoute} with {token:TokenKind}")
def step_try_route_with_token(context, name, route, token):
    context.world.answer = access.send_with_token(context.world, name, route, token)


@when("{name:Person} tries to {action:GuardedAction}")
def step_try_guarded_action(context, name, action):
    world = context.world
    world.action = action
    world.answer = world.action.attempt(world, world.person(name))


@when("{name:Person} tries to {action:GuardedAction} claiming the administrator's role")
def step_try_guarded_action_claiming_admin_role(context, name, action):
    context.world.answer = access.try_claiming_admin_role(context.world, name, action)


@then("the request is refused as {meaning:Refusal}")
def step_refused_as(context, meaning):
    expect.is_refused_as(context.world.answer, meaning)


@then("the request is let through")
def step_let_through(context):
    expect.is_accepted(context.world.answer, "the request", context.world.action.allowed_status)


@then("it has done what was asked")
def step_done_what_was_asked(context):
    context.world.action.shows_effect(context.world)


@then("nothing has changed")
def step_nothing_changed(context):
    expect.changed_nothing(context.world.invariants)
    expect_account.accounts_unchanged(context.world)


@when("{name:Person} signs in with her password")
def step_sign_in(context, name):
    context.world.answer = access.sign_in_with_password(context.world, name)


@then("{name:Person} is signed in as {role:Role}")
def step_signed_in_as(context, name, role):
    expect_account.is_signed_in_as(context.world, name, role)


@when("someone signs in {attempt:SignInAttempt}")
def step_someone_signs_in(context, attempt):
    context.world.answer = access.try_to_sign_in(context.world, attempt)


@then("nobody can sign in as the user the administrator tried to create")
def step_attempted_account_absent(context):
    expect_account.does_not_sign_in(context.world, context.world.attempted_account)


@then("{name:Person} still signs in with her own password")
def step_still_signs_in(context, name):
    expect_account.still_signs_in(context.world, context.world.accounts[name])


# The chat web page: the deployment's browser origin (the browser_origin setting).
@when('{name:Person}\'s browser on the chat web page asks for a reply to "{question}" in a new conversation')
def step_browser_asks_for_reply(context, name, question):
    context.world.answer = access.ask_from_browser(context.world, name, question)


@then("the browser may read the streaming session ID of the reply")
def step_browser_may_read_id(context):
    expect.exposes_streaming_session_id(context.world.answer, context.world.origin)


@when("{name:Person}'s browser on the chat web page asks whether it may {action:BrowserAction}")
def step_browser_preflight(context, name, action):
    context.world.answer = access.preflight(context.world, name, action)


@then("the browser may send the Authorization and Content-Type headers")
def step_browser_may_send_headers(context):
    expect.allows_headers(context.world.answer, context.world.origin, "Authorization", "Content-Type")
