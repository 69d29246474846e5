"""Unit ledgers (台账): what each unit was given and did, day by day, and the rates made from it.

Counts are kept per unit and per day (Asia/Shanghai) of the act, so any
period — a calendar month, or a reporting month closing on the 25th
(004 item 十一; 003 工作要求) — is a sum over its days.

Counted for the lead unit of the case at the time of the act:

- ``forwarded``: cases forwarded (转办) to the unit;
- ``responded``: of those, the ones the unit has answered at all — signed
  for (签收) or replied — credited to the day the case was *forwarded*, so
  that ``responded <= forwarded`` for every period (a cohort count);
- ``acknowledged``, ``returned`` (退回重办), ``extended`` (延期),
  ``escalated`` (督办), ``handed_back`` (退单), ``closed``, ``closed_solved``,
  ``closed_unsolved``;
- ``replies_on_time`` / ``replies_late``: every answer (initial or final);
  late when a deadline it met had already ended;
- ``visits_<level>``: follow-up visits (回访) by satisfaction level (好差评);
- ``merged`` (并单): of the cases forwarded to the unit, those merged into
  another case as repeats of its matter. A merged case is counted once, in
  the case it joined: it leaves ``forwarded`` (and ``responded``) of the day
  it was forwarded and is counted in ``merged`` there instead (a cohort count,
  as ``responded``), and an unmerge puts it back. It is never closed while
  merged, and its deadlines stop at the merge, so it is neither open nor
  overdue at the end of a period after it. What the unit did on it before
  (signed, replied on time or late, redone) stays counted: those acts were
  the unit's.
- ``rechecks``, ``rechecks_held``, ``rechecks_not_held``, ``rechecks_sampled``:
  look-backs (回头看) on the unit's closed cases, on the day of the look-back
  (``projections.ledger.hotline``; answers at first contact, 即时办结, are the
  platform's, counted apart and never here);
- the 好差评 follow-through, credited to the day of the visit
  (``projections.ledger.ratings``): bad ratings (差评), rectified on time /
  late, contested, upheld / rejected, set aside by level; and, at the
  period's end, ``rectification_overdue_at_end``: rectification periods
  binding the unit ended and unmet.
- the ruling on a hand-back (``projections.ledger.handback``): upheld /
  refused, credited to the unit that asked; an upheld one takes the case out
  of that unit's ``forwarded`` and ``responded``, as a merge does.

Approvals (审批) are counted apart from appeals, for each department on the
case (every unit keeps ledgers of appeals and approvals; the
columns ``approvals_<counter>``, ``APPROVAL_COUNTERS``): forwarded to it,
its opinions on time / late, its opinions returned, its deadlines missed —
and, for the window as a whole, the case-level figures of the bulletin's
approvals section (``projections.ledger.approvals``).

Rates of a period (each ``None`` when its denominator is zero):

- response rate = responded / forwarded;
- on-time rate = replies_on_time / (replies_on_time + replies_late +
  overdue_at_end), where overdue_at_end counts the unit's cases with a
  deadline ended and still unmet at the period's end: open overdue cases are
  never hidden;
- resolution rate = closed_solved / closed (a case closed unsolved is not
  solved);
- satisfaction rate = Σ weight(level) × visits(level) / visits, weights
  very satisfied 1, satisfied 1, basically satisfied 0.9, others 0 (one
  published practice), on the raw ratings as given;
- adjudicated satisfaction rate = the same, leaving out the ratings set aside
  on contest (申诉成立) — the raw figure is never replaced, the two stand side
  by side (the metrics keep both);
- a department's approval on-time rate = answered_on_time /
  (answered_on_time + answered_late + overdue_at_end), its overdue at the end
  counting its own review deadlines ended unmet (``DepartmentFigures``).
"""

from __future__ import annotations

import abc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from eventsourcing.persistence import Tracking

from domain.appeals.aggregate import Appeal
from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import met_late
from domain.deadlines.periods import SHANGHAI
from domain.status import SATISFACTION_LEVELS
from projections.base import ReadModel, TrackedView
from projections.feed import FeedItem
from projections.ledger.approvals import (
    APPROVAL_COLUMNS,
    APPROVAL_COUNTERS,
    DAY_COUNTERS,
    ApprovalFigures,
    ApprovalTally,
    DepartmentFigures,
)
from projections.ledger.approvals import ratio as _ratio
from projections.ledger.handback import COUNTERS as HANDBACK_COUNTERS
from projections.ledger.handback import count_ruling
from projections.ledger.hotline import UNIT_RECHECK_COUNTERS, HotlineFigures, HotlineTally
from projections.ledger.ratings import RATING_COUNTERS, BadRating, RatingTally, set_aside

