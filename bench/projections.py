"""Read-side benchmark on PostgreSQL: catch-up rate, list and ledger query times.

Builds an event log of ``--cases`` cases (every case received and
forwarded; a share of them driven through the whole lifecycle), saving many
cases per transaction — appeals, or with ``--approval-share`` that share of
approvals (submitted, accepted and forwarded to two departments; the same
share of them answered, decided and delivered) mixed in; then, in the same
run:

- reads and decodes the whole notification log with the library alone,
  and again with the orjson decoder the runner uses (adapters.persistence.fast_decode);
- rebuilds every read model from zero with the batch runner (catch-up), and
  prints the CPU time the runner process and the database's server
  processes spent per event (the latter when the server runs on this
  machine);
- times list queries over all cases (default page by due date, by unit,
  by status, overdue, full-text) and ledger queries.

Targets (issue 4): catch-up >= 25,000 events/s; list <= 50 ms median;
ledger <= 20 ms median.

Measured at ``--cases 100000`` (405,000 events) on 2 CPUs with the server on
the same machine: library read + decode 48,985–56,955 events/s, read + fast
decode 64,148–76,390, catch-up 16,594–17,381 events/s (10,965–11,626 for the
code before, run back to back), the runner 50–53 µs and PostgreSQL 33–35 µs
of CPU per event; list queries worst median 39–42 ms, ledger median 16–17 ms.
The catch-up target is not met: see bench/README.md, "Read-model catch-up".

    .venv/bin/python bench/projections.py [--cases 100000] [--full-share 0.35] [--batch-size 5000]
                                          [--approval-share 0.3]

Approvals mixed in must cost no more per event than appeals alone: compare the
runner's µs/event of a run with ``--approval-share 0.3`` against one with 0.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.persistence.fast_decode import fast_mapper  # noqa: E402
from adapters.persistence.fast_read import case_feed, notification_reader  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from adapters.views.factory import Views  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.aggregate import Appeal  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from domain.approvals.aggregate import Approval  # noqa: E402
from projections.audit_trail import AuditTrail  # noqa: E402
from projections.cases.case_list import CaseList, CaseListQuery  # noqa: E402
from projections.feed import library_reader  # noqa: E402
from projections.ledger.appeals import Ledger, ReportingPeriod  # noqa: E402
from projections.runner import BatchRunner  # noqa: E402

PLATFORM = Actor("bench.platform", Role.PLATFORM)
ADMIN = Actor("bench.admin", Role.ADMIN)
UNITS = [f"UNIT-{n:02d}" for n in range(40)]
SUBJECTS = [
    "用电报装迟迟未接通",
    "供水管网改造影响生产",
    "企业开办登记材料反复补正",
    "税务注销进度缓慢",
    "消防验收预约困难",
    "政府采购合同付款拖延",
    "不动产登记办理超时",
    "社保关系转移接续",
]


def build_log(app: AppealService, profiles, cases: int, full_share: float, approval_share: float = 0.0) -> int:
    """Saves ``cases`` cases, 200 per transaction; returns the number of events."""
    policy = profiles.get("liaocheng-2020").case_policy(None)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    events, batch = 0, []
    approvals_every = round(1 / approval_share) if approval_share else 0
    for n in range(cases):
        at = start + timedelta(minutes=3 * n)
        if approvals_every and n % approvals_every == 0:
            case = an_approval(profiles, n, at, full=n % 100 < full_share * 100)
            events += len(case.pending_events)
            batch.append(case)
            if len(batch) == 200:
                app.save(*batch)
                batch = []
            continue
        case_id = Appeal.create_id("12345", None)
        case = Appeal(
            id=case_id,
            channel="12345",
            external_ref=None,
            case_no=f"QY-BENCH-{n:07d}",
            category="help",
            subject=f"{SUBJECTS[n % len(SUBJECTS)]} {n}",
            content="企业反映办理过程中遇到的问题，请求协调解决。",
            enterprise={"name": f"测试企业{n % 997}有限公司"},
            contact=None,
            policy=policy,
            actor=PLATFORM.as_record(),
            occurred_at=at,
        )
        case.forward(UNITS[n % len(UNITS)], [], None, PLATFORM, at + timedelta(hours=1))
        if n % 100 < full_share * 100:
            case.acknowledge(ADMIN, at + timedelta(hours=5))
            case.answer("initial", "已核实", ADMIN, at + timedelta(days=1))
            case.answer("final", "已解决", ADMIN, at + timedelta(days=1 + n % 9))
            case.review(n % 7 != 0, None, PLATFORM, at + timedelta(days=10))
            if n % 7 != 0:
                case.visit(
                    "satisfied" if n % 3 else "basically_satisfied", True, None, PLATFORM, at + timedelta(days=11)
                )
                case.close(PLATFORM, at + timedelta(days=11, hours=1))
        events += len(case.pending_events)
        batch.append(case)
        if len(batch) == 200:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    return events


def an_approval(profiles, n: int, at: datetime, full: bool) -> Approval:
    """Submitted, accepted, forwarded to two departments; ``full``: answered by both, decided, delivered."""
    departments = [UNITS[n % len(UNITS)], UNITS[(n + 1) % len(UNITS)]]
    policy = profiles.get("liaocheng-2020-approvals", kind="approval").case_policy(
        "joint-completion-acceptance", departments, False
    )
    case = Approval(
        id=Approval.create_id(None, None),
        case_no=f"SP-BENCH-{n:07d}",
        channel="window",
        external_ref=None,
        matter="joint-completion-acceptance",
        applicant={"name": f"测试企业{n % 997}有限公司"},
        materials=["联合验收申请表", "竣工图纸"],
        departments=departments,
        commitment=False,
        policy=policy,
        actor=PLATFORM.as_record(),
        occurred_at=at,
    )
    case.accept(None, PLATFORM, at + timedelta(hours=1))
    case.forward(None, PLATFORM, at + timedelta(hours=2))
    if full:
        for d, unit in enumerate(departments):
            case.answer(unit, "approve", "验收合格", ADMIN, at + timedelta(days=1 + d + n % 9))
        case.decide("approve", "联合验收合格", PLATFORM, at + timedelta(days=12))
        case.deliver(None, PLATFORM, at + timedelta(days=12, hours=2))
    return case


def read_rate_of(read, mapper, batch_size: int) -> float:
    """Events per second of reading the whole log with ``read(after, limit, stop)`` and decoding it
    with ``mapper``."""
    t = time.perf_counter()
    decoded, start = 0, 0
    while True:
        page = read(start, batch_size, None)
        for n in page:
            mapper.to_domain_event(n)
        decoded += len(page)
        if len(page) < batch_size:
            break
        start = page[-1].id
    return decoded / (time.perf_counter() - t)


class ServerCPU:
    """CPU time used by the server processes of one database, when the server runs on this machine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.start = self._total()

    def used(self) -> float | None:
        end = self._total()
        return None if end is None or self.start is None else end - self.start

    def _total(self) -> float | None:
        try:
            with psycopg.connect(self.url) as conn:
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ]
            ticks = 0
            for pid in pids:
                with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            return ticks / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, psycopg.Error):
            return None


