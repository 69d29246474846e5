"""Helpers: a month of approvals (审批) of two departments, driven through their lifecycle with backfilled
2026 times, whose ledger and bulletin figures are counted by hand.

The 2026 schedule: Mid-Autumn Fri 09-25..Sun 09-27 and National Day Thu 10-01..Wed 10-07 are rest days;
Sun 09-20 and Sat 10-10 are make-up working days. Profile liaocheng-2020-approvals (聊政字〔2020〕25号).
"""

from __future__ import annotations

import uuid

from domain.approvals.service import ApprovalService
from tests.conftest import ADMIN, PLATFORM, sh

PROFILE = "liaocheng-2020-approvals"


def submit(approvals: ApprovalService, at: str, matter: str, departments: list[str]):
    approval, created = approvals.submit(
        PLATFORM,
        profile=PROFILE,
        matter=matter,
        applicant={"name": "某某置业有限公司"},
        materials=["申请表"],
        departments=departments,
        occurred_at=sh(at),
    )
    assert created
    return approval


def month_of_approvals(approvals: ApprovalService, add_unit=None) -> tuple[str, str]:
    """Three approvals of two departments of this test alone (the PostgreSQL database is shared):

    1. 联合竣工验收 to D1 and D2, submitted Mon 09-28 10:00 with no notice: the notice period (5 WD:
       09-29, 09-30, 10-08, 10-09, Sat 10-10) ends 10-10 24:00, so the sweep as of Mon 10-12 09:00
       records DeemedAccepted, accepted as of 09-28 (art. 32) — its decision period (15 WD) runs from
       09-28 to 10-23. Forwarded 10-12 10:00 (reviews: 15 WD, to 11-02). Paused Tue 10-20 for an
       inspection, resumed Thu 10-22: 2 working days (10-20, 10-21) not counted (art. 45), so the
       decision ends 10-27 and the reviews 11-04. D1 answers 10-26 (on time); D2 on 11-06 (late,
       recorded missed as met late); decided 11-06 (late: missed by the sweep of 11-03), delivered 11-09.
    2. 联合竣工验收 to D1, submitted and accepted Wed 10-14, forwarded 10-14: D1 answers 10-15, the window
       returns the opinion 10-16 (its review runs again), D1 answers again 10-19; decided 10-20 (on
       time: the decision ends 11-04), delivered 10-21.
    3. 供水供气报装 to D2, submitted, accepted and forwarded Mon 10-26: the review (5 WD: 10-27..10-30,
       11-02) ends 11-02 24:00 unanswered; the sweep as of 11-03 09:00 records it missed (and the
       decision, the window's own).
    """
    tag = f"{uuid.uuid4().int % 10**6:06d}"
    d1, d2 = f"FIRE-{tag}", f"PLAN-{tag}"
    if add_unit is not None:  # departments must be active units where the service checks them
        add_unit(d1, f"区消防救援大队{tag}")
        add_unit(d2, f"区自然资源局{tag}")
    one = submit(approvals, "2026-09-28 10:00", "joint-completion-acceptance", [d1, d2])
    assert [type(e).__name__ for e in approvals.sweep_case(one.id, PLATFORM, sh("2026-10-12 09:00"))] == [
        "DeemedAccepted"
    ]
    approvals.forward(one.id, PLATFORM, occurred_at=sh("2026-10-12 10:00"))
    approvals.pause(one.id, PLATFORM, reason="inspection", expected_working_days=2, occurred_at=sh("2026-10-20 09:00"))
    approvals.resume(one.id, PLATFORM, occurred_at=sh("2026-10-22 09:00"))
    approvals.answer(
        one.id, ADMIN, department=d1, decision="approve", opinion="消防验收合格", occurred_at=sh("2026-10-26 10:00")
    )

    two = submit(approvals, "2026-10-14 09:00", "joint-completion-acceptance", [d1])
    approvals.accept(two.id, PLATFORM, occurred_at=sh("2026-10-14 10:00"))
    approvals.forward(two.id, PLATFORM, occurred_at=sh("2026-10-14 11:00"))
    approvals.answer(
        two.id, ADMIN, department=d1, decision="approve", opinion="合格", occurred_at=sh("2026-10-15 10:00")
    )
    approvals.return_opinion(two.id, PLATFORM, department=d1, reason="意见不完整", occurred_at=sh("2026-10-16 10:00"))
    approvals.answer(
        two.id, ADMIN, department=d1, decision="approve", opinion="合格，附整改意见", occurred_at=sh("2026-10-19 10:00")
    )
    approvals.decide(two.id, PLATFORM, decision="approve", reason="联合验收合格", occurred_at=sh("2026-10-20 10:00"))
    approvals.deliver(two.id, PLATFORM, occurred_at=sh("2026-10-21 10:00"))

    three = submit(approvals, "2026-10-26 09:00", "utility-connection", [d2])
    approvals.accept(three.id, PLATFORM, occurred_at=sh("2026-10-26 10:00"))
    approvals.forward(three.id, PLATFORM, occurred_at=sh("2026-10-26 11:00"))
    for case in (one, two, three):
        approvals.sweep_case(case.id, PLATFORM, sh("2026-11-03 09:00"))

    approvals.answer(
        one.id, ADMIN, department=d2, decision="approve", opinion="规划核实合格", occurred_at=sh("2026-11-06 10:00")
    )
    approvals.decide(one.id, PLATFORM, decision="approve", reason="联合验收合格", occurred_at=sh("2026-11-06 11:00"))
    approvals.deliver(one.id, PLATFORM, occurred_at=sh("2026-11-09 10:00"))
    missed = {
        (e.data["deadline"], e.data["found_by"])
        for case in (one, three)
        for e in approvals.history(case.id)
        if e.type == "DeadlineMissed"
    }
    assert missed == {
        ("decision", "sweep"),
        (f"department_review@{d2}", "late_meet"),
        (f"department_review@{d2}", "sweep"),
    }
    return d1, d2
