"""Deadline clocks (时限) of one case, as plain data kept in the aggregate.

A profile's deadline rule says which event starts it and which event(s) meet
it. An event that starts a rule supersedes any instance of it still running
(a re-forward or a return restarts the unit's period); each instance keeps
the sequence number of the event that started, met or cancelled it, which is
the evidence later accountability rules cite.

Clocks hold only what happened; due times come from ``evaluate`` with the
working-day calendar of the moment, so loading a newly published year
corrects provisional deadlines without touching recorded events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from domain.calendar import WorkingCalendar
from domain.deadlines import Due, Period, period_end

Clock = dict[str, Any]


def reopen_clocks(clocks: list[Clock], rules: Sequence[Mapping[str, Any]], event: str,
                  at: datetime, seq: int) -> None:
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


def start_clocks(clocks: list[Clock], rules: Sequence[Mapping[str, Any]], event: str,
                 at: datetime, seq: int, unit: str | None = None) -> None:
    """Starts each rule that ``event`` starts; ``unit`` is the unit it binds (None: the platform),
    unless the rule says whom it binds (``binds``: "platform", or "unit" — the case's unit, once it has one)."""
    for rule in rules:
        if event not in rule["starts_on"]:
            continue
        running = open_clock(clocks, rule["name"])
        if running is not None:
            running["cancelled_at"], running["cancelled_by"] = at, seq
        rounds = sum(1 for c in clocks if c["name"] == rule["name"])
        binds = rule.get("binds")
        clocks.append({
            "name": rule["name"], "round": rounds + 1, "title": rule["title"], "source": rule["source"],
            "unit": None if binds == "platform" else unit, "binds": binds,
            "met_by": rule["met_by"], "length": rule["length"], "period_unit": rule["unit"],
            "cutoff": rule.get("cutoff"), "extended": 0, "started_at": at, "started_by": seq,
            "met_at": None, "met_seq": None, "cancelled_at": None, "cancelled_by": None, "reopened": [],
        })


def bind_open(clocks: list[Clock], unit: str) -> None:
    """A running deadline whose rule binds the unit (``binds = "unit"``) binds the unit the case is
    forwarded to, however it was started (004 item 二: the window's 5 WD run from registration, and
    the unit that is handed the case answers for them)."""
    for clock in clocks:
        if clock.get("binds") == "unit" and clock["met_at"] is None and clock["cancelled_at"] is None:
            clock["unit"] = unit


def meet_clocks(clocks: list[Clock], event: str, attrs: Mapping[str, Any], at: datetime, seq: int) -> None:
    for clock in clocks:
        if clock["met_at"] is None and clock["cancelled_at"] is None and any(
            cond["event"] == event and all(attrs.get(k) == v for k, v in cond.items() if k != "event")
            for cond in clock["met_by"]
        ):
            clock["met_at"], clock["met_seq"] = at, seq


def cancel_open(clocks: list[Clock], at: datetime, seq: int) -> None:
    for clock in clocks:
        if clock["met_at"] is None and clock["cancelled_at"] is None:
            clock["cancelled_at"], clock["cancelled_by"] = at, seq


def open_clock(clocks: Sequence[Clock], name: str) -> Clock | None:
    for clock in reversed(clocks):
        if clock["name"] == name and clock["met_at"] is None and clock["cancelled_at"] is None:
            return clock
    return None


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
    """One deadline as it stands at ``now``: when due, whether met, whether overdue."""

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


def due_of(clock: Clock, calendar: WorkingCalendar) -> Due:
    """When one clock's period (extensions included) expires."""
    return period_end(clock["started_at"], _period(clock["length"] + clock["extended"], clock["period_unit"],
                                                   clock["cutoff"]), calendar)


def met_late(clock: Clock, calendar: WorkingCalendar) -> bool:
    """Whether the clock was met after its period had ended (``DeadlineState.met_late``)."""
    return clock["met_at"] is not None and not due_of(clock, calendar).is_met_by(clock["met_at"])


def evaluate(clocks: Sequence[Clock], calendar: WorkingCalendar, now: datetime) -> list[DeadlineState]:
    states = []
    for c in clocks:
        due = due_of(c, calendar)
        stopped = c["met_at"] or c["cancelled_at"]
        states.append(DeadlineState(
            name=c["name"], title=c["title"], source=c["source"], round=c["round"], unit=c["unit"],
            started_at=c["started_at"], due=due.due, ends_at=due.ends_at, length=c["length"],
            period_unit=c["period_unit"], extended=c["extended"], met_at=c["met_at"], cancelled_at=c["cancelled_at"],
            overdue=not due.is_met_by(stopped or now),
            met_late=c["met_at"] is not None and not due.is_met_by(c["met_at"]),
            provisional=due.provisional, started_by=c["started_by"], met_seq=c["met_seq"],
            missed_seq=c.get("missed_seq"),
        ))
    return states


def _period(length: int, unit: str, cutoff: str | None) -> Period:
    """The ``Period`` of a clock, built (and validated) once per length, unit and cut-off:
    read models evaluate every case's clocks after each of its events."""
    key = (length, unit, cutoff)
    period = _PERIODS.get(key)
    if period is None:
        if len(_PERIODS) > 10_000:
            _PERIODS.clear()
        period = _PERIODS[key] = Period(length, unit, time.fromisoformat(cutoff) if cutoff else None)
    return period


_PERIODS: dict[tuple[int, str, str | None], Period] = {}
