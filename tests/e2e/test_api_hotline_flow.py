"""首接负责 (POST /api/appeals/{id}/direct-answer) and 回头看 (POST /api/appeals/{id}/recheck) over HTTP, on
SQLite and PostgreSQL: the case, its history, the audit trail, the unit's ledger and the monthly bulletin's
``direct_answers`` and ``rechecks`` (docs/http-api.md *Answer at first contact and look-back*).

Sources: 004 item 六 (首接负责制: 直接答复、三方连线、在线转接; 办结回访、回头看核查), 004 item 十四 (抽选部分企业
开展满意度回头看). Dates counted by hand on the 2026 calendar: November 2026 has no holiday; a look-back on
Fri 2026-11-06 restarts the unit's 2-WD reply period (000 item 4): WD1 Mon 11-09, WD2 Tue 11-10.
"""

from __future__ import annotations

import io
import random

import openpyxl

from tests.e2e.conftest import OPERATOR, PASSWORD
from tests.pdf import pdf_text


def ok(response, status: int = 200):
    assert response.status_code == status, response.json
    return response.json


def _unit(live) -> tuple[str, str]:
    tag = str(random.randrange(10**6, 10**7))
    unit, user = f"FLOW-{tag}", f"flow-{tag}"
    live.container.directory.add_unit(OPERATOR, unit, f"淄川人社服务中心{tag}")
    live.container.directory.add_user(OPERATOR, user, "unit", PASSWORD, unit)
    live.tokens[user] = ok(live.post("/api/auth/token", {"username": user, "password": PASSWORD}, user=None))["token"]
    return unit, user


def _closed(live, unit: str) -> str:
    """Forwarded Mon 2026-11-02, answered, accepted, visited and closed Tue 11-03."""
    path = f"/api/appeals/{live.open(occurred_at='2026-11-02T09:00:00+08:00')['id']}"
    ok(live.post(f"{path}/forward", {"unit": unit, "occurred_at": "2026-11-02T10:00:00+08:00"}))
    ok(
        live.post(
            f"{path}/answer",
            {"kind": "final", "content": "已办", "occurred_at": "2026-11-02T15:00:00+08:00"},
            user="ops",
        )
    )
    ok(live.post(f"{path}/review", {"accepted": True, "occurred_at": "2026-11-03T09:00:00+08:00"}))
    ok(
        live.post(
            f"{path}/visit", {"satisfaction": "satisfied", "solved": True, "occurred_at": "2026-11-03T10:00:00+08:00"}
        )
    )
    ok(live.post(f"{path}/close", {"occurred_at": "2026-11-03T11:00:00+08:00"}))
    return path


def _monthly(live) -> dict:
    return ok(live.get("/api/reports/monthly?period=2026-11", user="auditor"))


def test_answer_at_first_contact_over_http_is_counted_apart_from_every_unit(live):
    """004 item 六 (首接负责制: 直接答复、三方连线、在线转接): closed with ``direct: true`` and never forwarded;
    the bulletin counts it under 即时办结 by method, no unit's figures; refusals record nothing."""
    unit, user = _unit(live)
    before = _monthly(live)["direct_answers"]
    case = live.open(category="consultation", occurred_at="2026-11-02T09:00:00+08:00")
    path = f"/api/appeals/{case['id']}"
    ok(live.post(f"{path}/direct-answer", {"method": "direct", "content": "已答复"}, user=user), 403)

    forwarded = live.open(category="consultation", occurred_at="2026-11-02T09:00:00+08:00")
    ok(live.post(f"/api/appeals/{forwarded['id']}/forward", {"unit": unit, "occurred_at": "2026-11-02T09:30:00+08:00"}))
    help_case = live.open(category="help", occurred_at="2026-11-02T09:00:00+08:00")
    stored = len(live.store())
    conflict = ok(
        live.post(f"/api/appeals/{forwarded['id']}/direct-answer", {"method": "direct", "content": "已答复"}), 409
    )
    assert conflict["error"]["code"] == "not_allowed_in_state"
    invalid = ok(
        live.post(f"/api/appeals/{help_case['id']}/direct-answer", {"method": "direct", "content": "已答复"}), 422
    )
    assert invalid["error"]["code"] == "validation_failed" and "category" in invalid["error"]["fields"]
    ok(live.post(f"{path}/direct-answer", {"method": "fax", "content": "已答复"}), 422)
    assert len(live.store()) == stored

    body = {
        "method": "three_way_call",
        "content": "三方连线人社局，已告知申请条件",
        "occurred_at": "2026-11-02T09:20:00+08:00",
    }
    answered = ok(live.post(f"{path}/direct-answer", body))
    assert (answered["status"], answered["direct"], answered["unit"]) == ("closed", True, None)
    assert answered["direct_answer"]["method"] == "three_way_call"
    assert answered["closed_at"] == "2026-11-02T09:20:00+08:00"
    history = ok(live.get(f"{path}/history"))
    assert [e["type"] for e in history["events"]][-1] == "DirectlyAnswered"
    trail = ok(live.get(f"/api/audit/trail?case_id={case['id']}", user="auditor"))["entries"]
    assert "DirectlyAnswered" in {e["type"] for e in trail}

    after = _monthly(live)
    assert after["direct_answers"]["count"] == before["count"] + 1
    assert after["direct_answers"]["by_method"]["three_way_call"] == before["by_method"]["three_way_call"] + 1
    assert all(row["unit"] != unit or row["counts"]["closed"] == 0 for row in after["units"])


