"""Idempotency keys in the same database as the events (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from adapters.persistence.side_tables import SideTables
from domain.idempotency import Claim, IdempotencyStore, KeyInProgress, KeyReused, StoredResponse

TABLE = "caseledger_idempotency"
_BUSY = "a request with this Idempotency-Key is being processed; retry shortly"


class SQLIdempotencyStore(IdempotencyStore):
    """One table. The primary key (scope, key) makes a claim atomic; a claim's holder and time make
    taking over an expired one a compare-and-set, and keep a late original from completing the key."""

    def __init__(self, tables: SideTables, lease: timedelta) -> None:
        self._t, self.lease = tables, lease
        columns = tables.columns(TABLE)
        if {"holder", "claimed_at"} <= columns:  # no write lock needed when a process starts on an existing database
            return
        with tables.connect() as conn:
            if not columns:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (scope TEXT NOT NULL, key TEXT NOT NULL, "
                    f"fingerprint TEXT NOT NULL, status INTEGER, body {tables.blob}, content_type TEXT, "
                    f"created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, holder TEXT, claimed_at {tables.instant_type}, "
                    f"PRIMARY KEY (scope, key))"
                )
            else:  # a table from before leases: its open claims have no time, and count as expired
                conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN holder TEXT")
                conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN claimed_at {tables.instant_type}")

    def claim(self, scope: str, key: str, fingerprint: str) -> Claim | StoredResponse:
        p, now, holder = self._t.p, datetime.now(UTC), uuid.uuid4().hex
        with self._t.connect() as conn:
            inserted = conn.execute(
                f"INSERT INTO {TABLE} (scope, key, fingerprint, holder, claimed_at) VALUES ({p}, {p}, {p}, {p}, {p}) "
                f"ON CONFLICT (scope, key) DO NOTHING",
                (scope, key, fingerprint, holder, self._t.instant(now)),
            ).rowcount
            if inserted == 1:
                return Claim(holder)
            row = conn.execute(
                f"SELECT fingerprint, status, body, content_type, holder, claimed_at FROM {TABLE} "
                f"WHERE scope = {p} AND key = {p}",
                (scope, key),
            ).fetchone()
            if row is None:  # released between our insert and select: treat as busy, the client retries
                raise KeyInProgress(_BUSY)
            stored_fingerprint, status, body, content_type, previous, claimed_at = row
            if stored_fingerprint != fingerprint:
                raise KeyReused("this Idempotency-Key was used for a different request")
            if status is not None:
                return StoredResponse(status, bytes(body), content_type)
            if claimed_at is not None and self._t.from_instant(claimed_at) > now - self.lease:
                raise KeyInProgress(_BUSY)
            taken = conn.execute(
                f"UPDATE {TABLE} SET holder = {p}, claimed_at = {p} WHERE scope = {p} AND key = {p} "
                f"AND status IS NULL AND COALESCE(holder, '') = {p}",
                (holder, self._t.instant(now), scope, key, previous or ""),
            ).rowcount
        if taken != 1:  # another retry took it over first
            raise KeyInProgress(_BUSY)
        return Claim(holder)

    def complete(self, scope: str, key: str, claim: Claim, response: StoredResponse) -> None:
        p = self._t.p
        with self._t.connect() as conn:
            conn.execute(
                f"UPDATE {TABLE} SET status = {p}, body = {p}, content_type = {p} "
                f"WHERE scope = {p} AND key = {p} AND holder = {p}",
                (response.status, response.body, response.content_type, scope, key, claim.holder),
            )

    def release(self, scope: str, key: str, claim: Claim) -> None:
        p = self._t.p
        with self._t.connect() as conn:
            conn.execute(
                f"DELETE FROM {TABLE} WHERE scope = {p} AND key = {p} AND holder = {p} AND status IS NULL",
                (scope, key, claim.holder),
            )
