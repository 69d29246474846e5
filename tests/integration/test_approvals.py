"""Approvals (审批) in the one case log, on SQLite and PostgreSQL: the store, the sweep, the case list.

Dates are counted by hand on the official 2026 calendar: Mid-Autumn Fri 09-25..Sun 09-27 and National
Day Thu 10-01..Wed 10-07 are rest days; Sun 09-20 and Sat 10-10 are make-up working days.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.persistence.database import database_from_url
from adapters.views.factory import Views
from domain.approvals.service import ApprovalService
from domain.errors import CaseNotFound, NotPermitted, ValidationFailed
from projections.audit_trail import AuditQuery, AuditTrail
from projections.cases.case_list import CaseListQuery
from projections.feed import CaseFeed
from projections.runner import BatchRunner
from tests.conftest import PLATFORM, sh, unit_actor

FIRE, PLAN = unit_actor("DISTRICT-FIRE"), unit_actor("DISTRICT-PLAN")


@pytest.fixture
def approvals(appeals, database_url, profiles, calendars) -> Iterator[ApprovalService]:
    service = ApprovalService(
        database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction, store=appeals
    )
    yield service
    service.close()


def submit(approvals: ApprovalService, at: str, *, departments=("DISTRICT-FIRE",), **extra):
    approval, created = approvals.submit(
        PLATFORM,
        profile=extra.pop("profile", "licensing-law-2019"),
        matter=extra.pop("matter", "general"),
        applicant={"name": "某某餐饮有限公司"},
        materials=["申请书", "营业执照"],
        departments=list(departments),
        occurred_at=sh(at),
        **extra,
    )
    assert created
    return approval


def types(service, case) -> list[str]:
    return [e.type for e in service.history(case.id)]


def mine(entries: list[dict], case) -> list[dict]:
    return [e for e in entries if e["case_id"] == str(case.id)]


def recorded(report, case) -> list[str]:
    """The types of the events a sweep recorded on one case (on PostgreSQL the tests share a database)."""
    return [type(e).__name__ for e in report.events if e.originator_id == case.id]


def test_approvals_are_recorded_in_the_appeals_log_and_each_service_sees_only_its_own_kind(appeals, approvals):
    approval = submit(approvals, "2026-09-28 10:00")
    head = appeals.recorder.max_notification_id()
    assert [n.originator_id for n in appeals.recorder.select_notifications(start=head, limit=1)] == [approval.id]
    with pytest.raises(CaseNotFound):
        appeals.get(approval.id)
    with pytest.raises(CaseNotFound):
        appeals.history(approval.id)
    assert approvals.get(approval.id).status == "submitted"


def test_the_sweep_deems_an_application_accepted_when_the_notice_period_ends__licensing_law_art_32(approvals, watch):
    """行政许可法 art. 32: 逾期不告知的，自收到申请材料之日起即为受理. Submitted Mon 09-28: the five working
    days are 09-29, 09-30, 10-08, 10-09 and Sat 10-10, so the notice period ends at 24:00 on 10-10."""
    approval = submit(approvals, "2026-09-28 10:00")
    assert recorded(watch.sweep("2026-10-10 12:00"), approval) == []
    assert recorded(watch.sweep("2026-10-12 09:00"), approval) == ["DeemedAccepted"]
    approval = approvals.get(approval.id)
    assert approval.deemed_accepted and approval.accepted_at == sh("2026-09-28 10:00")
    decision = next(d for d in approvals.deadlines(approval, sh("2026-10-12 09:00")) if d.name == "decision")
    assert decision.due == sh("2026-10-30 23:59:59")
    again = watch.sweep("2026-10-12 09:00")
    assert recorded(again, approval) == [] and types(approvals, approval).count("DeemedAccepted") == 1


def test_a_department_review_past_its_promise_is_recorded_missed_against_that_department__002_item_10(approvals, watch):
    """002 item 10: joint completion acceptance within 15 working days, each department's opinion too.
    Forwarded Mon 10-12 → 15 WD end at 24:00 Mon 11-02."""
    approval = submit(
        approvals,
        "2026-10-12 09:00",
        profile="liaocheng-2020-approvals",
        matter="joint-completion-acceptance",
        departments=("DISTRICT-FIRE", "DISTRICT-PLAN"),
    )
    approvals.accept(approval.id, PLATFORM, occurred_at=sh("2026-10-12 10:00"))
    approvals.forward(approval.id, PLATFORM, occurred_at=sh("2026-10-12 11:00"))
    approvals.answer(approval.id, FIRE, department="DISTRICT-FIRE", decision="approve", opinion="消防验收合格")
    report = watch.sweep("2026-11-03 00:00")
    missed = sorted((m["deadline"], m["unit"]) for m in mine(report.missed, approval))
    assert missed == [("decision", None), ("department_review@DISTRICT-PLAN", "DISTRICT-PLAN")]


def test_a_paused_application_is_not_swept_while_paused__licensing_law_art_45(approvals, watch):
    """Accepted Mon 10-12 (20 WD: end of Mon 11-09), paused Tue 10-20 for an expert review still running
    on 11-12: the decision is neither missed nor overdue; resumed Thu 11-12, after 17 working days
    (10-20 .. 11-11), it is due 17 working days after 11-09: end of Wed 12-02."""
    approval = submit(approvals, "2026-10-12 09:00")
    approvals.accept(approval.id, PLATFORM, occurred_at=sh("2026-10-12 10:00"))
    approvals.pause(
        approval.id, PLATFORM, reason="expert_review", expected_working_days=10, occurred_at=sh("2026-10-20 10:00")
    )
    assert mine(watch.sweep("2026-11-12 09:00").missed, approval) == []
    approvals.resume(approval.id, PLATFORM, occurred_at=sh("2026-11-12 09:30"))
    decision = next(
        d for d in approvals.deadlines(approvals.get(approval.id), sh("2026-11-12 10:00")) if d.name == "decision"
    )
    assert decision.due == sh("2026-12-02 23:59:59") and not decision.paused
    assert [p["working_days"] for p in decision.pauses] == [17]


def test_the_case_list_holds_approvals_apart_and_a_department_sees_its_own(approvals, appeals, watch):
    mine_ = submit(approvals, "2026-10-12 09:00", departments=("DISTRICT-FIRE",))
    other = submit(approvals, "2026-10-12 09:05", departments=("DISTRICT-PLAN",))
    watch.sweep("2026-10-12 09:10")  # runs the index to the head of the log
    view = watch.index.view
    rows, _ = view.query(CaseListQuery(kind="approval", viewer_unit="DISTRICT-FIRE", per_page=100))
    ids = {r["id"] for r in rows}
    assert str(mine_.id) in ids and str(other.id) not in ids
    row = next(r for r in rows if r["id"] == str(mine_.id))
    assert (row["category"], row["enterprise_name"], row["next_deadline"]) == ("general", "某某餐饮有限公司", "notice")
    appeal_rows, _ = view.query(CaseListQuery(per_page=100))
    assert not {str(mine_.id), str(other.id)} & {r["id"] for r in appeal_rows}


def test_an_approval_as_it_stood_at_a_moment(approvals):
    approval = submit(approvals, "2026-10-12 09:00")
    approvals.accept(approval.id, PLATFORM, occurred_at=sh("2026-10-12 10:00"))
    approvals.forward(approval.id, PLATFORM, occurred_at=sh("2026-10-13 10:00"))
    assert approvals.get(approval.id, as_of=sh("2026-10-12 12:00")).status == "accepted"
    assert approvals.get(approval.id, as_of=sh("2026-10-13 12:00")).status == "in_review"


def test_a_refused_command_records_nothing(approvals):
    approval = submit(approvals, "2026-10-12 09:00", departments=("DISTRICT-FIRE", "DISTRICT-PLAN"))
    approvals.accept(approval.id, PLATFORM)
    approvals.forward(approval.id, PLATFORM)
    version = approvals.get(approval.id).version
    with pytest.raises(NotPermitted):
        approvals.answer(approval.id, FIRE, department="DISTRICT-PLAN", decision="approve", opinion="代答")
    with pytest.raises(NotPermitted):
        approvals.deliver(approval.id, FIRE)
    with pytest.raises(ValidationFailed):
        approvals.pause(approval.id, PLATFORM, reason="lunch", expected_working_days=1)
    assert approvals.get(approval.id).version == version


def test_the_audit_trail_keeps_every_approval_event_with_its_actor(approvals, appeals, database_url, calendars):
    """An auditor reads who did what on an approval as on an appeal: the window and each department."""
    approval = submit(approvals, "2026-10-12 09:00")
    approvals.accept(approval.id, PLATFORM, occurred_at=sh("2026-10-12 10:00"))
    approvals.forward(approval.id, PLATFORM, occurred_at=sh("2026-10-12 11:00"))
    approvals.answer(approval.id, FIRE, department="DISTRICT-FIRE", decision="approve", opinion="合格")
    views = Views(database_from_url(database_url))
    trail = AuditTrail(views.get("audit_trail"))
    BatchRunner(CaseFeed(appeals), [trail]).run_once()
    rows, total = trail.view.query(AuditQuery(case_id=str(approval.id)))
    stored = appeals.recorder.select_events(approval.id)
    assert total == len(stored) == 4
    assert [(r["type"], r["actor_role"], r["actor_unit"]) for r in rows] == [
        ("Submitted", "platform", None),
        ("Accepted", "platform", None),
        ("Forwarded", "platform", None),
        ("DepartmentAnswered", "unit", "DISTRICT-FIRE"),
    ]
    assert [r["data"] for r in rows] == [e.state.decode("utf-8") for e in stored]
    views.close()
