"""Approval benchmark: the Approval aggregate against a bare aggregate, same run, same database.

Drives N applications through a joint-review lifecycle of 9 events
(Submitted, Accepted, Forwarded to two departments, Paused, Resumed, two
DepartmentAnswered, Decided, Delivered), each step a get + command + save,
as ``bench/core.py`` does for appeals. The bare baseline is an
``eventsourcing`` aggregate with the same events and the same data and no
rules: no checks, no clocks, no pauses, no profile.

Target (as for appeals): append rate >= 0.7x bare.

    .venv/bin/python bench/approvals.py [--approvals 300] [--rounds 3] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402

from adapters.calendar.official import CalendarSource  # noqa: E402
from adapters.persistence.database import database_from_url  # noqa: E402
from adapters.profiles.files import FileProfileCatalogue  # noqa: E402
from bench import core  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.service import AppealService  # noqa: E402
from domain.approvals.service import ApprovalService  # noqa: E402

WINDOW = Actor("bench.window", Role.PLATFORM)
FIRE = Actor("bench.fire", Role.UNIT, "BENCH-FIRE")
PLAN = Actor("bench.plan", Role.UNIT, "BENCH-PLAN")
DEPARTMENTS = ["BENCH-FIRE", "BENCH-PLAN"]
SUBMIT = dict(
    profile="liaocheng-2020-approvals",
    matter="joint-completion-acceptance",
    applicant={
        "name": "聊城某某置业有限公司",
        "credit_code": "91371500MA3C000000",
        "contact": {"name": "李经理", "phone": "13900000000"},
    },
    materials=["联合验收申请表", "竣工图纸", "消防设施检测报告", "人防工程竣工资料"],
    departments=DEPARTMENTS,
)


class BareApproval(Aggregate):
    """The same events and data as Approval, with no rules."""

    @event("Submitted")
    def __init__(
        self,
        case_no: str,
        channel: str | None,
        external_ref: str | None,
        matter: str,
        applicant: dict,
        materials: list,
        departments: list,
        commitment: bool,
        policy: dict,
        actor: dict,
        occurred_at: datetime | None,
    ) -> None:
        self.status = "submitted"

    @event("Accepted")
    def accept(self, note: str | None, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "accepted"

    @event("Forwarded")
    def forward(self, departments: list, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "in_review"

    @event("Paused")
    def pause(
        self,
        reason: str,
        expected_working_days: int,
        note: str | None,
        clocks: list,
        actor: dict,
        occurred_at: datetime | None,
    ) -> None:
        self.paused = True

    @event("Resumed")
    def resume(self, note: str | None, actor: dict, occurred_at: datetime | None) -> None:
        self.paused = False

    @event("DepartmentAnswered")
    def answer(self, department: str, decision: str, opinion: str, actor: dict, occurred_at: datetime | None) -> None:
        self.answered = department

    @event("Decided")
    def decide(self, decision: str, reason: str, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "decided"

    @event("Delivered")
    def deliver(self, note: str | None, actor: dict, occurred_at: datetime | None) -> None:
        self.status = "delivered"


class BareApp(core.BareApp):  # the same get + command + save step, in tables of its own
    name = "BareApprovals"


def drive_approvals(app: ApprovalService, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        case, _ = app.submit(WINDOW, **SUBMIT)
        app.accept(case.id, WINDOW)
        app.forward(case.id, WINDOW)
        app.pause(case.id, WINDOW, reason="inspection", expected_working_days=3, note="联合踏勘")
        app.resume(case.id, WINDOW)
        app.answer(case.id, FIRE, department="BENCH-FIRE", decision="approve", opinion="消防验收合格")
        app.answer(case.id, PLAN, department="BENCH-PLAN", decision="approve", opinion="规划核实合格")
        app.decide(case.id, WINDOW, decision="approve", reason="联合验收合格")
        app.deliver(case.id, WINDOW)
    return n * 9 / (time.perf_counter() - start)


def drive_bare(app: BareApp, policy: dict, n: int) -> float:
    window, fire, plan = WINDOW.as_record(), FIRE.as_record(), PLAN.as_record()
    start = time.perf_counter()
    for _ in range(n):
        case = BareApproval(
            case_no="SP",
            channel=None,
            external_ref=None,
            matter=SUBMIT["matter"],
            applicant=SUBMIT["applicant"],
            materials=SUBMIT["materials"],
            departments=DEPARTMENTS,
            commitment=False,
            policy=policy,
            actor=window,
            occurred_at=None,
        )
        app.save(case)
        app.step(case.id, "accept", note=None, actor=window, occurred_at=None)
        app.step(case.id, "forward", departments=DEPARTMENTS, actor=window, occurred_at=None)
        app.step(
            case.id,
            "pause",
            reason="inspection",
            expected_working_days=3,
            note="联合踏勘",
            clocks=["decision", "department_review@BENCH-FIRE", "department_review@BENCH-PLAN"],
            actor=window,
            occurred_at=None,
        )
        app.step(case.id, "resume", note=None, actor=window, occurred_at=None)
        app.step(
            case.id,
            "answer",
            department="BENCH-FIRE",
            decision="approve",
            opinion="消防验收合格",
            actor=fire,
            occurred_at=None,
        )
        app.step(
            case.id,
            "answer",
            department="BENCH-PLAN",
            decision="approve",
            opinion="规划核实合格",
            actor=plan,
            occurred_at=None,
        )
        app.step(case.id, "decide", decision="approve", reason="联合验收合格", actor=window, occurred_at=None)
        app.step(case.id, "deliver", note=None, actor=window, occurred_at=None)
    return n * 9 / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        env = database_from_url(url).env
        profiles = FileProfileCatalogue()
        calendars = CalendarSource().for_jurisdiction
        appeals = AppealService(env, profiles=profiles, calendars=calendars)
        approvals = ApprovalService(env, profiles=profiles, calendars=calendars, store=appeals)
        bare = BareApp(env)
        policy = profiles.get(SUBMIT["profile"], kind="approval").case_policy(SUBMIT["matter"], DEPARTMENTS, False)
        with psycopg.connect(url) as conn:
            server = conn.execute("show server_version").fetchone()[0]
        print(describe({"database": f"PostgreSQL {server}"}))
        rule_rates, bare_rates = [], []
        for _ in range(args.rounds):  # alternate, so that neither gains from a warmer cache or a quieter moment
            bare_rates.append(drive_bare(bare, policy, args.approvals))
            rule_rates.append(drive_approvals(approvals, args.approvals))
        approvals.close()
        appeals.close()
        bare.close()
    rule_rate, bare_rate = max(rule_rates), max(bare_rates)
    print(f"\nlifecycle: {args.approvals} approvals x 9 events, get+command+save per step, best of {args.rounds}")
    print(f"  caseledger Approval : {rule_rate:8.0f} events/s   (rounds: {', '.join(f'{r:.0f}' for r in rule_rates)})")
    print(f"  bare aggregate      : {bare_rate:8.0f} events/s   (rounds: {', '.join(f'{r:.0f}' for r in bare_rates)})")
    print(f"  ratio               : {rule_rate / bare_rate:8.2f}x   (target >= 0.70)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
