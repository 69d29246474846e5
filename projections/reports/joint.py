"""The bulletin's joint-handling section (联合办理, 004 item 六): the month's figures of the dedicated ledger.

004 item 六 asks that cases of unclear or shared responsibility be kept on a dedicated ledger (专门台账) and
settled by joint meetings within a time limit, and that the handling be bulletined monthly. Each figure
is read from the case list (which keeps, for every appeal marked, when it was marked, each meeting's
day and when a meeting settled it on a lead unit):

- ``marked``: cases marked for joint handling within the period;
- ``meetings``: joint meetings held within the period, by the day each was held;
- ``settled``: cases a meeting settled on a lead unit within the period (the first settling counts);
- ``open``: cases marked before the period's end that at its end were neither settled, closed nor merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from projections.ledger.appeals import ReportingPeriod

DEFINITIONS = {
    "marked": "本期列入联合办理台账的诉求件数",
    "meetings": "本期召开（按会议日期）的联席会议次数",
    "settled": "本期经联席会议明确牵头单位的诉求件数",
    "open": "截至期末已列入联合办理、尚未明确牵头单位且未办结的诉求件数",
}


@dataclass(frozen=True)
class JointSection:
    marked: int
    meetings: int
    settled: int
    open: int

    def as_dict(self) -> dict[str, int]:
        return {"marked": self.marked, "meetings": self.meetings, "settled": self.settled, "open": self.open}


def joint_section(rows: Iterable[Mapping[str, Any]], period: ReportingPeriod) -> JointSection:
    """The section from the case list's rows of the cases marked before the period's end (``joint_cases``)."""
    first, last = period.days
    marked = meetings = settled = still_open = 0
    for row in rows:
        if _within(row["joint_marked_at"], period):
            marked += 1
        meetings += sum(1 for day in _days(row["joint_meetings"]) if first <= day <= last)
        if _within(row["joint_settled_at"], period):
            settled += 1
        ended = [row["joint_settled_at"], row["closed_at"], row["merged_at"]]
        if not any(moment is not None and moment < period.end for moment in ended):
            still_open += 1
    return JointSection(marked, meetings, settled, still_open)


def _within(moment: datetime | None, period: ReportingPeriod) -> bool:
    return moment is not None and period.start <= moment < period.end


def _days(text: str | None) -> list[date]:
    return [date.fromisoformat(d) for d in (text or "").split(",") if d]
