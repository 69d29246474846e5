"""The ledger's figures of the hotline's own acts (domain.appeals.hotline): 即时办结 and 回头看.

Answers at first contact (首接负责, 004 item 六) close a case that no unit was ever given: they are
counted apart, per day of the answer, for the platform (``hotline_days``), by method, and never in a
unit's figures.

Look-backs (回头看, 004 items 六 and 十四) are counted per day of the look-back twice: in the
platform's day figures, every one (a first-contact answer's too), and in the ledger of the lead unit
whose solution was looked back on (``rechecks``, ``rechecks_held``, ``rechecks_not_held``,
``rechecks_sampled``). A look-back that finds the solution does not hold returns the case (重办): that
return is counted as every return is (``returned``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from domain.appeals.hotline import DIRECT_METHODS
from domain.deadlines.periods import SHANGHAI

# The lead unit's look-back counters (a part of projections.ledger.appeals.COUNTERS).
UNIT_RECHECK_COUNTERS = ("rechecks", "rechecks_held", "rechecks_not_held", "rechecks_sampled")
# The platform's counters per day.
HOTLINE_COUNTERS = (
    "direct_answers",
    *(f"direct_{method}" for method in DIRECT_METHODS),
    *UNIT_RECHECK_COUNTERS,
)
HOTLINE_EVENTS = frozenset({"DirectlyAnswered", "Rechecked"})


@dataclass(frozen=True)
class HotlineFigures:
    """A period's 即时办结 and 回头看, platform-wide."""

    counts: Mapping[str, int]

    @classmethod
    def empty(cls) -> HotlineFigures:
        return cls(MappingProxyType(dict.fromkeys(HOTLINE_COUNTERS, 0)))

    @property
    def direct_answers(self) -> dict[str, Any]:
        c = self.counts
        return {"count": c["direct_answers"], "by_method": {m: c[f"direct_{m}"] for m in DIRECT_METHODS}}

    @property
    def rechecks(self) -> dict[str, int]:
        c = self.counts
        return {
            "count": c["rechecks"],
            "held": c["rechecks_held"],
            "not_held": c["rechecks_not_held"],
            "sampled": c["rechecks_sampled"],
        }


def recheck_counts(event: Any) -> dict[str, int]:
    return {
        "rechecks": 1,
        "rechecks_held" if event.holds else "rechecks_not_held": 1,
        "rechecks_sampled": int(bool(event.sampled)),
    }


class HotlineTally:
    """Counts a batch's first-contact answers and look-backs: the platform's per day, the lead unit's
    look-backs into the ledger's (unit, day) increments."""

    def __init__(self, increments: dict[tuple[str, date], dict[str, int]]) -> None:
        self.increments = increments
        self.days: dict[date, dict[str, int]] = {}

    def on_event(self, kind: str, event: Any) -> None:
        if kind not in HOTLINE_EVENTS:
            return
        at = event.occurred_at or event.timestamp
        day = at.astimezone(SHANGHAI).date()
        counts = self.days.setdefault(day, dict.fromkeys(HOTLINE_COUNTERS, 0))
        if kind == "DirectlyAnswered":
            counts["direct_answers"] += 1
            counts[f"direct_{event.method}"] += 1
            return
        for name, n in recheck_counts(event).items():
            counts[name] += n
            if event.unit is not None:
                unit_counts = self.increments[(event.unit, day)]
                unit_counts[name] = unit_counts.get(name, 0) + n
