"""The audit trail view on SQLite and PostgreSQL: rows and tracking position in one transaction.

A view made before the trail kept the directory's and the accountability record's acts (keyed by the
case log's position alone, without the ``source`` of each row) is dropped when the view is opened and
made again from the logs, never left with the rows of one log only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg.sql import SQL

from adapters.views.guard import GuardedPostgresRecorder, GuardedSQLiteRecorder
from projections.audit_trail import COLUMNS, NAME, AuditQuery, AuditTrailView
from projections.base import SOURCE

log = logging.getLogger(__name__)

TRACKING = f"{SOURCE}:{NAME}"
# Every log's tracking name ends so (Appeals:audit_trail, Directory:audit_trail, ...).
TRACKING_LIKE = f"%:{NAME}"
_ORDER = "ORDER BY recorded_at, source, position"
_REMADE = "the audit trail now keeps the directory's acts too; it is made again from the event logs"
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS audit_trail_recorded ON audit_trail (recorded_at, source, position)",
    "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor_user, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_trail_case ON audit_trail (case_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_trail_case_no ON audit_trail (case_no)",
    "CREATE INDEX IF NOT EXISTS audit_trail_record ON audit_trail (record_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_trail_occurred ON audit_trail (occurred_at)",
)


def _where(q: AuditQuery, p: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("actor_user", q.actor),
        ("type", q.type),
        ("case_id", q.case_id),
        ("case_no", q.case_no),
        ("record", q.record),
    ):
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


_ACTS = "SELECT record_id, seq, record, type, case_id, case_no FROM audit_trail WHERE record_id IN ({})"


class SQLiteAuditTrailView(GuardedSQLiteRecorder, AuditTrailView):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS audit_trail (source TEXT NOT NULL, position INTEGER NOT NULL, "
            "record TEXT NOT NULL, record_id TEXT NOT NULL, seq INTEGER, case_id TEXT, case_no TEXT, type TEXT, "
            "actor_user TEXT, actor_role TEXT, actor_unit TEXT, case_unit TEXT, subject TEXT, recorded_at TEXT, "
            "occurred_at TEXT, data TEXT, PRIMARY KEY (source, position))",
            *_INDEXES,
        ]

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA table_info(audit_trail)")
            have = {row[1] for row in c.fetchall()}
            if have and "source" not in have:
                log.warning(_REMADE)
                c.execute("DROP TABLE audit_trail")
                c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tracking'")
                if c.fetchone():
                    c.execute("DELETE FROM tracking WHERE application_name LIKE ?", (TRACKING_LIKE,))
        super().create_table()

    def apply(self, rows: list[tuple], tracking) -> None:
        values = [tuple(_sqlite_value(v) for v in r) for r in rows]
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO audit_trail ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", values
            )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def source_position(self, source: str) -> int:
        return self.max_tracking_id(f"{source}:{NAME}") or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM audit_trail")
            c.execute("DELETE FROM tracking WHERE application_name LIKE ?", (TRACKING_LIKE,))

    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        where, params = _where(q, "?")
        params = [_sqlite_value(v) for v in params]
        with self.datastore.transaction(commit=False) as c:
            c.execute(_count(q, where), params)
            total = c.fetchone()[0]
            c.execute(
                f"SELECT {', '.join(COLUMNS)} FROM audit_trail{where} {_ORDER} LIMIT ? OFFSET ?",
                [*params, q.per_page, (q.page - 1) * q.per_page],
            )
            rows = [dict(zip(COLUMNS, r)) for r in c.fetchall()]
        return rows, total

    def acts_of(self, record_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not record_ids:
            return []
        with self.datastore.transaction(commit=False) as c:
            c.execute(_ACTS.format(", ".join("?" * len(record_ids))), [str(r) for r in record_ids])
            return [dict(zip(("record_id", "seq", "record", "type", "case_id", "case_no"), r)) for r in c.fetchall()]


class PostgresAuditTrailView(GuardedPostgresRecorder, AuditTrailView):
    overlaps_writes = True

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(statement)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for statement in (
                "CREATE TABLE IF NOT EXISTS audit_trail (source text NOT NULL, position bigint NOT NULL, "
                "record text NOT NULL, record_id uuid NOT NULL, seq integer, case_id uuid, case_no text, type text, "
                "actor_user text, actor_role text, actor_unit text, case_unit text, subject text, "
                "recorded_at timestamptz, occurred_at timestamptz, data text, PRIMARY KEY (source, position))",
                *_INDEXES,
            )
        ]

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'audit_trail'"
            )
            have = {r["column_name"] for r in c.fetchall()}
            if have and "source" not in have:
                log.warning(_REMADE)
                c.execute("DROP TABLE audit_trail")
                c.execute("SELECT to_regclass(%s) AS t", (self.tracking_table_name,))
                found = c.fetchone()
                if found and found["t"]:
                    c.execute(
                        f"DELETE FROM {self.tracking_table_name} WHERE application_name LIKE %s", (TRACKING_LIKE,)
                    )
        super().create_table()

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
        return self.max_tracking_id(TRACKING) or 0

    def source_position(self, source: str) -> int:
        return self.max_tracking_id(f"{source}:{NAME}") or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE audit_trail")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name LIKE %s", (TRACKING_LIKE,))

    def query(self, q: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        where, params = _where(q, "%s")
        with self.datastore.transaction(commit=False) as c:
            c.execute(_count(q, where).replace("count(*)", "count(*) AS n", 1), params)
            counted = c.fetchone()
            assert counted is not None  # a count gives one row
            total = counted["n"]
            c.execute(
                f"SELECT {', '.join(COLUMNS)} FROM audit_trail{where} {_ORDER} LIMIT %s OFFSET %s",
                [*params, q.per_page, (q.page - 1) * q.per_page],
            )
            rows = [dict(r) for r in c.fetchall()]
        return rows, total

    def acts_of(self, record_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not record_ids:
            return []
        with self.datastore.transaction(commit=False) as c:
            c.execute(_ACTS.format("%s").replace("IN (%s)", "= ANY(%s::uuid[])"), ([str(r) for r in record_ids],))
            return [dict(r) for r in c.fetchall()]


# The PostgreSQL column types, in ``COLUMNS`` order, for binary COPY.
_COPY_TYPES = [
    "text",
    "int8",
    "text",
    "uuid",
    "int4",
    "uuid",
    "text",
    "text",
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


def _count(q: AuditQuery, where: str) -> str:
    """The count of the rows ``where`` selects, no further than ``q.count_limit`` if it is set."""
    if q.count_limit:
        return f"SELECT count(*) FROM (SELECT 1 FROM audit_trail{where} LIMIT {int(q.count_limit)}) t"
    return f"SELECT count(*) FROM audit_trail{where}"
