"""The case list view (cases, their units, their deadlines) on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from adapters.views.guard import GuardedPostgresRecorder, GuardedSQLiteRecorder
from adapters.views.verdicts import ended_by, not_ended_by
from domain.appeals.repeats import Candidate, grams_of
from domain.status import DONE_STATUSES
from domain.time_source import utc_now
from projections.cases.case_list import CaseListQuery, CaseListView, CaseRows
from projections.reports.recurring import ReceivedAppeal

# 并单 and suggested repeats, known only from the events: (column, SQLite type, PostgreSQL type).
_MERGE_COLUMNS = (
    ("credit_code", "TEXT", "text"),
    ("merged_into", "TEXT", "text"),
    ("merged_at", "TEXT", "timestamptz"),
    ("repeats", "INTEGER NOT NULL DEFAULT 0", "integer"),
    ("subject_grams", "TEXT", "text"),
)
# 联合办理 (004 item 六), known only from the events: (column, SQLite type, PostgreSQL type, its COPY type).
_JOINT_COLUMNS = (
    ("joint", "INTEGER NOT NULL DEFAULT 0", "boolean NOT NULL DEFAULT false", "bool"),
    ("joint_units", "TEXT", "text", "text"),
    ("joint_marked_at", "TEXT", "timestamptz", "timestamptz"),
    ("joint_meetings", "TEXT", "text", "text"),
    ("joint_settled_at", "TEXT", "timestamptz", "timestamptz"),
)
CASE_COLUMNS = (
    "id",
    "case_no",
    "status",
    "profile",
    "tier",
    "channel",
    "category",
    "unit",
    "co_units",
    "subject",
    "enterprise_name",
    "escalation_level",
    "returned_count",
    "satisfaction",
    "solved",
    "next_deadline",
    "next_due",
    "next_ends_at",
    "provisional",
    "received_at",
    "updated_at",
    "closed_at",
    "version",
    "search",
    "kind",
    *(column for column, _, _ in _MERGE_COLUMNS),
    *(column for column, *_ in _JOINT_COLUMNS),
)
DEADLINE_COLUMNS = (
    "case_id",
    "name",
    "round",
    "unit",
    "started_at",
    "ends_at",
    "due",
    "met_at",
    "cancelled_at",
    "provisional",
    "started_by",
    "met_seq",
    "missed_seq",
    "kind",
)
ORDER = {
    "due": "next_ends_at ASC NULLS LAST, case_no",
    "-due": "next_ends_at DESC NULLS LAST, case_no",
    "received": "received_at ASC, case_no",
    "-received": "received_at DESC, case_no",
    "updated": "updated_at ASC, case_no",
    "-updated": "updated_at DESC, case_no",
}
TRACKING = "Appeals:case_list"
# Every list is of one kind (appeals, or approvals): each index the lists are read by is partial, one per
# kind, so that a case row is in as many indexes as before approvals existed, and a list of one kind reads
# an index of that kind alone. (The planner uses a partial index only for a query naming the kind as a
# literal: ``_filters`` does.) The appeals-only indexes they replace are dropped.
KINDS = ("appeal", "approval")
_KIND_INDEXES = (
    "DROP INDEX IF EXISTS cases_due",
    "DROP INDEX IF EXISTS cases_received",
    "DROP INDEX IF EXISTS cases_status",
    *(
        statement
        for kind in KINDS
        for statement in (
            f"CREATE INDEX IF NOT EXISTS cases_{kind}_due ON cases (next_ends_at, case_no) WHERE kind = '{kind}'",
            f"CREATE INDEX IF NOT EXISTS cases_{kind}_received ON cases (received_at) WHERE kind = '{kind}'",
            f"CREATE INDEX IF NOT EXISTS cases_{kind}_status ON cases (status, next_ends_at) WHERE kind = '{kind}'",
        )
    ),
    # The workspace's inbox of every kind, for those who see every case (the platform, the window).
    "CREATE INDEX IF NOT EXISTS cases_any_due ON cases (next_ends_at, case_no)",
    # 联合办理: the bulletin reads the cases marked before a period's end (null for every other case).
    "CREATE INDEX IF NOT EXISTS cases_joint_marked ON cases (joint_marked_at)",
)
log = logging.getLogger(__name__)


# A unit's inbox reads the unit's own next deadline from its row of case_units (``deadlines_of``).
_NEXT = ("next_deadline", "next_due", "next_ends_at", "provisional")
UNIT_COLUMNS = ("case_id", "unit", "lead", *_NEXT)


def _filters(q: CaseListQuery, p: str, now: Any) -> tuple[str, list[Any]]:
    if q.kind is not None and q.kind not in KINDS:
        raise ValueError(f"no case kind {q.kind!r}")
    # A literal, for the partial indexes; no kind: a unit's inbox of every kind (read by the unit index).
    clauses, params = [f"c.kind = '{q.kind}'"] if q.kind else [], []
    for unit in (q.unit, q.viewer_unit):
        if unit and unit != q.deadlines_of:  # the unit's own rows are joined: no need to ask again
            clauses.append(f"EXISTS (SELECT 1 FROM case_units u WHERE u.case_id = c.id AND u.unit = {p})")
            params.append(unit)
    if q.status:
        clauses.append(f"c.status = {p}")
        params.append(q.status)
    if q.open_only:
        clauses.append(f"c.status NOT IN ({', '.join(repr(s) for s in DONE_STATUSES)})")  # literals, from the domain
    if q.overdue is not None:
        # The next open deadline is the earliest; the case is overdue when it has ended.
        ends = "o.next_ends_at" if q.deadlines_of else "c.next_ends_at"
        clauses.append(ended_by(ends, p) if q.overdue else not_ended_by(ends, p))
        params.append(now)
    if q.joint is not None:
        clauses.append("c.joint" if q.joint else "NOT c.joint")  # 0/1 on SQLite, a boolean on PostgreSQL
    if q.q:
        escaped = q.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(f"c.search LIKE {p} ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _select(q: CaseListQuery, p: str, now: Any) -> tuple[str, list[Any], str, list[Any]]:
    """The count and the page of rows, each with its parameters (the rows' select list has its own
    for a unit's own deadlines, ``deadlines_of``)."""
    where, params = _filters(q, p, now)
    own = bool(q.deadlines_of)
    columns = ", ".join(f"o.{col}" if own and col in _NEXT else f"c.{col}" for col in CASE_COLUMNS if col != "search")
    source = f"cases c JOIN case_units o ON o.case_id = c.id AND o.unit = {p}" if own else "cases c"
    params = [q.deadlines_of, *params] if own else params
    order = ORDER[q.sort].replace("next_ends_at", "o.next_ends_at" if own else "c.next_ends_at")
    count = (
        f"SELECT count(*) FROM (SELECT 1 FROM {source}{where} LIMIT {int(q.count_limit)}) t"
        if q.count_limit
        else f"SELECT count(*) FROM {source}{where}"
    )
    rows = (
        f"SELECT {columns} FROM {source}{where} ORDER BY {order} "
        f"LIMIT {int(q.per_page)} OFFSET {int((q.page - 1) * q.per_page)}"
    )
    return count, params, rows, params


class SQLiteCaseListView(GuardedSQLiteRecorder, CaseListView):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS cases (id TEXT PRIMARY KEY, case_no TEXT, status TEXT, profile TEXT, "
            "tier TEXT, channel TEXT, category TEXT, unit TEXT, co_units TEXT, subject TEXT, "
            "enterprise_name TEXT, escalation_level INTEGER, returned_count INTEGER, satisfaction TEXT, "
            "solved INTEGER, next_deadline TEXT, next_due TEXT, next_ends_at TEXT, provisional INTEGER, "
            "received_at TEXT, updated_at TEXT, closed_at TEXT, version INTEGER, search TEXT, "
            "kind TEXT NOT NULL DEFAULT 'appeal', "
            + ", ".join(f"{column} {kind}" for column, kind, _ in _MERGE_COLUMNS)
            + "".join(f", {column} {kind}" for column, kind, *_ in _JOINT_COLUMNS)
            + ")",
            "CREATE TABLE IF NOT EXISTS case_units (case_id TEXT, unit TEXT, lead INTEGER, next_deadline TEXT, "
            "next_due TEXT, next_ends_at TEXT, provisional INTEGER, PRIMARY KEY (unit, case_id)) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS case_units_case ON case_units (case_id)",
            "CREATE TABLE IF NOT EXISTS case_deadlines (case_id TEXT, name TEXT, round INTEGER, unit TEXT, "
            "started_at TEXT, ends_at TEXT, due TEXT, met_at TEXT, cancelled_at TEXT, provisional INTEGER, "
            "started_by INTEGER, met_seq INTEGER, missed_seq INTEGER, kind TEXT NOT NULL DEFAULT 'appeal', "
            "PRIMARY KEY (case_id, name, round))",
            *self._added_columns(),
            *_KIND_INDEXES,
            "DROP INDEX IF EXISTS case_deadlines_open",
            "CREATE INDEX IF NOT EXISTS case_deadlines_unmet ON case_deadlines (ends_at) "
            "WHERE met_at IS NULL AND cancelled_at IS NULL AND missed_seq IS NULL",
            "CREATE INDEX IF NOT EXISTS case_deadlines_unit ON case_deadlines (unit, ends_at)",
            "CREATE INDEX IF NOT EXISTS case_units_due ON case_units (unit, next_ends_at)",
        ]

    def _added_columns(self) -> list[str]:
        """Columns added since the first release, for views made before them (SQLite has no IF NOT EXISTS).
        Rows made before approvals existed are all appeals: the default says so."""
        added = []
        for table, column, kind in (
            ("case_deadlines", "missed_seq", "INTEGER"),
            ("cases", "kind", "TEXT NOT NULL DEFAULT 'appeal'"),
            ("case_deadlines", "kind", "TEXT NOT NULL DEFAULT 'appeal'"),
            *(
                ("case_units", column, kind)
                for column, kind in (
                    ("next_deadline", "TEXT"),
                    ("next_due", "TEXT"),
                    ("next_ends_at", "TEXT"),
                    ("provisional", "INTEGER"),
                )
            ),
            *(("cases", column, kind) for column, kind, _ in _MERGE_COLUMNS),
            *(("cases", column, kind) for column, kind, *_ in _JOINT_COLUMNS),
        ):
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"PRAGMA table_info({table})")
                have = {row[1] for row in c.fetchall()}
            if have and column not in have:
                added.append(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                # The units' own deadlines can only come from the events: the view is made again.
                self.rebuild_after_create = self.rebuild_after_create or table == "case_units" or column in _MERGED
        return added

    rebuild_after_create = False

    def create_table(self) -> None:
        super().create_table()
        if self.rebuild_after_create:
            log.warning("the case list gained columns known only from the events; it is rebuilt from the event log")
            self.reset()
            self.rebuild_after_create = False

    def apply(self, cases: list[CaseRows], tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            ids = [(str(r.case["id"]),) for r in cases if not r.new]
            c.executemany("DELETE FROM case_units WHERE case_id = ?", ids)
            c.executemany("DELETE FROM case_deadlines WHERE case_id = ?", ids)
            c.executemany(
                f"INSERT OR REPLACE INTO cases ({', '.join(CASE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(CASE_COLUMNS))})",
                [tuple(_lite(r.case[k]) for k in CASE_COLUMNS) for r in cases],
            )
            c.executemany(
                f"INSERT INTO case_units ({', '.join(UNIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(str(r.case["id"]), unit, lead, *_lite_own(own)) for r in cases for unit, lead, own in r.units],
            )
            c.executemany(
                f"INSERT INTO case_deadlines ({', '.join(DEADLINE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(DEADLINE_COLUMNS))})",
                [tuple(_lite(d[k]) for k in DEADLINE_COLUMNS) for r in cases for d in r.deadlines],
            )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in ("cases", "case_units", "case_deadlines"):
                c.execute(f"DELETE FROM {table}")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING,))

    def query(self, q: CaseListQuery) -> tuple[list[dict[str, Any]], int]:
        count, count_params, select, params = _select(q, "?", _lite(q.now or utc_now()))
        with self.datastore.transaction(commit=False) as c:
            c.execute(count, [_lite(v) for v in count_params])
            total = c.fetchone()[0]
            c.execute(select, [_lite(v) for v in params])
            names = [col for col in CASE_COLUMNS if col != "search"]
            rows = [_from_lite(dict(zip(names, r))) for r in c.fetchall()]
        return rows, total

    def repeat_candidates(self, start: datetime, end: datetime, viewer_unit: str | None = None) -> list[Candidate]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                _candidates("?", viewer_unit), [_lite(start), _lite(end), *([viewer_unit] if viewer_unit else [])]
            )
            return [_candidate(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), *r[5:]) for r in c.fetchall()]

    def joint_cases(self, before: datetime) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_JOINT_SQL.format(p="?"), (_lite(before),))
            return [_from_lite(dict(zip(_JOINT, r))) for r in c.fetchall()]

    def kinds(self, case_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = sorted(set(case_ids))
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), 500):  # SQLite's limit on parameters
                chunk = ids[start : start + 500]
                c.execute(f"SELECT id, kind FROM cases WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
                found.update((str(r[0]), r[1]) for r in c.fetchall())
        return found

    def open_deadlines_due(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(DEADLINE_COLUMNS)} FROM case_deadlines WHERE met_at IS NULL "
                "AND cancelled_at IS NULL AND missed_seq IS NULL AND ends_at <= ? ORDER BY ends_at LIMIT ?",
                (_lite(now), limit),
            )
            return [_from_lite(dict(zip(DEADLINE_COLUMNS, r))) for r in c.fetchall()]

    def appeals_received(self, start: datetime, end: datetime) -> list[ReceivedAppeal]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_RECEIVED_SQL.format(p="?"), (_lite(start), _lite(end)))
            return [_received(_from_lite(dict(zip(_RECEIVED, r)))) for r in c.fetchall()]


