"""docs/http-api.md *Roles*: the whole role x command matrix over HTTP, and unit scoping of reads."""

from __future__ import annotations

import pytest

# command: (path, body, roles allowed) — each run on a case in a state that allows the command.
MATRIX = {
    "forward": ("forward", {"unit": "DISTRICT-POWER"}, {"clerk", "ops"}),
    "acknowledge": ("acknowledge", {}, {"power", "ops"}),
    "answer": ("answer", {"kind": "initial", "content": "已受理"}, {"power", "ops"}),
    "review": ("review", {"accepted": True}, {"clerk", "ops"}),
    "return": ("return", {"reason": "不满意"}, {"clerk", "ops"}),
    "escalate": ("escalate", {"reason": "超期"}, {"super", "clerk", "ops"}),
    "extend": ("extend", {"working_days": 2, "reason": "复杂"}, {"power", "clerk", "ops"}),
    "handback": ("handback", {"reason": "非本单位职责"}, {"power", "ops"}),
    "visit": ("visit", {"satisfaction": "satisfied", "solved": True}, {"clerk", "ops"}),
    "close": ("close", {}, {"clerk", "ops"}),
}
READY = {  # the steps (user, path, body) that bring a new case to a state where the command is allowed
    "forward": [],
    "review": [("power", "answer", {"kind": "final", "content": "已办结"})],
    "return": [("power", "answer", {"kind": "final", "content": "已办结"})],
    "visit": [("power", "answer", {"kind": "final", "content": "已办结"}), ("clerk", "review", {"accepted": True})],
    "close": [("power", "answer", {"kind": "final", "content": "已办结"}), ("clerk", "review", {"accepted": True})],
}
USERS = ["clerk", "super", "inspector", "auditor", "ops", "power", "water"]


def case_ready_for(api, command: str) -> str:
    case = api.open("liaocheng-2020")
    if command != "forward":
        api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER"})
    for user, path, body in READY.get(command, []):
        assert api.post(f"/api/appeals/{case['id']}/{path}", body, user=user).status_code == 200
    return case["id"]


@pytest.mark.parametrize("command", sorted(MATRIX))
def test_each_role_may_run_exactly_its_commands(api, command):
    path, body, allowed = MATRIX[command]
    for user in USERS:
        case_id = case_ready_for(api, command)
        before = api.store()
        response = api.post(f"/api/appeals/{case_id}/{path}", body, user=user)
        if user in allowed:
            assert response.status_code == 200, (user, command, response.json)
        else:
            assert response.status_code == 403, (user, command, response.json)
            assert response.json["error"]["code"] == "forbidden"
            assert api.store() == before


def test_only_the_platform_and_admins_open_appeals(api):
    body = {
        "channel": "12345",
        "category": "help",
        "subject": "s",
        "content": "c",
        "enterprise": {"name": "E"},
        "profile": "zichuan-2020",
    }
    assert {u: api.post("/api/appeals", body, user=u).status_code for u in USERS} == {
        "clerk": 201,
        "ops": 201,
        "super": 403,
        "inspector": 403,
        "auditor": 403,
        "power": 403,
        "water": 403,
    }


def test_a_unit_reads_only_cases_it_leads_or_co_handles(api):
    case = api.open()
    api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-GRID"]})
    for user, status in (
        ("power", 200),
        ("grid", 200),
        ("water", 403),
        ("inspector", 200),
        ("auditor", 200),
        ("super", 200),
    ):
        assert api.get(f"/api/appeals/{case['id']}", user=user).status_code == status, user
        assert api.get(f"/api/appeals/{case['id']}/history", user=user).status_code == status, user


def test_a_co_handling_unit_reads_but_does_not_answer_for_the_lead(api):
    case = api.open()
    api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-GRID"]})
    response = api.post(f"/api/appeals/{case['id']}/answer", {"kind": "initial", "content": "x"}, user="grid")
    assert response.status_code == 403


def test_another_units_case_as_of_before_it_existed_is_403_not_404(api):
    """Permissions before facts: a unit learns nothing of a case it is not on — not even when it began."""
    case = api.open(occurred_at="2026-09-29T09:00:00+08:00")
    api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER"})
    for url in (
        f"/api/appeals/{case['id']}?as_of=2026-01-01T00:00:00%2B08:00",
        f"/api/appeals/{case['id']}",
        f"/api/appeals/{case['id']}/history",
    ):
        assert api.get(url, user="water").status_code == 403, url
    assert api.get(f"/api/appeals/{case['id']}?as_of=2026-01-01T00:00:00%2B08:00", user="power").status_code == 404


def test_a_co_handling_unit_with_a_stale_version_on_a_lead_command_gets_403_not_409(api):
    case = api.open(occurred_at="2026-09-29T09:00:00+08:00")
    api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-WATER"]})
    before = api.store()
    for path, body in (
        ("answer", {"kind": "final", "content": "代答"}),
        ("acknowledge", {}),
        ("extend", {"working_days": 1, "reason": "x"}),
        ("handback", {"reason": "x"}),
    ):
        response = api.post(f"/api/appeals/{case['id']}/{path}", {**body, "expected_version": 1}, user="water")
        assert response.status_code == 403, (path, response.json)
    assert api.store() == before


def test_a_co_handling_unit_records_its_opinion_over_http(api):
    """docs/http-api.md ``co-opinion``: shown in the case and its history; only a co-handling unit (others 403)."""
    case = api.open(occurred_at="2026-09-29T09:00:00+08:00")
    api.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER", "co_units": ["DISTRICT-WATER"]})
    before = api.store()
    for user in ("power", "grid", "clerk", "ops", "inspector"):
        refused = api.post(f"/api/appeals/{case['id']}/co-opinion", {"content": "意见"}, user=user)
        assert refused.status_code == 403, user
    assert api.store() == before
    given = api.post(f"/api/appeals/{case['id']}/co-opinion", {"content": "水务管网已核查"}, user="water")
    assert given.status_code == 200, given.json
    assert [(o["unit"], o["content"]) for o in given.json["co_opinions"]] == [("DISTRICT-WATER", "水务管网已核查")]
    events = api.get(f"/api/appeals/{case['id']}/history", user="power").json["events"]
    assert (events[-1]["type"], events[-1]["unit"]) == ("CoOpinionGiven", "DISTRICT-WATER")
    assert api.post(f"/api/appeals/{case['id']}/co-opinion", {"content": " "}, user="water").status_code == 422
