"""Deadline arithmetic (期间计算).

Rules, from 民法典 第201条/第203条 and 行政许可法 第82条:

* the day the period starts is not counted; counting begins the next day;
* "N 个工作日" ends at 24:00 of the Nth working day after the start day,
  unless the rule names an earlier cut-off time (Zichuan: 12:00 of the 3rd);
* "N 日" ends at 24:00 of the Nth day; if that day is a rest day the period
  ends on the next working day (民法典 第203条);
* "N 小时" runs on the clock from the start instant;
* "N 个月" ends on the same day-of-month N months later, or the month's last
  day if that date does not exist.

All times are Asia/Shanghai. A deadline that depends on a year whose
official schedule is not yet published is computed on weekdays and marked
provisional, so it can be recomputed once the schedule is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import cached_property
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from domain.deadlines.calendar import WorkingCalendar

__all__ = [
    "SHANGHAI",
    "PeriodUnit",
    "Period",
    "Due",
    "period_end",
    "working_days_between",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
# A calendar with no working day for this long is broken data; stop rather
# than loop forever.
_MAX_SCAN_DAYS = 3660


class PeriodUnit(str, Enum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MONTHS = "months"


@dataclass(frozen=True)
class Period:
    """A time limit (期限): its length, unit and optional cut-off time.

    ``cutoff`` is a time of day on the last day (e.g. 12:00); ``None`` means
    the period runs to 24:00 of that day.
    """

    length: int
    unit: PeriodUnit
    cutoff: time | None = None

    def __post_init__(self) -> None:
        # Profiles are data; accept the enum's string value as well.
        object.__setattr__(self, "unit", PeriodUnit(self.unit))
        if isinstance(self.length, bool) or not isinstance(self.length, int):
            raise TypeError(f"period length must be an int, got {self.length!r}")
        if self.length <= 0:
            raise ValueError(f"period length must be > 0, got {self.length}")
        if self.cutoff is not None:
            if self.unit is PeriodUnit.HOURS:
                raise ValueError("a cut-off time does not apply to an hours period")
            if self.cutoff.tzinfo is not None:
                raise ValueError("cut-off is a local (Asia/Shanghai) time, without tzinfo")
            if self.cutoff == _MIDNIGHT:
                # 00:00 would end the period before its last day begins;
                # "until 24:00" is spelt cutoff=None.
                raise ValueError("cut-off 00:00 is not allowed; use None for 24:00")


@dataclass(frozen=True)
class Due:
    """When a period expires.

    ``ends_at`` is the exclusive end: the period has expired at that instant.
    24:00 of day D is stored as D+1 00:00. ``exact_instant`` marks clock
    periods (hours), whose end is shown as-is even when it falls on 00:00.
    """

    ends_at: datetime
    provisional: bool
    exact_instant: bool = False

    def __post_init__(self) -> None:
        if self.ends_at.tzinfo is None or self.ends_at.utcoffset() is None:
            raise ValueError("Due.ends_at must be timezone-aware")
        object.__setattr__(self, "ends_at", self.ends_at.astimezone(SHANGHAI))

    @cached_property  # day-counted Dues are remembered and asked again and again
    def due(self) -> datetime:
        """The instant to display: last second inside for 24:00, else ends_at."""
        if not self.exact_instant and self.ends_at.timetz().replace(tzinfo=None) == _MIDNIGHT:
            return self.ends_at - timedelta(seconds=1)
        return self.ends_at

    @property
    def last_day(self) -> date:
        """The calendar day on which the period ends (D for 24:00 of D)."""
        return self.due.date()

    def is_met_by(self, at: datetime) -> bool:
        """True if something done at ``at`` is within the period."""
        return _aware(at, "at") < self.ends_at


def period_end(start: datetime, period: Period, calendar: WorkingCalendar) -> Due:
    """Compute when ``period`` starting at ``start`` expires.

    ``start`` must be timezone-aware; it is read in Asia/Shanghai, so a UTC
    instant late in the evening already falls on the next local day.
    Source: 民法典 第201条/第203条, 行政许可法 第82条.
    """
    local = _aware(start, "start").astimezone(SHANGHAI)
    unit = period.unit
    if unit is PeriodUnit.HOURS:
        return Due(local + timedelta(hours=period.length), provisional=False, exact_instant=True)
    # Day-counted periods depend only on the start's local date: remember them per calendar
    # (calendars are immutable; a reloaded schedule is a new calendar object).
    known = _DAY_PERIODS.setdefault(calendar, {})
    key = (local.date(), period)
    if key not in known:
        if len(known) > 100_000:
            known.clear()
        known[key] = _day_period_end(local.date(), period, calendar)
    return known[key]


_DAY_PERIODS: WeakKeyDictionary[WorkingCalendar, dict[tuple[date, Period], Due]] = WeakKeyDictionary()


def _day_period_end(start_day: date, period: Period, calendar: WorkingCalendar) -> Due:
    unit = period.unit
    if unit is PeriodUnit.WORKING_DAYS:
        last_day = _nth_working_day_after(start_day, period.length, calendar)
    elif unit is PeriodUnit.CALENDAR_DAYS:
        last_day = _roll_to_working_day(start_day + timedelta(days=period.length), calendar)
    elif unit is PeriodUnit.MONTHS:
        last_day = add_months(start_day, period.length)
    else:  # pragma: no cover - PeriodUnit is closed
        raise ValueError(f"unknown period unit {unit!r}")

    consults_calendar = unit is not PeriodUnit.MONTHS
    provisional = consults_calendar and _touches_unpublished(start_day + _ONE_DAY, last_day, calendar)
    if period.cutoff is None:
        ends_at = datetime.combine(last_day + _ONE_DAY, _MIDNIGHT, tzinfo=SHANGHAI)
    else:
        ends_at = datetime.combine(last_day, period.cutoff, tzinfo=SHANGHAI)
    return Due(ends_at, provisional=provisional)


def working_days_between(start: date, end: date, calendar: WorkingCalendar) -> int:
    """Number of working days d with ``start < d <= end`` (0 if end <= start)."""
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        count += calendar.is_working_day(day)
        day += _ONE_DAY
    return count


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    first_of_next = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (first_of_next - _ONE_DAY).day))


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _nth_working_day_after(start_day: date, n: int, calendar: WorkingCalendar) -> date:
    day = start_day
    for _ in range(n):
        day = _roll_to_working_day(day + _ONE_DAY, calendar)
    return day


def _roll_to_working_day(day: date, calendar: WorkingCalendar) -> date:
    """``day`` itself if it is a working day, else the next working day."""
    for _ in range(_MAX_SCAN_DAYS):
        if calendar.is_working_day(day):
            return day
        day += _ONE_DAY
    raise ValueError(f"calendar has no working day within {_MAX_SCAN_DAYS} days of {day}")


def _touches_unpublished(first: date, last: date, calendar: WorkingCalendar) -> bool:
    return any(not calendar.is_published(year) for year in range(first.year, last.year + 1))