class PostgresCaseListView(GuardedPostgresRecorder, CaseListView):
    overlaps_writes = True

    def __init__(self, datastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(s)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable, SQL too
            for s in (
                "CREATE TABLE IF NOT EXISTS cases (id uuid PRIMARY KEY, case_no text, status text, profile text, "
                "tier text, channel text, category text, unit text, co_units text, subject text, "
                "enterprise_name text, escalation_level integer, returned_count integer, satisfaction text, "
                "solved boolean, next_deadline text, next_due timestamptz, next_ends_at timestamptz, "
                "provisional boolean, received_at timestamptz, updated_at timestamptz, closed_at timestamptz, "
                "version integer, search text, kind text NOT NULL DEFAULT 'appeal')",
                # Views made before approvals existed hold appeals only.
                "ALTER TABLE cases ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'appeal'",
                *(f"ALTER TABLE cases ADD COLUMN IF NOT EXISTS {column} {kind}" for column, _, kind in _MERGE_COLUMNS),
                *(
                    f"ALTER TABLE cases ADD COLUMN IF NOT EXISTS {column} {kind}"
                    for column, _, kind, _ in _JOINT_COLUMNS
                ),
                *_KIND_INDEXES,
                "CREATE TABLE IF NOT EXISTS case_units (case_id uuid, unit text, lead boolean, next_deadline text, "
                "next_due timestamptz, next_ends_at timestamptz, provisional boolean, PRIMARY KEY (unit, case_id))",
                *(
                    f"ALTER TABLE case_units ADD COLUMN IF NOT EXISTS {column} {kind}"
                    for column, kind in (
                        ("next_deadline", "text"),
                        ("next_due", "timestamptz"),
                        ("next_ends_at", "timestamptz"),
                        ("provisional", "boolean"),
                    )
                ),
                "CREATE INDEX IF NOT EXISTS case_units_due ON case_units (unit, next_ends_at)",
                "CREATE INDEX IF NOT EXISTS case_units_case ON case_units (case_id)",
                "CREATE TABLE IF NOT EXISTS case_deadlines (case_id uuid, name text, round integer, unit text, "
                "started_at timestamptz, ends_at timestamptz, due timestamptz, met_at timestamptz, "
                "cancelled_at timestamptz, provisional boolean, started_by integer, met_seq integer, "
                "missed_seq integer, kind text NOT NULL DEFAULT 'appeal', PRIMARY KEY (case_id, name, round))",
                "ALTER TABLE case_deadlines ADD COLUMN IF NOT EXISTS missed_seq integer",  # views made before the sweep
                "ALTER TABLE case_deadlines ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'appeal'",
                "DROP INDEX IF EXISTS case_deadlines_open",
                "CREATE INDEX IF NOT EXISTS case_deadlines_unmet ON case_deadlines (ends_at) "
                "WHERE met_at IS NULL AND cancelled_at IS NULL AND missed_seq IS NULL",
                "CREATE INDEX IF NOT EXISTS case_deadlines_unit ON case_deadlines (unit, ends_at)",
            )
        ]

    def create_table(self) -> None:
        # A view made before the units' own deadlines were kept lacks them; they come only from the
        # events, so it is made again.
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'case_units'"
            )
            exists = _count(c) > 0
            c.execute(
                "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'case_units' AND column_name = 'next_ends_at'"
            )
            rebuild = exists and _count(c) == 0
            c.execute(
                "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'cases' AND column_name = 'credit_code'"
            )
            cases_made = exists and _count(c) == 0
            c.execute(
                "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'cases' AND column_name = 'joint'"
            )
            joint_made = exists and _count(c) == 0
        super().create_table()
        if joint_made and not (rebuild or cases_made):
            log.warning(_JOINT_REBUILD)
            self.reset()
        if rebuild:
            log.warning("the case list gained the units' own deadlines; it is rebuilt from the event log")
            self.reset()
        elif cases_made:
            log.warning(_MERGE_REBUILD)
            self.reset()
        # Trigram index for the text search (it splits Chinese text into trigrams too). The
        # extension needs a privileged role; without it search still works, by scanning.
        try:
            with self.datastore.transaction(commit=True) as c:
                c.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                c.execute("CREATE INDEX IF NOT EXISTS cases_search ON cases USING gin (search gin_trgm_ops)")
        except Exception as exc:  # noqa: BLE001 - optional speed-up; the reason is logged
            log.warning("no trigram index for case search (%s); searches will scan", exc)

    def apply(self, cases: list[CaseRows], tracking) -> None:
        ids = [r.case["id"] for r in cases if not r.new]  # a new case has no rows to replace
        with self.datastore.transaction(commit=True) as c:
            if ids:
                c.execute("DELETE FROM case_units WHERE case_id = ANY(%s::uuid[])", (ids,))
                c.execute("DELETE FROM case_deadlines WHERE case_id = ANY(%s::uuid[])", (ids,))
                c.execute("DELETE FROM cases WHERE id = ANY(%s::uuid[])", (ids,))
            # Binary COPY: each value goes in the server's own form, nothing formatted or parsed as text.
            with c.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_CASE_TYPES)
                for r in cases:
                    copy.write_row(_case_values(r.case))
            with c.copy(f"COPY case_units ({', '.join(UNIT_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["uuid", "text", "bool", "text", "timestamptz", "timestamptz", "bool"])
                for r in cases:
                    for unit, lead, own in r.units:
                        copy.write_row((r.case["id"], unit, lead, *(own or (None, None, None, None))))
            with c.copy(f"COPY case_deadlines ({', '.join(DEADLINE_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_DEADLINE_TYPES)
                for r in cases:
                    for d in r.deadlines:
                        copy.write_row(_deadline_values(d))
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE cases, case_units, case_deadlines")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", (TRACKING,))

    def query(self, q: CaseListQuery) -> tuple[list[dict[str, Any]], int]:
        count, count_params, select, params = _select(q, "%s", q.now or utc_now())
        with self.datastore.transaction(commit=False) as c:
            c.execute(count.replace("count(*)", "count(*) AS n"), count_params)
            total = _count(c)
            c.execute(select, params)
            rows = [dict(r) for r in c.fetchall()]
        for row in rows:
            row["id"] = str(row["id"])
        return rows, total

    def repeat_candidates(self, start: datetime, end: datetime, viewer_unit: str | None = None) -> list[Candidate]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_candidates("%s", viewer_unit), [start, end, *([viewer_unit] if viewer_unit else [])])
            return [_candidate(*r.values()) for r in c.fetchall()]

    def appeals_received(self, start: datetime, end: datetime) -> list[ReceivedAppeal]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_RECEIVED_SQL.format(p="%s"), (start, end))
            return [_received(r) for r in c.fetchall()]

    def joint_cases(self, before: datetime) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_JOINT_SQL.format(p="%s"), (before,))
            return [dict(r) | {"id": str(r["id"])} for r in c.fetchall()]

    def kinds(self, case_ids: list[str]) -> dict[str, str]:
        ids = []
        for case_id in set(case_ids):
            try:
                ids.append(UUID(case_id))
            except ValueError:
                continue  # not an id: no case of the list
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT id, kind FROM cases WHERE id = ANY(%s)", (ids,))
            return {str(r["id"]): r["kind"] for r in c.fetchall()}

    def open_deadlines_due(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(DEADLINE_COLUMNS)} FROM case_deadlines WHERE met_at IS NULL "
                "AND cancelled_at IS NULL AND missed_seq IS NULL AND ends_at <= %s ORDER BY ends_at LIMIT %s",
                (now, limit),
            )
            return [dict(r) | {"case_id": str(r["case_id"])} for r in c.fetchall()]


