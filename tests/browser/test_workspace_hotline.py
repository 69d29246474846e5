"""首接负责 (直接答复) and 回头看 in chromium with JavaScript off, against the real server (004 items 六, 十四)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in
from tests.browser.test_workspace import action_form, posted_and_redirected, submit, timeline


def test_the_platform_answers_a_consultation_at_first_contact(page, workspace):
    """004 item 六 (对于咨询类诉求，实行首接负责制，通过直接答复、三方连线、在线转接等方式第一时间向企业进行答复)."""
    case = workspace.open_appeal(category="consultation", subject="小微企业社保补贴如何申请")
    case_path = f"/appeals/{case['id']}"
    sign_in(page, "clerk")
    page.goto(case_path)
    form = action_form(page, "直接答复并办结")
    for method in ("直接答复", "三方连线", "在线转接"):
        expect(form.get_by_label(method, exact=True)).to_have_count(1)
    axe_check(page)
    form.get_by_label("三方连线", exact=True).check()
    form.get_by_label("答复内容", exact=True).fill("三方连线区人社局，已告知申请条件和材料。")
    posted_and_redirected(submit(page, form, "直接答复并办结"), case_path)
    expect(timeline(page).filter(has_text="直接答复（即时办结）")).to_have_count(1)
    expect(page.get_by_text("未转办承办单位")).to_have_count(1)
    assert workspace.api("GET", f"/api/appeals/{case['id']}")["direct"] is True


def test_the_platform_records_a_look_back_that_sends_the_case_back(page, workspace):
    """004 items 六, 十四 (回头看, 抽选部分企业开展满意度回头看): 未落实 → 退回重办 to the lead unit."""
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    path = f"/api/appeals/{case['id']}"
    workspace.api("POST", f"{path}/answer", {"kind": "final", "content": "已接电"}, user="power")
    workspace.api("POST", f"{path}/review", {"accepted": True})
    workspace.api("POST", f"{path}/visit", {"satisfaction": "satisfied", "solved": True})
    workspace.api("POST", f"{path}/close", {})
    case_path = f"/appeals/{case['id']}"
    sign_in(page, "clerk")
    page.goto(case_path)
    form = action_form(page, "记录回头看")
    form.get_by_label("未落实", exact=True).check()
    form.get_by_label("抽样回访", exact=True).check()
    form.get_by_label("回头看情况（未落实时作为退回重办的理由）", exact=True).fill("回访发现仍未通电。")
    axe_check(page)
    posted_and_redirected(submit(page, form, "记录回头看"), case_path)
    expect(timeline(page).filter(has_text="回头看")).to_have_count(1)
    after = workspace.api("GET", path)
    assert after["status"] == "returned" and after["rechecks"][-1]["sampled"] is True
