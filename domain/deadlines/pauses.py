"""Pauses of deadline clocks: time not counted in a period (行政许可法 第45条).

行政许可法 第45条: when a licensing decision needs by law a hearing (听证),
tender (招标), auction (拍卖), test (检验、检测), quarantine (检疫), appraisal
(鉴定) or expert review (专家评审), the time it takes is not counted in the
decision's time limit. A pause is counted by Asia/Shanghai dates:
paused on day P, resumed on day R, the period runs on later by the working
days in [P, R) — the day of the pause is not counted, the day of resumption is.

A clock keeps only the facts of each pause (``pauses``: reason, the instant
and event sequence number that began and ended it); how far the pauses move
its due time is computed here with the calendar of the moment, like every due
time, so a year's schedule loaded later recounts the pauses too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.periods import SHANGHAI, Due, Period, PeriodUnit, add_months, period_end

Clock = dict[str, Any]
Pause = dict[str, Any]

_ONE_DAY = timedelta(days=1)


def pause_running(
    clocks: list[Clock], reason: str, at: datetime, seq: int, only: Collection[str] | None = None
) -> None:
    """Every running clock (not met, not cancelled) stops counting from ``at`` (行政许可法 第45条);
    with ``only``, just the clocks of those names — the command decides, and its event records,
    which clocks still had time to pause (a period that has already ended is not given more).

    A clock already paused keeps its one open pause: a second ground at the same time (a test
    during an expert review) takes the same days out once, not twice.
    """
    for clock in clocks:
        if running(clock) and open_pause(clock) is None and (only is None or clock["name"] in only):
            # Clocks recorded before pauses existed have no "pauses" list until their first pause.
            clock.setdefault("pauses", []).append(
                {"reason": reason, "from": at, "from_seq": seq, "to": None, "to_seq": None}
            )


def resume_paused(clocks: list[Clock], at: datetime, seq: int) -> None:
    """Every paused clock counts again from ``at``; the day of ``at`` counts."""
    for clock in clocks:
        close_pause(clock, at, seq)


def close_pause(clock: Clock, at: datetime, seq: int) -> None:
    """Ends the clock's open pause, if any, at ``at`` (a clock met or cancelled stops being paused)."""
    pause = open_pause(clock)
    if pause is not None:
        pause["to"], pause["to_seq"] = at, seq


def is_paused(clocks: Sequence[Clock]) -> bool:
    """Whether any clock has an open pause."""
    return any(open_pause(c) is not None for c in clocks)


def paused_since(clock: Clock) -> datetime | None:
    """When the clock's open pause began, or None if it is not paused.

    A paused clock has no end yet (it cannot be overdue while paused): a read model indexing
    clocks for the deadline sweep stores no end for it rather than ``due_of``'s provisional one.
    """
    pause = open_pause(clock)
    return None if pause is None else pause["from"]


def open_pause(clock: Mapping[str, Any]) -> Pause | None:
    # ``pause_running`` never opens a second pause on a paused clock, so only the last can be open.
    pauses: Sequence[Pause] = clock.get("pauses", ())
    if pauses and pauses[-1]["to"] is None:
        return pauses[-1]
    return None


def running(clock: Mapping[str, Any]) -> bool:
    return clock["met_at"] is None and clock["cancelled_at"] is None


def working_days_in(start_day: date, end_day_exclusive: date, calendar: WorkingCalendar) -> int:
    """Working days d with ``start_day <= d < end_day_exclusive`` (0 if the range is empty): what a
    pause from ``start_day`` to ``end_day_exclusive`` takes out of a working-day period (行政许可法 第45条)."""
    count = 0
    day = start_day
    while day < end_day_exclusive:
        count += calendar.is_working_day(day)
        day += _ONE_DAY
    return count


def paused_due(
    start: datetime,
    period: Period,
    pauses: Sequence[Mapping[str, Any]],
    calendar: WorkingCalendar,
    now: datetime | None = None,
) -> Due:
    """When ``period`` from ``start`` expires with ``pauses`` not counted (行政许可法 第45条).

    Working days: the last day moves on by the working days in [P, R) of every pause (the same as a
    period that many working days longer). Calendar days and months: by the days R - P, a calendar-day
    period then ending on a working day as 民法典 第203条 says. Hours: by the time paused.
    An open pause ends at ``now``, or without a ``now`` at its own start (it moves nothing yet).
    """
    spans = [_span(p, now) for p in pauses]
    unit = period.unit
    if unit is PeriodUnit.HOURS:
        unpaused = period_end(start, period, calendar)
        return Due(
            unpaused.ends_at + sum((to - from_ for from_, to in spans), timedelta()),
            provisional=False,
            exact_instant=True,
        )
    days = [(_local_day(from_), _local_day(to)) for from_, to in spans]
    if unit is PeriodUnit.WORKING_DAYS:
        shift = sum(working_days_in(p, r, calendar) for p, r in days)
        due = period_end(start, Period(period.length + shift, unit, period.cutoff), calendar)
        # A pause counted on weekdays only (its year unpublished) makes the shift a guess too.
        if not due.provisional and any(_touches_unpublished(p, r, calendar) for p, r in days):
            return Due(due.ends_at, provisional=True)
        return due
    shift = sum((r - p).days for p, r in days)
    if unit is PeriodUnit.CALENDAR_DAYS:
        # The days are added before the end is moved off a rest day (民法典 第203条), not after.
        return period_end(start, Period(period.length + shift, unit, period.cutoff), calendar)
    last_day = add_months(_local_day(start), period.length) + timedelta(days=shift)
    if period.cutoff is None:
        return Due(datetime.combine(last_day + _ONE_DAY, time(0), tzinfo=SHANGHAI), provisional=False)
    return Due(datetime.combine(last_day, period.cutoff, tzinfo=SHANGHAI), provisional=False)


def pause_summaries(
    clock: Mapping[str, Any], calendar: WorkingCalendar, now: datetime | None
) -> tuple[dict[str, Any], ...]:
    """Each pause as ``DeadlineState.pauses`` shows it: reason, from, to (None while open) and the
    working days it takes out, an open pause counted to ``now``."""
    summaries = []
    for pause in clock.get("pauses", ()):
        from_, to = _span(pause, now)
        summaries.append(
            {
                "reason": pause["reason"],
                "from": pause["from"],
                "to": pause["to"],
                "working_days": working_days_in(_local_day(from_), _local_day(to), calendar),
            }
        )
    return tuple(summaries)


def _span(pause: Mapping[str, Any], now: datetime | None) -> tuple[datetime, datetime]:
    from_ = pause["from"]
    to = pause["to"]
    if to is None:
        to = now if now is not None else from_
    # A resumption recorded before its pause (backfilled out of order) takes nothing out.
    return from_, max(to, from_)


def _local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def _touches_unpublished(first: date, end_exclusive: date, calendar: WorkingCalendar) -> bool:
    if end_exclusive <= first:
        return False
    last = end_exclusive - _ONE_DAY
    return any(not calendar.is_published(year) for year in range(first.year, last.year + 1))