# What the recurring-problems report reads of each appeal received in its months (the received index).
_RECEIVED = (
    "id",
    "case_no",
    "received_at",
    "category",
    "unit",
    "enterprise_name",
    "credit_code",
    "subject",
    "status",
    "merged_into",
)
_RECEIVED_SQL = (
    f"SELECT {', '.join(_RECEIVED)} FROM cases WHERE kind = 'appeal' AND received_at >= {{p}} "
    "AND received_at < {p} ORDER BY received_at, case_no"
)


# What the bulletin's joint-handling section (联合办理) reads of each case marked before a period's end.
_JOINT = ("id", "case_no", "status", "joint_marked_at", "joint_meetings", "joint_settled_at", "closed_at", "merged_at")
_JOINT_SQL = (
    f"SELECT {', '.join(_JOINT)} FROM cases WHERE kind = 'appeal' AND joint_marked_at < {{p}} "
    "ORDER BY joint_marked_at, case_no"
)


def _received(row: dict[str, Any]) -> ReceivedAppeal:
    return ReceivedAppeal(
        str(row["id"]),
        row["case_no"],
        row["received_at"],
        row["category"],
        row["unit"],
        row["enterprise_name"] or "",
        row["credit_code"],
        row["subject"] or "",
        row["status"],
        row["merged_into"],
    )


