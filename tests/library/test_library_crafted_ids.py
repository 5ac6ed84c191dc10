"""chat_acceptance.attacks.crafted_ids: each crafted ID does what its attack needs, on the naive lookup it aims at
(a SQL query built by string formatting, a path resolved after decoding, a second decoding), and none is the
target's own ID."""

from __future__ import annotations

import json
import posixpath
import sqlite3
from urllib.parse import unquote

import pytest

from chat_acceptance.attacks import crafted_ids
from chat_acceptance.attacks.crafted_ids import CRAFTS

ALICE_CONVERSATION = "0b6c2f0e-7d1a-4c39-9a55-3f2e8c1d4b7a"


def _naive_lookup(session_id: str, user_id: str) -> list[str]:
    """The owned-session query an injectable service runs: the ID and the owner formatted into the SQL."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE sessions (id TEXT, user_id TEXT)")
    db.executemany("INSERT INTO sessions VALUES (?, ?)", [(ALICE_CONVERSATION, "alice"), ("other", "carol")])
    query = f"SELECT id FROM sessions WHERE id = '{session_id}' AND user_id = '{user_id}'"
    return [row[0] for row in db.execute(query).fetchall()]


def test_the_sql_crafts_reach_the_target_through_a_query_built_by_string_formatting():
    assert _naive_lookup(ALICE_CONVERSATION, "bob") == []  # the honest ID of someone else's: nothing
    assert _naive_lookup(crafted_ids.sql_naming_target(ALICE_CONVERSATION), "bob") == [ALICE_CONVERSATION]
    assert ALICE_CONVERSATION in _naive_lookup(crafted_ids.sql_true_for_all(ALICE_CONVERSATION), "bob")


def test_the_traversal_climbs_back_to_the_target_once_the_path_is_decoded_and_resolved():
    path = "/api/chat/sessions/" + crafted_ids.path_traversal(ALICE_CONVERSATION)
    assert posixpath.normpath(path) == f"/api/chat/sessions/{ALICE_CONVERSATION}"


def test_the_percent_encodings_decode_once_more_to_the_target_and_to_the_injection():
    encoded = crafted_ids.percent_encoded(ALICE_CONVERSATION)
    assert set(encoded[::3]) == {"%"} and unquote(encoded) == ALICE_CONVERSATION
    sql = crafted_ids.percent_encoded_sql(ALICE_CONVERSATION)
    assert "'" not in sql and unquote(sql) == crafted_ids.sql_naming_target(ALICE_CONVERSATION)


def test_the_nosql_craft_is_an_operator_that_matches_any_id():
    assert json.loads(crafted_ids.nosql_operator(ALICE_CONVERSATION)) == {"$ne": None}


@pytest.mark.parametrize("craft", CRAFTS, ids=[craft.__name__ for craft in CRAFTS])
def test_no_craft_is_the_target_itself_and_none_finds_anything_in_an_honest_lookup(craft):
    value = craft(ALICE_CONVERSATION)
    assert value != ALICE_CONVERSATION
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE sessions (id TEXT, user_id TEXT)")
    db.execute("INSERT INTO sessions VALUES (?, ?)", (ALICE_CONVERSATION, "alice"))
    assert db.execute("SELECT id FROM sessions WHERE id = ?", (value,)).fetchall() == []


def test_crafted_ids_names_every_craft_once():
    made = crafted_ids.crafted_ids(ALICE_CONVERSATION)
    assert list(made) == [craft.__name__ for craft in CRAFTS] and len(set(made.values())) == len(CRAFTS)
