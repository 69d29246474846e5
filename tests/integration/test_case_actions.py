"""The actions a case page offers (domain.actions) are the commands' own verdicts, never a copy.

Along a case's life, for every action and every kind of user: the action is offered open exactly
when the command, given good input, would not be refused by the case's state; the reason shown is
the command's own refusal; and asking records nothing.
"""

from __future__ import annotations

import copy
import uuid

import pytest

from adapters.calendar.official import CalendarSource
from domain.errors import LimitReached, NotAllowedInState, NotPermitted
from tests.conftest import PLATFORM, SUPERVISOR, sh, unit_actor
from tests.integration.cases import forwarded_case

LEAD, CO, STRANGER = unit_actor("DISTRICT-POWER"), unit_actor("DISTRICT-WATER"), unit_actor("DISTRICT-GRID")
NOW = sh("2026-10-20 12:00")
CALENDARS = CalendarSource()

# Each appeal action with good input: what a filled-in form would send.
GOOD = {
    "forward": lambda c, a: c.forward("DISTRICT-GRID", [], None, a),
    "acknowledge": lambda c, a: c.acknowledge(a),
    "answer": lambda c, a: c.answer("final", "已办理", a),
    "answer_initial": lambda c, a: c.answer("initial", "正在核实", a),
    "extend": lambda c, a: c.extend(1, "需要协调", a),
    "handback": lambda c, a: c.request_handback("不属于本单位职责", a),
    "rule_handback": lambda c, a: c.rule_handback(
        True, "同意退单", None, [], CALENDARS.for_jurisdiction(c.policy["jurisdiction"]), NOW, a
    ),
    "co_opinion": lambda c, a: c.give_co_opinion("供水不受影响", a),
    "review": lambda c, a: c.review(True, None, a),
    "return": lambda c, a: c.return_for_redo("答复不完整", a),
    "escalate": lambda c, a: c.escalate(None, "久拖未办", a),
    "visit": lambda c, a: c.visit("satisfied", True, None, a),
    "close": lambda c, a: c.close(a),
    "merge": lambda c, a: c.merge_into(another_open_appeal(c), "同一事项", a),
    "unmerge": lambda c, a: c.unmerge(another_open_appeal(c), "误并", a),
    "rectify": lambda c, a: c.rectify("已整改", a),
    "contest_rating": lambda c, a: c.contest_rating(
        "误评", CALENDARS.for_jurisdiction(c.policy["jurisdiction"]), NOW, a
    ),
    "adjudicate_rating": lambda c, a: c.adjudicate_rating(False, "维持原评价", a),
    # 联合办理 (004 item 六)
    "joint_handling": lambda c, a: c.mark_joint(["DISTRICT-POWER", "DISTRICT-WATER"], "职责交叉", a),
    "joint_meeting": lambda c, a: c.hold_joint_meeting(
        NOW.date(), ["DISTRICT-POWER", "DISTRICT-WATER"], "由区供电中心牵头", "DISTRICT-POWER", NOW, a
    ),
    "direct_answer": lambda c, a: c.answer_directly("direct", "已直接答复", a),
    "recheck": lambda c, a: c.recheck(True, "已落实", False, a),
}


def another_open_appeal(case):
    """An open appeal that is not ``case``: what a merge names as the case repeated."""
    other = copy.deepcopy(case)
    other._id, other.status = uuid.uuid4(), "forwarded"
    return other


def refused_by_state(case, actor, name):
    try:
        GOOD[name](copy.deepcopy(case), actor)
    except (NotAllowedInState, LimitReached) as refused:
        return refused
    except NotPermitted:
        return "not permitted"
    return None


