"""What the ledger counts of approvals (审批): per department and day, and per day for the window.

Every unit keeps ledgers (台账) of appeals *and* approvals. An
approval has no lead unit: the comprehensive window (综合受理窗口) receives,
accepts, decides and delivers, and the departments review (后台分类审批,
001 (四); 联审联办, 002 item 10). So the ledger counts, for each department
on the day of the act (Asia/Shanghai), columns of its own beside its appeal
counters (``approvals_<counter>`` in ``ledger_days``):

- ``forwarded``: each department a case is forwarded to, on the day of Forwarded;
- ``answered_on_time`` / ``answered_late``: its opinions (DepartmentAnswered),
  late when the department's own review clock (``department_review@UNIT``)
  that the opinion met had already ended — ``domain.deadlines.clocks.met_late``, the
  one function that judges the appeals' replies too (no review clock: on time);
- ``returned``: its opinions sent back by the window (DepartmentReturned);
- ``missed``: deadlines binding it recorded missed (DeadlineMissed, by the
  sweep or as met late).

And for the approvals as a whole, per day (table ``approval_days``; the
bulletin's approvals section):

- ``submitted``, ``accepted`` (Accepted and DeemedAccepted), of which
  ``deemed_accepted`` (行政许可法 art. 32: counted on the day the deemed
  acceptance is recorded, though it takes effect as of the day of receipt),
  ``refused``, ``decided``, ``decided_on_time`` / ``decided_late`` (the
  decision clock the decision met, judged by ``met_late``: before or after its
  end, pauses not counted), ``delivered``, ``extended`` (the decision period's
  one extension, art. 42), ``escalated`` (督办), ``revoked``, ``withdrawn``;
- ``pauses_ended`` and ``paused_working_days``: each pause (行政许可法 art. 45)
  on the day it ended (resumed, or the case withdrawn while paused), with the
  working days in [P, R) it took out of the periods (``working_days_in``,
  as the clocks count it).

Every verdict and count is made when the event is projected, from the case as
it stood right after it; nothing is re-derived at query time except what is
overdue at a period's end, read from the case list's deadline index.

Rates (each ``None`` when its denominator is zero), never hiding open
overdue reviews:

- a department's on-time rate = answered_on_time / (answered_on_time +
  answered_late + its approval deadlines ended unmet at the period's end);
- the decision on-time rate = decided_on_time / (decided_on_time +
  decided_late + decision deadlines ended unmet at the period's end).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import met_late, working_days_in
from domain.deadlines.periods import SHANGHAI

#: A department's approval counters; stored as ``approvals_<counter>`` columns of ``ledger_days``.
APPROVAL_COUNTERS = ("forwarded", "answered_on_time", "answered_late", "returned", "missed")
APPROVAL_COLUMNS = tuple(f"approvals_{c}" for c in APPROVAL_COUNTERS)
#: The approvals' counters per day (``approval_days``).
DAY_COUNTERS = (
    "submitted",
    "accepted",
    "deemed_accepted",
    "refused",
    "decided",
    "decided_on_time",
    "decided_late",
    "delivered",
    "pauses_ended",
    "paused_working_days",
    "extended",
    "escalated",
    "revoked",
    "withdrawn",
)

# The approval events counted per day as they are, by their name.
_ONE_A_DAY = {
    "Submitted": ("submitted",),
    "Accepted": ("accepted",),
    "DeemedAccepted": ("accepted", "deemed_accepted"),
    "Refused": ("refused",),
    "Delivered": ("delivered",),
    "Extended": ("extended",),
    "Escalated": ("escalated",),
    "Revoked": ("revoked",),
    "Withdrawn": ("withdrawn",),
}
# Events that may end a pause: a resumption, or the end of the case while paused (domain.approvals.aggregate._ended).
_ENDS_PAUSE = frozenset({"Resumed", "Withdrawn", "Refused", "Revoked"})


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's approvals in a period (``APPROVAL_COUNTERS``), and its approval deadlines
    ended and unmet at the period's end."""

    counts: Mapping[str, int]
    overdue_at_end: int

    @classmethod
    def empty(cls) -> DepartmentFigures:
        return cls(dict.fromkeys(APPROVAL_COUNTERS, 0), 0)

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {
            "on_time": ratio(c["answered_on_time"], c["answered_on_time"] + c["answered_late"] + self.overdue_at_end)
        }


@dataclass(frozen=True)
class ApprovalFigures:
    """The approvals as a whole in a period (``DAY_COUNTERS``), and the decision deadlines ended and
    unmet at the period's end."""

    counts: Mapping[str, int]
    decision_overdue_at_end: int

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {
            "on_time": ratio(
                c["decided_on_time"], c["decided_on_time"] + c["decided_late"] + self.decision_overdue_at_end
            )
        }


class ApprovalTally:
    """Adds one batch's approval events to the ledger's increments: ``units`` per (department, day),
    ``days`` per day (both ``defaultdict``s of counters)."""

    def __init__(self, calendars: Callable[[str], WorkingCalendar], units: Any, days: Any) -> None:
        self.calendars, self.units, self.days = calendars, units, days

    def on_event(self, item: Any) -> None:
        e, case = item.event, item.case
        kind = item.type
        day = (e.occurred_at or e.timestamp).astimezone(SHANGHAI).date()
        seq = e.originator_version
        if kind in _ONE_A_DAY:
            counts = self.days[day]
            for counter in _ONE_A_DAY[kind]:
                counts[counter] += 1
        if kind in _ENDS_PAUSE:
            self._pause_ended(case, seq, day)
        if kind == "Forwarded":
            for department in e.departments:
                self.units[(department, day)]["approvals_forwarded"] += 1
        elif kind == "DepartmentAnswered":
            calendar = self.calendars(case.policy["jurisdiction"])
            late = any(met_late(c, calendar) for c in case.clocks if c["met_seq"] == seq and c["unit"] == e.department)
            self.units[(e.department, day)]["approvals_answered_late" if late else "approvals_answered_on_time"] += 1
        elif kind == "DepartmentReturned":
            self.units[(e.department, day)]["approvals_returned"] += 1
        elif kind == "DeadlineMissed":
            if e.unit:  # a department's deadline; the window's own (unit None) binds no unit
                self.units[(e.unit, day)]["approvals_missed"] += 1
        elif kind == "Decided":
            counts = self.days[day]
            counts["decided"] += 1
            met = [c for c in case.clocks if c["met_seq"] == seq and c["name"] == "decision"]
            if met:  # the decision clock it met; a case whose rules run none has no verdict
                late = any(met_late(c, self.calendars(case.policy["jurisdiction"])) for c in met)
                counts["decided_late" if late else "decided_on_time"] += 1

    def _pause_ended(self, case: Any, seq: int, day: date) -> None:
        """Counts the case's pause if this event ended it: the event that closed the clocks' pauses begun
        with it (a resumption, or the case withdrawn while paused, closes them all at once)."""
        pause = case.pauses[-1] if case.pauses else None
        if (
            pause is None
            or pause["to"] is None
            or not any(
                p["from_seq"] == pause["seq"] and p["to_seq"] == seq for c in case.clocks for p in c.get("pauses", ())
            )
        ):
            return
        calendar = self.calendars(case.policy["jurisdiction"])
        counts = self.days[day]
        counts["pauses_ended"] += 1
        counts["paused_working_days"] += working_days_in(_local_day(pause["from"]), _local_day(pause["to"]), calendar)


def _local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()
