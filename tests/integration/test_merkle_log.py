"""The Merkle log over every application's events, on SQLite and PostgreSQL (docs/verifiable-history.md):
one leaf per stored event in an order that never changes, exactly
once, proofs from the stored tree, checkpoints that never contradict each other, and an insider's
edit behind the triggers' back named by its index.

Each test has a database of its own: some alter stored events, which no shared store may keep.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest

from adapters.auth.passwords import Argon2Hasher
from adapters.persistence.database import postgres_conninfo
from adapters.tlog.checkpoints import CosignRefused, LogInconsistent
from adapters.tlog.sign import NoteSigner, generate_private_key
from adapters.tlog.verify import (
    COSIGNATURE_V1,
    checkpoint_body,
    parse_note,
    verify_consistency,
    verify_inclusion,
    verify_note_signature,
)
from domain.actors import Actor, Role
from domain.tlog import merkle
from tests.e2e.server import scratch_postgres
from tests.integration.test_accountability import late_case
from web.bootstrap import Settings, bootstrap

OPERATOR = Actor("cli:test", Role.ADMIN)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
    else:
        with scratch_postgres(prefix="caseledger_merkle") as scratch:
            yield scratch


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextmanager
def opened(url, tmp_path, clock, key="log.key", interval=300):
    container = bootstrap(
        Settings(
            database_url=url,
            secret_key="k",
            log_key_file=tmp_path / key,
            checkpoint_interval=timedelta(seconds=interval),
        ),
        clock=clock,
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        yield container
    finally:
        container.close()


@pytest.fixture
def c(url, tmp_path, clock):
    with opened(url, tmp_path, clock) as container:
        yield container


def record_some(c, unit="U1") -> None:
    """Events of all three applications: the directory's, a late case's, and the unit's lapse."""
    c.directory.add_unit(OPERATOR, unit, "区供电中心")
    c.directory.add_user(OPERATOR, f"user-{unit}", "unit", "pw-long-enough", unit)
    late_case(c.appeals, unit)
    assert c.run_accountability()


def stored(c) -> list[tuple[str, object, int, str, bytes]]:
    """Every stored event of every application as (application, originator, version, topic, state)."""
    out = []
    for source in c.merkle.sources:
        for n in source.read(0, 10**6, None):
            oid = n.originator_id if isinstance(n.originator_id, UUID) else UUID(n.originator_id)
            out.append((source.application(n.topic), oid, n.originator_version, n.topic, bytes(n.state)))
    return out


def test_every_stored_event_of_every_application_is_one_leaf_hashing_the_event_as_stored(c):
    record_some(c)
    assert c.merkle.run_once() == len(events := stored(c))
    leaves = c.merkle.view.leaves(0, c.merkle.size())
    assert [leaf.index for leaf in leaves] == list(range(len(events)))
    assert {leaf.application for leaf in leaves} == {"Appeals", "Directory", "Accountability"}
    by_event = {(leaf.application, str(leaf.originator_id), leaf.originator_version): leaf.hash for leaf in leaves}
    assert by_event == {
        (app, str(oid), v): merkle.leaf_hash(merkle.leaf_data(app, oid, v, topic, state))
        for app, oid, v, topic, state in events
    }
    assert c.merkle.run_once() == 0  # exactly once


def test_the_order_once_assigned_never_changes_as_the_log_grows(c):
    record_some(c, "U1")
    c.merkle.run_once()
    first = c.merkle.view.leaves(0, c.merkle.size())
    record_some(c, "U2")
    c.merkle.run_once()
    assert c.merkle.view.leaves(0, len(first)) == first
    assert c.merkle.size() == len(stored(c))


