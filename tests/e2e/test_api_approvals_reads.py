"""Approvals (审批) read over HTTP, and their clocks on real 2026 dates (行政许可法 arts. 32, 42, 44, 45).

The 2026 schedule: Mid-Autumn Fri 09-25 and National Day Thu 10-01 to Wed 10-07 are rest days;
Sat 10-10 is a make-up working day. Steps are backfilled (``occurred_at``, window and admin) and the
sweep is run ``now`` at moments in the past, so every due time is asserted to the second.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from tests.e2e.test_api_approvals import JOINT, deadline, step, url


def at(text: str) -> str:
    return f"2026-{text}+08:00"


def dated(api, submitted="10-12T09:00:00", accepted="10-12T10:00:00", **fields):
    """Submitted and accepted at the window on the given 2026 moments, then forwarded."""
    case = api.submit(occurred_at=at(submitted), **fields)
    step(api, case, "accept", {"occurred_at": at(accepted)})
    return step(api, case, "forward", {"occurred_at": at(accepted)})


def sweep(api, now: str) -> dict:
    response = api.post("/api/deadlines/sweep", {"now": now})
    assert response.status_code == 200, response.json
    return response.json


# -- 行政许可法 art. 32: deemed acceptance, found by the sweep ---------------------------------------
def test_with_no_notice_in_5_working_days_the_sweep_records_the_application_accepted_as_of_receipt__art_32(live):
    """Submitted Mon 09-28 with no notice: WD 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday); the
    notice period ends at 24:00 on 10-10, and the decision's 20 WD (art. 42) run from 09-28: 10-30."""
    case = live.submit(occurred_at="2026-09-28T10:00:00+08:00")
    notice = deadline(case, "notice")
    assert notice["due"] == "2026-10-10T23:59:59+08:00" and notice["source"] == "行政许可法 art. 32"
    early = sweep(live, "2026-10-10T12:00:00+08:00")
    assert case["id"] not in {d["case_id"] for d in early["deemed_accepted"]}
    assert live.get(url(case)).json["status"] == "submitted"
    swept = sweep(live, "2026-10-12T09:00:00+08:00")
    mine = [d for d in swept["deemed_accepted"] if d["case_id"] == case["id"]]
    assert mine == [
        {
            "case_id": case["id"],
            "seq": 2,
            "accepted_as_of": "2026-09-28T10:00:00+08:00",
            "notice_ended_at": "2026-10-11T00:00:00+08:00",
        }
    ]
    assert case["id"] not in {m["case_id"] for m in swept["missed"]}  # a lapse of the notice is no miss
    now = live.get(url(case)).json
    assert (now["status"], now["deemed_accepted"], now["accepted_at"]) == (
        "accepted",
        True,
        "2026-09-28T10:00:00+08:00",
    )
    decision = deadline(now, "decision")
    assert decision["started_at"] == "2026-09-28T10:00:00+08:00" and decision["due"] == "2026-10-30T23:59:59+08:00"
    assert deadline(now, "notice")["met_at"] == "2026-10-12T09:00:00+08:00"
    history = live.get(url(case, "history")).json["events"]
    assert [e["type"] for e in history] == ["Submitted", "DeemedAccepted"]
    assert history[1]["occurred_at"] == "2026-10-12T09:00:00+08:00"
    again = sweep(live, "2026-10-12T09:00:00+08:00")  # once only
    assert case["id"] not in {d["case_id"] for d in again["deemed_accepted"]}
    refused = live.post(url(case, "request-materials"), {"missing": ["消防设计图"]})
    assert refused.status_code == 409 and live.get(url(case)).json["version"] == 2  # too late for a notice

    missed = sweep(live, "2026-11-02T09:00:00+08:00")  # the decision's 20 WD ended with 10-30
    assert [
        (m["deadline"], m["due"], m["rule"], m["unit"]) for m in missed["missed"] if m["case_id"] == case["id"]
    ] == [("decision", "2026-10-30T23:59:59+08:00", "licensing-law-2019/decision", None)]
    assert deadline(live.get(url(case)).json, "decision")["missed_seq"] == 3


def test_a_notice_in_time_leaves_nothing_for_the_sweep_to_accept__art_32(live):
    case = live.submit(occurred_at="2026-09-28T10:00:00+08:00")
    step(live, case, "request-materials", {"missing": ["场所平面图"], "occurred_at": "2026-09-30T10:00:00+08:00"})
    swept = sweep(live, "2026-10-12T09:00:00+08:00")
    assert case["id"] not in {d["case_id"] for d in swept["deemed_accepted"]}
    assert live.get(url(case)).json["status"] == "materials_requested"


