"""Recurring problems (堵点分析, 004 item 六) over HTTP, on SQLite and PostgreSQL: the report, and its
section in the monthly bulletin's JSON, workbook and PDF.

The PostgreSQL database is shared by the session's tests: this test's cases go to a unit of its own, from
an enterprise of its own, and only they are compared.
"""

from __future__ import annotations

import io
import uuid

import openpyxl

from tests.e2e.test_api_accountability import fresh_unit
from tests.pdf import pdf_text


def test_the_recurring_report_lists_repeats_rises_and_likely_repeats_in_json_xlsx_and_pdf(live):
    """004 item 六: an enterprise appealing in September, October and November (twice, the repeat merged
    into the first: 并单); complaints to the unit
    rising from 1 in October to 7 in November (significant: p = 0.0317 by the exact binomial test,
    November 30 days against October 31); two November appeals with near-identical subjects suggested
    as one cluster, nothing merged."""
    unit = fresh_unit(live)
    code = ("91370302" + uuid.uuid4().hex[:10]).upper()
    enterprise = f"淄川{code[-4:]}机械有限公司"

    def appeal(day: str, category: str = "complaint", subject: str | None = None, **fields) -> str:
        case = live.open(
            category=category,
            subject=subject or f"{unit} 诉求 {day}",
            occurred_at=f"2026-{day}T09:00:00+08:00",
            **fields,
        )
        forwarded = live.post(
            f"/api/appeals/{case['id']}/forward", {"unit": unit, "occurred_at": f"2026-{day}T10:00:00+08:00"}
        )
        assert forwarded.status_code == 200, forwarded.json
        return case["id"]

    repeats = [
        appeal(day, "help", enterprise={"name": enterprise, "credit_code": code})
        for day in ("09-15", "10-20", "11-03", "11-05")
    ]
    merged = live.post(f"/api/appeals/{repeats[3]}/merge", {"into": repeats[2]})
    assert merged.status_code == 200, merged.json
    appeal("10-09")
    rising = [
        appeal(f"11-{d:02d}", subject=subject)
        for d, subject in zip(
            (2, 4, 6, 9, 11, 13, 17),
            (
                "电费结算有误",
                "增值税留抵退税咨询",
                "招聘补贴申领",
                "厂区周边路灯不亮",
                "排污许可证延续",
                "消防验收进度",
                "用工备案问题",
            ),
        )
    ]
    road = [
        appeal(day, "suggestion", subject=subject)
        for day, subject in (
            ("11-12", f"{unit}园区道路积水严重影响企业通行"),
            ("11-20", f"{unit}园区道路积水严重，影响企业车辆通行"),
        )
    ]

    body = live.get("/api/reports/recurring?period=2026-11", user="inspector").json
    assert [m["period"] for m in body["months"]] == ["2026-09", "2026-10", "2026-11"]
    [mine] = [e for e in body["enterprises"] if e["credit_code"] == code]
    assert (mine["name"], mine["counts"], mine["total"], mine["merged"]) == (
        enterprise,
        {"2026-09": 1, "2026-10": 1, "2026-11": 2},
        4,
        1,
    )  # the repeat had to appeal again
    assert [c["id"] for c in mine["cases"]] == repeats
    cells = {c["category"]: c for c in body["category_units"] if c["unit"] == unit}
    assert (cells["complaint"]["count"], cells["complaint"]["previous"], cells["complaint"]["significant"]) == (
        7,
        1,
        True,
    )
    assert abs(cells["complaint"]["p_value"] - 0.0317) < 5e-4
    assert (cells["help"]["count"], cells["help"]["previous"], cells["help"]["p_value"]) == (1, 1, None)  # once
    assert [
        [c["id"] for c in cl["cases"]] for cl in body["clusters"]["merged"] if cl["cases"][0]["id"] == repeats[2]
    ] == [repeats[2:]]
    clusters = [[c["id"] for c in cluster["cases"]] for cluster in body["clusters"]["suggested"]]
    # (other tests' cases of the shared database may join the cluster: their subjects may be alike too)
    assert any(set(road) <= set(ids) for ids in clusters) and not any(repeats[3] in ids for ids in clusters)
    assert all(len(set(rising) & set(ids)) <= 1 for ids in clusters)  # unlike subjects are not linked
    assert "binomial" in body["test"] and body["alpha"] == 0.05
    assert live.get("/api/reports/monthly?period=2026-11", user="inspector").json["recurring"] == body
    assert live.get("/api/reports/recurring?period=2026-11", user="power").status_code == 403

    wb = openpyxl.load_workbook(io.BytesIO(live.get("/api/reports/monthly.xlsx?period=2026-11").data))
    rows = list(wb["堵点分析"].iter_rows(values_only=True))
    assert (code, enterprise, 1, 1, 2, 4, 1) in [row[:7] for row in rows]
    assert ("投诉", unit, 7, 1, 6) in [row[:5] for row in rows]
    text = pdf_text(live.get("/api/reports/monthly.pdf?period=2026-11").data)
    assert "堵点分析" in text and "重复诉求企业" in text and "疑似重复" in text
