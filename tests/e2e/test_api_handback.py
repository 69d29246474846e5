"""The ruling on a hand-back over HTTP (docs/http-api.md *Hand-back and its ruling*), on SQLite and PostgreSQL.

Zichuan's reply period (000 item 4) is 2 working days: forwarded Mon 2026-11-09 10:00 → due Wed 11-11
23:59:59 (11-10, 11-11). The unit hands back on Tue 11-10 (day 1); the sweep runs on Thu 11-12; the platform
rules on Mon 11-16 10:00.
"""

from __future__ import annotations

from tests.e2e.test_api_accountability import forwarded, fresh_unit


def handed_back(api, unit):
    case = forwarded(api, unit, "2026-11-09T09:00:00+08:00", "2026-11-09T10:00:00+08:00")
    response = api.post(
        f"/api/appeals/{case['id']}/handback",
        {"reason": "属供水部门职责，非本单位职责。", "occurred_at": "2026-11-10T09:00:00+08:00"},
        user="ops",  # only the platform and admins backfill a time
    )
    assert response.status_code == 200, response.json
    return response.json


def test_upheld_ruling_re_forwards_with_fresh_clocks_and_no_miss(live):
    """国办函〔2025〕66号 退单 and 改派: no miss while it waited (sweep on 11-12), none after the upheld ruling;
    the new unit's reply period runs from the ruling: 11-17, 11-18 → due Wed 11-18 23:59:59."""
    unit = fresh_unit(live)
    case = handed_back(live, unit)
    assert case["handback"]["ruling"] is None and case["handback"]["requested_at"] == "2026-11-10T09:00:00+08:00"
    swept = live.post("/api/deadlines/sweep", {"now": "2026-11-12T10:00:00+08:00"})
    assert swept.status_code == 200
    assert [m for m in swept.json["missed"] if m["case_id"] == case["id"] and m["unit"] == unit] == []
    response = live.post(
        f"/api/appeals/{case['id']}/rule-handback",
        {"upheld": True, "note": "同意退单。", "unit": "DISTRICT-WATER", "occurred_at": "2026-11-16T10:00:00+08:00"},
    )
    assert response.status_code == 200, response.json
    ruled = response.json
    assert (ruled["status"], ruled["unit"]) == ("forwarded", "DISTRICT-WATER")
    assert ruled["handback"]["ruling"]["upheld"] is True and ruled["handback"]["ruling"]["unit"] == "DISTRICT-WATER"
    replies = [d for d in ruled["deadlines"] if d["name"] == "unit_reply"]
    assert [(d["round"], d["unit"], d["missed_seq"]) for d in replies] == [(1, unit, None), (2, "DISTRICT-WATER", None)]
    assert replies[1]["due"] == "2026-11-18T23:59:59+08:00"
    assert (replies[0]["not_binding"], replies[1]["not_binding"]) == (True, False)
    history = live.get(f"/api/appeals/{case['id']}/history").json
    assert [e["type"] for e in history["events"]][-2:] == ["HandbackRuled", "Forwarded"]
    assert not [e for e in history["events"] if e["type"] == "DeadlineMissed" and e["data"]["unit"] == unit]
    trail = live.get(f"/api/audit/trail?case_id={case['id']}", user="auditor").json["entries"]
    assert [(e["type"], e["actor"]["user"]) for e in trail if e["type"] == "HandbackRuled"] == [
        ("HandbackRuled", "clerk")
    ]


def test_refused_ruling_records_the_held_back_miss_as_of_its_due_time(live):
    """国办函〔2025〕66号 and RULES §1.5: an objection that is refused buys no time; the miss is recorded as of
    Thu 11-12 00:00, with 督办通知 (000 item 4)."""
    unit = fresh_unit(live)
    case = handed_back(live, unit)
    live.post("/api/deadlines/sweep", {"now": "2026-11-12T10:00:00+08:00"})
    response = live.post(
        f"/api/appeals/{case['id']}/rule-handback",
        {"upheld": False, "note": "属本单位职责。", "occurred_at": "2026-11-16T10:00:00+08:00"},
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["unit"]) == ("forwarded", unit)
    assert response.json["escalation"] == "supervision_notice"
    events = live.get(f"/api/appeals/{case['id']}/history").json["events"]
    missed = [e for e in events if e["type"] == "DeadlineMissed" and e["data"]["unit"] == unit]
    assert [(e["data"]["found_by"], e["data"]["due"], e["data"]["as_of"]) for e in missed] == [
        ("held_back", "2026-11-11T23:59:59+08:00", "2026-11-12T00:00:00+08:00")
    ]


