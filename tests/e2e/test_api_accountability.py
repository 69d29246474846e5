"""Deadline sweep and accountability over HTTP (docs/http-api.md *Deadlines*, *Accountability (问责)*)."""

from __future__ import annotations

import uuid
from datetime import date

from domain.errors import AlreadyExists
from tests.e2e.conftest import OPERATOR


def fresh_unit(api) -> str:
    """A unit of this test alone (on PostgreSQL the session's tests share one database)."""
    code = f"U-{uuid.uuid4().hex[:8].upper()}"
    try:
        api.container.directory.add_unit(OPERATOR, code, "测试单位")
    except AlreadyExists:
        pass
    return code


def forwarded(api, unit, received="2026-09-29T09:00:00+08:00", forwarded_at="2026-09-29T10:00:00+08:00"):
    case = api.open(occurred_at=received)
    response = api.post(f"/api/appeals/{case['id']}/forward", {"unit": unit, "occurred_at": forwarded_at})
    assert response.status_code == 200, response.json
    return response.json


def test_sweep_records_the_miss_and_the_supervision_notice_once(live):
    """000 item 4: forwarded Tue 09-29 → unit reply due Thu 10-08 24:00; 督办通知 on the miss."""
    unit = fresh_unit(live)
    case = forwarded(live, unit)
    early = live.post("/api/deadlines/sweep", {"now": "2026-10-08T23:59:00+08:00"})
    assert early.status_code == 200 and case["id"] not in {m["case_id"] for m in early.json["missed"]}
    swept = live.post("/api/deadlines/sweep", {"now": "2026-10-09T00:00:00+08:00"})
    assert swept.status_code == 200, swept.json
    mine = [m for m in swept.json["missed"] if m["case_id"] == case["id"]]
    assert [(m["deadline"], m["due"], m["rule"]) for m in mine] == [
        ("unit_reply", "2026-10-08T23:59:59+08:00", "zichuan-2020/unit_reply")
    ]
    assert [e["level_code"] for e in swept.json["escalations"] if e["case_id"] == case["id"]] == ["supervision_notice"]
    assert [(c["unit"], c["kind"], c["rule"]) for c in swept.json["consequences"] if c["unit"] == unit] == [
        (unit, "notified_reminder", "zichuan-2020/late-1")
    ]
    now = live.get(f"/api/appeals/{case['id']}").json
    assert now["escalation_level"] == 1 and now["escalation"] == "supervision_notice"
    reply = next(d for d in now["deadlines"] if d["name"] == "unit_reply")
    assert reply["overdue"] and reply["missed_seq"] == now["version"] - 1
    again = live.post("/api/deadlines/sweep", {"now": "2026-10-09T00:00:00+08:00"})
    assert case["id"] not in {m["case_id"] for m in again.json["missed"]}
    assert live.get(f"/api/appeals/{case['id']}").json["version"] == now["version"]


def test_sweep_is_for_the_platform_and_admins_and_checks_its_input(live):
    before = live.store()
    assert live.post("/api/deadlines/sweep", {}, user="power").status_code == 403
    assert live.post("/api/deadlines/sweep", {}, user="inspector").status_code == 403
    bad = live.post("/api/deadlines/sweep", {"now": "yesterday"})
    assert bad.status_code == 422 and "now" in bad.json["error"]["fields"]
    assert live.post("/api/deadlines/sweep", {"when": "x"}).status_code == 422
    assert live.store() == before


def test_accountability_record_shows_rule_evidence_and_follow_ups(live):
    """000 item 4: 超期回复 → 通报提醒; 2 in a month → 约谈 + 书面检查; inspectors record what followed."""
    unit = fresh_unit(live)
    for day in ("2026-10-12", "2026-10-13"):
        case = forwarded(live, unit, f"{day}T09:00:00+08:00", f"{day}T10:00:00+08:00")
        answered = live.post(
            f"/api/appeals/{case['id']}/answer",
            {"kind": "initial", "content": "已联系", "occurred_at": "2026-10-20T09:00:00+08:00"},
            user="ops",
        )
        assert answered.status_code == 200
    record = live.get(f"/api/units/{unit}/accountability", user="inspector")
    assert record.status_code == 200, record.json
    body = record.json
    assert [r["rule"] for r in body["reminders"]] == ["zichuan-2020/late-1"] * 2
    assert [i["kind"] for i in body["interviews"]] == ["interview"]
    assert [w["kind"] for w in body["written_reviews"]] == ["written_self_examination"]
    reminder = body["reminders"][0]
    assert reminder["profile_version"] == 4 and reminder["source"] == "000 item 4"
    assert {e["type"] for e in reminder["evidence"]} >= {"DeadlineMissed"}
    assert body["interviews"][0]["caused_by"] == [r["id"] for r in body["reminders"]]

    interview = body["interviews"][0]["id"]
    assert (
        live.post(
            f"/api/units/{unit}/accountability/actions",
            {"action": "interview_held", "note": "约谈", "consequence": interview},
            user="auditor",
        ).status_code
        == 403
    )
    held = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "interview_held", "note": "区纪委监委约谈单位主要负责人", "consequence": interview},
        user="inspector",
    )
    assert held.status_code == 201, held.json
    assert [f["action"] for f in held.json["interviews"][0]["follow_ups"]] == ["interview_held"]
    wrong = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "self_examination_received", "note": "x", "consequence": interview},
        user="inspector",
    )
    assert wrong.status_code == 422 and "consequence" in wrong.json["error"]["fields"]
    assert live.get(f"/api/units/{unit}/accountability?period=2026-09", user="auditor").json["consequences"] == []


