"""Working-day calendars (工作日历).

A working day (工作日) on the official Chinese calendar is not simply Mon-Fri:
the State Council's yearly schedule turns some weekdays into statutory
holidays (法定节假日) and some weekends into make-up working days (调休上班).
The schedule for a year is published only late in the previous year, so a
calendar also says which years it actually knows.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from datetime import date

__all__ = ["WorkingCalendar", "TableCalendar"]


class WorkingCalendar(abc.ABC):
    """工作日 calendar of one jurisdiction."""

    @abc.abstractmethod
    def is_working_day(self, day: date) -> bool:
        """True if ``day`` is a working day.

        For years without published data this falls back to Mon-Fri, with
        weekends as rest days, so that deadlines can still be computed
        provisionally.
        """

    @abc.abstractmethod
    def is_published(self, year: int) -> bool:
        """True if the official schedule for ``year`` is known."""


class TableCalendar(WorkingCalendar):
    """A calendar given by explicit tables of holidays and make-up days.

    ``holidays`` may be a mapping date -> holiday name or a plain set of
    dates; ``workdays`` are the make-up working days (调休); a year is
    published when it is in ``published_years``.
    """

    def __init__(
        self,
        holidays: Mapping[date, str] | Iterable[date] = (),
        workdays: Iterable[date] = (),
        published_years: Iterable[int] = (),
    ) -> None:
        if isinstance(holidays, Mapping):
            self._holidays: dict[date, str] = dict(holidays)
        else:
            self._holidays = {day: "" for day in holidays}
        self._workdays: frozenset[date] = frozenset(workdays)
        self._published: frozenset[int] = frozenset(published_years)
        both = self._workdays & self._holidays.keys()
        if both:
            raise ValueError(
                "dates listed both as holiday and as working day: " + ", ".join(sorted(d.isoformat() for d in both))
            )

    def is_working_day(self, day: date) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def is_published(self, year: int) -> bool:
        return year in self._published

    @property
    def published_years(self) -> frozenset[int]:
        return self._published

    def __repr__(self) -> str:
        years = sorted(self._published)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return (
            f"{type(self).__name__}(holidays={len(self._holidays)}, workdays={len(self._workdays)}, published={span})"
        )
