"""The monthly bulletin (通报) over HTTP: JSON, .xlsx and .pdf, on SQLite and PostgreSQL.

Sources: one published practice of unit scores (三率: composite = 10% response +
50% resolution + 40% satisfaction); 004 item 六 (the monthly
bulletin). The composite is in points out of 100 in all three.

Each test registers units of its own (the PostgreSQL database is shared by
the session's tests) and compares only their rows; ranks are compared as an
order, since other tests' units share the ranking.
"""

from __future__ import annotations

import io
import uuid

import openpyxl
import pytest

from tests.e2e.conftest import OPERATOR
from tests.pdf import page_count, pdf_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(day: str, clock: str = "10:00") -> str:
    return f"2026-{day}T{clock}:00+08:00"


def ok(response, status: int = 200):
    assert response.status_code == status, response.json
    return response.json


@pytest.fixture
def scenario(live):
    """Three units of this test. Zichuan cases (unit reply: 2 working days; 2026-10-01..07 are holidays):

    - A: forwarded 09-29, answered 09-30 (on time), visited satisfied and solved, closed 10-09;
    - B: forwarded 09-29, answered 10-12 (late: due 10-08 23:59:59), visited basically satisfied
      but unsolved, closed 10-13;
    - C: nothing.
    """
    tag = f"{uuid.uuid4().int % 10**6:06d}"  # digits: the unit names show on pages other tests read for Latin words
    units = {
        "A": (f"RPT-{tag}-A", f"淄川供电所{tag}"),
        "B": (f"RPT-{tag}-B", f"淄川水务站{tag}"),
        "C": (f"RPT-{tag}-C", f"淄川网格站{tag}"),
    }
    for code, name in units.values():
        live.container.directory.add_unit(OPERATOR, code, name)

    def handle(unit: str, answered: str, satisfaction: str, solved: bool, closed: str) -> None:
        case = live.open(occurred_at=at("09-29", "09:00"), subject=f"报表 {tag}")
        path = f"/api/appeals/{case['id']}"
        ok(live.post(f"{path}/forward", {"unit": unit, "occurred_at": at("09-29")}))
        ok(live.post(f"{path}/answer", {"kind": "final", "content": "已办结", "occurred_at": at(answered)}, user="ops"))
        ok(live.post(f"{path}/review", {"accepted": True, "occurred_at": at(answered, "11:00")}))
        ok(
            live.post(
                f"{path}/visit", {"satisfaction": satisfaction, "solved": solved, "occurred_at": at(closed, "09:00")}
            )
        )
        ok(live.post(f"{path}/close", {"occurred_at": at(closed, "10:00")}))

    handle(units["A"][0], "09-30", "satisfied", True, "10-09")
    handle(units["B"][0], "10-12", "basically_satisfied", False, "10-13")
    return {key: code for key, (code, _) in units.items()}, {code: name for code, name in units.values()}


def mine(bulletin: dict, codes: dict) -> dict:
    """This test's rows, by A/B/C, and their positions in the whole ranking."""
    position = {row["unit"]: i for i, row in enumerate(bulletin["units"])}
    rows = {key: next(r for r in bulletin["units"] if r["unit"] == code) for key, code in codes.items()}
    return rows | {"order": sorted(codes, key=lambda key: position[codes[key]])}


