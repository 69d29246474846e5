"""The bulletin's joint-handling figures (联合办理, 004 item 六: 月度通报), counted by hand for November 2026."""

from __future__ import annotations

from datetime import datetime

from domain.deadlines.periods import SHANGHAI
from projections.ledger.appeals import ReportingPeriod
from projections.reports.joint import joint_section


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def row(marked: str, meetings: str = "", settled: str | None = None, closed: str | None = None, merged=None):
    return {
        "joint_marked_at": sh(marked),
        "joint_meetings": meetings,
        "joint_settled_at": sh(settled) if settled else None,
        "closed_at": sh(closed) if closed else None,
        "merged_at": sh(merged) if merged else None,
    }


def test_the_month_counts_markings_meetings_by_their_day_settlements_and_what_is_still_open():
    """004 item 六: marked in November (11-03, 11-20), meetings held 10-30 (October's), 11-05 and 12-01
    (December's); one case settled 11-05, one closed 11-30 without a settling meeting, one marked in October and
    still open at November's end (midnight of 12-01 ends it), one settled only in December (still open then)."""
    rows = [
        row("2026-10-28 09:00", "2026-10-30,2026-11-05", settled="2026-11-05 16:00"),
        row("2026-11-03 09:00", "2026-11-05"),
        row("2026-11-20 09:00", "", closed="2026-11-30 17:00"),
        row("2026-10-12 09:00"),
        row("2026-11-25 09:00", "2026-12-01", settled="2026-12-01 10:00"),
    ]
    november = joint_section(rows, ReportingPeriod.month("2026-11"))
    assert november.as_dict() == {"marked": 3, "meetings": 2, "settled": 1, "open": 3}


def test_a_case_merged_before_the_end_is_not_open():
    rows = [row("2026-11-03 09:00", merged="2026-11-10 09:00")]
    assert joint_section(rows, ReportingPeriod.month("2026-11")).open == 0


def test_a_reporting_month_closing_on_the_25th_counts_by_its_own_days():
    """003 工作要求: the month may close on the 25th — November then runs 10-26 to 11-25 inclusive."""
    rows = [row("2026-10-27 09:00", "2026-10-27,2026-11-26")]
    period = ReportingPeriod.month("2026-11", close_day=25)
    assert joint_section(rows, period).as_dict() == {"marked": 1, "meetings": 1, "settled": 0, "open": 1}
