"""Deadline clocks (时限) of one case, as plain data kept in the aggregate.

A profile's deadline rule says which event starts it and which event(s) meet
it. An event that starts a rule supersedes any instance of it still running
(a re-forward or a return restarts the unit's period); each instance keeps
the sequence number of the event that started, met or cancelled it, which is
the evidence later accountability rules cite.

A rule with ``per = "department"`` runs one clock per department it is
started for, named ``rule@department`` (joint review, 联审联办, 002 items 7-10:
several departments review in parallel and each answers for itself); the
answer of one department meets only that department's clock.

Clocks hold only what happened; due times come from ``evaluate`` with the
working-day calendar of the moment, so loading a newly published year
corrects provisional deadlines without touching recorded events. Time not
counted (行政许可法 第45条) is kept as pauses: domain.deadlines.pauses.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.pauses import (
    close_pause,
    is_paused,
    pause_running,
    pause_summaries,
    paused_due,
    paused_since,
    resume_paused,
    running,
    working_days_in,
)
from domain.deadlines.periods import SHANGHAI, Due, Period, PeriodUnit, period_end, working_days_between

__all__ = [
    "Clock",
    "DeadlineState",
    "bind_open",
    "cancel_open",
    "due_of",
    "evaluate",
    "extend_open",
    "is_paused",
    "mark_missed",
    "meet_clocks",
    "met_late",
    "open_clock",
    "open_clocks_of",
    "pause_running",
    "paused_since",
    "reopen_clocks",
    "restart_cancelled",
    "resume_paused",
    "start_clocks",
    "working_days_in",
]

Clock = dict[str, Any]


def reopen_clocks(clocks: list[Clock], rules: Sequence[Mapping[str, Any]], event: str, at: datetime, seq: int) -> None:
    """A met deadline runs on again from its old start when the answer that met it is sent back.

    Otherwise a unit could stop the clock with a flawed final answer (退回重办).
    """
    for rule in rules:
        if event not in rule.get("reopened_by", ()):
            continue
        latest = next((c for c in reversed(clocks) if c["name"] == rule["name"]), None)
        if latest is not None and latest["met_at"] is not None:
            latest["reopened"].append({"at": at, "seq": seq, "was_met_at": latest["met_at"]})
            latest["met_at"] = latest["met_seq"] = None


def start_clocks(
    clocks: list[Clock],
    rules: Sequence[Mapping[str, Any]],
    event: str,
    at: datetime,
    seq: int,
    unit: str | None = None,
    departments: Sequence[str] | None = None,
) -> None:
    """Starts each rule that ``event`` starts; ``unit`` is the unit it binds (None: the platform),
    unless the rule says whom it binds (``binds``: "platform", or "unit" — the case's unit, once it has one).

    A rule with ``per = "department"`` starts one clock for each of ``departments`` (none without
    them), which binds that department; restarting it for some departments leaves the others running.
    """
    for rule in rules:
        if event not in rule["starts_on"]:
            continue
        if rule.get("per") == "department":
            for department in dict.fromkeys(departments or ()):
                _start(clocks, rule, f"{rule['name']}@{department}", department, None, at, seq)
        else:
            binds = rule.get("binds")
            _start(clocks, rule, rule["name"], None if binds == "platform" else unit, binds, at, seq)


def _start(
    clocks: list[Clock], rule: Mapping[str, Any], name: str, unit: str | None, binds: str | None, at: datetime, seq: int
) -> None:
    running_clock = open_clock(clocks, name)
    if running_clock is not None:
        running_clock["cancelled_at"], running_clock["cancelled_by"] = at, seq
        close_pause(running_clock, at, seq)
    rounds = sum(1 for c in clocks if c["name"] == name)
    clocks.append(
        {
            "name": name,
            "rule": rule["name"],
            "per": rule.get("per"),
            "round": rounds + 1,
            "title": rule["title"],
            "source": rule["source"],
            "unit": unit,
            "binds": binds,
            "met_by": rule["met_by"],
            "length": rule["length"],
            "period_unit": rule["unit"],
            "cutoff": rule.get("cutoff"),
            "extended": 0,
            "started_at": at,
            "started_by": seq,
            "met_at": None,
            "met_seq": None,
            "cancelled_at": None,
            "cancelled_by": None,
            "reopened": [],
            "pauses": [],
        }
    )


def bind_open(clocks: list[Clock], unit: str) -> None:
    """A running deadline whose rule binds the unit (``binds = "unit"``) binds the unit the case is
    forwarded to, however it was started (004 item 二: the window's 5 WD run from registration, and
    the unit that is handed the case answers for them)."""
    for clock in clocks:
        if clock.get("binds") == "unit" and clock["met_at"] is None and clock["cancelled_at"] is None:
            clock["unit"] = unit


def meet_clocks(clocks: list[Clock], event: str, attrs: Mapping[str, Any], at: datetime, seq: int) -> None:
    """Meets each running clock one of whose conditions ``event`` and ``attrs`` fulfil; a clock per
    department only when ``attrs["department"]`` is its department. A paused clock met stops being paused."""
    for clock in clocks:
        if not running(clock):
            continue
        if clock.get("per") == "department" and attrs.get("department") != clock["unit"]:
            continue
        if any(
            cond["event"] == event and all(attrs.get(k) == v for k, v in cond.items() if k != "event")
            for cond in clock["met_by"]
        ):
            clock["met_at"], clock["met_seq"] = at, seq
            close_pause(clock, at, seq)


def cancel_open(clocks: list[Clock], at: datetime, seq: int, keep: Sequence[str] = ()) -> None:
    """Stops every running clock but those of the rules in ``keep``, which outlive the act."""
    for clock in clocks:
        if running(clock) and clock.get("rule", clock["name"]) not in keep:
            clock["cancelled_at"], clock["cancelled_by"] = at, seq
            close_pause(clock, at, seq)


def restart_cancelled(
    clocks: list[Clock], cancelled_by: int, at: datetime, seq: int, skip: Collection[str] = ()
) -> None:
    """Each clock the event ``cancelled_by`` stopped runs again as a new round of its full period from
    ``at``, binding the same unit, with the extension it had been granted (an unmerge, 撤销并单: the
    time the case spent merged into another was nobody's to answer for); not those of the rules in ``skip``."""
    stopped = [c for c in clocks if c["cancelled_by"] == cancelled_by and c["met_at"] is None]
    for clock in [c for c in stopped if c.get("rule", c["name"]) not in skip]:
        rule = {
            "name": clock.get("rule", clock["name"]),
            "per": clock.get("per"),
            "title": clock["title"],
            "source": clock["source"],
            "met_by": clock["met_by"],
            "length": clock["length"],
            "unit": clock["period_unit"],
            "cutoff": clock["cutoff"],
        }
        _start(clocks, rule, clock["name"], clock["unit"], clock.get("binds"), at, seq)
        clocks[-1]["extended"] = clock["extended"]


def open_clock(clocks: Sequence[Clock], name: str) -> Clock | None:
    for clock in reversed(clocks):
        if clock["name"] == name and clock["met_at"] is None and clock["cancelled_at"] is None:
            return clock
    return None


@dataclass(frozen=True)
class ExtensionOffer:
    """What an extension (延期) would move now: the deadline, when it is due, and when it would be due after
    each number of working days the profile still allows (``dues[n - 1]`` after ``n``)."""

    deadline: str
    title: str
    due: datetime
    dues: tuple[datetime, ...]


def extension_offer(
    clocks: Sequence[Clock], deadline: str, room: int, calendar: WorkingCalendar, now: datetime
) -> ExtensionOffer | None:
    """What extending the running clock ``deadline`` by 1 to ``room`` working days would make it; None when
    it is not running or nothing is left to extend (the extension is then refused, with its reason)."""
    clock = open_clock(clocks, deadline)
    if clock is None or room < 1:
        return None
    dues = tuple(due_of({**clock, "extended": clock["extended"] + n}, calendar, now).due for n in range(1, room + 1))
    return ExtensionOffer(clock["name"], clock["title"], due_of(clock, calendar, now).due, dues)


def open_clocks_of(clocks: Sequence[Clock], rule_name: str) -> list[Clock]:
    """The running clocks of one rule: one for an ordinary rule, one per department for a ``per`` rule."""
    # Clocks recorded before the "rule" key existed are named after their rule.
    return [c for c in clocks if c.get("rule", c["name"]) == rule_name and running(c)]


def mark_missed(clocks: list[Clock], name: str, round_: int, seq: int) -> None:
    for clock in clocks:
        if clock["name"] == name and clock["round"] == round_:
            clock["missed_seq"] = seq


def extend_open(clocks: list[Clock], name: str, length: int) -> None:
    clock = open_clock(clocks, name)
    if clock is not None:
        clock["extended"] += length


@dataclass(frozen=True)
class DeadlineState:
    """One deadline as it stands at ``now``: when due, whether met, whether overdue.

    A paused clock (行政许可法 第45条) is never overdue; its due time is shown as if it resumed at
    ``now``. ``pauses`` lists each pause as reason, from, to (None while open) and the working
    days it takes out of the period (an open one counted to ``now``).
    """

    name: str
    title: str
    source: str
    round: int
    unit: str | None
    started_at: datetime
    due: datetime
    ends_at: datetime
    length: int
    period_unit: str
    extended: int
    met_at: datetime | None
    cancelled_at: datetime | None
    overdue: bool
    met_late: bool
    provisional: bool
    started_by: int
    met_seq: int | None
    missed_seq: int | None = None  # the DeadlineMissed event that recorded it overdue
    not_binding: bool = False  # ended by an upheld hand-back (domain.appeals.handback): never missed
    paused: bool = False
    pauses: tuple[dict[str, Any], ...] = ()


def due_of(clock: Clock, calendar: WorkingCalendar, now: datetime | None = None) -> Due:
    """When one clock's period (extensions included, pauses not counted: 行政许可法 第45条) expires.

    An open pause is counted as ending at ``now``; without a ``now`` it is counted as ending where it
    began, so it moves nothing yet — the due time of a clock still paused is not known, and a caller
    that must tell asks ``paused_since``.
    """
    period = _period(clock["length"] + clock["extended"], clock["period_unit"], clock["cutoff"])
    pauses = clock.get("pauses", ())
    if not pauses:
        return period_end(clock["started_at"], period, calendar)
    return paused_due(clock["started_at"], period, pauses, calendar, now)


def ended_by(ends_at: datetime | None, at: datetime) -> bool:
    """Whether a period ending at ``ends_at`` (``Due.ends_at``) had ended by ``at``: the one test behind both
    verdicts, "overdue" (``is_overdue``) and "met late" (``met_late``). The read models' SQL asks the same
    (``adapters.views.verdicts``)."""
    return ends_at is not None and ends_at <= at


def is_overdue(
    ends_at: datetime | None, now: datetime, stopped_at: datetime | None = None, paused: bool = False
) -> bool:
    """Overdue (逾期): the period ended before the deadline was met or stopped, or before ``now`` while it still
    runs. A paused deadline (行政许可法 第45条) is never overdue."""
    return not paused and ended_by(ends_at, stopped_at or now)


def met_late(clock: Clock, calendar: WorkingCalendar) -> bool:
    """Whether the clock was met after its period had ended (``DeadlineState.met_late``)."""
    return clock["met_at"] is not None and ended_by(due_of(clock, calendar).ends_at, clock["met_at"])


def evaluate(clocks: Sequence[Clock], calendar: WorkingCalendar, now: datetime) -> list[DeadlineState]:
    states = []
    for c in clocks:
        due = due_of(c, calendar, now)
        paused = paused_since(c) is not None
        stopped = c["met_at"] or c["cancelled_at"]
        states.append(
            DeadlineState(
                name=c["name"],
                title=c["title"],
                source=c["source"],
                round=c["round"],
                unit=c["unit"],
                started_at=c["started_at"],
                due=due.due,
                ends_at=due.ends_at,
                length=c["length"],
                period_unit=c["period_unit"],
                extended=c["extended"],
                met_at=c["met_at"],
                cancelled_at=c["cancelled_at"],
                overdue=is_overdue(due.ends_at, now, stopped, paused),
                met_late=c["met_at"] is not None and ended_by(due.ends_at, c["met_at"]),
                provisional=due.provisional,
                started_by=c["started_by"],
                met_seq=c["met_seq"],
                missed_seq=c.get("missed_seq"),
                not_binding=bool(c.get("not_binding")),
                paused=paused,
                pauses=pause_summaries(c, calendar, now) if c.get("pauses") else (),
            )
        )
    return states


def _period(length: int, unit: str, cutoff: str | None) -> Period:
    """The ``Period`` of a clock, built (and validated) once per length, unit and cut-off:
    read models evaluate every case's clocks after each of its events."""
    key = (length, unit, cutoff)
    period = _PERIODS.get(key)
    if period is None:
        if len(_PERIODS) > 10_000:
            _PERIODS.clear()
        period = _PERIODS[key] = Period(length, PeriodUnit(unit), time.fromisoformat(cutoff) if cutoff else None)
    return period


_PERIODS: dict[tuple[int, str, str | None], Period] = {}


def working_days_left(due: datetime, calendar: WorkingCalendar, now: datetime) -> int:
    """Working days from ``now`` to ``due`` (剩余工作日), counted on Asia/Shanghai days: the working days
    after today up to the due day (0: due today); once the due day has passed, minus the working days
    since then (超期工作日)."""
    today, due_day = now.astimezone(SHANGHAI).date(), due.astimezone(SHANGHAI).date()
    if due_day >= today:
        return working_days_between(today, due_day, calendar)
    return -working_days_between(due_day, today, calendar)
