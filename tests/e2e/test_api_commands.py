"""Appeal commands and queries over HTTP (docs/http-api.md *Appeals (企业诉求): commands*, *Appeals: queries*)."""

from __future__ import annotations

import pytest


def forwarded(api, profile="zichuan-2020", **fields):
    case = api.open(profile, occurred_at="2026-09-29T09:00:00+08:00", **fields)
    response = api.post(
        f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "occurred_at": "2026-09-29T10:00:00+08:00"}
    )
    assert response.status_code == 200, response.json
    return response.json


def due(case, name, round_=None):
    found = [d for d in case["deadlines"] if d["name"] == name]
    return found[-1] if round_ is None else found[round_ - 1]


def test_case_shows_its_deadlines_counted_on_the_2026_calendar(api):
    """000 item 4, over HTTP: reply due 2026-10-08 24:00, report due 12:00 on 2026-10-09."""
    case = forwarded(api)
    assert case["status"] == "forwarded" and case["version"] == 2 and case["profile"] == "zichuan-2020"
    assert case["unit"] == "DISTRICT-POWER" and case["co_units"] == []
    assert due(case, "unit_reply")["due"] == "2026-10-08T23:59:59+08:00"
    assert due(case, "platform_report")["due"] == "2026-10-09T12:00:00+08:00"
    assert all(d["provisional"] is False and d["met_at"] is None for d in case["deadlines"])
    assert due(case, "unit_reply")["overdue"] is True  # it is later than 2026-10-08 now


def test_naive_timestamps_are_read_as_shanghai_time(api):
    case = api.open(occurred_at="2026-09-29T09:00:00")
    assert case["received_at"] == "2026-09-29T09:00:00+08:00"


def test_create_is_idempotent_on_channel_and_external_ref(api):
    first = api.open(external_ref="ZB-2026-0001")
    before = api.store()
    again = api.post(
        "/api/appeals",
        {
            "channel": "12345",
            "category": "consultation",
            "subject": "another",
            "content": "c",
            "enterprise": {"name": "E"},
            "profile": "zichuan-2020",
            "external_ref": "ZB-2026-0001",
        },
    )
    assert again.status_code == 200 and again.json["id"] == first["id"] and again.json["subject"] == first["subject"]
    assert api.store() == before


def test_repeated_idempotency_key_returns_the_first_response_and_records_nothing(api):
    case = forwarded(api, "suqian-2024")  # a ladder of three levels: two escalations are two facts
    url = f"/api/appeals/{case['id']}/escalate"
    first = api.post(url, {"reason": "未按时回复"}, user="super", **{"Idempotency-Key": "esc-1"})
    before = api.store()
    again = api.post(url, {"reason": "未按时回复"}, user="super", **{"Idempotency-Key": "esc-1"})
    assert again.status_code == first.status_code == 200
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert api.store() == before
    reused = api.post(url, {"reason": "another"}, user="super", **{"Idempotency-Key": "esc-1"})
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"
    other_user = api.post(url, {"reason": "未按时回复"}, user="clerk", **{"Idempotency-Key": "esc-1"})
    assert other_user.status_code == 200 and other_user.json["version"] == first.json["version"] + 1


def test_idempotent_create_replays_201(api):
    body = {
        "channel": "12345",
        "category": "help",
        "subject": "s",
        "content": "c",
        "enterprise": {"name": "E"},
        "profile": "zichuan-2020",
    }
    first = api.post("/api/appeals", body, **{"Idempotency-Key": "new-1"})
    again = api.post("/api/appeals", body, **{"Idempotency-Key": "new-1"})
    assert first.status_code == again.status_code == 201 and again.json["id"] == first.json["id"]


def test_expected_version_must_match(api):
    case = forwarded(api)
    stale = api.post(f"/api/appeals/{case['id']}/escalate", {"reason": "x", "expected_version": 1}, user="super")
    assert stale.status_code == 409 and stale.json["error"]["code"] == "version_conflict"
    fresh = api.post(f"/api/appeals/{case['id']}/escalate", {"reason": "x", "expected_version": 2}, user="super")
    assert fresh.status_code == 200 and fresh.json["version"] == 3


