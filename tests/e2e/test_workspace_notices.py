"""预警 in the workspace, on both databases: the 即将到期 marker, the page of a unit's notices, and the
administrator's form that sets a user's e-mail address.

淄川 (000 item 4): the unit replies within 2 working days of forwarding. Forwarded on the working day
before today, the reply ends at 24:00 of today's next working day or later, so the marker's window
(one working day before the end) is asked of the page against the server's own clock, as the inbox
decides it; the hand-counted dates of the window are in tests/unit/domain/test_notices.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from domain.deadlines.periods import SHANGHAI
from domain.directory.records import User
from domain.notices import in_window
from tests.e2e.test_workspace_admin import ADMIN_ACTOR, USERS, followed, latest_act, new_user, post, row_of
from tests.e2e.workspace_client import Clerk, text_of


def forwarded(api, subject: str, forwarded_at: str) -> dict:
    case = api.open(occurred_at=forwarded_at, subject=subject)
    response = api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "occurred_at": forwarded_at})
    assert response.status_code == 200, response.json
    return response.json


def test_a_case_whose_deadline_is_in_its_window_is_marked_on_the_inbox_and_its_page(live):
    """000 item 4: forwarded two working days before today, the reply ends at 24:00 today: on a working
    day that is within the window (one working day before the end), and the case is marked; a case
    forwarded today is not. The verdict is the one the page gives against the server's own clock."""
    now = live.container.clock()
    calendar = live.container.calendars.for_jurisdiction("zibo.zichuan")
    today = now.astimezone(SHANGHAI).date()
    day, back = today, 0
    while back < 2:  # the second working day before today
        day -= timedelta(days=1)
        back += calendar.is_working_day(day)
    case = forwarded(live, "预警标记测试", f"{day.isoformat()}T10:00:00+08:00")
    fresh = forwarded(live, "预警未到测试", now.astimezone(SHANGHAI).isoformat(timespec="seconds"))
    reply = next(d for d in case["deadlines"] if d["name"] == "unit_reply")
    ends_at = datetime.fromisoformat(reply["due"]) + timedelta(seconds=1)  # due 23:59:59: ends at 24:00
    expected = in_window(ends_at, now, calendar)
    assert expected is calendar.is_working_day(today)
    power = Clerk.sign_in(live, "power")
    live.container.wait_for_views(5)
    page = power.get(f"/appeals/{case['id']}")
    assert page.status_code == 200
    assert ("即将到期" in text_of(page.text)) is expected
    inbox = power.get("/?q=预警标记测试")
    assert ("即将到期" in text_of(inbox.text)) is expected
    assert "即将到期" not in text_of(power.get(f"/appeals/{fresh['id']}").text)
    assert "即将到期" not in text_of(power.get("/?q=预警未到测试").text)


def test_a_unit_reads_its_notices_on_a_page_of_its_navigation(live):
    """000 item 4: forwarded Tue 2026-09-29, the reply ended 24:00 Thu 10-08 (National Day's rest days
    between); the sweep records the miss and the unit's page lists the "已超期" notice."""
    case = forwarded(live, "预警页面测试", "2026-09-29T10:00:00+08:00")
    assert live.post("/api/deadlines/sweep", {"now": "2026-10-09T00:00:00+08:00"}).status_code == 200
    assert live.container.wait_for_notices(5)
    power = Clerk.sign_in(live, "power")
    home = power.get("/")
    assert 'href="/notices"' in home.text and "预警通知" in text_of(home.text)
    page = power.get("/notices")
    assert page.status_code == 200
    words = text_of(page.text)
    assert case["case_no"] in words and "已超期" in words and "承办单位回复初步处理情况" in words
    assert "2026-10-08 23:59" in words
    auditor = Clerk.sign_in(live, "auditor")
    assert case["case_no"] in text_of(auditor.get("/notices?unit=DISTRICT-POWER").text)
    water = Clerk.sign_in(live, "water")
    assert case["case_no"] not in text_of(water.get("/notices").text)


@pytest.mark.parametrize("user", ["clerk", "super"])
def test_the_platform_and_supervisors_get_403_on_the_notices_page(api, user):
    assert Clerk.sign_in(api, user).get("/notices").status_code == 403


def test_an_administrator_sets_and_clears_a_user_s_e_mail_address_and_it_is_recorded(api):
    admin = Clerk.sign_in(api, "ops")
    name = new_user(api)
    page = followed(admin, post(admin, USERS, f"/admin/users/{name}/email", {"address": "zhang@ban.example.cn"}))
    assert f"已将用户 {name} 的电子邮箱设为 zhang@ban.example.cn" in page
    assert api.container.directory.user(name).address == "zhang@ban.example.cn"
    act = latest_act(api, User)
    assert (act.subject, act.type, act.data, act.actor) == (
        name,
        "EmailSet",
        {"address": "zhang@ban.example.cn"},
        ADMIN_ACTOR,
    )
    assert 'value="zhang@ban.example.cn"' in row_of(admin.get(USERS).text, name)
    assert "设置电子邮箱" in text_of(admin.get(USERS).text)
    cleared = followed(admin, post(admin, USERS, f"/admin/users/{name}/email", {"address": ""}))
    assert f"已清除用户 {name} 的电子邮箱" in cleared and api.container.directory.user(name).address is None


def test_an_address_that_is_no_address_is_refused_beside_its_user_and_records_nothing(api):
    admin = Clerk.sign_in(api, "ops")
    name = new_user(api)
    before = api.store()
    refused = post(admin, USERS, f"/admin/users/{name}/email", {"address": "张三 at 单位"})
    assert refused.status_code == 422
    assert re.search(rf'id="user-row-{name}-error">请填写有效的电子邮箱地址', refused.text)
    assert api.store() == before


def test_the_e_mail_form_needs_its_csrf_token(api):
    admin = Clerk.sign_in(api, "ops")
    name = new_user(api)
    before = api.store()
    response = post(admin, USERS, f"/admin/users/{name}/email", {"address": "li@ban.example.cn"}, csrf=False)
    assert response.status_code == 400
    assert api.store() == before
