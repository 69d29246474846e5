"""The auditor's path in chromium with JavaScript off, against the real server: the trail searched for a
case, the case replayed as of an event, and the store verified (开始核验); axe-core on every page."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    UNITS,
    USERS,
    Workspace,
    axe_check,
    provision,
    screenshot,
    sign_in,
    weeks_ago,
)
from tests.e2e.server import running_server

AUDITORS = {"auditor": ("auditor", None)}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """``caseledger serve`` on a SQLite file of its own, with an auditor beside the suite's users."""
    from adapters.auth.passwords import Argon2Hasher
    from domain.actors import Actor, Role
    from tests.conftest import LOG_KEY_FILE
    from web.bootstrap import Settings, bootstrap

    tmp = tmp_path_factory.mktemp("auditor")
    url = f"sqlite:///{tmp / 'events.sqlite3'}"
    provision(url)
    container = bootstrap(
        Settings(database_url=url, secret_key="browser-tests", log_key_file=LOG_KEY_FILE),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        container.directory.add_user(Actor("cli:browser-tests", Role.ADMIN), "auditor", "auditor", PASSWORD)
    finally:
        container.close()
    with running_server(url, tmp, units=UNITS, users={**USERS, **AUDITORS}, create=False) as server:
        yield Workspace(server, "sqlite")


def test_an_auditor_searches_the_trail_replays_a_case_and_verifies_the_store(page, workspace, artifacts):
    case = workspace.forwarded_appeal("DISTRICT-POWER", occurred_at=weeks_ago(3), subject="审计回放")
    workspace.api("POST", f"/api/appeals/{case['id']}/acknowledge", {}, user="power")
    sign_in(page, "auditor")

    page.get_by_role("link", name="办理记录检索").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("办理记录检索")
    axe_check(page)
    page.get_by_label("案件编号").fill(case["case_no"])
    with page.expect_navigation():
        page.get_by_role("button", name="检索").click()
    rows = page.locator("table.trail tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("转办")
    expect(rows.nth(2)).to_contain_text("power（承办单位 · 区供电中心）")
    axe_check(page)

    with page.expect_navigation():
        rows.nth(1).get_by_role("link", name=case["case_no"]).click()  # the case as of its forwarding
    assert urlsplit(page.url).path == f"/appeals/{case['id']}"
    banner = page.locator("#replay")
    expect(banner).to_contain_text("截至")
    expect(banner).to_contain_text("此后又有 1 条办理记录")
    expect(page.locator("ol.timeline > li")).to_have_count(2)
    expect(page.get_by_role("button", name="签收")).to_have_count(0)  # read-only
    axe_check(page)
    screenshot(page, artifacts, "auditor-replay", workspace)
    with page.expect_navigation():
        banner.get_by_role("link", name="查看案件当前情况").click()
    expect(page.locator("ol.timeline > li")).to_have_count(3)

    page.get_by_role("link", name="存证核验").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("存证核验")
    axe_check(page)
    with page.expect_navigation() as landed:
        page.get_by_role("button", name="开始核验").click()
    response = landed.value
    assert response.status == 200 and response.request.redirected_from.response().status == 303
    expect(page.get_by_text("核验通过")).to_be_visible()
    axe_check(page)
    screenshot(page, artifacts, "auditor-verify", workspace)
