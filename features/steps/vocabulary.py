"""The features' words for the library's objects: each table maps the phrase a step uses to what it stands for.
parameter_types.py turns each table into a step parameter type, so a step receives the object, never the phrase.
A new phrase in a feature's Examples table is a new row here (and, for a new kind, a named object in the library).
"""

from chat_acceptance.attacks import crafted_ids, malformed
from chat_acceptance.attacks.near_misses import FAMILIES
from chat_acceptance.world import access
from chat_acceptance.world.scenario import OtherId

# Who the scenarios' names stand for (the configured accounts are chat_acceptance.world.suite.PERSONAS; Carol and
# Dave are new users of the scenario that names them).
PEOPLE = ("Alice", "Bob", "Carol", "Dave", "the administrator", "the supervisor")

# The roles of the contract, as a sentence names them.
ROLES = {"an end user": "enduser", "a supervisor": "supervisor", "an administrator": "admin"}

# The IDs other than a reply's own that a step may confirm it with.
OTHER_IDS = {
    "a made-up ID": OtherId.MADE_UP,
    "an ID shaped like the issued one": OtherId.LOOKALIKE,
    "the ID of her earlier reply": OtherId.EARLIER_REPLY,
    "the ID of the reply in her other conversation": OtherId.OTHER_CONVERSATION,
}

# The IDs crafted from someone's conversation ID to reach it (injections, traversals, decodings done twice).
CRAFTED_IDS = {
    "a quote that makes every conversation match": crafted_ids.sql_true_for_all,
    "her ID and a quote that cuts off the owner check": crafted_ids.sql_naming_target,
    "a database operator that matches any ID": crafted_ids.nosql_operator,
    "a path that climbs back to her ID": crafted_ids.path_traversal,
    "her ID percent-encoded": crafted_ids.percent_encoded,
    "her ID and the cut-off owner check, percent-encoded": crafted_ids.percent_encoded_sql,
}

# What a step may call a token.
TOKEN_KINDS = {
    "no token": access.NO_TOKEN,
    "a token altered to claim the admin role": access.ADMIN_ROLE_CLAIMED,
    "an unsigned token": access.UNSIGNED,
    "her refresh token": access.REFRESH_TOKEN,
    "an expired token": access.EXPIRED_AN_HOUR_AGO,
    "a token that expired two minutes ago": access.EXPIRED_TWO_MINUTES_AGO,
    "a token signed with a key the platform does not hold": access.SIGNED_WITH_OTHER_KEYS,
    "only the cookies of her sign-in": access.SIGN_IN_COOKIES_ONLY,
}

# Every request that needs an access token, as a person would say she tries it.
ROUTES_NEEDING_A_TOKEN = {
    "create a user": access.token_route("POST /api/admin/users"),
    "delete a user": access.token_route("DELETE /api/admin/users/{userId}"),
    "give herself credits": access.token_route("POST /api/credits/allocate"),
    "check her balance": access.token_route("GET /api/credits/balance"),
    "look at Bob's balance": access.token_route("GET /api/credits/balance/{userId}"),
    "see the models": access.token_route("GET /api/models"),
    "start a conversation": access.token_route("POST /api/chat/sessions"),
    "list her conversations": access.token_route("GET /api/chat/sessions"),
    "open her conversation": access.token_route("GET /api/chat/sessions/{sessionId}"),
    "delete her conversation": access.token_route("DELETE /api/chat/sessions/{sessionId}"),
    "ask in her conversation": access.token_route("POST /api/chat/sessions/{sessionId}/stream"),
    "confirm a reply in her conversation": access.token_route("POST /api/chat/sessions/{sessionId}/update-stream"),
}

# What only some roles may do, aimed at Carol.
GUARDED_ACTIONS = {
    "create a user": access.CREATE_A_USER,
    "delete Carol's account": access.DELETE_CAROL,
    "give Carol 1000 credits": access.GIVE_CAROL_CREDITS,
    "give herself 1000 credits": access.GIVE_HERSELF_CREDITS,
    "look at Carol's balance": access.LOOK_AT_CAROL_BALANCE,
}

# How someone may try to sign in as Alice.
SIGN_IN_ATTEMPTS = {
    "as Alice with a wrong password": access.with_wrong_password,
    "as a user who does not exist": access.as_unknown_user,
    "as Alice without a password": access.without_password,
    "with Alice's password but no username": access.without_username,
}

# The requests a malformed body is sent as, and the malformations.
REQUESTS = {
    "a question": access.QUESTION,
    "a reply confirmation": access.REPLY_CONFIRMATION,
    "a new conversation": access.NEW_CONVERSATION,
    "a log-in": access.LOG_IN,
    "a credit allocation": access.CREDIT_ALLOCATION,
}
MALFORMATIONS = {
    "a body that is not JSON": malformed.NOT_JSON,
    "an empty body": malformed.EMPTY,
    "a message that is a number": malformed.MESSAGE_A_NUMBER,
    "a list instead of an object": malformed.LIST_NOT_OBJECT,
    "a title that is not text": malformed.TITLE_NOT_TEXT,
}

# What a web page on another origin may ask a service to do: one request of each service.
BROWSER_ACTIONS = {
    "sign in": access.SIGN_IN,
    "check her balance": access.CHECK_BALANCE,
    "ask for a reply": access.ASK_FOR_A_REPLY,
}

# The near-miss families, by the words their reports use too.
NEAR_MISSES = {family.described: family for family in FAMILIES.values()}
