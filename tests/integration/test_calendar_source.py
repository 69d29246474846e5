"""OfficialCalendar on chinese_calendar's data plus an overrides file.

The 2027 dates written below are test data, not the real 2027 schedule.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from adapters.calendar.official import (
    DEFAULT_OVERRIDES,
    CalendarDataError,
    CalendarSource,
    OfficialCalendar,
)
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.periods import SHANGHAI, Period, PeriodUnit, period_end

WD = PeriodUnit.WORKING_DAYS


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def overrides(tmp_path: Path) -> Path:
    return write(tmp_path / "calendar-overrides.toml", "# nothing yet\n")


def test_package_data_knows_2026_schedule():
    """National Day, Mid-Autumn and the 调休 days of 2026."""
    cal = CalendarSource().for_jurisdiction(None)
    assert isinstance(cal, WorkingCalendar)
    assert not cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 9, 25))
    assert cal.is_working_day(date(2026, 9, 20))
    assert cal.is_working_day(date(2026, 10, 10))
    assert cal.is_published(2004) and cal.is_published(2026)
    assert not cal.is_published(2027)
    due = period_end(datetime(2026, 9, 30, 10, tzinfo=SHANGHAI), Period(3, WD), cal)
    assert due.last_day == date(2026, 10, 10)
    assert not due.provisional


def test_packaged_default_overrides_file_has_no_data():
    assert DEFAULT_OVERRIDES.is_file()
    assert CalendarSource(DEFAULT_OVERRIDES).for_jurisdiction("zibo.zichuan").is_published(2026)


def test_unpublished_year_falls_back_to_weekdays():
    cal = OfficialCalendar()
    assert cal.is_working_day(date(2027, 1, 1))  # a Friday
    assert not cal.is_working_day(date(2027, 1, 2))


def test_newly_published_year_makes_provisional_deadline_exact_after_reload(overrides):
    """A provisional deadline is recomputed when the schedule is loaded."""
    source = CalendarSource(overrides)
    start = datetime(2026, 12, 30, 10, tzinfo=SHANGHAI)
    before = period_end(start, Period(3, WD), source.for_jurisdiction(None))
    assert before.provisional
    assert before.last_day == date(2027, 1, 4)  # 12-31, Fri 01-01, Mon 01-04

    write(
        overrides,
        '[national.2027]\nholidays = ["2027-01-01", "2027-01-02", "2027-01-03"]\nworkdays = ["2027-02-20"]\n',
    )
    assert not source.for_jurisdiction(None).is_published(2027)  # cached until reload
    source.reload()
    cal = source.for_jurisdiction(None)
    assert cal.is_published(2027)
    assert cal.is_working_day(date(2027, 2, 20))
    after = period_end(start, Period(3, WD), cal)
    assert not after.provisional
    assert after.last_day == date(2027, 1, 5)  # 12-31, 01-04, 01-05


def test_national_section_replaces_package_data_for_that_year(overrides):
    write(overrides, '[national.2026]\nholidays = ["2026-10-01"]\n')
    cal = CalendarSource(overrides).for_jurisdiction(None)
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 10, 2))
    assert not cal.is_working_day(date(2026, 10, 10))  # make-up day gone too
    assert not cal.is_working_day(date(2025, 10, 1))  # other years untouched


def test_local_closure_affects_only_its_jurisdiction(overrides):
    """Local closures are added per jurisdiction."""
    write(
        overrides,
        '[local."zibo.zichuan"]\nholidays = ["2026-06-01", 2026-10-10]\nworkdays = ["2026-10-07"]\n',
    )
    source = CalendarSource(overrides)
    zichuan = source.for_jurisdiction("zibo.zichuan")
    assert not zichuan.is_working_day(date(2026, 6, 1))
    assert not zichuan.is_working_day(date(2026, 10, 10))  # closure beats 调休
    assert zichuan.is_working_day(date(2026, 10, 7))
    for other in (source.for_jurisdiction(None), source.for_jurisdiction("liaocheng")):
        assert other.is_working_day(date(2026, 6, 1))
        assert other.is_working_day(date(2026, 10, 10))
        assert not other.is_working_day(date(2026, 10, 7))
    start = datetime(2026, 5, 29, 10, tzinfo=SHANGHAI)  # Friday
    assert period_end(start, Period(1, WD), zichuan).last_day == date(2026, 6, 2)
    assert period_end(start, Period(1, WD), source.for_jurisdiction(None)).last_day == date(2026, 6, 1)


def test_calendars_are_cached_per_jurisdiction(overrides):
    source = CalendarSource(overrides)
    assert source.for_jurisdiction("a") is source.for_jurisdiction("a")
    assert source.for_jurisdiction("a") is not source.for_jurisdiction("b")
    first = source.for_jurisdiction("a")
    source.reload()
    assert source.for_jurisdiction("a") is not first


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[national.2027]\nholidays = ["2027-13-01"]\n', "national.2027.holidays[0]"),
        ('[national.2027]\nholidays = ["2027-01-01", "1 Jan"]\n', "'1 Jan'"),
        ('[national.2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n', "both"),
        ('[local."x"]\nholidays = ["2026-06-01"]\nworkdays = ["2026-06-01"]\n', "2026-06-01"),
        ('[national.2027]\nholiday = ["2027-01-01"]\n', "national.2027.holiday"),
        ("[regional.2027]\nholidays = []\n", "regional"),
        ("[national.27]\nholidays = []\n", "four-digit year"),
        ('[national.2027]\nholidays = ["2026-12-31"]\n', "not in 2027"),
        ('[national.2027]\nholidays = "2027-01-01"\n', "list of dates"),
        ("[national.2027]\nholidays = [2027-01-01T08:00:00]\n", "holidays[0]"),
        ("[national.2027\n", "not valid TOML"),
    ],
)
def test_malformed_file_is_rejected_naming_file_and_key(tmp_path, text, fragment):
    path = write(tmp_path / "broken-overrides.toml", text)
    with pytest.raises(CalendarDataError) as info:
        CalendarSource(path)
    message = str(info.value)
    assert "broken-overrides.toml" in message
    assert fragment in message
    assert isinstance(info.value, ValueError)


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(CalendarDataError, match="absent.toml"):
        CalendarSource(tmp_path / "absent.toml")


def test_failed_reload_keeps_previous_data(overrides):
    write(overrides, '[national.2027]\nholidays = ["2027-01-01"]\n')
    source = CalendarSource(overrides)
    write(overrides, '[national.2028]\nholidays = ["not-a-date"]\n')
    with pytest.raises(CalendarDataError):
        source.reload()
    assert source.for_jurisdiction(None).is_published(2027)
