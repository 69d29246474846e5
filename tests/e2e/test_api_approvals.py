"""Approval (审批) commands over HTTP: one window, many departments (行政许可法; 001, 002, 003).

The comprehensive window (综合受理窗口) is the platform user ``clerk``; the
departments are the units DISTRICT-FIRE (``fire``) and DISTRICT-PLAN
(``plan``). Every refusal is checked to record nothing.
"""

from __future__ import annotations

import uuid

JOINT = {
    "profile": "liaocheng-2020-approvals",
    "matter": "joint-completion-acceptance",
    "departments": ["DISTRICT-FIRE", "DISTRICT-PLAN"],
}
VENUE = {"profile": "liaoyuan-2024-approvals", "matter": "assembly-venue-opening"}


def url(case, verb=None):
    return f"/api/approvals/{case['id']}" + (f"/{verb}" if verb else "")


def step(api, case, verb, body=None, user="clerk", **headers):
    response = api.post(url(case, verb), body or {}, user=user, **headers)
    assert response.status_code == 200, (verb, user, response.json)
    return response.json


def refused(api, case, verb, body, status, user="clerk", code=None, field=None):
    """The command is refused with ``status`` (and ``code`` or a ``field``), and nothing is recorded."""
    before, version = api.store(), api.get(url(case)).json["version"]
    response = api.post(url(case, verb), body, user=user)
    assert response.status_code == status, (verb, user, response.status_code, response.json)
    error = response.json["error"]
    if code:
        assert error["code"] == code, error
    if field:
        assert field in error.get("fields", {}), error
    assert api.store() == before and api.get(url(case)).json["version"] == version
    return error


def in_review(api, **fields):
    case = api.submit(**fields)
    step(api, case, "accept")
    return step(api, case, "forward")


def deadline(case, name):
    return [d for d in case["deadlines"] if d["name"] == name][-1]


# -- the whole path ------------------------------------------------------------------------
def test_the_window_receives_the_departments_review_the_window_decides_and_delivers__001_四_002_item_25(api):
    """前台统一受理、后台分类审批、统一窗口出件: each department answers for itself; the window decides
    once both have answered (联审联办, 002 item 10) and hands the result over."""
    case = api.submit(**JOINT)
    assert (case["status"], case["version"], case["kind"]) == ("submitted", 1, "approval")
    assert case["matter"] == "joint-completion-acceptance" and case["matter_title"] == "联合竣工验收"
    assert case["profile"] == "liaocheng-2020-approvals" and case["commitment"] is False
    assert case["case_no"].startswith("SP") and [d["name"] for d in case["deadlines"]] == ["notice"]
    assert [d["unit"] for d in case["departments"]] == ["DISTRICT-FIRE", "DISTRICT-PLAN"]
    case = step(api, case, "accept", {"note": "材料齐全"})
    assert case["status"] == "accepted" and case["accepted_at"] and case["deemed_accepted"] is False
    assert deadline(case, "notice")["met_at"] is not None
    case = step(api, case, "forward")
    assert case["status"] == "in_review" and case["forwarded_at"]
    assert {d["name"] for d in case["deadlines"]} == {
        "notice",
        "decision",
        "department_review@DISTRICT-FIRE",
        "department_review@DISTRICT-PLAN",
    }
    assert deadline(case, "department_review@DISTRICT-FIRE")["unit"] == "DISTRICT-FIRE"
    case = step(
        api,
        case,
        "answer",
        {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "消防验收合格"},
        user="fire",
    )
    assert deadline(case, "department_review@DISTRICT-FIRE")["met_at"] is not None
    assert deadline(case, "department_review@DISTRICT-PLAN")["met_at"] is None
    case = step(
        api,
        case,
        "answer",
        {"department": "DISTRICT-PLAN", "decision": "approve", "opinion": "规划核实通过"},
        user="plan",
    )
    assert [(d["unit"], d["decision"], d["opinion"], d["returned"]) for d in case["departments"]] == [
        ("DISTRICT-FIRE", "approve", "消防验收合格", 0),
        ("DISTRICT-PLAN", "approve", "规划核实通过", 0),
    ]
    assert all(d["answered_at"] for d in case["departments"])
    case = step(api, case, "decide", {"decision": "approve", "reason": "联合验收合格"})
    assert (case["status"], case["decision"]) == ("decided", "approve") and case["decided_at"]
    assert deadline(case, "decision")["met_at"] is not None and deadline(case, "delivery")["met_at"] is None
    case = step(api, case, "deliver", {"note": "窗口出件"})
    assert case["status"] == "delivered" and case["delivered_at"] and case["version"] == 7
    assert all(d["met_at"] and not d["overdue"] and not d["met_late"] for d in case["deadlines"]), case["deadlines"]
    events = api.get(url(case, "history"), user="auditor").json["events"]
    assert [e["type"] for e in events] == [
        "Submitted",
        "Accepted",
        "Forwarded",
        "DepartmentAnswered",
        "DepartmentAnswered",
        "Decided",
        "Delivered",
    ]
    assert [e["unit"] for e in events] == [None, None, None, "DISTRICT-FIRE", "DISTRICT-PLAN", None, None]
    assert events[3]["data"]["decision"] == "approve" and events[3]["actor"]["user"] == "fire"


