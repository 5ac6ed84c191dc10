"""contract/promises.yaml maps every promise of the contract to the scenarios that check it, and stays in step
with the contract and with the features' Examples tables."""

import importlib.util
import re
from pathlib import Path

import pytest
from behave.model import ScenarioOutline
from behave.parser import parse_file

from chat_acceptance import contract_map
from chat_acceptance.attacks.near_misses import FAMILIES
from chat_acceptance.world.access import TOKEN_ROUTES

FEATURES = Path(__file__).resolve().parents[2] / "features"


def _steps_vocabulary():
    """features/steps/vocabulary.py: the features' words for the library's objects (not a package: behave loads
    the steps folder by path)."""
    spec = importlib.util.spec_from_file_location("vocabulary", FEATURES / "steps" / "vocabulary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VOCABULARY = _steps_vocabulary()
CONTRACT = contract_map.CONTRACT_COPY.read_text()
MAP = contract_map.load()
TOKEN_TAGS = {f"behaviour.{kind}_token_refused" for kind in ("missing", "forged", "unsigned", "refresh", "expired")}
END_USERS = {"Alice", "Bob", "Carol"}


def _scenario_tags() -> set[str]:
    return set(re.findall(r"@(behaviour\.\w+)", "".join(path.read_text() for path in FEATURES.glob("*.feature"))))


def _outline(feature_file: str, step_text: str):
    feature = parse_file(str(FEATURES / feature_file))
    outlines = [
        scenario
        for rule in feature.rules
        for scenario in rule.scenarios
        if isinstance(scenario, ScenarioOutline) and any(step.name == step_text for step in scenario.steps)
    ]
    assert len(outlines) == 1, f"expected one outline with the step {step_text!r} in {feature_file}"
    return outlines[0]


def _rows(outline) -> list[tuple[str, dict[str, str]]]:
    return [
        (examples.name, dict(zip(examples.table.headings, row, strict=True)))
        for examples in outline.examples
        for row in examples.table.rows
    ]


# -- the map and the contract -------------------------------------------------------------------------------


def test_every_statement_of_the_contract_is_covered_by_a_promise_or_a_stated_context():
    missing = contract_map.uncovered_statements(CONTRACT, MAP)
    assert not missing, "contract.md says what contract/promises.yaml does not quote:\n  " + "\n  ".join(missing)


def test_every_quote_is_still_in_the_contract():
    assert contract_map.stale_quotes(CONTRACT, MAP) == [], "entries whose quote contract.md no longer holds"


def test_every_status_the_contract_lists_for_a_route_has_its_promise():
    assert contract_map.unmapped_statuses(CONTRACT, MAP) == [], "route statuses of contract.md no promise names"


def test_no_promise_names_a_status_the_contract_does_not_list():
    listed = contract_map.route_statuses(CONTRACT)
    extra = [p.id for p in MAP.promises if p.route and p.status not in listed.get(p.route, set())]
    assert extra == []


def test_promise_ids_are_unique():
    ids = [entry.id for entry in (*MAP.promises, *MAP.context)]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_promise_has_a_scenario_or_else_a_stated_reason():
    assert [p.id for p in MAP.promises if not p.checked_by and not p.reason] == [], "promises nothing checks"
    assert [p.id for p in MAP.promises if p.checked_by and p.reason] == [], "a reason is only for the unchecked"
    assert [c.id for c in MAP.context if not c.reason] == [], "context entries without a reason"


def test_every_tag_of_the_map_names_a_scenario():
    tags = {tag for promise in MAP.promises for tag in promise.checked_by}
    assert sorted(tags - _scenario_tags()) == [], "tags in contract/promises.yaml that no scenario carries"


def test_every_scenario_checks_some_promise():
    mapped = {tag for promise in MAP.promises for tag in promise.checked_by}
    assert sorted(_scenario_tags() - mapped) == [], "scenarios contract/promises.yaml does not name"


def test_the_copy_is_the_contract_beside_the_repository():
    live = contract_map.live_contract()
    if live is None:
        pytest.skip("no shared/contract.md beside this checkout: the map is checked against contract/contract.md")
    assert live.read_text() == CONTRACT, (
        f"{live} differs from contract/contract.md: copy it there, then this file's tests name what the map misses"
    )


# -- the tests name exactly what the map misses when the contract grows -------------------------------------


def test_a_new_sentence_is_named():
    grown = CONTRACT.replace("These are plain JSON.", "These are plain JSON. A teapot answers 418.")
    assert contract_map.uncovered_statements(grown, MAP) == ["A teapot answers 418."]


def test_a_new_status_of_a_route_is_named():
    grown = CONTRACT.replace("· 403 not admin · 404", "· 403 not admin · 404 · 409 still has credits")
    assert contract_map.unmapped_statuses(grown, MAP) == ["DELETE /api/admin/users/{userId} → 409"]


def test_a_new_route_is_named_with_its_statuses_and_the_sections_401():
    grown = CONTRACT.replace(
        "- GET /api/credits/balance →", "- GET /api/credits/history → 200 · 404\n- GET /api/credits/balance →"
    )
    assert contract_map.unmapped_statuses(grown, MAP) == [
        "GET /api/credits/history → 200",
        "GET /api/credits/history → 401",
        "GET /api/credits/history → 404",
    ]


def test_a_reworded_promise_is_named_by_its_id():
    reworded = CONTRACT.replace("A deleted session no longer exists for anyone", "A deleted session may linger")
    assert contract_map.stale_quotes(reworded, MAP) == ["sessions.deleted_gone"]


# -- the matrices' Examples and the map agree ---------------------------------------------------------------


# Every /api route needs an access token but the one that gives it and the chat service's health check.
NEEDS_NO_TOKEN = {"POST /api/auth/login", "GET /api/health"}


def test_every_route_that_needs_a_token_is_tried_with_every_kind_of_bad_token():
    needs_token = {route for route in contract_map.route_statuses(CONTRACT) if route.split()[1].startswith("/api")}
    needs_token -= NEEDS_NO_TOKEN
    tried: dict[str, set[str]] = {}
    for _, row in _rows(_outline("security.feature", "Alice tries to <action> with <token>")):
        tried.setdefault(row["token"], set()).add(VOCABULARY.ROUTES_NEEDING_A_TOKEN[row["action"]].route)
    assert set(tried) == set(VOCABULARY.TOKEN_KINDS), "token kinds without their Examples table"
    missing = {kind: sorted(needs_token - routes) for kind, routes in tried.items() if needs_token - routes}
    assert missing == {}, "routes that need a token which a kind of bad token is not tried against"


def test_every_401_for_a_token_is_checked_by_every_kind_of_bad_token():
    unchecked = [
        p.id
        for p in MAP.promises
        if p.status == 401 and p.route not in NEEDS_NO_TOKEN and not TOKEN_TAGS <= set(p.checked_by)
    ]
    assert unchecked == []


def _reserved_to(route: str) -> set[str]:
    """Who the contract lets through on a route: from its "(admin only)" or "(admin or supervisor)"."""
    line = next(line for line in CONTRACT.splitlines() if route in line)
    return {"the administrator"} if "(admin only)" in line else {"the administrator", "the supervisor"}


def _role_rows(then_step: str) -> set[tuple[str, str]]:
    """(who, route) of each row of the role matrix's outline whose outcome is `then_step`."""
    outline = _outline("security.feature", then_step)
    return {(row["who"], VOCABULARY.GUARDED_ACTIONS[row["action"]].route) for _, row in _rows(outline)}


def test_every_guarded_route_is_refused_to_every_role_it_is_not_reserved_to_and_lets_the_others_through():
    refused = _role_rows("the request is refused as forbidden")
    allowed = _role_rows("the request is let through")
    missing = []
    for route in sorted({p.route for p in MAP.promises if p.status == 403}):
        let_through = _reserved_to(route)
        if not any(who in END_USERS and row_route == route for who, row_route in refused):
            missing.append(f"an end user refused on {route}")
        if "the supervisor" not in let_through and ("the supervisor", route) not in refused:
            missing.append(f"the supervisor refused on {route}")
        missing += [f"{who} let through on {route}" for who in sorted(let_through) if (who, route) not in allowed]
    assert missing == [], "rows the role matrix lacks"


def test_every_near_miss_family_has_business_words_for_the_feature():
    families = set(VOCABULARY.NEAR_MISSES.values())
    assert {family.name for family in families} == set(FAMILIES), "near-miss families the features cannot name"
    assert all(
        not any(word in described.lower() for word in ("sql", "json", "header", "regex"))
        for described in VOCABULARY.NEAR_MISSES
    )


def test_every_token_route_of_the_library_has_words_in_the_features():
    assert set(VOCABULARY.ROUTES_NEEDING_A_TOKEN.values()) == set(TOKEN_ROUTES)
