"""Ledgers of approvals (审批), apart from appeals, on SQLite and PostgreSQL (every unit keeps ledgers of
appeals and approvals; docs/read-models.md: ledgers and the bulletin cover approvals too).

Every figure is counted by hand on the official 2026 calendar (``tests.integration.approval_cases``).
Profile liaocheng-2020-approvals (聊政字〔2020〕25号): 联合竣工验收 decision and each department's review
15 WD (002 item 10), 供水供气报装 5 WD (002 item 36); the notice period is the law's 5 WD (行政许可法
art. 32).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from adapters.persistence.database import database_from_url
from adapters.views.factory import Views
from adapters.views.ledger import BAD_RATINGS_TABLE
from projections.ledger.appeals import COUNTERS, LedgerChanges, ReportingPeriod
from projections.reports.approvals import approval_section
from tests.conftest import ADMIN_URL
from tests.integration.approval_cases import month_of_approvals
from tests.integration.views import ReadSide


def counts(figures) -> dict:
    return {k: v for k, v in figures.counts.items() if v}


def test_department_ledgers_count_approvals_apart_from_appeals(appeals, approvals, database_url, calendars):
    """A department's approvals in its ledger — forwarded, answered on time / late (its own
    review clock, domain.deadlines.clocks.met_late), returned, missed, overdue at the end — and none of it among its
    appeal counters."""
    d1, d2 = month_of_approvals(approvals)
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    read.runner().run_once()
    ledger = read.models[1].view
    october, november = ReportingPeriod.month("2026-10"), ReportingPeriod.month("2026-11")

    one = ledger.figures(d1, october)
    assert counts(one) == {} and (one.open_at_end, one.overdue_at_end) == (0, 0)  # no appeal
    assert counts(one.approvals) == {"forwarded": 2, "answered_on_time": 3, "returned": 1}
    assert one.approvals.overdue_at_end == 0 and one.approvals.rates == {"on_time": 1.0}

    two = ledger.figures(d2, october)
    assert counts(two) == {} and counts(two.approvals) == {"forwarded": 2}
    # At 10-31 24:00 neither review had ended (11-04 after the pause; 11-02): nothing overdue, no rate.
    assert two.approvals.overdue_at_end == 0 and two.approvals.rates == {"on_time": None}

    two = ledger.figures(d2, november)
    # Case 1 answered late (and so recorded missed as met late), case 3's review missed by the sweep.
    assert counts(two.approvals) == {"answered_late": 1, "missed": 2}
    # Case 3's review is still unanswered at 11-30 24:00: 0 / (0 on time + 1 late + 1 overdue).
    assert two.approvals.overdue_at_end == 1 and two.approvals.rates == {"on_time": 0.0}
    assert counts(ledger.figures(d1, november).approvals) == {}

    assert {d1, d2} <= set(ledger.departments_with_approvals(october))
    assert not {d1, d2} & set(ledger.units_with_activity(october))  # the appeals' ranking lists appeal activity
    read.close()


def test_the_approvals_of_a_month_as_a_whole(appeals, approvals, database_url, calendars):
    """The bulletin's approvals figures: a deemed acceptance after National Day (行政许可法 art. 32), a
    pause of 2 working days (art. 45), decisions on time and late against the decision clock. Compared
    as what the three approvals add (on PostgreSQL the tests share a database)."""
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    runner = read.runner()
    runner.run_once()
    ledger = read.models[1].view
    months = {m: ReportingPeriod.month(m) for m in ("2026-09", "2026-10", "2026-11")}
    before = {m: ledger.approval_figures(p) for m, p in months.items()}
    d1, d2 = month_of_approvals(approvals)
    runner.run_once()
    added = {
        m: (
            Counter(ledger.approval_figures(p).counts) - Counter(before[m].counts),
            ledger.approval_figures(p).decision_overdue_at_end - before[m].decision_overdue_at_end,
        )
        for m, p in months.items()
    }
    assert added["2026-09"] == ({"submitted": 1}, 0)
    # Case 1's decision ended 10-27 and is unmet at 10-31 24:00.
    assert added["2026-10"] == (
        {
            "submitted": 2,
            "accepted": 3,
            "deemed_accepted": 1,
            "decided": 1,
            "decided_on_time": 1,
            "delivered": 1,
            "pauses_ended": 1,
            "paused_working_days": 2,
        },
        1,
    )
    # Case 3's decision (5 WD, to 11-02) is still unmet at 11-30 24:00.
    assert added["2026-11"] == ({"decided": 1, "decided_late": 1, "delivered": 1}, 1)

    section = approval_section(ledger, months["2026-10"], {d1: "区消防救援大队"})
    mine = {r.code: r for r in section.departments if r.code in (d1, d2)}
    assert (mine[d1].name, mine[d2].name) == ("区消防救援大队", d2)
    assert counts(mine[d1]) == {"forwarded": 2, "answered_on_time": 3, "returned": 1}
    assert section.totals.code == "TOTAL" and section.totals.counts["forwarded"] >= 4
    if before["2026-10"].counts == dict.fromkeys(before["2026-10"].counts, 0):  # alone in the database
        # 1 on time / (1 + 0 late + 1 decision overdue at the end).
        assert section.rates == {"on_time": 0.5}
        assert ledger.approval_figures(months["2026-11"]).rates == {"on_time": 0.0}  # 0 / (0 + 1 + 1)
    read.close()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database_url(request, tmp_path):
    """A database of this test alone: the views are made on it as an earlier release made them."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"caseledger_old_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_ledger_view_made_before_approvals_were_counted_gets_their_columns(fresh_database_url):
    """Days counted before: their appeal counts stay, their approval counts read 0, and new days count both."""
    database = database_from_url(fresh_database_url)
    old_columns = ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in COUNTERS)
    day_type = "TEXT" if database.kind == "sqlite" else "date"
    first = Views(database)
    first.get("case_list")  # the case list's tables, which the ledger reads for "at the period's end"
    with first.get("case_list").datastore.transaction(commit=True) as c:
        c.execute(f"CREATE TABLE ledger_days (unit text, day {day_type}, {old_columns}, PRIMARY KEY (unit, day))")
        # With the list of bad ratings, whose absence would have the ledger made again from the events.
        c.execute(BAD_RATINGS_TABLE[database.kind])
        c.execute("INSERT INTO ledger_days (unit, day, forwarded) VALUES ('OLD', '2026-09-29', 1)")
    first.close()
    views = Views(database)
    try:
        ledger = views.get("ledger")
        september = ledger.figures("OLD", ReportingPeriod.month("2026-09"))
        assert september.counts["forwarded"] == 1 and dict(september.approvals.counts) == dict.fromkeys(
            september.approvals.counts, 0
        )
        ledger.apply(
            LedgerChanges(
                {("OLD", date(2026, 9, 30)): {"approvals_forwarded": 2, "forwarded": 1}},
                {date(2026, 9, 30): {"submitted": 1}},
                {},
            ),
            Tracking(application_name="Appeals:ledger", notification_id=1),
        )
        september = ledger.figures("OLD", ReportingPeriod.month("2026-09"))
        assert (september.counts["forwarded"], september.approvals.counts["forwarded"]) == (2, 2)
        assert ledger.approval_figures(ReportingPeriod.month("2026-09")).counts["submitted"] == 1
        assert ledger.position() == 1
    finally:
        views.close()