_TIME_COLUMNS = {
    "next_due",
    "next_ends_at",
    "received_at",
    "updated_at",
    "closed_at",
    "started_at",
    "ends_at",
    "due",
    "met_at",
    "cancelled_at",
    "merged_at",
    "joint_marked_at",
    "joint_settled_at",
}
_BOOL_COLUMNS = {"solved", "provisional", "joint"}


# Column types on PostgreSQL, in column order, for binary COPY.
_CASE_TYPES = [
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "int4",
    "int4",
    "text",
    "bool",
    "text",
    "timestamptz",
    "timestamptz",
    "bool",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "int4",
    "text",
    "text",
    *(kind for _, _, kind in _MERGE_COLUMNS),
    *(copy_type for *_, copy_type in _JOINT_COLUMNS),
]
_DEADLINE_TYPES = [
    "uuid",
    "text",
    "int4",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "bool",
    "int4",
    "int4",
    "int4",
    "text",
]
_case_values = itemgetter(*CASE_COLUMNS)
_MERGED = {column for column, _, _ in _MERGE_COLUMNS} | {column for column, *_ in _JOINT_COLUMNS}
_JOINT_REBUILD = "the case list gained joint handling (联合办理); it is rebuilt from the event log"
_MERGE_REBUILD = "the case list gained the cases' credit codes and merges (并单); it is rebuilt from the event log"


