"""Deadline sweep benchmark on PostgreSQL: how long a sweep takes over many open cases.

Builds ``--cases`` Zichuan appeals (received and forwarded across September
and October 2026, about one in ``--answered-every`` answered on time), brings
the case list's deadline index up to date, then times, in the same run:

- the first sweep as of 2026-10-09 00:00 (the unit replies due by then and
  not answered are recorded missed, each with its supervision notice);
- the same sweep again (nothing new to record: the index has no due row);
- the accountability process over what the sweep recorded.

    .venv/bin/python bench/sweep.py [--cases 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from adapters.views.factory import Views  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from domain.accountability.process import AccountabilityProcess  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.aggregate import Appeal  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from projections.accountability.process import ProcessFollower  # noqa: E402
from projections.cases.case_list import CaseList  # noqa: E402
from projections.cases.deadline_watch import DeadlineWatch  # noqa: E402
from projections.feed import CaseFeed  # noqa: E402
from projections.runner import BatchRunner  # noqa: E402

PLATFORM = Actor("bench.platform", Role.PLATFORM)
ADMIN = Actor("bench.admin", Role.ADMIN)


def build(app: AppealService, profiles, cases: int, answered_every: int) -> None:
    policy = profiles.get("zichuan-2020").case_policy(None)
    start = datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
    span = (datetime(2026, 10, 31, tzinfo=SHANGHAI) - start) / cases
    batch = []
    for n in range(cases):
        at = start + span * n
        case = Appeal(
            id=Appeal.create_id("12345", None),
            channel="12345",
            external_ref=None,
            case_no=f"QY-SWEEP-{n:07d}",
            category="help",
            subject=f"诉求 {n}",
            content="企业反映的问题。",
            enterprise={"name": f"企业{n % 997}"},
            contact=None,
            policy=policy,
            actor=PLATFORM.as_record(),
            occurred_at=at,
        )
        case.forward(f"UNIT-{n % 40:02d}", [], None, PLATFORM, at + timedelta(minutes=30))
        if n % answered_every == 0:
            case.answer("initial", "已核实", ADMIN, at + timedelta(hours=3))
        batch.append(case)
        if len(batch) == 200:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--answered-every", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        database = database_from_url(url)
        profiles, calendars = FileProfileCatalogue(), CalendarSource()
        app = AppealService(database.env, profiles=profiles, calendars=calendars.for_jurisdiction)
        print(describe({"database": "PostgreSQL (fresh database)"}))
        build(app, profiles, args.cases, args.answered_every)
        views = Views(database)
        index = CaseList(views.get("case_list"), calendars.for_jurisdiction)
        runner = BatchRunner(CaseFeed(app, cache_size=50_000), [index])
        runner.run_once()
        watch = DeadlineWatch(app, index.view, runner.run_once)
        now = datetime(2026, 10, 9, tzinfo=SHANGHAI)

        t = time.perf_counter()
        first = watch.sweep(PLATFORM, now)
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        again = watch.sweep(PLATFORM, now)
        again_s = time.perf_counter() - t
        process = AccountabilityProcess(database.env, appeals=app, profiles=profiles)
        t = time.perf_counter()
        handled = ProcessFollower(process, app).run_once()
        process_s = time.perf_counter() - t

        print(f"\n{args.cases} open cases; sweep as of {now.isoformat()}")
        print(
            f"  first sweep : {first_s:7.2f} s  {first.cases_checked} cases loaded, {len(first.missed)} deadlines "
            f"missed, {len(first.escalations)} notices  ({len(first.missed) / first_s:.0f} misses/s)"
        )
        print(
            f"  same again  : {again_s * 1e3:7.1f} ms  {again.cases_checked} cases loaded, {len(again.missed)} recorded"
        )
        print(f"  accountability process: {handled} events in {process_s:.2f} s ({handled / process_s:.0f} events/s)")
        process.close()
        views.close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