# -- departments speak for themselves (联审联办) ---------------------------------------------------
def test_a_department_answers_only_for_itself_and_once_until_its_opinion_is_returned__002_items_7_10(api):
    case = in_review(api, **JOINT)
    opinion = {"department": "DISTRICT-FIRE", "decision": "reject", "opinion": "疏散通道不足"}
    assert refused(api, case, "answer", opinion, 403, user="plan", code="forbidden")  # another department
    assert refused(api, case, "answer", opinion, 403, user="water", code="forbidden")  # not on the case
    refused(api, case, "answer", {**opinion, "department": "DISTRICT-WATER"}, 422, user="ops", field="department")
    step(api, case, "answer", opinion, user="fire")
    refused(api, case, "answer", opinion, 409, user="fire", code="not_allowed_in_state")  # once per round
    returned = step(api, case, "return", {"department": "DISTRICT-FIRE", "reason": "请复核疏散宽度"})
    fire = returned["departments"][0]
    assert (fire["decision"], fire["opinion"], fire["returned"]) == (None, None, 1)
    assert deadline(returned, "department_review@DISTRICT-FIRE")["round"] == 2
    assert deadline(returned, "department_review@DISTRICT-PLAN")["round"] == 1
    again = step(api, case, "answer", {**opinion, "decision": "approve", "opinion": "整改后合格"}, user="fire")
    assert again["departments"][0]["decision"] == "approve"
    refused(
        api, case, "return", {"department": "DISTRICT-PLAN", "reason": "x"}, 409, code="not_allowed_in_state"
    )  # PLAN has not answered: nothing to return
    refused(api, case, "return", {"department": "DISTRICT-FIRE", "reason": "x"}, 403, user="fire")


def test_only_the_window_accepts_decides_and_delivers__001_四_统一窗口出件(api):
    case = api.submit()
    refused(api, case, "accept", {}, 403, user="fire", code="forbidden")
    case = step(api, case, "accept")
    step(api, case, "forward")
    step(api, case, "answer", {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "同意"}, user="fire")
    refused(api, case, "decide", {"decision": "approve", "reason": "同意"}, 403, user="fire")
    step(api, case, "decide", {"decision": "approve", "reason": "符合条件"})
    for user in ("fire", "plan", "inspector", "auditor", "super"):
        refused(api, case, "deliver", {}, 403, user=user, code="forbidden")
    assert step(api, case, "deliver")["status"] == "delivered"


def test_the_decision_waits_for_every_department__002_item_10(api):
    case = in_review(api, **JOINT)
    step(api, case, "answer", {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "合格"}, user="fire")
    error = refused(api, case, "decide", {"decision": "approve", "reason": "合格"}, 409, code="not_allowed_in_state")
    assert "DISTRICT-PLAN" in error["message"]
    step(api, case, "answer", {"department": "DISTRICT-PLAN", "decision": "approve", "opinion": "合格"}, user="plan")
    assert step(api, case, "decide", {"decision": "approve", "reason": "合格"})["status"] == "decided"


