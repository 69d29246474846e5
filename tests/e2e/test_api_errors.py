"""Bad input gets the error shape of docs/http-api.md and the right status, never a 500, and records nothing."""

from __future__ import annotations

import pytest

CASE_PATHS = (
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


@pytest.fixture
def case(api):
    opened = api.open(occurred_at="2026-09-29T09:00:00+08:00")
    return api.post(
        f"/api/appeals/{opened['id']}/forward", {"unit": "DISTRICT-POWER", "occurred_at": "2026-09-29T10:00:00+08:00"}
    ).json


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert body["error"]["message"]
    return body["error"]


BAD_REQUESTS = [
    # (name, method path, body or raw, expected status, expected field)
    ("malformed JSON", "forward", b'{"unit": "DISTRICT-POWER"', 400, None),
    ("JSON that is not an object", "forward", b'["DISTRICT-POWER"]', 422, None),
    ("wrong type", "forward", {"unit": 42}, 422, "unit"),
    ("wrong type in a list", "forward", {"unit": "DISTRICT-POWER", "co_units": "DISTRICT-WATER"}, 422, "co_units"),
    ("missing field", "answer", {"kind": "final"}, 422, "content"),
    ("unknown field", "escalate", {"reason": "late", "colour": "red"}, 422, "colour"),
    ("level off the ladder", "escalate", {"reason": "late", "level": 2}, 422, "level"),
    ("level of a wrong type", "escalate", {"reason": "late", "level": [1]}, 422, "level"),
    ("unknown unit", "forward", {"unit": "NO-SUCH-UNIT"}, 422, "unit"),
    ("unknown co-unit", "forward", {"unit": "DISTRICT-POWER", "co_units": ["NOPE"]}, 422, "co_units"),
    ("bad enum", "visit", {"satisfaction": "thrilled"}, 422, "satisfaction"),
    ("bad timestamp", "acknowledge", {"occurred_at": "yesterday"}, 422, "occurred_at"),
    ("string version", "acknowledge", {"expected_version": "two"}, 422, "expected_version"),
    ("out of state", "close", {}, 409, None),
    ("version conflict", "escalate", {"reason": "late", "expected_version": 1}, 409, None),
    ("extension beyond the profile", "extend", {"working_days": 3, "reason": "复杂"}, 409, None),
    (
        "backfill in the future",
        "escalate",
        {"reason": "late", "occurred_at": "2099-01-01T00:00:00+08:00"},
        422,
        "occurred_at",
    ),
    (
        "backfill before the last event",
        "escalate",
        {"reason": "late", "occurred_at": "2026-09-29T09:30:00+08:00"},
        422,
        "occurred_at",
    ),
]


@pytest.mark.parametrize(("name", "path", "body", "status", "field"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_command_is_refused_with_its_status_and_the_store_is_unchanged(api, case, name, path, body, status, field):
    before = api.store()
    url = f"/api/appeals/{case['id']}/{path}"
    if isinstance(body, bytes):
        response = api.client.post(url, data=body, content_type="application/json", headers=api.headers("clerk"))
    else:
        response = api.post(url, body, user="ops" if path in ("visit", "answer", "acknowledge", "extend") else "clerk")
    error = error_of(response, status)
    if field:
        assert field in error["fields"], error
    assert api.store() == before


def test_oversized_body_is_413_and_records_nothing(api, case):
    before = api.store()
    huge = b'{"reason": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    response = api.client.post(
        f"/api/appeals/{case['id']}/escalate", data=huge, content_type="application/json", headers=api.headers("super")
    )
    assert error_of(response, 413)["code"] == "too_large"
    assert api.store() == before


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("profile", "beijing-2019", 422),
        ("category", "gossip", 422),
        ("tier", "urgent", 422),  # zichuan has no tiers
        ("enterprise", {"credit_code": "x"}, 422),
        ("subject", "", 422),
        ("occurred_at", "2099-01-01T00:00:00+08:00", 422),
    ],
)
def test_bad_new_appeal_is_refused_and_nothing_recorded(api, field, value, status):
    before = api.store()
    body = {
        "channel": "12345",
        "category": "help",
        "subject": "s",
        "content": "c",
        "enterprise": {"name": "E"},
        "profile": "zichuan-2020",
        field: value,
    }
    error = error_of(api.post("/api/appeals", body), status)
    assert any(k == field or k.startswith(f"{field}.") for k in error["fields"]), error
    assert api.store() == before


