"""Approvals (审批) in the monthly bulletin and the unit ledger over HTTP: JSON, .xlsx and .pdf, on SQLite and
PostgreSQL (docs/http-api.md *Monthly bulletin (通报)*: the ledgers, the audit trail, the bulletin and the
sweep cover approvals too).

The approvals are those of ``tests.integration.approval_cases`` (a deemed acceptance after National Day,
行政许可法 art. 32; a pause of 2 working days, art. 45; opinions and decisions on time and late), recorded
through the container's approval service and swept as of past moments. On PostgreSQL the tests share one
database, so the window's figures are compared as what this test's approvals add to the bulletin; each
department is this test's own.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.e2e.conftest import OPERATOR
from tests.integration.approval_cases import month_of_approvals
from tests.pdf import pdf_text

MONTHS = ("2026-09", "2026-10", "2026-11")


def ok(response, status: int = 200):
    assert response.status_code == status, response.json
    return response.json


def added(after: dict, before: dict) -> dict:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


@pytest.fixture
def scenario(live):
    before = {m: ok(live.get(f"/api/reports/monthly?period={m}", user="super"))["approvals"] for m in MONTHS}
    names: dict[str, str] = {}

    def add_unit(code: str, name: str) -> None:
        live.container.directory.add_unit(OPERATOR, code, name)
        names[code] = name

    d1, d2 = month_of_approvals(live.container.approvals, add_unit)
    return before, d1, d2, names


def test_the_bulletin_json_has_an_approvals_section(scenario, live):
    before, d1, d2, names = scenario
    after = {m: ok(live.get(f"/api/reports/monthly?period={m}", user="inspector"))["approvals"] for m in MONTHS}
    october = after["2026-10"]
    assert added(october["counts"], before["2026-10"]["counts"]) == {
        "submitted": 2,
        "accepted": 3,
        "deemed_accepted": 1,
        "decided": 1,
        "decided_on_time": 1,
        "delivered": 1,
        "pauses_ended": 1,
        "paused_working_days": 2,
    }
    assert october["decision_overdue_at_end"] - before["2026-10"]["decision_overdue_at_end"] == 1
    assert added(after["2026-11"]["counts"], before["2026-11"]["counts"]) == {
        "decided": 1,
        "decided_late": 1,
        "delivered": 1,
    }
    assert added(after["2026-09"]["counts"], before["2026-09"]["counts"]) == {"submitted": 1}
    c = october["counts"]
    assert october["rates"]["on_time"] == round(
        c["decided_on_time"] / (c["decided_on_time"] + c["decided_late"] + october["decision_overdue_at_end"]), 4
    )

    rows = {r["unit"]: r for r in october["departments"]}
    assert [r["unit"] for r in october["departments"]] == sorted(rows)  # by code, not ranked
    assert rows[d1] == {
        "unit": d1,
        "name": names[d1],
        "overdue_at_end": 0,
        "rates": {"on_time": 1.0},
        "counts": {"forwarded": 2, "answered_on_time": 3, "answered_late": 0, "returned": 1, "missed": 0},
    }
    assert rows[d2]["counts"] == {
        "forwarded": 2,
        "answered_on_time": 0,
        "answered_late": 0,
        "returned": 0,
        "missed": 0,
    } and rows[d2]["rates"] == {"on_time": None}
    november = {r["unit"]: r for r in after["2026-11"]["departments"]}
    # D2: case 1's opinion late, case 3's review missed and still unanswered at the month's end.
    assert (
        november[d2]["counts"]["answered_late"],
        november[d2]["counts"]["missed"],
        november[d2]["overdue_at_end"],
        november[d2]["rates"],
    ) == (1, 2, 1, {"on_time": 0.0})
    totals = october["department_totals"]
    assert totals["unit"] == "TOTAL" and totals["counts"]["forwarded"] == sum(
        r["counts"]["forwarded"] for r in october["departments"]
    )
    assert set(october["definitions"]) == {"on_time", "department_on_time", "deemed_accepted", "paused_working_days"}


def test_the_unit_ledger_counts_approvals_apart_from_appeals(scenario, live):
    _, d1, d2, _ = scenario
    ledger = ok(live.get(f"/api/units/{d1}/ledger?period=2026-10"))
    assert set(ledger["counts"].values()) == {0} and ledger["overdue_at_end"] == 0  # no appeal
    assert ledger["approvals"]["counts"] == {
        "forwarded": 2,
        "answered_on_time": 3,
        "answered_late": 0,
        "returned": 1,
        "missed": 0,
    }
    assert (ledger["approvals"]["overdue_at_end"], ledger["approvals"]["rates"]) == (0, {"on_time": 1.0})
    assert set(ledger["approvals"]["definitions"]) == {"on_time"}
    november = ok(live.get(f"/api/units/{d2}/ledger?period=2026-11"))["approvals"]
    assert (november["counts"]["answered_late"], november["overdue_at_end"], november["rates"]) == (
        1,
        1,
        {"on_time": 0.0},
    )


def test_the_workbook_has_the_approvals_sheet(scenario, live):
    _, d1, d2, names = scenario
    bulletin = ok(live.get("/api/reports/monthly?period=2026-10"))["approvals"]
    response = live.get("/api/reports/monthly.xlsx?period=2026-10", user="auditor")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.data))["审批"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "2026年10月行政审批办理情况"
    figures = {r[0]: r[1] for r in rows[4:20]}
    assert figures["其中视为受理（行政许可法第三十二条）"] == bulletin["counts"]["deemed_accepted"]
    assert figures["中止计时工作日（行政许可法第四十五条）"] == bulletin["counts"]["paused_working_days"]
    assert figures["期末决定超期"] == bulletin["decision_overdue_at_end"]
    assert figures["按时决定率"] == bulletin["rates"]["on_time"]
    departments = {r[0]: r[1:9] for r in rows if r[0] in (d1, d2)}
    assert departments[d1] == (names[d1], 2, 3, 0, 1, 0, 0, 1.0)
    assert departments[d2] == (names[d2], 2, 0, 0, 0, 0, 0, None)
    listed = [r[:2] for r in rows if r[1] == "合计" or (r[0] and str(r[0]).startswith(("FIRE-", "PLAN-")))]
    assert listed[-1] == (None, "合计")  # the totals last, with no code


def test_the_pdf_has_the_approvals_page(scenario, live):
    _, d1, _, names = scenario
    response = live.get("/api/reports/monthly.pdf?period=2026-10")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = [p for p in pdf_text(response.data).split("\f") if "行政审批办理情况" in p]
    assert pages and "其中视为受理" in pages[0] and "中止计时工作日" in pages[0]
    lines = [" ".join(line.split()) for page in pages for line in page.splitlines()]
    assert any(names[d1] in line and d1 in line and "100.0%" in line for line in lines)


def test_openapi_documents_the_approvals_sections(api):
    document = api.get("/api/openapi.json", user=None).json
    schemas = document["components"]["schemas"]
    bulletin = schemas["Bulletin"]["properties"]["approvals"]
    ledger = schemas["Ledger"]["properties"]["approvals"]
    assert "BulletinApprovals" in str(bulletin) and "LedgerApprovals" in str(ledger)
    assert set(schemas["ApprovalDayCounts"]["properties"]) == {
        "submitted",
        "accepted",
        "deemed_accepted",
        "refused",
        "decided",
        "decided_on_time",
        "decided_late",
        "delivered",
        "pauses_ended",
        "paused_working_days",
        "extended",
        "escalated",
        "revoked",
        "withdrawn",
    }
    assert set(schemas["DepartmentApprovalCounts"]["properties"]) == {
        "forwarded",
        "answered_on_time",
        "answered_late",
        "returned",
        "missed",
    }