# -- 告知承诺制 (002 items 4, 9, 29; 003 item 8) -------------------------------------------------
def test_on_a_commitment_the_decision_may_precede_the_review_and_a_false_commitment_revokes_it__003_item_8(api):
    case = api.submit(**VENUE, commitment=True)
    assert case["commitment"] is True
    case = in_review_from(api, case)
    decided = step(api, case, "decide", {"decision": "approve", "reason": "申请人书面承诺符合消防安全要求"})
    assert decided["status"] == "decided" and decided["departments"][0]["decision"] is None
    step(api, case, "deliver")
    checked = step(
        api,
        case,
        "answer",
        {"department": "DISTRICT-FIRE", "decision": "reject", "opinion": "现场核查与承诺不符"},
        user="fire",
    )  # verified afterwards
    assert checked["status"] == "delivered" and checked["departments"][0]["decision"] == "reject"
    revoked = step(api, case, "revoke", {"reason": "承诺不实：疏散通道被占用"})
    assert revoked["status"] == "revoked" and revoked["ended_at"]
    refused(api, case, "revoke", {"reason": "again"}, 409, code="not_allowed_in_state")


def in_review_from(api, case):
    step(api, case, "accept")
    return step(api, case, "forward")


def test_a_decision_not_made_on_a_commitment_cannot_be_revoked__002_item_29(api):
    case = in_review(api)
    step(api, case, "answer", {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "同意"}, user="fire")
    step(api, case, "decide", {"decision": "approve", "reason": "符合条件"})
    refused(api, case, "revoke", {"reason": "承诺不实"}, 409, code="not_allowed_in_state")
    step(api, case, "deliver")
    refused(api, case, "revoke", {"reason": "承诺不实"}, 409, code="not_allowed_in_state")


def test_a_matter_outside_the_catalogue_or_a_commitment_it_does_not_allow_is_422(api):
    before = api.store()
    body = {
        "profile": "liaoyuan-2024-approvals",
        "matter": "assembly-venue-opening",
        "applicant": {"name": "某影城"},
        "materials": ["承诺书"],
        "departments": ["DISTRICT-FIRE"],
    }
    for changes, field in (
        ({"matter": "fireworks-display"}, "matter"),
        (
            {"profile": "liaocheng-2020-approvals", "matter": "special-working-hours", "commitment": True},
            "commitment",
        ),  # 002 item 43: no 告知承诺制 for it
        ({"profile": "zichuan-2020"}, "profile"),  # an appeal profile
        ({"departments": ["NO-SUCH-UNIT"]}, "departments"),
        ({"departments": []}, "departments"),
        ({"applicant": {"credit_code": "x"}}, "applicant.name"),
        ({"applicant": {"name": "某影城", "colour": "red"}}, "applicant.colour"),
        ({"colour": "red"}, "colour"),
    ):
        response = api.post("/api/approvals", body | changes)
        assert response.status_code == 422, (changes, response.json)
        assert field in response.json["error"]["fields"], (changes, response.json)
    assert api.store() == before


# -- 一次性告知 (行政许可法 art. 32; 001 (四); 002 item 25) ---------------------------------------------
def test_the_missing_materials_are_told_once_and_only_before_acceptance__licensing_law_art_32(api):
    case = api.submit()
    told = step(api, case, "request-materials", {"missing": ["消防设计图", "场所平面图"], "note": "一次性告知"})
    assert told["status"] == "materials_requested" and told["missing"] == ["消防设计图", "场所平面图"]
    assert deadline(told, "notice")["met_at"] is not None
    refused(api, case, "request-materials", {"missing": ["租赁合同"]}, 409, code="one_time_notice_used")
    refused(api, case, "accept", {}, 409, code="not_allowed_in_state")  # not supplied yet
    supplied = step(api, case, "supply-materials", {"materials": ["消防设计图", "场所平面图"]})
    assert supplied["status"] == "submitted" and supplied["missing"] == []
    assert supplied["materials"] == ["申请书", "营业执照", "消防设计图", "场所平面图"]
    refused(api, case, "request-materials", {"missing": ["租赁合同"]}, 409, code="one_time_notice_used")
    step(api, case, "accept")
    refused(api, case, "request-materials", {"missing": ["租赁合同"]}, 409, code="not_allowed_in_state")
    fresh = api.submit()
    step(api, fresh, "accept")
    refused(api, fresh, "request-materials", {"missing": ["租赁合同"]}, 409, code="not_allowed_in_state")
    refused(api, fresh, "supply-materials", {"materials": ["租赁合同"]}, 409, code="not_allowed_in_state")