def test_unknown_case_is_404_and_a_bad_id_is_404(api):
    assert error_of(api.get("/api/appeals/00000000-0000-0000-0000-000000000000"), 404)["code"] == "not_found"
    assert error_of(api.post("/api/appeals/00000000-0000-0000-0000-000000000000/close"), 404)
    assert error_of(api.get("/api/appeals/not-a-uuid"), 404)


def test_missing_and_bad_tokens_are_401(api, case):
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic Y2xlcms6eA=="}):
        response = api.client.get(f"/api/appeals/{case['id']}", headers=headers)
        assert error_of(response, 401)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "1900-01-01T00:00:00", "1999-12-31T23:59:59+08:00"]
)
def test_implausibly_early_occurrence_is_refused_and_nothing_recorded(api, moment):
    """A case backfilled to before any scheme existed would break every deadline computed from it."""
    before = api.store()
    body = {
        "channel": "12345",
        "category": "help",
        "subject": "s",
        "content": "c",
        "enterprise": {"name": "E"},
        "profile": "zichuan-2020",
        "occurred_at": moment,
    }
    error = error_of(api.post("/api/appeals", body), 422)
    assert "occurred_at" in error["fields"]
    assert api.store() == before


def test_as_of_out_of_range_is_422_not_500(api, case):
    response = api.get(f"/api/appeals/{case['id']}?as_of=9999-12-31T23:59:59-12:00")
    assert error_of(response, 422)["fields"].keys() == {"as_of"}


def test_ledger_period_out_of_range_is_422_not_500(api):
    assert error_of(api.get("/api/units/DISTRICT-POWER/ledger?period=0000-01"), 422)


@pytest.mark.parametrize(
    ("name", "path", "body", "field"),
    [
        ("NUL in a text field", "answer", {"kind": "final", "content": "已\u0000办结"}, "content"),
        ("lone surrogate in a text field", "answer", {"kind": "final", "content": "已\ud800办结"}, "content"),
        ("NUL in a nested text field", None, {"enterprise": {"name": "某\u0000公司"}}, "enterprise.name"),
        ("lone low surrogate in a reason", "return", {"reason": "\udc00"}, "reason"),
    ],
)
def test_text_refuses_nul_and_lone_surrogates_naming_the_field(api, case, name, path, body, field):
    """docs/http-api.md *Errors*: 422 naming the field, and nothing recorded."""
    before = api.store()
    if path is None:
        raw = (
            b'{"channel": "12345", "category": "help", "subject": "s", "content": "c", "profile": "zichuan-2020", '
            b'"enterprise": {"name": "\\u67d0\\u0000"}}'
        )
        response = api.client.post(
            "/api/appeals", data=raw, content_type="application/json", headers=api.headers("clerk")
        )
    else:
        import json

        raw = json.dumps(body).encode()  # \u escapes: the surrogate reaches the server as JSON allows
        response = api.client.post(
            f"/api/appeals/{case['id']}/{path}", data=raw, content_type="application/json", headers=api.headers("ops")
        )
    error = error_of(response, 422)
    assert field in error["fields"], error
    assert api.store() == before


def test_json_nested_too_deep_is_a_400_not_a_500(api, case):
    before = api.store()
    for depth in (33, 100_000):
        raw = b'{"kind": "final", "content": "x", "extra": ' + b"[" * depth + b"]" * depth + b"}"
        response = api.client.post(
            f"/api/appeals/{case['id']}/answer", data=raw, content_type="application/json", headers=api.headers("ops")
        )
        assert error_of(response, 400)["code"] == "malformed_request"
    assert api.store() == before
    nested_in_strings = b'{"kind": "final", "content": "' + b"[" * 1000 + b'"}'
    response = api.client.post(
        f"/api/appeals/{case['id']}/answer",
        data=nested_in_strings,
        content_type="application/json",
        headers=api.headers("ops"),
    )
    assert response.status_code == 200  # brackets inside a string are text, not nesting
    assert response.json["status"] == "answered"


@pytest.mark.parametrize(
    "url",
    [
        "/api/appeals?q=%00",
        "/api/appeals?q%00=1",
        "/api/units/U%00X/ledger?period=2026-10",
        "/api/audit/trail?actor=a%00b",
    ],
)
def test_nul_in_the_query_or_path_is_a_400(api, url):
    assert error_of(api.get(url, user="ops"), 400)["code"] == "malformed_request"
