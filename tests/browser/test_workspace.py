"""The web workspace (待办, case pages, forms) in chromium with JavaScript off, against the real server."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, axe_check, new_context, screenshot, sign_in, weeks_ago, zoom_check

CJK = re.compile(r"[\u4e00-\u9fff]")
INBOX_COLUMNS = ["类型", "编号", "标题", "状态", "下一期限", "剩余工作日"]


def path_of(url: str) -> str:
    return urlsplit(url).path


def inbox_row(page, case_no: str):
    """The inbox's row of a case, found by its number; exactly one."""
    row = page.locator("table tbody tr").filter(has_text=case_no)
    expect(row).to_have_count(1)
    return row


def action_form(page, button: str):
    """The form whose submit button reads ``button``."""
    form = page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))
    expect(form).to_have_count(1)
    return form


def login_form(page):
    return page.locator("form[action$='/login']")


def submit(page, form, button: str):
    """Click the form's button; the response the browser then shows (after any redirect)."""
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name=button, exact=True).click()
    return navigation.value


def posted_and_redirected(response, case_path: str) -> None:
    """A POST answered by a 303 redirect (post/redirect/get) to the case page, shown with 200."""
    origin = response.request.redirected_from
    assert origin is not None and origin.method == "POST", (
        f"expected the form's POST to redirect, got {response.request.method} {response.url} {response.status}"
    )
    assert origin.response().status == 303, origin.response().status
    assert response.status == 200 and path_of(response.url) == case_path, (response.url, response.status)


def not_offered(page, button: str) -> None:
    """The action is absent, or its button disabled with the reason in words beside it."""
    found = page.get_by_role("button", name=button, exact=True)
    for i in range(found.count()):
        expect(found.nth(i)).to_be_disabled()
        reason = found.nth(i).locator("xpath=..").inner_text().replace(button, "", 1)
        assert CJK.search(reason), (button, reason)


def timeline(page):
    return page.locator("ol.timeline > li")


def test_the_browser_reaches_the_server(page, workspace):
    response = page.goto("/healthz")
    assert response.status == 200
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"


