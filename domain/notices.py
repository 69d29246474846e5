"""Reminders (预警): when a unit is told that a deadline it holds is about to end, or has ended unmet.

Pure arithmetic and naming, no storage: the warning window, a notice's key (one per case, deadline,
round and kind) and the ``Message-ID`` derived from that key, so that a mail sent twice after a
crash is recognisably the same mail.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import Enum

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.periods import SHANGHAI

# The warning window when a profile sets none: the deadline's last working day before its end.
DEFAULT_WARNING_WORKING_DAYS = 1
_MAX_SCAN_DAYS = 400


class NoticeKind(str, Enum):
    APPROACHING = "approaching"  # 即将到期: the deadline entered its warning window
    ENDED = "ended"  # 已超期: the deadline ended unmet (the sweep recorded the miss)


class Channel(str, Enum):
    WORKSPACE = "workspace"  # shown in the unit's workspace
    MAIL = "mail"  # sent by e-mail to the unit's users with an address


def warning_starts(
    ends_at: datetime, calendar: WorkingCalendar, working_days: int = DEFAULT_WARNING_WORKING_DAYS
) -> datetime:
    """When the warning window of a deadline ending at ``ends_at`` (exclusive end, ``Due.ends_at``) opens:
    the same time of day, ``working_days`` working days earlier, counted on Asia/Shanghai days strictly
    before the end's day. A deadline ending at 24:00 of a Friday (ends Saturday 00:00) is warned from
    Friday 00:00; one ending at 17:00 on the Tuesday after a holiday, from 17:00 of the last working day
    before the holiday."""
    if working_days < 1:
        raise ValueError("the warning window is at least one working day")
    local = ends_at.astimezone(SHANGHAI)
    day = local.date()
    for _ in range(working_days):
        for _ in range(_MAX_SCAN_DAYS):
            day -= timedelta(days=1)
            if calendar.is_working_day(day):
                break
        else:
            raise ValueError(f"calendar has no working day within {_MAX_SCAN_DAYS} days before {local.date()}")
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI)


def in_window(
    ends_at: datetime, now: datetime, calendar: WorkingCalendar, working_days: int = DEFAULT_WARNING_WORKING_DAYS
) -> bool:
    """即将到期: the deadline's warning window has opened at ``now`` and the deadline has not yet ended."""
    return warning_starts(ends_at, calendar, working_days) <= now < ends_at


def notice_key(case_id: str, deadline: str, round_: int, kind: NoticeKind | str) -> str:
    """The one key of a notice: (case, deadline, round, kind)."""
    return f"{case_id}:{deadline}:{round_}:{NoticeKind(kind).value}"


def message_id(key: str) -> str:
    """The mail's ``Message-ID``, derived from the notice's key: the same on every attempt."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@caseledger>"


def retry_after(attempts: int, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Back-off after the ``attempts``-th failed attempt: ``base`` seconds, doubled each time, at most ``cap``."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