def test_a_unit_reads_only_its_own_accountability_record(live):
    assert live.get("/api/units/DISTRICT-POWER/accountability", user="power").status_code == 200
    assert live.get("/api/units/DISTRICT-WATER/accountability", user="power").status_code == 403
    assert live.get("/api/units/DISTRICT-WATER/accountability", user="clerk").status_code == 403
    assert live.get("/api/units/NO-SUCH/accountability", user="inspector").status_code == 404
    assert live.get("/api/units/DISTRICT-WATER/accountability?period=2026-13", user="inspector").status_code == 422


def test_supervisor_lists_a_case_for_supervision_and_strikes_it_off(live):
    """003 item 5: 挂牌督办, then 销号督办."""
    unit = fresh_unit(live)
    case = forwarded(live, unit)
    opened = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "listed_supervision_opened", "note": "久拖不办", "case_id": case["id"]},
        user="super",
    )
    assert opened.status_code == 201, opened.json
    [listed] = opened.json["supervisions"]
    assert listed["status"] == "listed" and listed["case_id"] == case["id"]
    struck = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "listed_supervision_struck_off", "note": "已解决", "supervision": listed["id"]},
        user="super",
    )
    assert struck.status_code == 201 and struck.json["supervisions"][0]["status"] == "struck_off"
    again = live.post(
        f"/api/units/{unit}/accountability/actions",
        {"action": "listed_supervision_struck_off", "note": "x", "supervision": listed["id"]},
        user="super",
    )
    assert again.status_code == 409


def test_sweep_refuses_a_future_now_and_a_dry_run_reports_without_recording(live):
    """docs/http-api.md *Deadlines*: a ``now`` later than the current time is a 422 with nothing recorded;
    ``dry_run`` at any ``now`` reports the misses, notices (000 item 4: 督办通知) and consequences
    (通报提醒) a sweep then would record, and records none of them."""
    unit = fresh_unit(live)
    case = forwarded(live, unit)
    before = live.store()
    future = live.post("/api/deadlines/sweep", {"now": "2099-01-01T00:00:00+08:00"})
    assert future.status_code == 422 and "now" in future.json["error"]["fields"]
    drill = live.post("/api/deadlines/sweep", {"now": "2099-01-01T00:00:00+08:00", "dry_run": True})
    assert drill.status_code == 200, drill.json
    assert drill.json["dry_run"] is True
    assert sorted(m["deadline"] for m in drill.json["missed"] if m["case_id"] == case["id"]) == [
        "platform_report",
        "unit_reply",
    ]
    assert [e["level_code"] for e in drill.json["escalations"] if e["case_id"] == case["id"]] == ["supervision_notice"]
    assert [(c["kind"], c["rule"], c["seq"]) for c in drill.json["consequences"] if c["unit"] == unit] == [
        ("notified_reminder", "zichuan-2020/late-1", None)
    ]
    assert live.store() == before
    real = live.post("/api/deadlines/sweep", {"now": "2026-10-09T00:00:00+08:00"})
    assert real.json["dry_run"] is False and [
        m["deadline"] for m in real.json["missed"] if m["case_id"] == case["id"]
    ] == ["unit_reply"]


def test_listed_supervision_on_another_units_or_an_unknown_case_is_refused(live):
    """003 item 5: 挂牌督办 names one of the unit's cases; otherwise 422 and nothing recorded."""
    unit, other = fresh_unit(live), fresh_unit(live)
    theirs = forwarded(live, other)
    before = live.store()
    for case_id in (theirs["id"], str(uuid.uuid4())):
        refused = live.post(
            f"/api/units/{unit}/accountability/actions",
            {"action": "listed_supervision_opened", "note": "挂牌", "case_id": case_id},
            user="super",
        )
        assert refused.status_code == 422 and "case_id" in refused.json["error"]["fields"]
    assert (
        live.post(
            f"/api/units/{unit}/accountability/actions",
            {"action": "listed_supervision_opened", "note": "挂牌", "case_id": theirs["id"]},
            user="power",
        ).status_code
        == 403
    )
    assert live.store() == before


