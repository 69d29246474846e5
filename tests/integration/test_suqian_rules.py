"""Suqian profile (suqian-2024): 宿政办发〔2024〕15号, 004 items 二, 八, 十二.

Forwarded Thu 2026-09-24: Fri 09-25 Mid-Autumn, 26-27 weekend, Oct 1-7 National
Day, Sat 10-10 a make-up working day.
"""

from __future__ import annotations

import pytest

from domain.errors import NotAllowedInState, ValidationFailed
from tests.conftest import PLATFORM, SUPERVISOR, sh
from tests.integration.cases import deadline, forwarded_case, open_case

PROFILE = "suqian-2024"


@pytest.mark.parametrize(
    ("tier", "due"),
    [
        ("urgent", "2026-09-29"),  # 事实清楚、情况紧急: 2 WD — Sep 28, 29
        ("ordinary", "2026-10-09"),  # 一般性问题: 5 WD — Sep 28, 29, 30, Oct 8, 9
        ("complex", "2026-10-22"),  # 情况复杂或涉及多个单位: 15 WD — …, Oct 10 (Sat), 12-16, 19-22
    ],
)
def test_mayor_line_time_limits_by_tier(appeals, tier, due):
    """004 item 八: 收到交办件后 2 / 5 / 15 个工作日内办结, by tier."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00", channel="mayor_line", tier=tier)
    assert case.policy["tier"] == tier
    assert deadline(appeals, case, "completion", now="2026-09-24 12:00").due == sh(f"{due} 23:59:59")


def test_mayor_line_defaults_to_the_ordinary_tier(appeals):
    """004 item 八: a problem not marked urgent or complex is 一般性问题 (5 WD)."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00", channel="mayor_line")
    assert case.policy["tier"] == "ordinary"


def test_complex_completion_is_met_only_by_the_final_answer(appeals):
    """004 item 八: 办结 means the unit's result (办理结果), not an initial reply."""
    from tests.conftest import ADMIN

    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00", tier="complex")
    case = appeals.answer(case.id, ADMIN, kind="initial", content="正在会商。", occurred_at=sh("2026-10-08 10:00"))
    assert deadline(appeals, case, "completion", now="2026-10-08 11:00").met_at is None
    case = appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh("2026-10-22 17:00"))
    done = deadline(appeals, case, "completion", now="2026-12-01 00:00")
    assert done.met_at == sh("2026-10-22 17:00") and not done.overdue


def test_window_complex_problem_fed_back_within_5_working_days_of_registration(appeals):
    """004 item 二: 办不成事反映窗口 — 复杂问题5个工作日内处理反馈, from registration."""
    case = open_case(appeals, PROFILE, "2026-09-30 10:00", channel="window")
    assert case.policy["tier"] == "window"
    # Oct 8, 9, 10 (Sat, 调休), 12, 13.
    assert deadline(appeals, case, "window_feedback", now="2026-10-01 00:00").due == sh("2026-10-13 23:59:59")


def test_unknown_tier_is_refused_with_the_tiers_on_offer(appeals):
    with pytest.raises(ValidationFailed) as refused:
        open_case(appeals, PROFILE, "2026-09-24 09:00", tier="very-urgent")
    assert "urgent" in refused.value.fields["tier"]


def test_escalation_climbs_the_graded_coordination_ladder(appeals):
    """004 item 十二: 首接部门牵头 → 分级分类/专题会办 → 市营商办 → 常务副市长会办."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00", tier="complex")
    codes = []
    for _ in range(3):
        case = appeals.escalate(case.id, SUPERVISOR, reason="部门间职责交叉，未能解决")
        codes.append(appeals.history(case.id)[-1].data["level_code"])
    assert case.escalation_level == 3
    assert codes == ["coordination_meeting", "business_environment_office", "executive_vice_mayor"]


def test_escalation_cannot_leave_the_ladder_or_step_down(appeals):
    """004 item 十二: levels are the profile's ladder; refusals record nothing."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.escalate(case.id, PLATFORM, level=4, reason="越级")
    assert "level" in refused.value.fields
    with pytest.raises(ValidationFailed):
        appeals.escalate(case.id, PLATFORM, level="mayor_tea_party", reason="越级")
    case = appeals.escalate(case.id, PLATFORM, level="business_environment_office", reason="提交市营商办")
    assert case.escalation_level == 2
    with pytest.raises(NotAllowedInState):
        appeals.escalate(case.id, PLATFORM, level=1, reason="降级")
    assert appeals.get(case.id).version == case.version


def test_escalating_at_the_top_of_the_ladder_or_to_the_same_level_is_refused(appeals):
    """004 item 十二: above 常务副市长会办 there is no level; asking for the next one, or for the level
    the case is at, is refused (409) and records no second, identical escalation."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00", tier="complex")
    case = appeals.escalate(case.id, SUPERVISOR, level="business_environment_office", reason="提交市营商办")
    with pytest.raises(NotAllowedInState, match="already escalated to level 2"):
        appeals.escalate(case.id, SUPERVISOR, level=2, reason="再次提交")
    case = appeals.escalate(case.id, SUPERVISOR, reason="提交常务副市长会办")
    assert case.escalation_level == 3
    for level in (None, 3, "executive_vice_mayor"):
        with pytest.raises(NotAllowedInState):
            appeals.escalate(case.id, SUPERVISOR, level=level, reason="再升级")
    assert appeals.get(case.id).version == case.version
    assert [e.type for e in appeals.history(case.id)].count("Escalated") == 2


def test_suqian_profile_allows_no_extension(appeals):
    """004 item 八 sets fixed limits from receipt of the assignment; 延期 is not provided."""
    case = forwarded_case(appeals, PROFILE, "2026-09-24 09:00", "2026-09-24 11:00")
    with pytest.raises(NotAllowedInState):
        appeals.extend(case.id, PLATFORM, working_days=3, reason="情况复杂")
