"""Deadline arithmetic on the official 2026 schedule (民法典 arts. 201, 203; 行政许可法 art. 82).

2026 facts used: Mid-Autumn 09-25 (Fri) to 09-27, National Day 10-01 to
10-07, make-up working days Sun 09-20 and Sat 10-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.deadlines.periods import (
    SHANGHAI,
    Due,
    Period,
    PeriodUnit,
    period_end,
    working_days_between,
)

WD = PeriodUnit.WORKING_DAYS
CD = PeriodUnit.CALENDAR_DAYS
NOON = time(12, 0)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def midnight_after(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tzinfo=SHANGHAI)


# --- working days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "last_day"),
    [(1, "2026-10-08"), (2, "2026-10-09"), (3, "2026-10-10")],
)
def test_working_days_skip_national_day_and_count_make_up_saturday(cal, n, last_day):
    """行政许可法 art. 82: holidays are skipped, 调休 Saturday counts."""
    due = period_end(sh(2026, 9, 30, 16, 0), Period(n, WD), cal)
    assert due.last_day == date.fromisoformat(last_day)
    assert due.ends_at == midnight_after(last_day)
    assert not due.provisional


def test_working_days_period_ends_at_24_00_shown_as_last_second(cal):
    """民法典 art. 201: ends at 24:00 of the Nth working day."""
    due = period_end(sh(2026, 9, 30, 9, 0), Period(2, WD), cal)
    assert due.ends_at == sh(2026, 10, 10, 0, 0)
    assert due.due == sh(2026, 10, 9, 23, 59, 59)
    assert due.due.isoformat() == "2026-10-09T23:59:59+08:00"
    assert due.last_day == date(2026, 10, 9)


def test_working_days_skip_mid_autumn_weekend(cal):
    """09-25..27 are rest days, so 09-28 is WD1 and 09-29 WD2."""
    due = period_end(sh(2026, 9, 24, 10, 0), Period(2, WD), cal)
    assert due.last_day == date(2026, 9, 29)


def test_start_day_is_not_counted(cal):
    """民法典 art. 201: counting begins the day after the start."""
    due = period_end(sh(2026, 9, 28, 8, 0), Period(1, WD), cal)
    assert due.last_day == date(2026, 9, 29)


def test_sunday_make_up_day_counts_for_a_saturday_start(cal):
    """Sun 2026-09-20 is a make-up working day (调休)."""
    due = period_end(sh(2026, 9, 19, 11, 0), Period(1, WD), cal)
    assert due.last_day == date(2026, 9, 20)


def test_start_on_holiday_counts_from_next_working_day(cal):
    """A start on a rest day is not counted either."""
    due = period_end(sh(2026, 10, 3, 11, 0), Period(1, WD), cal)
    assert due.last_day == date(2026, 10, 8)


def test_noon_cutoff_on_the_third_working_day(cal):
    """000 item 4 (Zichuan: before 12:00 of the 3rd WD)."""
    due = period_end(sh(2026, 9, 30, 15, 0), Period(3, WD, cutoff=NOON), cal)
    assert due.ends_at == sh(2026, 10, 10, 12, 0)
    assert due.ends_at.isoformat() == "2026-10-10T12:00:00+08:00"
    assert due.due == sh(2026, 10, 10, 12, 0, 0)
    assert due.last_day == date(2026, 10, 10)
    assert due.is_met_by(sh(2026, 10, 10, 11, 59, 59))
    assert not due.is_met_by(sh(2026, 10, 10, 12, 0))


def test_start_in_utc_is_read_as_shanghai_local_date(cal):
    """Times are Asia/Shanghai: 17:30Z on 09-29 is 01:30 on 09-30."""
    start = datetime(2026, 9, 29, 17, 30, tzinfo=UTC)
    due = period_end(start, Period(1, WD), cal)
    assert due.last_day == date(2026, 10, 8)
    assert due.ends_at.tzinfo is SHANGHAI


def test_naive_start_is_refused(cal):
    """Times must be unambiguous; a naive datetime is an error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        period_end(datetime(2026, 9, 30, 10, 0), Period(1, WD), cal)


def test_naive_instant_is_refused_by_is_met_by(cal):
    due = period_end(sh(2026, 9, 30, 10, 0), Period(1, WD), cal)
    with pytest.raises(ValueError, match="timezone-aware"):
        due.is_met_by(datetime(2026, 10, 8, 10, 0))


def test_working_days_reaching_unpublished_year_are_provisional(cal):
    """A deadline reaching an unpublished year is provisional."""
    inside = period_end(sh(2026, 12, 29, 10, 0), Period(2, WD), cal)
    assert inside.last_day == date(2026, 12, 31)
    assert not inside.provisional
    across = period_end(sh(2026, 12, 29, 10, 0), Period(3, WD), cal)
    assert across.last_day == date(2027, 1, 1)  # weekday fallback: Fri
    assert across.provisional