def test_a_look_back_over_http_reopens_the_case_for_its_lead_unit_and_counts_as_a_return(live):
    """004 items 六, 十四 (回头看, 抽选部分企业开展满意度回头看): not holding → 重办 (status ``returned``) with a fresh
    2-WD reply period due Tue 2026-11-10 23:59:59 (000 item 4); the unit's ledger counts the look-back and the
    return; the bulletin's ``rechecks`` its result and the sample."""
    unit, user = _unit(live)
    before = _monthly(live)["rechecks"]
    path = _closed(live, unit)
    open_case = live.open(occurred_at="2026-11-02T09:00:00+08:00")
    stored = len(live.store())
    ok(live.post(f"/api/appeals/{open_case['id']}/recheck", {"holds": True, "note": "已落实"}), 409)
    ok(live.post(f"{path}/recheck", {"holds": True, "note": "已落实"}, user=user), 403)
    ok(live.post(f"{path}/recheck", {"holds": False, "note": ""}), 422)
    assert len(live.store()) == stored

    body = {"holds": False, "note": "回访发现问题仍未解决", "sampled": True, "occurred_at": "2026-11-06T10:00:00+08:00"}
    case = ok(live.post(f"{path}/recheck", body))
    assert (case["status"], case["unit"], case["returned_count"], case["closed_at"]) == ("returned", unit, 1, None)
    assert [(r["holds"], r["sampled"], r["unit"]) for r in case["rechecks"]] == [(False, True, unit)]
    reply = [d for d in case["deadlines"] if d["name"] == "unit_reply"][-1]
    assert (reply["round"], reply["due"], reply["unit"]) == (2, "2026-11-10T23:59:59+08:00", unit)
    assert [e["type"] for e in ok(live.get(f"{path}/history"))["events"]][-2:] == ["Rechecked", "Returned"]
    assert ok(live.get(path, user=user))["status"] == "returned"  # back in the unit's hands
    trail = ok(live.get(f"/api/audit/trail?case_id={path.rsplit('/', 1)[1]}", user="auditor"))["entries"]
    assert {"Rechecked", "Returned"} <= {e["type"] for e in trail}

    ledger = ok(live.get(f"/api/units/{unit}/ledger?period=2026-11", user=user))["counts"]
    assert {
        k: ledger[k] for k in ("rechecks", "rechecks_held", "rechecks_not_held", "rechecks_sampled", "returned")
    } == {
        "rechecks": 1,
        "rechecks_held": 0,
        "rechecks_not_held": 1,
        "rechecks_sampled": 1,
        "returned": 1,
    }
    after = _monthly(live)["rechecks"]
    assert {k: after[k] - before[k] for k in after} == {"count": 1, "held": 0, "not_held": 1, "sampled": 1}
    workbook = openpyxl.load_workbook(
        io.BytesIO(live.get("/api/reports/monthly.xlsx?period=2026-11", user="auditor").data)
    )
    sheet = {row[0]: row[1] for row in workbook["即时办结与回头看"].iter_rows(min_row=4, values_only=True)}
    assert sheet["回头看未落实（退回重办）"] == after["not_held"] and sheet["回头看抽样回访"] == after["sampled"]
    pdf = "".join(pdf_text(live.get("/api/reports/monthly.pdf?period=2026-11", user="auditor").data).split())
    assert "即时办结与回头看" in pdf and "回头看未落实（退回重办）" in pdf

    # A supervisor looks back too; a solution that holds leaves the case closed.
    held = _closed(live, unit)
    case = ok(live.post(f"{held}/recheck", {"holds": True, "note": "企业确认已解决"}, user="super"))
    assert case["status"] == "closed" and case["rechecks"][-1]["holds"] is True


def test_the_openapi_document_describes_both_commands(api):
    """API.md Hotline flow, v1.2: the OpenAPI document describes the new endpoints and their bodies."""
    spec = ok(api.get("/api/openapi.json", user=None))
    paths = spec["paths"]
    assert "/api/appeals/{case_id}/direct-answer" in paths and "/api/appeals/{case_id}/recheck" in paths
    schemas = spec["components"]["schemas"]
    direct = next(s for name, s in schemas.items() if name.startswith("DirectAnswer") and "method" in s["properties"])
    assert direct["properties"]["method"]["enum"] == ["direct", "three_way_call", "transfer"]
    assert {"direct_answers", "rechecks"} <= set(
        next(s for n, s in schemas.items() if n.startswith("Bulletin") and "units" in s["properties"])["properties"]
    )
