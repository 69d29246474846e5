"""Idempotency keys in the same database as the events (SQLite or PostgreSQL)."""

from __future__ import annotations

from adapters.side_tables import SideTables
from domain.idempotency import IdempotencyStore, KeyInProgress, KeyReused, StoredResponse

TABLE = "caseledger_idempotency"


class SQLIdempotencyStore(IdempotencyStore):
    """One table; the primary key (scope, key) makes the claim atomic."""

    def __init__(self, tables: SideTables) -> None:
        self._connect, self._p = tables.connect, tables.p
        if tables.columns(TABLE):  # no write lock needed when a process starts against an existing database
            return
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (scope TEXT NOT NULL, key TEXT NOT NULL, "
                f"fingerprint TEXT NOT NULL, status INTEGER, body {tables.blob}, content_type TEXT, "
                f"created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (scope, key))")

    def claim(self, scope: str, key: str, fingerprint: str) -> StoredResponse | None:
        p = self._p
        with self._connect() as conn:
            inserted = conn.execute(
                f"INSERT INTO {TABLE} (scope, key, fingerprint) VALUES ({p}, {p}, {p}) "
                f"ON CONFLICT (scope, key) DO NOTHING", (scope, key, fingerprint)).rowcount
            if inserted == 1:
                return None
            row = conn.execute(f"SELECT fingerprint, status, body, content_type FROM {TABLE} "
                               f"WHERE scope = {p} AND key = {p}", (scope, key)).fetchone()
        if row is None:  # released between our insert and select: treat as busy, the client retries
            raise KeyInProgress("a request with this Idempotency-Key is being processed; retry shortly")
        stored_fingerprint, status, body, content_type = row
        if stored_fingerprint != fingerprint:
            raise KeyReused("this Idempotency-Key was used for a different request")
        if status is None:
            raise KeyInProgress("a request with this Idempotency-Key is being processed; retry shortly")
        return StoredResponse(status, bytes(body), content_type)

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        p = self._p
        with self._connect() as conn:
            conn.execute(f"UPDATE {TABLE} SET status = {p}, body = {p}, content_type = {p} "
                         f"WHERE scope = {p} AND key = {p}",
                         (response.status, response.body, response.content_type, scope, key))

    def release(self, scope: str, key: str) -> None:
        p = self._p
        with self._connect() as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE scope = {p} AND key = {p} AND status IS NULL", (scope, key))
