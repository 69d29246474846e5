"""The hotline platform's and the window's main path in chromium with JavaScript off, against the real server:
登记诉求, 并单 and 撤销并单, 受理申请 with 一次性告知 and 补正材料, and the deadline sweep (期限监测).
Every new page passes axe-core (WCAG 2.1 A and AA) with no violation."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_check, screenshot, sign_in, weeks_ago, zoom_check
from tests.browser.test_workspace import action_form, path_of, posted_and_redirected, submit, timeline

CASE_PAGE = re.compile(r"/(appeals|approvals)/([0-9a-f-]{36})")


def nav_to(page, label: str, heading: str) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="工作台").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def submitted(page, button: str):
    """The page's own form sent by its button; the response the browser then shows."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    return navigation.value


def redirected_to_case(response, kind: str) -> str:
    origin = response.request.redirected_from
    assert origin is not None and origin.method == "POST" and origin.response().status == 303, response.url
    found = CASE_PAGE.fullmatch(path_of(response.url))
    assert response.status == 200 and found and found.group(1) == kind, (response.url, response.status)
    return found.group(2)


def test_the_platform_registers_an_appeal_merges_it_and_undoes_the_merge(page, workspace, artifacts):
    code = "913703030000000017"
    first = workspace.forwarded_appeal(
        "DISTRICT-POWER",
        subject="厂区配电改造迟迟未办",
        enterprise={"name": "淄博某某机械有限公司", "credit_code": code},
    )
    sign_in(page, "clerk")
    nav_to(page, "登记诉求", "登记诉求")
    axe_check(page)
    zoom_check(page)

    # Nothing filled in: every problem at once, beside its field, nothing recorded.
    refused = submitted(page, "登记诉求")
    assert refused.status == 422, refused.status
    summary = page.locator("div.error-summary[role=alert]")
    expect(summary).to_be_visible()
    for field in ("channel", "category", "subject", "content", "enterprise_name", "profile"):
        expect(summary.locator(f'a[href="#{field}"]')).to_have_count(1)
        expect(page.locator(f"p.field-error#{field}-error")).to_be_visible()
    screenshot(page, artifacts, "new-appeal-refused", workspace)
    axe_check(page, snapshot=True)

    page.get_by_label("来源渠道", exact=True).select_option(label="12345热线")
    page.get_by_label("服务求助", exact=True).check()
    page.get_by_label("诉求标题", exact=True).fill("配电改造再次反映")
    page.get_by_label("诉求内容", exact=True).fill("厂区配电改造申请提交已一月，仍未安排施工")
    page.get_by_label("企业名称", exact=True).fill("淄博某某机械有限公司")
    page.get_by_label("统一社会信用代码（可不填）", exact=True).fill(code)
    page.get_by_label("适用规则", exact=True).select_option(label="淄川区企业诉求“接诉即办”")
    repeat_id = redirected_to_case(submitted(page, "登记诉求"), "appeals")
    expect(page.locator("[role=status]")).to_contain_text("已登记诉求")
    repeat_path = f"/appeals/{repeat_id}"

    # 并单: the case of the same enterprise is suggested; chosen, the repeat joins it.
    form = action_form(page, "并单")
    form.get_by_label(re.compile(first["case_no"])).check()
    form.get_by_label("并单说明（可不填）", exact=True).fill("同一企业同一事项")
    posted_and_redirected(submit(page, form, "并单"), repeat_path)
    expect(page.locator("p.notice[role=status]").filter(has_text="已并单")).to_contain_text(first["case_no"])
    assert workspace.api("GET", f"/api/appeals/{repeat_id}")["status"] == "merged"
    screenshot(page, artifacts, "appeal-merged", workspace)
    axe_check(page)

    form = action_form(page, "撤销并单")
    form.get_by_label("撤销并单的理由", exact=True).fill("经核实为两个不同的配电项目")
    posted_and_redirected(submit(page, form, "撤销并单"), repeat_path)
    assert workspace.api("GET", f"/api/appeals/{repeat_id}")["status"] == "received"
    expect(timeline(page).filter(has_text="撤销并单")).to_have_count(1)


def test_the_window_receives_an_application_and_tells_every_missing_material_at_once(page, workspace, artifacts):
    sign_in(page, "clerk")
    nav_to(page, "受理申请", "受理申请")
    axe_check(page)
    page.get_by_label("适用规则", exact=True).select_option(
        label="行政许可法法定期限（一次告知、审查决定、联合办理、送达）"
    )
    page.get_by_label("审批事项（须为所选规则中的事项）", exact=True).select_option(label="一般行政许可事项")
    page.get_by_label("申请人名称", exact=True).fill("淄博某某餐饮有限公司")
    page.get_by_label("已提交的材料（每行一项）", exact=True).fill("申请书\n营业执照")
    page.get_by_label("区消防救援大队", exact=True).check()
    case_id = redirected_to_case(submitted(page, "受理申请"), "approvals")
    path = f"/approvals/{case_id}"
    expect(page.locator("[role=status]")).to_contain_text("已受理申请")

    form = action_form(page, "一次性告知")
    form.get_by_label("需补正的全部材料（每行一项，一次列全）", exact=True).fill("法定代表人身份证明\n场所平面图")
    posted_and_redirected(submit(page, form, "一次性告知"), path)
    shown = workspace.api("GET", f"/api/approvals/{case_id}")
    assert shown["status"] == "materials_requested" and shown["missing"] == ["法定代表人身份证明", "场所平面图"]
    form = action_form(page, "补正材料")
    expect(form.get_by_label("申请人补正的材料（每行一项）", exact=True)).to_have_value(
        "法定代表人身份证明\n场所平面图"
    )
    screenshot(page, artifacts, "approval-materials", workspace)
    axe_check(page)
    posted_and_redirected(submit(page, form, "补正材料"), path)
    assert workspace.api("GET", f"/api/approvals/{case_id}")["status"] == "submitted"
    action_form(page, "受理")  # open now that every material told missing is in


def test_the_platform_previews_the_deadline_sweep_and_runs_it(page, workspace, artifacts):
    """000 item 4: the unit's initial reply within 2 working days; five weeks on it is overdue."""
    late = workspace.forwarded_appeal("DISTRICT-POWER", occurred_at=weeks_ago(5), subject="线路迁改久拖未复")
    sign_in(page, "clerk")
    nav_to(page, "期限监测", "期限监测")
    preview = page.locator("section").filter(has=page.get_by_role("heading", name="现在执行将记录（预览）"))
    missed = preview.get_by_role("table", name=re.compile("逾期未办结的期限"))
    row = missed.locator("tbody tr").filter(has_text=late["case_no"]).filter(has_text="承办单位回复初步处理情况")
    expect(row).to_contain_text("区供电中心")
    escalations = preview.get_by_role("table", name=re.compile("随之督办"))
    expect(escalations.locator("tbody tr").filter(has_text=late["case_no"])).to_contain_text("督办通知")
    screenshot(page, artifacts, "sweep-preview", workspace)
    axe_check(page)
    zoom_check(page)
    events = len(workspace.history("appeals", late["id"]))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="执行", exact=True).click()
    response = navigation.value
    assert response.request.redirected_from is not None and response.status == 200
    done = page.locator("section").filter(has=page.get_by_role("heading", name="本次执行已记录"))
    expect(done.locator("table tbody tr").filter(has_text=late["case_no"]).first).to_be_visible()
    types = [e["type"] for e in workspace.history("appeals", late["id"])[events:]]
    assert "DeadlineMissed" in types, types
    screenshot(page, artifacts, "sweep-done", workspace)
    axe_check(page, snapshot=True)
