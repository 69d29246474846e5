"""Reading the notification log for the read models, cheaply.

The library's ``select_notifications`` on PostgreSQL fetches each row as a
dict and builds a frozen ``Notification`` dataclass from it: about 2.5 µs of
the read models' budget per event, spent before any of them sees the event.
This reader runs the same query on the recorder's own connection pool and
table, and gives rows as named tuples with the attributes the mapper and the
feed read (``id``, ``originator_id``, ``originator_version``, ``topic``,
``state``). Any other recorder is read with its own ``select_notifications``.
tests/integration/test_fast_read.py compares the two on every position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import InterfaceError, OperationalError
from psycopg.rows import namedtuple_row
from psycopg.sql import SQL, Identifier

from adapters.persistence.fast_decode import fast_mapper
from projections.feed import CASE_KINDS, CaseFeed, CaseKind, library_reader

Reader = Callable[[int, int, "int | None"], Sequence[Any]]  # as projections.feed.library_reader


def notification_reader(recorder: Any) -> Reader:
    if isinstance(recorder, PostgresApplicationRecorder):
        return _PostgresReader(recorder)
    return library_reader(recorder)


class _PostgresReader:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        table = SQL("{}.{}").format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        columns = SQL("SELECT notification_id AS id, originator_id, originator_version, topic, state FROM ")
        self._to_end = columns + table + SQL(" WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
        self._to_stop = (
            columns
            + table
            + SQL(" WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s")
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's own reads
    def __call__(self, after: int, limit: int, stop: int | None) -> Sequence[Any]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=namedtuple_row) as curs:
            if stop is None:
                curs.execute(self._to_end, (after, limit), prepare=True)
            else:
                curs.execute(self._to_stop, (after, stop, limit), prepare=True)
            return curs.fetchall()


def case_feed(app: Any, cache_size: int = 20000, kinds: Sequence[CaseKind] = CASE_KINDS) -> CaseFeed:
    """The case log for the read models (every kind of case by default), read and decoded the fast
    way (same events, same cases)."""
    return CaseFeed(
        app,
        cache_size=cache_size,
        mapper=fast_mapper(app.mapper),
        reader=notification_reader(app.recorder),
        kinds=kinds,
    )
