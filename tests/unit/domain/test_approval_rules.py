"""Approval (审批) rules on the aggregate, on real 2026 dates (行政许可法; 001, 002, 003).

The 2026 schedule: Mid-Autumn Fri 09-25 (to Sun 09-27) and National Day Thu 10-01 to Wed 10-07 are
rest days; Sun 09-20 and Sat 10-10 are make-up working days.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.profiles.files import FileProfileCatalogue
from domain.actors import Actor, Role
from domain.approvals.aggregate import Approval
from domain.deadlines.clocks import evaluate
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, NotPermitted, OneTimeNoticeUsed, ValidationFailed
from tests.unit.conftest import official_calendar_2025_2026

CAL = official_calendar_2025_2026()
PROFILES = FileProfileCatalogue()
WINDOW = Actor("window1", Role.PLATFORM)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def submitted(
    at: str,
    *,
    profile: str = "licensing-law-2019",
    matter: str = "general",
    departments: tuple[str, ...] = ("FIRE",),
    commitment: bool = False,
) -> Approval:
    policy = PROFILES.get(profile, kind="approval").case_policy(matter, list(departments), commitment)
    return Approval(
        id=Approval.create_id("window", f"{profile}-{matter}-{at}"),
        case_no="SP-TEST",
        channel="window",
        external_ref=None,
        matter=matter,
        applicant={"name": "某某有限公司"},
        materials=["申请书"],
        departments=list(departments),
        commitment=commitment,
        policy=policy,
        actor=WINDOW.as_record(),
        occurred_at=t(at),
    )


def state(approval: Approval, name: str, now: str):
    return next(s for s in evaluate(approval.clocks, CAL, t(now)) if s.name == name)


def recorded(approval: Approval) -> list[str]:
    return [type(e).__name__ for e in approval.pending_events]


def dept(code: str) -> Actor:
    return Actor(f"user-{code}", Role.UNIT, code)


def in_review(accepted: str, **kwargs) -> Approval:
    approval = submitted(accepted.split("T")[0] + "T09:00", **kwargs)
    approval.accept(None, WINDOW, t(accepted))
    approval.forward(None, WINDOW, t(accepted))
    return approval


# -- 行政许可法 art. 32: the notice period and deemed acceptance --------------------------------
def test_without_a_notice_an_application_is_deemed_accepted_when_the_notice_period_ends__licensing_law_art_32():
    approval = submitted("2026-09-28T10:00")
    approval.record_missed(CAL, t("2026-10-10T12:00"), WINDOW, t("2026-10-10T12:00"))
    assert approval.status == "submitted" and recorded(approval) == ["Submitted"]  # 5 WD end at 24:00 Sat 10-10
    approval.record_missed(CAL, t("2026-10-12T09:00"), WINDOW, t("2026-10-12T09:00"))
    assert recorded(approval)[-1] == "DeemedAccepted" and approval.deemed_accepted
    assert approval.accepted_at == t("2026-09-28T10:00")  # accepted as of the day of receipt


def test_a_deemed_acceptance_starts_the_decision_period_on_the_day_of_receipt__art_32_and_42():
    approval = submitted("2026-09-28T10:00")
    approval.record_missed(CAL, t("2026-10-12T09:00"), WINDOW, t("2026-10-12T09:00"))
    assert state(approval, "decision", "2026-10-12T09:00").due == t("2026-10-30T23:59:59")


def test_the_sweep_records_a_deemed_acceptance_once():
    approval = submitted("2026-09-28T10:00")
    approval.record_missed(CAL, t("2026-10-12T09:00"), WINDOW, t("2026-10-12T09:00"))
    approval.record_missed(CAL, t("2026-10-13T09:00"), WINDOW, t("2026-10-13T09:00"))
    assert recorded(approval).count("DeemedAccepted") == 1


def test_a_notice_in_time_prevents_deemed_acceptance__art_32():
    approval = submitted("2026-09-28T10:00")
    approval.request_materials(["营业执照副本"], None, WINDOW, t("2026-09-29T10:00"))
    approval.record_missed(CAL, t("2026-10-20T09:00"), WINDOW, t("2026-10-20T09:00"))
    assert "DeemedAccepted" not in recorded(approval) and approval.status == "materials_requested"


# -- 一次性告知 (001 (四), 002 item 25) -------------------------------------------------------
def test_missing_materials_are_told_once__one_time_notice_001_and_002_item_25():
    approval = submitted("2026-09-28T10:00")
    approval.request_materials(["营业执照副本", "法人身份证明"], None, WINDOW, t("2026-09-28T11:00"))
    approval.supply_materials(["营业执照副本", "法人身份证明"], WINDOW, t("2026-09-29T10:00"))
    before = list(recorded(approval))
    with pytest.raises(OneTimeNoticeUsed):
        approval.request_materials(["场地证明"], None, WINDOW, t("2026-09-29T11:00"))
    assert recorded(approval) == before


def test_no_request_for_materials_after_acceptance__art_32():
    approval = submitted("2026-09-28T10:00")
    approval.accept(None, WINDOW, t("2026-09-28T11:00"))
    with pytest.raises(NotAllowedInState):
        approval.request_materials(["场地证明"], None, WINDOW, t("2026-09-29T11:00"))


def test_an_application_is_not_accepted_while_told_materials_are_missing():
    approval = submitted("2026-09-28T10:00")
    approval.request_materials(["营业执照副本"], None, WINDOW, t("2026-09-28T11:00"))
    with pytest.raises(NotAllowedInState):
        approval.accept(None, WINDOW, t("2026-09-28T12:00"))


# -- 行政许可法 art. 42: the decision period, joint handling, one extension ---------------------------
def test_the_decision_is_due_20_working_days_after_acceptance__art_42():
    approval = in_review("2026-10-12T10:00")
    assert state(approval, "decision", "2026-10-12T10:00").due == t("2026-11-09T23:59:59")


def test_two_departments_handling_jointly_have_45_working_days__art_42():
    approval = in_review("2026-10-12T10:00", departments=("FIRE", "PLAN"))
    single = in_review("2026-10-12T10:00")
    assert state(approval, "decision", "2026-10-12T10:00").length == 45
    assert state(approval, "decision", "2026-10-12T10:00").due > state(single, "decision", "2026-10-12T10:00").due


def test_the_decision_may_be_extended_once_within_the_cap__art_42():
    approval = in_review("2026-10-12T10:00")
    with pytest.raises(ValidationFailed):
        approval.extend(11, "需要专家论证", WINDOW, t("2026-10-13T10:00"))
    approval.extend(10, "需要专家论证", WINDOW, t("2026-10-13T10:00"))
    assert state(approval, "decision", "2026-10-13T10:00").due == t("2026-11-23T23:59:59")
    with pytest.raises(NotAllowedInState):
        approval.extend(1, "再次延期", WINDOW, t("2026-10-14T10:00"))


# -- 行政许可法 art. 45: pauses -------------------------------------------------------------------
def test_a_pause_moves_the_decision_later_by_the_working_days_paused__art_45():
    approval = in_review("2026-10-12T10:00")
    approval.pause("hearing", 2, None, CAL, t("2026-10-20T10:00"), WINDOW, t("2026-10-20T10:00"))
    paused = state(approval, "decision", "2026-10-21T10:00")
    assert paused.paused and not paused.overdue
    approval.resume(None, WINDOW, t("2026-10-22T10:00"))
    running = state(approval, "decision", "2026-10-22T10:00")
    assert running.due == t("2026-11-11T23:59:59") and not running.paused
    assert [p["working_days"] for p in running.pauses] == [2]
    assert approval.pauses[0]["reason"] == "hearing" and approval.pauses[0]["to"] == t("2026-10-22T10:00")


def test_pausing_a_paused_case_or_resuming_a_running_one_is_refused__art_45():
    approval = in_review("2026-10-12T10:00")
    with pytest.raises(NotAllowedInState):
        approval.resume(None, WINDOW, t("2026-10-19T10:00"))
    approval.pause("inspection", 3, None, CAL, t("2026-10-20T10:00"), WINDOW, t("2026-10-20T10:00"))
    with pytest.raises(NotAllowedInState):
        approval.pause("testing", 3, None, CAL, t("2026-10-21T10:00"), WINDOW, t("2026-10-21T10:00"))


def test_a_deadline_already_ended_is_not_revived_by_a_pause__art_45():
    approval = in_review("2026-10-12T10:00")
    with pytest.raises(NotAllowedInState):
        approval.pause("hearing", 2, None, CAL, t("2026-11-10T10:00"), WINDOW, t("2026-11-10T10:00"))


def test_a_pause_needs_a_ground_the_law_names__art_45():
    approval = in_review("2026-10-12T10:00")
    with pytest.raises(ValidationFailed) as refused:
        approval.pause("lunch", 2, None, CAL, t("2026-10-20T10:00"), WINDOW, t("2026-10-20T10:00"))
    assert "reason" in refused.value.fields


# -- joint review, decision, delivery (001 (四), 002 items 10 and 29; 行政许可法 art. 44) ---------------
def test_the_window_decides_only_once_every_department_has_answered__joint_review_001():
    approval = in_review("2026-10-12T10:00", departments=("FIRE", "PLAN"))
    approval.answer("FIRE", "approve", "符合消防要求", dept("FIRE"), t("2026-10-13T10:00"))
    with pytest.raises(NotAllowedInState, match="PLAN"):
        approval.decide("approve", "各部门同意", WINDOW, t("2026-10-13T11:00"))
    approval.answer("PLAN", "approve", "符合规划", dept("PLAN"), t("2026-10-14T10:00"))
    approval.decide("approve", "各部门同意", WINDOW, t("2026-10-14T11:00"))
    assert approval.status == "decided"


def test_a_department_answers_only_for_itself():
    approval = in_review("2026-10-12T10:00", departments=("FIRE", "PLAN"))
    with pytest.raises(NotPermitted):
        approval.answer("PLAN", "approve", "代为答复", dept("FIRE"), t("2026-10-13T10:00"))
    with pytest.raises(ValidationFailed):
        approval.answer("TAX", "approve", "不在本案", dept("TAX"), t("2026-10-13T10:00"))


def test_a_department_answers_once_per_round_and_again_after_a_return__002_item_10():
    approval = in_review(
        "2026-10-12T10:00",
        profile="liaocheng-2020-approvals",
        matter="joint-completion-acceptance",
        departments=("FIRE", "PLAN"),
    )
    approval.answer("FIRE", "reject", "疏散通道不足", dept("FIRE"), t("2026-10-13T10:00"))
    with pytest.raises(NotAllowedInState):
        approval.answer("FIRE", "approve", "改为同意", dept("FIRE"), t("2026-10-13T11:00"))
    approval.return_opinion("FIRE", "现场已整改，请复核", WINDOW, t("2026-10-14T10:00"))
    approval.answer("FIRE", "approve", "复核合格", dept("FIRE"), t("2026-10-15T10:00"))
    assert approval.departments[0]["decision"] == "approve" and approval.departments[0]["returned"] == 1


def test_joint_completion_acceptance_is_decided_within_15_working_days__002_item_10():
    approval = in_review(
        "2026-10-12T10:00",
        profile="liaocheng-2020-approvals",
        matter="joint-completion-acceptance",
        departments=("FIRE", "PLAN"),
    )
    decision = state(approval, "decision", "2026-10-12T10:00")
    assert (decision.length, decision.period_unit) == (15, "working_days")
    assert decision.due == t("2026-11-02T23:59:59")


def test_business_startup_is_done_within_two_hours__002_item_1():
    approval = in_review("2026-10-12T10:00", profile="liaocheng-2020-approvals", matter="business-startup")
    assert state(approval, "decision", "2026-10-12T10:00").due == t("2026-10-12T12:00")
    assert state(approval, "decision", "2026-10-12T12:01").overdue


def test_utility_connection_and_special_working_hours_take_5_working_days__002_items_36_and_43():
    for matter in ("utility-connection", "special-working-hours"):
        approval = in_review("2026-10-12T10:00", profile="liaocheng-2020-approvals", matter=matter)
        assert state(approval, "decision", "2026-10-12T10:00").due == t("2026-10-19T23:59:59"), matter


def test_on_commitment_the_decision_may_come_before_the_departments__003_item_8():
    approval = in_review(
        "2026-10-12T10:00", profile="liaoyuan-2024-approvals", matter="assembly-venue-opening", commitment=True
    )
    approval.decide("approve", "申请人书面承诺符合消防安全要求", WINDOW, t("2026-10-12T11:00"))
    approval.deliver(None, WINDOW, t("2026-10-12T12:00"))
    # the department's verification follows the decision (告知承诺制)
    approval.answer("FIRE", "reject", "现场核查与承诺不符", dept("FIRE"), t("2026-10-14T10:00"))
    approval.revoke("承诺不实", WINDOW, t("2026-10-14T11:00"))
    assert approval.status == "revoked"


def test_without_a_commitment_the_venue_inspection_is_due_in_5_working_days__003_item_8():
    approval = in_review("2026-10-12T10:00", profile="liaoyuan-2024-approvals", matter="assembly-venue-opening")
    assert state(approval, "decision", "2026-10-12T10:00").due == t("2026-10-19T23:59:59")


def test_commitment_is_refused_where_the_matter_does_not_allow_it__002_item_29():
    with pytest.raises(ValidationFailed) as refused:
        submitted("2026-10-12T10:00", commitment=True)
    assert "commitment" in refused.value.fields


def test_only_an_approval_granted_on_commitment_may_be_revoked__002_item_29():
    approval = in_review("2026-10-12T10:00")
    approval.answer("FIRE", "approve", "同意", dept("FIRE"), t("2026-10-13T10:00"))
    approval.decide("approve", "同意", WINDOW, t("2026-10-13T11:00"))
    with pytest.raises(NotAllowedInState):
        approval.revoke("承诺不实", WINDOW, t("2026-10-14T10:00"))


def test_the_result_is_due_at_the_window_10_working_days_after_the_decision__art_44():
    approval = in_review("2026-10-12T10:00")
    approval.answer("FIRE", "approve", "同意", dept("FIRE"), t("2026-10-13T10:00"))
    approval.decide("approve", "同意", WINDOW, t("2026-10-13T11:00"))
    assert state(approval, "delivery", "2026-10-13T11:00").due == t("2026-10-27T23:59:59")
    approval.deliver("当场领取", WINDOW, t("2026-10-14T10:00"))
    assert approval.status == "delivered" and state(approval, "delivery", "2026-10-14T10:00").met_at


def test_withdrawal_only_before_the_decision():
    approval = in_review("2026-10-12T10:00")
    approval.answer("FIRE", "approve", "同意", dept("FIRE"), t("2026-10-13T10:00"))
    approval.decide("reject", "不符合条件", WINDOW, t("2026-10-13T11:00"))
    with pytest.raises(NotAllowedInState):
        approval.withdraw("不再需要", WINDOW, t("2026-10-14T10:00"))


def test_a_replayed_history_gives_the_same_approval():
    approval = in_review("2026-10-12T10:00", departments=("FIRE", "PLAN"))
    approval.pause("expert_review", 5, None, CAL, t("2026-10-20T10:00"), WINDOW, t("2026-10-20T10:00"))
    approval.resume(None, WINDOW, t("2026-10-27T10:00"))
    replayed = None
    for e in approval.collect_events():
        replayed = e.mutate(replayed)
    assert replayed.__dict__ == approval.__dict__
