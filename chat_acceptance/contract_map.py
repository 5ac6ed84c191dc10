"""The map of the contract: every promise of contract.md, with the scenarios (behaviour tags) that check it.

contract/promises.yaml lists the promises; each quotes the contract text it comes from, so that
tests/contract/test_promise_map.py can read contract.md, cut it into statements (sentences, bullets, table
rows) and route statuses, and name exactly what no promise covers. contract/contract.md is the copy the map
was written against; the same test compares it with the live contract beside the repository.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict

import yaml

from chat_acceptance.files import SUITE_FILES

REPOSITORY = SUITE_FILES
MAP_FILE = REPOSITORY / "contract" / "promises.yaml"
CONTRACT_COPY = REPOSITORY / "contract" / "contract.md"

_ROUTE = re.compile(r"^(?:- )?(GET|POST|PUT|PATCH|DELETE) (/\S+)")
_TABLE_ROUTE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/\S+) → (\d{3})")
_STATUS = re.compile(r"(?<![\w.{/-])([1-5]\d\d)(?![\w}])")
_RESERVED = re.compile(r"\((?:admin only|admin or supervisor)\)")
_SENTENCE_END = re.compile(r"(?<=[.])\s+(?=[A-Z(`])")


@dataclass(frozen=True)
class Promise:
    id: str
    quote: str
    checked_by: tuple[str, ...] = ()  # behaviour tags, with "behaviour." (as behave tags, without "@")
    reason: str = ""  # why no scenario checks it, and what does instead
    route: str | None = None  # "DELETE /api/admin/users/{userId}", for a status promise
    status: int | None = None
    words: str = ""  # the promise in a few business words, for the docs and the report


@dataclass(frozen=True)
class ContractMap:
    promises: tuple[Promise, ...]
    context: tuple[Promise, ...] = field(default=())  # statements that promise nothing, each with its reason

    def for_tags(self, tags: Iterable[str]) -> list[Promise]:
        """The promises a scenario with these tags checks."""
        tags = set(tags)
        return [promise for promise in self.promises if tags & set(promise.checked_by)]

    @property
    def quotes(self) -> list[str]:
        return [entry.quote for entry in (*self.promises, *self.context)]


class _Entry(TypedDict):
    """A promise or a context statement as contract/promises.yaml writes it."""

    id: str
    quote: str
    checked_by: NotRequired[list[str] | None]
    reason: NotRequired[str]
    route: NotRequired[str | None]
    status: NotRequired[int | None]
    words: NotRequired[str]


@functools.cache
def load(path: Path = MAP_FILE) -> ContractMap:
    document = yaml.safe_load(path.read_text())

    def entry(raw: _Entry) -> Promise:
        return Promise(
            id=raw["id"],
            quote=normalise(raw["quote"]),
            checked_by=tuple(raw.get("checked_by") or ()),
            reason=raw.get("reason", ""),
            route=raw.get("route"),
            status=raw.get("status"),
            words=raw.get("words", ""),
        )

    return ContractMap(
        tuple(entry(raw) for raw in document["promises"]), tuple(entry(raw) for raw in document.get("context", []))
    )


@functools.cache
def section_of(quote: str, text: str | None = None) -> str:
    """The anchor of the contract's heading under which a quote stands ("" when none holds it)."""
    anchor = ""
    sections: dict[str, str] = {}  # anchor -> the text under its heading
    for line in (CONTRACT_COPY.read_text() if text is None else text).splitlines():
        if line.startswith("#"):
            anchor = re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        sections[anchor] = sections.get(anchor, "") + " " + line
    return next((name for name, body in sections.items() if quote in normalise(body)), "")


def normalise(text: str) -> str:
    return " ".join(text.split())


def live_contract() -> Path | None:
    """The contract beside the repository (../shared/contract.md, or higher up), where the team keeps it."""
    for folder in REPOSITORY.parents:
        candidate = folder / "shared" / "contract.md"
        if candidate.is_file():
            return candidate
    return None


# -- cutting the contract into what must be covered --------------------------------------------------------


def statements(text: str) -> list[str]:
    """Every sentence of prose, every bullet and every table row (but headers) of the contract, normalised."""
    units: list[str] = []
    paragraph: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if paragraph:
            units.extend(_SENTENCE_END.split(normalise(" ".join(paragraph))))
            paragraph.clear()
        if table:
            units.extend(normalise(row) for row in table[2:])  # header and separator promise nothing
            table.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if paragraph:
                flush()
            table.append(stripped)
            continue
        if table:
            flush()
        if not stripped or stripped.startswith("#"):
            flush()
        elif stripped.startswith("- "):
            flush()
            paragraph.append(stripped[2:])
        else:
            paragraph.append(stripped)
    flush()
    return [unit for unit in units if unit]


def route_statuses(text: str) -> dict[str, set[int]]:
    """Each route the contract names -> the statuses it lists for it.

    A route's statuses are those in its table row, or in the lines from the one that names it to the next route
    or heading; a section's "Every /api route ..." rule adds its 401 to each route of the section, and its 403
    to each route reserved to some roles ("(admin only)", "(admin or supervisor)").
    """
    routes: dict[str, set[int]] = {}
    current: str | None = None
    section_rule: set[int] = set()
    section_routes: list[tuple[str, bool]] = []
    in_rule = False

    def close_section() -> None:
        for route, reserved in section_routes:
            routes[route] |= {status for status in section_rule if status != 403 or reserved}
        section_rule.clear()
        section_routes.clear()

    for line in text.splitlines():
        stripped = line.strip()
        for method, path, status in _TABLE_ROUTE.findall(stripped):
            routes.setdefault(f"{method} {path}", set()).add(int(status))
        if stripped.startswith("|"):
            continue
        if stripped.startswith("#"):
            if stripped.startswith("## "):
                close_section()
            current = None
            continue
        match = _ROUTE.match(stripped)
        if match and match.group(2).startswith("/api"):
            current = f"{match.group(1)} {match.group(2)}"
            routes.setdefault(current, set())
            section_routes.append((current, bool(_RESERVED.search(stripped))))
            stripped = stripped[match.end() :]
        in_rule = bool(stripped) and (in_rule or stripped.startswith("Every /api route"))  # to the sentence's end
        if current is not None:
            routes[current] |= {int(status) for status in _STATUS.findall(stripped)}
        elif in_rule:
            section_rule |= {int(status) for status in _STATUS.findall(stripped)}
            in_rule = not stripped.endswith(".")
    close_section()
    return routes


# -- what the map misses ------------------------------------------------------------------------------------


def uncovered_statements(text: str, contract_map: ContractMap) -> list[str]:
    """The contract's statements that no quote covers (a quote inside the statement, or the statement inside one)."""
    quotes = contract_map.quotes
    return [unit for unit in statements(text) if not any(quote in unit or unit in quote for quote in quotes)]


def stale_quotes(text: str, contract_map: ContractMap) -> list[str]:
    """The map's entries whose quote is no longer in the contract, by id."""
    contract = normalise(text)
    return [entry.id for entry in (*contract_map.promises, *contract_map.context) if entry.quote not in contract]


def unmapped_statuses(text: str, contract_map: ContractMap) -> list[str]:
    """Each "ROUTE → STATUS" the contract lists that no promise names."""
    mapped = {(promise.route, promise.status) for promise in contract_map.promises if promise.route}
    return [
        f"{route} → {status}"
        for route, listed in route_statuses(text).items()
        for status in sorted(listed)
        if (route, status) not in mapped
    ]
