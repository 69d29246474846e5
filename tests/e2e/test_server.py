"""The real server over HTTP: ``caseledger serve`` (gunicorn, 2 workers) on SQLite and on PostgreSQL.

Units and users are made with the CLI (tests/e2e/server.py). One server per
database for the whole module; every test opens its own cases. Steps are
backfilled (``occurred_at``, platform and admin) to real 2026 dates so that
deadlines are asserted to the second; steps the unit user takes happen now.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from adapters.auth.login_log import SQLLoginLog
from adapters.auth.passwords import Argon2Hasher
from adapters.persistence.database import database_from_url
from adapters.persistence.side_tables import SideTables
from domain.directory.records import User
from domain.directory.service import DirectoryService
from tests.e2e.server import PASSWORD, cli_command, run_cli, running_server, scratch_postgres

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        with running_server(f"sqlite:///{tmp}/events.sqlite3", tmp) as s:
            assert s.get("/healthz").json["database"] == "sqlite"
            yield s
    else:
        with scratch_postgres() as url, running_server(url, tmp) as s:
            assert s.get("/healthz").json["database"] == "postgresql"
            yield s


# -- helpers --------------------------------------------------------------------------------
def post(server, user, path, body=None, **headers):
    return server.post(
        path, body if body is not None else {}, token=server.tokens[user] if user else None, headers=headers
    )


def get(server, user, path, **headers):
    return server.get(path, token=server.tokens[user] if user else None, headers=headers)


def command(server, user, case_id, verb, body=None, expect=200):
    response = post(server, user, f"/api/appeals/{case_id}/{verb}", body)
    assert response.status == expect, (user, verb, response.status, response.json)
    return response.json


def open_case(server, profile="zichuan-2020", at="2026-09-29T09:00:00+08:00", user="clerk", **fields):
    body = {
        "channel": "12345",
        "category": "help",
        "subject": "接电难",
        "content": "新厂房低压接电逾期未办",
        "enterprise": {"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C000000"},
        "contact": {"name": "王经理", "phone": "13800000000"},
        "profile": profile,
    } | fields
    if at:
        body["occurred_at"] = at
    response = post(server, user, "/api/appeals", body)
    assert response.status == 201, response.json
    return response.json


def forwarded_case(
    server,
    profile="zichuan-2020",
    received="2026-09-29T09:00:00+08:00",
    at="2026-09-29T10:00:00+08:00",
    unit="DISTRICT-POWER",
    **fields,
):
    case = open_case(server, profile, received, **fields)
    return command(server, "clerk", case["id"], "forward", {"unit": unit, "occurred_at": at})


def deadline(case, name, round_=None):
    found = [d for d in case["deadlines"] if d["name"] == name]
    assert found, (name, case["deadlines"])
    return found[-1] if round_ is None else next(d for d in found if d["round"] == round_)


def history(server, case_id, user="clerk"):
    response = get(server, user, f"/api/appeals/{case_id}/history")
    assert response.status == 200, response.json
    return response.json["events"]


def parse(ts: str) -> datetime:
    moment = datetime.fromisoformat(ts)
    assert moment.tzinfo is not None, ts
    return moment


def error_code(response) -> str:
    assert set(response.json) == {"error"} and {"code", "message"} <= set(response.json["error"]), response.json
    return response.json["error"]["code"]


# -- lifecycle ------------------------------------------------------------------------------
def test_complete_lifecycle_with_deadlines_and_history(server):
    """Zichuan (000 item 4): received Tue 2026-09-29 09:00, forwarded 10:00, through to closing."""
    case = open_case(server)
    cid = case["id"]
    assert case["status"] == "received" and case["version"] == 1 and case["profile"] == "zichuan-2020"
    assert case["unit"] is None and case["co_units"] == [] and case["returned_count"] == 0
    assert case["received_at"] == "2026-09-29T09:00:00+08:00" and case["case_no"].startswith("QY20260929-")
    report = deadline(case, "platform_report")
    assert report["due"] == "2026-10-09T12:00:00+08:00" and report["met_at"] is None
    assert report["overdue"] is True and report["provisional"] is False  # unmet, and now is past it
    assert [d["name"] for d in case["deadlines"]] == ["platform_report"]

    steps = [  # (user, verb, body, status, version)
        (
            "clerk",
            "forward",
            {"unit": "DISTRICT-POWER", "note": "请核实", "occurred_at": "2026-09-29T10:00:00+08:00"},
            "forwarded",
            2,
        ),
        ("ops", "acknowledge", {"occurred_at": "2026-09-30T09:00:00+08:00"}, "acknowledged", 3),
        (
            "ops",
            "answer",
            {"kind": "initial", "content": "已核实，正在协调", "occurred_at": "2026-09-30T15:00:00+08:00"},
            "acknowledged",
            4,
        ),
        (
            "ops",
            "answer",
            {"kind": "final", "content": "已完成接电", "occurred_at": "2026-10-09T09:00:00+08:00"},
            "answered",
            5,
        ),
        (
            "clerk",
            "review",
            {"accepted": True, "note": "同意", "occurred_at": "2026-10-09T11:00:00+08:00"},
            "reviewed",
            6,
        ),
        (
            "clerk",
            "visit",
            {"satisfaction": "very_satisfied", "solved": True, "occurred_at": "2026-10-12T10:00:00+08:00"},
            "visited",
            7,
        ),
        ("clerk", "close", {"occurred_at": "2026-10-12T11:00:00+08:00", "expected_version": 7}, "closed", 8),
    ]
    seen = {}
    for user, verb, body, status, version in steps:
        case = command(server, user, cid, verb, body)
        assert (case["status"], case["version"]) == (status, version), (verb, case["status"], case["version"])
        assert case["updated_at"] == body["occurred_at"]
        seen[verb if verb != "answer" else f"answer-{body['kind']}"] = case
        if verb == "forward":
            assert case["unit"] == "DISTRICT-POWER"
            reply = deadline(case, "unit_reply")
            assert reply["due"] == "2026-10-08T23:59:59+08:00" and reply["round"] == 1
            assert reply["started_at"] == "2026-09-29T10:00:00+08:00" and reply["met_at"] is None
            assert reply["overdue"] is True and reply["provisional"] is False

    reply = deadline(seen["answer-initial"], "unit_reply")
    assert reply["met_at"] == "2026-09-30T15:00:00+08:00" and reply["overdue"] is False and reply["met_late"] is False
    assert deadline(seen["answer-final"], "platform_report")["met_at"] is None
    report = deadline(seen["review"], "platform_report")
    assert report["due"] == "2026-10-09T12:00:00+08:00" and report["met_at"] == "2026-10-09T11:00:00+08:00"
    assert report["overdue"] is False and report["provisional"] is False

    assert case["satisfaction"] == "very_satisfied" and case["solved"] is True
    assert case["closed_at"] == "2026-10-12T11:00:00+08:00" and case["returned_count"] == 0
    assert {d["name"]: (d["met_at"], d["overdue"]) for d in case["deadlines"]} == {
        "platform_report": ("2026-10-09T11:00:00+08:00", False),
        "unit_reply": ("2026-09-30T15:00:00+08:00", False),
    }
    again = get(server, "inspector", f"/api/appeals/{cid}")
    # The read adds the likely repeats (none for a closed case), which commands do not look up.
    assert again.status == 200 and again.json.pop("suggested_repeats") == [] and again.json == case

    events = history(server, cid, user="auditor")
    assert [e["seq"] for e in events] == list(range(1, 9))
    assert [e["type"] for e in events] == [
        "Received",
        "Forwarded",
        "Acknowledged",
        "Answered",
        "Answered",
        "Reviewed",
        "Visited",
        "Closed",
    ]
    expected_occurred = ["2026-09-29T09:00:00+08:00"] + [body["occurred_at"] for _, _, body, _, _ in steps]
    assert [e["occurred_at"] for e in events] == expected_occurred
    users = {
        "clerk": {"user": "clerk", "role": "platform", "unit": None},
        "ops": {"user": "ops", "role": "admin", "unit": None},
    }
    assert [e["actor"] for e in events] == [users["clerk"]] + [users[u] for u, *_ in steps]
    assert all(e["unit"] is None and e["backfilled"] is True for e in events)
    recorded = [parse(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert all(r > parse(e["occurred_at"]) for r, e in zip(recorded, events))
    assert abs(datetime.now(UTC) - recorded[-1]) < timedelta(minutes=5)
    assert events[1]["data"]["unit"] == "DISTRICT-POWER" and events[1]["data"]["note"] == "请核实"
    assert events[3]["data"]["kind"] == "initial" and events[4]["data"]["kind"] == "final"
    assert events[6]["data"]["satisfaction"] == "very_satisfied"


# -- redo, extension, hand-back ---------------------------------------------------------------
def test_redo_loop_with_the_unit_user(server):
    """Two rejections by review: each returns the case and starts a new unit_reply round."""
    cid = forwarded_case(server)["id"]
    case = command(server, "power", cid, "acknowledge")
    assert case["status"] == "acknowledged" and case["version"] == 3
    for rejection in (1, 2):
        case = command(server, "power", cid, "answer", {"kind": "final", "content": f"第{rejection}次答复"})
        assert case["status"] == "answered"
        case = command(server, "clerk", cid, "review", {"accepted": False, "note": "未解决实际问题"})
        assert case["status"] == "returned" and case["returned_count"] == rejection
        rounds = [d for d in case["deadlines"] if d["name"] == "unit_reply"]
        assert [d["round"] for d in rounds] == list(range(1, rejection + 2))
        assert rounds[-1]["met_at"] is None and rounds[-1]["provisional"] is False
        assert rounds[-2]["met_at"] is not None
        assert deadline(case, "platform_report")["met_at"] is None
    # Received, Forwarded, Acknowledged, 2 x (Answered, Reviewed, Returned), and after the first answer
    # the DeadlineMissed that records round 1 as met late (it came long after 2026-10-08 24:00).
    assert case["version"] == 10
    first = deadline(case, "unit_reply", 1)
    # Answered now, long after 2026-10-08 24:00: met, but late.
    assert first["due"] == "2026-10-08T23:59:59+08:00" and first["overdue"] is True and first["met_late"] is True
    case = command(server, "power", cid, "answer", {"kind": "final", "content": "第3次答复"})
    case = command(server, "clerk", cid, "review", {"accepted": True})
    # The accepting review meets the platform's report late (due 2026-10-09 12:00): recorded too.
    assert case["status"] == "reviewed" and case["returned_count"] == 2 and case["version"] == 13
    assert deadline(case, "unit_reply", 3)["met_at"] is not None
    assert deadline(case, "platform_report")["met_at"] is not None

    events = history(server, cid, user="power")
    assert [e["type"] for e in events] == ["Received", "Forwarded", "Acknowledged", "Answered", "DeadlineMissed"] + [
        "Reviewed",
        "Returned",
        "Answered",
        "Reviewed",
        "Returned",
        "Answered",
        "Reviewed",
        "DeadlineMissed",
    ]
    assert [e["seq"] for e in events] == list(range(1, 14))
    late = [e["data"] for e in events if e["type"] == "DeadlineMissed"]
    assert [(m["deadline"], m["round"], m["found_by"], m["met_seq"]) for m in late] == [
        ("unit_reply", 1, "late_meet", 4),
        ("platform_report", 1, "late_meet", 12),
    ]
    power = {"user": "power", "role": "unit", "unit": "DISTRICT-POWER"}
    for e in events:
        if e["type"] in ("Acknowledged", "Answered"):
            assert e["actor"] == power and e["unit"] == "DISTRICT-POWER" and e["backfilled"] is False
            assert e["occurred_at"] == e["recorded_at"]
    returned = [e for e in events if e["type"] == "Returned"]
    assert all(e["data"]["cause"] == "review_rejected" and e["actor"]["user"] == "clerk" for e in returned)
    assert [e["data"]["accepted"] for e in events if e["type"] == "Reviewed"] == [False, False, True]


def test_liaocheng_extension_to_the_30_working_day_cap(server):
    """002 item 53: forwarded Wed 2026-09-30 16:00, resolution in 15 WD (Oct 27), extended by 15 WD (Nov 17)."""
    case = forwarded_case(
        server,
        "liaocheng-2020",
        received="2026-09-30T15:00:00+08:00",
        at="2026-09-30T16:00:00+08:00",
        channel="enterprise_express",
    )
    cid = case["id"]
    resolution = deadline(case, "resolution")
    assert resolution["due"] == "2026-10-27T23:59:59+08:00" and resolution["extended"] == 0
    assert resolution["length"] == 15 and resolution["provisional"] is False
    case = command(
        server,
        "clerk",
        cid,
        "extend",
        {"working_days": 15, "reason": "涉及多部门协调", "occurred_at": "2026-10-12T10:00:00+08:00"},
    )
    resolution = deadline(case, "resolution")
    assert resolution["due"] == "2026-11-17T23:59:59+08:00" and resolution["extended"] == 15
    assert case["version"] == 3 and case["status"] == "forwarded"
    # The cap is reached: the unit's own request for one more day is refused, and nothing is recorded.
    refused = post(server, "power", f"/api/appeals/{cid}/extend", {"working_days": 1, "reason": "仍需时间"})
    assert refused.status == 422 and error_code(refused) == "validation_failed"
    assert "working_days" in refused.json["error"]["fields"]
    events = history(server, cid)
    assert [e["type"] for e in events] == ["Received", "Forwarded", "Extended"]
    assert events[2]["data"] == {"deadline": "resolution", "working_days": 15, "reason": "涉及多部门协调"}
    assert events[2]["actor"] == {"user": "clerk", "role": "platform", "unit": None}
    # Zichuan allows no extension at all.
    zichuan = forwarded_case(server)["id"]
    refused = post(server, "power", f"/api/appeals/{zichuan}/extend", {"working_days": 1, "reason": "复杂"})
    assert refused.status == 409 and error_code(refused) == "not_allowed_in_state"


def test_handback_and_reforward_to_another_unit(server):
    cid = forwarded_case(server)["id"]
    command(server, "power", cid, "acknowledge")
    case = command(server, "power", cid, "handback", {"reason": "非本单位职责，应由水务部门办理"})
    assert case["status"] == "handback_requested" and case["version"] == 4 and case["unit"] == "DISTRICT-POWER"
    # Only the platform forwards; the unit cannot pick the next unit itself.
    refused = post(server, "power", f"/api/appeals/{cid}/forward", {"unit": "DISTRICT-WATER"})
    assert refused.status == 403 and error_code(refused) == "forbidden"
    # 改派 is the platform's ruling on the hand-back (派单异议审核), in one act.
    case = command(
        server,
        "clerk",
        cid,
        "rule-handback",
        {"upheld": True, "note": "同意退单。", "unit": "DISTRICT-WATER", "expected_version": 4},
    )
    assert case["status"] == "forwarded" and case["unit"] == "DISTRICT-WATER" and case["version"] == 6
    rounds = [d for d in case["deadlines"] if d["name"] == "unit_reply"]
    assert [d["round"] for d in rounds] == [1, 2]
    assert rounds[0]["cancelled_at"] is not None and rounds[1]["cancelled_at"] is None
    assert rounds[1]["met_at"] is None

    for verb, body in (
        ("acknowledge", {}),
        ("answer", {"kind": "initial", "content": "x"}),
        ("handback", {"reason": "again"}),
    ):
        refused = post(server, "power", f"/api/appeals/{cid}/{verb}", body)
        assert refused.status == 403 and error_code(refused) == "forbidden", (verb, refused.json)
    assert get(server, "power", f"/api/appeals/{cid}").status == 403
    case = command(server, "water", cid, "acknowledge")
    assert case["status"] == "acknowledged" and case["version"] == 7

    events = history(server, cid, user="water")
    assert [e["type"] for e in events] == [
        "Received",
        "Forwarded",
        "Acknowledged",
        "HandbackRequested",
        "HandbackRuled",
        "Forwarded",
        "Acknowledged",
    ]
    assert events[3]["actor"] == {"user": "power", "role": "unit", "unit": "DISTRICT-POWER"}
    assert events[3]["data"]["reason"] == "非本单位职责，应由水务部门办理"
    assert events[4]["data"]["upheld"] is True and events[5]["data"]["unit"] == "DISTRICT-WATER"
    assert events[6]["unit"] == "DISTRICT-WATER"


# -- idempotency and races --------------------------------------------------------------------
def test_idempotency_key_replays_the_first_response(server):
    cid = forwarded_case(server)["id"]
    key = {"Idempotency-Key": f"ack-{uuid.uuid4()}"}
    first = post(server, "power", f"/api/appeals/{cid}/acknowledge", {}, **key)
    assert first.status == 200 and first.json["version"] == 3
    assert first.headers.get("Idempotent-Replayed") is None
    before = history(server, cid)
    again = post(server, "power", f"/api/appeals/{cid}/acknowledge", {}, **key)
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.body == first.body  # byte for byte, though a fresh acknowledge would now be a 409
    assert history(server, cid) == before
    reused = post(server, "power", f"/api/appeals/{cid}/acknowledge", {"expected_version": 3}, **key)
    assert reused.status == 422 and error_code(reused) == "idempotency_key_reused"
    assert history(server, cid) == before
    plain = post(server, "power", f"/api/appeals/{cid}/acknowledge")
    assert plain.status == 409 and error_code(plain) == "not_allowed_in_state"

    body = {
        "channel": "12345",
        "category": "consultation",
        "subject": "政策咨询",
        "content": "稳岗补贴如何申请",
        "enterprise": {"name": "某某科技"},
        "profile": "zichuan-2020",
    }
    key = {"Idempotency-Key": f"open-{uuid.uuid4()}"}
    created = post(server, "clerk", "/api/appeals", body, **key)
    replay = post(server, "clerk", "/api/appeals", body, **key)
    assert created.status == replay.status == 201 and replay.body == created.body
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert len(history(server, created.json["id"])) == 1
    other = post(server, "clerk", "/api/appeals", body | {"subject": "另一件事"}, **key)
    assert other.status == 422 and error_code(other) == "idempotency_key_reused"


RACES = {
    "acknowledge-vs-acknowledge": (("power", "acknowledge", {}), ("power", "acknowledge", {})),
    "handback-vs-acknowledge": (("power", "handback", {"reason": "非本单位职责"}), ("power", "acknowledge", {})),
    "escalate-vs-acknowledge": (("super", "escalate", {"reason": "督办"}), ("power", "acknowledge", {})),
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_two_racing_commands_one_wins_one_conflicts(server, race):
    for _ in range(3):  # a few rounds, so the two requests really overlap in most of them
        cid = forwarded_case(server)["id"]
        before = len(history(server, cid))
        barrier, results = threading.Barrier(2), [None, None]

        def run(i, user, verb, body, barrier=barrier, results=results, cid=cid):
            barrier.wait()
            results[i] = post(server, user, f"/api/appeals/{cid}/{verb}", body | {"expected_version": 2})

        threads = [threading.Thread(target=run, args=(i, *spec)) for i, spec in enumerate(RACES[race])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status for r in results)
        assert statuses == [200, 409], [(r.status, r.json) for r in results]
        loser = next(r for r in results if r.status == 409)
        assert error_code(loser) in ("version_conflict", "not_allowed_in_state")
        winner = next(r for r in results if r.status == 200)
        assert winner.json["version"] == 3
        events = history(server, cid)
        assert len(events) == before + 1 and [e["seq"] for e in events] == [1, 2, 3]
        now = get(server, "clerk", f"/api/appeals/{cid}").json
        assert (now["version"], now["status"]) == (3, winner.json["status"])


# -- logins ---------------------------------------------------------------------------------
def test_sixteen_parallel_logins_of_one_user_all_succeed(server, tmp_path):
    """Logins are rows of the login log, not events of the user: none conflicts with another, and the
    user's record does not grow with them."""
    name = f"many{uuid.uuid4().hex[:8]}"
    run_cli(["user", "add", name, "--role", "platform"], server.env, tmp_path, PASSWORD + "\n")
    barrier, results = threading.Barrier(16), [None] * 16

    def sign_in(i):
        barrier.wait()
        results[i] = server.post("/api/auth/token", {"username": name, "password": PASSWORD})

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status for r in results] == [200] * 16, [(r.status, r.json) for r in results if r.status != 200]
    assert all(
        get(server, None, "/api/units", Authorization=f"Bearer {r.json['token']}").status == 200 for r in results[:3]
    )
    database = database_from_url(server.env["CASELEDGER_DATABASE_URL"])
    tables = SideTables(database)  # the directory alone: a whole container would take a dozen connections
    directory = DirectoryService(database.env, hasher=Argon2Hasher(), logins=SQLLoginLog(tables))
    try:
        events = list(directory.repository.event_store.get(User.create_id(name)))
        attempts = directory.logins.latest(name, datetime.now(UTC) - timedelta(hours=1), 100)
    finally:
        directory.close()
        tables.close()
    assert [type(e).__name__ for e in events] == ["Registered"]
    assert len(attempts) == 16 and all(a.succeeded and a.token_id for a in attempts)


