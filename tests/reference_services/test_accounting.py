"""The accounting service: allocations, balances, roles; and the credit rules of its store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reference_services.accounting.storage import CreditStore, new_allocation
from tests.reference_services.reference_testkit import bad_tokens


def test_health_answers_ok(api):
    response = api.request("GET", "accounting", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "accounting-service"}


def test_allocation_by_user_id_raises_the_balance(api):
    username = api.new_user()
    response = api.allocate(api.user_id(username), 300)
    assert response.status_code == 201
    body = response.json()
    assert body["userId"] == api.user_id(username)
    assert body["totalCredits"] == 300 and body["remainingCredits"] == 300 and body["id"]
    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert api.balance(username) == 300


def test_allocation_by_username_raises_the_balance(api):
    username = api.new_user()
    response = api.allocate(username, 120)
    assert response.status_code == 201
    assert response.json()["userId"] == api.user_id(username)
    assert api.balance(username) == 120


def test_allocations_add_up_and_list_with_their_expiry(api):
    username = api.new_user()
    assert api.allocate(username, 100, expiryDays=7, notes="trial").status_code == 201
    assert api.allocate(username, 50, by="supervisor1").status_code == 201
    response = api.request("GET", "accounting", "/api/credits/balance", user=username)
    body = response.json()
    assert body["totalCredits"] == 150
    assert sorted(entry["credits"] for entry in body["activeAllocations"]) == [50, 100]
    assert all({"id", "credits", "expiresAt", "allocatedAt"} <= entry.keys() for entry in body["activeAllocations"])
    assert body["activeAllocations"][0]["credits"] == 100  # expires first, listed first


def test_officers_read_anyones_balance(api):
    username = api.user_with_credits(40)
    for officer in ("admin", "supervisor1"):
        by_id = api.request("GET", "accounting", f"/api/credits/balance/{api.user_id(username)}", user=officer)
        assert by_id.status_code == 200
        assert by_id.json()["totalCredits"] == 40 and len(by_id.json()["activeAllocations"]) == 1


def test_unknown_user_is_404(api):
    assert api.allocate("no-such-user", 10).status_code == 404
    assert api.allocate(12345, 10).status_code == 404  # the contract's ids may be integers elsewhere
    assert api.request("GET", "accounting", "/api/credits/balance/no-such-user", user="admin").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"userId": "user2", "credits": 0},
        {"userId": "user2", "credits": -5},
        {"userId": "user2", "credits": "100"},
        {"userId": "user2", "credits": 1.5},
        {"userId": "user2"},
        {"credits": 10},
        {"userId": 7.5, "credits": 10},
        {"userId": "", "credits": 10},
        {"userId": "user2", "credits": 10, "expiryDays": 0},
        {"userId": "user2", "credits": 10, "expiryDays": "7"},
        {"userId": "user2", "credits": 10**30},
        {"userId": "user2", "credits": True},
        [],
    ],
    ids=[
        "zero",
        "negative",
        "string",
        "float",
        "no-credits",
        "no-user",
        "user-float",
        "user-empty",
        "expiry-zero",
        "expiry-string",
        "huge",
        "boolean",
        "array",
    ],
)
def test_invalid_allocation_is_400_and_changes_nothing(api, body):
    before = api.balance("user2")
    response = api.request("POST", "accounting", "/api/credits/allocate", user="admin", json=body)
    assert response.status_code == 400
    assert response.json()["message"]
    assert api.balance("user2") == before


def test_endusers_cannot_allocate_or_read_others(api):
    before = api.balance("user2")
    response = api.allocate("user2", 1000, by="user1")
    assert response.status_code == 403 and response.json()["message"]
    assert api.balance("user2") == before
    assert (
        api.request("GET", "accounting", f"/api/credits/balance/{api.user_id('user2')}", user="user1").status_code
        == 403
    )


def test_routes_need_a_token(api):
    assert api.request("GET", "accounting", "/api/credits/balance").status_code == 401
    assert (
        api.request("POST", "accounting", "/api/credits/allocate", json={"userId": "user1", "credits": 5}).status_code
        == 401
    )


@pytest.mark.parametrize("kind", ["expired", "tampered", "wrong_key", "refresh", "alg_none", "garbage"])
def test_bad_tokens_are_401(api, kind):
    token = bad_tokens(api, "admin")[kind]
    assert api.request("GET", "accounting", "/api/credits/balance", token=token).status_code == 401
    allocation = api.request(
        "POST", "accounting", "/api/credits/allocate", token=token, json={"userId": "user1", "credits": 5}
    )
    assert allocation.status_code == 401


def test_internal_routes_need_the_service_key(api):
    assert api.request("GET", "accounting", "/internal/credits/balance", params={"userId": "x"}).status_code == 401
    response = api.request(
        "POST",
        "accounting",
        "/internal/credits/charge",
        json={"userId": api.user_id("user1"), "credits": 5},
        headers={"X-Service-Key": "guess"},
    )
    assert response.status_code == 401
    assert api.request("GET", "auth", "/internal/users/lookup", params={"ref": "user1"}).status_code == 401


# --- the store's credit rules (no HTTP needed) ---


def test_charges_take_from_the_earliest_expiring_allocation_and_never_below_zero(tmp_path):
    store = CreditStore(tmp_path)
    late, early = new_allocation("u", 100, expiry_days=30), new_allocation("u", 50, expiry_days=2)
    store.allocate(late, None, "admin")
    store.allocate(early, None, "admin")
    assert store.charge("u", 60) == 60
    remaining = {allocation.id: allocation.remaining_credits for allocation in store.active_allocations("u")}
    assert remaining == {late.id: 90}  # the early one is used up and no longer listed
    assert store.charge("u", 500) == 90
    assert store.balance("u") == 0
    assert store.charge("u", 1) == 0


def test_expired_allocations_do_not_count(tmp_path):
    store = CreditStore(tmp_path)
    expired = new_allocation("u", 70, expiry_days=1)
    expired = type(expired)(**{**vars(expired), "expires_at": expired.allocated_at - 1})
    store.allocate(expired, None, "admin")
    store.allocate(new_allocation("u", 30, expiry_days=1), None, "admin")
    assert store.balance("u") == 30
    assert store.charge("u", 50) == 30


def test_welcome_credits_are_granted_once(tmp_path):
    store = CreditStore(tmp_path, welcome_credits=1000)
    assert store.balance("new") == 1000
    assert store.charge("new", 1000) == 1000
    assert store.balance("new") == 0
