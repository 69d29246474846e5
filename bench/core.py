"""Core benchmark: the Appeal aggregate against a bare aggregate, same run, same database.

Drives N appeals through the typical 8-event lifecycle (Received, Forwarded,
Acknowledged, Answered initial, Answered final, Reviewed, Visited, Closed),
each step a get + command + save, then loads one 50-event case repeatedly.
The bare baseline is an ``eventsourcing`` aggregate with the same events and
the same data, and no rules: no checks, no deadline clocks, no profile.

Targets (issue 2): append rate >= 0.7x bare; 50-event load <= 1.4x bare.

    .venv/bin/python bench/core.py [--appeals 500] [--loads 1000] [--database-url postgresql://…]

Without ``--database-url`` it creates and drops a PostgreSQL database on the
local server (``CASELEDGER_TEST_POSTGRES_URL`` or postgres@127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from bench._machine import describe  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402

PLATFORM = Actor("bench.platform", Role.PLATFORM)
UNIT = Actor("bench.unit", Role.UNIT, "BENCH-UNIT")
ADMIN_URL = os.environ.get("CASELEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class BareAppeal(Aggregate):
    """The same events and data as Appeal, with no rules."""

    @event("Received")
    def __init__(
        self,
        channel: str,
        external_ref: str | None,
        case_no: str,
        category: str,
        subject: str,
        content: str,
        enterprise: dict,
        contact: dict | None,
        policy: dict,
        actor: dict,
        occurred_at: datetime | None,
    ) -> None:
        self.status = "received"

    @event("Forwarded")
    def forward(self, unit: str, co_units: list, note: str | None, actor: dict, occurred_at: datetime | None) -> None:
        self.status, self.unit = "forwarded", unit

    @event("Acknowledged")
    def acknowledge(self, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "acknowledged"

    @event("Answered")
    def answer(self, kind: str, content: str, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "answered" if kind == "final" else self.status

    @event("Reviewed")
    def review(self, accepted: bool, note: str | None, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "reviewed" if accepted else self.status

    @event("Returned")
    def return_(self, reason: str, cause: str, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "returned"

    @event("Escalated")
    def escalate(self, level: int, level_code: str, reason: str, actor: dict, occurred_at: datetime | None) -> None:
        self.level = level

    @event("Visited")
    def visit(
        self, satisfaction: str, solved: bool | None, note: str | None, actor: dict, occurred_at: datetime | None
    ) -> None:
        self.status = "visited"

    @event("Closed")
    def close(self, solved: bool | None, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "closed"


class BareApp(Application):
    name = "BareAppeals"

    def step(self, case_id, method: str, **kwargs) -> None:
        case = self.repository.get(case_id)
        getattr(case, method)(**kwargs)
        self.save(case)


OPEN = dict(
    channel="12345",
    category="help",
    subject="用电报装迟迟未接通",
    content="企业反映新厂房低压接电申请已逾期未办，影响投产。" * 4,
    enterprise={"name": "淄博某某机械有限公司", "credit_code": "91370302MA3C000000"},
    contact={"name": "王经理", "phone": "13800000000"},
)


def drive_appeals(app: AppealService, n: int) -> tuple[float, list]:
    ids, start = [], time.perf_counter()
    for _ in range(n):
        case, _ = app.open(PLATFORM, profile="liaocheng-2020", **OPEN)
        app.forward(case.id, PLATFORM, unit="BENCH-UNIT")
        app.acknowledge(case.id, UNIT)
        app.answer(case.id, UNIT, kind="initial", content="已核实，正在处理。")
        app.answer(case.id, UNIT, kind="final", content="已完成接电。")
        app.review(case.id, PLATFORM, accepted=True)
        app.visit(case.id, PLATFORM, satisfaction="satisfied", solved=True)
        app.close_case(case.id, PLATFORM)
        ids.append(case.id)
    return n * 8 / (time.perf_counter() - start), ids


def drive_bare(app: BareApp, policy: dict, n: int) -> float:
    actor, unit = PLATFORM.as_record(), UNIT.as_record()
    start = time.perf_counter()
    for _ in range(n):
        case = BareAppeal(external_ref=None, case_no="QY", policy=policy, actor=actor, occurred_at=None, **OPEN)
        app.save(case)
        app.step(case.id, "forward", unit="BENCH-UNIT", co_units=[], note=None, actor=actor, occurred_at=None)
        app.step(case.id, "acknowledge", actor=unit, occurred_at=None)
        app.step(case.id, "answer", kind="initial", content="已核实，正在处理。", actor=unit, occurred_at=None)
        app.step(case.id, "answer", kind="final", content="已完成接电。", actor=unit, occurred_at=None)
        app.step(case.id, "review", accepted=True, note=None, actor=actor, occurred_at=None)
        app.step(case.id, "visit", satisfaction="satisfied", solved=True, note=None, actor=actor, occurred_at=None)
        app.step(case.id, "close", solved=True, actor=actor, occurred_at=None)
    return n * 8 / (time.perf_counter() - start)


def append_bare_batched(
    app: BareApp, policy: dict, refs: list[str], batch_size: int, occurred_at: datetime | None = None
) -> float:
    """Received of a bare aggregate per reference, ``batch_size`` saved per transaction: the floor of
    any bulk intake (bench/import.py). Returns events per second."""
    actor = PLATFORM.as_record()
    start = time.perf_counter()
    for at in range(0, len(refs), batch_size):
        app.save(
            *(
                BareAppeal(external_ref=ref, case_no="QY", policy=policy, actor=actor, occurred_at=occurred_at, **OPEN)
                for ref in refs[at : at + batch_size]
            )
        )
    return len(refs) / (time.perf_counter() - start)


def fifty_event_appeal(app: AppealService):
    """Received, Forwarded, Acknowledged, 15 redo rounds (Answered, Reviewed, Returned), 2 escalations
    (up a ladder of three levels: Suqian's 分级会办; a case is never escalated past the top)."""
    case, _ = app.open(PLATFORM, profile="suqian-2024", **OPEN)
    app.forward(case.id, PLATFORM, unit="BENCH-UNIT")
    app.acknowledge(case.id, UNIT)
    for _ in range(15):
        app.answer(case.id, UNIT, kind="final", content="已完成接电。")
        app.review(case.id, PLATFORM, accepted=False, note="答复不完整")
    app.escalate(case.id, PLATFORM, reason="多次退回")
    case = app.escalate(case.id, PLATFORM, reason="多次退回")
    assert case.version == 50, case.version
    return case.id


def fifty_event_bare(app: BareApp, policy: dict):
    actor = PLATFORM.as_record()
    case = BareAppeal(external_ref=None, case_no="QY", policy=policy, actor=actor, occurred_at=None, **OPEN)
    case.forward(unit="BENCH-UNIT", co_units=[], note=None, actor=actor, occurred_at=None)
    case.acknowledge(actor=actor, occurred_at=None)
    for _ in range(15):
        case.answer(kind="final", content="已完成接电。", actor=actor, occurred_at=None)
        case.review(accepted=False, note="答复不完整", actor=actor, occurred_at=None)
        case.return_(reason="答复不完整", cause="review_rejected", actor=actor, occurred_at=None)
    case.escalate(level=1, level_code="supervision", reason="多次退回", actor=actor, occurred_at=None)
    case.escalate(level=1, level_code="supervision", reason="多次退回", actor=actor, occurred_at=None)
    app.save(case)
    assert case.version == 50
    return case.id


def load_times(app: Application, case_id, n: int) -> list[float]:
    app.repository.get(case_id)  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        app.repository.get(case_id)
        times.append(time.perf_counter() - t)
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


@contextmanager
def scratch_database(url: str | None):
    if url:
        yield url
        return
    name = f"caseledger_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=500)
    parser.add_argument("--loads", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        env = database_from_url(url).env
        profiles = FileProfileCatalogue()
        appeals = AppealService(env, profiles=profiles, calendars=CalendarSource().for_jurisdiction)
        bare = BareApp(env)
        policy = profiles.get("liaocheng-2020").case_policy(None)
        with psycopg.connect(url) as conn:
            server = conn.execute("show server_version").fetchone()[0]
        print(describe({"database": f"PostgreSQL {server}"}))
        # Alternate the two so that neither gains from a warmer cache or a quieter moment.
        rule_rates, bare_rates = [], []
        for _ in range(args.rounds):
            bare_rates.append(drive_bare(bare, policy, args.appeals))
            rule_rates.append(drive_appeals(appeals, args.appeals)[0])
        rule_loads = load_times(appeals, fifty_event_appeal(appeals), args.loads)
        bare_loads = load_times(bare, fifty_event_bare(bare, policy), args.loads)
        appeals.close()
        bare.close()
    rule_rate, bare_rate = max(rule_rates), max(bare_rates)
    print(f"\nlifecycle: {args.appeals} appeals x 8 events, get+command+save per step, best of {args.rounds}")
    print(f"  caseledger Appeal : {rule_rate:8.0f} events/s   (rounds: {', '.join(f'{r:.0f}' for r in rule_rates)})")
    print(f"  bare aggregate    : {bare_rate:8.0f} events/s   (rounds: {', '.join(f'{r:.0f}' for r in bare_rates)})")
    print(f"  ratio             : {rule_rate / bare_rate:8.2f}x   (target >= 0.70)")
    rule_med, bare_med = statistics.median(rule_loads), statistics.median(bare_loads)
    print(f"\nload of a 50-event case, {args.loads} times")
    print(f"  caseledger Appeal : median {rule_med * 1e3:6.2f} ms   p99 {p99(rule_loads) * 1e3:6.2f} ms")
    print(f"  bare aggregate    : median {bare_med * 1e3:6.2f} ms   p99 {p99(bare_loads) * 1e3:6.2f} ms")
    print(f"  ratio (median)    : {rule_med / bare_med:8.2f}x   (target <= 1.40)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
