"""One clock per department (联审联办, 001 (一)3; 002 items 7-10).

In a joint review several departments review in parallel and each answers for
itself: a rule with ``per = "department"`` runs one clock for each department
consulted, met only by that department's answer and restarted only for it.
"""

from __future__ import annotations

from datetime import datetime

from domain.deadlines.clocks import (
    bind_open,
    due_of,
    evaluate,
    meet_clocks,
    open_clock,
    open_clocks_of,
    pause_running,
    start_clocks,
)
from domain.deadlines.periods import SHANGHAI
from tests.unit.conftest import official_calendar_2025_2026

CAL = official_calendar_2025_2026()
OPINION = {
    "name": "opinion",
    "title": "部门审查意见",
    "source": "002 item 10",
    "starts_on": ["Consulted", "OpinionReturned"],
    "met_by": [{"event": "OpinionGiven"}],
    "length": 5,
    "unit": "working_days",
    "per": "department",
}
DECISION = {
    "name": "decision",
    "title": "作出行政许可决定",
    "source": "行政许可法 第42条",
    "starts_on": ["Consulted"],
    "met_by": [{"event": "OpinionGiven"}],
    "length": 20,
    "unit": "working_days",
}
AT = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)


def consulted(*departments: str, rules=(OPINION,)) -> list[dict]:
    clocks: list[dict] = []
    start_clocks(clocks, list(rules), "Consulted", AT, 1, unit="WINDOW", departments=list(departments))
    return clocks


def test_two_departments_consulted_get_two_clocks_each_binding_its_department():
    """联审联办 (002 items 7-10): the departments review in parallel, each on its own clock."""
    clocks = consulted("PLANNING", "FIRE")
    assert [(c["name"], c["unit"], c["rule"], c["per"], c["round"]) for c in clocks] == [
        ("opinion@PLANNING", "PLANNING", "opinion", "department", 1),
        ("opinion@FIRE", "FIRE", "opinion", "department", 1),
    ]
    assert [s.unit for s in evaluate(clocks, CAL, AT)] == ["PLANNING", "FIRE"]


def test_no_department_named_starts_no_department_clock():
    """A clock per department needs the departments it runs for."""
    assert consulted() == []
    clocks: list[dict] = []
    start_clocks(clocks, [OPINION], "Consulted", AT, 1)
    assert clocks == []


def test_a_department_named_twice_gets_one_clock():
    assert [c["name"] for c in consulted("FIRE", "FIRE")] == ["opinion@FIRE"]


def test_an_answer_from_one_department_meets_only_its_clock():
    """The joint review completes when all have answered, not when the first does."""
    clocks = consulted("PLANNING", "FIRE")
    meet_clocks(clocks, "OpinionGiven", {"department": "FIRE"}, AT.replace(day=14), 2)
    assert [(c["name"], c["met_seq"]) for c in clocks] == [("opinion@PLANNING", None), ("opinion@FIRE", 2)]
    assert [c["name"] for c in open_clocks_of(clocks, "opinion")] == ["opinion@PLANNING"]


def test_an_answer_naming_no_department_meets_no_department_clock():
    clocks = consulted("PLANNING", "FIRE")
    meet_clocks(clocks, "OpinionGiven", {}, AT.replace(day=14), 2)
    assert len(open_clocks_of(clocks, "opinion")) == 2


def test_restarting_one_department_leaves_the_other_running():
    """An opinion sent back restarts that department's period only."""
    clocks = consulted("PLANNING", "FIRE")
    returned = AT.replace(day=15)
    start_clocks(clocks, [OPINION], "OpinionReturned", returned, 3, departments=["FIRE"])
    assert [(c["name"], c["round"], c["cancelled_by"]) for c in clocks] == [
        ("opinion@PLANNING", 1, None),
        ("opinion@FIRE", 1, 3),
        ("opinion@FIRE", 2, None),
    ]
    assert open_clock(clocks, "opinion@FIRE")["started_at"] == returned
    assert open_clock(clocks, "opinion@PLANNING")["started_at"] == AT


def test_a_rule_without_per_is_unaffected_by_departments():
    """A rule with no ``per`` runs one clock for the case, met by any answer its conditions name."""
    clocks = consulted("PLANNING", "FIRE", rules=(DECISION,))
    assert [(c["name"], c["unit"], c["rule"], c["per"]) for c in clocks] == [("decision", "WINDOW", "decision", None)]
    meet_clocks(clocks, "OpinionGiven", {"department": "FIRE"}, AT.replace(day=14), 2)
    assert clocks[0]["met_seq"] == 2


def test_forwarding_does_not_rebind_a_department_clock():
    """A department clock binds its department, whatever unit the case is handed to."""
    clocks = consulted("FIRE")
    bind_open(clocks, "OTHER")
    assert clocks[0]["unit"] == "FIRE"


def test_a_department_clock_pauses_and_its_answer_ends_only_its_pause():
    """行政许可法 art. 45: the pause stops every running clock; one department's answer ends its own."""
    clocks = consulted("PLANNING", "FIRE")
    pause_running(clocks, "专家评审", AT.replace(day=13), 2)
    meet_clocks(clocks, "OpinionGiven", {"department": "FIRE"}, AT.replace(day=14), 3)
    assert [c["pauses"][0]["to_seq"] for c in clocks] == [None, 3]
    planning, fire = evaluate(clocks, CAL, AT.replace(day=20))
    assert planning.paused and not fire.paused


def test_department_clocks_run_the_rules_period():
    """行政许可法 art. 82: 5 WD from Mon 2026-10-12 end at 24:00 of Mon 10-19, for each department."""
    ends = {due_of(c, CAL).ends_at for c in consulted("PLANNING", "FIRE")}
    assert ends == {datetime(2026, 10, 20, 0, 0, tzinfo=SHANGHAI)}


def test_a_clock_recorded_before_the_rule_key_existed_is_found_by_its_name():
    """Stored cases replay unchanged: an old clock is named after its rule."""
    clock = {"name": "decision", "met_at": None, "cancelled_at": None}
    assert open_clocks_of([clock], "decision") == [clock]
