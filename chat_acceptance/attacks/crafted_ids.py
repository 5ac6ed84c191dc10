"""Crafted conversation IDs: what an attacker puts in a conversation route's path in place of an ID he was issued,
to reach someone else's conversation through a lookup that trusts the ID's text (an injection, a traversal, a
decoding done twice). Each craft is a pure function from the target conversation's ID to the text sent as one
path segment; the client percent-encodes that text once, as it does every ID."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

Craft = Callable[[str], str]


def sql_true_for_all(target: str) -> str:
    """Closes the quoted ID, makes the condition true for every row and comments out the owner check."""
    return "x' OR '1'='1' -- "


def sql_naming_target(target: str) -> str:
    """The target's ID, then the quote closed and the rest of the query (the owner check) commented out."""
    return f"{target}' -- "


def nosql_operator(target: str) -> str:
    """A document database's "not equal" operator, which matches any ID where the text is parsed as a query."""
    return '{"$ne": null}'


def path_traversal(target: str) -> str:
    """A path that climbs back to the target, for a server or proxy that decodes "/" and resolves ".."."""
    return f"x/../{target}"


def percent_encoded(target: str) -> str:
    """Every character of the target percent-encoded, for a server that decodes the path twice."""
    return "".join(f"%{byte:02X}" for byte in target.encode())


def percent_encoded_sql(target: str) -> str:
    """The SQL that names the target, percent-encoded, for a server that decodes it again before its query."""
    return quote(sql_naming_target(target), safe="")


CRAFTS: tuple[Craft, ...] = (
    sql_true_for_all,
    sql_naming_target,
    nosql_operator,
    path_traversal,
    percent_encoded,
    percent_encoded_sql,
)


def crafted_ids(target: str) -> dict[str, str]:
    """Every craft's ID for `target`, by the craft's name."""
    return {craft.__name__: craft(target) for craft in CRAFTS}