def life(appeals):
    """The case at each step of a life that passes every status of an appeal (Liaocheng: it may be extended)."""
    case = forwarded_case(appeals, "liaocheng-2020", "2026-09-30 09:00", "2026-09-30 10:00")
    case = appeals.forward(
        case.id, PLATFORM, unit="DISTRICT-POWER", co_units=["DISTRICT-WATER"], occurred_at=sh("2026-09-30 10:05")
    )
    steps = [
        ("forwarded", lambda: None),
        ("acknowledged", lambda: appeals.acknowledge(case.id, LEAD)),
        ("initial answer given", lambda: appeals.answer(case.id, LEAD, kind="initial", content="核实中")),
        ("at the extension cap", lambda: appeals.extend(case.id, LEAD, working_days=15, reason="多部门")),
        ("answered", lambda: appeals.answer(case.id, LEAD, kind="final", content="已接电")),
        ("returned", lambda: appeals.review(case.id, PLATFORM, accepted=False, note="未附凭证")),
        ("answered again", lambda: appeals.answer(case.id, LEAD, kind="final", content="已接电，附凭证")),
        ("reviewed", lambda: appeals.review(case.id, PLATFORM, accepted=True)),
        ("visited", lambda: appeals.visit(case.id, PLATFORM, satisfaction="satisfied", solved=True)),
        ("closed", lambda: appeals.close_case(case.id, PLATFORM)),
    ]
    for label, step in steps:
        step()
        yield label, appeals.get(case.id)


def test_every_offered_action_is_open_exactly_when_its_command_would_run_and_says_its_own_reason(appeals):
    seen = {"open": 0, "closed": 0}
    for label, case in life(appeals):
        for actor in (LEAD, CO, STRANGER, PLATFORM, SUPERVISOR):
            before = case.version
            verdicts = appeals.actions(case, actor, now=NOW)
            assert appeals.get(case.id).version == before and not case.pending_events, "asking records nothing"
            for name, verdict in verdicts.items():
                expected = refused_by_state(case, actor, name)
                if expected == "not permitted":
                    assert not verdict.permitted, (label, actor.user, name)
                    continue
                if not verdict.permitted:
                    continue  # decided by role and part first (domain.permissions), as the command does
                assert verdict.open == (expected is None), (label, actor.user, name, verdict.refusal)
                seen["open" if verdict.open else "closed"] += 1
                if expected is not None:
                    assert verdict.refusal.message == expected.message
    assert seen["open"] >= 20 and seen["closed"] >= 50, seen  # the life passed through both, many times


def test_a_unit_is_offered_nothing_of_a_case_it_has_no_part_in(appeals):
    case = forwarded_case(appeals, "zichuan-2020", "2026-10-12 09:00", "2026-10-12 10:00")
    assert not any(v.permitted for v in appeals.actions(case, STRANGER, now=NOW).values())


def test_the_extension_cap_closes_the_extension_with_the_cap_as_its_reason(appeals):
    """002 item 53 (Liaocheng): 30 working days in all; at the cap, no extension is offered."""
    case = forwarded_case(appeals, "liaocheng-2020", "2026-09-30 09:00", "2026-09-30 10:00")
    assert appeals.actions(case, LEAD, now=NOW)["extend"].open
    case = appeals.extend(case.id, LEAD, working_days=15, reason="情况复杂")
    verdict = appeals.actions(case, LEAD, now=NOW)["extend"]
    assert not verdict.open and "already reached" in verdict.refusal.message


@pytest.mark.parametrize("step, open_", [("before answering", True), ("after answering", False)])
def test_a_department_is_offered_its_review_opinion_once_a_round(approvals, step, open_):
    """001 (四) 后台分类审批: each department answers once a round; the window may return it."""
    approval, _ = approvals.submit(
        PLATFORM,
        profile="licensing-law-2019",
        matter="general",
        applicant={"name": "某餐饮"},
        materials=["申请书"],
        departments=["DISTRICT-FIRE"],
    )
    approvals.accept(approval.id, PLATFORM)
    approval = approvals.forward(approval.id, PLATFORM)
    fire = unit_actor("DISTRICT-FIRE")
    if step == "after answering":
        approval = approvals.answer(approval.id, fire, department="DISTRICT-FIRE", decision="approve", opinion="符合")
    verdicts = approvals.actions(approval, fire)
    assert verdicts["answer"].open is open_
    assert not verdicts["accept"].permitted and not verdicts["decide"].permitted
    assert not approvals.actions(approval, LEAD)["answer"].permitted
    window = approvals.actions(approval, PLATFORM)
    assert window["decide"].open is (not open_) and window["deliver"].refusal is not None
