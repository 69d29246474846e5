"""Merkle log benchmark on PostgreSQL: what keeping the log costs, and proofs at a million leaves.

In one run, on a fresh database:

- builds an event log of ``--cases`` cases (bench/projections.py's mix) and
  times the catch-up of the Merkle log alone (events/s: read, encode, hash,
  write leaves and nodes), then of every read model together as
  ``caseledger projections run`` runs them (the three case views on one
  runner, the Merkle log on a thread of its own) against the three case views
  alone, as before the log existed;
- sequences ``--leaves`` synthetic events (default 1,000,000; ~300-byte
  states) through the same log and storage, then times inclusion and
  consistency proofs at that size (p50 / p99 of ``--proofs`` random ones; target
  p99 <= 10 ms) and the signing of a checkpoint.

    .venv/bin/python bench/merkle.py [--cases 50000] [--leaves 1000000] [--proofs 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.persistence.fast_read import case_feed, notification_reader  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from adapters.tlog.checkpoints import Checkpoints, load_or_create_key  # noqa: E402
from adapters.views.factory import Views  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import p99, scratch_database  # noqa: E402
from bench.projections import build_log  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from projections.audit_trail import AuditTrail  # noqa: E402
from projections.cases.case_list import CaseList  # noqa: E402
from projections.ledger.appeals import Ledger  # noqa: E402
from projections.runner import BatchRunner  # noqa: E402
from projections.tlog import MerkleLog, Source  # noqa: E402

Row = namedtuple("Row", "id originator_id originator_version topic state")
STATE = (
    '{"actor":{"user":"bench.platform","role":"platform","unit":null},"unit":"UNIT-07","co_units":[],'
    '"note":"请于两个工作日内签收并启动核实","occurred_at":{"_type_":"datetime_iso","_data_":"2026-03-02T09:00:00+08:00"},'
    '"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-02T01:00:00+00:00"}}'
).encode()


def synthetic_source(total: int) -> Source:
    """``total`` events of 10-event aggregates, made on demand as a notification log would give them."""

    def read(after: int, limit: int, stop: int | None) -> list[Row]:
        top = min(total, stop if stop is not None else total, after + limit)
        return [
            Row(i, UUID(int=(i - 1) // 10 + 1), (i - 1) % 10 + 1, "caseledger:Appeal.Forwarded", STATE)
            for i in range(after + 1, top + 1)
        ]

    return Source("Synthetic", read, lambda: total, lambda topic: "Appeals")


def case_views(views: Views, calendars) -> list:
    models = [
        CaseList(views.get("case_list"), calendars.for_jurisdiction),
        Ledger(views.get("ledger"), calendars.for_jurisdiction),
        AuditTrail(views.get("audit_trail")),
    ]
    for m in models:
        m.view.reset()
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()
    print(describe({"database": "PostgreSQL (fresh databases)"}))
    profiles, calendars = FileProfileCatalogue(), CalendarSource()

    with scratch_database(None) as url:
        database = database_from_url(url)
        app = AppealService(database.env, profiles=profiles, calendars=calendars.for_jurisdiction)
        events = build_log(app, profiles, args.cases, 0.35)
        views = Views(database)
        source = Source(
            app.name,
            notification_reader(app.recorder),
            lambda: app.recorder.max_notification_id(),
            lambda topic: app.name,
        )
        log = MerkleLog(views.get("merkle_log"), [source])
        t = time.perf_counter()
        log.run_once()
        alone = events / (time.perf_counter() - t)
        print(f"\nlog: {events} events of {args.cases} cases")
        print(f"  Merkle log alone          : {alone:9.0f} events/s")

        t = time.perf_counter()
        BatchRunner(case_feed(app, cache_size=50_000), case_views(views, calendars), 5000).run_once()
        before = events / (time.perf_counter() - t)
        print(f"  case views alone (before) : {before:9.0f} events/s")
        # Every read model together, as the read-model process runs them: a second log on fresh tables.
        with scratch_database(None) as url2:
            database2 = database_from_url(url2)
            app2 = AppealService(database2.env, profiles=profiles, calendars=calendars.for_jurisdiction)
            build_log(app2, profiles, args.cases, 0.35)
            views2 = Views(database2)
            log2 = MerkleLog(
                views2.get("merkle_log"),
                [
                    Source(
                        app2.name,
                        notification_reader(app2.recorder),
                        lambda: app2.recorder.max_notification_id(),
                        lambda topic: app2.name,
                    )
                ],
            )
            runner = BatchRunner(case_feed(app2, cache_size=50_000), case_views(views2, calendars), 5000)
            t = time.perf_counter()
            sequencer = threading.Thread(target=log2.run_once)
            sequencer.start()
            runner.run_once()
            sequencer.join()
            together = events / (time.perf_counter() - t)
            print(
                f"  all read models + Merkle  : {together:9.0f} events/s   ({together / before:.2f}x the case views alone)"
            )
            views2.close()
            app2.close()
        views.close()
        app.close()

    with scratch_database(None) as url, TemporaryDirectory() as keys:
        database = database_from_url(url)
        views = Views(database)
        log = MerkleLog(views.get("merkle_log"), [synthetic_source(args.leaves)], batch_size=20_000)
        t = time.perf_counter()
        log.run_once()
        elapsed = time.perf_counter() - t
        n = log.size()
        print(f"\n{n} synthetic leaves sequenced in {elapsed:.1f} s ({n / elapsed:.0f} events/s)")
        rng = random.Random(7)
        inclusion = _timed(lambda: log.inclusion_proof(rng.randrange(n), n), args.proofs)
        consistency = _timed(lambda: log.consistency_proof(rng.randrange(1, n), n), args.proofs)
        older = _timed(lambda: log.inclusion_proof(rng.randrange(n // 2), rng.randrange(n // 2 + 1, n)), args.proofs)
        print(f"proofs at {n} leaves ({args.proofs} each, p50 / p99; target p99 <= 10 ms):")
        for name, times in (
            ("inclusion at the head", inclusion),
            ("inclusion at an older size", older),
            ("consistency with the head", consistency),
        ):
            print(f"  {name:28}: {statistics.median(times) * 1e3:6.2f} / {p99(times) * 1e3:6.2f} ms")
        clock = lambda: datetime(2026, 12, 1, tzinfo=UTC)  # noqa: E731
        checkpoints = Checkpoints(
            log, views.get("merkle_log"), load_or_create_key(Path(keys) / "log.key"), timedelta(0), clock
        )
        t = time.perf_counter()
        checkpoints.issue()
        print(f"  first checkpoint signed    : {(time.perf_counter() - t) * 1e3:6.2f} ms")
        views.close()
    return 0


def _timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return times


if __name__ == "__main__":
    sys.exit(main())