def test_refusal_and_withdrawal_end_the_case(api):
    refused_case = api.submit()
    done = step(api, refused_case, "refuse", {"reason": "不属于本机关职权范围"})
    assert done["status"] == "refused" and done["ended_at"]
    refused(api, refused_case, "accept", {}, 409, code="not_allowed_in_state")
    withdrawn = in_review(api)
    done = step(api, withdrawn, "withdraw", {"reason": "申请人撤回"})
    assert done["status"] == "withdrawn" and all(d["met_at"] or d["cancelled_at"] for d in done["deadlines"])
    refused(api, withdrawn, "withdraw", {"reason": "again"}, 409)


# -- time not counted and the one extension (行政许可法 arts. 42, 45) -------------------------------
def test_pausing_a_paused_case_or_resuming_a_running_one_is_409__licensing_law_art_45(api):
    case = in_review(api)
    refused(api, case, "resume", {}, 409, code="not_allowed_in_state")
    paused = step(api, case, "pause", {"reason": "inspection", "expected_working_days": 5, "note": "现场检验"})
    assert paused["paused"] is True and deadline(paused, "decision")["paused"] is True
    assert [(p["reason"], p["to"], p["expected_working_days"], p["note"]) for p in paused["pauses"]] == [
        ("inspection", None, 5, "现场检验")
    ]
    refused(api, case, "pause", {"reason": "hearing", "expected_working_days": 3}, 409, code="not_allowed_in_state")
    refused(api, case, "decide", {"decision": "approve", "reason": "x"}, 409)  # resume first
    resumed = step(api, case, "resume", {"note": "检验完成"})
    assert resumed["paused"] is False and deadline(resumed, "decision")["paused"] is False
    assert resumed["pauses"][0]["to"] is not None and resumed["pauses"][0]["working_days"] == 0  # same day
    refused(api, case, "pause", {"reason": "séance", "expected_working_days": 3}, 422, field="reason")
    refused(api, case, "pause", {"reason": "hearing", "expected_working_days": 0}, 422, field="expected_working_days")
    refused(api, case, "pause", {"reason": "hearing"}, 422, field="expected_working_days")


def test_the_decision_period_is_extended_once_within_the_cap__licensing_law_art_42(api):
    case = in_review(api)
    refused(api, case, "extend", {"working_days": 11, "reason": "情况复杂"}, 422, field="working_days")  # cap 10
    extended = step(api, case, "extend", {"working_days": 10, "reason": "情况复杂，经负责人批准"})
    assert extended["extended"] is True and deadline(extended, "decision")["extended"] == 10
    refused(api, case, "extend", {"working_days": 1, "reason": "再延"}, 409, code="not_allowed_in_state")
    refused(api, api.submit(), "extend", {"working_days": 1, "reason": "未受理"}, 409, code="not_allowed_in_state")


def test_an_escalation_climbs_the_profiles_ladder(api):
    case = in_review(api)
    escalated = step(api, case, "escalate", {"reason": "久拖未决"}, user="super")
    assert (escalated["escalation_level"], escalated["escalation"]) == (1, "supervision")
    refused(api, case, "escalate", {"reason": "again"}, 409, user="super")  # the top of a one-level ladder


# -- bodies, versions, retries ---------------------------------------------------------------
def test_bodies_are_checked_by_the_schema_before_anything_is_recorded(api):
    case = in_review(api)
    refused(api, case, "accept", {"colour": "red"}, 422, field="colour")
    refused(
        api,
        case,
        "answer",
        {"department": "DISTRICT-FIRE", "decision": "maybe", "opinion": "x"},
        422,
        user="fire",
        field="decision",
    )
    refused(
        api,
        case,
        "answer",
        {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "已\u0000审"},
        422,
        user="fire",
        field="opinion",
    )
    refused(api, case, "decide", {"decision": "perhaps", "reason": "x"}, 422, field="decision")
    refused(api, case, "forward", {"departments": "DISTRICT-FIRE"}, 422, field="departments")
    refused(api, case, "request-materials", {"missing": []}, 422, field="missing")
    refused(api, case, "accept", {"expected_version": "three"}, 422, field="expected_version")