def test_a_dry_run_sweep_reports_a_deemed_acceptance_and_records_nothing__art_32(live):
    case = live.submit(occurred_at="2026-11-30T10:00:00+08:00")  # Mon: the notice period ends with Mon 12-07
    before = live.store()
    drill = live.post("/api/deadlines/sweep", {"now": "2026-12-08T09:00:00+08:00", "dry_run": True})
    assert drill.status_code == 200 and drill.json["dry_run"] is True, drill.json
    assert [d["accepted_as_of"] for d in drill.json["deemed_accepted"] if d["case_id"] == case["id"]] == [
        "2026-11-30T10:00:00+08:00"
    ]
    assert live.store() == before and live.get(url(case)).json["status"] == "submitted"
    future = live.post("/api/deadlines/sweep", {"now": "2099-01-01T00:00:00+08:00"})
    assert future.status_code == 422 and live.store() == before


# -- 行政许可法 art. 45: time not counted ---------------------------------------------------------
def test_a_pause_moves_the_decision_by_the_working_days_from_pause_to_resumption__art_45(api):
    """Accepted Mon 10-12: 20 WD end on Mon 11-09. Paused Tue 10-20, resumed Thu 10-22: the working days
    in [10-20, 10-22) are 10-20 and 10-21, so the decision is due Wed 11-11."""
    case = dated(api)
    assert deadline(case, "decision")["due"] == "2026-11-09T23:59:59+08:00"
    paused = step(
        api, case, "pause", {"reason": "expert_review", "expected_working_days": 2, "occurred_at": at("10-20T10:00:00")}
    )
    assert paused["paused"] is True and deadline(paused, "decision")["paused"] is True
    assert deadline(paused, "decision")["overdue"] is False
    during = api.get(url(case) + "?as_of=" + quote(at("10-21T15:00:00"))).json
    assert during["paused"] is True and deadline(during, "decision")["paused"] is True
    assert during["pauses"] == [
        {
            "reason": "expert_review",
            "from": at("10-20T10:00:00"),
            "to": None,
            "working_days": 1,
            "expected_working_days": 2,
            "note": None,
        }
    ]
    assert deadline(during, "decision")["due"] == "2026-11-10T23:59:59+08:00"  # as if resumed at as_of
    resumed = step(api, case, "resume", {"occurred_at": at("10-22T09:00:00")})
    decision = deadline(resumed, "decision")
    assert (decision["due"], decision["paused"], resumed["paused"]) == ("2026-11-11T23:59:59+08:00", False, False)
    assert resumed["pauses"] == [
        {
            "reason": "expert_review",
            "from": at("10-20T10:00:00"),
            "to": at("10-22T09:00:00"),
            "working_days": 2,
            "expected_working_days": 2,
            "note": None,
        }
    ]
    before = api.get(url(case) + "?as_of=" + quote(at("10-19T12:00:00"))).json
    assert before["pauses"] == [] and deadline(before, "decision")["due"] == "2026-11-09T23:59:59+08:00"


def test_each_department_runs_its_own_review_clock_and_delivery_is_due_10_working_days_after_the_decision(api):
    """002 item 10: 15 WD for the joint acceptance and for each department's opinion; 行政许可法 art. 44:
    the result is delivered within 10 WD of the decision."""
    case = dated(api, **JOINT)
    assert deadline(case, "decision")["due"] == "2026-11-02T23:59:59+08:00"
    fire, plan = deadline(case, "department_review@DISTRICT-FIRE"), deadline(case, "department_review@DISTRICT-PLAN")
    assert (fire["due"], fire["unit"], plan["unit"]) == ("2026-11-02T23:59:59+08:00", "DISTRICT-FIRE", "DISTRICT-PLAN")
    for department, day in (("DISTRICT-FIRE", "10-14"), ("DISTRICT-PLAN", "10-16")):
        step(
            api,
            case,
            "answer",
            {"department": department, "decision": "approve", "opinion": "合格", "occurred_at": at(f"{day}T10:00:00")},
            user="ops",
        )
    returned = step(
        api, case, "return", {"department": "DISTRICT-PLAN", "reason": "补充核实", "occurred_at": at("10-19T10:00:00")}
    )
    again = deadline(returned, "department_review@DISTRICT-PLAN")  # Mon 10-19 + 15 WD: Mon 11-09
    assert (again["round"], again["due"], again["started_at"]) == (2, "2026-11-09T23:59:59+08:00", at("10-19T10:00:00"))
    assert deadline(returned, "department_review@DISTRICT-FIRE")["met_at"] == at("10-14T10:00:00")
    step(
        api,
        case,
        "answer",
        {
            "department": "DISTRICT-PLAN",
            "decision": "approve",
            "opinion": "复核合格",
            "occurred_at": at("10-20T09:00:00"),
        },
        user="ops",
    )
    decided = step(api, case, "decide", {"decision": "approve", "reason": "合格", "occurred_at": at("10-20T10:00:00")})
    delivery = deadline(decided, "delivery")
    assert (delivery["due"], delivery["source"]) == ("2026-11-03T23:59:59+08:00", "行政许可法 art. 44")
    delivered = step(api, case, "deliver", {"occurred_at": at("10-21T10:00:00")})
    assert deadline(delivered, "delivery")["met_at"] == at("10-21T10:00:00")
    assert not any(d["overdue"] or d["met_late"] for d in delivered["deadlines"])


