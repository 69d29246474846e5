"""The ruling on a hand-back (派单异议审核 / 退单 / 改派, 国办函〔2025〕66号), on the clocks of one appeal.

A unit that finds a case misrouted asks to hand it back (HandbackRequested); the platform rules
(HandbackRuled). While the request waits, the deadline sweep records no miss of the requesting unit's
clocks on the case: they are *held* (``held``). The ruling settles them:

- upheld (同意退单): the dispatch was wrong, so those clocks end as not binding (``end_not_binding``):
  cancelled, marked ``not_binding``, never missed. The case goes back to the platform to be dispatched
  again (改派), in the same act or later; the unit it goes to gets fresh clocks from that moment,
  the rules its forwarding starts and, for those it does not (a period that runs from registration and
  binds whoever is handed the case), a fresh round of each clock the ruling ended (``refresh``).
- refused (不同意退单): an objection buys no time. The unit's clocks ran all along; each that ended
  while it waited is recorded missed as of its own due time (``held_back``), as the sweep would have.

The time a unit waits for a ruling it was right to ask for never counts against it (RULES §1.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.deadlines.calendar import WorkingCalendar
from domain.deadlines.clocks import Clock, DeadlineState, ended_by, evaluate, restart_cancelled
from domain.deadlines.pauses import close_pause, running

# How the DeadlineMissed of a miss held back while a hand-back waited is told from the sweep's own.
FOUND_BY_HELD_BACK = "held_back"


def pending(handback: Mapping[str, Any] | None) -> bool:
    """Whether a hand-back awaits its ruling."""
    return handback is not None and handback.get("ruling") is None


def held(clock: Clock, handback: Mapping[str, Any] | None) -> bool:
    """Whether the sweep holds back a miss of this clock: it binds the unit whose hand-back awaits its ruling."""
    return pending(handback) and clock["unit"] is not None and clock["unit"] == handback["unit"]  # type: ignore[index]


def held_back(
    clocks: Sequence[Clock], handback: Mapping[str, Any], calendar: WorkingCalendar, at: datetime
) -> list[DeadlineState]:
    """The misses a refusal records: each clock held for the unit, running and unrecorded, whose period
    had ended by ``at`` (the ruling's time) — exactly those the sweep would have recorded meanwhile."""
    return [
        state
        for clock, state in zip(clocks, evaluate(clocks, calendar, at))
        if held(clock, handback)
        and running(clock)
        and not clock.get("missed_seq")
        and not state.paused
        and ended_by(state.ends_at, at)
    ]


def end_not_binding(clocks: list[Clock], unit: str, at: datetime, seq: int) -> None:
    """An upheld hand-back: every running clock binding ``unit`` ends, as not binding (never missed)."""
    for clock in clocks:
        if running(clock) and clock["unit"] == unit:
            clock["cancelled_at"], clock["cancelled_by"], clock["not_binding"] = at, seq, True
            close_pause(clock, at, seq)


def refresh(
    clocks: list[Clock], rules: Sequence[Mapping[str, Any]], ruled_seq: int, unit: str, at: datetime, seq: int
) -> None:
    """A re-forward after an upheld hand-back: each clock the ruling ended whose rule the forwarding does not
    start itself runs as a fresh round of its full period from ``at``, binding ``unit``."""
    started = {r["name"] for r in rules if "Forwarded" in r["starts_on"]}
    restart_cancelled(clocks, ruled_seq, at, seq, skip=started)
    for clock in clocks:
        if clock["started_by"] == seq and running(clock) and clock["unit"] is not None:
            clock["unit"], clock["extended"] = unit, 0  # the new unit's own period: no extension of the old
