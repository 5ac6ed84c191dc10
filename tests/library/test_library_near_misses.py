"""chat_acceptance.attacks.near_misses: the families, their bound, their determinism under a seed, and what they
never yield (the issued ID, an empty ID, text that is not real Unicode)."""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from chat_acceptance.attacks.near_misses import FAMILIES, near_misses
from chat_acceptance.world.near_miss_trials import report, try_all

ORIGINAL = "stream-1732500000000-a1b2c3d4"
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BASE62 = "aZ3_k.-~Qx9Lm2Np8RsT0uVwXyB4cD5e"  # the opaque_id_alphabet shape
DIGITS = "1732500000000"
IDS = [ORIGINAL, UUID, BASE62, DIGITS, "ab"]


@pytest.mark.parametrize("issued", IDS)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_never_yields_the_issued_id_an_empty_id_or_a_repeat(family, issued):
    found = near_misses(issued, family, run_seed=7, limit=15)

    values = [near_miss.value for near_miss in found]
    assert issued not in values and "" not in values
    assert len(values) == len(set(values))
    assert all(near_miss.family == family and near_miss.kind for near_miss in found)
    assert all(value.encode("utf-8") for value in values)  # no lone surrogates: every one can be sent


@pytest.mark.parametrize("limit", [1, 3, 25])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_bound_is_honoured(family, limit):
    assert 1 <= len(near_misses(ORIGINAL, family, run_seed=1, limit=limit)) <= limit


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_same_seed_gives_the_same_near_misses_and_another_seed_may_differ(family):
    first = near_misses(ORIGINAL, family, run_seed=1234, limit=20)

    assert near_misses(ORIGINAL, family, run_seed=1234, limit=20) == first
    others = [near_misses(ORIGINAL, family, run_seed=other, limit=20) for other in (1, 2, 3)]
    assert any(other != first for other in others), "the seed changes none of the random choices"


def test_the_same_seed_gives_the_same_near_misses_in_another_process_with_other_hash_randomisation():
    script = (
        "import json, sys; from chat_acceptance.attacks.near_misses import FAMILIES, near_misses; "
        f"print(json.dumps({{f: [m.value for m in near_misses({ORIGINAL!r}, f, run_seed=99, limit=15)] "
        "for f in FAMILIES}))"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        for hash_seed in ("1", "2")
    ]
    assert json.loads(outputs[0]) == json.loads(outputs[1])


def test_fixed_candidates_come_first_so_a_small_bound_still_tries_the_most_telling():
    assert near_misses(ORIGINAL, "letter case", run_seed=1, limit=1)[0].value == ORIGINAL.upper()
    assert near_misses(ORIGINAL, "wildcards", run_seed=1, limit=1)[0].value == "%"
    assert near_misses(ORIGINAL, "shortened", run_seed=1, limit=1)[0].value == ORIGINAL[:-1]
    assert near_misses(ORIGINAL, "whitespace", run_seed=1, limit=1)[0].value == ORIGINAL + " "


def _values(family: str, issued: str = ORIGINAL, limit: int = 40) -> list[str]:
    return [near_miss.value for near_miss in near_misses(issued, family, run_seed=5, limit=limit)]


def test_letter_case_candidates_equal_the_id_when_case_is_ignored():
    assert all(value.casefold() == ORIGINAL.casefold() or "\u017f" in value for value in _values("letter case"))
    assert any("\u017f" in value for value in _values("letter case"))  # the long s case-folds to "s"


def test_one_character_changed_differs_in_exactly_one_place_or_swaps_two():
    for value in _values("one character changed"):
        assert len(value) == len(ORIGINAL)
        differences = [i for i, (a, b) in enumerate(zip(value, ORIGINAL, strict=True)) if a != b]
        assert len(differences) == 1 or (len(differences) == 2 and sorted(value) == sorted(ORIGINAL))


def test_one_character_changed_reaches_many_positions_when_the_bound_allows():
    positions = {
        next(i for i, (a, b) in enumerate(zip(value, ORIGINAL, strict=True)) if a != b)
        for value in _values("one character changed")
    }
    assert {0, len(ORIGINAL) - 1} <= positions and len(positions) >= 10


def test_shortened_copies_are_pieces_of_the_id():
    for value in _values("shortened"):
        assert 0 < len(value) < len(ORIGINAL)
        assert value in ORIGINAL or all(char in ORIGINAL for char in value)


def test_characters_added_keep_the_whole_id_in_them():
    assert all(ORIGINAL in value and len(value) > len(ORIGINAL) for value in _values("characters added"))
    assert ORIGINAL + "\x00" in _values("characters added")


