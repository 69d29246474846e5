"""``caseledger import workorders``, as operators run it: the installed command on a SQLite file and on PostgreSQL.

Issue 15 (the city platform's work-order number makes re-import idempotent): the
command is killed with SIGKILL while it imports a file large enough to be mid-way; the re-run opens
exactly the work orders the first did not, so each work order has one case, and its summary counts
them and names every refused line. A file or option it cannot use is one line, as other refusals.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from contextlib import contextmanager, nullcontext

import psycopg
import pytest

from domain.appeals.aggregate import Appeal
from tests.e2e.server import cli_command, run_cli, scratch_postgres, server_env
from tests.e2e.test_cli_errors import refused

WORK_ORDERS = 4000
BATCH = 200
RECEIVED = "caseledger:Appeal.Received"


def work_order(n: int, **changes) -> str:
    fields = {
        "external_ref": f"ZB2026100{n:05d}",
        "occurred_at": "2026-10-09T09:30:00+08:00",
        "category": "help",
        "subject": f"用电报装迟迟未接通（{n}）",
        "content": "企业反映新厂房低压接电申请逾期未办，影响投产。",
        "enterprise": {"name": f"淄博某某机械有限公司{n % 97}"},
        "profile": "liaocheng-2020",
        **changes,
    }
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False)


def export(path) -> list[tuple[int, str]]:
    """WORK_ORDERS good lines, with refused ones among them at the start and the end; returns the refusals."""
    lines = [work_order(n) for n in range(WORK_ORDERS)]
    bad = [
        (2, '{"external_ref": "ZB-BROKEN"', "not valid JSON"),
        (4, work_order(99999, subject=""), "subject: Length must be between 1 and 200."),
        (WORK_ORDERS, work_order(99998, profile="atlantis-2020"), "profile: unknown policy profile 'atlantis-2020'"),
        (
            WORK_ORDERS + 2,
            work_order(7, subject="改过的标题"),
            "external_ref: work order ZB202610000007 (channel 12345) is on line 10 already",
        ),
    ]
    for number, text, _ in bad:
        lines.insert(number - 1, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [(number, reason) for number, _, reason in bad]


@contextmanager
def database(kind: str, tmp_path):
    with scratch_postgres() if kind == "postgres" else nullcontext(f"sqlite:///{tmp_path}/import.sqlite3") as url:
        yield url


def received(url: str, before_tables: list | None = None) -> list[uuid.UUID]:
    """The cases recorded, one id per Received event, asked of the database itself (``before_tables``:
    the answer while the importer has yet to make the tables)."""
    try:
        if url.startswith("sqlite:"):
            with sqlite3.connect(url[len("sqlite:///") :], timeout=10) as conn:
                rows = conn.execute("SELECT originator_id FROM stored_events WHERE topic = ?", (RECEIVED,)).fetchall()
            return [uuid.UUID(str(r[0])) for r in rows]
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT originator_id FROM appeals_events WHERE topic = %s", (RECEIVED,)).fetchall()
        return [r[0] for r in rows]
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
        if before_tables is None:
            raise
        return before_tables


def events(url: str) -> int:
    if url.startswith("sqlite:"):
        with sqlite3.connect(url[len("sqlite:///") :], timeout=10) as conn:
            query = "SELECT count(*) FROM stored_events WHERE topic LIKE 'caseledger:Appeal.%'"
            return conn.execute(query).fetchone()[0]
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM appeals_events").fetchone()[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_import_killed_half_way_and_run_again_gives_one_case_per_work_order(kind, tmp_path):
    """Issue 15: SIGKILL mid-import, then the same command again: exactly one case per work order,
    and the summary says how many the first run had opened (already present) and names each refusal."""
    path = tmp_path / "12345-export.jsonl"
    refusals = export(path)
    with database(kind, tmp_path) as url:
        env = server_env(url)
        command = [*cli_command(), "import", "workorders", str(path), "--batch-size", str(BATCH)]
        first = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while len(received(url, before_tables=[])) < 2 * BATCH:
                assert first.poll() is None, f"the import ended before it could be killed: {first.stderr.read()}"
                assert time.monotonic() < deadline, "the import recorded nothing within 60 s"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)  # the importer alone, as a crash: its reading process must notice
            first.wait(10)
            group_gone = time.monotonic() + 10
            while _group_alive(first.pid):
                assert time.monotonic() < group_gone, "the reading process outlived the killed import"
                time.sleep(0.05)
        finally:
            _kill_group(first.pid)
            first.stderr.close()
        opened = len(received(url))
        assert 2 * BATCH <= opened < WORK_ORDERS and opened % BATCH == 0  # whole batches, and not all of them

        again = run_cli(command[len(cli_command()) :], env, tmp_path, check=False, timeout=180)
        assert again.returncode == 3, again.stderr  # some lines refused, the others imported
        summary = again.stdout.splitlines()
        assert summary[:3] == [
            f"created: {WORK_ORDERS - opened}",
            f"already present: {opened}",
            f"refused: {len(refusals)}",
        ]
        assert len(summary) == 3 + len(refusals)
        for text, (number, reason) in zip(summary[3:], refusals):
            assert text.startswith(f"line {number}: {reason}"), (text, number, reason)
        ids = received(url)
        assert len(ids) == len(set(ids)) == WORK_ORDERS == events(url)
        assert set(ids) == {Appeal.create_id("12345", f"ZB2026100{n:05d}") for n in range(WORK_ORDERS)}


def test_a_file_or_profile_the_import_cannot_use_is_one_line_and_records_nothing(tmp_path):
    """A missing file is named before any database is opened; an unknown --profile (a wrong command
    line, 2) before any line is read; in neither case is anything recorded."""
    env = server_env(f"sqlite:///{tmp_path}/cli.sqlite3")
    line = refused(["import", "workorders", "no-such-export.csv"], env, tmp_path, status=1)
    assert line == "caseledger: cannot read no-such-export.csv: No such file or directory"
    assert not (tmp_path / "cli.sqlite3").exists()
    (tmp_path / "orders.jsonl").write_text(work_order(1, profile=None) + "\n", encoding="utf-8")
    line = refused(["import", "workorders", "orders.jsonl", "--profile", "atlantis-2020"], env, tmp_path, status=2)
    assert line.startswith("caseledger: --profile: no policy profile 'atlantis-2020'; known: liaocheng-2020")
    assert received(env["CASELEDGER_DATABASE_URL"]) == []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
