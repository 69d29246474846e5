"""系统管理 in chromium with JavaScript off, against the real server: an administrator adds a unit, records
its head, adds a user of it, ends that user's session in the user's own browser, disables and enables it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    Workspace,
    axe_check,
    new_context,
    screenshot,
    sign_in,
    workspace_on,
    zoom_check,
)

ADMIN = "admin1"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The suite's server on a SQLite file of its own, with an administrator besides its users."""
    tmp = tmp_path_factory.mktemp("admin")
    url = f"sqlite:///{tmp / 'events.sqlite3'}"
    with workspace_on(url, tmp, "sqlite") as ready:
        _add_admin(url)
        yield ready


def _add_admin(database_url: str) -> None:
    from adapters.auth.passwords import Argon2Hasher
    from domain.actors import Actor, Role
    from tests.conftest import LOG_KEY_FILE
    from web.bootstrap import Settings, bootstrap

    container = bootstrap(
        Settings(database_url=database_url, secret_key="browser-tests", log_key_file=LOG_KEY_FILE),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        container.directory.add_user(Actor("cli:browser-tests", Role.ADMIN), ADMIN, "admin", PASSWORD)
    finally:
        container.close()


def submit(page: Any, form: Any, button: str) -> Any:
    """Click the form's button; the response shown after it (after the redirect, if one came)."""
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name=button, exact=True).click()
    return navigation.value


def redirected(response: Any, path: str) -> None:
    """A POST answered by 303 to ``path``, shown with 200 and its confirmation."""
    origin = response.request.redirected_from
    assert origin is not None and origin.method == "POST" and origin.response().status == 303, response.url
    assert response.status == 200 and response.url.endswith(path), (response.url, response.status)


def section(page: Any, heading: str) -> Any:
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def row(page: Any, key: str) -> Any:
    found = page.locator("table tbody tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(key)}")))
    expect(found).to_have_count(1)
    return found


def test_an_administrator_manages_a_unit_and_its_user_and_ends_the_users_session(browser, workspace, artifacts):
    tag = f"{uuid.uuid4().int % 10**6:06d}"
    code, username, password = f"TOWN-{tag.upper()}", f"town-{tag}", "镇所初始密码-2026"
    admin_ctx, user_ctx = new_context(browser, workspace.base_url), new_context(browser, workspace.base_url)
    try:
        admin = admin_ctx.new_page()
        sign_in(admin, ADMIN)
        navigation = admin.get_by_role("navigation", name="工作台")
        expect(navigation.get_by_role("link", name="单位管理")).to_have_count(1)

        # 单位管理: the units; a refused form first, every problem at once, then a unit and its head.
        with admin.expect_navigation():
            navigation.get_by_role("link", name="单位管理").click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("单位管理")
        expect(row(admin, "DISTRICT-POWER")).to_contain_text("区供电中心")
        axe_check(admin)
        zoom_check(admin)
        form = section(admin, "新增单位")
        form.get_by_label("单位代码", exact=True).fill("镇 所")
        refused = submit(admin, form, "新增单位")
        assert refused.status == 422, refused.status
        summary = admin.locator("div.error-summary[role=alert]")
        expect(summary.locator("li")).to_have_count(2)
        expect(summary).to_contain_text("单位代码须为")
        expect(summary).to_contain_text("请填写单位名称")
        expect(admin.locator("p.field-error#unit-name-error")).to_be_visible()
        axe_check(admin, snapshot=True)

        form = section(admin, "新增单位")
        form.get_by_label("单位代码", exact=True).fill(code)
        form.get_by_label("单位名称", exact=True).fill("镇供电所")
        redirected(submit(admin, form, "新增单位"), "/admin/units")
        expect(admin.locator("[role=status]")).to_contain_text(f"已新增单位 {code}")
        form = section(admin, "登记主要负责人")
        form.get_by_label("单位", exact=True).select_option(code)
        form.get_by_label("主要负责人姓名", exact=True).fill("钱七")
        form.get_by_label("任职起始日", exact=True).fill("2026-01-05")
        redirected(submit(admin, form, "登记主要负责人"), "/admin/units")
        expect(row(admin, code)).to_contain_text("钱七")
        expect(row(admin, code)).to_contain_text("2026-01-05")
        expect(section(admin, "最近的单位变更").locator("tbody tr").first).to_contain_text(f"{ADMIN}（系统管理）")
        screenshot(admin, artifacts, "admin-units", workspace)
        axe_check(admin)

        # 用户管理: a user of the new unit, its initial password typed twice.
        with admin.expect_navigation():
            admin.get_by_role("navigation", name="工作台").get_by_role("link", name="用户管理").click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("用户管理")
        axe_check(admin)
        zoom_check(admin)
        form = section(admin, "新增用户")
        form.get_by_label("用户名", exact=True).fill(username)
        form.get_by_label("角色", exact=True).select_option(label="承办单位")
        form.get_by_label("所属单位（仅承办单位用户选择）", exact=True).select_option(label="镇供电所")
        form.get_by_label("初始密码", exact=True).fill(password)
        form.get_by_label("再次输入初始密码", exact=True).fill(password)
        redirected(submit(admin, form, "新增用户"), "/admin/users")
        expect(admin.locator("[role=status]")).to_contain_text(f"已新增用户 {username}（承办单位 · 镇供电所）")
        expect(row(admin, username)).to_contain_text("在用")
        expect(row(admin, username)).to_contain_text("无记录")

        # The user signs in in a browser of its own; the administrator ends all its sessions.
        user = user_ctx.new_page()
        sign_in(user, username, password)
        expect(user.get_by_role("heading", level=1)).to_have_text("待办")
        admin.reload()
        expect(row(admin, username)).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
        redirected(submit(admin, row(admin, username), "结束全部会话"), "/admin/users")
        expect(admin.locator("[role=status]")).to_contain_text(f"已结束用户 {username} 的全部会话")
        shown = user.goto("/")
        assert shown is not None and "/login" in user.url, user.url
        expect(user.get_by_role("heading", level=1)).to_have_text("登录")

        # Disabled, it cannot sign in; enabled again, it can.
        target = row(admin, username)
        target.get_by_label("停用理由（可不填）").fill("调离镇供电所")
        redirected(submit(admin, target, "停用"), "/admin/users")
        expect(row(admin, username)).to_contain_text("已停用")
        screenshot(admin, artifacts, "admin-users", workspace)
        axe_check(admin)
        user.get_by_label("用户名", exact=True).fill(username)
        user.get_by_label("密码", exact=True).fill(password)
        with user.expect_navigation() as refused_sign_in:
            user.get_by_role("button", name="登录").click()
        assert refused_sign_in.value.status == 401
        expect(user.locator("div.error-summary")).to_contain_text("用户名或密码不正确")
        redirected(submit(admin, row(admin, username), "启用"), "/admin/users")
        expect(row(admin, username)).to_contain_text("在用")
        sign_in(user, username, password)
        expect(user.get_by_role("heading", level=1)).to_have_text("待办")
    finally:
        admin_ctx.close()
        user_ctx.close()
