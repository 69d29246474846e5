"""The verifiable history over HTTP (docs/http-api.md *Verifiable history*), on SQLite and PostgreSQL,
with the read-model process (and so the Merkle log) following in the background.

A client trusts nothing the service says without checking it: each test verifies what it gets —
the checkpoint's signature with the published key, each proof against a checkpoint's root — with
the standalone verifier's functions.
"""

from __future__ import annotations

import base64

import pytest

from adapters.tlog.verify import (
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify_consistency,
    verify_inclusion,
    verify_note_signature,
)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def checkpoint(api, user="auditor", **query):
    path = "/api/audit/checkpoint" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    response = api.get(path, user=user)
    assert response.status_code == 200, response.json
    return response.json


def head(api) -> int:
    """How many events every application has recorded (the log's head as the store holds it)."""
    return sum(len(s.read(0, 10**6, None)) for s in api.container.merkle.sources)


def test_a_checkpoint_covers_every_event_recorded_before_the_request_and_bears_the_log_signature(live):
    live.open()
    cp = checkpoint(live, user="power")  # anyone signed in may read it
    assert cp["size"] == head(live)
    vkey = live.get("/api/audit/public-key", user="water").json
    body, signatures = parse_note(cp["note"])
    parsed = parse_checkpoint(body)
    assert (parsed.origin, parsed.size, parsed.root) == (cp["origin"], cp["size"], b64(cp["root"]))
    assert vkey["origin"] == cp["origin"]
    assert verify_note_signature(body, signatures[0], parse_vkey(vkey["vkey"]))


def test_a_checkpoint_is_signed_only_when_the_log_has_grown_and_never_contradicts_an_earlier_one(live):
    live.open()
    first = checkpoint(live)
    assert checkpoint(live) == first  # nothing recorded since: the same checkpoint
    case = live.open()
    live.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER"})
    second = checkpoint(live)
    assert second["size"] == head(live) > first["size"]
    proof = live.get(f"/api/audit/proof/consistency?from={first['size']}&to={second['size']}", user="auditor").json
    assert (proof["from"], proof["to"]) == (first["size"], second["size"])
    verify_consistency(
        first["size"], second["size"], b64(first["root"]), b64(second["root"]), [b64(h) for h in proof["proof"]]
    )
    assert checkpoint(live, size=first["size"]) == first  # every issued checkpoint is kept


def test_each_history_event_carries_its_log_index_and_leaf_hash_and_is_proven_in_the_checkpoint(live):
    case = live.open()
    live.post(f"/api/appeals/{case['id']}/forward", {"unit": "DISTRICT-POWER"})
    live.post(f"/api/appeals/{case['id']}/acknowledge", user="power")
    events = live.get(f"/api/appeals/{case['id']}/history").json["events"]
    cp = checkpoint(live)
    assert len(events) == 3 and all(isinstance(e["log_index"], int) for e in events)
    assert [e["log_index"] for e in events] == sorted(e["log_index"] for e in events)
    for e in events:
        proof = live.get(f"/api/audit/proof/inclusion?index={e['log_index']}&size={cp['size']}", user="auditor").json
        assert b64(proof["leaf_hash"]).hex() == e["hash"]
        verify_inclusion(
            e["log_index"], cp["size"], bytes.fromhex(e["hash"]), [b64(h) for h in proof["proof"]], b64(cp["root"])
        )


def test_approval_history_events_carry_their_log_index_and_hash_too(live):
    approval = live.submit()
    events = live.get(f"/api/approvals/{approval['id']}/history").json["events"]
    assert events and all(isinstance(e["log_index"], int) and len(e["hash"]) == 64 for e in events)


def test_verify_rehashes_every_event_and_finds_nothing_wrong_in_an_untouched_store(live):
    live.open()
    cp = checkpoint(live)
    result = live.get("/api/audit/verify", user="inspector").json
    assert result["ok"] is True and result["problems"] == []
    assert result["events_checked"] >= cp["size"]
    assert result["head"]["size"] >= cp["size"]


@pytest.mark.parametrize("user", ["power", "clerk", "super"])
def test_proofs_and_verify_are_for_auditors_inspectors_and_admins_only(live, user):
    live.open()
    size = checkpoint(live)["size"]
    for path in (
        f"/api/audit/proof/inclusion?index=0&size={size}",
        f"/api/audit/proof/consistency?from=1&to={size}",
        "/api/audit/verify",
    ):
        response = live.get(path, user=user)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden", path
    for user in ("auditor", "inspector", "ops"):
        assert live.get(f"/api/audit/proof/inclusion?index=0&size={size}", user=user).status_code == 200


def test_without_a_token_the_checkpoint_is_refused(live):
    assert live.get("/api/audit/checkpoint", user=None).status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [
        ("proof/inclusion?index={size}&size={size}", "index"),
        ("proof/inclusion?index=0&size={beyond}", "size"),
        ("proof/inclusion?index=-1&size=1", "index"),
        ("proof/inclusion?index=zero&size=1", "index"),
        ("proof/inclusion?size=1", "index"),
        ("proof/consistency?from=2&to=1", "from"),
        ("proof/consistency?from=0&to={beyond}", "to"),
    ],
)
def test_a_proof_asked_beyond_the_log_or_malformed_is_refused_naming_the_field(live, query, field):
    live.open()
    size = checkpoint(live)["size"]
    response = live.get("/api/audit/" + query.format(size=size, beyond=size + 1000), user="auditor")
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]


def test_a_checkpoint_never_issued_at_a_size_is_not_found(live):
    live.open()
    size = checkpoint(live)["size"]
    response = live.get(f"/api/audit/checkpoint?size={size + 7}")
    assert response.status_code == 404 and response.json["error"]["code"] == "checkpoint_not_found"
