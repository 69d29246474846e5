"""好差评 follow-through (002 item 27, 004 item 二; national scheme 国办发〔2019〕51号).

Every follow-up visit (回访) rates the lead unit on five levels; ``unsatisfied``
and ``very_unsatisfied`` are a bad rating (差评). A bad rating starts the
rectification deadline (整改, ``rectification``): a clock like every other of
the case, binding the unit rated, met by its ``Rectified`` event, found missed
by the deadline sweep. The unit may contest (申诉复核) a bad rating it thinks
mistaken or malicious, once, within the profile's window of working days after
the visit; the platform or a supervisor then adjudicates it: upheld (申诉成立),
the rating is set aside in the adjudicated figures and nothing is left to
rectify; rejected (维持原评价), the rating stands. The raw rating is never
changed: both are kept side by side.

A profile holds the two periods in its ``[ratings]`` table, each with its
source (``parse_ratings``); the case keeps them in its policy record, so a
later edit of the profile changes no existing case. A case whose policy has no
``ratings`` (one opened before they existed) has no rectification deadline and
no contest.

Each visit's rating is plain data kept in the aggregate (``new_rating``): its
level, the unit rated, when, the sequence number of its Visited event (which
names it), and what followed — rectification, contest, adjudication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.pauses import close_pause, running
from domain.deadlines.periods import Due, Period, PeriodUnit, period_end
from domain.errors import NotAllowedInState

BAD_LEVELS = frozenset({"unsatisfied", "very_unsatisfied"})  # 不满意, 非常不满意: 差评
RECTIFICATION = "rectification"  # the deadline's name
RECTIFICATION_TITLE = "差评整改"  # its title, as the case and the inbox show it
# A 差评 is rectified within a profile-set number of working days; localities use 5 to 15.
RECTIFICATION_RANGE = (5, 15)
CONTEST_MAX = 30  # a window longer than six weeks would leave a rating in doubt past the next bulletins
KEYS = frozenset({"rectification_working_days", "rectification_source", "contest_working_days", "contest_source"})
# A contest's status: pending until adjudicated, then upheld (申诉成立) or rejected (维持原评价).
PENDING, UPHELD, REJECTED = "pending", "upheld", "rejected"
SET_ASIDE = "set_aside"  # the adjudicated level of a rating whose contest was upheld


@dataclass(frozen=True)
class RatingsRule:
    rectification_working_days: int
    rectification_source: str
    contest_working_days: int
    contest_source: str


def parse_ratings(raw: Any, problems: list[str]) -> RatingsRule | None:
    """A profile's ``[ratings]`` table, every problem reported into ``problems``; None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append("ratings: must be a table")
        return None
    found = len(problems)
    problems += [f"ratings.{k}: unknown key" for k in sorted(set(raw) - KEYS)]
    low, high = RECTIFICATION_RANGE
    days = raw.get("rectification_working_days")
    if not _whole(days) or not low <= days <= high:
        problems.append(
            f"ratings.rectification_working_days: a whole number of working days from {low} to {high} "
            "(localities use 5 to 15)"
        )
    window = raw.get("contest_working_days")
    if not _whole(window) or not 1 <= window <= CONTEST_MAX:
        problems.append(f"ratings.contest_working_days: a whole number of working days from 1 to {CONTEST_MAX}")
    for key in ("rectification_source", "contest_source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"ratings.{key}: required text (the sentence the value comes from, or why it is a default)")
    if len(problems) > found:
        return None
    assert _whole(days) and _whole(window)  # else a problem was reported above
    return RatingsRule(days, raw["rectification_source"], window, raw["contest_source"])


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def rectification_rule(ratings: Mapping[str, Any]) -> dict[str, Any]:
    """The rectification deadline as a deadline rule of domain.deadlines.clocks, from the case's ``ratings`` policy."""
    return {
        "name": RECTIFICATION,
        "title": RECTIFICATION_TITLE,
        "source": ratings["rectification_source"],
        "starts_on": ["Visited"],
        "met_by": [{"event": "Rectified"}],
        "length": ratings["rectification_working_days"],
        "unit": PeriodUnit.WORKING_DAYS.value,
        "binds": "unit",
    }


def new_rating(level: str, unit: str | None, at: datetime, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "level": level,
        "bad": level in BAD_LEVELS,
        "unit": unit,
        "at": at,
        "rectification": None,
        "contest": None,
    }


def latest_bad(ratings: list[dict[str, Any]], policy: Mapping[str, Any], command: str) -> dict[str, Any]:
    """The latest bad rating, which ``command`` follows through; refused when there is none, or when
    the case's policy (as the case keeps it) follows no rating through."""
    rating: dict[str, Any] | None = next((r for r in reversed(ratings) if r["bad"]), None)
    if rating is None:
        raise NotAllowedInState(
            f"cannot {command}: no follow-up visit rated the case unsatisfied (差评)",
            "本案没有差评（不满意或非常不满意的回访）",
        )
    if not policy.get("ratings"):
        raise NotAllowedInState(
            f"cannot {command}: profile {policy['id']} (as this case keeps it) sets no 好差评 follow-through",
            "本案适用的规则未规定差评整改和申诉复核",
        )
    return rating


def rating_of(ratings: list[dict[str, Any]], seq: int) -> dict[str, Any]:
    return next(r for r in ratings if r["seq"] == seq)


def contest_closes(rating: Mapping[str, Any], ratings_policy: Mapping[str, Any], calendar: WorkingCalendar) -> Due:
    """When the window for contesting ``rating`` ends: the profile's working days after the visit."""
    period = Period(ratings_policy["contest_working_days"], PeriodUnit.WORKING_DAYS)
    return period_end(rating["at"], period, calendar)


def adjudicated_level(rating: Mapping[str, Any]) -> str:
    """The level as the adjudicated figures count it: the raw one, unless a contest was upheld."""
    contest = rating["contest"]
    return SET_ASIDE if contest and contest["status"] == UPHELD else rating["level"]


def set_aside_rectification(clocks: list[dict[str, Any]], rating_seq: int, at: datetime, seq: int) -> None:
    """An upheld contest leaves nothing to rectify: the rating's rectification stops, if still running."""
    for clock in clocks:
        if clock["name"] == RECTIFICATION and clock["started_by"] == rating_seq and running(clock):
            clock["cancelled_at"], clock["cancelled_by"] = at, seq
            close_pause(clock, at, seq)


def rectification_status(
    rating: Mapping[str, Any], *, started: bool, met_late: bool, stopped: bool, overdue: bool
) -> str | None:
    """Where a rating's rectification stands: None when it started none (not bad, or no follow-through in
    the case's policy); ``on_time`` / ``late`` (rectified); ``set_aside`` (its contest was upheld);
    ``superseded`` (stopped unmet: a later bad rating's rectification took its place); ``overdue`` (its
    period ended unmet); ``pending``."""
    if not started:
        return None
    if rating["rectification"] is not None:
        return "late" if met_late else "on_time"
    if rating["contest"] and rating["contest"]["status"] == UPHELD:
        return SET_ASIDE
    if stopped:
        return "superseded"
    return "overdue" if overdue else "pending"
