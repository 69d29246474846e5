"""The unit ledger view on SQLite and PostgreSQL: per-unit, per-day counters, and per-day approval figures.

``ledger_days`` holds each unit's counters per day: its appeals' and, in
columns of their own (``approvals_<counter>``), its approvals' as a reviewing
department; ``approval_days`` the approvals as a whole, per day. Both are
written with the tracking position in one transaction. "Open" and "overdue
at the period's end" are read from the case list's tables in the same
database, as they stood at that instant, each kind apart (``kind``).
``bad_ratings`` holds the list of 差评, one row per bad rating
(``projections.ledger.ratings``); a view made before it existed is made
again from the events, which alone hold the ratings already given.
``hotline_days`` holds the platform's 即时办结 and 回头看 per day
(``projections.ledger.hotline``), no unit's.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from psycopg.sql import SQL

from adapters.views.guard import GuardedPostgresRecorder, GuardedSQLiteRecorder
from adapters.views.verdicts import unmet_at
from projections.ledger.appeals import (
    APPROVAL_COLUMNS,
    APPROVAL_COUNTERS,
    COUNTERS,
    DAY_COUNTERS,
    UNIT_COLUMNS,
    ApprovalFigures,
    DepartmentFigures,
    LedgerChanges,
    LedgerFigures,
    LedgerView,
    ReportingPeriod,
)
from projections.ledger.hotline import HOTLINE_COUNTERS, HotlineFigures
from projections.ledger.ratings import BAD_RATING_COLUMNS, BadRating

log = logging.getLogger(__name__)

TRACKING = "Appeals:ledger"
_SUMS = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in UNIT_COLUMNS)
_DAY_SUMS = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in DAY_COUNTERS)


def _upsert(table: str, keys: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """Adds a row's counters to the stored ones (SQLite placeholders as ``{p}``)."""
    return (
        f"INSERT INTO {table} ({', '.join((*keys, *columns))}) VALUES ("
        + ", ".join("{p}" for _ in (*keys, *columns))
        + f") ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    )


def _pg_upsert(table: str, keys: tuple[tuple[str, str], ...], columns: tuple[str, ...]) -> str:
    """The same for a whole batch in one statement: a column of values per key and counter, unnested into
    rows (the keys of one batch are distinct, as ON CONFLICT DO UPDATE requires)."""
    names = (*(k for k, _ in keys), *columns)
    arrays = (*(f"%s::{kind}[]" for _, kind in keys), *("%s::integer[]" for _ in columns))
    return (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({', '.join(arrays)}) "
        f"ON CONFLICT ({', '.join(k for k, _ in keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    )


_UPSERT = _upsert("ledger_days", ("unit", "day"), UNIT_COLUMNS)
_DAY_UPSERT = _upsert("approval_days", ("day",), DAY_COUNTERS)
# The platform's 即时办结 and 回头看 per day (projections.ledger.hotline): no unit's figures.
_HOTLINE_UPSERT = _upsert("hotline_days", ("day",), HOTLINE_COUNTERS)
_HOTLINE_SUMS = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in HOTLINE_COUNTERS)
_PG_UPSERT = _pg_upsert("ledger_days", (("unit", "text"), ("day", "date")), UNIT_COLUMNS)
_PG_DAY_UPSERT = _pg_upsert("approval_days", (("day", "date"),), DAY_COUNTERS)
# A merged repeat (并单) is not open: its matter is handled in the case it joined.
_OPEN = (
    "SELECT count(*) FROM cases c JOIN case_units u ON u.case_id = c.id AND u.lead "
    "WHERE u.unit = {p} AND c.kind = 'appeal' AND c.received_at < {p} AND (c.closed_at IS NULL OR c.closed_at >= {p}) "
    "AND (c.merged_at IS NULL OR c.merged_at >= {p})"
)
# Ended and unmet at the period's end (a paused deadline has no end: it is not overdue while paused).
_UNMET_AT = unmet_at("{p}")
# The unit's appeals and, apart, its approvals overdue at the end, in one query: for an approval, the deadlines
# binding a department are its own review clocks (department_review@UNIT); the window's bind no unit. A bad
# rating's rectification is a figure of its own (below), not a case the on-time rate of replies waits on.
_OVERDUE = (
    "SELECT count(DISTINCT CASE WHEN kind = 'appeal' THEN case_id END) AS appeals, "
    "count(DISTINCT CASE WHEN kind = 'approval' THEN case_id END) AS approvals "
    "FROM case_deadlines WHERE unit = {p} AND name <> 'rectification' AND " + _UNMET_AT
)
_RECTIFICATIONS_OVERDUE = (
    "SELECT count(*) FROM case_deadlines WHERE kind = 'appeal' AND name = 'rectification' "
    "AND unit = {p} AND " + _UNMET_AT
)
_BAD_RATINGS = (
    f"SELECT {', '.join(BAD_RATING_COLUMNS)} FROM bad_ratings WHERE day BETWEEN {{p}} AND {{p}} "
    "ORDER BY visited_at, case_no, rating_seq"
)
_BAD_RATING_KEYS = ("case_id", "rating_seq")
_BAD_RATING_TIMES = ("visited_at", "due", "ends_at", "rectified_at", "stopped_at", "contested_at", "decided_at")
_DECISIONS_OVERDUE = (
    "SELECT count(DISTINCT case_id) FROM case_deadlines WHERE kind = 'approval' AND name = 'decision' AND " + _UNMET_AT
)
_APPEAL_ACTIVITY = " OR ".join(f"{c} <> 0" for c in COUNTERS)
_APPROVAL_ACTIVITY = " OR ".join(f"{c} <> 0" for c in APPROVAL_COLUMNS)
_DEPARTMENTS = (
    f"SELECT DISTINCT unit FROM ledger_days WHERE day BETWEEN {{p}} AND {{p}} AND ({_APPROVAL_ACTIVITY}) "
    "UNION SELECT DISTINCT unit FROM case_deadlines WHERE kind = 'approval' AND unit IS NOT NULL AND "
    + _UNMET_AT
    + " ORDER BY 1"
)


BAD_RATINGS_TABLE = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS bad_ratings (case_id TEXT, rating_seq INTEGER, case_no TEXT, "
        "unit TEXT, level TEXT, visited_at TEXT, day TEXT, due TEXT, ends_at TEXT, provisional INTEGER, "
        "rectified_at TEXT, rectified_late INTEGER, stopped_at TEXT, contest_status TEXT, "
        "contested_at TEXT, decided_at TEXT, PRIMARY KEY (case_id, rating_seq))"
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS bad_ratings (case_id text, rating_seq integer, case_no text, "
        "unit text, level text, visited_at timestamptz, day date, due timestamptz, ends_at timestamptz, "
        "provisional boolean, rectified_at timestamptz, rectified_late boolean, stopped_at timestamptz, "
        "contest_status text, contested_at timestamptz, decided_at timestamptz, "
        "PRIMARY KEY (case_id, rating_seq))"
    ),
}
_REPLACE_BAD_RATING = (
    f"INSERT INTO bad_ratings ({', '.join(BAD_RATING_COLUMNS)}) VALUES ("
    + ", ".join("{p}" for _ in BAD_RATING_COLUMNS)
    + ") ON CONFLICT (case_id, rating_seq) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in BAD_RATING_COLUMNS if c not in _BAD_RATING_KEYS)
)


def _lite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _rows(increments: dict[tuple[str, date], dict[str, int]]) -> list[tuple]:
    return [
        (unit, day.isoformat(), *(counts.get(c, 0) for c in UNIT_COLUMNS)) for (unit, day), counts in increments.items()
    ]


def _day_rows(increments: dict[date, dict[str, int]]) -> list[tuple]:
    return [(day.isoformat(), *(counts.get(c, 0) for c in DAY_COUNTERS)) for day, counts in increments.items()]


def _hotline_rows(increments: dict[date, dict[str, int]]) -> list[tuple]:
    return [(day.isoformat(), *(counts.get(c, 0) for c in HOTLINE_COUNTERS)) for day, counts in increments.items()]


def hotline_table(integer: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS hotline_days (day {'TEXT' if integer == 'INTEGER' else 'date'} PRIMARY KEY, "
        + ", ".join(f"{c} {integer} NOT NULL DEFAULT 0" for c in HOTLINE_COUNTERS)
        + ")"
    )


def _values(row: Any) -> list[Any]:
    """A row's values, whether the driver gives tuples, sqlite3.Row or dicts."""
    return list(row.values()) if isinstance(row, dict) else list(row)


class _LedgerQueries:
    p = "?"
    # The recorder's own, which the concrete view inherits: a SQLite or a PostgreSQL datastore, whose
    # cursors give tuples or dicts.
    datastore: Any
    if TYPE_CHECKING:

        def max_tracking_id(self, application_name: str) -> int | None: ...

    def _fetch_one(self, c, sql: str, params) -> Any:
        c.execute(sql.format(p=self.p), params)
        return _values(c.fetchone())[0]

    def _t(self, moment: datetime) -> Any:
        return moment

    def figures(self, unit: str, period: ReportingPeriod) -> LedgerFigures:
        first, last = period.days
        end = self._t(period.end)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_SUMS} FROM ledger_days WHERE unit = {self.p} AND day BETWEEN {self.p} AND {self.p}",
                (unit, first.isoformat(), last.isoformat()),
            )
            sums = dict(zip(UNIT_COLUMNS, (int(v) for v in _values(c.fetchone()))))
            open_at_end = self._fetch_one(c, _OPEN, (unit, end, end, end))
            c.execute(_OVERDUE.format(p=self.p), (unit, end, end, end, end))
            overdue_at_end, approvals_overdue = _values(c.fetchone())
            rectifications_overdue = self._fetch_one(c, _RECTIFICATIONS_OVERDUE, (unit, end, end, end, end))
        approvals = DepartmentFigures({c: sums[f"approvals_{c}"] for c in APPROVAL_COUNTERS}, int(approvals_overdue))
        return LedgerFigures(
            unit,
            period,
            {c: sums[c] for c in COUNTERS},
            int(open_at_end),
            int(overdue_at_end),
            approvals,
            int(rectifications_overdue),
        )

    def bad_ratings(self, period: ReportingPeriod) -> list[BadRating]:
        first, last = period.days
        with self.datastore.transaction(commit=False) as c:
            c.execute(_BAD_RATINGS.format(p=self.p), (first.isoformat(), last.isoformat()))
            return [self._bad_rating(dict(zip(BAD_RATING_COLUMNS, _values(r)))) for r in c.fetchall()]

    def _bad_rating(self, row: dict[str, Any]) -> BadRating:
        return row

    def units_with_activity(self, period: ReportingPeriod) -> list[str]:
        first, last = period.days
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT unit FROM ledger_days WHERE day BETWEEN {self.p} AND {self.p} "
                f"AND ({_APPEAL_ACTIVITY}) ORDER BY unit",
                (first.isoformat(), last.isoformat()),
            )
            return [_values(r)[0] for r in c.fetchall()]

    def approval_figures(self, period: ReportingPeriod) -> ApprovalFigures:
        first, last = period.days
        end = self._t(period.end)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_DAY_SUMS} FROM approval_days WHERE day BETWEEN {self.p} AND {self.p}",
                (first.isoformat(), last.isoformat()),
            )
            sums = dict(zip(DAY_COUNTERS, (int(v) for v in _values(c.fetchone()))))
            overdue = self._fetch_one(c, _DECISIONS_OVERDUE, (end, end, end, end))
        return ApprovalFigures(sums, int(overdue))

    def hotline_figures(self, period: ReportingPeriod) -> HotlineFigures:
        first, last = period.days
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_HOTLINE_SUMS} FROM hotline_days WHERE day BETWEEN {self.p} AND {self.p}",
                (first.isoformat(), last.isoformat()),
            )
            return HotlineFigures(dict(zip(HOTLINE_COUNTERS, (int(v) for v in _values(c.fetchone())))))

    def departments_with_approvals(self, period: ReportingPeriod) -> list[str]:
        first, last = period.days
        end = self._t(period.end)
        with self.datastore.transaction(commit=False) as c:
            c.execute(_DEPARTMENTS.format(p=self.p), (first.isoformat(), last.isoformat(), end, end, end, end))
            return [_values(r)[0] for r in c.fetchall()]


