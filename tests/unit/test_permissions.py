"""The role x command matrix of API.md *Auth*, written out independently of domain/permissions.py."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from domain.errors import NotPermitted
from domain.permissions import COMMAND_ROLES, check_command_role, may_read

EXPECTED = {  # command: roles allowed
    "open": "platform admin", "forward": "platform admin", "acknowledge": "unit admin",
    "answer": "unit admin", "review": "platform admin", "return": "platform admin",
    "escalate": "supervisor platform admin", "extend": "unit platform admin",
    "handback": "unit admin", "visit": "platform admin", "close": "platform admin",
    "sweep": "platform admin",  # API.md *Deadlines*
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