def test_a_unit_signs_for_and_answers_an_appeal(page, workspace, artifacts):
    case = workspace.forwarded_appeal("DISTRICT-POWER", subject="新厂房低压接电逾期未办")
    case_id, case_no = case["id"], case["case_no"]
    case_path = f"/appeals/{case_id}"

    sign_in(page, "power")
    assert path_of(page.url) == "/"
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("待办"))
    headers = page.locator("table thead th").all_inner_texts()
    for column in INBOX_COLUMNS:
        assert any(column in header for header in headers), (column, headers)
    row = inbox_row(page, case_no)
    expect(row).to_contain_text("新厂房低压接电逾期未办")
    expect(row).not_to_contain_text("已超期")
    link = row.get_by_role("link", name=case_no)
    assert path_of(link.get_attribute("href")) == case_path
    screenshot(page, artifacts, "inbox", workspace)
    axe_check(page)

    with page.expect_navigation():
        link.click()
    assert path_of(page.url) == case_path
    expect(page.get_by_role("heading", level=1)).to_contain_text(case_no)
    for section in ("基本信息", "办理期限", "办理记录", "可办理事项"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_have_count(1)
    deadline_headers = page.locator("table").filter(has_text="截止时间").first.locator("th").all_inner_texts()
    for column in ("期限", "截止时间", "剩余工作日", "状态"):
        assert column in deadline_headers, (column, deadline_headers)
    received, forwarded = timeline(page).nth(0), timeline(page).nth(1)
    for entry, name in ((received, "受理"), (forwarded, "转办")):
        expect(entry).to_contain_text(name)
        expect(entry).to_contain_text("clerk")
        expect(entry).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))

    posted_and_redirected(submit(page, action_form(page, "签收"), "签收"), case_path)
    expect(page.locator("[role=status]")).to_be_visible()  # the confirmation
    expect(timeline(page)).to_have_count(len(workspace.history("appeals", case_id)))
    expect(timeline(page).filter(has_text="签收")).to_have_count(1)
    expect(timeline(page).filter(has_text="签收")).to_contain_text("power")
    not_offered(page, "签收")  # signed for once; not again

    # An empty answer: refused with the reason at the top and beside the field, nothing recorded.
    before = workspace.history("appeals", case_id)
    form = action_form(page, "提交答复")
    form.evaluate("f => { f.noValidate = true; }")  # the server's own check, not the browser's
    form.get_by_label("办理结果", exact=True).check()
    form.get_by_label("答复内容", exact=True).fill("")
    refused = submit(page, form, "提交答复")
    assert refused.status == 422, refused.status
    summary = page.locator("div.error-summary[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text(re.compile("提交未成功"))
    content_id = page.get_by_label("答复内容", exact=True).get_attribute("id")
    expect(summary.locator(f'a[href="#{content_id}"]')).to_have_count(1)
    beside = page.locator(f"p.field-error#{content_id}-error")
    expect(beside).to_be_visible()
    assert CJK.search(beside.inner_text()), beside.inner_text()
    assert workspace.history("appeals", case_id) == before
    screenshot(page, artifacts, "answer-refused", workspace)
    axe_check(page, snapshot=True)
    zoom_check(page, snapshot=True)

    # A proper final answer: recorded, and the case page shows it.
    form = action_form(page, "提交答复")
    form.get_by_label("办理结果", exact=True).check()
    form.get_by_label("答复内容", exact=True).fill("已于本周完成低压接电，企业已确认通电。")
    posted_and_redirected(submit(page, form, "提交答复"), case_path)
    expect(page.locator("[role=status]")).to_be_visible()
    events = workspace.history("appeals", case_id)
    assert [e["type"] for e in events][-1] == "Answered" and events[-1]["data"]["kind"] == "final", events[-1]
    expect(timeline(page)).to_have_count(len(events))
    expect(timeline(page).filter(has_text="答复")).to_have_count(1)
    assert workspace.api("GET", f"/api/appeals/{case_id}")["status"] == "answered"
    screenshot(page, artifacts, "appeal", workspace)
    axe_check(page)


def test_the_inbox_filters_and_exports_csv(page, workspace):
    mine = workspace.forwarded_appeal("DISTRICT-POWER", subject="厂区供水管网改造")
    other = workspace.forwarded_appeal("DISTRICT-POWER", subject="变压器增容申请")
    late = workspace.forwarded_appeal("DISTRICT-POWER", occurred_at=weeks_ago(5), subject="线路迁改逾期")
    approval = workspace.forwarded_approval(("DISTRICT-POWER",))
    sign_in(page, "power")
    for case in (mine, other, late, approval):
        inbox_row(page, case["case_no"])
    kinds = page.locator("select[name=kind] option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(kinds) == ["", "appeal", "approval"], kinds
    expect(page.locator("select[name=status]")).to_have_count(1)
    expect(page.locator("input[type=checkbox][name=overdue]")).to_have_attribute("value", "1")

    page.get_by_label("只看已超期").check()
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    assert parse_qs(urlsplit(page.url).query).get("overdue") == ["1"], page.url
    inbox_row(page, late["case_no"])
    rows = page.locator("table tbody tr")
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("已超期")
    expect(rows.filter(has_text=mine["case_no"])).to_have_count(0)

    page.goto("/")
    page.locator("select[name=kind]").select_option("approval")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    inbox_row(page, approval["case_no"])
    expect(page.locator("table tbody tr").filter(has_text=mine["case_no"])).to_have_count(0)
    page.goto("/")

    page.get_by_label("搜索", exact=True).fill(mine["case_no"])
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    assert parse_qs(urlsplit(page.url).query).get("q") == [mine["case_no"]], page.url
    inbox_row(page, mine["case_no"])
    expect(page.locator("table tbody tr").filter(has_text=other["case_no"])).to_have_count(0)

    export = page.get_by_role("link", name="导出 CSV")
    href = export.get_attribute("href")
    assert path_of(href) == "/inbox.csv" and parse_qs(urlsplit(href).query).get("q") == [mine["case_no"]], href
    csv = page.request.get(href)
    assert csv.status == 200
    assert csv.headers["content-type"].replace(" ", "").lower() == "text/csv;charset=utf-8"
    body = csv.body()
    assert body.startswith(b"\xef\xbb\xbf"), body[:20]
    text = body.decode("utf-8-sig")
    assert mine["case_no"] in text and other["case_no"] not in text


def test_another_unit_gets_no_case_page_and_no_action(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    sign_in(page, "water")
    expect(page.locator("table tbody tr").filter(has_text=case["case_no"])).to_have_count(0)
    response = page.goto(f"/appeals/{case['id']}")
    assert response.status in (403, 404), response.status
    expect(page.locator(f'form[action*="/appeals/{case["id"]}"]')).to_have_count(0)
    for button in ("签收", "提交答复", "申请延期", "申请退单", "提交协办意见"):
        expect(page.get_by_role("button", name=button, exact=True)).to_have_count(0)
    # Nor may it act by posting to the case's URL, with its own session's valid CSRF token.
    before = workspace.history("appeals", case["id"])
    token = page.locator("header input[name=csrf_token]").get_attribute("value")
    forged = page.request.post(
        workspace.url(f"/appeals/{case['id']}/acknowledge"), form={"csrf_token": token}, max_redirects=0
    )
    assert forged.status in (403, 404), forged.status
    assert workspace.history("appeals", case["id"]) == before
    assert workspace.api("GET", f"/api/appeals/{case['id']}")["status"] == "forwarded"


def test_a_co_handling_unit_gives_its_opinion(page, workspace):
    case = workspace.open_appeal(subject="园区道路破损影响供电抢修")
    workspace.api(
        "POST", f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-WATER"]}
    )
    case_path = f"/appeals/{case['id']}"
    sign_in(page, "water")
    with page.expect_navigation():
        inbox_row(page, case["case_no"]).get_by_role("link", name=case["case_no"]).click()
    assert path_of(page.url) == case_path
    for lead_only in ("签收", "提交答复"):
        not_offered(page, lead_only)
    form = action_form(page, "提交协办意见")
    form.locator("textarea[name=content]").fill("排水管线已核实，不影响施工。")
    posted_and_redirected(submit(page, form, "提交协办意见"), case_path)
    opinions = workspace.api("GET", f"/api/appeals/{case['id']}")["co_opinions"]
    assert [(o["unit"], o["content"]) for o in opinions] == [("DISTRICT-WATER", "排水管线已核实，不影响施工。")]


def test_a_department_gives_its_review_opinion(page, workspace, artifacts):
    approval = workspace.forwarded_approval(("DISTRICT-FIRE",))
    approval_path = f"/approvals/{approval['id']}"
    sign_in(page, "fire")
    link = inbox_row(page, approval["case_no"]).get_by_role("link", name=approval["case_no"])
    assert path_of(link.get_attribute("href")) == approval_path
    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(approval["case_no"])

    form = action_form(page, "提交审查意见")
    form.get_by_label("同意", exact=True).check()
    form.get_by_label("审查意见", exact=True).fill("消防设计符合规范，同意。")
    posted_and_redirected(submit(page, form, "提交审查意见"), approval_path)
    expect(page.locator("[role=status]")).to_be_visible()
    screenshot(page, artifacts, "approval", workspace)
    axe_check(page)

    fire = next(
        d
        for d in workspace.api("GET", f"/api/approvals/{approval['id']}")["departments"]
        if d["unit"] == "DISTRICT-FIRE"
    )
    assert (fire["decision"], fire["opinion"]) == ("approve", "消防设计符合规范，同意。"), fire
    expect(timeline(page)).to_have_count(len(workspace.history("approvals", approval["id"])))


def test_a_post_without_the_csrf_token_records_nothing(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    before = workspace.history("appeals", case["id"])
    sign_in(page, "power")
    for form in ({}, {"csrf_token": "not-the-token"}):
        response = page.request.post(workspace.url(f"/appeals/{case['id']}/acknowledge"), form=form, max_redirects=0)
        assert response.status == 400, (form, response.status)
        assert CJK.search(response.text()), response.text()[:500]
    answer = page.request.post(
        workspace.url(f"/appeals/{case['id']}/answer"),
        form={"kind": "final", "content": "未带令牌的答复"},
        max_redirects=0,
    )
    assert answer.status == 400, answer.status
    assert workspace.history("appeals", case["id"]) == before


def test_signing_out_ends_the_session(page, workspace, browser):
    response = page.goto("/")
    assert path_of(page.url) == "/login", page.url
    assert parse_qs(urlsplit(page.url).query).get("next") == ["/"], page.url
    assert response.request.redirected_from is not None

    sign_in(page, "power")
    cookies = page.context.cookies()
    expect(page.locator("header")).to_contain_text("power")
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="退出", exact=True).click()
    page.goto("/")
    assert path_of(page.url) == "/login", page.url

    # The cookie the browser held before signing out opens nothing any more.
    replay = new_context(browser, workspace.base_url)
    try:
        replay.add_cookies(cookies)
        again = replay.new_page()
        again.goto("/")
        assert path_of(again.url) == "/login", again.url
    finally:
        replay.close()


def test_keyboard_only_sign_in_and_overdue_marked_in_text(page, workspace):
    late = workspace.forwarded_appeal("DISTRICT-POWER", occurred_at=weeks_ago(4), subject="厂区道路积水")
    deadlines = workspace.api("GET", f"/api/appeals/{late['id']}")["deadlines"]
    assert any(d["overdue"] for d in deadlines), deadlines  # the unit's reply period ended weeks ago
    page.goto("/login")
    username = page.get_by_label("用户名", exact=True)
    for _ in range(20):
        page.keyboard.press("Tab")
        if username.evaluate("e => e === document.activeElement"):
            break
    expect(username).to_be_focused()
    page.keyboard.type("power")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page.url) == "/", page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("待办"))

    row = inbox_row(page, late["case_no"])
    expect(row).to_contain_text("已超期")  # in words, not only in colour
    with page.expect_navigation():
        row.get_by_role("link", name=late["case_no"]).click()
    deadlines = page.locator("table").filter(has_text="截止时间").first
    expect(deadlines.locator("tbody tr").filter(has_text="已超期")).not_to_have_count(0)


def test_the_platform_sees_its_own_actions(page, workspace):
    received = workspace.open_appeal(subject="申请协调用地指标")
    sign_in(page, "clerk")
    row = inbox_row(page, received["case_no"])
    with page.expect_navigation():
        row.get_by_role("link", name=received["case_no"]).click()
    expect(page.get_by_role("button", name="转办", exact=True)).to_be_enabled()
    for unit_only in ("签收", "提交答复"):
        not_offered(page, unit_only)


def test_the_pages_fit_at_200_percent(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    approval = workspace.forwarded_approval(("DISTRICT-POWER",))
    page.goto("/login")
    zoom_check(page)
    axe_check(page)
    sign_in(page, "power")
    zoom_check(page)
    page.goto(f"/appeals/{case['id']}")
    zoom_check(page)
    page.goto(f"/approvals/{approval['id']}")
    zoom_check(page)


def test_a_form_the_case_has_moved_past_is_refused_with_409(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    case_path = f"/appeals/{case['id']}"
    sign_in(page, "power")
    page.goto(case_path)
    stale = action_form(page, "签收")
    token = stale.locator("input[name=csrf_token]").get_attribute("value")
    elsewhere = page.request.post(
        workspace.url(f"{case_path}/acknowledge"), form={"csrf_token": token}, max_redirects=0
    )
    assert elsewhere.status == 303, elsewhere.status  # signed for meanwhile, say in another tab
    before = workspace.history("appeals", case["id"])

    refused = submit(page, stale, "签收")
    assert refused.status == 409, refused.status
    expect(page.locator("div.error-summary[role=alert]")).to_be_visible()
    assert CJK.search(page.locator("div.error-summary").inner_text())
    assert workspace.history("appeals", case["id"]) == before


def test_the_login_form_refuses_bad_credentials_and_locks_after_five(page, workspace):
    page.goto("/login")
    for attempt in range(1, 6):
        page.get_by_label("用户名", exact=True).fill("locked-form")
        page.get_by_label("密码", exact=True).fill(f"wrong-{attempt}")
        refused = submit(page, login_form(page), "登录")
        assert refused.status == 401, (attempt, refused.status)
        assert path_of(page.url) == "/login"
        summary = page.locator("div.error-summary[role=alert]")
        expect(summary).to_be_visible()
        expect(summary.locator("a[href='#password'], a[href='#username']")).to_have_count(1)
    page.get_by_label("用户名", exact=True).fill("locked-form")
    page.get_by_label("密码", exact=True).fill(PASSWORD)  # even the right password, while locked
    locked = submit(page, login_form(page), "登录")
    assert locked.status == 429, locked.status
    assert locked.headers.get("retry-after"), locked.headers
    expect(page.locator("div.error-summary[role=alert]")).to_be_visible()
    axe_check(page, snapshot=True)

    # The count is shared with the API's sign-in: failures there lock the form too.
    for _ in range(5):
        refused = workspace.server.post("/api/auth/token", {"username": "locked-api", "password": "wrong"})
        assert refused.status == 401, refused.status
    page.get_by_label("用户名", exact=True).fill("locked-api")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    assert submit(page, login_form(page), "登录").status == 429


def test_sign_in_returns_to_the_page_asked_for_and_never_off_site(page, workspace):
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    case_path = f"/appeals/{case['id']}"
    page.goto(case_path)
    assert path_of(page.url) == "/login" and parse_qs(urlsplit(page.url).query).get("next") == [case_path], page.url
    page.get_by_label("用户名", exact=True).fill("power")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录", exact=True).click()
    assert path_of(page.url) == case_path, page.url

    page.context.clear_cookies()
    page.goto("/login?next=//example.com/")
    page.get_by_label("用户名", exact=True).fill("power")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录", exact=True).click()
    assert page.url == workspace.url("/"), page.url


def test_the_inbox_pages_by_twenty(page, workspace):
    listed = (
        workspace.api("GET", "/api/appeals?per_page=1")["total"]
        + workspace.api("GET", "/api/approvals?per_page=1")["total"]
    )
    for n in range(max(0, 21 - listed)):
        workspace.open_appeal(subject=f"分页用诉求 {n}")
    total = listed + max(0, 21 - listed)
    sign_in(page, "clerk")
    first = page.locator("table tbody tr td:nth-child(2)").all_inner_texts()
    assert len(first) == 20, len(first)
    next_link = page.get_by_role("link", name="下一页")
    assert parse_qs(urlsplit(next_link.get_attribute("href")).query).get("page") == ["2"]
    with page.expect_navigation():
        next_link.click()
    second = page.locator("table tbody tr td:nth-child(2)").all_inner_texts()
    assert len(second) == min(20, total - 20) and not set(first) & set(second), (first, second)
    expect(page.get_by_role("link", name="上一页")).to_have_count(1)


def test_a_case_page_prints_as_a_case_record_without_forms_or_buttons(page, workspace):
    """Printed, a case page is the record: its facts, deadlines and history, with no navigation, form or button."""
    case = workspace.forwarded_appeal("DISTRICT-POWER")
    sign_in(page, "power")
    page.goto(f"/appeals/{case['id']}")
    expect(page.get_by_role("button", name="签收", exact=True)).to_be_visible()
    page.emulate_media(media="print")
    for heading in ("基本信息", "办理期限", "办理记录"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("form:visible")).to_have_count(0)
    expect(page.locator("button:visible")).to_have_count(0)
    expect(page.locator("nav:visible")).to_have_count(0)
    page.emulate_media(media="screen")
    expect(page.get_by_role("button", name="签收", exact=True)).to_be_visible()
