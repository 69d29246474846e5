"""``caseledger projections run`` killed with SIGKILL mid-catch-up loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from adapters.persistence.database import database_from_url
from projections.ledger.appeals import ReportingPeriod
from tests.conftest import ADMIN, PLATFORM, own_postgres_url, sh
from tests.integration.views import ReadSide

# A database of this module's own: its runner and its rebuild read the whole log, so only its own tests' events.
postgres_url = pytest.fixture(scope="module", name="postgres_url")(own_postgres_url)


def lifecycle(appeals, n: int, unit: str) -> None:
    for i in range(n):
        case, _ = appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject=f"crash {i}",
            content="c",
            enterprise={"name": "E"},
            profile="liaocheng-2020",
            occurred_at=sh("2026-09-29 09:00"),
        )
        appeals.forward(case.id, PLATFORM, unit=unit, occurred_at=sh("2026-09-29 10:00"))
        appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-09-30 09:00"))
        appeals.answer(case.id, ADMIN, kind="final", content="x", occurred_at=sh("2026-10-09 09:00"))
        appeals.review(case.id, PLATFORM, accepted=i % 3 != 0, occurred_at=sh("2026-10-09 10:00"))


def test_killed_runner_resumes_to_the_same_views_as_a_rebuild(appeals, database_url, calendars, tmp_path):
    lifecycle(appeals, 250, "U1")
    head = appeals.recorder.max_notification_id()
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    env = dict(os.environ, CASELEDGER_DATABASE_URL=database_url, CASELEDGER_SECRET_KEY="x")
    runner = subprocess.Popen(
        [sys.executable, "-m", "web.cli.main", "projections", "run", "--batch-size", "20"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while min(read.runner().positions().values()) < head // 3:
            assert runner.poll() is None, runner.stderr.read().decode()
            assert time.monotonic() < deadline, "the runner made no progress"
            time.sleep(0.01)
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    finally:
        if runner.poll() is None:
            runner.kill()
    positions = read.runner().positions()
    assert 0 < min(positions.values()) and min(positions.values()) < head, positions  # stopped part-way

    read.runner(batch_size=37).run_once()  # restart from the committed positions
    resumed = read.contents(units=("U1",), months=("2026-09", "2026-10"))
    read.reset()
    read.runner(batch_size=1000).run_once()
    assert read.contents(units=("U1",), months=("2026-09", "2026-10")) == resumed
    assert read.models[1].view.figures("U1", ReportingPeriod.month("2026-09")).counts["forwarded"] >= 250
    read.close()
