@sessions @epic.conversations @contract.chat-service
Feature: Conversations and streamed replies
  Alice keeps her conversations: she sees them listed, reads their messages, gets replies streamed piece by
  piece, and deletes what she no longer wants.

  @behaviour.models_listed @normal
  Scenario: Alice can see which models are available
    When Alice looks at the available models
    Then at least one model is available

  @behaviour.new_session_listed @critical
  Scenario: A new conversation appears in Alice's list
    When Alice starts a conversation titled "Trip to Lisbon"
    Then Alice's conversations include "Trip to Lisbon"

  @behaviour.reply_streams_in_chunks @blocker @contract.streaming-a-reply
  Scenario: A reply streams piece by piece and is kept in the conversation
    Given Alice has started a conversation
    When Alice asks "What is the capital of France?" in that conversation
    Then the reply arrives as chunks followed by done
    And done reports a positive whole number of tokens used
    And the stream carries a streaming session ID
    And Alice's conversation holds her question followed by the reply

  @behaviour.confirmed_reply_kept @critical @contract.confirming-a-streamed-reply
  Scenario: The confirmed reply is what the conversation keeps
    Given Alice has received a streamed reply to "What is the capital of France?"
    When Alice confirms the reply as "Paris is the capital of France." with its own streaming session ID
    Then the confirmation is accepted
    And the last reply in Alice's conversation reads "Paris is the capital of France."

  @behaviour.deleted_session_gone @critical
  Scenario: A deleted conversation is gone for good
    Given Alice has received a streamed reply to "What is the capital of France?"
    When Alice deletes the conversation
    Then the deletion is accepted
    And the conversation is no longer in Alice's list
    And opening it, asking in it, confirming its reply and deleting it again are all told it does not exist