def test_only_platform_and_admin_may_backfill(api):
    case = forwarded(api)
    response = api.post(
        f"/api/appeals/{case['id']}/acknowledge", {"occurred_at": "2026-09-30T09:00:00+08:00"}, user="power"
    )
    assert response.status_code == 422 and "occurred_at" in response.json["error"]["fields"]


def test_redo_loop_extension_and_history(api):
    """Liaocheng (002 item 53): returned for redo, then extended to the 30-working-day cap."""
    case = forwarded(api, "liaocheng-2020")
    cid = case["id"]
    steps = [
        ("ops", "answer", {"kind": "final", "content": "已答复", "occurred_at": "2026-10-09T10:00:00+08:00"}),
        ("clerk", "review", {"accepted": False, "note": "未解决", "occurred_at": "2026-10-12T10:00:00+08:00"}),
        ("ops", "extend", {"working_days": 15, "reason": "涉及多部门", "occurred_at": "2026-10-13T10:00:00+08:00"}),
    ]
    for user, path, body in steps:
        response = api.post(f"/api/appeals/{cid}/{path}", body, user=user)
        assert response.status_code == 200, response.json
    case = response.json
    assert case["status"] == "returned" and case["returned_count"] == 1
    assert due(case, "answer", 2)["due"] == "2026-10-15T23:59:59+08:00"  # returned Mon Oct 12: 13, 14, 15
    resolution = due(case, "resolution")
    # Forwarded Tue Sep 29: WD1 Sep 30, then Oct 8, 9, 10 (Sat), …; the 30th working day is Mon Nov 16.
    assert resolution["extended"] == 15 and resolution["due"] == "2026-11-16T23:59:59+08:00"
    history = api.get(f"/api/appeals/{cid}/history").json["events"]
    assert [e["type"] for e in history] == ["Received", "Forwarded", "Answered", "Reviewed", "Returned", "Extended"]
    assert [e["seq"] for e in history] == [1, 2, 3, 4, 5, 6]
    assert history[5]["actor"] == {"user": "ops", "role": "admin", "unit": None}
    assert history[5]["occurred_at"] == "2026-10-13T10:00:00+08:00" and history[5]["backfilled"] is True
    assert history[5]["data"] == {"deadline": "resolution", "working_days": 15, "reason": "涉及多部门"}


def test_as_of_returns_the_case_as_it_stood(api):
    case = forwarded(api)
    then = api.get(f"/api/appeals/{case['id']}?as_of=2026-09-29T09:30:00%2B08:00").json
    assert then["status"] == "received" and then["version"] == 1 and then["unit"] is None
    assert then["as_of"] == "2026-09-29T09:30:00+08:00"
    assert due(then, "platform_report")["overdue"] is False
    before = api.get(f"/api/appeals/{case['id']}?as_of=2026-09-29T08:00:00%2B08:00")
    assert before.status_code == 404


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T00:00:00"])
def test_bad_as_of_is_422(api, bad):
    case = forwarded(api)
    response = api.get(f"/api/appeals/{case['id']}?as_of={bad}")
    assert response.status_code == 422 and "as_of" in response.json["error"]["fields"]


def test_units_are_listed(api):
    units = api.get("/api/units", user="power").json["units"]
    assert {"code": "DISTRICT-POWER", "name": "区供电中心", "parent": None, "active": True, "heads": []} in units


def test_openapi_document_is_served_and_describes_the_contract(api):
    spec = api.client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/auth/token",
        "/api/appeals",
        "/api/appeals/{case_id}",
        "/api/appeals/{case_id}/history",
        "/api/units",
        *(
            f"/api/appeals/{{case_id}}/{c}"
            for c in (
                "forward",
                "acknowledge",
                "answer",
                "review",
                "return",
                "escalate",
                "extend",
                "handback",
                "visit",
                "close",
            )
        ),
    ):
        assert path in paths, path
    assert "422" in paths["/api/appeals/{case_id}/forward"]["post"]["responses"]


def test_healthz_checks_the_database(api):
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