__all__ = [
    "APPROVAL_COLUMNS",
    "APPROVAL_COUNTERS",
    "COUNTERS",
    "DAY_COUNTERS",
    "UNIT_COLUMNS",
    "ApprovalFigures",
    "DepartmentFigures",
    "Ledger",
    "LedgerChanges",
    "LedgerFigures",
    "LedgerView",
    "ReportingPeriod",
]

COUNTERS = (
    "forwarded",
    "responded",
    "acknowledged",
    "replies_on_time",
    "replies_late",
    "returned",
    "extended",
    "escalated",
    "handed_back",
    "closed",
    "closed_solved",
    "closed_unsolved",
    *(f"visits_{level}" for level in SATISFACTION_LEVELS),
    "merged",
    *RATING_COUNTERS,
    *HANDBACK_COUNTERS,
    *UNIT_RECHECK_COUNTERS,
)
# Every counter column of ledger_days: the appeals', then the approvals' (each department's).
UNIT_COLUMNS = (*COUNTERS, *APPROVAL_COLUMNS)
SATISFACTION_WEIGHTS = {
    "very_satisfied": 1.0,
    "satisfied": 1.0,
    "basically_satisfied": 0.9,
    "unsatisfied": 0.0,
    "very_unsatisfied": 0.0,
}


@dataclass(frozen=True)
class ReportingPeriod:
    """A reporting period: [start, end) in Asia/Shanghai."""

    name: str
    start: datetime
    end: datetime

    @classmethod
    def month(cls, period: str, close_day: int | None = None) -> ReportingPeriod:
        """``YYYY-MM``; with ``close_day`` (e.g. 25) the month runs from the day after the
        previous month's close day to its own close day, inclusive."""
        year, month = (int(part) for part in period.split("-"))
        if not 1 <= month <= 12:
            raise ValueError("month must be 01-12")
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        if close_day:
            previous = first - timedelta(days=1)
            first = date(previous.year, previous.month, min(close_day, previous.day)) + timedelta(days=1)
            following = date(year, month, close_day) + timedelta(days=1)
        return cls(period, datetime.combine(first, time(), SHANGHAI), datetime.combine(following, time(), SHANGHAI))

    @property
    def days(self) -> tuple[date, date]:
        """First and last day, inclusive."""
        return self.start.date(), (self.end - timedelta(days=1)).date()


@dataclass(frozen=True)
class LedgerFigures:
    unit: str
    period: ReportingPeriod
    counts: dict[str, int]  # the appeals' counters (COUNTERS)
    open_at_end: int
    overdue_at_end: int
    # The unit's approvals, as a department reviewing them: counted apart from its appeals.
    approvals: DepartmentFigures = field(default_factory=DepartmentFigures.empty)
    rectification_overdue_at_end: int = 0

    @property
    def visits(self) -> int:
        return sum(self.counts[f"visits_{level}"] for level in SATISFACTION_LEVELS)

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {
            "response": _ratio(c["responded"], c["forwarded"]),
            "on_time": _ratio(c["replies_on_time"], c["replies_on_time"] + c["replies_late"] + self.overdue_at_end),
            "resolution": _ratio(c["closed_solved"], c["closed"]),
            "satisfaction": _ratio(
                sum(SATISFACTION_WEIGHTS[level] * c[f"visits_{level}"] for level in SATISFACTION_LEVELS), self.visits
            ),
            "satisfaction_adjudicated": _ratio(
                sum(
                    SATISFACTION_WEIGHTS[level] * (c[f"visits_{level}"] - set_aside(c, level))
                    for level in SATISFACTION_LEVELS
                ),
                self.visits - sum(set_aside(c, level) for level in SATISFACTION_LEVELS),
            ),
        }


class LedgerChanges(NamedTuple):
    """One batch's increments: per (unit, day) (``UNIT_COLUMNS``), and per day for the approvals as a
    whole (``DAY_COUNTERS``); and the rows of the list of 差评 it touched, by (case id, rating seq)."""

    units: dict[tuple[str, date], dict[str, int]]
    approval_days: dict[date, dict[str, int]]
    bad_ratings: dict[tuple[str, int], BadRating]
    # The platform's 即时办结 and 回头看 per day (projections.ledger.hotline), counted apart from every unit.
    hotline_days: dict[date, dict[str, int]] = {}


