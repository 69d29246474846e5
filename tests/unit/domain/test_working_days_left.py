"""剩余工作日: the working days a deadline leaves, counted by hand on the official 2026 schedule.

National Day 2026: Thu 10-01 to Wed 10-07 are rest days, Sat 10-10 is a make-up working day
(国务院办公厅 2026 holiday notice).
"""

from __future__ import annotations

from datetime import datetime

from domain.deadlines.clocks import working_days_left
from domain.deadlines.periods import SHANGHAI


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_working_days_left_skip_the_national_day_holiday_and_count_the_make_up_saturday(cal):
    """From Wed 09-30 to a due time on Mon 10-12: Thu 10-08, Fri 10-09, Sat 10-10 (调休), Mon 10-12 = 4."""
    assert working_days_left(sh("2026-10-12 23:59:59"), cal, sh("2026-09-30 10:00")) == 4


def test_a_deadline_due_today_leaves_zero_working_days(cal):
    assert working_days_left(sh("2026-10-09 23:59:59"), cal, sh("2026-10-09 08:00")) == 0


def test_the_day_boundary_is_shanghai_midnight_not_utc(cal):
    """01:00 in Shanghai on Fri 10-09 is still Thu 10-08 in UTC: the count is of Shanghai's days."""
    assert working_days_left(sh("2026-10-12 23:59:59"), cal, sh("2026-10-09 01:00")) == 2  # 10-10, 10-12


def test_a_passed_deadline_counts_the_working_days_since_as_negative(cal):
    """Due Tue 09-29; on Thu 10-08 it is two working days late: Wed 09-30 and Thu 10-08."""
    assert working_days_left(sh("2026-09-29 23:59:59"), cal, sh("2026-10-08 10:00")) == -2
