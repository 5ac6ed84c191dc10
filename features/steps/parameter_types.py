"""The step parameters' vocabulary: each type matches only the words the features use."""

import json
import re

import parse
from behave import register_type
from vocabulary import (
    BROWSER_ACTIONS,
    CRAFTED_IDS,
    GUARDED_ACTIONS,
    MALFORMATIONS,
    NEAR_MISSES,
    OTHER_IDS,
    PEOPLE,
    REQUESTS,
    ROLES,
    ROUTES_NEEDING_A_TOKEN,
    SIGN_IN_ATTEMPTS,
    TOKEN_KINDS,
)

from chat_acceptance.checks.expectations import REFUSALS
from chat_acceptance.transport.client import MISSING


def _choice(words):
    @parse.with_pattern("|".join(sorted(map(re.escape, words), key=len, reverse=True)))
    def convert(text):
        return text

    return convert


def _meaning(table):
    """One of the phrases `table` maps: the step receives what the phrase stands for."""
    choose = _choice(table)

    @parse.with_pattern(choose.pattern)
    def convert(text):
        return table[text]

    return convert


@parse.with_pattern(r'nothing|null|""|-?\d+(?:\.\d+)?|"[^"]*"|\{.*\}|\[.*\]')
def json_value(text):
    """A JSON literal as the feature writes it; "nothing" means the field is left out."""
    return MISSING if text == "nothing" else json.loads(text)


register_type(
    Person=_choice(PEOPLE),
    OtherId=_meaning(OTHER_IDS),
    CraftedId=_meaning(CRAFTED_IDS),
    TokenKind=_meaning(TOKEN_KINDS),
    TokenRoute=_meaning(ROUTES_NEEDING_A_TOKEN),
    GuardedAction=_meaning(GUARDED_ACTIONS),
    Refusal=_choice(REFUSALS),
    AccountField=_choice(["username", "email"]),
    Role=_meaning(ROLES),
    SignInAttempt=_meaning(SIGN_IN_ATTEMPTS),
    UnknownUserAction=_choice(["deletes", "looks at the balance of"]),
    Request=_meaning(REQUESTS),
    Malformation=_meaning(MALFORMATIONS),
    Identifier=_choice(["user id", "username"]),
    NearMisses=_meaning(NEAR_MISSES),
    JsonValue=json_value,
    BrowserAction=_meaning(BROWSER_ACTIONS),
)
