"""The units' web workspace (docs/web-workspace.md), through the Flask app, on both databases.

Every action posts to the route that makes the JSON API's service call; a refused form records
nothing (the whole event store is compared) and says why beside the field; a recorded one
redirects to the case page (post/redirect/get). The same journeys in a real browser are in
tests/browser.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime

from tests.e2e.workspace_client import Clerk, csrf_token, text_of
from web.app import create_app


def forwarded_appeal(api, unit: str = "DISTRICT-POWER", **fields) -> dict:
    """An appeal received by the platform and forwarded to ``unit``; a subject of its own to find it by."""
    subject = fields.pop("subject", f"接电难-{uuid.uuid4().int % 10**8}")
    forward = {k: fields.pop(k) for k in ("co_units", "occurred_at") if k in fields}
    case = api.open(
        subject=subject, **fields, **({"occurred_at": forward["occurred_at"]} if "occurred_at" in forward else {})
    )
    response = api.post(f"/api/appeals/{case['id']}/forward", {"unit": unit, **forward})
    assert response.status_code == 200, response.json
    return response.json


def history(api, case: dict) -> list[str]:
    """The case's recorded events, by type, as the store holds them."""
    return [e.type for e in api.container.appeals.history(uuid.UUID(case["id"]))]


# -- signing in and out ----------------------------------------------------------------------------
def test_pages_send_a_visitor_who_is_not_signed_in_to_the_sign_in_form(api):
    response = api.client.application.test_client().get("/?status=forwarded")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/?status%3Dforwarded")
    page = api.client.application.test_client().get("/login")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text and ">登录</button>" in page.text


def test_a_wrong_password_shows_the_sign_in_form_again_with_the_reason_and_signs_nobody_in(api):
    clerk = Clerk(api.client.application.test_client(), "power")
    response = clerk.login("not the password")
    assert response.status_code == 401
    assert "用户名或密码不正确" in text_of(response.text) and 'class="error-summary"' in response.text
    assert clerk.get("/").status_code == 303


def test_sign_in_follows_only_a_path_of_this_site(api):
    clerk = Clerk(api.client.application.test_client(), "power")
    assert clerk.login(next_="https://evil.example/steal").headers["Location"] == "/"
    clerk = Clerk(api.client.application.test_client(), "power")
    assert clerk.login(next_="//evil.example/").headers["Location"] == "/"
    clerk = Clerk(api.client.application.test_client(), "power")
    assert clerk.login(next_="/?kind=appeal").headers["Location"] == "/?kind=appeal"


