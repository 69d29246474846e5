"""The read models' reader of the notification log gives what the library's recorder gives."""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.persistence.fast_read import notification_reader
from tests.conftest import ADMIN, PLATFORM, sh

FIELDS = ("id", "originator_id", "originator_version", "topic", "state")


def test_fast_reader_reads_the_same_notifications_as_the_library(appeals):
    """Every window of the log (after, limit, stop), read both ways, gives the same rows in the same order."""
    for n in range(4):
        case, _ = appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject=f"读 {n}",
            content="c",
            enterprise={"name": "E"},
            profile="zichuan-2020",
            occurred_at=sh("2026-09-29 09:00"),
        )
        appeals.forward(case.id, PLATFORM, unit="U1", occurred_at=sh("2026-09-29 10:00"))
        appeals.answer(case.id, ADMIN, kind="initial", content="x", occurred_at=sh("2026-09-30 10:00"))
    recorder = appeals.recorder
    read = notification_reader(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        assert read.__class__.__name__ == "_PostgresReader"  # the lean query, not the fallback
    head = recorder.max_notification_id()
    first = head - 11  # the PostgreSQL database is shared by the session: this test's twelve events
    for after in (first - 1, first, first + 5):
        for limit in (1, 5, 100):
            for stop in (None, first + 7, head):
                ours = read(after, limit, stop)
                theirs = recorder.select_notifications(start=after, limit=limit, stop=stop, inclusive_of_start=False)
                assert [tuple(getattr(n, f) for f in FIELDS) for n in ours] == [
                    tuple(getattr(n, f) for f in FIELDS) for n in theirs
                ]
                assert ours, (after, limit, stop)
    assert list(read(head, 10, None)) == []
