@credits @epic.credits @contract.accounting-service @needs.admin
Feature: Credits pay for replies
  Administrators allocate credits to users; every completed reply costs credits; a user without credits gets
  no reply. Carol is a new user whom the administrator creates for each scenario and removes afterwards, so
  that nothing else touches her balance.

  @behaviour.allocation_raises_balance @critical
  Scenario Outline: An allocation raises the balance by exactly its amount
    Given Carol is a new user
    When the administrator allocates 750 credits to Carol by her <identifier>
    Then the allocation is accepted
    And Carol's balance has grown by exactly 750 credits

    Examples:
      | identifier |
      | user id    |
      | username   |

  @behaviour.supervisor_allocates @critical @needs.supervisor
  Scenario: A supervisor can allocate credits
    Given Carol is a new user
    When the supervisor allocates 300 credits to Carol by her user id
    Then the allocation is accepted
    And Carol's balance has grown by exactly 300 credits

  @behaviour.staff_see_balances @normal
  Scenario: The administrator sees the balance a user sees herself
    Given Carol is a new user with 500 credits
    When the administrator looks at Carol's balance
    Then it shows the balance Carol sees herself

  @behaviour.stream_lowers_balance @critical
  Scenario: A completed reply lowers the balance
    Given Carol is a new user with 500 credits
    When Carol asks "Summarise the plot of Hamlet" in a new conversation
    Then the reply streams to its end
    And Carol's balance has gone down

  @behaviour.every_reply_charged @critical
  Scenario: A later reply in the same conversation lowers the balance too
    Given Carol is a new user with credits for 2 replies
    And Carol has paid for a reply to "Summarise the plot of Hamlet" in a new conversation
    When Carol asks "And how does it end?" in that conversation
    Then the reply streams to its end
    And Carol's balance has gone down

  @behaviour.no_credits_no_stream @critical
  Scenario: A user without credits gets no reply
    Given Carol is a new user without credits
    And Carol has started a conversation
    When Carol asks "Summarise the plot of Hamlet" in that conversation
    Then Carol is told she has insufficient credits
    And no reply was streamed
    And the refused attempt changed nothing

  @behaviour.refused_question_keeps_reply_id @critical
  Scenario: A question refused for want of credits leaves the earlier reply confirmable
    Given Carol is a new user who has spent all her credits on replies
    When Carol asks "And what about Othello?" in that conversation
    Then Carol is told she has insufficient credits
    And the refused attempt changed nothing
    And Carol's earlier reply still confirms with its own streaming session ID

  @behaviour.invalid_allocation_refused @normal
  Scenario Outline: An allocation of <credits> credits is refused
    Given Carol is a new user
    When the administrator allocates <credits> credits to Carol by her user id
    Then the allocation is refused as invalid
    And Carol's balance has not grown

    Examples:
      | credits |
      | 0       |
      | -100    |
      | 2.5     |
      | "ten"   |

  @behaviour.invalid_allocation_refused @normal
  Scenario: Credits for someone who does not exist are refused
    When the administrator allocates 750 credits to a user who does not exist
    Then the allocation is refused because the user does not exist
