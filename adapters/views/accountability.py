"""The accountability trail view on SQLite and PostgreSQL: rows and tracking position in one transaction."""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.accountability.trail import AccountabilityTrailView, TrailRow

COLUMNS = ("position", "record_id", "entry", "kind", "at", "period", "data")
TRACKING = "Accountability:accountability_trail"


def _values(row: TrailRow) -> tuple:
    return (
        row.position,
        row.record_id,
        row.entry,
        row.kind,
        row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        row.period,
        row.data,
    )


class _Queries:
    p: str
    # The recorder's own, which the concrete view inherits: a SQLite or a PostgreSQL datastore, whose
    # cursors give tuples or dicts.
    datastore: Any
    if TYPE_CHECKING:

        def max_tracking_id(self, application_name: str) -> int | None: ...

    def entries(self, record_id: str, period: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM accountability_trail WHERE record_id = {self.p}"
        params: list[Any] = [record_id]
        if period:
            sql += f" AND period = {self.p}"
            params.append(period)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql + " ORDER BY position", params)
            rows = [dict(zip(COLUMNS, r)) if not isinstance(r, dict) else dict(r) for r in c.fetchall()]
        for row in rows:
            row["data"] = json.loads(row["data"])
        return rows

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0


class SQLiteAccountabilityTrailView(_Queries, SQLiteTrackingRecorder, AccountabilityTrailView):
    p = "?"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS accountability_trail (position INTEGER PRIMARY KEY, record_id TEXT, "
            "entry TEXT, kind TEXT, at TEXT, period TEXT, data TEXT)",
            "CREATE INDEX IF NOT EXISTS accountability_trail_record ON accountability_trail "
            "(record_id, period, position)",
        ]

    def apply(self, rows: list[TrailRow], tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO accountability_trail ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [_values(r) for r in rows],
            )
            self._insert_tracking(c, tracking)

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM accountability_trail")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING,))


class PostgresAccountabilityTrailView(_Queries, PostgresTrackingRecorder, AccountabilityTrailView):
    p = "%s"

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(s)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for s in (
                "CREATE TABLE IF NOT EXISTS accountability_trail (position bigint PRIMARY KEY, record_id text, "
                "entry text, kind text, at text, period text, data text)",
                "CREATE INDEX IF NOT EXISTS accountability_trail_record ON accountability_trail "
                "(record_id, period, position)",
            )
        ]

    def apply(self, rows: list[TrailRow], tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            with c.copy(f"COPY accountability_trail ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(_values(r))
            self._insert_tracking(c, tracking)

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE accountability_trail")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", (TRACKING,))
