"""系统管理 (docs/web-workspace.md *Administration*): the units and users pages, through the Flask app, on both databases.

Each form makes the directory call the command line makes, with the signed-in administrator recorded
as the actor; a refused form lists every problem at once and records nothing (the whole event store
is compared); a recorded one redirects (303) to the page, which confirms it. The PostgreSQL database
is shared by the session's tests, so each test makes units and users of its own names.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from domain.actors import Actor, Role
from domain.deadlines.periods import SHANGHAI
from domain.directory.records import Unit, User
from domain.errors import NotAllowedInState
from tests.e2e.conftest import OPERATOR, PASSWORD
from tests.e2e.workspace_client import Clerk, csrf_token, text_of

UNITS, USERS = "/admin/units", "/admin/users"
OTHER_ROLES = ("clerk", "super", "inspector", "auditor", "power")


def tag() -> str:
    return uuid.uuid4().hex[:6].upper()


def post(clerk: Clerk, page_path: str, action: str, fields: dict | None = None, *, csrf: bool = True):
    """Posts one of the page's forms (``action``: its path) with the CSRF token the page carries."""
    page = clerk.get(page_path)
    assert page.status_code == 200, page.status_code
    data = dict(fields or {})
    if csrf:
        data["csrf_token"] = csrf_token(page.text)
    return clerk.client.post(action, data=data)


def followed(clerk: Clerk, response) -> str:
    """The page a 303 leads to, as its words (the flash message shown once)."""
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:800])
    return text_of(clerk.get(response.headers["Location"]).text)


def new_unit(api, name: str = "测试单位") -> str:
    code = f"TEST-{tag()}"
    api.container.directory.add_unit(OPERATOR, code, name)
    return code


def new_user(api, role: str = "unit", unit: str | None = "DISTRICT-POWER") -> str:
    name = f"u{tag().lower()}"
    api.container.directory.add_user(OPERATOR, name, role, PASSWORD, unit if role == "unit" else None)
    return name


