"""Near misses of an issued streaming session ID: the values a buggy comparison could wrongly accept.

Each family is what one class of bug lets through: a case-insensitive collation (letter case), a prefix or
`startswith` compare (shortened copies, characters added), trimming (whitespace around it), SQL `LIKE`, glob or
regular-expression matching (wildcards), URL-decoding, Unicode normalisation or look-alike folding (other
encodings), a sloppy equality (one character changed). A family has fixed candidates, the ones such a bug
accepts first (always tried, in order), and a Hypothesis strategy for the rest: which positions, which
characters. Random choices are Hypothesis's, seeded by the run's seed, so the same seed tries the same kinds
of values at the same positions again.

The ID is opaque: nothing here parses it. A candidate is never the issued ID itself and never empty (an empty
ID is the contract's "invalid body" case, judged elsewhere). Every candidate is a string of real Unicode text
(no lone surrogates), so the contract's answer to every one is the 400 "mismatch".

Each candidate carries its family and a `kind` that is the same in every run ("all upper case"), so that a
failure's first line names the family and the kind, and the value itself (which differs per run, as the ID
does) goes to the report.
"""

from __future__ import annotations

import string
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st


@dataclass(frozen=True)
class NearMiss:
    value: str
    family: str  # a key of FAMILIES
    kind: str  # what was done to the issued ID, the same words in every run


@dataclass(frozen=True)
class Family:
    name: str  # the key, as failure messages name it
    described: str  # the business words the feature's Examples table uses
    fixed: Callable[[str], list[tuple[str, str]]]  # issued -> [(kind, value)], most telling first
    strategy: Callable[[str], st.SearchStrategy[tuple[str, str]]]  # issued -> (kind, value)


# -- the families ------------------------------------------------------------------------------------------

_WHITESPACE = (" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003", "\u200b", "\ufeff")
# Characters that look like ASCII ones but are not (Cyrillic and Greek), and letters that Unicode case
# folding maps onto ASCII ones: a casefold/lower() compare accepts them.
_LOOKALIKES = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
    "i": "\u0456",
    "s": "\u0455",
    "A": "\u0391",
    "B": "\u0392",
    "E": "\u0395",
    "H": "\u0397",
    "K": "\u039a",
    "M": "\u039c",
    "O": "\u039f",
    "P": "\u03a1",
    "T": "\u03a4",
    "X": "\u03a7",
    "0": "\u041e",
    "1": "\u0406",
    "-": "\u2010",
}
_CASE_FOLDING = {"k": "\u212a", "K": "\u212a", "s": "\u017f", "S": "\u017f", "i": "\u0130", "I": "\u0131"}
_WILDCARDS = ("%", "_", "*", "?", ".")


def _positions(issued: str) -> st.SearchStrategy[int]:
    return st.integers(0, len(issued) - 1)


def _replace(issued: str, position: int, text: str) -> str:
    return issued[:position] + text + issued[position + 1 :]


def _other_of_same_kind(character: str) -> str:
    for alphabet in (string.digits, "abcdef", "ABCDEF", string.ascii_lowercase, string.ascii_uppercase):
        if character in alphabet:
            return alphabet[(alphabet.index(character) + 1) % len(alphabet)]
    return "0" if character != "0" else "1"


def _full_width(character: str) -> str:
    """The full-width form of a printable ASCII character (NFKC turns it back), else the character."""
    if "!" <= character <= "~":
        return chr(ord(character) - 0x21 + 0xFF01)
    return character


# letter case


def _letter_case_fixed(issued: str) -> list[tuple[str, str]]:
    first_letter = next((index for index, char in enumerate(issued) if char.isalpha()), None)
    fixed = [
        ("all upper case", issued.upper()),
        ("all lower case", issued.lower()),
        ("every letter's case swapped", issued.swapcase()),
    ]
    if first_letter is not None:
        fixed.append(("first letter's case swapped", _replace(issued, first_letter, issued[first_letter].swapcase())))
    folding = next((index for index, char in enumerate(issued) if char in _CASE_FOLDING), None)
    if folding is not None:
        fixed.append(
            (
                "a letter as a Unicode letter that case-folds to it",
                _replace(issued, folding, _CASE_FOLDING[issued[folding]]),
            )
        )
    return fixed


def _letter_case_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    letters = [index for index, char in enumerate(issued) if char.swapcase() != char]
    if not letters:
        return st.nothing()
    return st.lists(st.sampled_from(letters), min_size=1, max_size=4, unique=True).map(
        lambda chosen: (
            "some letters' case swapped",
            "".join(char.swapcase() if index in chosen else char for index, char in enumerate(issued)),
        )
    )


# one character changed


