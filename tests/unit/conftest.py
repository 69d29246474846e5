"""Fixtures for unit tests: the official 2025-2026 schedules as plain data.

Copied from the State Council's yearly holiday notices for 2025 and 2026 (as
shipped in chinese_calendar 1.11.0), so unit tests need neither the package
nor any file.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.deadlines.calendar import TableCalendar


def _days(*isodates: str) -> set[date]:
    return {date.fromisoformat(d) for d in isodates}


HOLIDAYS_2025 = _days(
    "2025-01-01",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-02-01",
    "2025-02-02",
    "2025-02-03",
    "2025-02-04",
    "2025-04-04",
    "2025-04-05",
    "2025-04-06",
    "2025-05-01",
    "2025-05-02",
    "2025-05-03",
    "2025-05-04",
    "2025-05-05",
    "2025-05-31",
    "2025-06-01",
    "2025-06-02",
    "2025-10-01",
    "2025-10-02",
    "2025-10-03",
    "2025-10-04",
    "2025-10-05",
    "2025-10-06",
    "2025-10-07",
    "2025-10-08",
)
WORKDAYS_2025 = _days("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")

HOLIDAYS_2026 = _days(
    "2026-01-01",
    "2026-01-02",
    "2026-01-03",
    "2026-02-15",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",
    "2026-02-21",
    "2026-02-22",
    "2026-02-23",
    "2026-04-04",
    "2026-04-05",
    "2026-04-06",
    "2026-05-01",
    "2026-05-02",
    "2026-05-03",
    "2026-05-04",
    "2026-05-05",
    "2026-06-19",
    "2026-06-20",
    "2026-06-21",
    "2026-09-25",
    "2026-09-26",
    "2026-09-27",
    "2026-10-01",
    "2026-10-02",
    "2026-10-03",
    "2026-10-04",
    "2026-10-05",
    "2026-10-06",
    "2026-10-07",
)
WORKDAYS_2026 = _days(
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
)


def official_calendar_2025_2026() -> TableCalendar:
    return TableCalendar(
        holidays=HOLIDAYS_2025 | HOLIDAYS_2026,
        workdays=WORKDAYS_2025 | WORKDAYS_2026,
        published_years={2025, 2026},
    )


# Session scope: the calendar is immutable, and hypothesis refuses
# function-scoped fixtures in @given tests.
@pytest.fixture(scope="session")
def cal() -> TableCalendar:
    """The official 2025 and 2026 schedules; 2027 onwards unpublished."""
    return official_calendar_2025_2026()
