"""Joint handling (联合办理) of an appeal whose responsibility is unclear or shared.

004 item 六: 对于一张网事件分拨平台交办工单涉及责任不明或职责交叉等问题，通过建立专门台账、专班负责、
联席会议等方式限时办结. 004 item 十二 (分级会办): what cannot be settled is taken up by the relevant
departments in a joint, graded meeting.

The platform marks a case for joint handling naming the units concerned (``JointHandlingMarked``): the
case joins the dedicated ledger (专门台账). A joint meeting (联席会议, ``JointMeetingHeld``) is recorded
with the day it was held, the units present, its decision and, when it settles the matter, the lead
unit; the case is then forwarded to that unit in the same act, with fresh clocks as any forward gives.

The time limit (限时办结): 004 gives no number, so no clock is invented. A profile that sets one
declares a deadline rule started by ``JointHandlingMarked`` (met, e.g., by ``Closed``, or by
``JointMeetingHeld`` with ``settled = true``); the packaged profiles declare none, and the case then
shows that its time limit is the local configuration's to set.

The checks live here, called from the aggregate's verbs (domain.appeals.aggregate), which then trigger
one event each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, ValidationFailed

MARKED = "JointHandlingMarked"  # the event a profile's joint-handling deadline starts on
MEETING = "JointMeetingHeld"


def check_units(units: Any, field: str = "units") -> list[str]:
    """At least two distinct units: joint handling is the business of several."""
    if not isinstance(units, (list, tuple)) or not all(isinstance(u, str) and u for u in units):
        raise ValidationFailed({field: "a list of unit codes"}, zh={field: "请选择相关单位"})
    if len(set(units)) != len(units):
        raise ValidationFailed({field: "units must not repeat"}, zh={field: "同一单位不能重复选择"})
    if len(units) < 2:
        raise ValidationFailed(
            {field: "name at least two units: joint handling concerns several units"},
            zh={field: "联合办理须涉及至少两个单位，请至少选择两个单位"},
        )
    return list(units)


def check_can_mark(joint: dict[str, Any] | None) -> None:
    if joint is not None:
        raise NotAllowedInState("the case is already marked for joint handling", "本案已列入联合办理台账，无需重复列入")


def check_meeting(
    joint: dict[str, Any] | None,
    held_on: Any,
    units: Any,
    decision: str | None,
    lead_unit: str | None,
    now: datetime,
) -> tuple[date, list[str]]:
    """A meeting needs the case marked, a day neither in the future nor before the marking, two units
    or more, a decision, and a lead unit (when given) among the units present."""
    if joint is None:
        raise NotAllowedInState(
            "the case is not marked for joint handling; mark it first",
            "本案尚未列入联合办理，请先列入联合办理台账再记录联席会议",
        )
    problems: dict[str, str] = {}
    zh: dict[str, str] = {}
    day = held_on if isinstance(held_on, date) and not isinstance(held_on, datetime) else None
    if day is None:
        problems["held_on"], zh["held_on"] = "the day the meeting was held (YYYY-MM-DD)", "请填写会议召开日期"
    else:
        today = now.astimezone(SHANGHAI).date()
        marked = joint["marked_at"].astimezone(SHANGHAI).date()
        if day > today:
            problems["held_on"] = f"must not be in the future (today is {today.isoformat()})"
            zh["held_on"] = f"会议召开日期不能晚于今天（{today:%Y-%m-%d}）"
        elif day < marked:
            problems["held_on"] = f"must not be before the case was marked for joint handling ({marked.isoformat()})"
            zh["held_on"] = f"会议召开日期不能早于本案列入联合办理的日期（{marked:%Y-%m-%d}）"
    try:
        present = check_units(units)
    except ValidationFailed as refusal:
        problems.update(refusal.fields)
        zh.update(refusal.zh)
        present = []
    if not decision or not str(decision).strip():
        problems["decision"], zh["decision"] = "the meeting's decision is required", "请填写会议议定事项"
    if lead_unit is not None and lead_unit not in (units or ()):
        problems["lead_unit"] = "the lead unit must be one of the units present at the meeting"
        zh["lead_unit"] = "牵头单位须为参会单位之一"
    if problems:
        raise ValidationFailed(problems, zh=zh)
    assert day is not None  # else a problem above
    return day, present


def marked(units: Sequence[str], reason: str, at: datetime, seq: int) -> dict[str, Any]:
    """The case's joint-handling record as the marking makes it."""
    return {
        "units": list(units),
        "reason": reason,
        "marked_at": at,
        "seq": seq,
        "meetings": [],
        "lead_unit": None,
        "settled_at": None,
    }


def meeting(
    joint: dict[str, Any],
    held_on: str,
    units: Sequence[str],
    decision: str,
    lead_unit: str | None,
    at: datetime,
    seq: int,
) -> None:
    """A meeting added to the record; one naming a lead unit settles the matter on it."""
    joint["meetings"].append(
        {"held_on": held_on, "units": list(units), "decision": decision, "lead_unit": lead_unit, "at": at, "seq": seq}
    )
    if lead_unit:
        joint["lead_unit"], joint["settled_at"] = lead_unit, joint["settled_at"] or at


def time_limit(clocks: Sequence[dict[str, Any]], joint: dict[str, Any] | None) -> dict[str, Any] | None:
    """The clock the marking started (the profile's time limit), if the profile set one."""
    if joint is None:
        return None
    return next((c for c in clocks if c["started_by"] == joint["seq"]), None)