class LedgerView(TrackedView[LedgerChanges]):
    @abc.abstractmethod
    def apply(self, changes: LedgerChanges, tracking: Tracking) -> None:
        """Add each (unit, day)'s and each day's increments."""

    @abc.abstractmethod
    def figures(self, unit: str, period: ReportingPeriod) -> LedgerFigures: ...

    @abc.abstractmethod
    def bad_ratings(self, period: ReportingPeriod) -> list[BadRating]:
        """Every bad rating (差评) given in the period, by the time of the visit (``ratings_ledger``)."""

    @abc.abstractmethod
    def hotline_figures(self, period: ReportingPeriod) -> HotlineFigures:
        """The platform's answers at first contact and look-backs in the period (``projections.ledger.hotline``)."""

    @abc.abstractmethod
    def units_with_activity(self, period: ReportingPeriod) -> list[str]:
        """The units with appeal activity in the period."""

    @abc.abstractmethod
    def approval_figures(self, period: ReportingPeriod) -> ApprovalFigures:
        """The approvals as a whole in the period, with the decision deadlines overdue at its end."""

    @abc.abstractmethod
    def departments_with_approvals(self, period: ReportingPeriod) -> list[str]:
        """The units with approval activity in the period, or with an approval deadline binding them
        ended and unmet at its end."""


class Ledger(ReadModel[LedgerChanges]):
    name = "ledger"
    view: LedgerView

    def __init__(self, view: LedgerView, calendars: Callable[[str], WorkingCalendar]) -> None:
        super().__init__(view)
        self.calendars = calendars

    def begin(self) -> None:
        self._increments: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._approval_days: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._approvals = ApprovalTally(self.calendars, self._increments, self._approval_days)
        self._ratings = RatingTally(self.calendars, self._increments)
        self._hotline = HotlineTally(self._increments)

    def on_event(self, item: FeedItem) -> None:
        e, case = item.event, item.case
        if case.KIND != "appeal":
            if case.KIND == "approval":
                self._approvals.on_event(item)
            return
        assert isinstance(case, Appeal)  # the kind "appeal" is Appeal's
        kind, unit = item.type, case.unit
        if kind == "HandbackRuled":  # the unit that asked, whoever has the case now (projections.ledger.handback)
            count_ruling(self._increments, e, case)
        self._hotline.on_event(kind, e)
        if unit is None:
            return
        at = e.occurred_at or e.timestamp
        day = at.astimezone(SHANGHAI).date()
        counts = self._increments[(unit, day)]
        if kind == "Forwarded":
            counts["forwarded"] += 1
        elif kind in ("Acknowledged", "Answered"):
            if kind == "Acknowledged":
                counts["acknowledged"] += 1
            else:
                calendar = self.calendars(case.policy["jurisdiction"])
                late = any(met_late(c, calendar) for c in case.clocks if c["met_seq"] == e.originator_version)
                counts["replies_late" if late else "replies_on_time"] += 1
            if case.responded_seq == e.originator_version:
                assert case.forwarded_at is not None  # a unit responds to a forwarded case
                self._increments[(unit, case.forwarded_at.astimezone(SHANGHAI).date())]["responded"] += 1
        elif kind == "Returned":
            counts["returned"] += 1
        elif kind == "Extended":
            counts["extended"] += 1
        elif kind == "Escalated":
            counts["escalated"] += 1
        elif kind == "HandbackRequested":
            counts["handed_back"] += 1
        elif kind == "Visited":
            counts[f"visits_{e.satisfaction}"] += 1
        elif kind in ("MergedInto", "Unmerged") and case.forwarded_at is not None:
            sign = 1 if kind == "MergedInto" else -1
            cohort = self._increments[(unit, case.forwarded_at.astimezone(SHANGHAI).date())]
            cohort["merged"] += sign
            cohort["forwarded"] -= sign
            if case.responded_seq is not None:
                cohort["responded"] -= sign
        elif kind == "Closed":
            counts["closed"] += 1
            if e.solved is True:
                counts["closed_solved"] += 1
            elif e.solved is False:
                counts["closed_unsolved"] += 1
        self._ratings.on_event(kind, e, case)

    def changes(self) -> LedgerChanges:
        return LedgerChanges(
            {k: dict(v) for k, v in self._increments.items() if any(v.values())},
            {k: dict(v) for k, v in self._approval_days.items() if any(v.values())},
            self._ratings.rows,
            self._hotline.days,
        )
