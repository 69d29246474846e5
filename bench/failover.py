"""Failover benchmark on PostgreSQL: how long until a standby read-model process takes over a killed one.

Starts ``--runners`` processes of ``caseledger projections run`` on a fresh
database (one is elected active, the others stand by) while cases are
recorded without pause, then ``--kills`` times: finds the active one (its
``active:`` line), kills it with SIGKILL, and measures

- takeover: from the kill to a standby's ``active:`` line;
- caught up: from the kill until the views have reached the log's head as
  it was at the kill (what was recorded before the kill is readable again);

and starts a fresh process in the killed one's place. At the end the
writer stops, the last active process catches up and stops, and the views
are compared with a rebuild.

    .venv/bin/python bench/failover.py [--runners 3] [--kills 7]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.persistence.election import POLL  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from tests.integration.test_projection_crash import lifecycle  # noqa: E402
from tests.integration.views import ReadSide  # noqa: E402

ACTIVE = re.compile(r"^active: projections on .* pid (\d+)$", re.M)


class Runner:
    def __init__(self, url: str, workdir: Path, n: int) -> None:
        self.log = workdir / f"runner-{n}.err"
        env = dict(os.environ, CASELEDGER_DATABASE_URL=url, CASELEDGER_SECRET_KEY="bench")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "web.cli.main", "projections", "run", "--batch-size", "500"],
            env=env,
            cwd=workdir,
            stderr=self.log.open("w"),
        )

    def active(self) -> bool:
        return self.process.poll() is None and bool(ACTIVE.search(self.log.read_text()))


def until(condition, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("failover bench: timed out")
        time.sleep(0.01)
    return time.monotonic()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=3)
    parser.add_argument("--kills", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print(describe({"database": "PostgreSQL (fresh database), processes on this host", "standby poll": f"{POLL} s"}))
    with scratch_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        calendars = CalendarSource()
        appeals = AppealService(
            database_from_url(url).env, profiles=FileProfileCatalogue(), calendars=calendars.for_jurisdiction
        )
        read = ReadSide(appeals, database_from_url(url), calendars)
        lifecycle(appeals, 20, "U1")
        runners = [Runner(url, workdir, n) for n in range(args.runners)]
        started = args.runners
        stop = threading.Event()

        def record() -> None:
            while not stop.is_set():
                lifecycle(appeals, 1, "U1")

        writer = threading.Thread(target=record)
        writer.start()
        takeovers: list[float] = []
        caught_up: list[float] = []
        try:
            for _ in range(args.kills):
                until(lambda: sum(r.active() for r in runners) == 1)
                time.sleep(1.0)  # let it work a while, the others standing by
                victim = next(r for r in runners if r.active())
                victim.process.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                head = appeals.recorder.max_notification_id() or 0
                victim.process.wait()
                runners.remove(victim)
                took = until(lambda: any(r.active() for r in runners))
                level = until(lambda at=head: min(read.runner().positions().values()) >= at)
                takeovers.append(took - killed)
                caught_up.append(level - killed)
                print(f"  kill {len(takeovers)}: takeover {took - killed:.2f} s, caught up {level - killed:.2f} s")
                runners.append(Runner(url, workdir, started))
                started += 1
        finally:
            stop.set()
            writer.join()
        head = appeals.recorder.max_notification_id() or 0
        until(lambda: min(read.runner().positions().values()) >= head)
        for r in runners:
            r.process.terminate()
            r.process.wait(30)
        followed = read.contents(units=("U1",), months=("2026-09", "2026-10"))
        read.reset()
        read.runner(batch_size=5000).run_once()
        equal = read.contents(units=("U1",), months=("2026-09", "2026-10")) == followed
        read.close()
        appeals.close()
    print(f"\n{args.runners} runners, {len(takeovers)} kills with SIGKILL while cases were recorded ({head} events)")
    for what, values in (("takeover", takeovers), ("caught up", caught_up)):
        print(f"  {what:>10}: p50 {statistics.median(values):.2f} s, max {max(values):.2f} s")
    print(f"  views after the last failover {'equal' if equal else 'DIFFER FROM'} a rebuild")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
