"""A store tampered with behind the triggers' back, as an insider with the SQLite file would (as
tests/integration/test_merkle_tamper.py does): 开始核验 finds it and names each event by its case's
number, its sequence number and its type — on the page, in the API's answer, in ``caseledger audit
check`` and in the standalone verifier's output alike — and the case page marks the event until the
store is repaired and verified again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.auth.passwords import Argon2Hasher
from adapters.tlog.checks import export
from domain.actors import Actor, Role
from tests.e2e.conftest import OPERATOR, PASSWORD
from tests.e2e.workspace_client import Clerk, csrf_token, text_of
from web.app import create_app
from web.bootstrap import Settings, bootstrap
from web.cli.main import main as cli

PLATFORM = Actor("clerk", Role.PLATFORM)
POWER = Actor("power", Role.UNIT, "DISTRICT-POWER")
VERIFIER = Path(__file__).resolve().parents[2] / "adapters" / "tlog" / "verify.py"


@contextmanager
def opened(path: Path, key: Path):
    container = bootstrap(
        Settings(database_url=f"sqlite:///{path}", secret_key="k", log_key_file=key, read_wait=0),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        yield container
    finally:
        container.close()


class Site:
    """What Clerk.sign_in needs of the ``api`` fixture: a test client of the app."""

    def __init__(self, container) -> None:
        self.client = create_app(container).test_client()


def acknowledged(c, content: str):
    case, _ = c.appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="接电难",
        content=content,
        enterprise={"name": "淄博某某机械有限公司"},
        profile="zichuan-2020",
    )
    c.appeals.forward(case.id, PLATFORM, unit="DISTRICT-POWER")
    return c.appeals.acknowledge(case.id, POWER)


@pytest.fixture
def store(tmp_path):
    """Two acknowledged appeals, logged and under a signed checkpoint, their acts in the trail."""
    path, key = tmp_path / "events.sqlite3", tmp_path / "log.key"
    with opened(path, key) as c:
        c.directory.add_unit(OPERATOR, "DISTRICT-POWER", "区供电中心")
        for name, role, unit in (("auditor", "auditor", None), ("power", "unit", "DISTRICT-POWER")):
            c.directory.add_user(OPERATOR, name, role, PASSWORD, unit)
        changed = acknowledged(c, "新厂房低压接电逾期未办")
        removed = acknowledged(c, "老厂房电压不稳")
        c.runner().run_once()
        c.run_accountability()
        c.merkle.run_once()
        c.checkpoints.issue()
        rows = {
            (str(leaf.originator_id), leaf.originator_version): leaf.notification_id
            for leaf in c.merkle.view.leaves(0, c.merkle.size())
        }
    return path, key, changed, removed, rows


def tamper(path: Path, changed_row: int, removed_row: int) -> tuple[bytes, tuple]:
    """Changes the first case's Received (its content) and removes the second's Acknowledged; returns
    what was there, to repair it with."""
    conn = insider(path)
    (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (changed_row,)).fetchone()
    data = json.loads(state)
    data["content"] = "改过的诉求内容"
    conn.execute(
        "UPDATE stored_events SET state = ? WHERE rowid = ?",
        (json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), changed_row),
    )
    gone = conn.execute("SELECT rowid, * FROM stored_events WHERE rowid = ?", (removed_row,)).fetchone()
    conn.execute("DELETE FROM stored_events WHERE rowid = ?", (removed_row,))
    conn.commit()
    conn.close()
    return state, gone


def insider(path: Path) -> sqlite3.Connection:
    """A connection to the file with the append-only triggers dropped (the service sets them again)."""
    conn = sqlite3.connect(path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    return conn


def repair(path: Path, changed_row: int, state: bytes, gone: tuple) -> None:
    conn = insider(path)
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, changed_row))
    conn.execute(
        f"INSERT INTO stored_events (rowid, {', '.join(columns(conn))}) VALUES ({', '.join('?' * len(gone))})", gone
    )
    conn.commit()
    conn.close()


def columns(conn) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(stored_events)").fetchall()]


def run_verification(container) -> str:
    auditor = Clerk.sign_in(Site(container), "auditor")
    response = auditor.client.post("/audit/verify", data={"csrf_token": csrf_token(auditor.get("/audit/verify").text)})
    assert response.status_code == 303
    return text_of(auditor.get("/audit/verify").text)


def test_a_changed_and_a_removed_event_are_named_by_case_number_sequence_and_type_everywhere(
    store, tmp_path, monkeypatch, capsys
):
    path, key, changed, removed, rows = store
    tamper(path, rows[(str(changed.id), 1)], rows[(str(removed.id), 3)])
    with opened(path, key) as c:
        text = run_verification(c)
        assert "核验未通过" in text
        assert f"案件 {changed.case_no} 第 1 条记录「受理」" in text and "记录已被改动" in text
        assert f"案件 {removed.case_no} 第 3 条记录「签收」" in text and "记录已被删除" in text

        client = create_app(c).test_client()
        token = client.post("/api/auth/token", json={"username": "auditor", "password": PASSWORD}).json["token"]
        answer = client.get("/api/audit/verify", headers={"Authorization": f"Bearer {token}"}).json
        named = {(p["case_no"], p["seq"], p["type"], p["kind"]) for p in answer["problems"]}
        assert (changed.case_no, 1, "Received", "changed") in named and (
            removed.case_no,
            3,
            "Acknowledged",
            "removed",
        ) in named

        export(
            c.merkle,
            c.checkpoints,
            tmp_path / "export",
            "2026-12-01T09:00:00+00:00",
            c.read_models["audit_trail"].view.acts_of,
        )

    monkeypatch.setenv("CASELEDGER_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("CASELEDGER_LOG_KEY_FILE", str(key))
    monkeypatch.setenv("CASELEDGER_SECRET_KEY", "k")
    assert cli(["audit", "check"]) == 1
    out = capsys.readouterr().out
    assert (
        f"[case {changed.case_no}, event 1, Received]" in out
        and f"[case {removed.case_no}, event 3, Acknowledged]" in out
    )

    standalone = tmp_path / "alone" / "tlog_verify.py"  # copied alone: the standard library and cryptography only
    standalone.parent.mkdir()
    shutil.copy(VERIFIER, standalone)
    offline = subprocess.run(
        [sys.executable, str(standalone), str(tmp_path / "export")],
        capture_output=True,
        text=True,
        cwd=standalone.parent,
    )
    assert offline.returncode == 1, offline.stderr
    assert f"case {changed.case_no}, event 1, Received" in offline.stdout
    assert f"case {removed.case_no}, event 3, Acknowledged" in offline.stdout


def test_a_case_page_marks_the_tampered_events_until_the_store_is_repaired_and_verified_again(store):
    path, key, changed, removed, rows = store
    state, gone = tamper(path, rows[(str(changed.id), 1)], rows[(str(removed.id), 3)])
    with opened(path, key) as c:
        run_verification(c)
        power = Clerk.sign_in(Site(c), "power")
        page = text_of(power.get(f"/appeals/{changed.id}").text)
        assert "存证核验发现本案记录异常" in page
        assert "此条记录已被改动" in page and "改过的诉求内容" in page
        gone_page = text_of(power.get(f"/appeals/{removed.id}").text)
        assert "第 3 条记录：签收" in gone_page and "此条记录已被删除" in gone_page
    repair(path, rows[(str(changed.id), 1)], state, gone)
    with opened(path, key) as c:
        assert "核验通过" in run_verification(c)
        power = Clerk.sign_in(Site(c), "power")
        for case in (changed, removed):
            page = text_of(power.get(f"/appeals/{case.id}").text)
            assert "存证核验发现" not in page and "此条记录已被" not in page
