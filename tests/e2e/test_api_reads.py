"""Read models over HTTP: case list and inboxes, unit ledger, audit trail, projection status."""

from __future__ import annotations

import uuid


def new_case(api, unit, subject="接电难", **fields):
    case = api.open(occurred_at="2026-09-29T09:00:00+08:00", subject=subject, **fields)
    response = api.post(
        f"/api/appeals/{case['id']}/forward",
        {"unit": unit, "occurred_at": "2026-09-29T10:00:00+08:00", "co_units": ["DISTRICT-GRID"]},
    )
    assert response.status_code == 200
    return response.json


def test_list_filters_by_unit_status_overdue_and_text(live):
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    power = new_case(live, "DISTRICT-POWER", subject=f"用电报装 {tag}")
    water = new_case(live, "DISTRICT-WATER", subject=f"供水管网 {tag}")
    live.post(
        f"/api/appeals/{water['id']}/answer",
        {"kind": "initial", "content": "已受理", "occurred_at": "2026-09-30T10:00:00+08:00"},
        user="ops",
    )
    listing = live.get(f"/api/appeals?q={tag}").json
    assert listing["total"] == 2 and {i["id"] for i in listing["items"]} == {power["id"], water["id"]}
    by_unit = live.get(f"/api/appeals?q={tag}&unit=DISTRICT-POWER").json["items"]
    assert [i["id"] for i in by_unit] == [power["id"]]
    assert by_unit[0]["next_deadline"] == {
        "name": "unit_reply",
        "due": "2026-10-08T23:59:59+08:00",
        "provisional": False,
    }
    assert by_unit[0]["overdue"] is True and by_unit[0]["co_units"] == ["DISTRICT-GRID"]
    overdue = live.get(f"/api/appeals?q={tag}&overdue=true").json["items"]
    assert {i["id"] for i in overdue} == {power["id"], water["id"]}  # water's platform report is overdue too
    assert live.get(f"/api/appeals?q={tag}&status=received").json["total"] == 0
    assert live.get(f"/api/appeals?q={tag.upper()}").json["total"] == 2  # case-insensitive
    assert live.get("/api/appeals?q=供水管网").json["total"] >= 1  # Chinese text


def test_unit_user_sees_only_its_own_cases(live):
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    new_case(live, "DISTRICT-POWER", subject=f"a {tag}")
    new_case(live, "DISTRICT-WATER", subject=f"b {tag}")
    assert live.get(f"/api/appeals?q={tag}", user="power").json["total"] == 1
    assert live.get(f"/api/appeals?q={tag}", user="grid").json["total"] == 2  # co-handles both
    assert live.get(f"/api/appeals?q={tag}&unit=DISTRICT-WATER", user="power").json["total"] == 0


def test_list_pages_and_sorts_by_due_date(live):
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    for _ in range(5):
        new_case(live, "DISTRICT-POWER", subject=tag)
    first = live.get(f"/api/appeals?q={tag}&per_page=2&page=1").json
    third = live.get(f"/api/appeals?q={tag}&per_page=2&page=3").json
    assert (first["total"], first["pages"], len(first["items"]), len(third["items"])) == (5, 3, 2, 1)
    dues = [i["next_deadline"]["due"] for i in live.get(f"/api/appeals?q={tag}&sort=due").json["items"]]
    assert dues == sorted(dues)


def test_bad_list_parameters_are_422(live):
    for query in ("status=lost", "overdue=maybe", "page=0", "per_page=1000", "sort=colour"):
        response = live.get(f"/api/appeals?{query}")
        assert response.status_code == 422, query


def test_unit_ledger_over_http(live):
    new_case(live, "DISTRICT-POWER")
    ledger = live.get("/api/units/DISTRICT-POWER/ledger?period=2026-09").json
    assert ledger["counts"]["forwarded"] >= 1 and set(ledger["rates"]) == {
        "response",
        "on_time",
        "resolution",
        "satisfaction",
        "satisfaction_adjudicated",
    }
    assert ledger["start"] == "2026-09-01T00:00:00+08:00" and ledger["end"] == "2026-10-01T00:00:00+08:00"
    closing = live.get("/api/units/DISTRICT-POWER/ledger?period=2026-10&close_day=25").json
    assert closing["start"] == "2026-09-26T00:00:00+08:00"
    assert live.get("/api/units/DISTRICT-POWER/ledger?period=2026-09", user="power").status_code == 200
    assert live.get("/api/units/DISTRICT-POWER/ledger?period=2026-09", user="water").status_code == 403
    assert live.get("/api/units/NOPE/ledger?period=2026-09").status_code == 404
    assert live.get("/api/units/DISTRICT-POWER/ledger?period=2026-13").status_code == 422


def test_audit_trail_answers_who_did_what_when(live):
    case = new_case(live, "DISTRICT-POWER")
    trail = live.get(f"/api/audit/trail?case_id={case['id']}", user="auditor").json
    assert [(e["seq"], e["type"], e["actor"]["user"]) for e in trail["entries"]] == [
        (1, "Received", "clerk"),
        (2, "Forwarded", "clerk"),
    ]
    assert trail["entries"][1]["data"]["unit"] == "DISTRICT-POWER"
    assert trail["entries"][1]["occurred_at"] == "2026-09-29T10:00:00+08:00"
    by_actor = live.get("/api/audit/trail?actor=clerk&type=Forwarded&per_page=500", user="inspector").json
    assert case["id"] in {e["case_id"] for e in by_actor["entries"]}
    for user in ("clerk", "power", "super"):
        assert live.get("/api/audit/trail", user=user).status_code == 403


def test_projection_status_shows_position_and_lag(live):
    new_case(live, "DISTRICT-POWER")
    live.container.wait_for_views()
    live.container.wait_for_merkle()
    status = live.get("/api/projections").json
    models = {p["name"]: p for p in status["projections"]}
    assert set(models) == {"case_list", "ledger", "audit_trail", "merkle_log"}
    merkle = models.pop("merkle_log")
    assert all(p["lag"] == 0 and p["position"] == status["head"] for p in models.values())
    assert merkle["lag"] == 0 and merkle["position"] == live.container.merkle.size() > 0
