"""Liaocheng profile (liaocheng-2020): 聊政字〔2020〕25号, 002 item 53.

承办部门受理企业诉求后，在1个工作日内启动核实程序，3个工作日内答复，15个工作日内解决
或服务确认；制度性复杂问题…可延长至30个工作日内办理. Forwarded Wed 2026-09-30
16:00: Oct 1-7 National Day, Sat 10-10 a make-up working day.
"""

from __future__ import annotations

import pytest

from domain.errors import NotAllowedInState, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, sh
from tests.integration.cases import as_unit, deadline, forwarded_case, open_case

UNIT = as_unit("DISTRICT-POWER")
PROFILE = "liaocheng-2020"


@pytest.fixture
def case(appeals):
    return forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")


def test_verification_starts_within_1_working_day(appeals, case):
    """002 item 53: 1个工作日内启动核实程序 — due Thu 2026-10-08, met by acknowledging (签收/启动核实)."""
    assert deadline(appeals, case, "verification", now="2026-10-08 08:00").due == sh("2026-10-08 23:59:59")
    case = appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-10-08 09:00"))
    met = deadline(appeals, case, "verification", now="2026-12-01 00:00")
    assert met.met_at == sh("2026-10-08 09:00") and not met.overdue


def test_answer_within_3_working_days_lands_on_the_make_up_saturday(appeals, case):
    """002 item 53: 3个工作日内答复 — Oct 8, Oct 9, Sat Oct 10 (调休上班)."""
    assert deadline(appeals, case, "answer", now="2026-10-09 08:00").due == sh("2026-10-10 23:59:59")


def test_resolution_within_15_working_days(appeals, case):
    """002 item 53: 15个工作日内解决或服务确认 — Oct 8,9,10,12-16,19-23,26,27 → 2026-10-27."""
    resolution = deadline(appeals, case, "resolution", now="2026-10-27 18:00")
    assert resolution.due == sh("2026-10-27 23:59:59") and not resolution.overdue
    assert deadline(appeals, case, "resolution", now="2026-10-28 00:00").overdue


def test_initial_answer_meets_the_answer_deadline_but_not_resolution(appeals, case):
    """002 item 53: an answer (答复) is not yet a resolution (解决或服务确认)."""
    case = appeals.answer(
        case.id, ADMIN, kind="initial", content="已核实，正在协调。", occurred_at=sh("2026-10-09 10:00")
    )
    assert deadline(appeals, case, "answer", now="2026-11-30 00:00").met_at == sh("2026-10-09 10:00")
    assert deadline(appeals, case, "resolution", now="2026-10-09 11:00").met_at is None


def test_complex_issue_may_be_extended_to_30_working_days_in_total(appeals, case):
    """002 item 53: 可延长至30个工作日内办理 — 15 more WD from Oct 28 reach Tue 2026-11-17."""
    case = appeals.extend(case.id, UNIT, working_days=10, reason="涉及多部门的制度性问题，已向企业解释")
    case = appeals.extend(case.id, PLATFORM, working_days=5, reason="会商后仍需时间")
    resolution = deadline(appeals, case, "resolution", now="2026-11-17 12:00")
    assert resolution.extended == 15 and resolution.due == sh("2026-11-17 23:59:59") and not resolution.overdue


def test_extension_beyond_the_30_working_day_cap_is_refused_and_nothing_recorded(appeals, case):
    """002 item 53: the total may not pass 30 WD, in one step or several."""
    with pytest.raises(ValidationFailed, match="between 1 and 15") as refused:
        appeals.extend(case.id, UNIT, working_days=16, reason="情况复杂")
    assert set(refused.value.fields) == {"working_days"}
    case = appeals.extend(case.id, UNIT, working_days=15, reason="情况复杂")
    with pytest.raises(ValidationFailed, match="already reached"):
        appeals.extend(case.id, UNIT, working_days=1, reason="还需时间")
    assert appeals.get(case.id).version == case.version


def test_extension_needs_a_reason_explained_to_the_enterprise(appeals, case):
    """002 item 53: 并由承办单位做好解释沟通工作 — no reason, no extension."""
    with pytest.raises(ValidationFailed) as refused:
        appeals.extend(case.id, UNIT, working_days=5, reason=" ")
    assert "reason" in refused.value.fields


def test_extension_after_the_final_answer_is_not_allowed(appeals, case):
    appeals.answer(case.id, ADMIN, kind="final", content="已解决。", occurred_at=sh("2026-10-12 10:00"))
    with pytest.raises(NotAllowedInState):
        appeals.extend(case.id, UNIT, working_days=5, reason="情况复杂")


def test_liaocheng_takes_in_every_category_complaints_included(appeals):
    """002 item 53: 统一受理企业反映的政策咨询、服务求助、意见建议**等**诉求 … 应接必接 — the list is
    not exhaustive and every appeal is taken in, so a complaint (投诉) is opened like the others."""
    for category in ("consultation", "help", "suggestion", "complaint"):
        case = open_case(appeals, PROFILE, "2026-09-30 15:00", category=category)
        assert case.category == category and case.policy["version"] >= 2


def test_result_sent_back_does_not_stop_the_15_working_day_clock(appeals, case):
    """002 item 53: 15个工作日内解决 — a final answer that is returned (退回重办) resolved nothing,
    so the original period runs on from the first forwarding and may still be extended."""
    appeals.answer(case.id, ADMIN, kind="final", content="已答复。", occurred_at=sh("2026-10-12 10:00"))
    case = appeals.review(case.id, PLATFORM, accepted=False, note="未解决实际问题", occurred_at=sh("2026-10-20 09:00"))
    resolution = deadline(appeals, case, "resolution", now="2026-10-20 10:00")
    assert resolution.round == 1 and resolution.met_at is None and resolution.due == sh("2026-10-27 23:59:59")
    case = appeals.extend(
        case.id, PLATFORM, working_days=3, reason="需协调供电公司", occurred_at=sh("2026-10-21 09:00")
    )
    case = appeals.answer(case.id, ADMIN, kind="final", content="已解决。", occurred_at=sh("2026-10-29 16:00"))
    resolution = deadline(appeals, case, "resolution", now="2026-12-01 00:00")
    assert resolution.due == sh("2026-10-30 23:59:59") and resolution.met_at == sh("2026-10-29 16:00")
    assert not resolution.overdue