def _one_character_fixed(issued: str) -> list[tuple[str, str]]:
    middle = len(issued) // 2
    fixed = [
        ("last character changed", _replace(issued, len(issued) - 1, _other_of_same_kind(issued[-1]))),
        ("first character changed", _replace(issued, 0, _other_of_same_kind(issued[0]))),
        ("middle character changed", _replace(issued, middle, _other_of_same_kind(issued[middle]))),
    ]
    if len(issued) >= 2:
        fixed.append(("last two characters swapped", issued[:-2] + issued[-1] + issued[-2]))
    return fixed


def _one_character_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    replacement = st.characters(codec="ascii", categories=["L", "N", "P", "S"])
    return st.tuples(_positions(issued), replacement).map(
        lambda drawn: ("one character replaced", _replace(issued, drawn[0], drawn[1]))
    )


# shortened


def _shortened_fixed(issued: str) -> list[tuple[str, str]]:
    half = max(1, len(issued) // 2)
    return [
        ("without its last character", issued[:-1]),
        ("its first half", issued[:half]),
        ("without its first character", issued[1:]),
        ("its first character only", issued[:1]),
        ("its last eight characters", issued[-8:]),
        ("one character in the middle left out", issued[: len(issued) // 2] + issued[len(issued) // 2 + 1 :]),
    ]


def _shortened_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    if len(issued) < 2:
        return st.nothing()
    cut = st.integers(1, len(issued) - 1)
    return st.one_of(
        cut.map(lambda end: ("a beginning of it", issued[:end])),
        cut.map(lambda start: ("an end of it", issued[start:])),
        _positions(issued).map(lambda at: ("one character left out", issued[:at] + issued[at + 1 :])),
    )


# characters added


def _appended_fixed(issued: str) -> list[tuple[str, str]]:
    return [
        ("one character added at the end", issued + _other_of_same_kind(issued[-1])),
        ("the ID twice", issued + issued),
        ("a NUL character added at the end", issued + "\x00"),
        ("one character put in front", _other_of_same_kind(issued[0]) + issued),
        ("a separator and more added at the end", issued + "-0"),
    ]


def _appended_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    extra = st.text(st.characters(codec="ascii", categories=["L", "N", "P", "S"]), min_size=1, max_size=8)
    return st.one_of(
        extra.map(lambda added: ("characters added at the end", issued + added)),
        extra.map(lambda added: ("characters put in front", added + issued)),
    )


# whitespace around it


def _whitespace_fixed(issued: str) -> list[tuple[str, str]]:
    return [
        ("a space at the end", issued + " "),
        ("a space in front", " " + issued),
        ("a line break at the end", issued + "\n"),
        ("a tab in front", "\t" + issued),
        ("CR LF at the end", issued + "\r\n"),
        ("spaces on both sides", " " + issued + " "),
        ("a no-break space at the end", issued + "\u00a0"),
        ("an ideographic space in front", "\u3000" + issued),
        ("a zero-width space at the end", issued + "\u200b"),
        ("a single space instead of the ID", " "),  # trimmed, then taken as "no ID given": a skipped check
    ]


def _whitespace_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    spaces = st.lists(st.sampled_from(_WHITESPACE), max_size=3).map("".join)
    return (
        st.tuples(spaces, spaces)
        .filter(lambda sides: sides[0] or sides[1])
        .map(lambda sides: ("whitespace around it", sides[0] + issued + sides[1]))
    )


# wildcards


def _wildcards_fixed(issued: str) -> list[tuple[str, str]]:
    return [
        ("SQL LIKE: % alone", "%"),
        ("SQL LIKE: its last character as _", issued[:-1] + "_"),
        ("SQL LIKE: one _ per character", "_" * len(issued)),
        ("SQL LIKE: its first half then %", issued[: max(1, len(issued) // 2)] + "%"),
        ("glob: * alone", "*"),
        ("glob: its last character as ?", issued[:-1] + "?"),
        ("regular expression: .* alone", ".*"),
        ("regular expression: its last character as .", issued[:-1] + "."),
        ("regular expression: ^.+$", "^.+$"),
    ]


def _wildcards_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.one_of(
        st.tuples(_positions(issued), st.sampled_from(_WILDCARDS)).map(
            lambda drawn: (f"one character as {drawn[1]}", _replace(issued, drawn[0], drawn[1]))
        ),
        st.tuples(st.integers(1, max(1, len(issued) - 1)), st.sampled_from(("%", "*", ".*"))).map(
            lambda drawn: (f"a beginning of it then {drawn[1]}", issued[: drawn[0]] + drawn[1])
        ),
    )


# other encodings


def _percent_encoded(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8"))


def _encodings_fixed(issued: str) -> list[tuple[str, str]]:
    fixed = [
        ("every character percent-encoded", _percent_encoded(issued)),
        ("its first character percent-encoded", _percent_encoded(issued[0]) + issued[1:]),
        ("full-width characters (NFKC gives the ID)", "".join(_full_width(char) for char in issued)),
        ("its last character full-width (NFKC gives the ID)", issued[:-1] + _full_width(issued[-1])),
    ]
    lookalike = next((index for index, char in enumerate(issued) if char in _LOOKALIKES), None)
    if lookalike is not None:
        fixed.append(
            ("a character as a Unicode look-alike", _replace(issued, lookalike, _LOOKALIKES[issued[lookalike]]))
        )
    letter = next((index for index, char in enumerate(issued) if char.isascii() and char.isalpha()), None)
    if letter is not None:
        accented = issued[letter] + "\u0301"
        fixed.append(("an accent on a letter, decomposed (NFD)", _replace(issued, letter, accented)))
        fixed.append(
            ("an accent on a letter, composed (NFC)", _replace(issued, letter, unicodedata.normalize("NFC", accented)))
        )
    fixed.append(("HTML character references", "".join(f"&#{ord(char)};" for char in issued)))
    return fixed


def _encodings_strategy(issued: str) -> st.SearchStrategy[tuple[str, str]]:
    encoders = st.sampled_from(
        (
            (
                "percent-encoded",
                lambda char: quote(char, safe="") if quote(char, safe="") != char else _percent_encoded(char),
            ),
            ("full-width", _full_width),
            ("a Unicode look-alike", lambda char: _LOOKALIKES.get(char, _full_width(char))),
        )
    )
    return st.tuples(st.lists(_positions(issued), min_size=1, max_size=3, unique=True), encoders).map(
        lambda drawn: (
            f"some characters {drawn[1][0]}",
            "".join(drawn[1][1](char) if index in drawn[0] else char for index, char in enumerate(issued)),
        )
    )


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("letter case", "the same ID in other letter case", _letter_case_fixed, _letter_case_strategy),
        Family(
            "one character changed", "the ID with one character changed", _one_character_fixed, _one_character_strategy
        ),
        Family("shortened", "a shortened copy of the ID", _shortened_fixed, _shortened_strategy),
        Family("characters added", "the ID with characters added", _appended_fixed, _appended_strategy),
        Family("whitespace", "the ID with spaces or line breaks around it", _whitespace_fixed, _whitespace_strategy),
        Family("wildcards", "the ID with wildcard characters in it", _wildcards_fixed, _wildcards_strategy),
        Family(
            "other encodings",
            "the ID in another encoding or with look-alike characters",
            _encodings_fixed,
            _encodings_strategy,
        ),
    )
}

# -- generating --------------------------------------------------------------------------------------------


def near_misses(issued: str, family: str, *, run_seed: int, limit: int) -> list[NearMiss]:
    """At most `limit` distinct near misses of `issued` from one family: its fixed candidates first, then
    Hypothesis's draws (seeded by `run_seed` and the family), never the issued ID, never empty."""
    if not issued:
        raise ValueError("an empty streaming session ID has no near misses")
    chosen = FAMILIES[family]
    found: dict[str, str] = {}  # value -> kind, in the order found

    def keep(kind: str, value: str) -> None:
        if len(found) < limit and value and value != issued and value not in found and _is_text(value):
            found[value] = kind

    for kind, value in chosen.fixed(issued):
        keep(kind, value)
    if len(found) < limit:
        # Four tries per value still wanted: room for repeats and values already found, and no more.
        tries = 4 * (limit - len(found))
        for kind, value in _drawn(chosen.strategy(issued), examples=tries, seed_value=_seed_for(run_seed, family)):
            keep(kind, value)
    return [NearMiss(value, family, kind) for value, kind in found.items()]


def _drawn(strategy: st.SearchStrategy[tuple[str, str]], *, examples: int, seed_value: int) -> list[tuple[str, str]]:
    """What Hypothesis draws from `strategy` in `examples` tries under a fixed seed (the same every time)."""
    drawn: list[tuple[str, str]] = []

    # Hypothesis as a generator, not a test runner: no example database, no shrinking, no health checks (a
    # strategy that is empty for this ID, st.nothing(), simply draws nothing).
    @seed(seed_value)
    @settings(
        max_examples=examples,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def collect(candidate: tuple[str, str]) -> None:
        drawn.append(candidate)

    try:
        collect()
    except Exception as problem:  # an unsatisfiable strategy: the fixed candidates are all there is
        if type(problem).__name__ not in ("Unsatisfiable", "FailedHealthCheck"):
            raise
    return drawn


def _seed_for(run_seed: int, family: str) -> int:
    # A stable number per (seed, family): Python's hash() of a string changes with every process.
    return zlib.crc32(f"{run_seed}:{family}".encode())


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(value: str) -> str:
    """A value as the report shows it: quoted, every invisible or non-ASCII character escaped."""
    return ascii(value)


def warm_up() -> None:
    """Starts Hypothesis's engine once (its first use costs tens of milliseconds), so that set-up pays for it
    rather than the first scenario that tries near misses."""
    near_misses("warm-up-0000", "one character changed", run_seed=0, limit=5)
