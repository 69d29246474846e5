"""Official working-day calendar (法定节假日安排) from chinese_calendar + overrides.

The ``chinese_calendar`` package carries the State Council's schedules up to
its release. Schedules published later (国务院办公厅 notice, usually in
November-December for the next year) and local closures are read from a TOML
overrides file, so they can be loaded without a release.
See ``adapters/calendar/overrides.toml`` for the format.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chinese_calendar import constants as _cc

from domain.deadlines.calendar import TableCalendar

__all__ = [
    "CalendarDataError",
    "CalendarOverrides",
    "DEFAULT_OVERRIDES",
    "OfficialCalendar",
    "CalendarSource",
    "load_overrides",
]

DEFAULT_OVERRIDES = Path(__file__).with_name("overrides.toml")

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_RE = re.compile(r"\d{4}")
_TOP_KEYS = frozenset({"national", "local"})
_SECTION_KEYS = frozenset({"holidays", "workdays"})


class CalendarDataError(ValueError):
    """The overrides file is missing, malformed or contradictory."""


@dataclass(frozen=True)
class DaySets:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class CalendarOverrides:
    """Validated content of an overrides file."""

    national: Mapping[int, DaySets] = field(default_factory=dict)
    local: Mapping[str, DaySets] = field(default_factory=dict)
    source: str = "<none>"


def load_overrides(path: Path) -> CalendarOverrides:
    """Read and validate an overrides file; raise CalendarDataError if bad."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise CalendarDataError(f"{path}: calendar overrides file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{path}: not valid TOML: {exc}") from exc

    def fail(where: str, problem: str) -> CalendarDataError:
        return CalendarDataError(f"{path}: {where}: {problem}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (expected one of {sorted(_TOP_KEYS)})")

    national: dict[int, DaySets] = {}
    for key, section in _table(data.get("national", {}), "national", fail).items():
        where = f"national.{key}"
        if not _YEAR_RE.fullmatch(key):
            raise fail(where, f"key {key!r} is not a four-digit year")
        year = int(key)
        sets = _day_sets(section, where, fail)
        for day in sets.holidays | sets.workdays:
            if day.year != year:
                raise fail(where, f"date {day.isoformat()} is not in {year}")
        national[year] = sets

    local: dict[str, DaySets] = {}
    for key, section in _table(data.get("local", {}), "local", fail).items():
        if not key.strip():
            raise fail("local", "empty jurisdiction id")
        local[key] = _day_sets(section, f"local.{key!r}", fail)

    return CalendarOverrides(national=national, local=local, source=str(path))


def _table(value: Any, where: str, fail) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(where, f"expected a table, got {type(value).__name__}")
    return value


def _day_sets(section: Any, where: str, fail) -> DaySets:
    section = _table(section, where, fail)
    unknown = sorted(set(section) - _SECTION_KEYS)
    if unknown:
        raise fail(f"{where}.{unknown[0]}", f"unknown key (expected {sorted(_SECTION_KEYS)})")
    lists = {name: _dates(section.get(name, []), f"{where}.{name}", fail) for name in _SECTION_KEYS}
    both = lists["holidays"] & lists["workdays"]
    if both:
        first = min(both).isoformat()
        raise fail(where, f"date {first} is listed in both holidays and workdays")
    return DaySets(holidays=lists["holidays"], workdays=lists["workdays"])


def _dates(values: Any, where: str, fail) -> frozenset[date]:
    if not isinstance(values, list):
        raise fail(where, f"expected a list of dates, got {values!r}")
    days = set()
    for index, value in enumerate(values):
        # TOML has a native date type; accept it, but not date-times.
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        if isinstance(value, str) and _DATE_RE.fullmatch(value):
            try:
                days.add(date.fromisoformat(value))
                continue
            except ValueError:
                pass
        raise fail(f"{where}[{index}]", f'bad date {value!r} (expected "YYYY-MM-DD")')
    return frozenset(days)


class OfficialCalendar(TableCalendar):
    """The national schedule for one jurisdiction, plus its local closures.

    Package data for a year is replaced by an overrides ``[national.YYYY]``
    section, which also marks that year as published. Local entries win over
    national ones: a local closure can fall on a make-up working day.
    Years with no schedule fall back to Mon-Fri (TableCalendar's rule).
    """

    def __init__(
        self,
        jurisdiction: str | None = None,
        overrides: CalendarOverrides | None = None,
    ) -> None:
        overrides = overrides or CalendarOverrides()
        holidays: dict[date, str] = dict(_cc.holidays)
        workdays: dict[date, str] = dict(_cc.workdays)
        published = {day.year for day in holidays}

        for year, sets in overrides.national.items():
            for table in (holidays, workdays):
                for day in [d for d in table if d.year == year]:
                    del table[day]
            holidays.update((d, f"national schedule {year}") for d in sets.holidays)
            workdays.update((d, f"national schedule {year}") for d in sets.workdays)
            published.add(year)

        local = overrides.local.get(jurisdiction) if jurisdiction else None
        if local is not None:
            for day in local.holidays:
                workdays.pop(day, None)
                holidays[day] = f"local closure ({jurisdiction})"
            for day in local.workdays:
                holidays.pop(day, None)
                workdays[day] = f"local working day ({jurisdiction})"

        super().__init__(holidays, set(workdays), published)
        self.jurisdiction = jurisdiction
        self.source = overrides.source


class CalendarSource:
    """Hands out one OfficialCalendar per jurisdiction, cached.

    ``reload()`` re-reads the overrides file, so a newly published year turns
    provisional deadlines exact on their next computation. If the new file is
    bad, the error is raised and the previous data stays in use.
    """

    def __init__(self, overrides_path: Path | None = None) -> None:
        self._path = Path(overrides_path) if overrides_path is not None else DEFAULT_OVERRIDES
        self._lock = threading.Lock()
        self._overrides = load_overrides(self._path)
        self._cache: dict[str | None, OfficialCalendar] = {}

    @property
    def overrides_path(self) -> Path:
        return self._path

    def for_jurisdiction(self, jurisdiction: str | None) -> OfficialCalendar:
        with self._lock:
            calendar = self._cache.get(jurisdiction)
            if calendar is None:
                calendar = OfficialCalendar(jurisdiction, self._overrides)
                self._cache[jurisdiction] = calendar
            return calendar

    def reload(self) -> None:
        overrides = load_overrides(self._path)
        with self._lock:
            self._overrides = overrides
            self._cache = {}
