@core @epic.streaming_session_id @contract.confirming-a-streamed-reply
Feature: A streamed reply is confirmed only with its own streaming session ID
  Every streamed reply comes with a streaming session ID. When the reply is complete, the client confirms it
  with that ID. The platform accepts the ID it issued for the conversation's latest reply and rejects every
  other one, so that nobody can overwrite a conversation with a reply they did not receive.

  Alice is the suite's test user. She has credits to chat.

  @behaviour.own_id_confirms @blocker
  Scenario: A reply confirmed with its own streaming session ID is accepted
    Given Alice has received a streamed reply to "What is the capital of France?"
    When Alice confirms the reply with its own streaming session ID
    Then the confirmation is accepted
    And Alice's conversation holds her question followed by the reply

  @behaviour.wrong_id_rejected @blocker
  Scenario Outline: A reply confirmed with any other ID is rejected as a mismatch
    Given Alice has received a streamed reply to "What is the capital of France?"
    When Alice confirms the reply with <another ID>
    Then the confirmation is rejected as a streaming session ID mismatch
    And the rejection does not reveal the issued streaming session ID
    And the reply can still be confirmed with its own streaming session ID

    Examples:
      | another ID                       |
      | a made-up ID                     |
      | an ID shaped like the issued one |
