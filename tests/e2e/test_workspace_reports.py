"""The reports as pages (docs/web-workspace.md *Reports*), through the Flask app, on both databases.

The monthly bulletin (通报), 堵点分析 and a unit's ledger (台账), each for the roles the API grants, with the
figures the API gives; the bulletin's Excel and PDF downloaded with the browser's session are the API's own
files. A month not given is the current one; a malformed one is a page saying so (422), never a 500.
"""

from __future__ import annotations

import re
import uuid

from domain.deadlines.periods import SHANGHAI
from tests.e2e.test_workspace_accountability import fresh_unit, late_answers, latin_words
from tests.e2e.workspace_client import Clerk, text_of

BULLETIN_READERS = ("clerk", "super", "inspector", "auditor", "ops")
UNIT_USERS = ("power", "water")


def ranking_row(html: str, name: str) -> str:
    """The text of the ranking table's row of the unit named ``name``."""
    table = re.search(r'<table class="ranking">.*?</table>', html, re.S).group(0)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", table, re.S) if f">{name}</a>" in r)
    return text_of(row)


# -- the monthly bulletin (通报) -------------------------------------------------------------------------
def test_the_monthly_bulletin_ranks_the_units_with_their_rates_counts_approvals_and_consequences(live):
    """004 items 十一 and 十五: the month's figures of every unit, ranked; 000 item 4: the month's 通报提醒, 约谈
    and 书面检查 by unit, each with its rule as document and item."""
    unit = fresh_unit(live, f"通报测试所{uuid.uuid4().int % 10**6}")
    name = live.container.directory.unit(unit).name
    late_answers(live, unit)
    api = live.get("/api/reports/monthly?period=2026-10", user="super").json
    mine = next(u for u in api["units"] if u["unit"] == unit)
    page = Clerk.sign_in(live, "super").get("/reports/monthly", query_string={"period": "2026-10"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "月度通报" in text and "2026-10" in text and "各单位排名" in text
    for label in ("综合得分", "响应率", "按时答复率", "解决率", "满意率", "复核后满意率", "期末超期"):
        assert label in text, label
    for label in ("转办", "按时答复", "超时答复", "办结已解决", "差评"):
        assert label in text, label
    row = ranking_row(page.text, name)
    rank = f"第 {mine['rank']} 名" if mine["rank"] else "不参与排名"
    assert row.startswith(rank) and f"{mine['rates']['on_time'] * 100:.1f}%" in row
    assert "行政审批办理情况" in text and "按时决定率" in text
    consequences = re.search(r'id="consequences-title".*?</section>', page.text, re.S).group(0)
    assert name in consequences and "约谈" in consequences and "川政办字〔2020〕59号 第四条" in consequences
    assert f'href="/units/{unit}/accountability?period=2026-10"' in consequences
    assert not latin_words(text, ("super",)), latin_words(text, ("super",))


def test_the_bulletins_downloads_are_the_apis_files_with_the_browsers_session(live):
    clerk = Clerk.sign_in(live, "auditor")
    page = clerk.get("/reports/monthly", query_string={"period": "2026-10", "close_day": "25"})
    assert '<a href="/reports/monthly.xlsx?period=2026-10&amp;close_day=25">下载 Excel</a>' in page.text
    assert '<a href="/reports/monthly.pdf?period=2026-10&amp;close_day=25">下载 PDF</a>' in page.text
    xlsx = clerk.get("/reports/monthly.xlsx?period=2026-10&close_day=25")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="bulletin-2026-10.xlsx"' in xlsx.headers["Content-Disposition"]
    assert xlsx.data[:2] == b"PK"
    pdf = clerk.get("/reports/monthly.pdf?period=2026-10")
    api_pdf = live.get("/api/reports/monthly.pdf?period=2026-10", user="auditor")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert len(pdf.data) > 1000 and api_pdf.mimetype == pdf.mimetype
    anonymous = live.client.application.test_client().get("/reports/monthly.pdf?period=2026-10")
    assert anonymous.status_code == 303  # to the sign-in form: the session is what authenticates


def test_the_bulletin_and_its_files_are_for_the_roles_that_read_bulletins(live):
    for user in BULLETIN_READERS:
        clerk = Clerk.sign_in(live, user)
        assert clerk.get("/reports/monthly?period=2026-09").status_code == 200, user
        assert clerk.get("/reports/recurring?period=2026-09").status_code == 200, user
    for user in UNIT_USERS:
        clerk = Clerk.sign_in(live, user)
        for path in ("/reports/monthly", "/reports/monthly.xlsx", "/reports/monthly.pdf", "/reports/recurring"):
            response = clerk.get(path, query_string={"period": "2026-09"})
            assert response.status_code == 403 and "无权查看" in text_of(response.text), (user, path)


def test_without_a_month_the_reports_show_the_current_month_of_the_services_time_source(live):
    month = live.container.clock().astimezone(SHANGHAI).strftime("%Y-%m")
    clerk = Clerk.sign_in(live, "inspector")
    for path in ("/reports/monthly", "/reports/recurring", "/units/DISTRICT-POWER/ledger"):
        page = clerk.get(path)
        assert page.status_code == 200, path
        assert f'name="period" type="month" value="{month}"' in page.text, path
    assert "本月尚未结束" in text_of(clerk.get("/reports/monthly").text)


def test_a_malformed_month_is_a_page_saying_so_and_never_an_error(live):
    clerk = Clerk.sign_in(live, "inspector")
    for query in (
        {"period": "2026-13"},
        {"period": "oct"},
        {"period": "0000-01"},
        {"period": "9999-12"},
        {"period": "٢٠٢٦-09"},
        {"period": "2026-09\n"},
    ):
        for path in ("/reports/monthly", "/reports/recurring", "/units/DISTRICT-POWER/ledger"):
            page = clerk.get(path, query_string=query)
            assert page.status_code == 422, (path, query)
            text = text_of(page.text)
            assert "请按“年-月”填写月份" in text, (path, query)
            assert 'class="error-summary"' in page.text and "各单位排名" not in text
        for path in ("/reports/monthly.xlsx", "/reports/monthly.pdf"):
            assert clerk.get(path, query_string=query).status_code == 422, (path, query)
    bad_close = clerk.get("/reports/monthly", query_string={"period": "2026-09", "close_day": "31"})
    assert bad_close.status_code == 422 and "统计截止日须为 1 至 28 之间的整数" in text_of(bad_close.text)


def test_a_month_that_has_not_begun_is_shown_as_such(live):
    clerk = Clerk.sign_in(live, "super")
    for path in ("/reports/monthly", "/reports/recurring", "/units/DISTRICT-POWER/ledger"):
        page = clerk.get(path, query_string={"period": "2999-12"})
        assert page.status_code == 200 and "该月尚未开始" in text_of(page.text), path


# -- 堵点分析 ---------------------------------------------------------------------------------------------
def test_the_recurring_problems_page_names_the_enterprise_appealing_again_and_again(live):
    """004 item 六: an enterprise with two appeals or more in three months, one in the month."""
    enterprise = f"淄博反复诉求{uuid.uuid4().int % 10**8}有限公司"
    cases = [
        live.open(occurred_at=when, enterprise={"name": enterprise}, subject=f"停电-{uuid.uuid4().int % 10**6}")
        for when in ("2026-10-05T09:00:00+08:00", "2026-11-10T09:00:00+08:00")
    ]
    page = Clerk.sign_in(live, "auditor").get("/reports/recurring", query_string={"period": "2026-11"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "堵点分析" in text and enterprise in text and "2026-09、2026-10、2026-11" in text
    for case in cases:
        assert f'href="/appeals/{case["id"]}"' in page.text
    assert "类别与承办单位" in text and "服务求助" in text and "精确单侧条件二项检验" in text
    assert not latin_words(text, ("auditor",)), latin_words(text, ("auditor",))


# -- a unit's ledger (台账) --------------------------------------------------------------------------
def test_a_units_ledger_shows_the_apis_figures_with_their_chinese_names(live):
    unit = fresh_unit(live, "台账测试所")
    late_answers(live, unit)
    ledger = live.get(f"/api/units/{unit}/ledger?period=2026-10", user="inspector").json
    page = Clerk.sign_in(live, "inspector").get(f"/units/{unit}/ledger", query_string={"period": "2026-10"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "台账测试所 台账" in text and "统计期间 2026-10-01 至 2026-10-31" in text
    assert f"转办 {ledger['counts']['forwarded']}" in text
    assert f"超时答复 {ledger['counts']['replies_late']}" in text
    on_time = ledger["rates"]["on_time"]
    assert f"按时答复率 {'—' if on_time is None else f'{on_time * 100:.1f}%'}" in text
    assert "审批部门审查" in text and f'href="/units/{unit}/accountability"' in page.text
    assert not latin_words(text, ("inspector", unit)), latin_words(text, ("inspector", unit))


def test_a_unit_reads_its_own_ledger_only_and_everyone_else_any(live):
    power = Clerk.sign_in(live, "power")
    own = power.get("/units/DISTRICT-POWER/ledger", query_string={"period": "2026-10"})
    assert own.status_code == 200 and "区供电中心 台账" in text_of(own.text)
    other = power.get("/units/DISTRICT-WATER/ledger", query_string={"period": "2026-10"})
    assert other.status_code == 403 and "区水务局" not in text_of(other.text)
    for user in BULLETIN_READERS:
        assert Clerk.sign_in(live, user).get("/units/DISTRICT-WATER/ledger").status_code == 200, user
    assert Clerk.sign_in(live, "inspector").get("/units/NO-SUCH-UNIT/ledger").status_code == 404
    assert power.get("/units/NO-SUCH-UNIT/ledger").status_code == 403  # who may read, before what exists


def test_the_navigation_offers_the_reports_to_their_readers_and_a_unit_its_own_pages(live):
    nav = text_of(Clerk.sign_in(live, "inspector").get("/").text)
    assert "问责台账" in nav and "月度通报" in nav and "堵点分析" in nav and "本单位台账" not in nav
    clerk = text_of(Clerk.sign_in(live, "clerk").get("/").text)
    assert "月度通报" in clerk and "问责台账" not in clerk
    power = Clerk.sign_in(live, "power").get("/")
    assert 'href="/units/DISTRICT-POWER/ledger"' in power.text and "月度通报" not in text_of(power.text)
