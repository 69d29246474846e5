"""A store written before the code was laid out by feature opens, replays, projects and verifies after it.

``tests/fixtures/store_before_layout/`` holds a small store made by the real server of the commit before
the layout move (66dea36), on each database: three appeals (one closed after a bad rating, one escalated
with a co-handling unit, one merged into it), an approval in review, a deadline sweep and a signed
checkpoint. ``*.sql`` is the database as dumped (``sqlite3 .dump``, ``pg_dump``), ``*.json`` what the API
answered about it then (each case, its history, the ledgers, the audit trail, the accountability records,
the verification), ``log.key`` the key its checkpoints were signed with.

Restored into a fresh database, the server of this commit must answer the same, the same again after
every read model is rebuilt from the first event, verify the same Merkle log, and take new commands on the
old cases: so event topics, table names and application names did not change with the modules.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.e2e.server import USERS, run_cli, running_server, scratch_postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "store_before_layout"
UNITS = ("DISTRICT-POWER", "DISTRICT-WATER", "DISTRICT-GRID")
USERS_THEN = {**USERS, "fire": ("unit", "DISTRICT-FIRE")}
TRAIL_THEN = (
    "actor",
    "case_id",
    "case_no",
    "case_unit",
    "data",
    "occurred_at",
    "position",
    "recorded_at",
    "seq",
    "type",
)


# Fields the API gained since the store was written (docs/http-api.md: fields may be added), each with the
# values it must read on the old store: nothing of it had happened then. A field with any other value stays
# and fails the comparison.
ADDED_SINCE = {
    # 首接负责 and 回头看: on each appeal, and among a unit's ledger counts
    "direct": (False,),
    "direct_answer": (None,),
    "rechecks": ([], 0),
    "rechecks_held": (0,),
    "rechecks_not_held": (0,),
    "rechecks_sampled": (0,),
    # 退单 and its ruling: on each appeal and each deadline, and among a unit's ledger counts
    "handback": (None,),
    "not_binding": (False,),
    "handback_upheld": (0,),
    "handback_refused": (0,),
    # 联合办理: on each appeal and each row of the case list
    "joint": (False,),
    "joint_handling": (None,),
}


def as_then(value):
    """``value`` without the fields added since, where they read as nothing having happened."""
    if isinstance(value, dict):
        return {  # a profile's own values as recorded (an approval matter's ``joint`` is not joint handling's)
            k: v if k == "policy" else as_then(v)
            for k, v in value.items()
            if not (k in ADDED_SINCE and any(v == d for d in ADDED_SINCE[k]))
        }
    if isinstance(value, list):
        return [as_then(v) for v in value]
    return value


def restore_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "events.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "sqlite.sql").read_text(encoding="utf-8"))
    return f"sqlite:///{path}"


def restore_postgres(url: str) -> None:
    psql = shutil.which("psql") or next(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    subprocess.run(
        [str(psql), "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(FIXTURES / "postgres.sql")],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(url) as conn:  # the dump empties the search path for the restoring session only
        assert (
            conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()[0]
            > 5
        )


def answers(server) -> dict:
    """What the API says of the store, as the fixture's JSON holds it."""
    tokens = server.tokens
    recorded = json.loads((FIXTURES / f"{server.kind}.json").read_text(encoding="utf-8"))
    seen = {}
    for case_id, then in recorded.items():
        if case_id.startswith("_"):
            continue
        kind = then["kind"]
        case = server.get(f"/api/{kind}/{case_id}", token=tokens["auditor"])
        history = server.get(f"/api/{kind}/{case_id}/history", token=tokens["auditor"])
        assert case.status == 200 and history.status == 200, (case.json, history.json)
        seen[case_id] = {"kind": kind, "case": case.json, "history": history.json}
    seen["_ledger"] = {
        u: server.get(f"/api/units/{u}/ledger?period=2026-10", token=tokens["auditor"]).json for u in UNITS
    }
    # The trail keeps the directory's acts too since; its acts on cases read as they did then.
    trail = server.get("/api/audit/trail?per_page=500", token=tokens["auditor"]).json
    cases = [{k: e[k] for k in TRAIL_THEN} for e in trail["entries"] if e["record"] in ("appeal", "approval")]
    seen["_trail"] = {"entries": cases, "page": 1, "per_page": 200, "total": len(cases)}
    seen["_list"] = server.get("/api/appeals?per_page=100", token=tokens["clerk"]).json
    seen["_accountability"] = {
        u: _as_then(server.get(f"/api/units/{u}/accountability", token=tokens["inspector"]).json) for u in UNITS
    }
    seen["_verify"] = server.get("/api/audit/verify", token=tokens["auditor"]).json
    return recorded, seen


# What a consequence carries since the store was made, and what it reads as for one made then: no
# follow-up period (its events have none), never overdue, issued by a rule rather than by an inspector.
CONSEQUENCE_SINCE = {
    "follow_up_due": None,
    "follow_up_overdue": False,
    "ordered_by": None,
    "reason": None,
    "note": None,
}


def _as_then(record: dict) -> dict:
    for group in ("reminders", "interviews", "written_reviews", "consequences"):
        for c in record.get(group, []):
            for key, value in CONSEQUENCE_SINCE.items():
                assert c.pop(key) == value, (key, c)
    return record


def check_store(database_url: str, tmp_path: Path, kind: str) -> None:
    key = tmp_path / "key" / "log.key"
    key.parent.mkdir(mode=0o700)
    shutil.copy(FIXTURES / "log.key", key)
    key.chmod(0o600)
    env = {"CASELEDGER_LOG_KEY_FILE": str(key)}
    with running_server(database_url, tmp_path / "first", env, create=False, users=USERS_THEN) as server:
        server.kind = kind
        recorded, seen = answers(server)
        assert as_then(seen) == recorded
        assert seen["_verify"]["ok"] is True and seen["_verify"]["problems"] == []
    # Every read model rebuilt from the first event by this commit's projections: the same answers.
    run_cli(["projections", "rebuild", "all"], server.env, tmp_path)
    with running_server(database_url, tmp_path / "second", env, create=False, users=USERS_THEN) as server:
        server.kind = kind
        recorded, seen = answers(server)
        assert as_then(seen) == recorded
        # An old case takes a new command (its lead unit signs for it at last), recorded after their old events, and the log still verifies.
        escalated = next(k for k, v in recorded.items() if not k.startswith("_") and v["case"].get("escalation_level"))
        before = recorded[escalated]["case"]["version"]
        again = server.post(f"/api/appeals/{escalated}/acknowledge", {}, token=server.tokens["water"])
        assert again.status == 200 and again.json["version"] == before + 1, again.json
        history = server.get(f"/api/appeals/{escalated}/history", token=server.tokens["auditor"]).json["events"]
        assert history[:-1] == recorded[escalated]["history"]["events"] and history[-1]["type"] == "Acknowledged"
        verified = server.get("/api/audit/verify", token=server.tokens["auditor"]).json
        assert verified["ok"] is True and verified["events_checked"] == recorded["_verify"]["events_checked"] + 1


def test_a_sqlite_store_written_before_the_layout_move_opens_projects_and_verifies(tmp_path):
    check_store(restore_sqlite(tmp_path), tmp_path, "sqlite")


@pytest.mark.postgres
def test_a_postgres_store_written_before_the_layout_move_opens_projects_and_verifies(tmp_path):
    with scratch_postgres() as url:
        restore_postgres(url)
        check_store(url, tmp_path, "postgres")
