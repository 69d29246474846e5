"""Approvals (审批) on the real server over HTTP: ``caseledger serve`` (gunicorn, 2 workers) on SQLite and
PostgreSQL, with the window (``clerk``, platform) and two departments as units made by the CLI.

One server per database for the module. The whole path — window, departments, decision, delivery
(前台统一受理、后台分类审批、统一窗口出件, 001 (四), 002 item 25) — is run as it happens, each user acting
now; the deemed acceptance (行政许可法 art. 32) is backfilled to real 2026 dates and swept as of then.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.server import UNITS, USERS, run_cli, running_server, scratch_postgres

DEPARTMENTS = {"DISTRICT-FIRE": "区消防救援大队", "DISTRICT-PLAN": "区自然资源和规划局"}
DEPARTMENT_USERS = {"fire": ("unit", "DISTRICT-FIRE"), "plan": ("unit", "DISTRICT-PLAN")}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"approvals-{request.param}")
    options = {"units": UNITS | DEPARTMENTS, "users": USERS | DEPARTMENT_USERS}
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp, **options) as s:
            yield s
    else:
        with scratch_postgres() as url, running_server(url, tmp, **options) as s:
            assert s.get("/healthz").json["database"] == "postgresql"
            yield s


def call(server, user, verb, case_id=None, body=None, expect=200, **headers):
    path = "/api/approvals" + (f"/{case_id}/{verb}" if verb else "")
    response = server.post(path, body if body is not None else {}, token=server.tokens[user], headers=headers)
    assert response.status == expect, (user, verb, response.status, response.json)
    return response


def read(server, user, path):
    response = server.get(f"/api/approvals{path}", token=server.tokens[user])
    return response


def deadline(case, name):
    return [d for d in case["deadlines"] if d["name"] == name][-1]


def test_the_whole_path_from_the_window_through_the_departments_to_delivery(server):
    """002 item 10 (联合竣工验收): both departments answer, one is sent back and answers again; the window
    decides once both have answered and delivers the result."""
    tag = f"{uuid.uuid4().int % 10**8:08d}"
    body = {
        "profile": "liaocheng-2020-approvals",
        "matter": "joint-completion-acceptance",
        "channel": "window",
        "external_ref": f"JG-{tag}",
        "applicant": {
            "name": f"聊城某某置业 {tag}",
            "credit_code": "91371500MA3C000000",
            "contact": {"name": "张经理", "phone": "13900000000"},
        },
        "materials": ["联合验收申请表"],
        "departments": ["DISTRICT-FIRE", "DISTRICT-PLAN"],
    }
    created = call(server, "clerk", None, body=body, expect=201).json
    cid = created["id"]
    again = call(server, "clerk", None, body=body | {"materials": []}, expect=200)
    assert again.json == created  # the same channel + external_ref: the application already received
    steps = [  # (user, verb, body, status, version)
        (
            "clerk",
            "request-materials",
            {"missing": ["竣工图", "消防设施检测报告"], "note": "一次性告知"},
            "materials_requested",
            2,
        ),
        ("clerk", "supply-materials", {"materials": ["竣工图", "消防设施检测报告"]}, "submitted", 3),
        ("clerk", "accept", {"note": "材料齐全", "expected_version": 3}, "accepted", 4),
        ("clerk", "forward", {}, "in_review", 5),
        (
            "fire",
            "answer",
            {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "消防验收合格"},
            "in_review",
            6,
        ),
        (
            "plan",
            "answer",
            {"department": "DISTRICT-PLAN", "decision": "reject", "opinion": "建筑退线不符"},
            "in_review",
            7,
        ),
        ("clerk", "return", {"department": "DISTRICT-PLAN", "reason": "请结合规划许可复核"}, "in_review", 8),
        (
            "plan",
            "answer",
            {"department": "DISTRICT-PLAN", "decision": "approve", "opinion": "复核符合规划许可"},
            "in_review",
            9,
        ),
        ("clerk", "decide", {"decision": "approve", "reason": "联合验收合格"}, "decided", 10),
        ("clerk", "deliver", {"note": "统一窗口出件"}, "delivered", 11),
    ]
    for user, verb, step_body, status, version in steps:
        case = call(server, user, verb, cid, step_body).json
        assert (case["status"], case["version"]) == (status, version), (verb, case["status"], case["version"])
        if verb == "forward":
            assert {d["name"] for d in case["deadlines"]} >= {
                "decision",
                "department_review@DISTRICT-FIRE",
                "department_review@DISTRICT-PLAN",
            }
        if verb == "return":
            assert deadline(case, "department_review@DISTRICT-PLAN")["round"] == 2
            refused = call(
                server,
                "fire",
                "answer",
                cid,
                {"department": "DISTRICT-PLAN", "decision": "approve", "opinion": "代答"},
                expect=403,
            )
            assert refused.json["error"]["code"] == "forbidden"
            early = call(server, "clerk", "decide", cid, {"decision": "approve", "reason": "x"}, expect=409)
            assert early.json["error"]["code"] == "not_allowed_in_state"
    assert case["materials"] == ["联合验收申请表", "竣工图", "消防设施检测报告"] and case["missing"] == []
    assert [(d["unit"], d["decision"], d["returned"]) for d in case["departments"]] == [
        ("DISTRICT-FIRE", "approve", 0),
        ("DISTRICT-PLAN", "approve", 1),
    ]
    assert all(d["met_at"] or d["cancelled_at"] for d in case["deadlines"])
    assert not any(d["overdue"] or d["met_late"] for d in case["deadlines"])
    delivered = call(server, "fire", "deliver", cid, {}, expect=403)  # only the window delivers
    assert delivered.json["error"]["code"] == "forbidden"

    assert read(server, "inspector", f"/{cid}").json == case
    assert read(server, "water", f"/{cid}").status == 403
    events = read(server, "fire", f"/{cid}/history").json["events"]
    assert [e["type"] for e in events] == [
        "Submitted",
        "MaterialsRequested",
        "MaterialsSupplied",
        "Accepted",
        "Forwarded",
        "DepartmentAnswered",
        "DepartmentAnswered",
        "DepartmentReturned",
        "DepartmentAnswered",
        "Decided",
        "Delivered",
    ]
    assert [e["unit"] for e in events if e["type"] == "DepartmentAnswered"] == [
        "DISTRICT-FIRE",
        "DISTRICT-PLAN",
        "DISTRICT-PLAN",
    ]
    assert {e["actor"]["user"] for e in events if e["type"] != "DepartmentAnswered"} == {"clerk"}
    for user, seen in (("fire", True), ("plan", True), ("power", False)):
        listed = read(server, user, f"?q={tag}")
        assert listed.status == 200 and (cid in {i["id"] for i in listed.json["items"]}) is seen, user
    assert cid not in {i["id"] for i in server.get(f"/api/appeals?q={tag}", token=server.tokens["clerk"]).json["items"]}


def test_a_retried_answer_with_its_idempotency_key_is_recorded_once(server):
    body = {
        "profile": "licensing-law-2019",
        "matter": "general",
        "applicant": {"name": "某某餐饮"},
        "materials": ["申请书"],
        "departments": ["DISTRICT-FIRE"],
    }
    cid = call(server, "clerk", None, body=body, expect=201).json["id"]
    call(server, "clerk", "accept", cid)
    call(server, "clerk", "forward", cid)
    key = {"Idempotency-Key": f"answer-{uuid.uuid4()}"}
    opinion = {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "同意"}
    first = call(server, "fire", "answer", cid, opinion, **key)
    again = call(server, "fire", "answer", cid, opinion, **key)
    assert again.body == first.body and again.headers["Idempotent-Replayed"] == "true"
    plain = call(server, "fire", "answer", cid, opinion, expect=409)  # answered once in this round
    assert plain.json["error"]["code"] == "not_allowed_in_state"
    assert [e["type"] for e in read(server, "clerk", f"/{cid}/history").json["events"]] == [
        "Submitted",
        "Accepted",
        "Forwarded",
        "DepartmentAnswered",
    ]


# -- kept last: the sweep goes over every case of the server ----------------------------------------
def test_the_sweep_over_http_records_a_deemed_acceptance_once__licensing_law_art_32(server):
    """Submitted Mon 2026-09-28 and not told anything: the notice period (5 WD) ends with Sat 10-10 (a make-up
    working day); a sweep as of 10-12 09:00 records the application accepted as of its receipt."""
    body = {
        "profile": "licensing-law-2019",
        "matter": "general",
        "applicant": {"name": "某某商贸"},
        "materials": ["申请书"],
        "departments": ["DISTRICT-PLAN"],
        "occurred_at": "2026-09-28T10:00:00+08:00",
    }
    cid = call(server, "clerk", None, body=body, expect=201).json["id"]
    early = server.post("/api/deadlines/sweep", {"now": "2026-10-10T12:00:00+08:00"}, token=server.tokens["clerk"])
    assert early.status == 200 and cid not in {d["case_id"] for d in early.json["deemed_accepted"]}
    swept = server.post("/api/deadlines/sweep", {"now": "2026-10-12T09:00:00+08:00"}, token=server.tokens["clerk"])
    assert swept.status == 200, swept.json
    assert [d for d in swept.json["deemed_accepted"] if d["case_id"] == cid] == [
        {
            "case_id": cid,
            "seq": 2,
            "accepted_as_of": "2026-09-28T10:00:00+08:00",
            "notice_ended_at": "2026-10-11T00:00:00+08:00",
        }
    ]
    case = read(server, "plan", f"/{cid}").json
    assert (case["status"], case["deemed_accepted"], case["accepted_at"]) == (
        "accepted",
        True,
        "2026-09-28T10:00:00+08:00",
    )
    assert deadline(case, "decision")["due"] == "2026-10-30T23:59:59+08:00"
    repeat = server.post("/api/deadlines/sweep", {"now": "2026-10-12T09:00:00+08:00"}, token=server.tokens["clerk"])
    assert cid not in {d["case_id"] for d in repeat.json["deemed_accepted"]}
    assert read(server, "clerk", f"/{cid}").json["version"] == 2


def test_the_operators_dry_run_sweep_names_the_application_it_would_deem_accepted__art_32(server, tmp_path):
    """``caseledger deadlines sweep --dry-run``: the operator sees the deemed acceptance a sweep at that moment
    would record, and nothing is recorded."""
    body = {
        "profile": "licensing-law-2019",
        "matter": "general",
        "applicant": {"name": "某某物流"},
        "materials": ["申请书"],
        "departments": ["DISTRICT-FIRE"],
        "occurred_at": "2026-09-28T11:00:00+08:00",
    }
    cid = call(server, "clerk", None, body=body, expect=201).json["id"]
    out = run_cli(["deadlines", "sweep", "--dry-run", "--now", "2026-10-12T09:00:00"], server.env, tmp_path).stdout
    assert out.startswith("dry run, nothing recorded")
    assert f"deemed accepted\t{cid}\tas of 2026-09-28T11:00:00+08:00" in out
    assert read(server, "clerk", f"/{cid}").json["version"] == 1