def test_second_hand_back_ruling_with_none_pending_and_roles(live):
    """API.md Hotline flow v1.2: 409 on a second hand-back and on a ruling with none pending; only the platform
    and admins rule (403 for the unit and a supervisor); a refused command records nothing."""
    unit = fresh_unit(live)
    plain = forwarded(live, unit, "2026-11-09T09:00:00+08:00", "2026-11-09T10:00:00+08:00")
    none = live.post(f"/api/appeals/{plain['id']}/rule-handback", {"upheld": True, "note": "同意。"})
    assert none.status_code == 409 and none.json["error"]["code"] == "not_allowed_in_state"
    case = handed_back(live, fresh_unit(live))
    before = live.store()
    again = live.post(f"/api/appeals/{case['id']}/handback", {"reason": "再次申请。"}, user="ops")
    assert again.status_code == 409 and "awaits" in again.json["error"]["message"]
    for user in ("power", "super", "inspector"):
        refused = live.post(f"/api/appeals/{case['id']}/rule-handback", {"upheld": True, "note": "同意。"}, user=user)
        assert refused.status_code == 403, (user, refused.json)
    missing = live.post(f"/api/appeals/{case['id']}/rule-handback", {"upheld": True})
    assert missing.status_code == 422 and "note" in missing.json["error"]["fields"]
    assert live.store() == before


def test_the_openapi_document_describes_the_ruling(live):
    spec = live.get("/api/openapi.json").json
    operation = spec["paths"]["/api/appeals/{case_id}/rule-handback"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "409" in operation["responses"] and "403" in operation["responses"]
    schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert {"upheld", "note", "unit", "co_units"} <= set(schema["properties"])
    appeal = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "handback" in spec["components"]["schemas"][appeal]["properties"]


def test_ledgers_and_the_bulletin_count_the_ruling_for_the_unit_that_asked(live):
    """国办函〔2025〕66号 and RULES §1.5: an upheld hand-back (ruled Mon 11-16) takes the misrouted case out of the
    asking unit's ``forwarded`` for November 2026, so it never lowers its response rate; the case counts for the
    unit it is re-forwarded to; a refused one leaves it counted. The monthly bulletin carries the same counts."""
    upheld_unit, refused_unit, new_unit = fresh_unit(live), fresh_unit(live), fresh_unit(live)
    for unit, body in (
        (upheld_unit, {"upheld": True, "note": "同意退单。", "unit": new_unit}),
        (refused_unit, {"upheld": False, "note": "不同意退单。"}),
    ):
        case = handed_back(live, unit)
        body["occurred_at"] = "2026-11-16T10:00:00+08:00"
        assert live.post(f"/api/appeals/{case['id']}/rule-handback", body).status_code == 200

    def counts(unit):
        response = live.get(f"/api/units/{unit}/ledger?period=2026-11", user="super")
        assert response.status_code == 200, response.json
        c = response.json["counts"]
        return (c["forwarded"], c["handed_back"], c["handback_upheld"], c["handback_refused"])

    assert counts(upheld_unit) == (0, 1, 1, 0)
    assert counts(refused_unit) == (1, 1, 0, 1)
    assert counts(new_unit) == (1, 0, 0, 0)
    bulletin = live.get("/api/reports/monthly?period=2026-11", user="super").json
    rows = {r["unit"]: r["counts"] for r in bulletin["units"]}
    assert rows[upheld_unit]["handback_upheld"] == 1 and rows[refused_unit]["handback_refused"] == 1
