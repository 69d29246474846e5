"""The role x command matrix of docs/http-api.md *Roles*, written out independently of domain/permissions.py."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from domain.errors import NotPermitted
from domain.permissions import COMMAND_ROLES, READS, check_command_part, check_command_role, check_read, may_read

EXPECTED = {  # command: roles allowed
    "open": "platform admin",
    "forward": "platform admin",
    "acknowledge": "unit admin",
    "answer": "unit admin",
    "review": "platform admin",
    "return": "platform admin",
    "escalate": "supervisor platform admin",
    "extend": "unit platform admin",
    "handback": "unit admin",
    "rule_handback": "platform admin",  # 派单异议审核
    "visit": "platform admin",
    "close": "platform admin",
    "sweep": "platform admin",  # docs/http-api.md *Deadlines*
    "co_opinion": "unit",  # only a co-handling unit of the case
    "merge": "platform admin",
    "unmerge": "platform admin",  # 并单, the hotline platform's act
    # 好差评: the rated unit rectifies and contests; the platform or a supervisor rules
    "rectify": "unit admin",
    "contest_rating": "unit admin",
    "adjudicate_rating": "supervisor platform admin",
    # 联合办理 (004 item 六): the platform marks the case and records the joint meetings
    "joint_handling": "platform admin",
    "joint_meeting": "platform admin",
    # 首接负责 by the hotline platform; 回头看 by the platform or a supervisor (API.md Hotline flow, v1.2)
    "direct_answer": "platform admin",
    "recheck": "platform supervisor",
}


def actor(role: Role) -> Actor:
    return Actor(f"user.{role.value}", role, "UNIT-A" if role is Role.UNIT else None)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_role_may_run_exactly_its_commands(role, command):
    if role.value in EXPECTED[command].split():
        check_command_role(command, actor(role))
    else:
        with pytest.raises(NotPermitted, match=f"role {role.value} may not {command}"):
            check_command_role(command, actor(role))


def test_every_command_is_in_the_matrix():
    assert set(COMMAND_ROLES) == set(EXPECTED)


def test_inspectors_and_auditors_run_no_command():
    assert not any(Role.INSPECTOR in roles or Role.AUDITOR in roles for roles in COMMAND_ROLES.values())


def test_a_unit_reads_only_cases_it_leads_or_co_handles():
    unit = actor(Role.UNIT)
    assert may_read(unit, "UNIT-A", [])
    assert may_read(unit, "UNIT-B", ["UNIT-A"])
    assert not may_read(unit, "UNIT-B", ["UNIT-C"])
    assert all(may_read(actor(r), "UNIT-B", []) for r in Role if r is not Role.UNIT)


def test_a_unit_actor_needs_its_unit():
    with pytest.raises(ValueError):
        Actor("clerk", Role.UNIT)


@pytest.mark.parametrize(
    ("command", "lead", "co", "stranger"),
    [
        ("answer", True, False, False),
        ("acknowledge", True, False, False),
        ("extend", True, False, False),
        ("handback", True, False, False),
        ("co_opinion", False, True, False),
        ("rectify", True, False, False),
        ("contest_rating", True, False, False),
    ],
)
def test_a_unit_plays_the_part_the_command_needs(command, lead, co, stranger):
    """docs/http-api.md *Roles*: the lead answers; a co-handling unit gives its opinion; others do neither."""
    unit = actor(Role.UNIT)
    for allowed, lead_unit, co_units in ((lead, "UNIT-A", []), (co, "UNIT-B", ["UNIT-A"]), (stranger, "UNIT-B", [])):
        if allowed:
            check_command_part(command, unit, lead_unit, co_units)
        else:
            with pytest.raises(NotPermitted):
                check_command_part(command, unit, lead_unit, co_units)


def test_read_permissions_live_in_one_table():
    """docs/http-api.md *Roles*: inspectors and auditors read everything a case leaves; a unit reads its own ledger
    and accountability record only, and no bulletin or audit trail."""
    unit = actor(Role.UNIT)
    check_read("ledger", unit, unit="UNIT-A")
    check_read("accountability", unit, unit="UNIT-A")
    for what, other in (("ledger", "UNIT-B"), ("accountability", "UNIT-B"), ("audit_trail", None), ("bulletin", None)):
        with pytest.raises(NotPermitted):
            check_read(what, unit, unit=other)
    for role in (Role.INSPECTOR, Role.AUDITOR):
        for what in READS:
            check_read(what, actor(role), unit="UNIT-B")
    with pytest.raises(NotPermitted):
        check_read("audit_trail", actor(Role.PLATFORM))


def test_a_unit_user_lists_only_its_own_units_cases_and_every_other_role_every_case():
    """docs/http-api.md *Roles*: one answer for the case lists, the inbox and its CSV export."""
    from domain.permissions import listing_unit

    assert listing_unit(Actor("power1", Role.UNIT, "DISTRICT-POWER")) == "DISTRICT-POWER"
    for role in set(Role) - {Role.UNIT}:
        assert listing_unit(Actor("someone", role)) is None


def test_follow_ups_on_an_accountability_record_are_recorded_by_inspectors_or_supervisors_alone():
    """Interviews, written self-examinations and referrals by inspectors; listed supervision by supervisors;
    admins any; an unknown follow-up is refused with the known ones named."""
    from domain.errors import ValidationFailed
    from domain.permissions import ACTION_ROLES, check_action_role

    for action, roles in ACTION_ROLES.items():
        for role in Role:
            actor = Actor("someone", role, "U" if role is Role.UNIT else None)
            if role in roles:
                check_action_role(action, actor)
            else:
                with pytest.raises(NotPermitted):
                    check_action_role(action, actor)
    assert {a for a, roles in ACTION_ROLES.items() if Role.INSPECTOR in roles} == {
        "interview_held",
        "self_examination_received",
        "referral_made",
        "criticism_issued",
        "interview_ordered",
    }
    # 视情 (004 item 十五): a supervisor may also issue a 通报批评 or order a 约谈.
    assert {a for a, roles in ACTION_ROLES.items() if Role.SUPERVISOR in roles} == {
        "listed_supervision_opened",
        "listed_supervision_struck_off",
        "criticism_issued",
        "interview_ordered",
    }
    with pytest.raises(ValidationFailed):
        check_action_role("apology_accepted", Actor("i", Role.INSPECTOR))
