"""The reminders' outbox (预警) on SQLite and PostgreSQL: the watched deadlines, the notices, the position.

``notices`` holds one row per (key, channel); the key is the primary key's first half, so a notice is
added once however many processes derive it. On PostgreSQL a sender takes a row with ``FOR UPDATE
SKIP LOCKED`` and keeps it locked while it sends, so two senders never send one row at once; on SQLite
(one process) it reads the row and records the attempt afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.notices import Notice, NoticeChanges, NoticeQuery, NoticeView, Watched

TRACKING = "Appeals:notices"
# How long a mail taken by a sender on SQLite stays its own: a sender that died holding it gives it up then.
CLAIM_LEASE = timedelta(seconds=60)
WATCHED = (
    "case_id",
    "case_kind",
    "case_no",
    "subject",
    "deadline",
    "title",
    "round",
    "unit",
    "due",
    "ends_at",
    "warn_at",
)
NOTICE = (
    "key",
    "channel",
    "case_id",
    "case_kind",
    "case_no",
    "subject",
    "unit",
    "deadline",
    "title",
    "round",
    "kind",
    "due",
    "created_at",
    "recipients",
    "sent_at",
    "attempts",
    "last_error",
    "next_attempt_at",
)
_TIMES = {"due", "ends_at", "warn_at", "created_at", "sent_at", "next_attempt_at"}


def _tables(text: str, time: str, integer: str) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS notice_deadlines (case_id {text}, case_kind {text}, case_no {text}, "
        f"subject {text}, deadline {text}, title {text}, round {integer}, unit {text}, due {time}, "
        f"ends_at {time}, warn_at {time}, akey {text}, PRIMARY KEY (case_id, deadline, round))",
        "CREATE INDEX IF NOT EXISTS notice_deadlines_warn ON notice_deadlines (warn_at)",
        f"CREATE TABLE IF NOT EXISTS notices (key {text} NOT NULL, channel {text} NOT NULL, case_id {text}, "
        f"case_kind {text}, case_no {text}, subject {text}, unit {text}, deadline {text}, title {text}, "
        f"round {integer}, kind {text}, due {time}, created_at {time}, recipients {text}, sent_at {time}, "
        f"attempts {integer} NOT NULL DEFAULT 0, last_error {text}, next_attempt_at {time}, "
        "PRIMARY KEY (key, channel))",
        "CREATE INDEX IF NOT EXISTS notices_unsent ON notices (next_attempt_at) "
        "WHERE channel = 'mail' AND sent_at IS NULL",
        "CREATE INDEX IF NOT EXISTS notices_unit ON notices (unit, created_at)",
        "CREATE INDEX IF NOT EXISTS notices_case ON notices (case_id)",
    ]


def _watched_values(w: Watched) -> tuple[Any, ...]:
    return (*(getattr(w, k) for k in WATCHED), w.key)


def _notice_values(n: Notice) -> tuple[Any, ...]:
    return tuple(getattr(n, "to" if k == "recipients" else k) for k in NOTICE)


def _notice(row: dict[str, Any]) -> Notice:
    values = {("to" if k == "recipients" else k): row[k] for k in NOTICE}
    values["case_id"] = str(values["case_id"])
    return Notice(**values)


def _where(q: NoticeQuery, p: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("unit", q.unit), ("case_id", q.case_id)):
        if value:
            clauses.append(f"{column} = {p}")
            params.append(value)
    if q.since:
        clauses.append(f"created_at >= {p}")
        params.append(q.since)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class SQLiteNoticeView(SQLiteTrackingRecorder, NoticeView):
    claim_lease = CLAIM_LEASE

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """A write transaction that takes SQLite's write lock first, as ``BEGIN IMMEDIATE`` would. Two processes
        that read and then write in deferred transactions can deadlock, and SQLite then refuses one of them at
        once instead of letting it wait its turn."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("UPDATE notices SET attempts = attempts WHERE 0")
            yield c

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *_tables("TEXT", "TEXT", "INTEGER")]

    def apply(self, changes: NoticeChanges, tracking: Any) -> None:
        with self._writing() as c:
            c.executemany("DELETE FROM notice_deadlines WHERE case_id = ?", [(i,) for i in changes.cases])
            c.executemany(
                f"INSERT OR REPLACE INTO notice_deadlines ({', '.join(WATCHED)}, akey) VALUES "
                f"({', '.join('?' * (len(WATCHED) + 1))})",
                [_lite_row(_watched_values(w)) for w in changes.watched],
            )
            self._insert(c, changes.notices)
            self._insert_tracking(c, tracking)

    def _insert(self, c: Any, notices: list[Notice]) -> int:
        added = 0
        for n in notices:
            c.execute(
                f"INSERT INTO notices ({', '.join(NOTICE)}) VALUES ({', '.join('?' * len(NOTICE))}) "
                "ON CONFLICT (key, channel) DO NOTHING",
                _lite_row(_notice_values(n)),
            )
            added += max(0, c.sqlite_cursor.rowcount)
        return added

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        # The notices stay: they say what was sent, and a rebuild must not send them again.
        with self._writing() as c:
            c.execute("DELETE FROM notice_deadlines")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING,))

    def entering(self, now: datetime, limit: int = 1000) -> list[Watched]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(WATCHED)} FROM notice_deadlines w WHERE warn_at <= ? AND ends_at > ? "
                "AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.key = w.akey AND n.channel = 'workspace') "
                "ORDER BY warn_at LIMIT ?",
                (_lite(now), _lite(now), limit),
            )
            return [Watched(**_from_lite(dict(zip(WATCHED, r)))) for r in c.fetchall()]

    def add(self, notices: list[Notice]) -> int:
        with self._writing() as c:
            return self._insert(c, notices)

    @contextmanager
    def claim(self, now: datetime) -> Iterator[Any]:
        # No row locks on SQLite: a row is taken by moving its next attempt past a lease, on the
        # condition that nobody moved it first (compare and set), in a short transaction of its own.
        while True:
            with self._writing() as c:
                c.execute(
                    f"SELECT {', '.join(NOTICE)} FROM notices WHERE channel = 'mail' AND sent_at IS NULL "
                    "AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 1",
                    (_lite(now),),
                )
                row = c.fetchone()
                if row is None:
                    break
                found = _notice(_from_lite(dict(zip(NOTICE, row))))
                c.execute(
                    "UPDATE notices SET next_attempt_at = ? WHERE key = ? AND channel = ? AND next_attempt_at = ? "
                    "AND sent_at IS NULL",
                    (_lite(now + self.claim_lease), found.key, found.channel, row[NOTICE.index("next_attempt_at")]),
                )
                taken = c.sqlite_cursor.rowcount == 1
            if taken:
                yield found, self._record
                return
        yield None

    def _record(self, n: Notice) -> None:
        with self._writing() as c:
            c.execute(
                "UPDATE notices SET sent_at = ?, attempts = ?, last_error = ?, next_attempt_at = ? "
                "WHERE key = ? AND channel = ?",
                (_lite(n.sent_at), n.attempts, n.last_error, _lite(n.next_attempt_at), n.key, n.channel),
            )

    def notices(self, q: NoticeQuery) -> list[Notice]:
        where, params = _where(q, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(NOTICE)} FROM notices{where} ORDER BY created_at DESC, key, channel LIMIT ?",
                [*(_lite(v) for v in params), int(q.limit)],
            )
            return [_notice(_from_lite(dict(zip(NOTICE, r)))) for r in c.fetchall()]

    def unsent(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT count(*) FROM notices WHERE channel = 'mail' AND sent_at IS NULL")
            return int(c.fetchone()[0])


class PostgresNoticeView(PostgresTrackingRecorder, NoticeView):
    overlaps_writes = True

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [
            SQL(s)  # type: ignore[misc]  # the library's list is annotated list[Composed]; it runs any Composable
            for s in _tables("text", "timestamptz", "integer")
        ]

    def apply(self, changes: NoticeChanges, tracking: Any) -> None:
        with self.datastore.transaction(commit=True) as c:
            if changes.cases:
                c.execute("DELETE FROM notice_deadlines WHERE case_id = ANY(%s)", (changes.cases,))
            if changes.watched:
                c.executemany(
                    f"INSERT INTO notice_deadlines ({', '.join(WATCHED)}, akey) VALUES "
                    f"({', '.join(['%s'] * (len(WATCHED) + 1))})",
                    [_watched_values(w) for w in changes.watched],
                )
            self._insert(c, changes.notices)
            self._insert_tracking(c, tracking)

    def _insert(self, c: Any, notices: list[Notice]) -> int:
        added = 0
        for n in notices:
            c.execute(
                f"INSERT INTO notices ({', '.join(NOTICE)}) VALUES ({', '.join(['%s'] * len(NOTICE))}) "
                "ON CONFLICT (key, channel) DO NOTHING",
                _notice_values(n),
            )
            added += c.rowcount
        return added

    def position(self) -> int:
        return self.max_tracking_id(TRACKING) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("TRUNCATE notice_deadlines")
            c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = %s", (TRACKING,))

    def entering(self, now: datetime, limit: int = 1000) -> list[Watched]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(WATCHED)} FROM notice_deadlines w WHERE warn_at <= %s AND ends_at > %s "
                "AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.key = w.akey AND n.channel = 'workspace') "
                "ORDER BY warn_at LIMIT %s",
                (now, now, limit),
            )
            return [Watched(**dict(r)) for r in c.fetchall()]

    def add(self, notices: list[Notice]) -> int:
        with self.datastore.transaction(commit=True) as c:
            return self._insert(c, notices)

    @contextmanager
    def claim(self, now: datetime) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"SELECT {', '.join(NOTICE)} FROM notices WHERE channel = 'mail' AND sent_at IS NULL "
                "AND next_attempt_at <= %s ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                (now,),
            )
            row = c.fetchone()
            if row is None:
                yield None
                return

            def record(n: Notice) -> None:
                c.execute(
                    "UPDATE notices SET sent_at = %s, attempts = %s, last_error = %s, next_attempt_at = %s "
                    "WHERE key = %s AND channel = %s",
                    (n.sent_at, n.attempts, n.last_error, n.next_attempt_at, n.key, n.channel),
                )

            yield _notice(dict(row)), record

    def notices(self, q: NoticeQuery) -> list[Notice]:
        where, params = _where(q, "%s")
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {', '.join(NOTICE)} FROM notices{where} ORDER BY created_at DESC, key, channel LIMIT %s",
                [*params, int(q.limit)],
            )
            return [_notice(dict(r)) for r in c.fetchall()]

    def unsent(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT count(*) AS n FROM notices WHERE channel = 'mail' AND sent_at IS NULL")
            row = c.fetchone()
            return int(row["n"]) if row else 0


def _lite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _lite_row(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_lite(v) for v in values)


def _from_lite(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if key in _TIMES and value is not None:
            row[key] = datetime.fromisoformat(value)
    return row
