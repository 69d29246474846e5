"""Zichuan profile (zichuan-2020): 川政办字〔2020〕59号, 000 item 4.

Dates are counted by hand on the official 2026 calendar: Mid-Autumn
2026-09-25..27, National Day 2026-10-01..07, make-up working days
2026-09-20 (Sun) and 2026-10-10 (Sat).
"""

from __future__ import annotations

import pytest

from domain.errors import NotAllowedInState, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import as_unit, deadline, forwarded_case, open_case

UNIT = as_unit("DISTRICT-POWER")


def test_unit_reply_due_2_working_days_after_forwarding_across_national_day(appeals):
    """000 item 4: 承办单位收到工单后2个工作日内回复初步处理情况.

    Forwarded Tue 2026-09-29 → WD1 Wed 09-30, Oct 1-7 holiday, WD2 Thu 10-08.
    """
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    reply = deadline(appeals, case, "unit_reply", now="2026-10-08 23:00")
    assert reply.due == sh("2026-10-08 23:59:59")
    assert not reply.overdue and not reply.provisional
    assert deadline(appeals, case, "unit_reply", now="2026-10-09 00:00").overdue


def test_unit_reply_counts_the_make_up_sunday_as_a_working_day(appeals):
    """000 item 4 on the official calendar: forwarded Fri 2026-09-18 → WD1 Sun 09-20 (调休), WD2 Mon 09-21."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-18 08:30", "2026-09-18 09:00")
    assert deadline(appeals, case, "unit_reply", now="2026-09-18 10:00").due == sh("2026-09-21 23:59:59")


def test_initial_reply_on_the_last_day_meets_the_deadline_and_a_day_later_is_late(appeals):
    """000 item 4: the initial-handling reply (初步处理情况) meets the 2-working-day limit."""
    on_time = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    on_time = appeals.answer(
        on_time.id, ADMIN, kind="initial", content="已联系供电所现场勘查。", occurred_at=sh("2026-10-08 17:00")
    )
    late = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    late = appeals.answer(late.id, ADMIN, kind="initial", content="已联系供电所。", occurred_at=sh("2026-10-09 09:00"))
    met = deadline(appeals, on_time, "unit_reply", now="2026-12-01 00:00")
    assert met.met_at == sh("2026-10-08 17:00") and not met.overdue and not met.met_late
    missed = deadline(appeals, late, "unit_reply", now="2026-12-01 00:00")
    assert missed.met_at == sh("2026-10-09 09:00") and missed.overdue and missed.met_late


def test_unit_may_answer_its_own_case_but_not_backfill_the_time(appeals):
    """Backfill (occurred_at) is for the platform and admins; the unit's answer is recorded as it happens."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    with pytest.raises(ValidationFailed) as refused:
        appeals.answer(case.id, UNIT, kind="initial", content="已受理。", occurred_at=sh("2026-09-30 09:00"))
    assert "occurred_at" in refused.value.fields
    case = appeals.answer(case.id, UNIT, kind="initial", content="已受理。")
    assert appeals.history(case.id)[-1].backfilled is False


def test_platform_report_due_at_noon_of_the_3rd_working_day_after_receipt(appeals):
    """000 item 4: 3个工作日内（第3个工作日中午12:00前）向市平台报送.

    Received Thu 2026-09-24 15:00 → WD1 Mon 09-28 (25 Mid-Autumn, 26-27 weekend),
    WD2 09-29, WD3 Wed 09-30, due 12:00.
    """
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-24 15:00", "2026-09-24 15:30")
    report = deadline(appeals, case, "platform_report", now="2026-09-30 11:59")
    assert report.due == sh("2026-09-30 12:00")
    assert not report.overdue
    assert deadline(appeals, case, "platform_report", now="2026-09-30 12:00").overdue


def test_platform_report_is_met_by_accepting_the_reply_before_noon(appeals):
    """000 item 4: the platform reviews the unit's reply, then reports before 12:00 of WD3."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-24 15:00", "2026-09-24 15:30")
    appeals.answer(case.id, ADMIN, kind="final", content="已完成接电。", occurred_at=sh("2026-09-29 17:00"))
    case = appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-09-30 11:30"))
    report = deadline(appeals, case, "platform_report", now="2026-12-01 00:00")
    assert report.met_at == sh("2026-09-30 11:30") and not report.overdue


def test_flawed_reply_is_returned_to_the_unit_and_the_redo_gets_a_new_reply_period(appeals):
    """000 item 4: 答复意见存在问题的，退回承办单位重新办理.

    Rejected at review on Fri 2026-10-09 → redo WD1 Sat 10-10 (调休), WD2 Mon 10-12.
    """
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    appeals.answer(case.id, ADMIN, kind="final", content="已处理。", occurred_at=sh("2026-09-30 16:00"))
    case = appeals.review(
        case.id, PLATFORM, accepted=False, note="答复未说明接电时间", occurred_at=sh("2026-10-09 09:00")
    )
    assert case.status == "returned" and case.returned_count == 1
    first, redo = (d for d in appeals.deadlines(case, now=sh("2026-10-09 10:00")) if d.name == "unit_reply")
    assert first.met_at == sh("2026-09-30 16:00") and not first.overdue
    assert redo.round == 2 and redo.due == sh("2026-10-12 23:59:59")
    assert [h.type for h in appeals.history(case.id)][-2:] == ["Reviewed", "Returned"]


def test_unsatisfied_follow_up_visit_returns_the_case_for_redo(appeals):
    """000 item 4: 对办理结果不满意的，退回承办单位重新办理; each return counts as a redo."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    for n, day in enumerate(("2026-10-08", "2026-10-12"), start=1):
        appeals.answer(case.id, ADMIN, kind="final", content="已办理。", occurred_at=sh(f"{day} 09:00"))
        appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh(f"{day} 10:00"))
        appeals.visit(case.id, PLATFORM, satisfaction="unsatisfied", solved=False, occurred_at=sh(f"{day} 11:00"))
        case = appeals.return_for_redo(case.id, PLATFORM, reason="企业不满意", occurred_at=sh(f"{day} 12:00"))
        assert case.returned_count == n and case.satisfaction is None


def test_late_unit_gets_a_supervision_notice_recorded_as_escalation(appeals):
    """000 item 4: 未在规定时限内反馈答复的，下发督办通知督促办理."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    case = appeals.escalate(case.id, SUPERVISOR, reason="未在2个工作日内回复", level=None)
    assert case.escalation_level == 1
    assert appeals.history(case.id)[-1].data["level_code"] == "supervision_notice"


def test_zichuan_profile_allows_no_extension(appeals):
    """000 item 4 sets fixed limits and no 延期; an extension is refused and nothing recorded."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    with pytest.raises(NotAllowedInState, match="allows no extension"):
        appeals.extend(case.id, UNIT, working_days=2, reason="情况复杂")
    assert appeals.get(case.id).version == case.version


def test_unknown_tier_is_refused_for_a_profile_without_tiers(appeals):
    with pytest.raises(ValidationFailed) as refused:
        open_case(appeals, "zichuan-2020", "2026-09-29 09:00", tier="urgent")
    assert "tier" in refused.value.fields