def test_a_stale_expected_version_is_409_and_records_nothing(api):
    case = api.submit()
    refused(api, case, "accept", {"expected_version": 2}, 409, code="version_conflict")
    assert step(api, case, "accept", {"expected_version": 1})["version"] == 2


def test_only_the_window_and_admins_backfill(api):
    case = in_review(api)
    refused(
        api,
        case,
        "answer",
        {
            "department": "DISTRICT-FIRE",
            "decision": "approve",
            "opinion": "同意",
            "occurred_at": "2026-10-20T09:00:00+08:00",
        },
        422,
        user="fire",
        field="occurred_at",
    )
    refused(
        api,
        case,
        "decide",
        {"decision": "approve", "reason": "x", "occurred_at": "2099-01-01T00:00:00+08:00"},
        422,
        field="occurred_at",
    )


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response_and_records_nothing(api):
    case = in_review(api)
    key = {"Idempotency-Key": f"answer-{uuid.uuid4()}"}
    body = {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "同意"}
    first = api.post(url(case, "answer"), body, user="fire", **key)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    before = api.store()
    again = api.post(url(case, "answer"), body, user="fire", **key)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true" and api.store() == before
    reused = api.post(url(case, "answer"), body | {"opinion": "另一意见"}, user="fire", **key)
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"
    assert api.store() == before

    submission = {
        "profile": "licensing-law-2019",
        "matter": "general",
        "applicant": {"name": "某某公司"},
        "materials": ["申请书"],
        "departments": ["DISTRICT-FIRE"],
    }
    key = {"Idempotency-Key": f"submit-{uuid.uuid4()}"}
    created = api.post("/api/approvals", submission, **key)
    before = api.store()
    replay = api.post("/api/approvals", submission, **key)
    assert created.status_code == replay.status_code == 201 and replay.get_data() == created.get_data()
    assert api.store() == before


def test_the_same_channel_and_external_ref_return_the_application_already_submitted(api):
    ref = f"SP-{uuid.uuid4().hex[:10].upper()}"
    first = api.submit(channel="window", external_ref=ref)
    before = api.store()
    again = api.post(
        "/api/approvals",
        {
            "profile": "licensing-law-2019",
            "matter": "general",
            "applicant": {"name": "另一家公司"},
            "materials": [],
            "departments": ["DISTRICT-PLAN"],
            "channel": "window",
            "external_ref": ref,
        },
    )
    assert again.status_code == 200 and again.json["id"] == first["id"]
    assert again.json["applicant"] == first["applicant"] and api.store() == before


def test_the_openapi_document_describes_every_approval_route_with_its_refusals(api):
    spec = api.client.get("/api/openapi.json").json
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    commands = (
        "request-materials",
        "supply-materials",
        "accept",
        "refuse",
        "forward",
        "answer",
        "return",
        "pause",
        "resume",
        "extend",
        "escalate",
        "decide",
        "deliver",
        "revoke",
        "withdraw",
    )
    for path in ("/api/approvals", *(f"/api/approvals/{{case_id}}/{c}" for c in commands)):
        responses = paths[path]["post"]["responses"]
        assert {"200", "400", "401", "403", "404", "409", "413", "422"} <= set(responses), path
        assert paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"], path
    assert "201" in paths["/api/approvals"]["post"]["responses"]
    for path in ("/api/approvals", "/api/approvals/{case_id}", "/api/approvals/{case_id}/history"):
        assert {"200", "403", "404", "422"} <= set(paths[path]["get"]["responses"]), path
    assert schemas["Pause"]["properties"]["reason"]["enum"][0] == "hearing"
    assert schemas["Decide"]["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert {"departments", "pauses", "deemed_accepted", "paused"} <= set(schemas["Approval"]["properties"])
    assert "deemed_accepted" in schemas["SweepReport"]["required"]
