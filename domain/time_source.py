"""The time source: what "now" is for business time (deadlines, sweeps, backfill checks, reports).

One is made by the composition root (``web.bootstrap``) and handed to every service, view and report that
needs the time; tests hand in a fixed or stepping one. ``utc_now`` is the real one. (A ``Clock`` is
something else: a case's deadline record, ``domain.deadlines.clocks``.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

TimeSource = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC: the only reading of it for business time."""
    return datetime.now(UTC)
