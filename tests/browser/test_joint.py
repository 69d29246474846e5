"""联合办理 in chromium with JavaScript off, against the real server (004 item 六): the platform marks a case of
unclear responsibility on its page, records the joint meeting that settles the lead (refused once, then
recorded), and finds it on 联合办理台账. axe-core checks every page."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in, zoom_check
from tests.browser.test_workspace import action_form, posted_and_redirected, submit, timeline


def test_the_platform_marks_a_case_for_joint_handling_and_records_the_meeting(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER", subject="厂区排水设施权属不清")
    case_path = f"/appeals/{case['id']}"
    sign_in(page, "clerk")
    page.goto(case_path)
    form = action_form(page, "列入联合办理")
    form.get_by_label("相关单位（责任不明或职责交叉的单位，至少选择两个）").select_option(
        label=["区供电中心", "区水务局"]
    )
    form.get_by_label("列入联合办理的理由").fill("排水设施权属不清，供电与水务职责交叉")
    response = submit(page, form, "列入联合办理")
    posted_and_redirected(response, case_path)
    section = page.locator("section[aria-labelledby=joint-title]")
    expect(section).to_contain_text("区供电中心、区水务局")
    expect(section).to_contain_text("时限由本地配置确定")
    axe_check(page)
    zoom_check(page)

    # One unit present only: refused with the reason beside the field, nothing recorded.
    form = action_form(page, "记录联席会议")
    form.get_by_label("会议日期（年-月-日，如 2026-11-05）").fill(datetime.now().date().isoformat())
    form.get_by_label("参会单位（至少两个）").select_option(label=["区水务局"])
    form.get_by_label("会议议定事项").fill("由区水务局牵头")
    refused = submit(page, form, "记录联席会议")
    assert refused.status == 422, refused.status
    expect(page.locator(".error-summary")).to_contain_text("联合办理须涉及至少两个单位")
    axe_check(page, snapshot=True)

    form = action_form(page, "记录联席会议")
    form.get_by_label("会议日期（年-月-日，如 2026-11-05）").fill(datetime.now().date().isoformat())
    form.get_by_label("参会单位（至少两个）").select_option(label=["区供电中心", "区水务局"])
    form.get_by_label("会议议定事项").fill("由区水务局牵头，区供电中心配合")
    form.get_by_label("议定的牵头单位（选定后本案转该单位办理，其他参会单位协办；未议定可不选）").select_option(
        label="区水务局"
    )
    posted_and_redirected(submit(page, form, "记录联席会议"), case_path)
    expect(page.locator("section[aria-labelledby=joint-title]")).to_contain_text("牵头单位：区水务局")
    expect(timeline(page).filter(has_text="会议日期")).to_have_count(1)  # the meeting's entry
    expect(timeline(page).last).to_contain_text("联席会议议定：由区水务局牵头")  # the forward it made

    with page.expect_navigation():
        page.get_by_role("navigation", name="工作台").get_by_role("link", name="联合办理台账", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("联合办理台账")
    expect(page.get_by_role("link", name=case["case_no"])).to_be_visible()
    axe_check(page)
    zoom_check(page)