def row_of(html: str, key: str) -> str:
    """The words of the table row whose id names the unit or user ``key``."""
    found = re.search(rf'<tr id="(?:unit|user)-row-{re.escape(key)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row for {key}"
    return found.group(0)


def latest_act(api, kind):
    return api.container.directory.recent_acts(kind, 1)[0]


ADMIN_ACTOR = {"user": "ops", "role": "admin", "unit": None}


# -- who may open them -------------------------------------------------------------------------------
def test_only_administrators_open_the_units_and_users_pages_and_see_them_in_the_navigation(api):
    admin = Clerk.sign_in(api, "ops")
    for path, heading in ((UNITS, "单位管理"), (USERS, "用户管理")):
        page = admin.get(path)
        assert page.status_code == 200 and f"<h1>{heading}</h1>" in page.text
        assert f'<a href="{path}" aria-current="page">{heading}</a>' in page.text
    for name in OTHER_ROLES:
        other = Clerk.sign_in(api, name)
        navigation = other.get("/").text
        assert "单位管理" not in navigation and "用户管理" not in navigation
        for path in (UNITS, USERS):
            refused = other.get(path)
            assert refused.status_code == 403 and "无权查看" in text_of(refused.text), (name, path)


def test_another_role_posting_an_administrators_form_is_forbidden_and_records_nothing(api):
    clerk = Clerk.sign_in(api, "clerk")
    before = api.store()
    for action, fields in (
        (UNITS, {"code": f"X-{tag()}", "name": "越权单位"}),
        ("/admin/units/head", {"code": "DISTRICT-POWER", "name": "张三", "from_day": "2026-01-05"}),
        ("/admin/units/DISTRICT-GRID/disable", {}),
        (USERS, {"username": f"x{tag()}", "role": "admin", "password": PASSWORD, "password_again": PASSWORD}),
        ("/admin/users/grid/disable", {}),
        ("/admin/users/grid/revoke-tokens", {}),
    ):
        assert post(clerk, "/", action, fields).status_code == 403, action
    assert api.store() == before


def test_a_form_posted_without_its_csrf_token_is_refused_and_records_nothing(api):
    admin = Clerk.sign_in(api, "ops")
    name = new_user(api)
    before = api.store()
    for page, action, fields in (
        (UNITS, UNITS, {"code": f"X-{tag()}", "name": "无令牌单位"}),
        (UNITS, "/admin/units/head", {"code": "DISTRICT-POWER", "name": "张三", "from_day": "2026-01-05"}),
        (UNITS, "/admin/units/DISTRICT-GRID/disable", {}),
        (USERS, USERS, {"username": f"x{tag()}", "role": "admin", "password": PASSWORD, "password_again": PASSWORD}),
        (USERS, f"/admin/users/{name}/disable", {}),
        (USERS, f"/admin/users/{name}/revoke-tokens", {}),
    ):
        response = post(admin, page, action, fields, csrf=False)
        assert response.status_code == 400 and "防伪令牌" in text_of(response.text), action
    assert api.store() == before


# -- units -------------------------------------------------------------------------------------------
def test_the_units_page_lists_each_unit_with_its_head_in_office_today_and_its_state(api):
    """000 item 4 (约谈单位主要负责人): the head in office today is shown with the first day in office; one
    recorded to begin later is shown as coming, not as in office."""
    directory = api.container.directory
    code, gone = new_unit(api, "区市场监管局"), new_unit(api, "已撤并的所")
    today = api.container.clock().astimezone(SHANGHAI).date()
    directory.appoint_head(OPERATOR, code, "张三", today - timedelta(days=400))
    directory.appoint_head(OPERATOR, code, "李四", today - timedelta(days=30))
    directory.appoint_head(OPERATOR, code, "王五", today + timedelta(days=30))
    directory.disable_unit(OPERATOR, gone, "撤并")
    html = Clerk.sign_in(api, "ops").get(UNITS).text
    for column in ("单位代码", "单位名称", "现任主要负责人", "任职起始日", "状态"):
        assert f'<th scope="col">{column}</th>' in html
    row = text_of(row_of(html, code))
    assert "区市场监管局" in row and "李四" in row and (today - timedelta(days=30)).isoformat() in row
    assert "张三" not in row and f"已登记 {(today + timedelta(days=30)).isoformat()} 起：王五" in row
    assert "在用" in row and "停用" in row  # its disable button
    disabled = row_of(html, gone)
    assert "已停用" in text_of(disabled) and "<button" not in disabled and "未登记" in text_of(disabled)


def test_an_administrator_adds_a_unit_recorded_with_the_administrator_as_actor(api):
    admin = Clerk.sign_in(api, "ops")
    code = f"TOWN-{tag()}"
    page = followed(admin, post(admin, UNITS, UNITS, {"code": f" {code} ", "name": "镇供电所"}))
    assert f"已新增单位 {code}（镇供电所）" in page
    unit = api.container.directory.unit(code)
    assert unit is not None and unit.name == "镇供电所" and unit.active
    act = latest_act(api, Unit)
    assert (act.subject, act.type, act.actor) == (code, "Registered", ADMIN_ACTOR)
    # The list of recent acts names who did it.
    assert f"登记 镇供电所（{code}） — ops（系统管理）" in page
    assert {"code": code, "name": "镇供电所"}.items() <= next(
        u for u in api.get("/api/units").json["units"] if u["code"] == code
    ).items()


def test_a_unit_form_with_every_problem_shows_them_all_beside_their_fields_and_records_nothing(api):
    admin = Clerk.sign_in(api, "ops")
    before = api.store()
    response = post(admin, UNITS, UNITS, {"code": "镇 供电所", "name": "  "})
    assert response.status_code == 422 and "提交未成功" in response.text
    assert '<p class="field-error" id="unit-code-error">单位代码须为 1 至 64 位字母' in response.text
    assert '<p class="field-error" id="unit-name-error">请填写单位名称</p>' in response.text
    assert 'href="#unit-code"' in response.text and 'href="#unit-name"' in response.text
    assert 'value="镇 供电所"' in response.text  # what was typed stays
    # A code already taken, with a missing name: both at once.
    taken = post(admin, UNITS, UNITS, {"code": "DISTRICT-POWER", "name": ""})
    assert taken.status_code == 422
    assert "该单位代码已被使用" in text_of(taken.text) and "请填写单位名称" in text_of(taken.text)
    alone = post(admin, UNITS, UNITS, {"code": "DISTRICT-POWER", "name": "区供电中心"})
    assert alone.status_code == 422 and "该单位代码已被使用" in text_of(alone.text)
    assert api.store() == before


def test_an_administrator_records_a_units_head_from_a_day(api):
    """000 item 4: a 约谈 names the head in office on the day; the head is recorded with the first day."""
    admin = Clerk.sign_in(api, "ops")
    code = new_unit(api, "区住建局")
    today = api.container.clock().astimezone(SHANGHAI).date()
    day = (today - timedelta(days=3)).isoformat()
    page = followed(admin, post(admin, UNITS, "/admin/units/head", {"code": code, "name": " 赵六 ", "from_day": day}))
    assert f"已登记：赵六 自 {day} 起任区住建局主要负责人" in page
    assert api.container.directory.head_on(code, today) == {"name": "赵六", "from": day}
    act = latest_act(api, Unit)
    assert (act.type, act.data, act.actor) == ("HeadAppointed", {"name": "赵六", "from_day": day}, ADMIN_ACTOR)
    assert f"任命主要负责人 区住建局（{code}） 主要负责人：赵六，自 {day} 起 ops（系统管理）" in page


def test_a_head_form_without_unit_name_or_a_real_day_lists_all_three_and_records_nothing(api):
    admin = Clerk.sign_in(api, "ops")
    before = api.store()
    response = post(admin, UNITS, "/admin/units/head", {"code": "", "name": "", "from_day": "2026-02-30"})
    assert response.status_code == 422
    for field, message in (("code", "请选择单位"), ("name", "请填写主要负责人姓名"), ("from_day", "请填写任职起始日")):
        assert f'id="head-{field}-error">{message}' in response.text, field
        assert f'href="#head-{field}"' in response.text
    unknown = post(admin, UNITS, "/admin/units/head", {"code": "NO-SUCH", "name": "张三", "from_day": "2026-01-05"})
    assert unknown.status_code == 422 and "请选择单位" in text_of(unknown.text)
    assert api.store() == before


def test_disabling_a_unit_is_for_good_and_a_second_disablement_is_refused(api):
    """The directory has no enabling of units: the page offers none, and says so."""
    admin = Clerk.sign_in(api, "ops")
    code = new_unit(api, "临时专班")
    page = followed(admin, post(admin, UNITS, f"/admin/units/{code}/disable", {"reason": "专班撤销"}))
    assert f"已停用单位 {code}（临时专班）" in page and "不能重新启用" in page
    assert not api.container.directory.unit(code).active
    act = latest_act(api, Unit)
    assert (act.type, act.data, act.actor) == ("Disabled", {"reason": "专班撤销"}, ADMIN_ACTOR)
    html = admin.get(UNITS).text
    assert "<button" not in row_of(html, code) and "启用" not in text_of(row_of(html, code))
    before = api.store()
    again = post(admin, UNITS, f"/admin/units/{code}/disable", {})
    assert again.status_code == 409 and f'id="unit-row-{code}-error">该单位已停用' in again.text
    assert f'href="#unit-row-{code}"' in again.text
    # No user may be added to it (it is not among the choices, and posted anyway it is refused).
    assert f'value="{code}"' not in re.search(r'<select id="user-unit".*?</select>', admin.get(USERS).text, re.S)[0]
    fields = {"username": f"x{tag()}", "role": "unit", "unit": code, "password": PASSWORD, "password_again": PASSWORD}
    refused = post(admin, USERS, USERS, fields)
    assert refused.status_code == 422 and "承办单位用户须属于一个在用的单位" in text_of(refused.text)
    assert api.store() == before


def test_an_unknown_unit_or_user_is_a_page_in_chinese(api):
    admin = Clerk.sign_in(api, "ops")
    before = api.store()
    for action, message in (
        ("/admin/units/NO-SUCH/disable", "没有这个单位"),
        ("/admin/users/nobody-here/disable", "没有这个用户"),
        ("/admin/users/nobody-here/enable", "没有这个用户"),
        ("/admin/users/nobody-here/revoke-tokens", "没有这个用户"),
    ):
        response = post(admin, UNITS, action)
        assert response.status_code == 404 and message in text_of(response.text), action
    assert api.store() == before


# -- users -------------------------------------------------------------------------------------------
def test_the_users_page_lists_each_user_with_role_unit_state_and_last_sign_in(api):
    signed, never = new_user(api), new_user(api, "inspector")
    Clerk.sign_in(api, signed)
    api.container.directory.disable_user(OPERATOR, never, "调离")
    html = Clerk.sign_in(api, "ops").get(USERS).text
    for column in ("用户名", "角色", "所属单位", "状态", "最近登录", "操作"):
        assert f'<th scope="col">{column}</th>' in html
    row = text_of(row_of(html, signed))
    assert "承办单位" in row and "区供电中心" in row and "在用" in row
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row) and "停用" in row and "结束全部会话" in row
    row = text_of(row_of(html, never))
    assert "纪检监察" in row and "已停用" in row and "无记录" in row and "启用" in row and "结束全部会话" not in row
    own = row_of(html, "ops")
    assert "不能停用自己的账号" in text_of(own) and "/admin/users/ops/disable" not in own


