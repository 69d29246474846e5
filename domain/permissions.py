"""Who may run which command and read what (docs/http-api.md *Roles*): one table for each, decided first.

Inspectors (纪委监委) and auditors read everything and change no case; a unit
reads and acts only on cases it leads or co-handles; admins are operators.

Commands are keyed by (case kind, command). A grant names the roles allowed
and, for a unit user, which part the unit must play on the case: ``lead``
(承办单位), ``co`` (协办单位), ``party`` (either), or ``department`` (a department
reviewing an approval). Callers check the role
before anything about the case is read, and the unit's part right after the
case is loaded, before its version, its time or its state is looked at — so
an error never tells a caller what it may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.actors import Actor, Role
from domain.errors import NotPermitted, ValidationFailed

_P, _U, _S, _I, _AU, _A = Role.PLATFORM, Role.UNIT, Role.SUPERVISOR, Role.INSPECTOR, Role.AUDITOR, Role.ADMIN
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Grant:
    roles: frozenset[Role]
    # For a unit user: "lead", "co" or "party" (a case), "own" (its own unit's record), None (no condition).
    unit_part: str | None = None


def _g(*roles: Role, part: str | None = None) -> Grant:
    return Grant(frozenset(roles), part)


COMMANDS: dict[tuple[str, str], Grant] = {
    ("appeal", "open"): _g(_P, _A),
    ("appeal", "forward"): _g(_P, _A),
    ("appeal", "acknowledge"): _g(_U, _A, part="lead"),
    ("appeal", "answer"): _g(_U, _A, part="lead"),
    ("appeal", "review"): _g(_P, _A),
    ("appeal", "return"): _g(_P, _A),
    ("appeal", "escalate"): _g(_S, _P, _A),
    ("appeal", "extend"): _g(_U, _P, _A, part="lead"),
    ("appeal", "handback"): _g(_U, _A, part="lead"),
    ("appeal", "rule_handback"): _g(_P, _A),  # 派单异议审核: the platform rules on a hand-back
    ("appeal", "visit"): _g(_P, _A),
    ("appeal", "close"): _g(_P, _A),
    # 并单 and its undoing: the hotline platform decides which calls are one matter.
    ("appeal", "merge"): _g(_P, _A),
    ("appeal", "unmerge"): _g(_P, _A),
    # 联合办理 (004 item 六): the platform marks a case whose responsibility is unclear and records the 联席会议.
    ("appeal", "joint_handling"): _g(_P, _A),
    ("appeal", "joint_meeting"): _g(_P, _A),
    # 协办意见: only a co-handling unit speaks for itself; nobody records it on its behalf.
    ("appeal", "co_opinion"): _g(_U, part="co"),
    # 好差评 follow-through: the rated (lead) unit rectifies and contests; the platform or a supervisor rules.
    ("appeal", "rectify"): _g(_U, _A, part="lead"),
    ("appeal", "contest_rating"): _g(_U, _A, part="lead"),
    ("appeal", "adjudicate_rating"): _g(_P, _S, _A),
    # 首接负责 (直接答复) by the hotline platform; 回头看 by the platform or a supervisor (004 items 六, 十四).
    ("appeal", "direct_answer"): _g(_P, _A),
    ("appeal", "recheck"): _g(_P, _S),
    ("appeal", "sweep"): _g(_P, _A),  # the deadline sweep (docs/http-api.md *Deadlines*)
    # Approvals (审批): the comprehensive window (综合受理窗口) acts as the platform; a department (a unit)
    # gives its own opinion only, and never accepts or delivers (前台受理、后台审批、统一出件, 001 (四)).
    ("approval", "open"): _g(_P, _A),
    ("approval", "request_materials"): _g(_P, _A),
    ("approval", "supply_materials"): _g(_P, _A),
    ("approval", "accept"): _g(_P, _A),
    ("approval", "refuse"): _g(_P, _A),
    ("approval", "forward"): _g(_P, _A),
    ("approval", "answer"): _g(_U, _A, part="department"),
    ("approval", "return"): _g(_P, _A),
    ("approval", "pause"): _g(_P, _A),
    ("approval", "resume"): _g(_P, _A),
    ("approval", "extend"): _g(_P, _A),
    ("approval", "escalate"): _g(_S, _P, _A),
    ("approval", "decide"): _g(_P, _A),
    ("approval", "deliver"): _g(_P, _A),
    ("approval", "revoke"): _g(_P, _A),
    ("approval", "withdraw"): _g(_P, _A),
    ("approval", "sweep"): _g(_P, _A),
}

READS: dict[str, Grant] = {
    "case": Grant(EVERYONE, "party"),
    "case_list": Grant(EVERYONE),  # a unit's list is narrowed to its own cases by the query
    "units": Grant(EVERYONE),
    "ledger": Grant(EVERYONE, "own"),
    "accountability": _g(_I, _AU, _S, _A, _U, part="own"),
    "audit_trail": _g(_AU, _I, _A),
    # Reminders (预警): who was told what and when; a unit reads its own.
    "notices": _g(_AU, _I, _A, _U, part="own"),
    "bulletin": _g(_P, _S, _I, _AU, _A),
    "projections": Grant(EVERYONE),
    # The Merkle log (docs/http-api.md *Verifiable history*): its checkpoints and key for anyone signed in,
    # its proofs and the re-hash of everything for those who audit.
    "checkpoint": Grant(EVERYONE),
    "audit_log": _g(_AU, _I, _A),
}

# Who records what followed a consequence on a unit's accountability record (问责): inspectors (纪委监委)
# record interviews, written self-examinations and referrals; supervisors (督办) open and strike off listed
# supervision; admins may record any.
ACTION_ROLES: dict[str, frozenset[Role]] = {
    "interview_held": frozenset({_I, _A}),
    "self_examination_received": frozenset({_I, _A}),
    "referral_made": frozenset({_I, _A}),
    "listed_supervision_opened": frozenset({_S, _A}),
    "listed_supervision_struck_off": frozenset({_S, _A}),
    # 视情 (004 item 十五): an inspector's or a supervisor's own 通报批评 and 约谈, with a reason
    "criticism_issued": frozenset({_I, _S, _A}),
    "interview_ordered": frozenset({_I, _S, _A}),
}

# The appeal commands by name, for callers that know only appeals.
COMMAND_ROLES: dict[str, frozenset[Role]] = {cmd: g.roles for (kind, cmd), g in COMMANDS.items() if kind == "appeal"}


def check_action_role(action: str, actor: Actor) -> None:
    """The role may record this follow-up on an accountability record (an unknown action is a 422)."""
    if action not in ACTION_ROLES:
        raise ValidationFailed({"action": f"one of {', '.join(ACTION_ROLES)}"}, zh={"action": "请选择后续处理的类型"})
    if actor.role not in ACTION_ROLES[action]:
        raise NotPermitted(f"role {actor.role.value} may not record {action}")


def listing_unit(actor: Actor) -> str | None:
    """Whose cases ``actor`` may list (the API's lists, the inbox, its CSV): a unit user only those of its own
    unit, anyone else every case (None)."""
    return actor.unit if actor.role is Role.UNIT else None


def check_command_role(command: str, actor: Actor, kind: str = "appeal") -> None:
    """The role may run the command at all: checked before the case is even loaded."""
    if actor.role not in COMMANDS[(kind, command)].roles:
        raise NotPermitted(f"role {actor.role.value} may not {command} an {kind}")


def check_command_part(
    command: str, actor: Actor, lead_unit: str | None, co_units: Iterable[str], kind: str = "appeal"
) -> None:
    """A unit user plays the part on the case the command needs (lead, co-handling or either).

    Like every refusal here, it says what the caller may not do and nothing about the case: not its
    number (which gives the day it was received), nor who handles it."""
    _check_part(COMMANDS[(kind, command)].unit_part, actor, lead_unit, co_units, command, kind)


def check_read(what: str, actor: Actor, *, unit: str | None = None) -> None:
    """The role may read this kind of record; for ``own`` records, a unit reads only its own."""
    grant = READS[what]
    if actor.role not in grant.roles:
        raise NotPermitted(f"role {actor.role.value} may not read the {what.replace('_', ' ')}")
    if grant.unit_part == "own" and actor.role is Role.UNIT and actor.unit != unit:
        raise NotPermitted(f"unit {actor.unit} may read only its own {what.replace('_', ' ')}")


def check_case_read(actor: Actor, lead_unit: str | None, co_units: Iterable[str]) -> None:
    """A unit sees only cases it leads or co-handles (docs/http-api.md *Roles*); the refusal names no case."""
    check_read("case", actor)
    if not may_read(actor, lead_unit, co_units):
        raise NotPermitted(f"unit {actor.unit} may read only the cases it leads or co-handles")


def may_read(actor: Actor, lead_unit: str | None, co_units: Iterable[str]) -> bool:
    return actor.role is not Role.UNIT or _plays(actor.unit, READS["case"].unit_part, lead_unit, co_units)


def _plays(unit: str | None, part: str | None, lead_unit: str | None, co_units: Iterable[str]) -> bool:
    if unit is None:
        return False
    if part == "lead":
        return unit == lead_unit
    if part in ("co", "department"):
        return unit in co_units
    return unit == lead_unit or unit in co_units


_PART_NAMES = {
    "lead": "the lead handling unit (承办单位)",
    "co": "a co-handling unit (协办单位)",
    "party": "the lead or a co-handling unit",
    "department": "a reviewing department (审批部门)",
}


def _check_part(
    part: str | None, actor: Actor, lead_unit: str | None, co_units: Iterable[str], command: str, kind: str
) -> None:
    if part is None or actor.role is not Role.UNIT:
        return
    co_units = list(co_units)
    if not _plays(actor.unit, part, lead_unit, co_units):
        if not _plays(actor.unit, "party", lead_unit, co_units):
            raise NotPermitted(f"unit {actor.unit} may act only on the cases it leads or co-handles")
        raise NotPermitted(f"only {_PART_NAMES[part]} of an {kind} may {command} it")
