"""An inspector's path through the workspace in chromium with JavaScript off, against the real server:
问责台账 → a unit's record → 记录后续处理 (refused once, then recorded) → 月度通报 and its PDF → 堵点分析 → a
unit's ledger; and a unit reading its own record. axe-core checks every page on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UNITS, USERS, Workspace, axe_check, screenshot, sign_in, weeks_ago, zoom_check
from tests.e2e.server import PASSWORD, running_server

READERS: dict[str, tuple[str, str | None]] = {"inspector": ("inspector", None), "super": ("supervisor", None)}


def provision(database_url: str, users: dict[str, tuple[str, str | None]]) -> None:
    """The suite's units and users and the readers of this module, made in this process (as the suite's
    ``provision`` does, cheap Argon2 hashes)."""
    from adapters.auth.passwords import Argon2Hasher
    from domain.actors import Actor, Role
    from tests.conftest import LOG_KEY_FILE
    from web.bootstrap import Settings, bootstrap

    operator = Actor("cli:browser-tests", Role.ADMIN)
    container = bootstrap(
        Settings(database_url=database_url, secret_key="browser-tests", log_key_file=LOG_KEY_FILE),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        for code, name in UNITS.items():
            container.directory.add_unit(operator, code, name)
        for name, (role, unit) in users.items():
            container.directory.add_user(operator, name, role, PASSWORD, unit)
    finally:
        container.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """``caseledger serve`` on a SQLite file of its own, with an inspector and a supervisor too."""
    tmp = tmp_path_factory.mktemp("inspector")
    url = f"sqlite:///{tmp / 'events.sqlite3'}"
    users = {**USERS, **READERS}
    provision(url, users)
    with running_server(url, tmp, units=UNITS, users=users, create=False) as server:
        yield Workspace(server, "sqlite")


def two_late_cases(workspace: Workspace) -> list[dict]:
    """000 item 4: two cases of 区供电中心 left unanswered past their deadline, found by the sweep: a 通报提醒
    each, and for the two in one month 约谈 and 书面检查."""
    forwarded = weeks_ago(4)
    cases = [workspace.forwarded_appeal("DISTRICT-POWER", forwarded, subject=f"接电难{n}") for n in (1, 2)]
    workspace.api("POST", "/api/deadlines/sweep", {})
    return cases


def follow(page, name: str):
    """Click the link named ``name`` and wait for the page it opens (200)."""
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name=name, exact=True).first.click()
    response = navigation.value
    assert response is not None and response.status == 200, (name, response and response.status, page.url)
    return response


def test_an_inspector_reads_the_register_and_records_an_interview_held(page, workspace, artifacts):
    cases = two_late_cases(workspace)
    sign_in(page, "inspector")
    follow(page, "问责台账")
    expect(page.get_by_role("heading", level=1)).to_have_text("问责台账")
    register = page.locator("table.consequences")
    for case in cases:
        expect(register.get_by_role("link", name=case["case_no"]).first).to_be_visible()
    expect(register).to_contain_text("川政办字〔2020〕59号 第四条")
    expect(register).to_contain_text("待约谈已进行")
    axe_check(page)
    zoom_check(page)
    screenshot(page, artifacts, "inspector-register", workspace)

    follow(page, "区供电中心")
    expect(page.get_by_role("heading", level=1)).to_contain_text("区供电中心 问责记录")
    axe_check(page)
    form = page.locator("form").filter(has=page.get_by_role("button", name="记录后续处理"))
    form.get_by_label("后续处理").select_option(label="约谈已进行")
    with page.expect_navigation():
        form.get_by_role("button", name="记录后续处理").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("提交未成功")
    expect(summary).to_contain_text("请选择「约谈已进行」所对应的问责处理")
    expect(summary).to_contain_text("请填写处理情况")
    axe_check(page, snapshot=True)
    zoom_check(page, snapshot=True)

    form = page.locator("form").filter(has=page.get_by_role("button", name="记录后续处理"))
    interview = form.get_by_label("对应的问责处理").locator("option").filter(has_text="约谈（")
    form.get_by_label("对应的问责处理").select_option(value=interview.first.get_attribute("value"))
    held = (datetime.now() - timedelta(days=1)).replace(hour=15, minute=30)
    form.get_by_label("发生时间").fill(held.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("处理情况").fill("区纪委监委约谈单位主要负责人，责令限期整改")
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name="记录后续处理").click()
    landed = navigation.value
    assert landed.request.redirected_from is not None and landed.request.redirected_from.response().status == 303
    expect(page.get_by_role("status")).to_contain_text("已记录「约谈已进行」")
    record = page.locator("#follow-ups-title").locator("xpath=..")
    expect(record).to_contain_text(f"发生于 {held.strftime('%Y-%m-%d %H:%M')}")
    expect(record).to_contain_text("记录于")
    axe_check(page)
    screenshot(page, artifacts, "inspector-unit-record", workspace)


def test_an_inspector_reads_the_bulletin_downloads_its_pdf_and_opens_a_units_ledger(page, workspace, artifacts):
    two_late_cases(workspace)
    sign_in(page, "inspector")
    follow(page, "月度通报")
    expect(page.get_by_role("heading", level=1)).to_contain_text("月度通报")
    ranking = page.locator("table.ranking")
    expect(ranking).to_contain_text("区供电中心")
    axe_check(page)
    zoom_check(page)
    screenshot(page, artifacts, "inspector-monthly", workspace)
    with page.expect_download(timeout=60_000) as downloading:  # the PDF's charts take a few seconds to draw
        page.get_by_role("link", name="下载 PDF").click(timeout=60_000)
    download = downloading.value
    assert download.suggested_filename.startswith("bulletin-") and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    period = page.get_by_label("月份", exact=True)
    previous = (datetime.now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    period.fill(previous)
    with page.expect_navigation():
        page.get_by_role("button", name="查看").click()
    assert f"period={previous}" in page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(previous)

    follow(page, "堵点分析")
    expect(page.get_by_role("heading", level=1)).to_contain_text("堵点分析")
    axe_check(page)

    follow(page, "月度通报")
    follow(page, "区供电中心")
    expect(page.get_by_role("heading", level=1)).to_contain_text("区供电中心 台账")
    axe_check(page)
    zoom_check(page)


def test_a_unit_reads_its_own_record_and_ledger_from_its_menu(page, workspace):
    sign_in(page, "power")
    follow(page, "本单位问责记录")
    expect(page.get_by_role("heading", level=1)).to_contain_text("区供电中心 问责记录")
    expect(page.get_by_role("button", name="记录后续处理")).to_have_count(0)
    axe_check(page)
    follow(page, "本单位台账")
    expect(page.get_by_role("heading", level=1)).to_contain_text("区供电中心 台账")
    axe_check(page)
    assert page.goto("/units/DISTRICT-WATER/accountability").status == 403
    assert page.goto("/accountability").status == 403