def test_an_administrator_adds_a_unit_user_who_then_signs_in_with_the_initial_password(api):
    admin = Clerk.sign_in(api, "ops")
    name = f"power-{tag().lower()}"
    fields = {
        "username": name,
        "role": "unit",
        "unit": "DISTRICT-POWER",
        "password": "初始密码 a long one",
        "password_again": "初始密码 a long one",
    }
    page = followed(admin, post(admin, USERS, USERS, fields))
    assert f"已新增用户 {name}（承办单位 · 区供电中心）" in page
    user = api.container.directory.user(name)
    assert (user.role, user.unit, user.active) == ("unit", "DISTRICT-POWER", True)
    act = latest_act(api, User)
    assert (act.subject, act.type, act.actor) == (name, "Registered", ADMIN_ACTOR)
    assert act.data == {"role": "unit", "unit": "DISTRICT-POWER"}  # never the password's hash
    assert f"登记 {name} 角色：承办单位；单位：区供电中心 ops（系统管理）" in page
    assert "初始密码 a long one" not in admin.get(USERS).text
    assert Clerk(api.client.application.test_client(), name).login("初始密码 a long one").status_code == 303


def test_a_user_form_with_every_problem_shows_them_all_and_records_nothing(api):
    admin = Clerk.sign_in(api, "ops")
    before = api.store()
    fields = {"username": "new user", "role": "", "unit": "", "password": "short", "password_again": "shorter"}
    response = post(admin, USERS, USERS, fields)
    assert response.status_code == 422 and "提交未成功" in response.text
    expected = {
        "username": "用户名须为 1 至 64 位字母",
        "role": "请选择角色",
        "password": "密码至少 8 位",
        "password_again": "两次输入的密码不一致",
    }
    for field, message in expected.items():
        assert f'id="user-{field}-error">{message}' in response.text, field
    assert re.findall(r'href="#user-([a-z_]+)"', response.text) == list(expected)
    assert "short" not in response.text  # a password typed is never sent back
    # A unit user without a unit, a platform user with one, a name already taken: each said, at once.
    taken = post(admin, USERS, USERS, {"username": "clerk", "role": "unit", "password": PASSWORD})
    assert taken.status_code == 422
    for message in ("该用户名已被使用", "承办单位用户须属于一个在用的单位", "请再次输入初始密码"):
        assert message in text_of(taken.text), message
    fields = {"username": f"x{tag()}", "role": "platform", "unit": "DISTRICT-POWER"}
    platform = post(admin, USERS, USERS, fields | {"password": PASSWORD, "password_again": PASSWORD})
    assert platform.status_code == 422
    assert "只有承办单位用户属于某个单位，热线平台用户不选单位" in text_of(platform.text)
    assert api.store() == before


