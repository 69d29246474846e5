"""首接负责 (直接答复) and 回头看 in the workspace, on SQLite and PostgreSQL: the platform's forms on a case
page (CSRF, no JavaScript), the history in Chinese, the unit's ledger page and the monthly report page.

Sources: 004 item 六 (首接负责制: 直接答复、三方连线、在线转接; 回头看核查), 004 item 十四 (满意度回头看,
抽选部分企业). Dates on the 2026 calendar: November 2026 has no holiday.
"""

from __future__ import annotations

import random

from tests.e2e.workspace_client import Clerk, text_of


def ok(response, status: int = 200):
    assert response.status_code == status, response.json
    return response.json


def _closed(api, unit: str = "DISTRICT-POWER") -> dict:
    """Forwarded Mon 2026-11-02, answered, accepted, visited and closed Tue 11-03."""
    case = api.open(occurred_at="2026-11-02T09:00:00+08:00", subject=f"用工补贴申请{random.randrange(10**6)}")
    path = f"/api/appeals/{case['id']}"
    ok(api.post(f"{path}/forward", {"unit": unit, "occurred_at": "2026-11-02T10:00:00+08:00"}))
    body = {"kind": "final", "content": "已办", "occurred_at": "2026-11-02T15:00:00+08:00"}
    ok(api.post(f"{path}/answer", body, user="ops"))
    ok(api.post(f"{path}/review", {"accepted": True, "occurred_at": "2026-11-03T09:00:00+08:00"}))
    body = {"satisfaction": "satisfied", "solved": True, "occurred_at": "2026-11-03T10:00:00+08:00"}
    ok(api.post(f"{path}/visit", body))
    return ok(api.post(f"{path}/close", {"occurred_at": "2026-11-03T11:00:00+08:00"}))


def test_the_platform_answers_a_new_consultation_at_first_contact_from_its_page(api):
    """004 item 六 (首接负责制: 直接答复、三方连线、在线转接): the form 直接答复 with the three methods in
    Chinese on a new consultation's page, none on a help request's; the case closes unforwarded and the
    history reads in Chinese; a form without a method is refused, records nothing, and says why."""
    clerk = Clerk.sign_in(api, "clerk")
    consultation = api.open(category="consultation", subject=f"社保补贴咨询{random.randrange(10**6)}")
    page_path = f"/appeals/{consultation['id']}"
    page = clerk.get(page_path).text
    assert f'action="{page_path}/direct-answer"' in page
    assert all(word in text_of(page) for word in ("直接答复", "三方连线", "在线转接", "答复内容"))
    help_case = api.open(category="help")
    assert "/direct-answer" not in clerk.get(f"/appeals/{help_case['id']}").text
    unit_page = Clerk.sign_in(api, "power").get(page_path)
    assert unit_page.status_code in (403, 404) or "/direct-answer" not in unit_page.text

    refused = clerk.submit(page_path, "direct-answer", {"content": "已答复"})
    assert refused.status_code == 422 and "请选择答复方式" in text_of(refused.text)
    assert ok(api.get(f"/api/appeals/{consultation['id']}"))["version"] == 1
    no_csrf = clerk.submit(page_path, "direct-answer", {"method": "direct", "content": "已答复"}, csrf=False)
    assert no_csrf.status_code == 400 and ok(api.get(f"/api/appeals/{consultation['id']}"))["version"] == 1

    done = clerk.submit(page_path, "direct-answer", {"method": "transfer", "content": "在线转接人社专席，已答复"})
    assert done.status_code == 303
    case = ok(api.get(f"/api/appeals/{consultation['id']}"))
    assert (case["status"], case["direct"], case["unit"]) == ("closed", True, None)
    text = text_of(clerk.get(page_path).text)
    assert "直接答复（即时办结）" in text and "在线转接" in text and "未转办承办单位" in text
    assert "答复方式 在线转接" in text or "答复方式在线转接" in text.replace(" ", "")


def test_the_platform_records_a_look_back_on_a_closed_case_from_its_page(api):
    """004 items 六, 十四 (回头看, 抽样回访): the form 回头看 (落实到位 / 未落实, 情况, 抽样回访) on a closed case's
    page; 未落实 returns the case to its lead unit (重办), and the history and the page say so in Chinese."""
    clerk = Clerk.sign_in(api, "clerk")
    case = _closed(api)
    page_path = f"/appeals/{case['id']}"
    page = clerk.get(page_path).text
    assert f'action="{page_path}/recheck"' in page and 'type="checkbox"' in page
    assert all(word in text_of(page) for word in ("回头看", "落实到位", "未落实", "抽样回访"))
    refused = clerk.submit(page_path, "recheck", {"note": "已核查"})
    assert refused.status_code == 422 and "请选择回头看结论" in text_of(refused.text)

    done = clerk.submit(page_path, "recheck", {"holds": "false", "note": "企业反映仍未解决", "sampled": "y"})
    assert done.status_code == 303
    after = ok(api.get(f"/api/appeals/{case['id']}"))
    assert after["status"] == "returned" and after["rechecks"][-1]["sampled"] is True
    text = text_of(clerk.get(page_path).text)
    assert "未落实，退回重办" in text and "抽样回访" in text and "退回重办" in text
    assert "/recheck" not in clerk.get(page_path).text.split("当前不可办理")[0]


def test_the_ledger_and_monthly_report_pages_show_first_contact_answers_and_look_backs(live):
    """004 item 六 (月度通报; 即时办结 counted apart; 回头看 with its results): both pages list them in Chinese."""
    case = live.open(category="consultation", occurred_at="2026-11-04T09:00:00+08:00")
    body = {"method": "direct", "content": "已直接答复", "occurred_at": "2026-11-04T09:10:00+08:00"}
    ok(live.post(f"/api/appeals/{case['id']}/direct-answer", body))
    closed = _closed(live)
    body = {"holds": True, "note": "已落实", "occurred_at": "2026-11-05T10:00:00+08:00"}
    ok(live.post(f"/api/appeals/{closed['id']}/recheck", body))

    report = text_of(Clerk.sign_in(live, "super").get("/reports/monthly?period=2026-11").text)
    assert "即时办结与回头看" in report and "即时办结（直接答复）" in report and "回头看落实到位" in report
    ledger = text_of(Clerk.sign_in(live, "power").get("/units/DISTRICT-POWER/ledger?period=2026-11").text)
    assert "即时办结（直接答复）" in ledger and "回头看落实到位" in ledger