def test_unknown_and_known_names_are_locked_out_alike(server, tmp_path):
    known, unknown = f"lock{uuid.uuid4().hex[:8]}", f"ghost{uuid.uuid4().hex[:8]}"
    run_cli(["user", "add", known, "--role", "platform"], server.env, tmp_path, PASSWORD + "\n")
    for name in (known, unknown):
        statuses = [
            server.post("/api/auth/token", {"username": name, "password": "guessing-wrong"}).status for _ in range(5)
        ]
        locked = server.post("/api/auth/token", {"username": name, "password": PASSWORD})
        assert statuses == [401] * 5 and locked.status == 429, (name, statuses, locked.status)
        assert 890 <= int(locked.headers["Retry-After"]) <= 900 and error_code(locked) == "too_many_attempts"


# -- queries and access ---------------------------------------------------------------------
def test_as_of_returns_the_earlier_state(server):
    cid = forwarded_case(server)["id"]
    command(server, "ops", cid, "acknowledge", {"occurred_at": "2026-09-30T09:00:00+08:00"})

    def as_of(ts):
        return get(server, "clerk", f"/api/appeals/{cid}?as_of={quote(ts)}")

    then = as_of("2026-09-29T09:30:00+08:00")
    assert then.status == 200, then.json
    assert (then.json["status"], then.json["version"], then.json["unit"]) == ("received", 1, None)
    assert then.json["as_of"] == "2026-09-29T09:30:00+08:00"
    assert [(d["name"], d["overdue"]) for d in then.json["deadlines"]] == [("platform_report", False)]
    later = as_of("2026-09-29T12:00:00")  # no offset: Asia/Shanghai
    assert (later.json["status"], later.json["version"], later.json["unit"]) == ("forwarded", 2, "DISTRICT-POWER")
    assert later.json["as_of"] == "2026-09-29T12:00:00+08:00"
    assert deadline(later.json, "unit_reply")["overdue"] is False
    in_utc = as_of("2026-09-30T01:00:00Z")  # = 09:00 in Shanghai: the acknowledgement has occurred
    assert (in_utc.json["status"], in_utc.json["version"]) == ("acknowledged", 3)
    now = get(server, "clerk", f"/api/appeals/{cid}").json
    assert now["status"] == "acknowledged" and now["as_of"] is None
    assert as_of("2026-09-29T08:59:59+08:00").status == 404
    assert as_of("not-a-time").status == 422