def test_json_bulletin_ranks_the_units(scenario, live):
    codes, names = scenario
    # The reporting month of October closing on the 25th: 09-26 to 10-25, so every act counts.
    b = ok(live.get("/api/reports/monthly?period=2026-10&close_day=25", user="super"))
    assert (b["period"], b["close_day"], b["start"], b["end"]) == (
        "2026-10",
        25,
        "2026-09-26T00:00:00+08:00",
        "2026-10-26T00:00:00+08:00",
    )
    assert b["weights"] == {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4} and b["min_coverage"] == 0.5
    assert set(b["definitions"]) == {"response", "on_time", "resolution", "satisfaction", "satisfaction_adjudicated"}
    rows = mine(b, codes)
    a, bb, c = rows["A"], rows["B"], rows["C"]
    assert (a["name"], bb["name"], c["name"]) == tuple(names[codes[k]] for k in "ABC")
    assert {k: v for k, v in a["counts"].items() if v} == {
        "forwarded": 1,
        "responded": 1,
        "replies_on_time": 1,
        "closed": 1,
        "closed_solved": 1,
        "visits_satisfied": 1,
    }
    assert {k: v for k, v in bb["counts"].items() if v} == {
        "forwarded": 1,
        "responded": 1,
        "replies_late": 1,
        "closed": 1,
        "closed_unsolved": 1,
        "visits_basically_satisfied": 1,
    }
    assert a["rates"] == {
        "response": 1.0,
        "on_time": 1.0,
        "resolution": 1.0,
        "satisfaction": 1.0,
        "satisfaction_adjudicated": 1.0,
    }
    assert bb["rates"] == {
        "response": 1.0,
        "on_time": 0.0,
        "resolution": 0.0,
        "satisfaction": 0.9,
        "satisfaction_adjudicated": 0.9,
    }
    # A: 100 x (0.1 + 0.5 + 0.4) = 100 points; B: 100 x (0.1 x 1 + 0.5 x 0 + 0.4 x 0.9) = 46 points
    assert (a["composite"], a["coverage"], bb["composite"], bb["coverage"]) == (100.0, 1.0, 46.0, 1.0)
    assert (a["not_ranked"], a["not_ranked_reason"], bb["not_ranked"]) == (None, None, None)
    assert (a["open_at_end"], a["overdue_at_end"], bb["open_at_end"], bb["overdue_at_end"]) == (0, 0, 0, 0)
    assert rows["order"] == ["A", "B", "C"] and a["rank"] < bb["rank"]
    assert (c["rank"], c["composite"], c["coverage"], c["not_ranked"]) == (None, None, 0.0, "no_weighted_rate")
    ranks = [r["rank"] for r in b["units"]]
    assert ranks[: ranks.index(None)] == sorted(ranks[: ranks.index(None)])  # ranked first, in order
    assert set(ranks[ranks.index(None) :]) == {None}
    assert b["totals"]["unit"] == "TOTAL" and b["totals"]["counts"]["forwarded"] >= 2


def test_units_scored_on_a_tenth_of_the_weights_are_not_ranked(scenario, live):
    codes, _ = scenario
    # September alone: both forwarded and responded (response 1), nothing closed or visited yet: 100 points
    # on 10 % of the weights for both, below the 50 % needed to rank. Listed apart, by code, with the reason.
    b = ok(live.get("/api/reports/monthly?period=2026-09", user="inspector"))
    rows = mine(b, codes)
    assert [(rows[k]["rank"], rows[k]["composite"], rows[k]["coverage"], rows[k]["not_ranked"]) for k in "AB"] == [
        (None, 100.0, 0.1, "coverage_below_minimum")
    ] * 2
    assert rows["A"]["not_ranked_reason"] == "the composite rests on 10% of the weights; at least 50% is needed to rank"
    assert rows["order"] == ["A", "B", "C"]
    apart = [r["unit"] for r in b["units"] if r["rank"] is None]
    assert apart == sorted(apart) and all(r["rank"] is not None for r in b["units"][: len(b["units"]) - len(apart)])


def test_xlsx_bulletin(scenario, live):
    codes, names = scenario
    response = live.get("/api/reports/monthly.xlsx?period=2026-10&close_day=25", user="auditor")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="bulletin-2026-10.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == [
        "通报",
        "指标定义",
        "差评",
        "问责处理",
        "即时办结与回头看",
        "审批",
        "堵点分析",
        "联合办理",  # 004 item 六: the joint-handling figures
    ]
    assert [row[0] for row in wb["联合办理"].iter_rows(min_row=4, values_only=True)] == [
        "列入联合办理",
        "召开联席会议",
        "明确牵头单位",
        "期末尚待明确",
    ]
    ws = wb.worksheets[0]
    assert "2026年10月" in ws["A1"].value and ws.freeze_panes == "D4"
    headers = [c.value for c in ws[3]]
    assert headers[:3] == ["排名", "单位代码", "单位名称"]
    col = {h: i for i, h in enumerate(headers)}
    for header in ("转办", "期末超期", "按时答复率", "综合得分（百分制）"):
        assert header in col
    body = [row for row in ws.iter_rows(min_row=4) if row[1].value or row[2].value == "合计"]  # units, totals
    by_code = {row[1].value: row for row in body}
    expected = {codes["A"]: (1.0, 1.0, 100.0), codes["B"]: (1.0, 0.0, 46.0), codes["C"]: (None, None, None)}  # points
    for code, (response_rate, on_time, composite) in expected.items():
        row = by_code[code]
        assert row[2].value == names[code]
        assert (
            row[col["响应率"]].value,
            row[col["按时答复率"]].value,
            row[col["综合得分（百分制）"]].value,
        ) == (response_rate, on_time, composite)
        assert row[col["按时答复率"]].number_format == "0.0%"
    order = [row[1].value for row in body]
    assert order.index(codes["A"]) < order.index(codes["B"]) < order.index(codes["C"])
    assert body[-1][1].value is None and body[-1][2].value == "合计"  # the totals, with no code
    json_order = [r["unit"] for r in live.get("/api/reports/monthly?period=2026-10&close_day=25").json["units"]]
    assert order[:-1] == json_order  # the same ranking as the JSON
    definitions = [row[:2] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert definitions == [
        (1, "响应率"),
        (2, "按时答复率"),
        (3, "解决率"),
        (4, "满意率"),
        (5, "复核后满意率"),
        (6, "综合得分"),
    ]
    assert "排名规则：" in wb.worksheets[1]["D7"].value


def test_pdf_bulletin(scenario, live):
    codes, names = scenario
    response = live.get("/api/reports/monthly.pdf?period=2026-10&close_day=25")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="bulletin-2026-10.pdf"'
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) >= 3
    text = pdf_text(pdf)
    assert "2026年10月企业诉求办理情况通报" in text
    for name in names.values():  # in the table and in both charts
        assert text.count(name) >= 3, name
    assert "注：部分名称" not in text  # every name drawn
    assert "联合办理情况" in text and "列入联合办理" in text  # 004 item 六: the joint-handling figures' page


