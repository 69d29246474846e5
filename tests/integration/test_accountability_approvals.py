"""Accountability (问责) follows approvals (审批) too: a department's missed review and its returned opinions
are its lapses, under the approval profile's own ``[accountability]`` rules (the same format as the
appeals': domain.accountability.record).

No packaged approval profile has rules of its own, so the tests take a local edit of the Liaoyuan approvals
profile (辽源市2024年营商环境优化重点行动方案 item 8: the fire rescue detachment's on-site inspection within
5 WD) carrying the Liaoyuan appeals profile's rules (item 5: a flawed result or a missed deadline →
专项督办, 约谈提醒, 通报批评 and a recommendation to start 追责问责, once per case). Dates are counted on the
official 2026 calendar.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from adapters.persistence.database import database_from_url
from adapters.profiles.files import FileProfileCatalogue
from domain.accountability.process import AccountabilityProcess
from domain.approvals.service import ApprovalService
from domain.errors import ValidationFailed
from projections.accountability.process import ProcessFollower
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, sh

PROFILES = Path(__file__).resolve().parents[2] / "adapters" / "profiles"
ITEM_5 = ("special_supervision", "reminder_interview", "criticism", "accountability_recommendation")


@pytest.fixture
def local(tmp_path, appeals, database_url, calendars):
    approvals_profile = (PROFILES / "liaoyuan-2024-approvals.toml").read_text("utf-8")
    appeal_rules = (PROFILES / "liaoyuan-2024.toml").read_text("utf-8")
    rules = appeal_rules[appeal_rules.index("[accountability]") :]  # the file's last table, with its rules
    text = approvals_profile.replace('id = "liaoyuan-2024-approvals"', 'id = "liaoyuan-approvals-local"')
    (tmp_path / "liaoyuan-approvals-local.toml").write_text(text + "\n" + rules, "utf-8")
    profiles = FileProfileCatalogue([tmp_path])
    assert profiles.get("liaoyuan-approvals-local", kind="approval").accountability is not None
    service = ApprovalService(
        database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction, store=appeals
    )
    process = AccountabilityProcess(database_from_url(database_url).env, appeals=appeals, profiles=profiles)
    yield service, process, ProcessFollower(process, appeals)
    process.close()
    service.close()


def forwarded(approvals, department: str, at: str = "2026-10-12"):
    approval, _ = approvals.submit(
        PLATFORM,
        profile="liaoyuan-approvals-local",
        matter="assembly-venue-opening",
        applicant={"name": "某某影城有限公司"},
        materials=["申请表"],
        departments=[department],
        occurred_at=sh(f"{at} 09:00"),
    )
    approvals.accept(approval.id, PLATFORM, occurred_at=sh(f"{at} 10:00"))
    return approvals.forward(approval.id, PLATFORM, occurred_at=sh(f"{at} 11:00"))


def consequences(process, follower, unit: str) -> list[dict]:
    follower.run_once()
    record = process.record_of(unit)
    return record.consequences if record else []


def test_a_departments_missed_review_brings_the_profiles_consequences_on_it(local):
    """The on-site inspection (5 WD from Mon 10-12: 10-13..10-16, 10-19) ends 10-19 24:00 unanswered; the
    sweep as of Tue 10-20 records it missed, binding the fire department: item 5's four consequences, once."""
    approvals, process, follower = local
    fire = f"FIRE-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded(approvals, fire)
    recorded = approvals.sweep_case(case.id, PLATFORM, sh("2026-10-20 09:00"))
    missed = [e for e in recorded if type(e).__name__ == "DeadlineMissed" and e.unit == fire]
    assert [e.deadline for e in missed] == [f"department_review@{fire}"]
    found = consequences(process, follower, fire)
    assert [(c["kind"], c["rule"]) for c in found] == [(k, "liaoyuan-approvals-local/overdue") for k in ITEM_5]
    assert found[0]["at"] == sh("2026-10-20 00:00")  # when the review period ended
    assert {(e["case_id"], e["seq"]) for e in found[0]["evidence"]} >= {(str(case.id), missed[0].originator_version)}
    approvals.sweep_case(case.id, PLATFORM, sh("2026-10-21 09:00"))
    assert len(consequences(process, follower, fire)) == 4  # each cause fires a rule once


def test_a_returned_opinion_is_a_lapse_of_that_department(local):
    """Item 5 (a flawed result, once per case): the window returns the fire department's opinion."""
    approvals, process, follower = local
    fire = f"FIRE-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded(approvals, fire)
    approvals.answer(
        case.id, ADMIN, department=fire, decision="approve", opinion="合格", occurred_at=sh("2026-10-13 10:00")
    )
    returned = approvals.return_opinion(
        case.id, PLATFORM, department=fire, reason="检查记录不实", occurred_at=sh("2026-10-14 10:00")
    )
    found = consequences(process, follower, fire)
    assert [(c["kind"], c["rule"]) for c in found] == [(k, "liaoyuan-approvals-local/flawed-result") for k in ITEM_5]
    lapse = process.record_of(fire).lapses[0]
    assert (lapse["kind"], lapse["seq"], lapse["detail"]["reason"]) == ("returned", returned.version, "检查记录不实")


def test_a_dry_run_previews_an_approvals_consequences_and_records_none(local):
    approvals, process, follower = local
    fire = f"FIRE-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded(approvals, fire)
    events = approvals.sweep_cases([case.id], PLATFORM, sh("2026-10-20 09:00"), dry_run=True)
    previewed = [(unit, e.kind) for unit, e in process.preview(events) if unit == fire]
    assert previewed == [(fire, kind) for kind in ITEM_5]
    assert consequences(process, follower, fire) == []


def test_a_missed_deadline_of_the_window_binds_no_department(local):
    """The decision period (5 WD) is the window's own: its miss is no department's lapse."""
    approvals, process, follower = local
    fire = f"FIRE-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded(approvals, fire)
    approvals.answer(
        case.id, ADMIN, department=fire, decision="approve", opinion="合格", occurred_at=sh("2026-10-13 10:00")
    )
    recorded = approvals.sweep_case(case.id, PLATFORM, sh("2026-10-20 09:00"))
    assert [(e.deadline, e.unit) for e in recorded if type(e).__name__ == "DeadlineMissed"] == [("decision", None)]
    assert consequences(process, follower, fire) == []


def test_listed_supervision_may_name_an_approval_the_department_reviews(local):
    """挂牌督办 (003 item 5) on a case the unit is on: for an approval, a department reviewing it."""
    approvals, process, _ = local
    fire, other = f"FIRE-{uuid.uuid4().hex[:8].upper()}", f"PLAN-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded(approvals, fire)
    record = process.record_action(
        fire, "listed_supervision_opened", SUPERVISOR, note="逾期未检查，挂牌督办", case_id=str(case.id)
    )
    assert [s["case_id"] for s in record.supervisions.values()] == [str(case.id)]
    with pytest.raises(ValidationFailed):
        process.record_action(other, "listed_supervision_opened", SUPERVISOR, note="挂牌督办", case_id=str(case.id))