def test_the_session_cookie_is_httponly_and_samesite_lax_and_secure_when_served_over_https(api):
    client = api.client.application.test_client()
    page = client.get("/login", base_url="https://workspace.example")
    response = client.post(
        "/login",
        base_url="https://workspace.example",
        headers={"Referer": "https://workspace.example/login"},  # checked over HTTPS
        data={"username": "power", "password": "correct horse battery", "csrf_token": csrf_token(page.text)},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = api.client.application.test_client()
    page = plain.get("/login")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_login_lockout_is_shared_with_the_api(api):
    """Five failed API logins lock the name for the web sign-in too (docs/http-api.md *Signing in*)."""
    name = f"locked{uuid.uuid4().hex[:6]}"
    for _ in range(5):
        assert api.client.post("/api/auth/token", json={"username": name, "password": "x"}).status_code == 401
    response = Clerk(api.client.application.test_client(), name).login("x")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in text_of(response.text)


def test_signing_out_ends_the_session_for_good(live):
    """退出 revokes the session's token: a copy of the cookie kept from before is worth nothing."""
    clerk = Clerk.sign_in(live, "power")
    kept = clerk.client.get_cookie("caseledger_session").value
    page = clerk.get("/")
    assert ">退出</button>" in page.text
    response = clerk.client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert clerk.get("/").status_code == 303
    replay = live.client.application.test_client()
    replay.set_cookie("caseledger_session", kept)
    assert replay.get("/").status_code == 303


def test_disabling_a_user_ends_its_web_session(live):
    name = f"temp{uuid.uuid4().hex[:6]}"
    from tests.e2e.conftest import OPERATOR, PASSWORD

    live.container.directory.add_user(OPERATOR, name, "unit", PASSWORD, "DISTRICT-POWER")
    clerk = Clerk.sign_in(live, name)
    assert clerk.get("/").status_code == 200
    live.container.directory.disable_user(OPERATOR, name, "调离本单位")
    assert clerk.get("/").status_code == 303


# -- the inbox (待办) --------------------------------------------------------------------------------
def test_a_unit_finds_its_forwarded_case_in_its_inbox_linked_to_the_case_page(live):
    case = forwarded_appeal(live)
    other = forwarded_appeal(live, "DISTRICT-WATER")
    clerk = Clerk.sign_in(live, "power")
    page = clerk.get("/", query_string={"q": case["subject"]})  # the PostgreSQL database is shared
    assert page.status_code == 200 and "<h1>待办</h1>" in page.text
    assert f'<a href="/appeals/{case["id"]}">{case["case_no"]}</a>' in page.text
    assert case["subject"] in page.text and "已转办" in text_of(page.text)
    # Another unit's case is not in this inbox, even searched for.
    assert other["case_no"] not in clerk.get("/", query_string={"q": other["subject"]}).text


def test_the_inbox_marks_an_overdue_case_in_words_and_filters_by_overdue_and_text(live):
    """000 item 4: 2 working days to reply with the initial handling; forwarded on 2026-11-02, it is
    overdue now. The row says 已超期 in words, not in colour alone."""
    late = forwarded_appeal(live, occurred_at="2026-11-02T09:00:00+08:00")
    fresh = forwarded_appeal(live, subject=late["subject"] + "-新")
    clerk = Clerk.sign_in(live, "power")
    page = clerk.get("/", query_string={"q": late["subject"]})
    row = next(r for r in page.text.split("<tr") if late["case_no"] in r)
    assert "已超期" in text_of("<tr" + row) and 'class="overdue"' in row
    overdue = clerk.get("/", query_string={"q": late["subject"], "overdue": "1"}).text
    assert late["case_no"] in overdue and fresh["case_no"] not in overdue


def test_the_inbox_pages_its_list_and_exports_the_filtered_list_as_csv(live):
    word = uuid.uuid4().int % 10**8
    cases = [forwarded_appeal(live, subject=f"翻页{word}-{i}") for i in range(23)]
    clerk = Clerk.sign_in(live, "power")
    first, second = (clerk.get("/", query_string={"q": f"翻页{word}", "page": n}).text for n in (1, 2))
    shown = (
        [c["case_no"] for c in cases if c["case_no"] in first],
        [c["case_no"] for c in cases if c["case_no"] in second],
    )
    assert len(shown[0]) == 20 and len(shown[1]) == 3 and not set(shown[0]) & set(shown[1])
    assert "下一页" in first and "上一页" in second
    export = clerk.get("/inbox.csv", query_string={"q": f"翻页{word}"})
    assert export.status_code == 200 and export.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = export.data.decode("utf-8").splitlines()
    assert lines[0].startswith("\ufeff类型,编号,标题,状态")
    assert sorted(line.split(",")[1] for line in lines[1:]) == sorted(c["case_no"] for c in cases)


def test_a_closed_case_leaves_the_inbox_unless_ended_cases_are_asked_for(live):
    """待办 holds what is still to do: a closed case is listed only with 包括已结束的案件 or its status."""
    done = forwarded_appeal(live)
    for step, body in (
        ("answer", {"kind": "final", "content": "已办理"}),
        ("review", {"accepted": True}),
        ("visit", {"satisfaction": "satisfied", "solved": True}),
        ("close", {}),
    ):
        user = "power" if step == "answer" else "clerk"
        assert live.post(f"/api/appeals/{done['id']}/{step}", body, user=user).status_code == 200, step
    still = forwarded_appeal(live, subject=done["subject"] + "-在办")
    clerk = Clerk.sign_in(live, "power")
    inbox = clerk.get("/", query_string={"q": done["subject"]}).text
    assert still["case_no"] in inbox and done["case_no"] not in inbox
    assert "在办案件" in text_of(inbox)
    for asked in ({"ended": "1"}, {"status": "closed"}):
        page = clerk.get("/", query_string={"q": done["subject"], **asked}).text
        assert done["case_no"] in page, asked


def test_a_page_number_past_the_end_of_the_list_says_so(live):
    word = uuid.uuid4().int % 10**8
    forwarded_appeal(live, subject=f"越界{word}")
    page = text_of(Clerk.sign_in(live, "power").get("/", query_string={"q": f"越界{word}", "page": 9}).text)
    assert "第 9 页超出了列表的范围" in page and "共 1 页" in page and "转到最后一页" in page


# -- a case page and its actions -------------------------------------------------------------------
def test_a_unit_signs_for_its_case_answers_it_and_sees_both_in_the_timeline(api):
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    page = clerk.get(path)
    assert page.status_code == 200 and case["case_no"] in page.text
    for heading in ("基本信息", "办理期限", "可办理事项", "办理记录"):
        assert f">{heading}</h2>" in page.text
    assert ">签收</button>" in page.text and ">提交答复</button>" in page.text
    signed = clerk.submit(path, "acknowledge")
    assert signed.status_code == 303 and signed.headers["Location"] == path
    answered = clerk.submit(path, "answer", {"kind": "final", "content": "已为企业完成低压接电"})
    assert answered.status_code == 303
    page = text_of(clerk.get(path).text)
    assert "签收" in page and "办理结果" in page and "已为企业完成低压接电" in page
    assert history(api, case) == ["Received", "Forwarded", "Acknowledged", "Answered"]


def test_an_empty_answer_is_refused_beside_its_field_and_nothing_is_recorded(api):
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    before = api.store()
    response = clerk.submit(f"/appeals/{case['id']}", "answer", {"kind": "final", "content": "  "})
    assert response.status_code == 422
    assert '<div class="error-summary" role="alert"' in response.text and "提交未成功" in response.text
    assert '<p class="field-error" id="answer-content-error">请填写答复内容</p>' in response.text
    assert 'href="#answer-content"' in response.text and 'id="answer-content"' in response.text
    assert api.store() == before


def test_an_action_the_state_does_not_allow_is_shown_disabled_with_the_commands_own_reason(api):
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    clerk.submit(path, "acknowledge")
    page = clerk.get(path).text
    assert 'disabled aria-describedby="why-acknowledge">签收</button>' in page
    assert "案件当前为「已签收」，仅在「已转办」时可办理" in text_of(page)
    # zichuan-2020 allows no extension (延期): the profile's refusal, in the clerk's words.
    assert "本案适用的规则不允许延期" in text_of(page) and "zichuan-2020" not in text_of(page)


def test_a_second_initial_answer_in_a_round_is_offered_disabled_with_the_reason(api):
    """000 item 4: the initial handling (初步处理情况) is reported once a round, then the result."""
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    assert clerk.submit(path, "answer", {"kind": "initial", "content": "已联系企业，正在核实"}).status_code == 303
    page = clerk.get(path).text
    assert re.search(r'value="initial"\s+disabled', page)
    assert "本轮已反馈初步处理情况，请反馈办理结果" in text_of(page)
    before = api.store()
    refused = clerk.submit(path, "answer", {"kind": "initial", "content": "再次初步反馈"})
    assert refused.status_code == 409 and "本轮已反馈初步处理情况" in text_of(refused.text)
    assert api.store() == before


def test_the_extension_form_says_which_deadline_it_moves_and_to_when(api):
    """002 item 53 (Liaocheng): 15 working days to resolve, extendable to 30 in all. Forwarded on Tuesday
    2026-12-01, the resolution is due at the end of 2026-12-22 (the 15th working day after it); one more working
    day ends it on 12-23, three on 12-25 (Friday), seven on 12-31."""
    case = forwarded_appeal(api, profile="liaocheng-2020", occurred_at="2026-12-01T09:00:00+08:00")
    html = Clerk.sign_in(api, "power").get(f"/appeals/{case['id']}").text
    page = text_of(html)
    assert "延长的是「解决或服务确认」，现截止于 2026-12-22 23:59；最多还可延长 15 个工作日" in page
    for n, due in ((1, "2026-12-23 23:59"), (3, "2026-12-25 23:59"), (7, "2026-12-31 23:59")):
        assert f'<option value="{n}">{n} 个工作日（截止时间延至 {due}）</option>' in html, n
    assert html.count("个工作日（截止时间延至") == 15


def test_an_extension_past_the_cap_is_refused_with_the_cap_in_chinese(api):
    """002 item 53 (Liaocheng): extensions may bring the period to 30 working days in all."""
    case = forwarded_appeal(api, profile="liaocheng-2020")
    clerk = Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    before = api.store()
    refused = clerk.submit(path, "extend", {"working_days": "16", "reason": "涉及多部门"})
    assert refused.status_code == 422
    assert "延期工作日数须在1至15之间" in text_of(refused.text) and 'id="extend-working_days-error"' in refused.text
    words = clerk.submit(path, "extend", {"working_days": "十", "reason": "涉及多部门"})
    assert words.status_code == 422 and "请填写整数" in text_of(words.text)
    assert api.store() == before
    assert clerk.submit(path, "extend", {"working_days": "15", "reason": "涉及多部门"}).status_code == 303
    page = text_of(clerk.get(path).text)
    assert "已达30个工作日上限" in page


def test_a_form_from_a_page_the_case_has_moved_past_is_refused_and_records_nothing(api):
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    stale = case["version"]
    assert clerk.submit(path, "acknowledge").status_code == 303
    before = api.store()
    response = clerk.submit(path, "handback", {"reason": "不属于本单位职责"}, version=stale)
    assert response.status_code == 409 and "请查看最新情况后重新提交" in text_of(response.text)
    assert api.store() == before


def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(api):
    case = forwarded_appeal(api)
    clerk = Clerk.sign_in(api, "power")
    before = api.store()
    response = clerk.submit(f"/appeals/{case['id']}", "acknowledge", csrf=False)
    assert response.status_code == 400 and "防伪令牌" in text_of(response.text)
    forged = clerk.submit(f"/appeals/{case['id']}", "acknowledge", {"csrf_token": "forged"}, csrf=False)
    assert forged.status_code == 400
    assert api.store() == before


def test_another_units_case_page_is_forbidden_and_shows_no_action(live):
    case = forwarded_appeal(live)
    clerk = Clerk.sign_in(live, "water")
    page = clerk.get(f"/appeals/{case['id']}")
    assert page.status_code == 403 and "<form" not in page.text.split("</header>")[1]
    assert case["subject"] not in page.text
    before = live.store()
    page_token = csrf_token(clerk.get("/").text)
    refused = clerk.client.post(
        f"/appeals/{case['id']}/acknowledge", data={"csrf_token": page_token, "expected_version": str(case["version"])}
    )
    assert refused.status_code == 403 and live.store() == before
    assert clerk.get(f"/appeals/{uuid.uuid4()}").status_code == 404
    assert clerk.get("/appeals/not-a-case").status_code == 404


def test_a_co_handling_unit_gives_its_opinion_and_is_offered_no_answer(api):
    """牵头承办单位 with 协办: the co-handling unit gives its opinion to the lead."""
    case = forwarded_appeal(api, co_units=["DISTRICT-WATER"])
    clerk = Clerk.sign_in(api, "water")
    path = f"/appeals/{case['id']}"
    page = clerk.get(path).text
    assert ">提交协办意见</button>" in page and ">提交答复</button>" not in page and ">签收</button>" not in page
    assert clerk.submit(path, "co-opinion", {"content": "供水管线不影响接电施工"}).status_code == 303
    assert "供水管线不影响接电施工" in text_of(Clerk.sign_in(api, "power").get(path).text)
    assert history(api, case)[-1] == "CoOpinionGiven"


def test_the_platform_forwards_reviews_visits_and_closes_from_the_same_pages(api):
    case = api.open(subject=f"平台办理-{uuid.uuid4().int % 10**6}")
    clerk, unit = Clerk.sign_in(api, "clerk"), Clerk.sign_in(api, "power")
    path = f"/appeals/{case['id']}"
    assert clerk.submit(path, "forward", {"unit": "DISTRICT-POWER"}).status_code == 303
    assert unit.submit(path, "answer", {"kind": "final", "content": "已办理"}).status_code == 303
    assert clerk.submit(path, "review", {"accepted": "yes"}).status_code == 303
    assert clerk.submit(path, "visit", {"satisfaction": "satisfied", "solved": "yes"}).status_code == 303
    assert clerk.submit(path, "close").status_code == 303
    assert history(api, case) == ["Received", "Forwarded", "Answered", "Reviewed", "Visited", "Closed"]
    assert "已办结" in text_of(clerk.get(path).text)


def test_a_department_answers_an_approval_with_its_review_opinion(api):
    """001 (四) 后台分类审批: each department gives its own opinion (提交审查意见)."""
    approval = api.submit()
    for step in ("accept", "forward"):
        assert api.post(f"/api/approvals/{approval['id']}/{step}", {}).status_code == 200
    clerk = Clerk.sign_in(api, "fire")
    path = f"/approvals/{approval['id']}"
    page = clerk.get(path)
    assert page.status_code == 200 and ">提交审查意见</button>" in page.text
    before = api.store()
    refused = clerk.submit(path, "answer", {"decision": "approve", "opinion": ""})
    assert refused.status_code == 422 and 'id="answer-opinion-error"' in refused.text and api.store() == before
    assert clerk.submit(path, "answer", {"decision": "approve", "opinion": "消防设施符合要求"}).status_code == 303
    departments = api.get(f"/api/approvals/{approval['id']}").json["departments"]
    assert departments == [
        {
            "unit": "DISTRICT-FIRE",
            "decision": "approve",
            "opinion": "消防设施符合要求",
            "answered_at": departments[0]["answered_at"],
            "returned": 0,
        }
    ]
    page = text_of(clerk.get(path).text)
    assert "本部门本轮已提交审查意见" in page
    assert Clerk.sign_in(api, "plan").get(path).status_code == 403


def test_the_case_page_shows_each_deadline_with_due_time_and_working_days_left(api):
    case = forwarded_appeal(api)
    page = text_of(Clerk.sign_in(api, "power").get(f"/appeals/{case['id']}").text)
    reply = next(d for d in case["deadlines"] if d["unit"] == "DISTRICT-POWER" and d["met_at"] is None)
    assert reply["title"] in page
    assert datetime.fromisoformat(reply["due"]).strftime("%Y-%m-%d %H:%M") in page
    assert "剩余工作日" in page and "计时中" in page


def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure(api):
    """CASELEDGER_TRUSTED_PROXIES=1: the proxy's X-Forwarded-Proto is believed; without it, it is not."""
    trusting = dataclasses.replace(
        api.container, settings=dataclasses.replace(api.container.settings, trusted_proxies=1)
    )
    for app, secure in ((create_app(trusting), True), (api.client.application, False)):
        page = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert ("Secure" in page.headers["Set-Cookie"]) is secure


def test_a_units_inbox_judges_each_case_by_the_deadlines_that_bind_that_unit(live):
    """Two departments review a utility connection (供水供气报装: 5 working days each, 002 item 36);
    forwarded Mon 2026-11-02, each review ended Mon 11-09. The fire brigade has answered, planning has
    not: the case is overdue in planning's inbox, not in the fire brigade's. A unit's inbox shows the
    unit's own next deadline, not another's."""
    approval = live.submit(
        profile="liaocheng-2020-approvals",
        matter="utility-connection",
        departments=["DISTRICT-FIRE", "DISTRICT-PLAN"],
        occurred_at="2026-11-02T09:00:00+08:00",
    )
    for step in ("accept", "forward"):
        response = live.post(f"/api/approvals/{approval['id']}/{step}", {"occurred_at": "2026-11-02T09:30:00+08:00"})
        assert response.status_code == 200, response.json
    fire = Clerk.sign_in(live, "fire")
    path = f"/approvals/{approval['id']}"
    assert fire.submit(path, "answer", {"decision": "approve", "opinion": "符合消防要求"}).status_code == 303

    def row(clerk):
        page = clerk.get("/", query_string={"q": approval["case_no"], "kind": "approval"}).text
        found = [r for r in page.split("<tbody>")[1].split("<tr") if approval["case_no"] in r]
        assert len(found) == 1, page
        return text_of("<tr" + found[0])

    assert "已超期" in row(Clerk.sign_in(live, "plan"))
    assert "已超期" not in row(fire)
    late = fire.get("/", query_string={"q": approval["case_no"], "overdue": "1"}).text
    assert f">{approval['case_no']}</a>" not in late
    assert (
        f">{approval['case_no']}</a>"
        in Clerk.sign_in(live, "plan").get("/", query_string={"q": approval["case_no"], "overdue": "1"}).text
    )


def test_a_long_list_is_counted_only_so_far_and_still_paged_to_its_end(live, monkeypatch):
    """The inbox counts up to a limit ("N 件以上") so that a broad search stays quick; the pages go on."""
    from web.workspace import pages as workspace

    monkeypatch.setattr(workspace, "COUNT_LIMIT", 5)
    monkeypatch.setattr(workspace, "PER_PAGE", 2)
    word = uuid.uuid4().int % 10**8
    cases = [forwarded_appeal(live, subject=f"计数{word}-{i}") for i in range(7)]
    clerk = Clerk.sign_in(live, "power")
    first = text_of(clerk.get("/", query_string={"q": f"计数{word}"}).text)
    assert "4 件以上" in first and "下一页" in first
    last = clerk.get("/", query_string={"q": f"计数{word}", "page": 4}).text
    assert "共 7 件" in text_of(last) and "下一页" not in last
    assert sum(c["case_no"] in last for c in cases) == 1


def test_a_case_page_names_its_rules_deadlines_levels_and_channel_in_chinese_never_by_code(api):
    """No page shows an internal code: the profile by its title, a rule as its document and item
    (川政办字〔2020〕59号 第四条, 000 item 4), the deadline and the escalation level (督办通知) by the titles
    the profile gives them, the channel by its name (12345热线)."""
    case = forwarded_appeal(api, channel="enterprise_express")
    escalated = api.post(f"/api/appeals/{case['id']}/escalate", {"reason": "逾期未反馈"}, user="super")
    assert escalated.status_code == 200, escalated.json
    page = text_of(Clerk.sign_in(api, "power").get(f"/appeals/{case['id']}").text)
    assert "淄川区企业诉求“接诉即办”（第" in page and "川政办字〔2020〕59号 第四条" in page
    assert "承办单位回复初步处理情况" in page and "督办通知" in page and "企业直通车" in page
    assert "个工作日" in page
    for code in ("zichuan-2020", "000 item", "unit_reply", "supervision_notice", "working_days", "enterprise_express"):
        assert code not in page, code
    approval = api.submit()
    assert api.post(f"/api/approvals/{approval['id']}/accept", {}).status_code == 200
    page = text_of(Clerk.sign_in(api, "clerk").get(f"/approvals/{approval['id']}").text)
    assert "行政许可法第" in page
    for code in ("licensing-law-2019", " art. ", "working_days", "general"):
        assert code not in page, code


def test_error_pages_outside_the_api_are_in_chinese_and_the_api_keeps_its_json(api):
    """A page not found, a method not allowed and an unknown case are pages in Chinese (werkzeug's own texts are
    English); the JSON API answers with its error document as before."""
    clerk = Clerk.sign_in(api, "power")
    for path, status, title in (
        ("/no-such-page", 404, "未找到页面"),
        (f"/appeals/{uuid.uuid4()}", 404, "未找到"),
        ("/appeals/not-a-case-id", 404, "未找到页面"),
    ):
        page = clerk.get(path)
        assert page.status_code == status and "text/html" in page.headers["Content-Type"], path
        text = text_of(page.text)
        assert title in text and not re.search(r"[A-Za-z]{4,}", text.replace(clerk.username, "")), (path, text)
    document = api.get("/api/no-such-resource")
    assert document.status_code == 404 and document.json["error"]["code"] == "not_found"


def test_the_stylesheet_the_pages_link_is_served(api):
    page = Clerk.sign_in(api, "power").get("/")
    link = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert link, "the page links no stylesheet"
    sheet = api.client.application.test_client().get(link.group(1))
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    assert b".site-header" in sheet.data and b"@media print" in sheet.data


def test_the_navigation_offers_each_role_only_the_pages_it_may_open(api):
    unit = text_of(Clerk.sign_in(api, "power").get("/").text)
    assert "待办" in unit
    for other in ("问责台账", "办理记录检索", "单位管理", "用户管理", "登记诉求"):
        assert other not in unit
