"""退单审核 (派单异议审核, 国办函〔2025〕66号) in the web workspace: the pending hand-back on the case page, the
platform's form, the history in Chinese and the inbox's mark, through the Flask app on both databases."""

from __future__ import annotations

import uuid

from tests.e2e.test_workspace import forwarded_appeal, history
from tests.e2e.workspace_client import Clerk, text_of


def handed_back(api):
    tag = uuid.uuid4().int % 10**8  # the PostgreSQL database is shared: a subject of its own
    case = forwarded_appeal(api, subject=f"接电难-{tag}")
    response = api.post(f"/api/appeals/{case['id']}/handback", {"reason": "属供水部门职责。"}, user="power")
    assert response.status_code == 200, response.json
    return case, tag


def test_the_platform_sees_the_pending_hand_back_and_re_forwards_it_by_its_ruling(live):
    """国办函〔2025〕66号 派单异议审核 and 改派: the page shows 待审核退单 with the reason; 同意退单 with a unit
    chosen from the list re-forwards it; the history names the ruling in Chinese."""
    case, tag = handed_back(live)
    clerk = Clerk.sign_in(live, "clerk")
    inbox = text_of(clerk.get("/", query_string={"q": tag}).text)
    assert "待审核退单" in inbox
    path = f"/appeals/{case['id']}"
    page = clerk.get(path).text
    assert "待审核退单" in text_of(page) and "属供水部门职责。" in text_of(page)
    assert "退单审核" in page and "同意退单" in page and "不同意退单" in page and "区水务局" in page
    assert f'action="{path}/forward"' not in page  # 改派 is part of the ruling while it waits
    response = clerk.submit(path, "rule-handback", {"upheld": "yes", "note": "同意退单。", "unit": "DISTRICT-WATER"})
    assert response.status_code == 303, text_of(response.text)[:400]
    assert history(live, case)[-2:] == ["HandbackRuled", "Forwarded"]
    shown = text_of(clerk.get(path).text)
    assert "同意退单，不计入该单位" in shown  # the first unit's reply period, in the deadlines table
    assert "同意退单，改派区水务局" in shown and "退单审核" in shown and "审核意见：同意退单。" in shown
    assert "待审核退单" not in text_of(clerk.get("/", query_string={"q": tag}).text)


def test_a_ruling_without_a_conclusion_is_refused_beside_its_field_and_records_nothing(live):
    case, _ = handed_back(live)
    clerk = Clerk.sign_in(live, "clerk")
    before = live.store()
    response = clerk.submit(f"/appeals/{case['id']}", "rule-handback", {"note": "同意。"})
    assert response.status_code == 422 and "请选择审核结论：同意退单或不同意退单" in text_of(response.text)
    response = clerk.submit(
        f"/appeals/{case['id']}", "rule-handback", {"upheld": "no", "note": "不同意。", "unit": "DISTRICT-WATER"}
    )
    assert response.status_code == 422 and "不同意退单时不能改派" in text_of(response.text)
    assert live.store() == before


def test_the_unit_sees_its_pending_hand_back_and_no_ruling_form(live):
    """The unit that asked reads that its request awaits the platform; the ruling is not its to make."""
    case, _ = handed_back(live)
    unit = Clerk.sign_in(live, "power")
    page = unit.get(f"/appeals/{case['id']}").text
    assert "待审核退单" in text_of(page) and "rule-handback" not in page


def test_the_audit_trail_page_names_the_ruling_in_chinese(live):
    """The audit trail (办理记录检索) shows 退单审核 with its conclusion and the unit re-forwarded to."""
    case, _ = handed_back(live)
    body = {"upheld": True, "note": "同意退单。", "unit": "DISTRICT-WATER"}
    assert live.post(f"/api/appeals/{case['id']}/rule-handback", body).status_code == 200
    page = Clerk.sign_in(live, "auditor").get("/audit/trail", query_string={"case_no": case["case_no"]})
    text = text_of(page.text)
    assert "退单审核" in text and "同意退单" in text and "改派 区水务局" in text