def test_a_disabled_user_can_no_longer_sign_in_and_is_signed_out_until_enabled_again(api):
    name = new_user(api)
    session = Clerk.sign_in(api, name)
    assert session.get("/").status_code == 200
    admin = Clerk.sign_in(api, "ops")
    page = followed(admin, post(admin, USERS, f"/admin/users/{name}/disable", {"reason": "调离本单位"}))
    assert f"已停用用户 {name}" in page
    act = latest_act(api, User)
    assert (act.subject, act.type, act.data, act.actor) == (name, "Disabled", {"reason": "调离本单位"}, ADMIN_ACTOR)
    assert session.get("/").status_code == 303  # its open session has ended
    refused = Clerk(api.client.application.test_client(), name).login()
    assert refused.status_code == 401 and "用户名或密码不正确" in text_of(refused.text)
    before = api.store()
    again = post(admin, USERS, f"/admin/users/{name}/disable", {})
    assert again.status_code == 409 and f'id="user-row-{name}-error">该用户已停用' in again.text
    assert api.store() == before
    followed(admin, post(admin, USERS, f"/admin/users/{name}/enable"))
    act = latest_act(api, User)
    assert (act.subject, act.type, act.actor) == (name, "Enabled", ADMIN_ACTOR)
    assert session.get("/").status_code == 303  # the old session stays ended
    assert Clerk(api.client.application.test_client(), name).login().status_code == 303
    before = api.store()
    enabled = post(admin, USERS, f"/admin/users/{name}/enable")
    assert enabled.status_code == 409 and "该用户未停用，无需启用" in text_of(enabled.text)
    assert api.store() == before


