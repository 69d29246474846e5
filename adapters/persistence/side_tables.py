"""Connections for the tables kept beside the event store: idempotency keys and the login log.

One object per process serves every such table: on PostgreSQL the process's
one shared pool (adapters.persistence.pg_pool, the same the event store uses), a
transaction per call; on SQLite one connection per thread to the database
file. Instants are ``timestamptz`` on PostgreSQL and, on
SQLite, ISO 8601 text in UTC of one fixed width, so that text order is time
order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment
from psycopg.rows import tuple_row

from adapters.persistence.database import Database


class SideTables:
    def __init__(self, database: Database) -> None:
        self.kind = database.kind
        if self.kind == "sqlite":
            self.p, self.blob, self.instant_type, self.serial = "?", "BLOB", "TEXT", "INTEGER PRIMARY KEY"
            self._path, self._local = database.env["SQLITE_DBNAME"], threading.local()
            self._factory: PostgresFactory | None = None
        else:
            self.p, self.blob, self.instant_type, self.serial = "%s", "BYTEA", "TIMESTAMPTZ", "BIGSERIAL PRIMARY KEY"
            factory = InfrastructureFactory.construct(Environment("SideTables", database.env))
            assert isinstance(factory, PostgresFactory)  # a PostgreSQL database's env names SharedPostgresFactory
            self._factory = factory

    @property
    def datastore(self):
        """The process's shared PostgreSQL datastore (None on SQLite)."""
        return self._factory.datastore if self._factory is not None else None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        """One transaction; committed on success, rolled back on error (and always, when read-only)."""
        if self._factory is not None:
            with self.datastore.get_connection() as conn, conn.transaction(force_rollback=read_only):
                yield conn.cursor(row_factory=tuple_row)
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # The event store has put the file in WAL mode already.
            conn = self._local.conn = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
        conn.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")  # a writer takes the lock before reading
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("ROLLBACK" if read_only else "COMMIT")

    def columns(self, table: str) -> set[str]:
        """The table's column names; empty when there is no such table."""
        with self.connect(read_only=True) as conn:
            if self.kind == "sqlite":
                return {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
            return {
                row[0]
                for row in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND table_schema = current_schema()",
                    (table,),
                ).fetchall()
            }

    def instant(self, moment: datetime) -> Any:
        if self.kind == "sqlite":
            return moment.astimezone(UTC).isoformat(timespec="microseconds")
        return moment

    def from_instant(self, value: Any) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    def close(self) -> None:
        if self._factory is not None:
            self._factory.close()
