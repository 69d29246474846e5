"""Suggested repeats (并单): how long ``GET /api/appeals/{id}`` spends finding a case's likely repeats.

Fills the case list with N appeals received evenly over ``--days`` days, ``--open-share`` of them still
open (the others closed), with subjects made of common Chinese appeal phrases and one credit code in
twenty shared, then times what the GET does: read the open appeals of the 61-day window from the receipt
index and rank them (domain.appeals.repeats.suggest). ``--open-share 1`` is the worst case: nothing ever closed.

    .venv/bin/python bench/repeats.py [--appeals 50000] [--days 365] [--open-share 0.2] [--lookups 50]
                                      [--database-url URL]

Without ``--database-url`` it runs on a fresh SQLite file and on a fresh PostgreSQL database on the local
server (``CASELEDGER_TEST_POSTGRES_URL`` or postgres@127.0.0.1), dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.views.cases import CASE_COLUMNS  # noqa: E402
from adapters.views.factory import Views  # noqa: E402
from bench._machine import describe  # noqa: E402
from domain.appeals.repeats import Candidate, stored_grams, suggest, window  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from projections.cases.case_list import CaseList, CaseRows  # noqa: E402

ADMIN_URL = os.environ.get("CASELEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PHRASES = (
    "用电报装",
    "迟迟未接通",
    "厂房",
    "融资难",
    "出口退税",
    "迟缓",
    "道路施工",
    "影响出行",
    "审批",
    "时间过长",
    "用水",
    "停水",
    "消防验收",
    "排队",
    "税务注销",
    "手续繁琐",
    "社保转移",
    "不动产登记",
    "办证",
    "噪音扰民",
)
START = datetime(2026, 1, 1, tzinfo=SHANGHAI)


def fill(view, appeals: int, days: int, open_share: float, rng: random.Random) -> None:
    calendars = CalendarSource().for_jurisdiction
    model = CaseList(view, calendars)
    batch, position = [], 0
    for n in range(appeals):
        received = START + timedelta(seconds=rng.randrange(days * 86400))
        row = dict.fromkeys(CASE_COLUMNS)
        status = "forwarded" if rng.random() < open_share else "closed"
        row.update(
            id=uuid.uuid4(),
            case_no=f"QY{received:%Y%m%d}-{n:08X}",
            status=status,
            kind="appeal",
            subject="".join(rng.sample(PHRASES, 3)),
            enterprise_name=f"企业{n % 5000}",
            credit_code=f"91370302MA{n % (appeals // 20 or 1):08d}",
            received_at=received,
            updated_at=received,
            version=2,
            escalation_level=0,
            returned_count=0,
            repeats=0,
            provisional=False,
            unit="BENCH-UNIT",
            profile="zichuan-2020",
            category="help",
            channel="12345",
            co_units="",
            search="",
        )
        row["subject_grams"] = stored_grams(row["subject"])
        batch.append(CaseRows(row, [("BENCH-UNIT", True, None)], [], new=True))
        if len(batch) == 2000:
            position += 1
            model.write(batch, position)
            batch = []
    if batch:
        model.write(batch, position + 1)


def measure(url: str, appeals: int, days: int, open_share: float, lookups: int) -> dict[str, str]:
    views = Views(database_from_url(url))
    try:
        view = views.get("case_list")
        rng = random.Random(7)
        fill(view, appeals, days, open_share, rng)
        times, reads, sizes, found = [], [], [], []
        for _ in range(lookups):
            received = START + timedelta(days=rng.randrange(31, days - 31), hours=10)
            this = Candidate("bench", "QY-BENCH", "".join(rng.sample(PHRASES, 3)), "91370302MA00000007", received)
            began = time.perf_counter()
            candidates = view.repeat_candidates(*window(received))
            reads.append(time.perf_counter() - began)
            suggestions = suggest(this, candidates)[:10]
            times.append(time.perf_counter() - began)
            sizes.append(len(candidates))
            found.append(len(suggestions))
    finally:
        views.close()
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    return {
        "appeals": f"{appeals} over {days} days, {open_share:.0%} open",
        "window": f"{statistics.median(sizes):.0f} candidates (median)",
        "suggestions": f"{statistics.median(found):.0f} shown (median)",
        "median": f"{statistics.median(times) * 1000:.1f} ms "
        f"({statistics.median(reads) * 1000:.1f} ms reading the window)",
        "p95": f"{p95 * 1000:.1f} ms",
    }


@contextmanager
def databases(url: str | None):
    if url:
        yield [url]
        return
    name = f"caseledger_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield [f"sqlite:///{tmp}/bench.sqlite3", f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"]
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=50000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--open-share", type=float, default=0.2)
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print(describe())
    with databases(args.database_url) as urls:
        for url in urls:
            print(f"\n{url.split(':', 1)[0]}")
            for key, value in measure(url, args.appeals, args.days, args.open_share, args.lookups).items():
                print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
