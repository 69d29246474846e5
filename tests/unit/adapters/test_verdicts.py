"""One verdict, one place: "overdue" and "met late" are decided by ``domain.deadlines.clocks.ended_by``, and the
views' SQL (``adapters.views.verdicts``) answers as that function does, for every end and moment, on the text
timestamps of SQLite as on PostgreSQL's (``tests/integration`` run the views on both)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.views.cases import _lite
from adapters.views.verdicts import ended_by as ended_by_sql
from adapters.views.verdicts import not_ended_by, unmet_at
from domain.deadlines.clocks import ended_by, is_overdue

START = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


def lite(at: datetime | None) -> str | None:
    """As the SQLite views store an instant."""
    return _lite(at)


def sql(expression: str, **params):
    with sqlite3.connect(":memory:") as conn:
        return conn.execute(f"SELECT CASE WHEN {expression} THEN 1 ELSE 0 END", params).fetchone()[0] == 1


@given(ends=st.none() | moments, at=moments)
def test_the_views_ended_by_answers_as_the_domain_does(ends, at):
    assert sql(ended_by_sql(":ends", ":at"), ends=lite(ends), at=lite(at)) is ended_by(ends, at)
    assert sql(not_ended_by(":ends", ":at"), ends=lite(ends), at=lite(at)) is (not ended_by(ends, at))


@given(ends=st.none() | moments, now=moments, stopped=st.none() | moments, paused=st.booleans())
def test_overdue_is_ended_by_the_stop_or_now_and_never_while_paused(ends, now, stopped, paused):
    assert is_overdue(ends, now, stopped, paused) is (not paused and ended_by(ends, stopped or now))


@given(started=moments, ends=st.none() | moments, met=st.none() | moments, cancelled=st.none() | moments, at=moments)
def test_the_ledgers_unmet_at_a_periods_end_is_overdue_then(started, ends, met, cancelled, at):
    """A deadline counted overdue at the end of a period: started before it, ended by it, and neither met nor
    stopped before it (what ``is_overdue`` says at that moment, of the deadline as it then stood)."""
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE case_deadlines (started_at TEXT, ends_at TEXT, met_at TEXT, cancelled_at TEXT)")
        conn.execute(
            "INSERT INTO case_deadlines VALUES (?, ?, ?, ?)", (lite(started), lite(ends), lite(met), lite(cancelled))
        )
        found = (
            conn.execute("SELECT count(*) FROM case_deadlines WHERE " + unmet_at(":at"), {"at": lite(at)}).fetchone()[0]
            == 1
        )
    stopped_then = min((t for t in (met, cancelled) if t is not None and t < at), default=None)
    expected = started < at and stopped_then is None and is_overdue(ends, at)
    assert found is expected
