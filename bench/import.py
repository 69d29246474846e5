"""Import benchmark: ``caseledger import workorders`` against a bare batched append, same run, same database.

Writes N city work orders (市转办工单) to a JSON Lines file and imports it
through the real import path (the file read, each line loaded with the HTTP
command's schema, the service's checks, ``open_many`` saving a batch per
transaction), then appends N bare aggregates' Received events with the same
data in batches of the same size (bench/core.py ``append_bare_batched``): no
parsing, no rules, no profile. Each round runs both, the first of them in turn; the best of each is kept.

Target (issue 15): import rate >= 0.7x the bare batched append.

    .venv/bin/python bench/import.py [--orders 20000] [--batch-size 500] [--rounds 3] [--postgres]

SQLite on a scratch file; with ``--postgres``, also a scratch PostgreSQL database
on the local server (``CASELEDGER_TEST_POSTGRES_URL`` or postgres@127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, and bench/http.py would shadow the
# standard library's http (which the web layer's imports need).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import OPEN, BareApp, append_bare_batched, scratch_database  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from web.cli.imports import import_work_orders, reader_pays  # noqa: E402
from web.work_orders.files import open_work_orders  # noqa: E402

OPERATOR = Actor("cli:bench", Role.ADMIN)
PROFILE = "liaocheng-2020"
RECEIVED = datetime(2026, 10, 9, 9, 30, tzinfo=SHANGHAI)  # a Friday, the first working day after National Day


def write_file(path: Path, prefix: str, n: int) -> list[str]:
    refs = [f"{prefix}-{i:07d}" for i in range(n)]
    with open(path, "w", encoding="utf-8") as f:
        for ref in refs:
            f.write(
                json.dumps(
                    {"external_ref": ref, "occurred_at": RECEIVED.isoformat(), "profile": PROFILE, **OPEN},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return refs


def measure(url: str, orders: int, batch_size: int, rounds: int, scratch: Path) -> tuple[list, list]:
    """Per round, (orders/s by the clock, CPU µs per order of this process) for the import and the bare append."""
    env = database_from_url(url).env
    profiles = FileProfileCatalogue()
    appeals = AppealService(env, profiles=profiles, calendars=CalendarSource().for_jurisdiction)
    bare = BareApp(env)
    policy = profiles.get(PROFILE).case_policy(None)
    imports, bares = [], []
    try:
        for r in range(rounds):
            path = scratch / f"orders-{r}.jsonl"
            write_file(path, f"ZB{r}", orders)
            # Who goes first alternates: an append into a smaller table is a little faster.
            for step in ("bare", "import") if r % 2 == 0 else ("import", "bare"):
                if step == "bare":
                    cpu = time.process_time()
                    rate = append_bare_batched(
                        bare, policy, [f"bare{r}-{i:07d}" for i in range(orders)], batch_size, RECEIVED
                    )
                    bares.append((rate, (time.process_time() - cpu) / orders * 1e6))
                    continue
                start, cpu = time.perf_counter(), time.process_time()
                work_orders = open_work_orders(path)
                summary = import_work_orders(
                    appeals,
                    OPERATOR,
                    work_orders,
                    batch_size=batch_size,
                    background=reader_pays(work_orders, batch_size),
                )  # as the command decides
                imports.append((orders / (time.perf_counter() - start), (time.process_time() - cpu) / orders * 1e6))
                assert (summary.created, summary.present, summary.refused) == (orders, 0, 0), list(summary.lines())[:5]
    finally:
        appeals.close()
        bare.close()
    return imports, bares


def report(title: str, imports: list, bares: list) -> None:
    (best_import, import_cpu), (best_bare, bare_cpu) = max(imports), max(bares)
    print(f"\n{title}")
    print(f"  import workorders : {best_import:8.0f} orders/s   (rounds: {', '.join(f'{r:.0f}' for r, _ in imports)})")
    print(f"  bare batched      : {best_bare:8.0f} events/s   (rounds: {', '.join(f'{r:.0f}' for r, _ in bares)})")
    print(f"  ratio             : {best_import / best_bare:8.2f}x   (target >= 0.70)")
    # With the reading process on a core of its own, the importing process's CPU time is what bounds the
    # rate; on a machine busy with other work the clock says less about the import than about the others.
    print(
        f"  CPU per order     : {import_cpu:6.0f} µs importing process, {bare_cpu:.0f} µs bare "
        f"({bare_cpu / import_cpu:.2f}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also on a scratch PostgreSQL database")
    args = parser.parse_args()
    extra = {"database": f"SQLite {sqlite3.sqlite_version}"}
    with (
        tempfile.TemporaryDirectory(prefix="caseledger-bench-import-") as tmp,
        scratch_database(None) if args.postgres else nullcontext() as pg_url,
    ):
        if pg_url:
            with psycopg.connect(pg_url) as conn:
                extra["database"] += f", PostgreSQL {conn.execute('show server_version').fetchone()[0]}"
        print(describe({**extra, "load average": _load()}))
        runs = f"{args.orders} work orders, {args.batch_size} per transaction, best of {args.rounds}"
        report(
            f"SQLite: {runs}",
            *measure(f"sqlite:///{tmp}/bench.sqlite3", args.orders, args.batch_size, args.rounds, Path(tmp)),
        )
        if pg_url:
            report(f"PostgreSQL: {runs}", *measure(pg_url, args.orders, args.batch_size, args.rounds, Path(tmp)))
    print(f"\nload average afterwards: {_load()}")
    return 0


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg()) + " (1, 5, 15 min)"


if __name__ == "__main__":
    sys.exit(main())