# --- calendar days ----------------------------------------------------------


def test_calendar_days_ending_on_holiday_roll_past_it(cal):
    """民法典 art. 203: last day 10-01 is a holiday, ends 10-08 24:00."""
    due = period_end(sh(2026, 9, 21, 10, 0), Period(10, CD), cal)
    assert due.last_day == date(2026, 10, 8)
    assert due.ends_at == sh(2026, 10, 9, 0, 0)


def test_calendar_days_ending_on_working_day_do_not_move(cal):
    """民法典 art. 201: ends 24:00 of start + N days."""
    due = period_end(sh(2026, 3, 2, 10, 0), Period(30, CD), cal)
    assert due.last_day == date(2026, 4, 1)


def test_calendar_days_ending_on_weekend_roll_to_monday(cal):
    """民法典 art. 203: a rest day at the end moves the end to the next working day."""
    due = period_end(sh(2026, 3, 1, 10, 0), Period(6, CD), cal)
    assert due.last_day == date(2026, 3, 9)


def test_calendar_days_ending_on_make_up_saturday_do_not_roll(cal):
    """Sat 2026-10-10 is a working day, so no roll."""
    due = period_end(sh(2026, 9, 30, 10, 0), Period(10, CD), cal)
    assert due.last_day == date(2026, 10, 10)


def test_calendar_days_with_cutoff(cal):
    due = period_end(sh(2026, 3, 2, 10, 0), Period(5, CD, cutoff=time(17, 30)), cal)
    assert due.ends_at == sh(2026, 3, 9, 17, 30)  # 03-07 is Saturday


# --- hours ------------------------------------------------------------------


def test_hours_run_on_the_clock_through_holidays(cal):
    """002 item 1 (企业开办 两小时办结): hours ignore the calendar."""
    due = period_end(sh(2026, 9, 30, 23, 0), Period(2, PeriodUnit.HOURS), cal)
    assert due.ends_at == sh(2026, 10, 1, 1, 0)
    assert due.due == due.ends_at
    assert not due.provisional


def test_hours_never_provisional(cal):
    due = period_end(sh(2030, 5, 1, 9, 0), Period(48, PeriodUnit.HOURS), cal)
    assert due.ends_at == sh(2030, 5, 3, 9, 0)
    assert not due.provisional


def test_hours_ending_at_midnight_display_the_instant(cal):
    due = period_end(sh(2026, 9, 30, 22, 0), Period(2, PeriodUnit.HOURS), cal)
    assert due.due == sh(2026, 10, 1, 0, 0)


# --- months -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2026-08-31", 2, "2026-10-31"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-03-15", 12, "2027-03-15"),
    ],
)
def test_months_end_on_same_day_or_month_end(cal, start, months, last_day):
    """Same date N months later, else the month's last day."""
    day = date.fromisoformat(start)
    due = period_end(sh(day.year, day.month, day.day, 10), Period(months, PeriodUnit.MONTHS), cal)
    assert due.last_day == date.fromisoformat(last_day)
    assert due.ends_at == midnight_after(last_day)
    assert not due.provisional


def test_months_do_not_roll_past_holidays(cal):
    """The months rule has no holiday roll: 10-07 is a holiday."""
    due = period_end(sh(2026, 9, 7, 10), Period(1, PeriodUnit.MONTHS), cal)
    assert due.last_day == date(2026, 10, 7)


# --- value objects ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"length": 0, "unit": WD},
        {"length": -3, "unit": CD},
        {"length": 2, "unit": PeriodUnit.HOURS, "cutoff": NOON},
        {"length": 2, "unit": WD, "cutoff": time(0, 0)},
        {"length": 2, "unit": "fortnights"},
    ],
)
def test_invalid_periods_are_refused(kwargs):
    with pytest.raises(ValueError):
        Period(**kwargs)


def test_period_accepts_unit_value_string():
    assert Period(3, "working_days").unit is PeriodUnit.WORKING_DAYS


def test_due_rebuilt_from_stored_fields_keeps_last_day():
    due = Due(datetime(2026, 10, 8, 16, 0, tzinfo=UTC), provisional=False)
    assert due.ends_at == sh(2026, 10, 9, 0, 0)
    assert due.last_day == date(2026, 10, 8)


def test_working_days_between_counts_start_exclusive_end_inclusive(cal):
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10), cal) == 3
    assert working_days_between(date(2026, 9, 24), date(2026, 9, 29), cal) == 2
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30), cal) == 0