class SQLiteLedgerView(_LedgerQueries, GuardedSQLiteRecorder, LedgerView):
    p = "?"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS ledger_days (unit TEXT, day TEXT, "
            + ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in UNIT_COLUMNS)
            + ", PRIMARY KEY (unit, day))",
            *self._added_columns(),
            "CREATE TABLE IF NOT EXISTS approval_days (day TEXT PRIMARY KEY, "
            + ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in DAY_COUNTERS)
            + ")",
            BAD_RATINGS_TABLE["sqlite"],
            "CREATE INDEX IF NOT EXISTS bad_ratings_day ON bad_ratings (day)",
            hotline_table("INTEGER"),
        ]

    def _added_columns(self) -> list[str]:
        """Columns added since the first release, for views made before them (SQLite has no IF NOT EXISTS).
        Days counted before a counter's events existed (approvals, merges, the 好差评 follow-through) hold
        none: the default says so. A view made before the 好差评 follow-through lacks the bad ratings already
        given: it is made again (``create_table``)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA table_info(ledger_days)")
            have = {row[1] for row in c.fetchall()}
            c.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'bad_ratings'")
            self.rebuild_after_create = bool(have) and not c.fetchone()[0]
        return [
            f"ALTER TABLE ledger_days ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
            for column in UNIT_COLUMNS
            if have and column not in have
        ]

    rebuild_after_create = False

    def create_table(self) -> None:
        super().create_table()
        if self.rebuild_after_create:
            log.warning("the ledger gained the list of bad ratings (差评); it is rebuilt from the event log")
            self.reset()
            self.rebuild_after_create = False

    def _bad_rating(self, row: dict[str, Any]) -> BadRating:
        for key in _BAD_RATING_TIMES:
            if row[key] is not None:
                row[key] = datetime.fromisoformat(row[key])
        row["day"] = date.fromisoformat(row["day"])
        row["provisional"], row["rectified_late"] = bool(row["provisional"]), bool(row["rectified_late"])
        return row

    def _t(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def apply(self, changes: LedgerChanges, tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(_UPSERT.format(p="?"), _rows(changes.units))
            if changes.approval_days:
                c.executemany(_DAY_UPSERT.format(p="?"), _day_rows(changes.approval_days))
            if changes.hotline_days:
                c.executemany(_HOTLINE_UPSERT.format(p="?"), _hotline_rows(changes.hotline_days))
            if changes.bad_ratings:
                c.executemany(
                    _REPLACE_BAD_RATING.format(p="?"),
                    [tuple(_lite(row[k]) for k in BAD_RATING_COLUMNS) for row in changes.bad_ratings.values()],
                )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM ledger_days")
            c.execute("DELETE FROM approval_days")
            c.execute("DELETE FROM bad_ratings")
            c.execute("DELETE FROM hotline_days")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING,))


class PostgresLedgerView(_LedgerQueries, GuardedPostgresRecorder, LedgerView):
    overlaps_writes = True
    p = "%s"

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(s)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for s in (
                "CREATE TABLE IF NOT EXISTS ledger_days (unit text, day date, "
                + ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in UNIT_COLUMNS)
                + ", PRIMARY KEY (unit, day))",
                # Views made before a counter's events existed (approvals, merges): their days hold none.
                *(
                    f"ALTER TABLE ledger_days ADD COLUMN IF NOT EXISTS {c} integer NOT NULL DEFAULT 0"
                    for c in UNIT_COLUMNS
                ),
                "CREATE TABLE IF NOT EXISTS approval_days (day date PRIMARY KEY, "
                + ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in DAY_COUNTERS)
                + ")",
                BAD_RATINGS_TABLE["postgresql"],
                "CREATE INDEX IF NOT EXISTS bad_ratings_day ON bad_ratings (day)",
                hotline_table("integer"),
            )
        ]

    def create_table(self) -> None:
        # A view made before the 好差评 follow-through lacks the bad ratings already given; they come only
        # from the events, so it is made again.
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT to_regclass('ledger_days') IS NOT NULL AS made, "
                "to_regclass('bad_ratings') IS NOT NULL AS listed"
            )
            row = c.fetchone()
            assert row is not None  # a SELECT without FROM gives one row
        super().create_table()
        if row["made"] and not row["listed"]:
            log.warning("the ledger gained the list of bad ratings (差评); it is rebuilt from the event log")
            self.reset()

    def apply(self, changes: LedgerChanges, tracking) -> None:
        # One statement per table for the whole batch: a column of values per counter, unnested into rows.
        units, days = changes.units, changes.approval_days
        columns = [[unit for unit, _ in units], [day for _, day in units]]
        columns += [[counts.get(c, 0) for counts in units.values()] for c in UNIT_COLUMNS]
        with self.datastore.transaction(commit=True) as c:
            if units:
                c.execute(_PG_UPSERT, columns)
            if days:
                c.execute(
                    _PG_DAY_UPSERT,
                    [list(days), *([counts.get(k, 0) for counts in days.values()] for k in DAY_COUNTERS)],
                )
            if changes.hotline_days:
                c.executemany(_HOTLINE_UPSERT.format(p="%s"), _hotline_rows(changes.hotline_days))
            if changes.bad_ratings:
                c.executemany(
                    _REPLACE_BAD_RATING.format(p="%s"),
                    [tuple(row[k] for k in BAD_RATING_COLUMNS) for row in changes.bad_ratings.values()],
                )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE ledger_days, approval_days, bad_ratings, hotline_days")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", (TRACKING,))
