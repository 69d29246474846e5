"""Idempotency keys in the same database as the events (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg.rows import tuple_row

from adapters.persistence import Database
from domain.idempotency import IdempotencyStore, KeyInProgress, KeyReused, StoredResponse

TABLE = "caseledger_idempotency"
_EXISTS = {"?": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
           "%s": "SELECT count(*) FROM pg_tables WHERE tablename = %s"}


class SQLIdempotencyStore(IdempotencyStore):
    """One table; the primary key (scope, key) makes the claim atomic."""

    def __init__(self, connect: Callable[[], AbstractContextManager], placeholder: str, blob: str,
                 close: Callable[[], None] = lambda: None) -> None:
        self._connect, self._p, self.close = connect, placeholder, close
        with self._connect(read_only=True) as conn:
            exists = conn.execute(_EXISTS[placeholder], (TABLE,)).fetchone()[0]
        if exists:  # no write lock needed when a process starts against an existing database
            return
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (scope TEXT NOT NULL, key TEXT NOT NULL, "
                f"fingerprint TEXT NOT NULL, status INTEGER, body {blob}, content_type TEXT, "
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


def idempotency_store(database: Database) -> SQLIdempotencyStore:
    env = database.env
    if database.kind == "sqlite":
        path = env["SQLITE_DBNAME"]
        local = threading.local()

        class _SQLite(AbstractContextManager):
            def __init__(self, read_only: bool = False) -> None:
                self.read_only = read_only

            def __enter__(self):
                conn = getattr(local, "conn", None)
                if conn is None:
                    # The event store has put the file in WAL mode already.
                    conn = local.conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                                                        check_same_thread=False)
                conn.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
                self.conn = conn
                return conn

            def __exit__(self, exc_type, *_):
                self.conn.execute("ROLLBACK" if exc_type or self.read_only else "COMMIT")

        return SQLIdempotencyStore(_SQLite, "?", "BLOB")
    # The process's shared pool (adapters.pg_pool), not one of its own: a transaction per call.
    factory = InfrastructureFactory.construct(Environment("Idempotency", env))
    datastore = factory.datastore

    @contextmanager
    def connect(read_only: bool = False):
        with datastore.get_connection() as conn, conn.transaction(force_rollback=read_only):
            yield conn.cursor(row_factory=tuple_row)

    return SQLIdempotencyStore(connect, "%s", "BYTEA", close=factory.close)
