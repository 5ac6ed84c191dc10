@robustness @epic.robustness @contract.services
Feature: Malformed requests get a clear refusal
  No request, however malformed, gets a server error, an HTML page or a stack trace: the platform answers
  with a 4xx status and a JSON error whose message says what is wrong.

  @behaviour.malformed_request_refused @normal
  Scenario Outline: A malformed request is refused with a clear message: <request> with <malformation>
    Given Alice has started a conversation
    When Alice sends <request> with <malformation>
    Then the request is refused with a clear error message
    And the refused attempt changed nothing

    Examples:
      | request              | malformation                |
      | a question           | a body that is not JSON     |
      | a question           | an empty body               |
      | a question           | a message that is a number  |
      | a reply confirmation | a body that is not JSON     |
      | a reply confirmation | a list instead of an object |
      | a new conversation   | a body that is not JSON     |
      | a new conversation   | a title that is not text    |
      | a log-in             | a body that is not JSON     |
      | a log-in             | a list instead of an object |
      | a credit allocation  | a body that is not JSON     |
