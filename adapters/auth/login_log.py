"""The login log (domain.directory.login_log) as a table beside the events, on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from adapters.persistence.side_tables import SideTables
from domain.directory.login_log import LoginAttempt, LoginLog

TABLE = "caseledger_logins"


class SQLLoginLog(LoginLog):
    """One row per attempt; the lockout reads the newest few of one name through (username, at)."""

    def __init__(self, tables: SideTables) -> None:
        self._t = tables
        if tables.columns(TABLE):  # no write lock needed when a process starts against an existing database
            return
        with tables.connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id {tables.serial}, username TEXT NOT NULL, "
                f"at {tables.instant_type} NOT NULL, outcome TEXT NOT NULL, client TEXT, token_id TEXT)"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_by_name ON {TABLE} (username, at)")

    def record(self, attempt: LoginAttempt) -> None:
        p = self._t.p
        with self._t.connect() as conn:
            conn.execute(
                f"INSERT INTO {TABLE} (username, at, outcome, client, token_id) VALUES ({p}, {p}, {p}, {p}, {p})",
                (
                    attempt.username,
                    self._t.instant(attempt.at),
                    "success" if attempt.succeeded else "failure",
                    attempt.client,
                    attempt.token_id,
                ),
            )

    def latest(self, username: str, since: datetime, limit: int) -> list[LoginAttempt]:
        p = self._t.p
        with self._t.connect(read_only=True) as conn:
            rows = conn.execute(
                f"SELECT at, outcome, client, token_id FROM {TABLE} WHERE username = {p} AND at > {p} "
                f"ORDER BY at DESC LIMIT {p}",
                (username, self._t.instant(since), limit),
            ).fetchall()
        return [
            LoginAttempt(username, self._t.from_instant(at), outcome == "success", client, token_id)
            for at, outcome, client, token_id in rows
        ]

    def last_successes(self) -> dict[str, datetime]:
        with self._t.connect(read_only=True) as conn:
            rows = conn.execute(
                f"SELECT username, MAX(at) FROM {TABLE} WHERE outcome = 'success' GROUP BY username"
            ).fetchall()
        return {username: self._t.from_instant(at) for username, at in rows}