def test_whitespace_candidates_are_the_id_once_stripped_or_only_whitespace():
    stripped = [value.strip(" \t\r\n\u00a0\u3000\u2003\u200b\ufeff") for value in _values("whitespace")]
    assert set(stripped) == {ORIGINAL, ""} and stripped.count("") == 1


def test_wildcard_candidates_hold_a_pattern_character():
    values = _values("wildcards")
    assert {"%", "*", ".*"} <= set(values)
    assert all(any(char in value for char in "%_*?.^$") for value in values)


def test_other_encodings_decode_or_normalise_back_to_the_id_or_look_like_it():
    values = _values("other encodings")
    assert unquote(values[0]) == ORIGINAL  # every character percent-encoded
    assert any(unicodedata.normalize("NFKC", value) == ORIGINAL for value in values)  # full-width
    assert any(
        "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c)) == ORIGINAL
        for value in values
        if not value.isascii()
    )  # an accent added


def test_a_family_with_nothing_to_change_yields_only_what_applies():
    assert [value for value in _values("letter case", DIGITS)] == []  # digits have no letter case
    assert near_misses("ab", "shortened", run_seed=1, limit=5)  # "a", "b"


def test_an_empty_issued_id_is_refused():
    with pytest.raises(ValueError):
        near_misses("", "letter case", run_seed=1, limit=5)


def test_trying_them_records_each_answer_and_the_report_lists_every_value_sent():
    found = near_misses(ORIGINAL, "whitespace", run_seed=1, limit=3)
    answers = iter(
        [
            SimpleNamespace(status=400, message="Streaming session ID MISMATCH"),
            SimpleNamespace(status=200, message=None),
            SimpleNamespace(status=400, message="Invalid body"),
        ]
    )
    sent = []
    tried = try_all(found, lambda value, number: sent.append((value, number)) or next(answers))
    attempts = tried.attempts

    assert sent == [(near_miss.value, number) for number, near_miss in enumerate(found, start=1)]
    assert [attempt.rejected_as_mismatch for attempt in attempts] == [True, False, False]
    text = report("whitespace", tried, run_seed=1, limit=3, issued=ORIGINAL)
    assert "seed 1 (rerun with -D seed=1)" in text and f"issued ID: '{ORIGINAL}'" in text
    for near_miss in found:
        assert ascii(near_miss.value) in text and near_miss.kind in text
    assert "NOT rejected as a mismatch" in text
    assert text.splitlines()[-1].startswith("3 of 3 near misses tried in ")


def test_a_pool_sends_them_at_once_and_keeps_their_order():
    """Four workers: twelve confirmations that take 0.2 s each end in about 0.6 s, not 2.4 s, and each answer
    stays with its own near miss."""
    found = near_misses(ORIGINAL, "one character changed", run_seed=1, limit=12)
    threads = set()

    def confirm(value, number):
        threads.add(threading.current_thread().name)
        time.sleep(0.2)
        return SimpleNamespace(status=400, message=f"mismatch {number}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        tried = try_all(found, confirm, pool=pool)
    assert len(threads) == 4 and tried.seconds < 1.5 and not tried.budget_spent
    assert [attempt.message for attempt in tried.attempts] == [f"mismatch {n}" for n in range(1, 13)]
    assert [attempt.near_miss for attempt in tried.attempts] == found


def test_no_near_miss_starts_once_the_family_budget_is_spent():
    found = near_misses(ORIGINAL, "one character changed", run_seed=1, limit=10)
    now = [0.0]

    def confirm(value, number):
        now[0] += 1.0  # each confirmation takes a second on this clock
        return SimpleNamespace(status=400, message="mismatch")

    tried = try_all(found, confirm, budget_s=2.5, clock=lambda: now[0])
    assert len(tried.attempts) == 3 and tried.planned == 10 and tried.budget_spent
    text = report("one character changed", tried, run_seed=1, limit=10)
    assert "time budget of 2.5 s (-D near_miss_budget) was spent: 7 of 10 near misses not sent" in text
    assert text.splitlines()[-1] == "3 of 10 near misses tried in 3.000 s"


def test_generating_is_fast_enough_to_run_in_every_scenario():
    import time

    started = time.monotonic()
    for family in FAMILIES:
        near_misses(ORIGINAL + string.ascii_letters, family, run_seed=3, limit=10)
    assert time.monotonic() - started < 10  # generous: a loaded machine; typically well under a second
