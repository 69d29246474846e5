"""The views' tracking position as the guard between writers: a batch commits only over the position it follows.

The library's single-row tracking only moves a position forward, which does
not stop two writers whose batches end at different positions: a runner that
read position 100, while another has since committed 150, would commit its
batch 100–200 over 150 and count 101–150 twice. A ``NextPosition`` names the
position its batch follows; in the batch's own transaction the tracking row
is locked (PostgreSQL: ``FOR UPDATE``; SQLite holds the file's write lock
once the batch's rows are written) and compared with it, and a view found
elsewhere refuses the whole batch with ``IntegrityError``. A view without a
row yet takes a plain ``INSERT``, so that of two first batches only one
gets in.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.base import NextPosition


def _refuse(tracking: NextPosition, found: int) -> None:
    if found != tracking.after:
        raise IntegrityError(
            f"{tracking.application_name} is at position {found}, not {tracking.after}: "
            f"another writer moved it; batch up to {tracking.notification_id} refused"
        )


class GuardedSQLiteRecorder(SQLiteTrackingRecorder):
    def _insert_tracking(self, c: Any, tracking: Tracking) -> None:
        if not isinstance(tracking, NextPosition):
            super()._insert_tracking(c, tracking)
            return
        c.execute("SELECT notification_id FROM tracking WHERE application_name = ?", (tracking.application_name,))
        row = c.fetchone()
        _refuse(tracking, row[0] if row else 0)
        if row is None:
            c.execute("INSERT INTO tracking VALUES (?, ?)", (tracking.application_name, tracking.notification_id))
        else:
            c.execute(
                "UPDATE tracking SET notification_id = ? WHERE application_name = ?",
                (tracking.notification_id, tracking.application_name),
            )


class GuardedPostgresRecorder(PostgresTrackingRecorder):
    def _insert_tracking(self, c: Any, tracking: Tracking) -> None:
        if not isinstance(tracking, NextPosition):
            super()._insert_tracking(c, tracking)
            return
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.tracking_table_name))
        c.execute(
            SQL("SELECT notification_id FROM {0} WHERE application_name = %s FOR UPDATE").format(table),
            (tracking.application_name,),
        )
        row = c.fetchone()
        _refuse(tracking, row["notification_id"] if row else 0)
        if row is None:  # a concurrent first batch: the primary key lets one in
            c.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s)").format(table),
                (tracking.application_name, tracking.notification_id),
            )
        else:
            c.execute(
                SQL("UPDATE {0} SET notification_id = %s WHERE application_name = %s").format(table),
                (tracking.notification_id, tracking.application_name),
            )