# -- queries -----------------------------------------------------------------------------------
def test_as_of_shows_the_approval_as_it_stood(api):
    case = dated(api)
    then = api.get(url(case) + "?as_of=" + quote(at("10-12T09:30:00"))).json
    assert (then["status"], then["version"], then["accepted_at"], then["as_of"]) == (
        "submitted",
        1,
        None,
        at("10-12T09:30:00"),
    )
    assert [d["name"] for d in then["deadlines"]] == ["notice"] and deadline(then, "notice")["overdue"] is False
    assert api.get(url(case) + "?as_of=" + quote(at("10-12T08:00:00"))).status_code == 404
    assert api.get(url(case) + "?as_of=tomorrow").status_code == 422
    assert api.get(url(case)).json["as_of"] is None


def test_history_lists_every_event_with_its_type_actor_and_data(api):
    case = dated(api)
    events = api.get(url(case, "history"), user="fire").json["events"]
    assert [(e["seq"], e["type"]) for e in events] == [(1, "Submitted"), (2, "Accepted"), (3, "Forwarded")]
    assert events[0]["actor"] == {"user": "clerk", "role": "platform", "unit": None}
    assert events[0]["data"]["matter"] == "general" and events[0]["backfilled"] is True
    assert events[2]["data"]["departments"] == ["DISTRICT-FIRE"] and events[2]["occurred_at"] == at("10-12T10:00:00")


def test_a_department_reads_only_the_approvals_it_is_on(api):
    case = dated(api)
    for user, status in (("fire", 200), ("plan", 403), ("power", 403), ("inspector", 200), ("auditor", 200)):
        assert api.get(url(case), user=user).status_code == status, user
        assert api.get(url(case, "history"), user=user).status_code == status, user


def test_an_approval_is_no_appeal_and_an_appeal_no_approval(api):
    approval, appeal = api.submit(), api.open()
    for path in (
        f"/api/appeals/{approval['id']}",
        f"/api/appeals/{approval['id']}/history",
        f"/api/approvals/{appeal['id']}",
        f"/api/approvals/{appeal['id']}/history",
    ):
        response = api.get(path)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", path
    before = api.store()
    assert api.post(f"/api/appeals/{approval['id']}/forward", {"unit": "DISTRICT-POWER"}).status_code == 404
    assert api.post(f"/api/approvals/{appeal['id']}/accept").status_code == 404
    assert api.store() == before


def test_the_list_shows_a_department_its_own_approvals_and_never_mixes_kinds(live):
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    fire = live.submit(applicant={"name": f"餐饮 {tag}"})
    plan = live.submit(applicant={"name": f"建设 {tag}"}, departments=["DISTRICT-PLAN"])
    both = live.submit(applicant={"name": f"联合 {tag}"}, **JOINT)
    step(live, both, "accept")
    appeal = live.open(subject=f"接电难 {tag}")

    def ids(query, user="clerk", kind="approvals"):
        response = live.get(f"/api/{kind}?q={tag}{query}", user=user)
        assert response.status_code == 200, response.json
        return {i["id"] for i in response.json["items"]}

    assert ids("") == {fire["id"], plan["id"], both["id"]}
    assert ids("", user="fire") == {fire["id"], both["id"]}
    assert ids("", user="plan") == {plan["id"], both["id"]}
    assert ids("", user="power") == set()
    assert ids("&department=DISTRICT-PLAN") == {plan["id"], both["id"]}
    assert ids("&department=DISTRICT-PLAN", user="fire") == {both["id"]}
    assert ids("&status=accepted") == {both["id"]}
    assert ids("", kind="appeals") == {appeal["id"]}  # the appeal list never shows approvals
    item = next(i for i in live.get(f"/api/approvals?q={tag}&department=DISTRICT-PLAN&status=accepted").json["items"])
    assert (item["kind"], item["matter"], item["applicant"], item["departments"]) == (
        "approval",
        "joint-completion-acceptance",
        f"联合 {tag}",
        ["DISTRICT-FIRE", "DISTRICT-PLAN"],
    )
    assert item["next_deadline"]["name"] == "decision" and item["status"] == "accepted"
    for query in ("status=received", "overdue=maybe", "per_page=0", "sort=colour"):
        assert live.get(f"/api/approvals?{query}").status_code == 422, query


def test_a_supervisor_lists_an_approval_for_supervision_against_a_department_reviewing_it__003_item_5(live):
    case = live.submit(**JOINT)
    body = {"action": "listed_supervision_opened", "note": "久拖不办", "case_id": case["id"]}
    listed = live.post("/api/units/DISTRICT-PLAN/accountability/actions", body, user="super")
    assert listed.status_code == 201, listed.json
    assert [(s["case_id"], s["status"]) for s in listed.json["supervisions"]][-1] == (case["id"], "listed")
    stranger = live.post("/api/units/DISTRICT-POWER/accountability/actions", body, user="super")
    assert stranger.status_code == 422 and "case_id" in stranger.json["error"]["fields"]
