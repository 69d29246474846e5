"""Property tests for deadline arithmetic (民法典 arts. 201, 203; 行政许可法 art. 82).

Calendar: the official 2025 and 2026 schedules, published_years {2025, 2026};
starts are drawn in 2025-2026 so periods may run into unpublished 2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.deadlines.periods import SHANGHAI, Period, PeriodUnit, period_end
from tests.unit.conftest import official_calendar_2025_2026

CAL = official_calendar_2025_2026()
PUBLISHED = {2025, 2026}
DAY_UNITS = [PeriodUnit.WORKING_DAYS, PeriodUnit.CALENDAR_DAYS, PeriodUnit.MONTHS]

lengths = st.integers(min_value=1, max_value=60)
# Late December of 2026 is oversampled so crossings into 2027 are common.
start_days = st.one_of(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 12, 31)),
)
cutoffs = st.one_of(st.none(), st.times(min_value=time(0, 0, 1)))


@st.composite
def starts(draw) -> datetime:
    """An aware start, sometimes in UTC; its Shanghai date is in 2025-2026."""
    day = draw(start_days)
    clock = draw(st.times())
    local = datetime.combine(day, clock, tzinfo=SHANGHAI)
    return local.astimezone(UTC) if draw(st.booleans()) else local


def local_day(start: datetime) -> date:
    return start.astimezone(SHANGHAI).date()


@given(starts(), lengths)
def test_working_day_end_is_monotone_in_length(start, n):
    """A longer WD period never ends earlier."""
    shorter = period_end(start, Period(n, PeriodUnit.WORKING_DAYS), CAL)
    longer = period_end(start, Period(n + 1, PeriodUnit.WORKING_DAYS), CAL)
    assert shorter.ends_at < longer.ends_at
    assert shorter.last_day < longer.last_day


@given(starts(), lengths, cutoffs)
def test_working_day_period_ends_on_a_working_day(start, n, cutoff):
    """行政许可法 art. 82: the Nth working day is a working day."""
    due = period_end(start, Period(n, PeriodUnit.WORKING_DAYS, cutoff), CAL)
    assert CAL.is_working_day(due.last_day)


@given(starts(), lengths)
def test_working_day_period_spans_exactly_n_working_days(start, n):
    due = period_end(start, Period(n, PeriodUnit.WORKING_DAYS), CAL)
    day, counted = local_day(start), 0
    while day < due.last_day:
        day += timedelta(days=1)
        counted += CAL.is_working_day(day)
    assert counted == n


@given(starts(), lengths, cutoffs)
def test_calendar_day_period_never_ends_on_a_rest_day(start, n, cutoff):
    """民法典 art. 203: a rest day at the end moves the end forward."""
    due = period_end(start, Period(n, PeriodUnit.CALENDAR_DAYS, cutoff), CAL)
    assert CAL.is_working_day(due.last_day)
    nominal = local_day(start) + timedelta(days=n)
    assert due.last_day >= nominal
    # Every day skipped over is a rest day.
    day = nominal
    while day < due.last_day:
        assert not CAL.is_working_day(day)
        day += timedelta(days=1)


@given(starts(), lengths, st.sampled_from([PeriodUnit.WORKING_DAYS, PeriodUnit.CALENDAR_DAYS]))
def test_provisional_exactly_when_period_reaches_unpublished_year(start, n, unit):
    """A weekdays-only fallback must be flagged as provisional."""
    due = period_end(start, Period(n, unit), CAL)
    first_counted = local_day(start) + timedelta(days=1)
    years = range(first_counted.year, due.last_day.year + 1)
    assert due.provisional == any(year not in PUBLISHED for year in years)
    assert due.provisional == (due.last_day.year not in PUBLISHED)


@given(starts(), st.integers(min_value=1, max_value=24), st.sampled_from([PeriodUnit.HOURS, PeriodUnit.MONTHS]))
def test_hours_and_months_are_never_provisional(start, n, unit):
    """Clock and month periods do not consult the calendar."""
    assert not period_end(start, Period(n, unit), CAL).provisional


@given(starts(), lengths, st.sampled_from(DAY_UNITS), cutoffs)
def test_last_day_is_strictly_after_the_start_date(start, n, unit, cutoff):
    """民法典 art. 201: the start day itself is not counted."""
    due = period_end(start, Period(n, unit, cutoff), CAL)
    assert due.last_day > local_day(start)
    assert due.ends_at > start


@given(starts(), lengths, st.sampled_from(list(PeriodUnit)), cutoffs)
def test_due_is_inside_and_ends_at_is_exclusive(start, n, unit, cutoff):
    """Due.due <= ends_at; ends_at itself is already too late."""
    if unit is PeriodUnit.HOURS:
        cutoff = None
    due = period_end(start, Period(n, unit, cutoff), CAL)
    assert due.due <= due.ends_at
    assert due.due.date() == due.last_day
    assert due.is_met_by(due.ends_at - timedelta(microseconds=1))
    assert not due.is_met_by(due.ends_at)
    assert due.ends_at.utcoffset() == timedelta(hours=8)
