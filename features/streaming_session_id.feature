@core @epic.streaming_session_id @contract.confirming-a-streamed-reply
Feature: A streamed reply is confirmed only with its own streaming session ID
  Every streamed reply comes with a streaming session ID. When the reply is complete, the client confirms it
  with that ID. The platform accepts the ID it issued for the conversation's latest reply and rejects every
  other one, so that nobody can overwrite a conversation with a reply they did not receive.

  Alice is the suite's test user. She has credits to chat.

  Rule: The issued ID confirms the reply it was issued for

    @behaviour.own_id_confirms @blocker
    Scenario: A reply confirmed with its own streaming session ID is accepted
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice confirms the reply with its own streaming session ID
      Then the confirmation is accepted
      And Alice's conversation holds her question followed by the reply

    @behaviour.latest_reply_confirmed @critical
    Scenario: Confirming the latest reply of a long conversation changes that reply only
      Given Alice has received three streamed replies in one conversation
      When Alice confirms the latest reply as "Rome, on the Tiber." with its own streaming session ID
      Then the confirmation is accepted
      And the latest reply reads "Rome, on the Tiber." and the earlier replies read as before

    @behaviour.own_id_confirms_again @blocker
    Scenario: The issued ID confirms the reply again every time it is sent
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice confirms the reply with its own streaming session ID 24 times
      Then every confirmation is accepted

  Rule: Only the exact issued ID confirms a reply

    @behaviour.wrong_id_rejected @blocker
    Scenario Outline: A reply confirmed with any other ID is rejected as a mismatch
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice confirms the reply with <another ID>
      Then the confirmation is rejected as a streaming session ID mismatch
      And the rejection does not reveal the issued streaming session ID
      And the refused attempt changed nothing

      Examples:
        | another ID                       |
        | a made-up ID                     |
        | an ID shaped like the issued one |

    @behaviour.near_miss_rejected @blocker
    Scenario Outline: Near misses of the issued ID are rejected: <near misses>
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice's reply is confirmed with someone else's text, trying each near miss of its ID: <near misses>
      Then every attempt is rejected as a streaming session ID mismatch
      And no rejection reveals the issued streaming session ID
      And the refused attempts changed nothing

      Examples:
        | near misses                                               |
        | the same ID in other letter case                          |
        | the ID with one character changed                         |
        | a shortened copy of the ID                                |
        | the ID with characters added                              |
        | the ID with spaces or line breaks around it               |
        | the ID with wildcard characters in it                     |
        | the ID in another encoding or with look-alike characters  |
