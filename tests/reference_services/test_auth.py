"""The auth service: log-in, tokens and admin user management."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.reference_services.reference_testkit import PASSWORDS, bad_tokens


def test_health_answers_ok(api):
    response = api.request("GET", "auth", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "auth-service"}


@pytest.mark.parametrize(
    "username, role", [("admin", "admin"), ("supervisor1", "supervisor"), ("user1", "enduser"), ("user2", "enduser")]
)
def test_seeded_accounts_log_in(api, username, role):
    response = api.login(username)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == username and body["user"]["role"] == role
    assert {"id", "username", "email", "role"} == body["user"].keys()
    assert isinstance(body["accessToken"], str) and isinstance(body["refreshToken"], str)


def test_access_token_carries_the_contracts_claims(api, platform):
    body = api.login("user1").json()
    claims = jwt.decode(body["accessToken"], platform.jwt_secret, algorithms=["HS256"])
    assert jwt.get_unverified_header(body["accessToken"])["alg"] == "HS256"
    assert claims["sub"] == body["user"]["id"]
    assert claims["username"] == "user1" and claims["email"] == body["user"]["email"]
    assert claims["role"] == "enduser" and claims["type"] == "access"
    assert claims["iat"] <= time.time() < claims["exp"]
    refresh = jwt.decode(body["refreshToken"], platform.jwt_secret, algorithms=["HS256"])
    assert refresh["type"] == "refresh" and refresh["sub"] == claims["sub"]


def test_user_ids_are_stable_across_log_ins(api):
    assert api.login("user2").json()["user"]["id"] == api.login("user2").json()["user"]["id"]


@pytest.mark.parametrize("username, password", [("user1", "wrong"), ("nobody", "User1@123"), ("user1", "user1@123")])
def test_wrong_credentials_are_401(api, username, password):
    response = api.login(username, password)
    assert response.status_code == 401
    assert response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "user1"},
        {"password": "User1@123"},
        {"username": 1, "password": "x"},
        {"username": "user1", "password": None},
        {"username": "", "password": ""},
        [],
        "user1",
    ],
)
def test_missing_or_malformed_fields_are_400(api, body):
    response = api.request("POST", "auth", "/api/auth/login", json=body)
    assert response.status_code == 400
    assert response.json()["message"]


def new_user_body(name: str, **changes) -> dict:
    body = {
        "username": name,
        "email": f"{name}@example.com",
        "password": "Str0ng!pass",
        "role": "enduser",
        "skipVerification": True,
    }
    return {**body, **changes}


def test_admin_creates_a_user_who_can_log_in_until_deleted(api):
    created = api.request("POST", "auth", "/api/admin/users", user="admin", json=new_user_body("carol"))
    assert created.status_code == 201
    assert created.json()["message"] and created.json()["userId"]
    user_id = created.json()["userId"]
    logged_in = api.login("carol", "Str0ng!pass")
    assert logged_in.status_code == 200 and logged_in.json()["user"]["id"] == user_id

    deleted = api.request("DELETE", "auth", f"/api/admin/users/{user_id}", user="admin")
    assert deleted.status_code == 200 and deleted.json()["message"]
    assert api.login("carol", "Str0ng!pass").status_code == 401
    assert api.request("DELETE", "auth", f"/api/admin/users/{user_id}", user="admin").status_code == 404


def test_duplicate_username_or_email_is_400(api):
    assert api.request("POST", "auth", "/api/admin/users", user="admin", json=new_user_body("dave")).status_code == 201
    again = api.request("POST", "auth", "/api/admin/users", user="admin", json=new_user_body("dave"))
    same_email = api.request(
        "POST", "auth", "/api/admin/users", user="admin", json=new_user_body("dave2", email="dave@example.com")
    )
    seeded = api.request("POST", "auth", "/api/admin/users", user="admin", json=new_user_body("user1"))
    for response in (again, same_email, seeded):
        assert response.status_code == 400 and response.json()["message"]


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "not-an-email"},
        {"password": "short"},
        {"role": "superuser"},
        {"username": "a"},
        {"username": "has space"},
        {"role": None},
        {"skipVerification": "yes"},
        {"password": 12345678},
    ],
)
def test_invalid_new_user_is_400(api, changes):
    response = api.request("POST", "auth", "/api/admin/users", user="admin", json=new_user_body("erin", **changes))
    assert response.status_code == 400
    assert response.json()["message"]


def test_missing_new_user_field_is_400(api):
    body = new_user_body("frank")
    del body["email"]
    assert api.request("POST", "auth", "/api/admin/users", user="admin", json=body).status_code == 400


@pytest.mark.parametrize("user", ["user1", "supervisor1"])
def test_only_admins_manage_users(api, user):
    created = api.request("POST", "auth", "/api/admin/users", user=user, json=new_user_body("grace"))
    assert created.status_code == 403 and created.json()["message"]
    deleted = api.request("DELETE", "auth", f"/api/admin/users/{api.user_id('user2')}", user=user)
    assert deleted.status_code == 403
    assert api.login("user2").status_code == 200


def test_user_routes_need_a_token(api):
    assert api.request("POST", "auth", "/api/admin/users", json=new_user_body("heidi")).status_code == 401
    assert api.request("DELETE", "auth", f"/api/admin/users/{api.user_id('user2')}").status_code == 401


@pytest.mark.parametrize("kind", ["expired", "tampered", "wrong_key", "refresh", "alg_none", "garbage"])
def test_bad_admin_tokens_are_401(api, kind):
    token = bad_tokens(api, "admin")[kind]
    response = api.request("POST", "auth", "/api/admin/users", token=token, json=new_user_body(f"ivan{kind}"))
    assert response.status_code == 401


def test_passwords_are_stored_hashed(platform):
    import sqlite3

    connection = sqlite3.connect(platform.data_dir / "auth.sqlite3")
    try:
        stored = dict(connection.execute("SELECT username, password_hash FROM users").fetchall())
    finally:
        connection.close()
    assert stored["user1"].startswith("pbkdf2_sha256$")
    assert all(PASSWORDS[name] not in value for name, value in stored.items() if name in PASSWORDS)
