"""联合办理 in the workspace (004 item 六): the platform's forms on the case page, the joint-handling ledger
(联合办理台账) and the monthly bulletin's figures, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from domain.deadlines.periods import SHANGHAI
from tests.e2e.test_workspace import forwarded_appeal, history
from tests.e2e.workspace_client import Clerk, text_of


def today(api) -> str:
    return api.container.clock().astimezone(SHANGHAI).date().isoformat()


def test_the_platform_marks_a_case_and_records_the_meeting_that_settles_its_lead(live):
    """004 items 六 and 十二: 列入联合办理 naming the units by name, then 记录联席会议 settling on the water bureau,
    which the case is forwarded to; the page shows the record, that the time limit is the local configuration's
    (004 gives no number, zichuan-2020 sets none), and the history in Chinese."""
    case = forwarded_appeal(live, subject=f"积水责任不明-{uuid.uuid4().int % 10**8}")
    page_path = f"/appeals/{case['id']}"
    clerk = Clerk.sign_in(live, "clerk")
    page = clerk.get(page_path).text
    assert "列入联合办理" in text_of(page) and "区水务局" in page
    r = clerk.submit(page_path, "joint-handling", {"units": ["DISTRICT-POWER", "DISTRICT-WATER"], "reason": "职责交叉"})
    assert r.status_code == 303, text_of(r.text)[:500]
    shown = text_of(clerk.get(page_path).text)
    assert "联合办理 相关单位 区供电中心、区水务局" in shown
    assert "时限由本地配置确定" in shown and "尚未经联席会议明确" in shown

    r = clerk.submit(
        page_path,
        "joint-meeting",
        {
            "held_on": today(live),
            "units": ["DISTRICT-POWER", "DISTRICT-WATER", "DISTRICT-GRID"],
            "decision": "由区水务局牵头",
            "lead_unit": "DISTRICT-WATER",
        },
    )
    assert r.status_code == 303, text_of(r.text)[:500]
    shown = text_of(clerk.get(page_path).text)
    assert "牵头单位 区水务局" in shown and "承办单位 区水务局" in shown
    assert "参会单位：区供电中心、区水务局、区网格中心；议定：由区水务局牵头；牵头单位：区水务局" in shown
    assert "列入联合办理" in shown and "联席会议" in shown
    assert history(live, case)[-3:] == ["JointHandlingMarked", "JointMeetingHeld", "Forwarded"]


def test_a_refused_meeting_form_says_why_in_chinese_and_records_nothing(live):
    """A meeting names two units or more, its lead among them (004 item 六); a bad date is refused too."""
    case = forwarded_appeal(live)
    assert (
        live.post(
            f"/api/appeals/{case['id']}/joint-handling",
            {"units": ["DISTRICT-POWER", "DISTRICT-WATER"], "reason": "交叉"},
        ).status_code
        == 200
    )
    page_path = f"/appeals/{case['id']}"
    clerk = Clerk.sign_in(live, "clerk")
    before = history(live, case)
    r = clerk.submit(
        page_path,
        "joint-meeting",
        {"held_on": today(live), "units": ["DISTRICT-WATER"], "decision": "议定", "lead_unit": "DISTRICT-POWER"},
    )
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "联合办理须涉及至少两个单位" in shown and "牵头单位须为参会单位之一" in shown
    r = clerk.submit(
        page_path, "joint-meeting", {"held_on": "十一月五日", "units": ["DISTRICT-WATER"], "decision": "x"}
    )
    assert r.status_code == 422 and "请按“年-月-日”填写会议日期" in text_of(r.text)
    r = clerk.submit(
        page_path, "joint-meeting", {"held_on": today(live), "units": ["DISTRICT-WATER", "DISTRICT-POWER"]}
    )
    assert r.status_code == 422 and "会议议定事项" in text_of(r.text) and "审查结论" not in text_of(r.text)
    assert history(live, case) == before


def test_a_unit_sees_no_joint_handling_form_and_no_ledger(live):
    case = forwarded_appeal(live)
    power = Clerk.sign_in(live, "power")
    assert "列入联合办理" not in text_of(power.get(f"/appeals/{case['id']}").text)
    assert power.get("/joint").status_code == 403


def test_the_ledger_lists_the_joint_cases_for_the_platform_and_supervisors(live):
    """004 item 六 (专门台账): the ledger lists every case marked, linked from the navigation."""
    subject = f"职责交叉-{uuid.uuid4().int % 10**8}"
    case = forwarded_appeal(live, subject=subject)
    other = forwarded_appeal(live)
    live.post(
        f"/api/appeals/{case['id']}/joint-handling", {"units": ["DISTRICT-POWER", "DISTRICT-GRID"], "reason": "交叉"}
    )
    for user in ("clerk", "super"):
        person = Clerk.sign_in(live, user)
        assert 'href="/joint"' in person.get("/").text
        ledger = person.get("/joint").text
        assert case["case_no"] in ledger and other["case_no"] not in ledger
        assert "区供电中心、区网格中心" in text_of(ledger) and "尚未召开" in text_of(ledger)


def test_the_monthly_report_page_shows_the_joint_handling_figures(live):
    """004 item 六 (月度通报): the month's marked cases, meetings, settled and still open."""
    case = forwarded_appeal(live)
    live.post(
        f"/api/appeals/{case['id']}/joint-handling", {"units": ["DISTRICT-POWER", "DISTRICT-GRID"], "reason": "交叉"}
    )
    month = today(live)[:7]
    page = text_of(Clerk.sign_in(live, "super").get("/reports/monthly", query_string={"period": month}).text)
    assert "联合办理情况" in page and "本期列入联合办理台账的诉求件数" in page
