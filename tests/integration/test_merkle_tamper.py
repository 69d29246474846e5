"""Any single changed byte, removed event, swapped pair, or event appended then removed is found by
both verifications: the service's re-hash of its store (``GET /api/audit/verify``) and the
auditor's offline check of an export taken afterwards (``caseledger audit verify``).

Property-based over a SQLite store recorded once for the module: each example tampers a copy of it
behind the triggers' back, as an insider with the file would, then runs both checks. (The same
insider on PostgreSQL, with ``session_replication_role = replica``: tests/integration/test_merkle_log.py.)
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.auth.passwords import Argon2Hasher
from adapters.tlog.checks import export, verify
from adapters.tlog.verify import verify_export
from tests.integration.test_merkle_log import OPERATOR, Clock, record_some
from web.bootstrap import Settings, bootstrap


@contextmanager
def opened(path: Path, key: Path):
    container = bootstrap(
        Settings(database_url=f"sqlite:///{path}", secret_key="k", log_key_file=key),
        clock=Clock(),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        yield container
    finally:
        container.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with two checkpoints, the last event appended after the first and logged by the second."""
    tmp = tmp_path_factory.mktemp("tamper")
    with opened(tmp / "events.sqlite3", tmp / "log.key") as c:
        record_some(c, "U1")
        record_some(c, "U2")
        c.merkle.run_once()
        c.checkpoints.issue()
        c.directory.add_unit(OPERATOR, "U3", "区水务局")
        c.merkle.run_once()
        last = c.checkpoints.issue()
        rows = {leaf.index: leaf.notification_id for leaf in c.merkle.view.leaves(0, last.size)}
    return tmp, rows


tampering = st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("remove"), st.integers(0, 10**6)),
    st.tuples(st.just("swap"), st.integers(0, 10**6), st.integers(1, 10**6)),
    st.tuples(st.just("appended then removed")),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=tampering)
def test_any_tampering_is_found_by_the_stores_verify_and_by_the_offline_verifier(store, tmp_path, how):
    source, rows = store
    work = tmp_path / uuid.uuid4().hex[:8]
    work.mkdir()
    for f in source.iterdir():
        if f.name.startswith("events.sqlite3"):
            shutil.copy(f, work / f.name)
    named = _tamper(work / "events.sqlite3", rows, how)
    with opened(work / "events.sqlite3", source / "log.key") as c:
        found = verify(c.merkle, c.checkpoints)
        assert not found["ok"], how
        if named is not None:
            assert named <= {p["index"] for p in found["problems"]}, (how, found["problems"])
        export(c.merkle, c.checkpoints, work / "export", "2026-12-01T09:00:00+00:00")
        key = c.checkpoints.vkey()
    offline = verify_export(work / "export", vkey=key)
    assert not offline.ok, how
    if named is not None:
        assert min(named) == offline.problems[0].index, (how, offline.problems)


def _tamper(path: Path, rows: dict[int, int], how: tuple) -> set[int] | None:
    """Tampers as told, past the triggers; returns the log indexes that must be named."""
    conn = sqlite3.connect(path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    n = len(rows)
    kind = how[0]
    if kind == "byte":
        index = how[1] % n
        (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (rows[index],)).fetchone()
        changed = bytearray(state)
        changed[how[2] % len(changed)] ^= how[3]
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(changed), rows[index]))
        named = {index}
    elif kind == "remove":
        index = how[1] % n
        conn.execute("DELETE FROM stored_events WHERE rowid = ?", (rows[index],))
        named = {index}
    elif kind == "swap":
        a = how[1] % n
        b = (a + how[2] % (n - 1) + 1) % n
        sa, sb = (
            conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (rows[i],)).fetchone()[0] for i in (a, b)
        )
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (sb, rows[a]))
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (sa, rows[b]))
        named = {a, b} if sa != sb else None
    else:
        conn.execute("DELETE FROM stored_events WHERE rowid = ?", (rows[n - 1],))
        named = {n - 1}
    conn.commit()
    conn.close()
    return named
