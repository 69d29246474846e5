"""Several 'caseledger projections run' on one database: one is active, elected, the others stand by.

Real processes on a real PostgreSQL: the active one is killed with SIGKILL while cases are being
recorded, a standby takes over, and the views equal a rebuild. On SQLite a second process is not
started and says why.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.persistence.database import database_from_url
from domain.appeals.service import AppealService
from tests.conftest import own_postgres_url
from tests.integration.test_projection_crash import lifecycle
from tests.integration.views import ReadSide

postgres_url = pytest.fixture(scope="module", name="postgres_url")(own_postgres_url)

TAKEOVER_BOUND = 10.0  # seconds; the promise (bench/failover.py measures the real figure)
ACTIVE = re.compile(r"^active: projections on .* pid (\d+)$", re.M)


def caseledger(url: str, cwd: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, CASELEDGER_DATABASE_URL=url, CASELEDGER_SECRET_KEY="x")
    return subprocess.Popen([sys.executable, "-m", "web.cli.main", *args], env=env, cwd=cwd, **kwargs)


def status(url: str, cwd: Path) -> list[str]:
    """The election lines of 'caseledger projections status'."""
    run = caseledger(url, cwd, "projections", "status", stdout=subprocess.PIPE, text=True)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 0
    return [line for line in out.splitlines() if line.startswith("projections\t")]


def wait_for(condition, timeout: float, what: str) -> float:
    """Polls ``condition`` until true; returns when (monotonic), or fails naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return time.monotonic()


@pytest.fixture
def appeals(postgres_url, profiles, calendars) -> Iterator[AppealService]:
    """The case service on this module's PostgreSQL database alone (the processes' database)."""
    service = AppealService(
        database_from_url(postgres_url).env, profiles=profiles, calendars=calendars.for_jurisdiction
    )
    yield service
    service.close()


def test_of_two_runners_on_postgres_one_is_active_and_a_standby_takes_over_a_killed_one(
    appeals, postgres_url, calendars, tmp_path
):
    lifecycle(appeals, 40, "U1")
    read = ReadSide(appeals, database_from_url(postgres_url), calendars)
    read.reset()
    logs = [tmp_path / "first.err", tmp_path / "second.err"]
    runners = []
    for log in logs:
        runners.append(
            caseledger(postgres_url, tmp_path, "projections", "run", "--batch-size", "10", stderr=log.open("w"))
        )
        time.sleep(1.0)  # the first one started is active; the point is that the other is not
    try:
        wait_for(lambda: all(re.search(r"^(active|standby): ", p.read_text(), re.M) for p in logs), 60, "no election")
        active = [i for i, p in enumerate(logs) if ACTIVE.search(p.read_text())]
        assert len(active) == 1, [p.read_text() for p in logs]
        standby = 1 - active[0]
        assert "standby: projections is active on" in logs[standby].read_text()
        lines = status(postgres_url, tmp_path)
        assert [line.split("\t")[1] for line in lines] == ["active", "standby"], lines
        assert f"pid {runners[active[0]].pid}" in lines[0]

        stop = threading.Event()

        def record() -> None:  # commands keep coming while the active one dies
            while not stop.is_set():
                lifecycle(appeals, 1, "U1")

        writer = threading.Thread(target=record)
        writer.start()
        try:
            time.sleep(1.0)
            runners[active[0]].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            runners[active[0]].wait(10)
            took_over = wait_for(lambda: ACTIVE.search(logs[standby].read_text()), 30, "the standby never took over")
            time.sleep(1.0)
        finally:
            stop.set()
            writer.join()
        assert took_over - killed < TAKEOVER_BOUND
        assert [line.split("\t")[1] for line in status(postgres_url, tmp_path)] == ["active"]

        head = appeals.recorder.max_notification_id()
        wait_for(lambda: min(read.runner().positions().values()) >= head, 60, "the views did not catch up")
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.terminate()
                runner.wait(15)
    followed = read.contents(units=("U1",), months=("2026-09", "2026-10"))
    read.reset()
    read.runner(batch_size=1000).run_once()
    assert read.contents(units=("U1",), months=("2026-09", "2026-10")) == followed
    read.close()


def test_a_second_runner_on_sqlite_is_not_started_and_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    first = caseledger(url, tmp_path, "projections", "run", stderr=(tmp_path / "first.err").open("w"))
    try:
        wait_for(lambda: ACTIVE.search((tmp_path / "first.err").read_text()), 60, "the first did not start")
        second = caseledger(url, tmp_path, "projections", "run", stderr=subprocess.PIPE, text=True)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "读模型进程已在此数据库上运行（" in err and f"pid {first.pid}），本进程不启动" in err
        assert "a read-model process already runs on this database (" in err
        assert "this one is not started" in err
        assert first.poll() is None  # the first runs on
        assert [line.split("\t")[1] for line in status(url, tmp_path)] == ["active"]
    finally:
        first.terminate()
        first.wait(15)
    assert first.returncode == 0
    # Once it has stopped, the next one starts.
    again = caseledger(url, tmp_path, "projections", "run", stderr=(tmp_path / "again.err").open("w"))
    try:
        wait_for(lambda: ACTIVE.search((tmp_path / "again.err").read_text()), 60, "the next one did not start")
    finally:
        again.terminate()
        again.wait(15)


def test_a_second_deadline_watch_on_sqlite_is_not_started_and_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    log = tmp_path / "watch.err"
    first = caseledger(url, tmp_path, "deadlines", "watch", "--interval", "600", stderr=log.open("w"))
    try:
        wait_for(lambda: "active: deadline-watch on " in log.read_text(), 60, "the first watch did not start")
        second = caseledger(url, tmp_path, "deadlines", "watch", stderr=subprocess.PIPE, text=True)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "时限监控进程已在此数据库上运行（" in err and f"pid {first.pid}）" in err
        assert "a deadline watch already runs on this database (" in err
    finally:
        first.terminate()
        first.wait(15)