def timed(call, repeat: int) -> list[float]:
    call()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--full-share", type=float, default=0.35)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--approval-share", type=float, default=0.0, help="the share of cases that are approvals (0: appeals alone)"
    )
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        database = database_from_url(url)
        profiles, calendars = FileProfileCatalogue(), CalendarSource()
        app = AppealService(database.env, profiles=profiles, calendars=calendars.for_jurisdiction)
        print(describe({"database": "PostgreSQL (fresh database)"}))
        t = time.perf_counter()
        events = build_log(app, profiles, args.cases, args.full_share, args.approval_share)
        print(
            f"\nlog: {events} events for {args.cases} cases ({args.approval_share:.0%} approvals), "
            f"written in {time.perf_counter() - t:.1f} s"
        )

        read_rate = read_rate_of(library_reader(app.recorder), app.mapper, args.batch_size)
        fast_rate = read_rate_of(notification_reader(app.recorder), fast_mapper(app.mapper), args.batch_size)

        views = Views(database)
        models = [
            CaseList(views.get("case_list"), calendars.for_jurisdiction),
            Ledger(views.get("ledger"), calendars.for_jurisdiction),
            AuditTrail(views.get("audit_trail")),
        ]
        for m in models:
            m.view.reset()
        runner = BatchRunner(case_feed(app, cache_size=50_000), models, args.batch_size)
        server = ServerCPU(url)
        t, cpu = time.perf_counter(), time.process_time()
        applied = runner.run_once()
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
        server_cpu = server.used()
        garbage = gc.collect()  # what the runner's frozen batches could have hidden from the collector
        print(f"\ncatch-up of all three read models, one runner, batches of {args.batch_size}")
        print(f"  library read + decode : {read_rate:9.0f} events/s   (the library's own mapper)")
        print(
            f"  read + fast decode    : {fast_rate:9.0f} events/s   (adapters.persistence.fast_read and fast_decode, as the runner reads)"
        )
        print(f"  catch-up (3 views)    : {applied / elapsed:9.0f} events/s   (target >= 25000)")
        print(f"    runner process CPU  : {cpu / applied * 1e6:9.1f} µs/event")
        if server_cpu is not None:
            print(
                f"    PostgreSQL CPU      : {server_cpu / applied * 1e6:9.1f} µs/event   "
                f"(server processes of this database; {os.cpu_count()} CPUs shared by both)"
            )
        print(f"    cyclic garbage left : {garbage:9d} objects (the collector is paused while catching up)")

        with psycopg.connect(url, autocommit=True) as conn:
            # What autovacuum does after a bulk load: without statistics the planner guesses, and a
            # guess (a case kind taken for rare) can turn a 1 ms list into a 50 ms one.
            conn.execute("ANALYZE")
        view = models[0].view
        now = datetime(2026, 9, 1, tzinfo=UTC)
        queries = {
            "first page by due date": CaseListQuery(now=now),
            "one unit's inbox": CaseListQuery(unit="UNIT-07", now=now),
            "by status": CaseListQuery(status="answered", now=now),
            "overdue": CaseListQuery(overdue=True, now=now),
            "full text (Chinese)": CaseListQuery(q="税务注销", now=now),
            "unit user, page 50": CaseListQuery(viewer_unit="UNIT-11", page=50, now=now),
        }
        print(f"\nlist queries over {args.cases} cases (median / p95 of 50)")
        medians = []
        for name, query in queries.items():
            times = timed(lambda q=query: view.query(q), 50)
            medians.append(statistics.median(times))
            print(
                f"  {name:24}: {statistics.median(times) * 1e3:7.2f} ms / {statistics.quantiles(times, n=20)[18] * 1e3:7.2f} ms"
            )
        print(f"  worst median            : {max(medians) * 1e3:7.2f} ms   (target <= 50)")
        ledger = models[1].view
        times = timed(lambda: ledger.figures("UNIT-07", ReportingPeriod.month("2026-05")), 100)
        print(
            f"\nledger query (one unit, one month): median {statistics.median(times) * 1e3:.2f} ms, "
            f"p95 {statistics.quantiles(times, n=20)[18] * 1e3:.2f} ms   (target <= 20)"
        )
        views.close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
