"""The ruling on a hand-back (派单异议审核) in the unit ledgers: credited to the unit that asked, never to the one
the case is re-forwarded to.

- ``handback_upheld`` / ``handback_refused``: its hand-backs ruled on, on the day of the ruling;
- an upheld hand-back says the case was never the unit's to answer: like a merged case, it leaves the unit's
  ``forwarded`` (and ``responded``) of the day it was forwarded, so a misrouted case never lowers its
  response rate. What the unit did on it before (signed, replied) stays counted: those acts were its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.deadlines.periods import SHANGHAI

COUNTERS = ("handback_upheld", "handback_refused")


def count_ruling(increments: dict[tuple[str, date], dict[str, int]], e: Any, case: Any) -> None:
    """One HandbackRuled, with ``case`` as it stands right after it."""
    unit = case.handback["unit"]
    at = e.occurred_at or e.timestamp
    increments[(unit, at.astimezone(SHANGHAI).date())]["handback_upheld" if e.upheld else "handback_refused"] += 1
    if e.upheld and case.forwarded_at is not None:
        cohort = increments[(unit, case.forwarded_at.astimezone(SHANGHAI).date())]
        cohort["forwarded"] -= 1
        if case.responded_seq is not None:
            cohort["responded"] -= 1
