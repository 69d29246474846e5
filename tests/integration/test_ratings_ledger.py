"""好差评 in the unit ledger and the monthly bulletin: raw and adjudicated satisfaction side by side, the
follow-through counted, and the month's list of 差评 (004 item 二; 国办发〔2019〕51号).

Dates on the official 2026 calendar: National Day 2026-10-01..07, make-up working day Sat 10-10.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest

from adapters.persistence.database import database_from_url
from domain.appeals.service import AppealService
from projections.ledger.appeals import ReportingPeriod
from projections.reports.bulletin import monthly_bulletin
from tests.conftest import ADMIN, PLATFORM, sh
from tests.e2e.server import scratch_postgres
from tests.integration.views import ReadSide


def rated(appeals, unit: str, satisfaction: str, visit: str):
    case, _ = appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="办电",
        content="接电慢",
        enterprise={"name": "淄博某某机械有限公司"},
        profile="zichuan-2020",
        occurred_at=sh("2026-09-28 09:00"),
    )
    appeals.forward(case.id, PLATFORM, unit=unit, occurred_at=sh("2026-09-28 10:00"))
    appeals.answer(case.id, ADMIN, kind="final", content="已接电。", occurred_at=sh("2026-09-28 15:00"))
    appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-09-29 09:00"))
    return appeals.visit(case.id, PLATFORM, satisfaction=satisfaction, solved=True, occurred_at=sh(visit))


def test_the_ledger_keeps_raw_and_adjudicated_satisfaction_and_the_bulletin_lists_the_months_bad_ratings(
    appeals, database_url, calendars
):
    """The metrics keep both the raw and the adjudicated figures, and the monthly bulletin lists the 差评
    (004 item 二: 按月对差评问题进行通报整改).

    September visits of one unit: satisfied, basically satisfied, and four bad ones — B rectified on
    time (due Mon 10-19), C contested and upheld, D rectified late (Tue 10-20), F (visit Wed 09-30, due
    10 WD later: 10-08, 09, Sat 10, 12 … 16, 19, Tue 10-20) contested, rejected and never rectified.
    Raw: (1 + 0.9) / 6 = 0.3167; adjudicated, C set aside: (1 + 0.9) / 5 = 0.38.
    """
    unit = f"POWER-{uuid.uuid4().hex[:6].upper()}"
    rated(appeals, unit, "satisfied", "2026-09-29 09:30")
    b = rated(appeals, unit, "unsatisfied", "2026-09-29 10:00")
    c = rated(appeals, unit, "very_unsatisfied", "2026-09-29 10:05")
    d = rated(appeals, unit, "unsatisfied", "2026-09-29 10:10")
    rated(appeals, unit, "basically_satisfied", "2026-09-30 09:00")
    f = rated(appeals, unit, "unsatisfied", "2026-09-30 10:00")
    appeals.rectify(b.id, ADMIN, content="已改进接电流程。", occurred_at=sh("2026-10-19 17:00"))
    appeals.contest_rating(c.id, ADMIN, reason="恶意差评。", occurred_at=sh("2026-10-09 10:00"))
    appeals.adjudicate_rating(c.id, PLATFORM, upheld=True, note="申诉成立。", occurred_at=sh("2026-10-12 10:00"))
    appeals.rectify(d.id, ADMIN, content="已整改。", occurred_at=sh("2026-10-20 09:00"))
    appeals.contest_rating(f.id, ADMIN, reason="误评。", occurred_at=sh("2026-10-08 10:00"))
    appeals.adjudicate_rating(f.id, PLATFORM, upheld=False, note="维持原评价。", occurred_at=sh("2026-10-09 10:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.runner().run_once()
    ledger = read.models[1].view

    september = ledger.figures(unit, ReportingPeriod.month("2026-09"))
    counts = {k: v for k, v in september.counts.items() if v and not k.startswith(("forwarded", "respon", "repl"))}
    assert counts == {
        "visits_satisfied": 1,
        "visits_basically_satisfied": 1,
        "visits_unsatisfied": 3,
        "visits_very_unsatisfied": 1,
        "bad_ratings": 4,
        "rectified_on_time": 1,
        "rectified_late": 1,
        "ratings_contested": 2,
        "contests_upheld": 1,
        "contests_rejected": 1,
        "set_aside_very_unsatisfied": 1,
    }
    assert (september.rates["satisfaction"], september.rates["satisfaction_adjudicated"]) == (0.3167, 0.38)
    assert september.rectification_overdue_at_end == 0
    october = ledger.figures(unit, ReportingPeriod.month("2026-10"))
    assert october.rectification_overdue_at_end == 1  # F, ended 10-21 00:00
    assert october.overdue_at_end == 0  # the replies were all on time: a rectification is counted apart

    bulletin = monthly_bulletin(
        ledger, [(unit, "区供电公司")], ReportingPeriod.month("2026-09"), as_of=sh("2026-10-25 00:00")
    )
    row = next(r for r in bulletin.rows if r.code == unit)
    assert (row.rates["satisfaction"], row.rates["satisfaction_adjudicated"]) == (0.3167, 0.38)
    listed = [
        (e.case_no, e.level, e.rectification, e.contest, e.unit_name) for e in bulletin.bad_ratings if e.unit == unit
    ]
    assert listed == [
        (b.case_no, "unsatisfied", "on_time", None, "区供电公司"),
        (c.case_no, "very_unsatisfied", "set_aside", "upheld", "区供电公司"),
        (d.case_no, "unsatisfied", "late", None, "区供电公司"),
        (f.case_no, "unsatisfied", "overdue", "rejected", "区供电公司"),
    ]
    assert next(e.due for e in bulletin.bad_ratings if e.case_no == f.case_no) == sh("2026-10-20 23:59:59")
    assert not [e for e in monthly_bulletin(ledger, [], ReportingPeriod.month("2026-10")).bad_ratings if e.unit == unit]
    read.close()


@contextmanager
def database(kind, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/ratings-upgrade.sqlite3"
    else:
        with scratch_postgres(prefix="caseledger_ratings") as url:
            yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_ledger_made_before_the_list_of_bad_ratings_is_rebuilt_from_the_events(kind, tmp_path, profiles, calendars):
    """The bad ratings already given are only in the events: a ledger without the list is made again."""
    with database(kind, tmp_path) as url:
        appeals = AppealService(database_from_url(url).env, profiles=profiles, calendars=calendars.for_jurisdiction)
        case = rated(appeals, "POWER", "unsatisfied", "2026-09-29 10:00")
        read = ReadSide(appeals, database_from_url(url), calendars)
        read.runner().run_once()
        with read.models[1].view.datastore.transaction(commit=True) as c:
            c.execute("DROP TABLE bad_ratings")
            c.execute("UPDATE ledger_days SET bad_ratings = 0")
        read.close()
        again = ReadSide(appeals, database_from_url(url), calendars)
        ledger = again.models[1].view
        assert ledger.position() == 0 and ledger.bad_ratings(ReportingPeriod.month("2026-09")) == []
        again.runner().run_once()
        assert [r["case_no"] for r in ledger.bad_ratings(ReportingPeriod.month("2026-09"))] == [case.case_no]
        assert ledger.figures("POWER", ReportingPeriod.month("2026-09")).counts["bad_ratings"] == 1
        again.close()
        appeals.close()