def test_an_administrator_cannot_disable_their_own_account(api):
    admin = Clerk.sign_in(api, "ops")
    before = api.store()
    response = post(admin, USERS, "/admin/users/ops/disable", {})
    assert response.status_code == 409 and "不能停用自己的账号" in text_of(response.text)
    assert api.store() == before and admin.get(USERS).status_code == 200
    with pytest.raises(NotAllowedInState):  # the directory's own rule, for the command line too
        api.container.directory.disable_user(Actor("ops", Role.ADMIN), "ops")


def test_ending_a_users_sessions_signs_its_open_browser_session_out(api):
    """Two browsers: the user's, signed in, and the administrator's, who ends all its sessions; the user's
    next page is the sign-in form, its API token is refused too, and it may sign in again."""
    name = new_user(api)
    user = Clerk.sign_in(api, name)
    assert user.get("/").status_code == 200
    token = api.client.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json["token"]
    admin = Clerk.sign_in(api, "ops")
    page = followed(admin, post(admin, USERS, f"/admin/users/{name}/revoke-tokens"))
    assert f"已结束用户 {name} 的全部会话" in page
    act = latest_act(api, User)
    assert (act.subject, act.type, act.actor) == (name, "TokensRevoked", ADMIN_ACTOR)
    signed_out = user.get("/")
    assert signed_out.status_code == 303 and signed_out.headers["Location"].startswith("/login")
    assert api.client.get("/api/units", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert admin.get(USERS).status_code == 200  # the administrator's own session goes on
    assert Clerk.sign_in(api, name).get("/").status_code == 200


def test_the_administrators_pages_show_no_latin_word_but_user_names_unit_codes_and_addresses(api):
    code = new_unit(api)
    api.container.directory.appoint_head(OPERATOR, code, "张三", date(2026, 1, 5))
    new_user(api)
    directory = api.container.directory
    # The operators of the acts listed (``cli:<login>`` for the command line: whoever ran it in this database).
    operators = [
        str(act.actor.get("user", "")).removeprefix("cli:")
        for kind in (Unit, User)
        for act in directory.recent_acts(kind)
    ]
    names = sorted(
        [u.username for u in directory.users()] + [u.code for u in directory.units()] + operators,
        key=len,
        reverse=True,
    )
    admin = Clerk.sign_in(api, "ops")
    for path in (UNITS, USERS):
        # A user's e-mail address (预警 mail) is shown as it was set, like a user name.
        text = re.sub(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", " ", text_of(admin.get(path).text))
        for name in names:
            text = text.replace(name, "")
        assert not re.search(r"[A-Za-z]{2,}", text), (path, re.findall(r"[A-Za-z]{2,}", text)[:10])
        assert "cli:" not in text and "admin" not in text


def test_the_workspaces_stylesheet_is_served_to_every_page(api):
    """base.html links /static/workspace.css: the blueprint's, not an empty app-wide static folder's 404."""
    response = api.client.application.test_client().get("/static/workspace.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert b".error-summary" in response.data
