"""Who may run which command (API.md *Auth*).

Inspectors (纪委监委) and auditors read everything and change no case; a unit
reads and acts only on cases it leads or co-handles; admins are operators.
"""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.errors import NotPermitted

_P, _U, _S, _A = Role.PLATFORM, Role.UNIT, Role.SUPERVISOR, Role.ADMIN

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "open": frozenset({_P, _A}),
    "forward": frozenset({_P, _A}),
    "acknowledge": frozenset({_U, _A}),
    "answer": frozenset({_U, _A}),
    "review": frozenset({_P, _A}),
    "return": frozenset({_P, _A}),
    "escalate": frozenset({_S, _P, _A}),
    "extend": frozenset({_U, _P, _A}),
    "handback": frozenset({_U, _A}),
    "visit": frozenset({_P, _A}),
    "close": frozenset({_P, _A}),
    "sweep": frozenset({_P, _A}),  # the deadline sweep (API.md *Deadlines*)
}


def check_command_role(command: str, actor: Actor) -> None:
    if actor.role not in COMMAND_ROLES[command]:
        raise NotPermitted(f"role {actor.role.value} may not {command} an appeal")


def may_read(actor: Actor, lead_unit: str | None, co_units: list[str]) -> bool:
    if actor.role is Role.UNIT:
        return actor.unit is not None and (actor.unit == lead_unit or actor.unit in co_units)
    return True
