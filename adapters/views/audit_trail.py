"""The audit trail view on SQLite and PostgreSQL: rows and tracking position in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.audit_trail import COLUMNS, AuditQuery, AuditTrailView


def _where(q: AuditQuery, p: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("actor_user", q.actor), ("type", q.type), ("case_id", q.case_id)):
        if value:
            clauses.append(f"{column} = {p}")
            params.append(value)
    if q.unit:
        clauses.append(f"(actor_unit = {p} OR case_unit = {p})")
        params += [q.unit, q.unit]
    if q.since:
        clauses.append(f"occurred_at >= {p}")
        params.append(q.since)
    if q.until:
        clauses.append(f"occurred_at < {p}")
        params.append(q.until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class SQLiteAuditTrailView(SQLiteTrackingRecorder, AuditTrailView):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS audit_trail (position INTEGER PRIMARY KEY, case_id TEXT NOT NULL, "
            "case_no TEXT, seq INTEGER, type TEXT, actor_user TEXT, actor_role TEXT, actor_unit TEXT, "
            "case_unit TEXT, recorded_at TEXT, occurred_at TEXT, data TEXT)",
            "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor_user, position)",
            "CREATE INDEX IF NOT EXISTS audit_trail_case ON audit_trail (case_id, seq)",
            "CREATE INDEX IF NOT EXISTS audit_trail_occurred ON audit_trail (occurred_at)",
        ]

    def apply(self, rows: list[tuple], tracking) -> None:
        values = [tuple(_sqlite_value(v) for v in r) for r in rows]
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO audit_trail ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", values
            )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id("Appeals:audit_trail") or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM audit_trail")
            c.execute("DELETE FROM tracking WHERE application_name = ?", ("Appeals:audit_trail",))

    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        where, params = _where(q, "?")
        params = [_sqlite_value(v) for v in params]
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) FROM audit_trail{where}", params)
            total = c.fetchone()[0]
            c.execute(
                f"SELECT {', '.join(COLUMNS)} FROM audit_trail{where} ORDER BY position LIMIT ? OFFSET ?",
                [*params, q.per_page, (q.page - 1) * q.per_page],
            )
            rows = [dict(zip(COLUMNS, r)) for r in c.fetchall()]
        return rows, total


class PostgresAuditTrailView(PostgresTrackingRecorder, AuditTrailView):
    overlaps_writes = True

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(statement)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for statement in (
                "CREATE TABLE IF NOT EXISTS audit_trail (position bigint PRIMARY KEY, case_id uuid NOT NULL, "
                "case_no text, seq integer, type text, actor_user text, actor_role text, actor_unit text, "
                "case_unit text, recorded_at timestamptz, occurred_at timestamptz, data text)",
                # Views made when the data was kept as jsonb: jsonb re-encodes (orders keys, drops
                # whitespace and duplicates); the trail keeps the JSON exactly as recorded.
                "DO $$ BEGIN IF (SELECT data_type FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = 'audit_trail' AND column_name = 'data') = 'jsonb' THEN "
                "ALTER TABLE audit_trail ALTER COLUMN data TYPE text; END IF; END $$",
                "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor_user, position)",
                "CREATE INDEX IF NOT EXISTS audit_trail_case ON audit_trail (case_id, seq)",
                "CREATE INDEX IF NOT EXISTS audit_trail_occurred ON audit_trail (occurred_at)",
            )
        ]

    def apply(self, rows: list[tuple], tracking) -> None:
        # Binary COPY: the driver writes each value in the server's own binary form, so neither side
        # formats or parses text (a third less CPU per row on each side than text COPY).
        with self.datastore.transaction(commit=True) as c:
            with c.copy(f"COPY audit_trail ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_COPY_TYPES)
                write = copy.write_row
                for row in rows:
                    write(row)
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id("Appeals:audit_trail") or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE audit_trail")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", ("Appeals:audit_trail",))

    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        where, params = _where(q, "%s")
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) AS n FROM audit_trail{where}", params)
            counted = c.fetchone()
            assert counted is not None  # a count gives one row
            total = counted["n"]
            c.execute(
                f"SELECT {', '.join(COLUMNS)} FROM audit_trail{where} ORDER BY position LIMIT %s OFFSET %s",
                [*params, q.per_page, (q.page - 1) * q.per_page],
            )
            rows = [dict(r) for r in c.fetchall()]
        return rows, total


# The PostgreSQL column types, in ``COLUMNS`` order, for binary COPY.
_COPY_TYPES = [
    "int8",
    "uuid",
    "text",
    "int4",
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "text",
]


def _sqlite_value(value: Any) -> Any:
    """SQLite keeps instants as UTC ISO text, which sorts as time does, and ids as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    return value