def test_units_see_only_their_cases_and_roles_are_enforced(server):
    cid = forwarded_case(server)["id"]
    before = history(server, cid)
    for path in (f"/api/appeals/{cid}", f"/api/appeals/{cid}/history"):
        refused = get(server, "water", path)
        assert refused.status == 403 and error_code(refused) == "forbidden"
        assert get(server, "power", path).status == 200
        assert get(server, "inspector", path).status == 200
        anonymous = get(server, None, path)
        assert anonymous.status == 401 and error_code(anonymous) == "unauthorized"
        assert "Bearer" in anonymous.headers.get("WWW-Authenticate", "")
        forged = server.get(path, token="not-a-real-token")
        assert forged.status == 401
    assert post(server, None, f"/api/appeals/{cid}/acknowledge").status == 401
    for user, verb, body in (
        ("inspector", "acknowledge", {}),
        ("inspector", "escalate", {"reason": "x"}),
        ("inspector", "forward", {"unit": "DISTRICT-GRID"}),
        ("auditor", "close", {}),
        ("water", "acknowledge", {}),
        ("super", "acknowledge", {}),
    ):
        refused = post(server, user, f"/api/appeals/{cid}/{verb}", body)
        assert refused.status == 403 and error_code(refused) == "forbidden", (user, verb, refused.json)
    opened = post(
        server,
        "inspector",
        "/api/appeals",
        {
            "channel": "12345",
            "category": "help",
            "subject": "s",
            "content": "c",
            "enterprise": {"name": "E"},
            "profile": "zichuan-2020",
        },
    )
    assert opened.status == 403
    assert history(server, cid) == before
    assert get(server, "clerk", "/api/appeals/00000000-0000-0000-0000-000000000000").status == 404


