"""Users, in auth.sqlite3."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from reference_services.database import Database
from reference_services.security import hash_password
from reference_services.timestamps import now_ms

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class SeedAccount:
    username: str
    email: str
    password: str
    role: str


# The contract's accounts present on a fresh deployment.
SEED_ACCOUNTS = (
    SeedAccount("admin", "admin@example.com", "admin@admin", "admin"),
    SeedAccount("supervisor1", "supervisor1@example.com", "Supervisor1@", "supervisor"),
    SeedAccount("user1", "user1@example.com", "User1@123", "enduser"),
    SeedAccount("user2", "user2@example.com", "User2@123", "enduser"),
)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    role: str
    password_hash: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username, "email": self.email, "role": self.role}


class DuplicateUser(Exception):
    pass


class UserStore:
    def __init__(self, data_dir: Path) -> None:
        self.db = Database(data_dir / "auth.sqlite3", SCHEMA)

    def seed(self, accounts: tuple[SeedAccount, ...], password_iterations: int) -> None:
        """Creates the accounts that do not exist yet (a restart keeps their ids and passwords)."""
        for account in accounts:
            if self.find_by_username(account.username) is not None:
                continue
            password_hash = hash_password(account.password, password_iterations)
            with contextlib.suppress(DuplicateUser):  # another worker process seeded it first
                self.create(account.username, account.email, password_hash, account.role)

    def create(self, username: str, email: str, password_hash: str, role: str) -> User:
        user = User(str(uuid.uuid4()), username, email, role, password_hash)
        try:
            with self.db.write() as db:
                db.execute(
                    "INSERT INTO users (id, username, email, password_hash, role, created_at) VALUES (?,?,?,?,?,?)",
                    (user.id, username, email, password_hash, role, now_ms()),
                )
        except sqlite3.IntegrityError as error:
            raise DuplicateUser(username) from error
        return user

    def find_by_username(self, username: str) -> User | None:
        return self._one("SELECT * FROM users WHERE username = ?", username)

    def find(self, user_id_or_username: str) -> User | None:
        """By id first, then by username (allocation accepts either)."""
        return self._one("SELECT * FROM users WHERE id = ?", user_id_or_username) or self.find_by_username(
            user_id_or_username
        )

    def find_in_use(self, username: str, email: str) -> User | None:
        """The account that holds this username or this email, if any."""
        return self.find_by_username(username) or self._one("SELECT * FROM users WHERE email = ?", email)

    def delete(self, user_id: str) -> bool:
        with self.db.write() as db:
            return db.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0

    def _one(self, query: str, value: str) -> User | None:
        with self.db.read() as db:
            row = db.execute(query, (value,)).fetchone()
        if row is None:
            return None
        return User(row["id"], row["username"], row["email"], row["role"], row["password_hash"])
