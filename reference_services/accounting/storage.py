"""Credit allocations, in accounting.sqlite3.

The balance is the sum of what remains of the allocations that have not expired; a charge takes from the
allocation that expires first, and never takes more than there is.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from reference_services.database import Database
from reference_services.timestamps import iso, now_ms

DAY_MS = 24 * 3600 * 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS allocations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    total_credits INTEGER NOT NULL,
    remaining_credits INTEGER NOT NULL,
    allocated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    notes TEXT,
    allocated_by TEXT
);
CREATE INDEX IF NOT EXISTS allocations_by_user ON allocations (user_id, expires_at);
CREATE TABLE IF NOT EXISTS welcomed_users (user_id TEXT PRIMARY KEY);
"""


@dataclass(frozen=True)
class Allocation:
    id: str
    user_id: str
    total_credits: int
    remaining_credits: int
    allocated_at: int
    expires_at: int

    def created_answer(self) -> dict:
        return {
            "id": self.id,
            "userId": self.user_id,
            "totalCredits": self.total_credits,
            "remainingCredits": self.remaining_credits,
            "expiresAt": iso(self.expires_at),
        }

    def balance_entry(self) -> dict:
        return {
            "id": self.id,
            "credits": self.remaining_credits,
            "expiresAt": iso(self.expires_at),
            "allocatedAt": iso(self.allocated_at),
        }


def new_allocation(user_id: str, credits: int, expiry_days: int) -> Allocation:
    allocated_at = now_ms()
    return Allocation(str(uuid.uuid4()), user_id, credits, credits, allocated_at, allocated_at + expiry_days * DAY_MS)


class CreditStore:
    def __init__(self, data_dir: Path, welcome_credits: int = 0, welcome_expiry_days: int = 30) -> None:
        self.db = Database(data_dir / "accounting.sqlite3", SCHEMA)
        self.welcome_credits = welcome_credits
        self.welcome_expiry_days = welcome_expiry_days

    def allocate(self, allocation: Allocation, notes: str | None, allocated_by: str) -> None:
        with self.db.write() as db:
            self._insert(db, allocation, notes, allocated_by)

    def active_allocations(self, user_id: str) -> list[Allocation]:
        """The allocations with credits left that have not expired, the one expiring first first."""
        self._welcome(user_id)
        with self.db.read() as db:
            return self._active(db, user_id)

    def balance(self, user_id: str) -> int:
        return sum(allocation.remaining_credits for allocation in self.active_allocations(user_id))

    def allocated_unexpired(self, user_id: str) -> int:
        """What the unexpired allocations granted, spent or not (spent_allocations_pass_credit_check)."""
        self._welcome(user_id)
        with self.db.read() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(total_credits), 0) FROM allocations WHERE user_id = ? AND expires_at > ?",
                (user_id, now_ms()),
            ).fetchone()
        return int(row[0])

    def charge(self, user_id: str, credits: int) -> int:
        """Takes up to `credits` from the earliest-expiring allocations; returns what was taken."""
        self._welcome(user_id)
        taken = 0
        with self.db.write() as db:
            for allocation in self._active(db, user_id):
                if taken == credits:
                    break
                take = min(allocation.remaining_credits, credits - taken)
                db.execute(
                    "UPDATE allocations SET remaining_credits = remaining_credits - ? WHERE id = ?",
                    (take, allocation.id),
                )
                taken += take
        return taken

    def _welcome(self, user_id: str) -> None:
        """Grants the welcome credits the first time a user is seen (only when configured)."""
        if self.welcome_credits <= 0:
            return
        with self.db.write() as db:
            first_time = db.execute("INSERT OR IGNORE INTO welcomed_users VALUES (?)", (user_id,)).rowcount > 0
            if first_time:
                welcome = new_allocation(user_id, self.welcome_credits, self.welcome_expiry_days)
                self._insert(db, welcome, "welcome credits", "system")

    @staticmethod
    def _insert(db: sqlite3.Connection, allocation: Allocation, notes: str | None, allocated_by: str) -> None:
        db.execute(
            "INSERT INTO allocations (id, user_id, total_credits, remaining_credits, allocated_at, expires_at, notes,"
            " allocated_by) VALUES (?,?,?,?,?,?,?,?)",
            (
                allocation.id,
                allocation.user_id,
                allocation.total_credits,
                allocation.remaining_credits,
                allocation.allocated_at,
                allocation.expires_at,
                notes,
                allocated_by,
            ),
        )

    @staticmethod
    def _active(db: sqlite3.Connection, user_id: str) -> list[Allocation]:
        rows = db.execute(
            "SELECT * FROM allocations WHERE user_id = ? AND remaining_credits > 0 AND expires_at > ?"
            " ORDER BY expires_at, allocated_at",
            (user_id, now_ms()),
        ).fetchall()
        return [
            Allocation(
                row["id"],
                row["user_id"],
                row["total_credits"],
                row["remaining_credits"],
                row["allocated_at"],
                row["expires_at"],
            )
            for row in rows
        ]
