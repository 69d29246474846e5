"""The unit ledger view on SQLite and PostgreSQL: per-unit, per-day counters.

"Open" and "overdue at the period's end" are read from the case list's
tables in the same database, as they stood at that instant.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.ledger import COUNTERS, LedgerFigures, LedgerView, Period

TRACKING = "Appeals:ledger"
_SUMS = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in COUNTERS)
_UPSERT = (f"INSERT INTO ledger_days (unit, day, {', '.join(COUNTERS)}) VALUES ({{p}}, {{p}}, "
           + ", ".join("{p}" for _ in COUNTERS) + ") ON CONFLICT (unit, day) DO UPDATE SET "
           + ", ".join(f"{c} = ledger_days.{c} + excluded.{c}" for c in COUNTERS))
# The (unit, day) keys of one batch are distinct, as ON CONFLICT DO UPDATE requires.
_PG_UPSERT = (f"INSERT INTO ledger_days (unit, day, {', '.join(COUNTERS)}) "
              f"SELECT * FROM unnest(%s::text[], %s::date[], {', '.join('%s::integer[]' for _ in COUNTERS)}) "
              "ON CONFLICT (unit, day) DO UPDATE SET "
              + ", ".join(f"{c} = ledger_days.{c} + excluded.{c}" for c in COUNTERS))
_OPEN = ("SELECT count(*) FROM cases c JOIN case_units u ON u.case_id = c.id AND u.lead "
         "WHERE u.unit = {p} AND c.kind = 'appeal' AND c.received_at < {p} AND (c.closed_at IS NULL OR c.closed_at >= {p})")
_OVERDUE = ("SELECT count(DISTINCT case_id) FROM case_deadlines WHERE unit = {p} AND kind = 'appeal' AND started_at < {p} "
            "AND ends_at <= {p} AND (met_at IS NULL OR met_at >= {p}) AND (cancelled_at IS NULL OR cancelled_at >= {p})")


def _rows(increments: dict[tuple[str, date], dict[str, int]]) -> list[tuple]:
    return [(unit, day.isoformat(), *(counts.get(c, 0) for c in COUNTERS))
            for (unit, day), counts in increments.items()]


def _values(row: Any) -> list[Any]:
    """A row's values, whether the driver gives tuples, sqlite3.Row or dicts."""
    return list(row.values()) if isinstance(row, dict) else list(row)


class _LedgerQueries:
    p = "?"

    def _fetch_one(self, c, sql: str, params) -> Any:
        c.execute(sql.format(p=self.p), params)
        return _values(c.fetchone())[0]

    def _t(self, moment: datetime) -> Any:
        return moment

    def figures(self, unit: str, period: Period) -> LedgerFigures:
        first, last = period.days
        end = self._t(period.end)
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_SUMS} FROM ledger_days WHERE unit = {self.p} AND day BETWEEN {self.p} AND {self.p}",
                      (unit, first.isoformat(), last.isoformat()))
            sums = _values(c.fetchone())
            open_at_end = self._fetch_one(c, _OPEN, (unit, end, end))
            overdue_at_end = self._fetch_one(c, _OVERDUE, (unit, end, end, end, end))
        return LedgerFigures(unit, period, dict(zip(COUNTERS, (int(v) for v in sums))), int(open_at_end),
                             int(overdue_at_end))

    def units_with_activity(self, period: Period) -> list[str]:
        first, last = period.days
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT unit FROM ledger_days WHERE day BETWEEN {self.p} AND {self.p} ORDER BY unit",
                      (first.isoformat(), last.isoformat()))
            return [_values(r)[0] for r in c.fetchall()]


class SQLiteLedgerView(_LedgerQueries, SQLiteTrackingRecorder, LedgerView):
    p = "?"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                "CREATE TABLE IF NOT EXISTS ledger_days (unit TEXT, day TEXT, "
                + ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in COUNTERS) + ", PRIMARY KEY (unit, day))"]

    def _t(self, moment: datetime) -> Any:
        return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")

    def apply(self, increments, tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(_UPSERT.format(p="?"), _rows(increments))
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM ledger_days")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING,))


class PostgresLedgerView(_LedgerQueries, PostgresTrackingRecorder, LedgerView):
    overlaps_writes = True
    p = "%s"

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS ledger_days (unit text, day date, "
            + ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in COUNTERS) + ", PRIMARY KEY (unit, day))"))

    def apply(self, increments, tracking) -> None:
        # One statement for the whole batch: a column of values per counter, unnested into rows.
        columns = [[unit for unit, _ in increments], [day for _, day in increments]]
        columns += [[counts.get(c, 0) for counts in increments.values()] for c in COUNTERS]
        with self.datastore.transaction(commit=True) as c:
            if increments:
                c.execute(_PG_UPSERT, columns)
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE ledger_days")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", (TRACKING,))
