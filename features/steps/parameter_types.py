"""The step parameters' vocabulary: each type matches only the words the features use."""
import json
import re

import parse
from behave import register_type
from vocabulary import ROLES

from chat_acceptance.attacks.malformed import MALFORMATIONS
from chat_acceptance.attacks.near_misses import BY_DESCRIPTION
from chat_acceptance.checks.expectations import REFUSALS
from chat_acceptance.transport.client import MISSING
from chat_acceptance.world.access import (
    GUARDED_ACTIONS,
    REQUESTS,
    ROUTES_NEEDING_A_TOKEN,
    SIGN_IN_ATTEMPTS,
    TOKEN_KINDS,
)
from chat_acceptance.world.scenario import OTHER_IDS


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
    Person=_choice(["Alice", "Bob", "Carol", "the administrator", "the supervisor"]),
    OtherId=_choice(OTHER_IDS),
    TokenKind=_choice(TOKEN_KINDS),
    TokenRoute=_choice(ROUTES_NEEDING_A_TOKEN),
    GuardedAction=_choice(GUARDED_ACTIONS),
    Refusal=_choice(REFUSALS),
    AccountField=_choice(["username", "email"]),
    Role=_meaning(ROLES),
    SignInAttempt=_choice(SIGN_IN_ATTEMPTS),
    UnknownUserAction=_choice(["deletes", "looks at the balance of"]),
    Request=_choice(REQUESTS),
    Malformation=_choice(MALFORMATIONS),
    Identifier=_choice(["user id", "username"]),
    NearMisses=_choice(BY_DESCRIPTION),
    JsonValue=json_value,
)