def test_two_sequencers_racing_give_each_event_one_leaf(c, url, tmp_path, clock):
    record_some(c)
    with opened(url, tmp_path, clock) as other:
        threads = [threading.Thread(target=m.run_once) for m in (c.merkle, other.merkle)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        c.merkle.run_once()
    leaves = c.merkle.view.leaves(0, c.merkle.size())
    assert len(leaves) == len(stored(c)) == len({(leaf.source, leaf.notification_id) for leaf in leaves})


def test_proofs_read_from_the_stored_tree_verify_against_its_roots(c):
    record_some(c)
    c.merkle.run_once()
    size = c.merkle.size()
    hashes = [leaf.hash for leaf in c.merkle.view.leaves(0, size)]
    for n in range(1, size + 1):
        root = c.merkle.root(n)
        assert root == _reference_root(hashes[:n])
        for i in range(n):
            leaf, proof = c.merkle.inclusion_proof(i, n)
            assert leaf == hashes[i]
            verify_inclusion(i, n, leaf, proof, root)
        for m in range(0, n + 1):
            verify_consistency(m, n, c.merkle.root(m), root, c.merkle.consistency_proof(m, n))


def _reference_root(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return merkle.node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def test_a_checkpoint_is_issued_when_the_log_has_grown_and_the_interval_has_passed(c, clock):
    record_some(c, "U1")
    assert c.run_merkle() == c.merkle.size() + 1  # the first checkpoint at once
    first = c.checkpoints.latest()
    record_some(c, "U2")
    c.run_merkle()
    assert c.checkpoints.latest() == first  # grown, but the interval has not passed
    clock.now += timedelta(seconds=301)
    c.run_merkle()
    second = c.checkpoints.latest()
    assert second.size == c.merkle.size() > first.size
    clock.now += timedelta(seconds=301)
    c.run_merkle()
    assert c.checkpoints.latest() == second  # the interval passed, but the log has not grown
    assert [r.size for r in c.checkpoints.all()] == [first.size, second.size]  # every one kept
    body, signatures = parse_note(c.checkpoints.note(second))
    assert body == f"{c.checkpoints.origin}\n{second.size}\n{base64.b64encode(second.root).decode()}\n"
    assert verify_note_signature(body, signatures[0], c.checkpoints.signer.verifier())


def test_no_checkpoint_is_signed_when_the_stored_tree_contradicts_an_earlier_one(c, url):
    record_some(c, "U1")
    c.merkle.run_once()
    first = c.checkpoints.issue()
    record_some(c, "U2")
    c.merkle.run_once()
    level, index = merkle.frontier_nodes(first.size)[0]  # a node the first checkpoint's root is made of
    with _insider(url) as sql:  # the tree's node hashes are derived data: rewrite one
        sql("UPDATE merkle_nodes SET hash = {p} WHERE level = {p} AND idx = {p}", (bytes(32), level, index))
    with pytest.raises(LogInconsistent, match="no longer reproduces"):
        c.checkpoints.issue()
    assert c.checkpoints.all() == [first]
    # The events are intact; the re-hash names the altered node by the first leaf it covers.
    problems = c.merkle.verify().problems
    assert [(p.index, "tree node" in p.message) for p in problems] == [(index << level, True)]


def test_a_process_holding_another_key_signs_nothing(c, url, tmp_path, clock):
    record_some(c)
    c.merkle.run_once()
    c.checkpoints.issue()
    record_some(c, "U2")
    with opened(url, tmp_path, clock, key="another.key") as other:
        other.merkle.run_once()
        with pytest.raises(LogInconsistent, match="does not bear this log's signature"):
            other.checkpoints.issue()


def test_the_store_verifies_clean_and_names_each_event_an_insider_changed_removed_or_swapped(c, url):
    record_some(c, "U1")
    record_some(c, "U2")
    c.merkle.run_once()
    c.checkpoints.issue()
    clean = c.merkle.verify([c.checkpoints.latest().size])
    assert clean.problems == [] and clean.events_checked == c.merkle.size()
    leaves = c.merkle.view.leaves(0, c.merkle.size())
    changed, removed, a, b = (leaves[i] for i in (3, 7, 9, 12))
    with _insider(url) as sql:
        table = _table(url, changed.source)
        sql(f"UPDATE {table} SET state = {_concat(url)} WHERE {_nid(url)} = {{p}}", (changed.notification_id,))
        sql(f"DELETE FROM {_table(url, removed.source)} WHERE {_nid(url)} = {{p}}", (removed.notification_id,))
        _swap_states(sql, url, a, b)
    result = c.merkle.verify()
    named = {p.index: p.message for p in result.problems}
    assert set(named) == {changed.index, removed.index, a.index, b.index}
    assert "changed" in named[changed.index] and "removed" in named[removed.index]
    assert result.problems[0].index == changed.index


# -- the insider: past the triggers ---------------------------------------------
@contextmanager
def _insider(url):
    """A database superuser who switches the append-only triggers off for the session
    (PostgreSQL: ``session_replication_role = replica``; SQLite: dropping them)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        yield lambda q, params=(): conn.execute(q.format(p="?"), params)
        conn.commit()
        conn.close()
        return
    from adapters.persistence.database import database_from_url

    with psycopg.connect(postgres_conninfo(database_from_url(url)), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        yield lambda q, params=(): conn.execute(q.format(p="%s"), params)


def _table(url, source):
    return "stored_events" if url.startswith("sqlite") else f"{source.lower()}_events"


def _nid(url):
    return "rowid" if url.startswith("sqlite") else "notification_id"


def _concat(url):
    """The state with its last byte changed (one byte, nothing else)."""
    if url.startswith("sqlite"):
        return "CAST(substr(state, 1, length(state) - 1) || x'20' AS BLOB)"
    return "overlay(state placing '\\x20'::bytea from length(state) for 1)"


def _swap_states(sql, url, a, b):
    ta, tb, nid = _table(url, a.source), _table(url, b.source), _nid(url)
    sql(f"CREATE TEMP TABLE swap AS SELECT state FROM {ta} WHERE {nid} = {{p}}", (a.notification_id,))
    sql(
        f"UPDATE {ta} SET state = (SELECT state FROM {tb} WHERE {nid} = {{p}}) WHERE {nid} = {{p}}",
        (b.notification_id, a.notification_id),
    )
    sql(f"UPDATE {tb} SET state = (SELECT state FROM swap) WHERE {nid} = {{p}}", (b.notification_id,))


# -- witnesses ------------------------------------------------------------------
def test_a_witness_cosigns_the_latest_checkpoint_once_it_is_consistent_with_the_last_it_cosigned(c):
    witness = NoteSigner(generate_private_key("jw.example.gov.cn/witness", COSIGNATURE_V1))
    record_some(c, "U1")
    c.merkle.run_once()
    c.checkpoints.issue()
    first = c.checkpoints.cosign(witness, None)
    record_some(c, "U2")
    c.merkle.run_once()
    c.checkpoints.issue()
    second = c.checkpoints.cosign(witness, first.note)
    assert second.record.size > first.record.size
    body, signatures = parse_note(second.note)
    verifier = witness.verifier()
    assert [s.name for s in signatures] == [c.checkpoints.origin, witness.name]
    assert verify_note_signature(body, signatures[1], verifier)
    assert c.checkpoints.witnesses() == {witness.name: witness.vkey()}


@pytest.mark.parametrize("how", ["older", "forked", "another key"])
def test_a_witness_refuses_a_checkpoint_older_than_or_forked_from_the_one_it_cosigned(c, how):
    witness = NoteSigner(generate_private_key("jw.example.gov.cn/witness", COSIGNATURE_V1))
    record_some(c)
    c.merkle.run_once()
    latest = c.checkpoints.issue()
    signer = c.checkpoints.signer if how != "another key" else NoteSigner(generate_private_key(c.checkpoints.origin))
    size = latest.size + 5 if how == "older" else latest.size
    remembered = signer.sign(checkpoint_body(c.checkpoints.origin, size, bytes(range(32))))
    with pytest.raises(
        CosignRefused,
        match={"older": "older", "forked": "not consistent", "another key": "not signed by this log"}[how],
    ):
        c.checkpoints.cosign(witness, remembered)
    assert c.checkpoints.latest().cosignatures == ()