def test_without_a_cjk_font_the_pdf_is_503(api, monkeypatch):
    """The PDF is in Chinese only: a service installed without any CJK font (not even its dependency's) says
    so, and makes no PDF in other words."""
    from adapters.bulletin import pdf as exporters

    monkeypatch.setattr(exporters, "find_cjk_font", lambda font_path=None: None)
    response = api.get("/api/reports/monthly.pdf?period=2026-09")
    assert response.status_code == 503 and response.json["error"]["code"] == "cjk_font_missing"
    assert "CASELEDGER_CJK_FONT" in response.json["error"]["message"]
    assert api.get("/api/reports/monthly.xlsx?period=2026-09").status_code == 200  # the workbook needs no font


def test_the_composite_has_one_scale_in_json_xlsx_and_pdf(scenario, live):
    codes, names = scenario
    query = "period=2026-10&close_day=25"
    json_points = {r["unit"]: r["composite"] for r in ok(live.get(f"/api/reports/monthly?{query}"))["units"]}
    ws = openpyxl.load_workbook(io.BytesIO(live.get(f"/api/reports/monthly.xlsx?{query}").data)).worksheets[0]
    column = [c.value for c in ws[3]].index("综合得分（百分制）")
    xlsx_points = {row[1]: row[column] for row in ws.iter_rows(min_row=4, values_only=True) if row[1]}
    table = pdf_text(live.get(f"/api/reports/monthly.pdf?{query}").data)
    for key in "AB":
        code = codes[key]
        assert xlsx_points[code] == json_points[code] == {"A": 100.0, "B": 46.0}[key]
        line = next(line for line in table.splitlines() if names[code] in line and code in line)
        assert f"{json_points[code]:.2f}" in line.split()


def test_readers_of_bulletins(live):
    for user in ("clerk", "super", "inspector", "auditor", "ops"):
        assert live.get("/api/reports/monthly?period=2026-09", user=user).status_code == 200, user
    for path in ("monthly", "monthly.xlsx", "monthly.pdf"):
        response = live.get(f"/api/reports/{path}?period=2026-09", user="power")
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
        assert live.get(f"/api/reports/{path}?period=2026-09", user=None).status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "period=2026-13",
        "period=2026-9",
        "period=oct",
        "",
        "period=2026-09&close_day=31",
        "period=2026-09&close_day=0",
        "period=0000-01",
        "period=9999-12",
        "period=2026-09%0A",
        "period=%D9%A2%D9%A0%D9%A2%D9%A6-09",
    ],
)  # "2026-09\n", "٢٠٢٦-09"
def test_bad_periods_are_422(live, query):
    for path in ("monthly", "monthly.xlsx", "monthly.pdf"):
        response = live.get(f"/api/reports/{path}?{query}")
        assert response.status_code == 422, (path, query)
        assert response.json["error"]["code"] == "validation_failed"


def test_openapi_documents_the_bulletins(api):
    paths = api.get("/api/openapi.json", user=None).json["paths"]
    assert (
        "Bulletin"
        in paths["/api/reports/monthly"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert list(paths["/api/reports/monthly.xlsx"]["get"]["responses"]["200"]["content"]) == [XLSX]
    assert list(paths["/api/reports/monthly.pdf"]["get"]["responses"]["200"]["content"]) == ["application/pdf"]
