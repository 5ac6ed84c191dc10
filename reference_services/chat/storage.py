"""Chat sessions, their messages and the streaming session IDs issued for them, in chat.sqlite3."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from reference_services.database import Database
from reference_services.timestamps import iso, now_ms

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    title TEXT NOT NULL,
    model_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    streaming_session_id TEXT  -- the ID issued for the session's most recent stream
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, created_at);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_id, id);
CREATE TABLE IF NOT EXISTS issued_streams (
    streaming_session_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    title: str
    model_id: str | None
    created_at: int
    updated_at: int
    streaming_session_id: str | None

    def summary(self) -> dict:
        return {
            "sessionId": self.id,
            "title": self.title,
            "modelId": self.model_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    created_at: int

    def answer(self) -> dict:
        return {"role": self.role, "content": self.content, "timestamp": iso(self.created_at)}


class ChatStore:
    def __init__(self, data_dir: Path) -> None:
        self.db = Database(data_dir / "chat.sqlite3", SCHEMA)

    def create_session(
        self, session_id: str, user_id: str, title: str, model_id: str | None, initial_message: str | None
    ) -> Session:
        now = now_ms()
        with self.db.write() as db:
            db.execute(
                "INSERT INTO sessions (id, user_id, title, model_id, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                (session_id, user_id, title, model_id, now, now),
            )
            if initial_message:
                self._add_message(db, session_id, "user", initial_message, now)
        return Session(session_id, user_id, title, model_id, now, now, None)

    def get_session(self, session_id: str) -> Session | None:
        with self.db.read() as db:
            row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _session(row) if row else None

    def find_owned_session(self, session_id: str, user_id: str) -> Session | None:
        """The session if it is the user's (session_lookup_sql_injection: the query built by string formatting)."""
        with self.db.read() as db:
            row = db.execute(f"SELECT * FROM sessions WHERE id = '{session_id}' AND user_id = '{user_id}'").fetchone()
        return _session(row) if row else None

    def list_sessions(self, user_id: str | None) -> list[Session]:
        """A user's sessions, newest first (every user's for None)."""
        with self.db.read() as db:
            if user_id is None:
                rows = db.execute("SELECT * FROM sessions ORDER BY created_at DESC").fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC", (user_id,)
                ).fetchall()
        return [_session(row) for row in rows]

    def delete_session(self, session_id: str) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM messages WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM issued_streams WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def messages(self, session_id: str) -> list[Message]:
        with self.db.read() as db:
            rows = db.execute(
                "SELECT role, content, created_at FROM messages WHERE session_id = ? ORDER BY id", (session_id,)
            ).fetchall()
        return [Message(row["role"], row["content"], row["created_at"]) for row in rows]

    def add_message(self, session_id: str, role: str, content: str) -> None:
        with self.db.write() as db:
            self._add_message(db, session_id, role, content, now_ms())

    def record_stream(self, session_id: str, streaming_session_id: str) -> None:
        """Makes `streaming_session_id` the session's most recent one (and keeps it in the history)."""
        now = now_ms()
        with self.db.write() as db:
            db.execute(
                "UPDATE sessions SET streaming_session_id = ?, updated_at = ? WHERE id = ?",
                (streaming_session_id, now, session_id),
            )
            db.execute(
                "INSERT OR IGNORE INTO issued_streams (streaming_session_id, session_id, issued_at) VALUES (?,?,?)",
                (streaming_session_id, session_id, now),
            )

    def was_issued(self, streaming_session_id: str, session_id: str | None = None) -> bool:
        """Whether the ID was ever issued (for this session, or for any session when None)."""
        query = "SELECT 1 FROM issued_streams WHERE streaming_session_id = ?"
        values: tuple[str, ...] = (streaming_session_id,)
        if session_id is not None:
            query += " AND session_id = ?"
            values += (session_id,)
        with self.db.read() as db:
            return db.execute(query, values).fetchone() is not None

    def latest_stream_matches(self, session_id: str, claim: str, comparison: str) -> bool:
        """Whether the session's latest streaming session ID matches `claim` in SQL, compared the way `comparison`
        says (only the faults like_id_match and case_insensitive_id_compare check this way)."""
        operator = {"like": "LIKE ?", "nocase": "= ? COLLATE NOCASE"}[comparison]
        with self.db.read() as db:
            row = db.execute(
                f"SELECT 1 FROM sessions WHERE id = ? AND streaming_session_id {operator}", (session_id, claim)
            ).fetchone()
        return row is not None

    def confirm_reply(self, session_id: str, content: str, *, first_reply: bool = False) -> None:
        """The session's last assistant message becomes `content`.

        If the last message is the user's (the stream was cut before the reply was saved), the confirmed
        reply is appended instead of overwriting an older exchange's reply. `first_reply` (the fault
        confirm_edits_first_reply) rewrites the first assistant message instead.
        """
        now = now_ms()
        with self.db.write() as db:
            order = "role = 'assistant' DESC, id ASC" if first_reply else "id DESC"
            last = db.execute(
                f"SELECT id, role FROM messages WHERE session_id = ? ORDER BY {order} LIMIT 1", (session_id,)
            ).fetchone()
            if last is not None and last["role"] == "assistant":
                db.execute("UPDATE messages SET content = ? WHERE id = ?", (content, last["id"]))
                db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
            else:
                self._add_message(db, session_id, "assistant", content, now)

    @staticmethod
    def _add_message(db: sqlite3.Connection, session_id: str, role: str, content: str, now: int) -> None:
        db.execute(
            "INSERT INTO messages (session_id, role, content, created_at) VALUES (?,?,?,?)",
            (session_id, role, content, now),
        )
        db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))


def _session(row: sqlite3.Row) -> Session:
    return Session(
        row["id"],
        row["user_id"],
        row["title"],
        row["model_id"],
        row["created_at"],
        row["updated_at"],
        row["streaming_session_id"],
    )