def _count(c: Cursor[DictRow]) -> int:
    """What the ``SELECT count(*) AS n`` just run gave (a count gives one row)."""
    row = c.fetchone()
    assert row is not None
    return row["n"]


def _candidates(p: str, viewer_unit: str | None) -> str:
    """Open appeals received in a window, by the receipt index (``kind`` a literal, for the partial index)."""
    mine = f" AND EXISTS (SELECT 1 FROM case_units u WHERE u.case_id = c.id AND u.unit = {p})" if viewer_unit else ""
    return (
        "SELECT c.id, c.case_no, c.subject, c.credit_code, c.received_at, c.status, c.unit, c.enterprise_name, "
        "c.subject_grams "
        f"FROM cases c WHERE c.kind = 'appeal' AND c.received_at >= {p} AND c.received_at < {p} "
        f"AND c.status NOT IN ('closed', 'merged'){mine} ORDER BY c.received_at"
    )


def _candidate(
    case_id: Any,
    case_no: str,
    subject: str,
    credit_code: str | None,
    received_at: datetime,
    status: str,
    unit: str | None,
    enterprise: str,
    grams: str | None,
) -> Candidate:
    return Candidate(
        str(case_id), case_no, subject or "", credit_code, received_at, status, unit, enterprise or "", grams_of(grams)
    )


_deadline_values = itemgetter(*DEADLINE_COLUMNS)


def _lite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    return value


def _lite_own(own: tuple[str, Any, Any, bool] | None) -> tuple[Any, ...]:
    if own is None:
        return (None, None, None, None)
    name, due, ends_at, provisional = own
    return (name, _lite(due), _lite(ends_at), int(bool(provisional)))


def _from_lite(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if key in _TIME_COLUMNS and value is not None:
            row[key] = datetime.fromisoformat(value)
        elif key in _BOOL_COLUMNS and value is not None:
            row[key] = bool(value)
    return row
