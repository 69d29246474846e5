"""Follow-up periods and the inspectors' own consequences (问责的后续跟进与视情处理).

A profile may give a consequence kind (约谈, 书面检查) a follow-up period in its ``[accountability]``
table (``follow_up.<kind> = {length, unit, source}``, in working or calendar days, each value citing its
sentence); a consequence of that kind then carries ``follow_up_due``, counted on the working-day
calendar from the moment it arose (``domain.deadlines.periods``: the day it arose is not counted). It
stays due until an inspector records the act that answers it (约谈已进行, 书面检查已收到); past the due
moment it is overdue (逾期未跟进). No packaged profile sets a period: none of the documents gives a
number of days for holding a 约谈 or handing in a 书面检查.

Some consequences are not rules that fire by themselves but an inspector's judgement: 004 item 十五
(对服务企业不到位、问题解决不及时的，视情…进行约谈、责令检查或通报批评) and 003 item 5 (约谈提醒、通报批评).
``ORDERS`` names the two acts an inspector (or a supervisor) records against a unit with a reason,
optionally citing cases: ``criticism_issued`` (通报批评) and ``interview_ordered`` (约谈, 视情).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.periods import Period, PeriodUnit, period_end

# action -> (the consequence kind it issues, its source); the titles are domain.vocabulary.FOLLOW_UP's.
ORDERS: dict[str, tuple[str, str]] = {
    "criticism_issued": ("criticism", "004 item 十五"),
    "interview_ordered": ("interview", "004 item 十五"),
}
REASON_LIMIT = 4000


def follow_up_due(
    kind: str, at: datetime, policy: Mapping[str, Any] | None, calendar: WorkingCalendar | None
) -> datetime | None:
    """When a consequence of ``kind`` arisen at ``at`` must have been followed up under ``policy`` (a
    case's plain policy), or None if the profile sets no period for it or no calendar is known. The
    last second of the period's last day (Asia/Shanghai), as deadlines are shown."""
    if calendar is None or not policy:
        return None
    period = ((policy.get("accountability") or {}).get("follow_up") or {}).get(kind)
    if not period:
        return None
    return period_end(at, Period(int(period["length"]), PeriodUnit(period["unit"])), calendar).due


def is_overdue(consequence: Mapping[str, Any], still_due: list[str], now: datetime) -> bool:
    """逾期未跟进: the follow-up period has ended and the act that answers the consequence is not recorded."""
    due = consequence.get("follow_up_due")
    if due is None or not still_due:
        return False
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return bool(now > due)
