"""What a user may do on a case now, and if not, why: asked of the commands themselves.

Every command decides in the same order: who may run it (domain.permissions, by role and by the
unit's part on the case), then what the case's state allows (``NotAllowedInState``), and only then
whether its input is good (``ValidationFailed``). So a command asked on a throwaway copy of the
case with no input at all answers the question a form needs before it is filled in: a refusal by
state is the reason the action is not open now; a refusal of the (missing) input, or none, means it
is open. (A limit used up, ``LimitReached``, refuses any input: it closes the action too.) No rule
is restated here, and nothing is saved: the copy and its events are dropped.

Each case kind lists its actions in ``PROBES``: an action's name, the command whose permission it
needs, and how to ask the command with no input (a name may narrow a command to one of its choices,
as ``answer_initial`` asks for an initial answer, 初步处理情况).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.actors import Actor
from domain.deadlines.calendar import WorkingCalendar
from domain.errors import LimitReached, NotAllowedInState, NotPermitted, ValidationFailed
from domain.permissions import check_command_part, check_command_role

# (case copy, actor, calendar, now) -> None: the command with no input.
Probe = Callable[[Any, Actor, WorkingCalendar, datetime], None]


@dataclass(frozen=True)
class Action:
    name: str
    command: str  # the command's key in domain.permissions
    permitted: bool  # the actor's role and part on the case allow the command at all
    refusal: NotAllowedInState | LimitReached | None = None  # why the case does not allow it now

    @property
    def open(self) -> bool:
        return self.permitted and self.refusal is None


def case_actions(
    case: Any, actor: Actor, probes: Mapping[str, tuple[str, Probe]], calendar: WorkingCalendar, now: datetime
) -> dict[str, Action]:
    """Every action of ``probes`` for ``actor`` on ``case`` at ``now``, by name, in the table's order."""
    found: dict[str, Action] = {}
    for name, (command, probe) in probes.items():
        try:
            check_command_role(command, actor, case.KIND)
            check_command_part(command, actor, case.lead_unit, case.other_units, case.KIND)
        except NotPermitted:
            found[name] = Action(name, command, permitted=False)
            continue
        found[name] = Action(name, command, permitted=True, refusal=_state_refusal(case, actor, probe, calendar, now))
    return found


def _state_refusal(
    case: Any, actor: Actor, probe: Probe, calendar: WorkingCalendar, now: datetime
) -> NotAllowedInState | LimitReached | None:
    try:
        probe(copy.deepcopy(case), actor, calendar, now)
    except (NotAllowedInState, LimitReached) as refused:
        return refused
    except (ValidationFailed, NotPermitted):
        return None  # the state allows it; the input (none yet) or who it is for is the form's to give
    return None
