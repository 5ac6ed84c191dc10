@statuses @epic.answers
Feature: Every request gets the answer the contract lists for it
  Each status the contract lists for a request is provoked at least once, and where the contract says what a
  request leaves behind, the scenario looks at it: accounts that must or must not exist, conversations that
  must stay as they were.

  @contract.auth-service
  Rule: Signing in names the person and nobody else

    @behaviour.sign_in_names_the_user @critical
    Scenario Outline: <who> signs in and is told who she is
      When <who> signs in with her password
      Then <who> is signed in as <role>

      Examples: An end user
        | who   | role        |
        | Alice | an end user |

      @needs.admin
      Examples: The administrator
        | who               | role             |
        | the administrator | an administrator |

      @needs.supervisor
      Examples: A supervisor
        | who            | role         |
        | the supervisor | a supervisor |

    @behaviour.sign_in_refused @blocker
    Scenario Outline: Signing in <attempt> is refused
      When someone signs in <attempt>
      Then the request is refused as <refusal>

      Examples:
        | attempt                               | refusal         |
        | as Alice with a wrong password        | unauthenticated |
        | as a user who does not exist          | unauthenticated |
        | as Alice without a password           | invalid         |
        | with Alice's password but no username | invalid         |

  @contract.auth-service @needs.admin
  Rule: A username or an email belongs to one account only

    @behaviour.duplicate_user_refused @critical
    Scenario Outline: A second account with Carol's <what> is refused
      Given Carol is a new user
      When the administrator creates another user with Carol's <what>
      Then the request is refused as invalid
      And Carol still signs in with her own password
      And nobody can sign in as the user the administrator tried to create

      Examples:
        | what     |
        | username |
        | email    |

  @contract.accounting-service @needs.admin
  Rule: A user who does not exist is answered as not found

    @behaviour.unknown_user_not_found @normal
    Scenario Outline: The administrator <action> a user who does not exist
      When the administrator <action> a user who does not exist
      Then the request is refused as not found

      Examples:
        | action                  |
        | deletes                 |
        | looks at the balance of |

  @contract.streaming-a-reply
  Rule: A question is text

    @behaviour.invalid_question_refused @normal
    Scenario Outline: A question that is <what> is refused as invalid and changes nothing
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice asks in that conversation sending <value> as the question
      Then the request is refused as invalid
      And the refused attempt changed nothing

      Examples:
        | what     | value     |
        | missing  | nothing   |
        | a number | 42        |
        | a list   | ["Hello"] |

  @contract.confirming-a-streamed-reply
  Rule: A confirmation counts the tokens used as a whole number, zero or more

    @behaviour.negative_tokens_refused @normal
    Scenario Outline: A confirmation counting <count> tokens is refused and changes nothing
      Given Alice has received a streamed reply to "What is the capital of France?"
      When Alice confirms the reply with its own streaming session ID, counting <count> tokens
      Then the confirmation is refused as invalid
      And the refused attempt changed nothing

      Examples:
        | count |
        | -5    |
        | 2.5   |
        | "12"  |