def test_cli_refuses_a_future_sweep_and_its_dry_run_records_nothing(server, tmp_path):
    """docs/http-api.md *Deadlines*: ``deadlines sweep --now`` later than now is refused; ``--dry-run``
    prints what a sweep then would record, and records nothing."""
    case = forwarded_case(server, received="2026-09-29T09:00:00+08:00", at="2026-09-29T10:00:00+08:00")
    before = history(server, case["id"])
    refused = subprocess.run(
        [*cli_command(), "deadlines", "sweep", "--now", "2099-01-01T00:00:00"],
        env=server.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "now: must not be later than the current time" in refused.stderr
    drill = run_cli(["deadlines", "sweep", "--dry-run", "--now", "2099-01-01T00:00:00"], server.env, tmp_path).stdout
    assert drill.startswith("dry run, nothing recorded") and case["id"] in drill and "unit_reply#1" in drill
    assert history(server, case["id"]) == before


# -- the deadline watch, as operators run it (kept last: it sweeps every case of the server) ---------
def test_cli_sweep_then_the_watch_process_records_missed_deadlines_once(server, tmp_path):
    """docs/http-api.md *Deadlines*: ``caseledger deadlines sweep --now`` records the miss (000 item 4: 督办通知);
    ``caseledger deadlines watch`` runs as its own process and records what passed since, once."""
    swept = forwarded_case(server, received="2026-09-29T09:00:00+08:00", at="2026-09-29T10:00:00+08:00")
    out = run_cli(["deadlines", "sweep", "--now", "2026-10-09T00:00:00"], server.env, tmp_path).stdout
    assert swept["id"] in out and "unit_reply#1" in out and "zichuan-2020/unit_reply" in out
    after = get(server, "clerk", f"/api/appeals/{swept['id']}").json
    assert after["escalation"] == "supervision_notice" and deadline(after, "unit_reply")["missed_seq"]
    watched = forwarded_case(server, received="2026-11-02T09:00:00+08:00", at="2026-11-02T10:00:00+08:00")
    watch = subprocess.Popen(
        [*cli_command(), "deadlines", "watch", "--interval", "0.5"],
        env=server.env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline_at = time.monotonic() + 30
        while time.monotonic() < deadline_at:
            events = [e["type"] for e in history(server, watched["id"])]
            if "DeadlineMissed" in events:
                break
            time.sleep(0.3)
        time.sleep(1.5)  # a few more sweeps: none may record it again
    finally:
        watch.terminate()
        watch.wait(timeout=15)
    events = [e["type"] for e in history(server, watched["id"])]
    assert events.count("DeadlineMissed") == 2  # unit reply and platform report, each once
    assert events.count("Escalated") == 1
    assert [e["type"] for e in history(server, swept["id"])].count("DeadlineMissed") == 2
