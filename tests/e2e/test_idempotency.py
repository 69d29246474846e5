"""``Idempotency-Key`` when a request dies between claiming its key and answering (docs/http-api.md).

A request killed after its claim leaves the key claimed. Here the kill is stood in for where it
matters — after the command saved its events, or before — by an exception nothing catches, raised
from the key's completion or from the service's save, with the request's own clean-up suppressed
where a kill would skip it; then the claim is aged past its lease. tests/e2e/test_server.py kills a
real server instead.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_api_accountability import forwarded as accountability_case
from tests.e2e.test_api_accountability import fresh_unit
from tests.e2e.test_api_commands import forwarded

OPEN = {
    "channel": "12345",
    "category": "help",
    "subject": "接电难",
    "content": "新厂房低压接电逾期未办",
    "enterprise": {"name": "淄博某某机械有限公司"},
    "profile": "zichuan-2020",
}


class Died(BaseException):
    """The process went away: no handler of the request runs."""


def die(*_args, **_kwargs):
    raise Died


def dies_after_saving(api, monkeypatch):
    """The command's events are saved; the process dies before the key records the response."""
    monkeypatch.setattr(api.container.idempotency, "complete", die)


def dies_before_saving(api, monkeypatch):
    """The process dies before the command's events are saved, and before it can release the key."""
    monkeypatch.setattr(api.container.appeals, "save", die)
    monkeypatch.setattr(api.container.idempotency, "release", lambda *_: None)


def expire(api, key: str) -> None:
    """Time passes: the key's claim is now older than its lease."""
    tables, lease = api.container.side_tables, api.container.idempotency.lease
    with tables.connect() as conn:
        conn.execute(
            f"UPDATE caseledger_idempotency SET claimed_at = {tables.p} WHERE key = {tables.p}",
            (tables.instant(datetime.now(UTC) - lease - timedelta(seconds=1)), key),
        )


def types(api, case_id: str) -> list[str]:
    return [type(e).__name__ for e in api.container.appeals.repository.event_store.get(uuid.UUID(case_id))]


def test_a_retry_after_the_request_died_past_its_save_answers_from_the_record(api):
    case = forwarded(api)
    url, key = f"/api/appeals/{case['id']}/acknowledge", f"ack-{uuid.uuid4()}"
    with pytest.MonkeyPatch.context() as mp:
        dies_after_saving(api, mp)
        with pytest.raises(Died):
            api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert types(api, case["id"]) == ["Received", "Forwarded", "Acknowledged"]
    before = api.store()
    expire(api, key)
    retry = api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert retry.status_code == 200, retry.json
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert (retry.json["status"], retry.json["version"]) == ("acknowledged", 3)
    assert api.store() == before  # nothing recorded again
    again = api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert again.status_code == 200 and again.get_data() == retry.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_retry_after_the_request_died_before_saving_runs_it_once(api):
    case = forwarded(api)
    url, key = f"/api/appeals/{case['id']}/acknowledge", f"ack-{uuid.uuid4()}"
    with pytest.MonkeyPatch.context() as mp:
        dies_before_saving(api, mp)
        with pytest.raises(Died):
            api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert types(api, case["id"]) == ["Received", "Forwarded"]
    expire(api, key)
    retry = api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert retry.status_code == 200, retry.json
    assert "Idempotent-Replayed" not in retry.headers  # a first real run, not a replay
    assert types(api, case["id"]) == ["Received", "Forwarded", "Acknowledged"]
    replay = api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert replay.get_data() == retry.get_data() and replay.headers["Idempotent-Replayed"] == "true"
    assert types(api, case["id"]) == ["Received", "Forwarded", "Acknowledged"]


def test_a_claim_within_its_lease_is_refused_with_409(api):
    case = forwarded(api)
    url, key = f"/api/appeals/{case['id']}/acknowledge", f"ack-{uuid.uuid4()}"
    with pytest.MonkeyPatch.context() as mp:
        dies_before_saving(api, mp)
        with pytest.raises(Died):
            api.post(url, {}, user="power", **{"Idempotency-Key": key})
    before = api.store()
    busy = api.post(url, {}, user="power", **{"Idempotency-Key": key})
    assert busy.status_code == 409 and busy.json["error"]["code"] == "idempotency_key_in_progress"
    assert api.store() == before


def test_a_retried_open_without_external_ref_finds_the_case_its_request_opened(api):
    key = f"open-{uuid.uuid4()}"

    def received() -> list:
        return [
            n.originator_id
            for n in api.container.appeals.recorder.select_notifications(
                start=None, limit=10**6, topics=["caseledger:Appeal.Received"]
            )
        ]

    opened_before = received()
    with pytest.MonkeyPatch.context() as mp:
        dies_after_saving(api, mp)
        with pytest.raises(Died):
            api.post("/api/appeals", OPEN, **{"Idempotency-Key": key})
    new = [i for i in received() if i not in opened_before]
    assert len(new) == 1
    expire(api, key)
    retry = api.post("/api/appeals", OPEN, **{"Idempotency-Key": key})
    assert retry.status_code == 200, retry.json  # the case already existed
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json["id"] == str(new[0])
    assert [i for i in received() if i not in opened_before] == new
    assert types(api, retry.json["id"]) == ["Received"]


def test_a_retried_accountability_action_is_recorded_once(live):
    """A referral (移送纪委监委) may be recorded again and again on purpose; a retry of one must not.
    (The trail the answer shows is written by the read-model process, running here as in ``serve``.)"""
    api = live
    unit = fresh_unit(api)
    case = accountability_case(api, unit)
    url, key = f"/api/units/{unit}/accountability/actions", f"refer-{uuid.uuid4()}"
    body = {"action": "referral_made", "note": "线索已移送", "case_id": case["id"]}
    with pytest.MonkeyPatch.context() as mp:
        dies_after_saving(api, mp)
        with pytest.raises(Died):
            api.post(url, body, user="inspector", **{"Idempotency-Key": key})
    expire(api, key)
    retry = api.post(url, body, user="inspector", **{"Idempotency-Key": key})
    assert retry.status_code == 201, retry.json
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert [a["action"] for a in retry.json["actions"]] == ["referral_made"]
    record = api.container.accountability.record_of(unit)
    assert [a["action"] for a in record.actions] == ["referral_made"]


def test_a_retried_sweep_records_each_miss_once(live):
    """The sweep needs no check of its own: a miss once recorded is never recorded again."""
    unit = fresh_unit(live)
    case = accountability_case(live, unit)
    key, body = f"sweep-{uuid.uuid4()}", {"now": "2026-10-09T00:00:00+08:00"}
    with pytest.MonkeyPatch.context() as mp:
        dies_after_saving(live, mp)
        with pytest.raises(Died):
            live.post("/api/deadlines/sweep", body, **{"Idempotency-Key": key})
    recorded = types(live, case["id"])
    assert recorded.count("DeadlineMissed") == 1
    expire(live, key)
    retry = live.post("/api/deadlines/sweep", body, **{"Idempotency-Key": key})
    assert retry.status_code == 200, retry.json
    assert case["id"] not in {m["case_id"] for m in retry.json["missed"]}
    assert types(live, case["id"]) == recorded
