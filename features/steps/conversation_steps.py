"""Conversations and streamed replies."""

import parameter_types  # noqa: F401  (registers the step parameter types)
from behave import given, then, when

from chat_acceptance.actors import people
from chat_acceptance.checks import expectations as expect
from chat_acceptance.world import access


@given("{name:Person} has started a conversation")
def step_started_conversation(context, name):
    context.world.conversation = context.world.person(name).start_conversation()


@given('{name:Person} has received a streamed reply to "{question}"')
def step_received_reply(context, name, question):
    context.world.reply = context.world.received_reply(name, question)


@given("{name:Person} has received two streamed replies in one conversation")
def step_received_two_replies(context, name):
    world = context.world
    world.earlier_reply = world.received_reply(name, "What is the capital of France?", confirmed=True)
    world.reply = world.received_reply(name, "And of Spain?", world.earlier_reply.conversation_id, confirmed=True)


@given("{name:Person} has received three streamed replies in one conversation")
def step_received_three_replies(context, name):
    person = context.world.person(name)
    earlier = person.receive_confirmed_reply("What is the capital of France?")
    person.receive_confirmed_reply("And of Spain?", earlier.conversation_id)
    context.world.reply = person.receive_reply("And of Italy?", earlier.conversation_id)


@given("{name:Person} has received streamed replies in two conversations")
def step_received_replies_in_two_conversations(context, name):
    context.world.reply = context.world.received_reply(name, "What is the capital of France?")
    context.world.other_reply = context.world.received_reply(name, "What is the capital of Italy?")


@when('{name:Person} asks "{question}" in a new conversation')
def step_ask_in_new_conversation(context, name, question):
    person = context.world.person(name)
    context.world.conversation = person.start_conversation()
    context.world.reply = person.ask_for_reply(context.world.conversation, question)
    context.world.answer = context.world.reply.stream


@when('{name:Person} asks "{question}" in that conversation')
def step_ask_in_that_conversation(context, name, question):
    context.world.reply = context.world.person(name).ask_for_reply(context.world.conversation, question)
    context.world.answer = context.world.reply.stream


@when('{name:Person} asks "{question}" in {owner:Person}\'s conversation')
def step_ask_in_someone_elses_conversation(context, name, question, owner):
    context.world.answer = context.world.person(name).ask(context.world.conversation_of(owner), question)


@when('{name:Person} starts a conversation titled "{title}"')
def step_start_titled_conversation(context, name, title):
    context.world.conversation = context.world.person(name).start_conversation(title)


@when("{name:Person} looks at the available models")
def step_look_at_models(context, name):
    context.world.answer = context.world.person(name).models()


@when("{name:Person} lists his conversations")
def step_list_conversations(context, name):
    context.world.answer = context.world.person(name).conversations()


@when("{name:Person} opens {owner:Person}'s conversation")
def step_open_conversation(context, name, owner):
    context.world.answer = context.world.person(name).open_conversation(context.world.conversation_of(owner))


@when("{name:Person} opens {owner:Person}'s conversation claiming to be {claimed:Person}")
def step_open_conversation_claiming(context, name, owner, claimed):
    headers = people.claims_to_be(context.world.person(claimed))
    context.world.answer = context.world.person(name).open_conversation(context.world.conversation_of(owner), headers)


@when("{name:Person} opens, asks in, confirms and deletes {owner:Person}'s conversation through {craft:CraftedId}")
def step_reach_through_crafted_id(context, name, owner, craft):
    context.world.tries = access.reach_through_crafted_id(context.world, name, owner, craft)


@then("every attempt is told the conversation does not exist")
def step_every_attempt_not_found(context):
    expect.told_not_found_each_time(context.world.tries)


@then("{owner:Person}'s conversation is not in {name:Person}'s list")
def step_conversation_not_in_list(context, owner, name):
    world = context.world
    expect.does_not_list_others(world.person(name).conversations(), world.conversation_of(owner), owner)


@when("{name:Person} deletes {owner:Person}'s conversation")
def step_delete_someone_elses_conversation(context, name, owner):
    context.world.answer = context.world.person(name).delete_conversation(context.world.conversation_of(owner))


@when("{name:Person} deletes the conversation")
def step_delete_conversation(context, name):
    context.world.answer = context.world.person(name).delete_conversation(context.world.conversation_of(name))


@then("the reply arrives as chunks followed by done")
def step_reply_arrives_in_chunks(context):
    expect.arrives_in_chunks(context.world.answer)


@then("the reply streams to its end")
def step_reply_streams_to_its_end(context):
    expect.streams_to_its_end(context.world.answer)


@then("done reports a positive whole number of tokens used")
def step_done_reports_tokens(context):
    expect.reports_positive_tokens_used(context.world.answer)


@then("the stream carries a streaming session ID")
def step_stream_carries_id(context):
    expect.carries_streaming_session_id(context.world.answer)


@then("{name:Person}'s conversation holds her question followed by the reply")
def step_conversation_holds_question_and_reply(context, name):
    expect.holds_question_then_reply(context.world.person(name), context.world.reply)


@then('{name:Person}\'s conversations include "{title}"')
def step_conversations_include(context, name, title):
    expect.lists_conversation(context.world.person(name), context.world.conversation, title)


@then("{owner:Person}'s conversation is not among them")
def step_conversation_not_listed(context, owner):
    expect.does_not_list_others(context.world.answer, context.world.conversation_of(owner), owner)


@then("at least one model is available")
def step_model_available(context):
    expect.has_an_available_model(context.world.answer)


@then("{name:Person} is told the conversation does not exist")
def step_told_not_found(context, name):
    expect.is_not_found(context.world.told(name))


@then("the deletion is accepted")
def step_deletion_accepted(context):
    expect.is_accepted(context.world.answer, "the deletion")


@then("the conversation is no longer in {name:Person}'s list")
def step_no_longer_listed(context, name):
    expect.no_longer_lists(context.world.person(name), context.world.conversation_of(name))


@then("opening it, asking in it, confirming its reply and deleting it again are all told it does not exist")
def step_deleted_conversation_gone(context):
    reply = context.world.reply
    expect.is_gone_for_every_route(context.world.person(reply.owner), reply)


@then('the last reply in {name:Person}\'s conversation reads "{text}"')
def step_last_reply_reads(context, name, text):
    expect.last_reply_reads(context.world.person(name), context.world.conversation_of(name), text)


@then("the conversation belongs to {name:Person}, not to {other:Person}")
def step_conversation_belongs_to(context, name, other):
    expect.belongs_to_its_creator(context.world, name, other)