def test_reading_an_accountability_record_runs_no_process_and_writes_nothing(api):
    """Web workers only read: with no read-model process running, a GET waits for the accountability
    process and returns what it has — it never runs the process or records anything itself."""
    unit = fresh_unit(api)
    case = forwarded(api, unit)
    api.post(f"/api/appeals/{case['id']}/answer", {"kind": "final", "content": "已办结"}, user="ops")
    api.post(f"/api/appeals/{case['id']}/return", {"reason": "答复不实"})
    position = api.container.follower.position()
    before = api.store()
    record = api.get(f"/api/units/{unit}/accountability", user="inspector")
    assert record.status_code == 200 and record.json["lapses"] == []  # nothing ran the process
    assert api.store() == before and api.container.follower.position() == position


def test_a_missed_window_deadline_reaches_the_units_ledger_and_accountability(live):
    """004 item 二 (办不成事反映窗口, 5 WD from registration): the unit the case is forwarded to answers
    for it. Registered Mon 2026-11-02, forwarded 11-03 → due Mon 11-09 24:00."""
    unit = fresh_unit(live)
    case = live.open("suqian-2024", channel="window", occurred_at="2026-11-02T09:00:00+08:00")
    live.post(f"/api/appeals/{case['id']}/forward", {"unit": unit, "occurred_at": "2026-11-03T10:00:00+08:00"})
    shown = live.get(f"/api/appeals/{case['id']}").json
    assert [(d["name"], d["unit"], d["due"]) for d in shown["deadlines"]] == [
        ("window_feedback", unit, "2026-11-09T23:59:59+08:00")
    ]
    ledger = live.get(f"/api/units/{unit}/ledger?period=2026-11").json
    assert ledger["overdue_at_end"] == 1 and ledger["rates"]["on_time"] == 0
    swept = live.post("/api/deadlines/sweep", {"now": "2026-11-10T00:00:00+08:00"}).json
    assert [(m["deadline"], m["unit"]) for m in swept["missed"] if m["case_id"] == case["id"]] == [
        ("window_feedback", unit)
    ]
    record = live.get(f"/api/units/{unit}/accountability", user="inspector").json
    assert [(lp["kind"], lp["detail"]["deadline"]) for lp in record["lapses"]] == [
        ("deadline_missed", "window_feedback")
    ]


def test_an_interview_names_the_head_in_office_on_the_day_it_arose(live):
    """000 item 4: 区纪委监委约谈单位主要负责人 and 书面检查 reach the head in office on the day the
    consequence arose (2026-10), not the one appointed after it, nor one who had already left."""
    unit = fresh_unit(live)
    directory = live.container.directory
    directory.appoint_head(OPERATOR, unit, "张三", date(2026, 1, 5))
    directory.appoint_head(OPERATOR, unit, "李四", date(2026, 10, 9))
    directory.appoint_head(OPERATOR, unit, "王五", date(2026, 11, 2))
    for day in ("2026-10-12", "2026-10-13"):
        case = forwarded(live, unit, f"{day}T09:00:00+08:00", f"{day}T10:00:00+08:00")
        answered = live.post(
            f"/api/appeals/{case['id']}/answer",
            {"kind": "initial", "content": "已联系", "occurred_at": "2026-10-20T09:00:00+08:00"},
            user="ops",
        )
        assert answered.status_code == 200
    body = live.get(f"/api/units/{unit}/accountability", user="inspector").json
    assert body["interviews"][0]["at"].startswith("2026-10")
    assert [c["head"] for c in body["interviews"] + body["written_reviews"]] == [
        {"name": "李四", "from": "2026-10-09"}
    ] * 2
    assert [r["head"] for r in body["reminders"]] == [None, None]  # 通报提醒 goes to the unit itself
    listed = {u["code"]: u for u in live.get("/api/units", user="inspector").json["units"]}
    assert [h["name"] for h in listed[unit]["heads"]] == ["张三", "李四", "王五"]


def test_a_unit_with_no_head_recorded_has_its_interview_name_nobody(live):
    unit = fresh_unit(live)
    for day in ("2026-10-12", "2026-10-13"):
        case = forwarded(live, unit, f"{day}T09:00:00+08:00", f"{day}T10:00:00+08:00")
        live.post(
            f"/api/appeals/{case['id']}/answer",
            {"kind": "initial", "content": "已联系", "occurred_at": "2026-10-20T09:00:00+08:00"},
            user="ops",
        )
    body = live.get(f"/api/units/{unit}/accountability", user="inspector").json
    assert [i["head"] for i in body["interviews"]] == [None]
