"""Web workspace benchmark: server time of every role's pages at 100,000 cases on PostgreSQL.

Builds, on a fresh PostgreSQL database wired by ``web.bootstrap`` as the
server wires it, ``--units`` (20) units that handle appeals, 4 more that only
review approvals, each with its head appointed (every other one replaced on
1 July), one unit user for each, a platform user, an inspector, a supervisor
and an auditor, then records ``--cases`` (100,000) cases, 500 per transaction:

- appeals (90%) forwarded to the 20 units in turn, one in ten with a
  co-handling unit (so each unit's inbox holds ~5,000 appeals), at every
  stage of their lifecycle: forwarded, acknowledged, initially answered,
  answered, returned for redo, reviewed, visited, closed (45%);
  ``--accountable-share`` (5%) of them under zichuan-2020, whose rules turn
  lapses into consequences (通报提醒, then 约谈 and 书面检查), the rest under
  liaocheng-2020, which has none; subjects are five words of the case's
  own (the search's word in an eighth of them; few pairs alike), from one
  of 20,000 enterprises, one in fifty the same subject and enterprise as a
  recent case (the recurring report's repeats);
- approvals (``--approval-share``, 10%) of two joint matters, forwarded to
  two of 8 departments (4 of them among the 20 units, so those units' inboxes
  hold ~2,500 approvals besides), from submitted to delivered (25%).

Received times are spread over 2026 up to now: closed cases over the whole
year, half of the open ones in the last two weeks and half earlier, so that
the inboxes hold overdue cases and cases still in time. Then every read model
is caught up, the deadline sweep is run as of now (every late deadline
recorded missed, with its notices: the lapses), the read models again, the
Merkle log and the accountability process (the consequences); an inspector
records 约谈 held for the older half of each unit's interviews, and the
database is analysed, before anything is timed.

Timed, ``--requests`` (200) of each (a page of seconds stops after
``--page-seconds``, 60, and at least 10), through Flask's test client
in-process (``create_app(container).test_client()``), so the times are
server time (the body read to its end, the CSV too), each page as the role
that uses it:

- a unit user: the inbox ``GET /`` (first page, by due date) and with
  ``?overdue=1``, ``?q=<a word of subjects>``, ``?kind=approval``,
  ``?page=50``; a case page ``GET /appeals/<id>`` of a random case of that
  unit and ``GET /approvals/<id>`` of a random approval of it as a
  department; the unit's CSV export ``GET /inbox.csv`` (its row count
  printed and checked against the inbox's open cases; not judged);
- the platform: its inbox over every case, and with ``?q=``; the intake form
  ``GET /appeals/new``; the sweep's preview ``GET /deadlines/sweep``;
- an inspector: the register ``GET /accountability`` and ``?open=1``, and
  one unit's record ``GET /units/<code>/accountability``;
- a supervisor (a reader of reports): ``GET /reports/monthly?period=``,
  ``GET /reports/recurring?period=`` (last month) and the unit's
  ``GET /units/<code>/ledger?period=``;
- an auditor: the trail ``GET /audit/trail`` unfiltered, ``?case_no=`` (a
  random case of the unit) and ``?actor=`` (the unit's user), and a case page
  as it stood two hours after receipt ``GET /appeals/<id>?as_of=``.

Users sign in as a browser does: ``GET /login``, its ``csrf_token``,
``POST /login``. Every timed response must be a 200 with the content
expected of it (the page's heading and what it must list), or the run stops.
Printed: p50 / p95 / p99 / max per page, the target verdict, the machine,
the case count and how long building took.

Target: p95 <= 100 ms server time for every page but the CSV export.

Measured at the defaults after this round's changes (bench/README.md, *Web workspace*, has the table),
on 2 CPUs loaded 4.5-8.5 by other work, PostgreSQL 15: built in 22 minutes (the sweep records 67,710
misses; the accountability process replays each case at each). p95 met: the unit's inbox ?overdue=1,
?q=, ?kind=approval, the platform's inbox, case pages, the audit trail (unfiltered, ?case_no=, ?actor=),
a case as it stood, the intake form. Missed: the unit's inbox (110 ms) and ?page=50 (101), the
platform's ?q= (128), the register (998), a unit's record (103), the ledger (214), the sweep's preview
(993), the monthly report (4.7 s) and the recurring report (12 s).

    .venv/bin/python bench/web.py [--cases 100000] [--requests 200] [--units 20] [--approval-share 0.1]
                                  [--profile PAGE ...] [--api | --api-only] [--database-url postgresql://…]

Beside each page's times: this process's CPU time per request, and the time
in the case list's queries and in the directory's list of units (both
methods wrapped on their instances to be timed). ``--api`` also times the
JSON API's lists and cases over the same data (``/api/appeals``,
``/api/approvals``, with a bearer token), not judged: what the queries and
case loads cost without a page. ``--profile PAGE`` (a name as printed, e.g.
``case page (appeal)``; may be repeated) runs that page ``--requests`` more
times under pyinstrument (cProfile when it is not installed) and prints where
the time went. Without ``--database-url`` a database is created on the local
server (``CASELEDGER_TEST_POSTGRES_URL`` or postgres@127.0.0.1) and dropped
afterwards; a database named is used (the cases added to it) and kept.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

# Run as a script, this file's directory comes first on sys.path, and bench/http.py would shadow the
# standard library's ``http`` package (which werkzeug imports): take the directory out, put the project in.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402

from adapters.auth.passwords import Argon2Hasher  # noqa: E402
from adapters.persistence.fast_read import case_feed  # noqa: E402
from bench._machine import describe  # noqa: E402
from bench.core import scratch_database  # noqa: E402
from domain.actors import Actor, Role  # noqa: E402
from domain.appeals.aggregate import Appeal  # noqa: E402
from domain.approvals.aggregate import Approval  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from projections.cases.case_list import CaseListQuery  # noqa: E402
from projections.runner import BatchRunner  # noqa: E402
from web.app import create_app  # noqa: E402
from web.bootstrap import Container, Settings, bootstrap  # noqa: E402

OPERATOR = Actor("cli:bench", Role.ADMIN)
PLATFORM = Actor("clerk", Role.PLATFORM)
INSPECTOR = Actor("inspector.a", Role.INSPECTOR)
READERS = {"inspector": INSPECTOR.user, "supervisor": "supervisor.a", "auditor": "auditor.a"}
HEADS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]
PASSWORD = "correct horse battery"
TARGET_MS = 100.0
UNIT_NAMES = [
    "区供电中心",
    "区水务局",
    "区市场监督管理局",
    "区税务局",
    "区人力资源和社会保障局",
    "区住房和城乡建设局",
    "区交通运输局",
    "区生态环境分局",
    "区卫生健康局",
    "区商务局",
    "区工业和信息化局",
    "区财政局",
    "区城市管理局",
    "区应急管理局",
    "区农业农村局",
    "区文化和旅游局",
    "区教育和体育局",
    "区民政局",
    "区司法局",
    "区行政审批服务局",
]
DEPARTMENT_ONLY = {
    "DEPT-FIRE": "区消防救援大队",
    "DEPT-PLAN": "区自然资源和规划局",
    "DEPT-DEFENCE": "区人民防空办公室",
    "DEPT-ARCHIVE": "区城建档案馆",
}
# The words of a case's own before its matter (where, what, whose: two characters each, as in
# bench/recurring.py), so that two subjects of one matter are seldom alike.
DETAIL_WORDS = [chr(0x4E00 + (i * 7919) % 3000) + chr(0x4E00 + (i * 104729 + 1) % 3000) for i in range(2000)]
ENTERPRISES = 20_000
_RECENT: deque[tuple[str, int]] = deque(maxlen=500)  # the latest appeals' subjects and enterprises
SEARCH_WORD = "税务注销"
SEARCH_SUBJECT = "税务注销问题"  # as a listed case shows it (the search box shows the word alone)
MATTERS = ["joint-completion-acceptance", "utility-connection"]
APPEAL_STAGES = {
    "forwarded": 14,
    "acknowledged": 12,
    "initial": 8,
    "answered": 8,
    "returned": 5,
    "reviewed": 5,
    "visited": 3,
    "closed": 45,
}
APPROVAL_STAGES = {
    "submitted": 5,
    "accepted": 5,
    "in_review": 35,
    "one_answered": 15,
    "both_answered": 10,
    "decided": 5,
    "delivered": 25,
}
CLOSED_STAGES = {"closed", "delivered"}


@dataclass
class Built:
    units: list[str]  # the units that handle appeals
    departments: list[str]  # the departments that review approvals (some of them units above)
    events: int
    appeals: dict[str, list[tuple[UUID, str]]]  # lead unit: [(id, case_no)]
    approvals: dict[str, list[tuple[UUID, str]]]  # department: [(id, case_no)]
    seconds: float
    received: dict[UUID, datetime]  # each appeal's received time (for a moment of its history)


def unit_codes(n: int) -> list[str]:
    return [f"UNIT-{i + 1:02d}" for i in range(n)]


def make_directory(container: Container, units: list[str]) -> dict[str, str]:
    """The units, the department-only units, a unit user for each and the platform user; returns
    {unit: username}."""
    users = {}
    for i, code in enumerate(units):
        container.directory.add_unit(OPERATOR, code, UNIT_NAMES[i % len(UNIT_NAMES)] + ("" if i < 20 else f"{i}"))
    for code, name in DEPARTMENT_ONLY.items():
        container.directory.add_unit(OPERATOR, code, name)
    for code in [*units, *DEPARTMENT_ONLY]:
        users[code] = f"user.{code.lower()}"
        container.directory.add_user(OPERATOR, users[code], "unit", PASSWORD, code)
    container.directory.add_user(OPERATOR, PLATFORM.user, "platform", PASSWORD)
    for role, username in READERS.items():
        container.directory.add_user(OPERATOR, username, role, PASSWORD)
    for i, code in enumerate([*units, *DEPARTMENT_ONLY]):  # a head for each; every other unit a new one in July
        container.directory.appoint_head(OPERATOR, code, HEADS[i % len(HEADS)], date(2026, 1, 1))
        if i % 2:
            container.directory.appoint_head(OPERATOR, code, HEADS[(i + 3) % len(HEADS)], date(2026, 7, 1))
    return users


def received_time(rng: random.Random, closed: bool, start: datetime, end: datetime) -> datetime:
    """Closed cases over the whole year; an open case half the time in the last two weeks."""
    if not closed and rng.random() < 0.5:
        low, high = end - timedelta(days=14), end - timedelta(days=4)
    else:
        low, high = start, end - timedelta(days=20)
    return low + timedelta(seconds=rng.uniform(0, (high - low).total_seconds()))


def an_appeal(
    n: int, rng: random.Random, policy: dict, unit: str, units: list[str], at: datetime, stage: str
) -> Appeal:
    lead = units.index(unit)
    # Subjects of words of the case's own (an eighth of them with the search's word), so that few pairs are
    # alike (the recurring report's analysis compares every pair sharing one of a subject's rarer trigrams:
    # the earlier data's eight subjects, alike but for a number, made it compare every pair); an enterprise among 20,000 (a few write
    # again within a month: the recurring report's repeats) and, one case in fifty, the same matter again.
    company = rng.randrange(ENTERPRISES)
    words = "".join(rng.choice(DETAIL_WORDS) for _ in range(5))
    subject = f"{words}{SEARCH_WORD if n % 8 == 3 else ''}问题"
    if rng.random() < 0.02 and _RECENT:
        subject, company = rng.choice(_RECENT)
    _RECENT.append((subject, company))
    co_units = [units[(lead + 1 + rng.randrange(len(units) - 1)) % len(units)]] if rng.random() < 0.1 else []
    actor = Actor(f"user.{unit.lower()}", Role.UNIT, unit)
    case = Appeal(
        id=Appeal.create_id("12345", None),
        channel="12345",
        external_ref=None,
        case_no=f"QY-WEB-{n:07d}",
        category=rng.choice(["consultation", "help", "complaint", "suggestion"]),
        subject=subject,
        content="企业反映办理过程中遇到的问题，请求协调解决。" * 3,
        enterprise={"name": f"测试企业{company}有限公司", "credit_code": f"91370000MA{company:08d}"},
        contact={"name": "王经理", "phone": "13800000000"},
        policy=policy,
        actor=PLATFORM.as_record(),
        occurred_at=at,
    )
    case.forward(unit, co_units, None, PLATFORM, at + timedelta(hours=1))
    if stage == "forwarded":
        return case
    case.acknowledge(actor, at + timedelta(hours=5))
    if stage == "acknowledged":
        return case
    case.answer("initial", "已核实，正在协调办理。", actor, at + timedelta(days=1))
    if stage == "initial":
        return case
    final = at + timedelta(days=1, hours=2 + rng.randrange(40))
    case.answer("final", "已协调解决，企业无异议。", actor, final)
    if stage == "answered":
        return case
    if stage == "returned":
        case.review(False, "答复不完整", PLATFORM, final + timedelta(hours=4))
        return case
    case.review(True, None, PLATFORM, final + timedelta(days=1))
    if stage == "reviewed":
        return case
    case.visit(
        rng.choice(["satisfied", "satisfied", "basically_satisfied"]), True, None, PLATFORM, final + timedelta(days=2)
    )
    if stage == "visited":
        return case
    case.close(PLATFORM, final + timedelta(days=2, hours=1))
    return case


def an_approval(n: int, rng: random.Random, profiles, departments: list[str], at: datetime, stage: str) -> Approval:
    chosen = rng.sample(departments, 2)
    matter = MATTERS[n % len(MATTERS)]
    policy = profiles.get("liaocheng-2020-approvals", kind="approval").case_policy(matter, chosen, False)
    case = Approval(
        id=Approval.create_id(None, None),
        case_no=f"SP-WEB-{n:07d}",
        channel="window",
        external_ref=None,
        matter=matter,
        applicant={"name": f"测试企业{n % 997}有限公司"},
        materials=["联合验收申请表", "竣工图纸"],
        departments=chosen,
        commitment=False,
        policy=policy,
        actor=PLATFORM.as_record(),
        occurred_at=at,
    )
    if stage == "submitted":
        return case
    case.accept(None, PLATFORM, at + timedelta(hours=1))
    if stage == "accepted":
        return case
    case.forward(None, PLATFORM, at + timedelta(hours=2))
    if stage == "in_review":
        return case
    for d, unit in enumerate(chosen[: 1 if stage == "one_answered" else 2]):
        case.answer(
            unit,
            "approve",
            "审查通过",
            Actor(f"user.{unit.lower()}", Role.UNIT, unit),
            at + timedelta(days=1 + d, hours=rng.randrange(24)),
        )
    if stage in ("one_answered", "both_answered"):
        return case
    case.decide("approve", "联合审查通过", PLATFORM, at + timedelta(days=3))
    if stage == "decided":
        return case
    case.deliver(None, PLATFORM, at + timedelta(days=3, hours=2))
    return case


def build(
    container: Container,
    cases: int,
    units: list[str],
    approval_share: float,
    accountable_share: float,
    batch_size: int,
    seed: int,
    now: datetime,
) -> Built:
    """Records ``cases`` cases, ``batch_size`` per transaction; ``accountable_share`` of the appeals
    under a profile with accountability rules (zichuan-2020), the others under one without."""
    rng = random.Random(seed)
    profiles = container.profiles
    policy = profiles.get("liaocheng-2020").case_policy(None)
    accountable = profiles.get("zichuan-2020").case_policy(None)
    received: dict[UUID, datetime] = {}
    departments = units[-4:] + list(DEPARTMENT_ONLY)
    start = datetime(2026, 1, 4, 1, 0, tzinfo=UTC)
    end = min(now - timedelta(hours=1), datetime(2026, 12, 31, 10, tzinfo=UTC))
    appeal_stages, appeal_weights = list(APPEAL_STAGES), list(APPEAL_STAGES.values())
    approval_stages, approval_weights = list(APPROVAL_STAGES), list(APPROVAL_STAGES.values())
    appeals: dict[str, list] = {u: [] for u in units}
    approvals: dict[str, list] = {d: [] for d in departments}
    every = round(1 / approval_share) if approval_share else 0
    events, recorded, batch, t = 0, 0, [], time.perf_counter()
    for n in range(cases):
        if every and n % every == every - 1:
            stage = rng.choices(approval_stages, approval_weights)[0]
            case = an_approval(
                n, rng, profiles, departments, received_time(rng, stage in CLOSED_STAGES, start, end), stage
            )
            for d in case.department_codes:
                approvals[d].append((case.id, case.case_no))
        else:
            stage = rng.choices(appeal_stages, appeal_weights)[0]
            lead, recorded = units[recorded % len(units)], recorded + 1  # the units in turn
            at = received_time(rng, stage in CLOSED_STAGES, start, end)
            chosen = accountable if rng.random() < accountable_share else policy
            case = an_appeal(n, rng, chosen, lead, units, at, stage)
            appeals[case.unit].append((case.id, case.case_no))
            received[case.id] = at
        events += len(case.pending_events)
        batch.append(case)
        if len(batch) == batch_size:
            container.appeals.save(*batch)
            batch = []
        if n and n % 20000 == 0:
            print(f"  … {n} cases recorded ({time.perf_counter() - t:.0f} s)", flush=True)
    if batch:
        container.appeals.save(*batch)
    return Built(units, departments, events, appeals, approvals, time.perf_counter() - t, received)


def follow_up(container: Container) -> int:
    """An inspector records what followed the older half of each unit's interviews (约谈 held), so
    that the register's open filter leaves some out; returns how many were recorded."""
    done = 0
    for unit in [u.code for u in container.directory.units()]:
        record = container.accountability.record_of(unit)
        interviews = [c for c in record.consequences if c["kind"] == "interview"] if record else []
        for c in interviews[: len(interviews) // 2]:
            container.accountability.record_action(
                unit, "interview_held", INSPECTOR, note="已约谈单位主要负责人", consequence=c["id"]
            )
            done += 1
    return done


def catch_up(container: Container, url: str, units: list[str]) -> dict[str, float]:
    """Every read model, the deadline sweep (its misses recorded), the Merkle log and the accountability
    process up to the log's head, an inspector's follow-ups, then ANALYZE (what autovacuum does after a
    bulk load); returns the seconds each took."""
    took = {}
    t = time.perf_counter()
    BatchRunner(case_feed(container.appeals, cache_size=50_000), list(container.read_models.values()), 5000).run_once()
    took["read models"] = time.perf_counter() - t
    t = time.perf_counter()
    swept = container.deadline_watch(run_index=True).sweep(PLATFORM)
    BatchRunner(case_feed(container.appeals, cache_size=50_000), list(container.read_models.values()), 5000).run_once()
    took["sweep"] = time.perf_counter() - t
    print(
        f"  swept: {swept.cases_checked} cases checked, {len(swept.missed)} deadlines missed, "
        f"{len(swept.escalations)} notices",
        flush=True,
    )
    t = time.perf_counter()
    while container.merkle.run_once():
        pass
    took["Merkle log"] = time.perf_counter() - t
    t = time.perf_counter()
    while container.run_accountability():
        pass
    answered = follow_up(container)
    while container.run_accountability():
        pass
    took["accountability"] = time.perf_counter() - t
    consequences = {u: len(r.consequences) for u in units if (r := container.accountability.record_of(u))}
    print(
        f"  accountability: {sum(consequences.values())} consequences on {len(consequences)} units "
        f"(most {max(consequences.values(), default=0)}), {answered} answered by an inspector",
        flush=True,
    )
    t = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    took["ANALYZE"] = time.perf_counter() - t
    if not container.wait_for_views(0):
        raise SystemExit("the read models did not reach the log's head")
    return took


@dataclass
class Page:
    name: str
    client: object  # a signed-in test client
    path: Callable[[random.Random], tuple[str, tuple[str, ...]]]  # the path to ask, and texts its response must hold
    target: bool = True  # held to the target (the CSV export is reported, not judged)
    headers: dict | None = None
    rows: int | None = None  # the CSV export's data rows, as last seen
    expect_rows: int | None = None  # ... and how many there must be


class Aborted(SystemExit):
    pass


@dataclass
class Sample:
    server: float  # the request's wall time, seconds
    cpu: float  # this process's CPU time for it (the database server's not in it)
    list_query: float  # time in the case list's queries (the count and the page: SQL and the rows fetched)
    units: float  # time in the directory's list of units (each unit loaded from its events)


class Clock:
    """Times every call of one method of one object (wrapped on the instance, nothing else changed)."""

    def __init__(self, obj, method: str) -> None:
        self.spent, inner = 0.0, getattr(obj, method)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - t

        setattr(obj, method, timed)

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


def ask(page: Page, rng: random.Random, clocks: tuple[Clock, Clock] | None = None) -> Sample:
    """One request, the body read to its end (a streamed CSV too), then checked; ``clocks``: the
    list query's and the units' list's."""
    path, expected = page.path(rng)
    for clock in clocks or ():
        clock.take()
    t, c = time.perf_counter(), time.process_time()
    response = page.client.get(path, headers=page.headers)
    body = response.get_data()
    sample = Sample(
        time.perf_counter() - t, time.process_time() - c, *(clock.take() for clock in clocks) if clocks else (0.0, 0.0)
    )
    if response.status_code != 200:
        raise Aborted(f"{page.name}: GET {path} answered {response.status_code}: {body[:500]!r}")
    text = body.decode("utf-8-sig")
    if response.is_json:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    for part in expected:
        if part not in text:
            raise Aborted(f"{page.name}: GET {path} does not contain {part!r}: {text[:500]!r}")
    if path.split("?")[0].endswith(".csv"):
        page.rows = len(text.rstrip("\r\n").splitlines()) - 1
        if page.expect_rows is not None and page.rows != page.expect_rows:
            raise Aborted(f"{page.name}: GET {path} has {page.rows} rows, not the inbox's {page.expect_rows}")
    return sample


def time_pages(
    pages: list[Page], requests: int, seed: int, clocks: tuple[Clock, Clock], budget: float
) -> dict[str, list[Sample]]:
    """Each page ``requests`` times, one after another; a page that takes seconds a request stops after
    ``budget`` seconds (and at least 10 requests)."""
    rng = random.Random(seed)
    samples: dict[str, list[Sample]] = {}
    for page in pages:
        ask(page, rng)  # warm: templates compiled, pools filled, nothing recorded
        taken, started = samples.setdefault(page.name, []), time.perf_counter()
        while len(taken) < requests and (len(taken) < 10 or time.perf_counter() - started < budget):
            taken.append(ask(page, rng, clocks))
        print(
            f"  {page.name:34} {statistics.median(s.server for s in samples[page.name]) * 1e3:8.1f} ms median   "
            f"{len(taken):4d} requests  "
            f"(load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return samples


def report(pages: list[Page], samples: dict[str, list[Sample]]) -> bool:
    print(
        f"\n{'page':34} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'CPU p50':>8} {'list p50':>8} "
        f"{'units p50':>9}   "
        f"(ms, server time; target p95 <= {TARGET_MS:.0f} ms)"
    )
    met = True
    for page in pages:
        values = [s.server for s in samples[page.name]]
        p95 = pct(values, 95) * 1e3
        verdict = ("met" if p95 <= TARGET_MS else "MISSED") if page.target else "(not judged)"
        met &= p95 <= TARGET_MS or not page.target
        rows = f", {page.rows} rows" if page.rows is not None else ""
        print(
            f"{page.name:34} {pct(values, 50) * 1e3:7.1f} {p95:7.1f} {pct(values, 99) * 1e3:7.1f} "
            f"{max(values) * 1e3:7.1f} {pct([s.cpu for s in samples[page.name]], 50) * 1e3:8.1f} "
            f"{pct([s.list_query for s in samples[page.name]], 50) * 1e3:8.1f} "
            f"{pct([s.units for s in samples[page.name]], 50) * 1e3:9.1f}   {verdict}{rows}"
        )
    print(
        "CPU: this process's CPU time per request (the database server's is not in it); list: the time in the "
        "case list's\nqueries (count and page, as PostgreSQL answers them); units: in the directory's list of "
        "units (the unit names);\nthe load average is the whole machine's "
        f"({os.cpu_count()} CPUs), shared with whatever else runs on it"
    )
    return met


def profile(page: Page, requests: int, seed: int) -> None:
    """The page again, ``requests`` times, under pyinstrument (or cProfile): where its time goes."""
    rng = random.Random(seed + 1)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    print(
        f"\nprofile of {page.name}, {requests} requests "
        f"({'pyinstrument' if Profiler else 'cProfile: pyinstrument is not installed'})"
    )
    if Profiler:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(requests):
            ask(page, rng)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    import cProfile
    import pstats

    with cProfile.Profile() as prof:
        for _ in range(requests):
            ask(page, rng)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


def token(client, username: str) -> dict:
    response = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    if response.status_code != 200:
        raise Aborted(f"POST /api/auth/token for {username}: {response.status_code} {response.json}")
    return {"Authorization": f"Bearer {response.json['token']}"}


def api_pages(app, built: Built, unit: str, users: dict[str, str], deep: int) -> list[Page]:
    """The JSON API's lists and cases for the same data: what the queries and case loads cost without
    a page to render."""
    client = app.test_client()
    unit_headers, platform_headers = token(client, users[unit]), token(client, PLATFORM.user)
    appeals, approvals = built.appeals[unit], built.approvals[unit]

    def fixed(path: str, *expected: str):
        return lambda rng: (path, ('"total"', *expected))

    def one(kind: str, cases):
        def path(rng):
            case_id, case_no = rng.choice(cases)
            return f"/api/{kind}/{case_id}", (case_no,)

        return path

    def page(name, path, headers=unit_headers):
        return Page(f"api {name}", client, path, target=False, headers=headers)

    return [
        page("unit appeals", fixed("/api/appeals")),
        page("unit appeals overdue", fixed("/api/appeals?overdue=true")),
        page("unit appeals q", fixed(f"/api/appeals?q={SEARCH_WORD}", SEARCH_SUBJECT)),
        page("unit approvals", fixed("/api/approvals", "SP-WEB-")),
        page(f"unit appeals page {deep}", fixed(f"/api/appeals?page={deep}", "QY-WEB-")),
        page("platform appeals", fixed("/api/appeals"), platform_headers),
        page("platform appeals q", fixed(f"/api/appeals?q={SEARCH_WORD}", SEARCH_SUBJECT), platform_headers),
        page("appeal", one("appeals", appeals)),
        page("approval", one("approvals", approvals)),
    ]


CSRF = re.compile(r"<input\b[^>]*\bname=[\"']csrf_token[\"'][^>]*>", re.I)
VALUE = re.compile(r"\bvalue=[\"']([^\"']*)[\"']", re.I)


def signed_in(app, username: str, landing: tuple[str, str] = ("/", "待办")):
    """A test client signed in as a browser signs in: the form, its CSRF token, the post; the session
    cookie is kept by the client. ``landing``: a page the user then reads, and a text it must hold."""
    client = app.test_client()
    form = client.get("/login")
    if form.status_code != 200:
        raise Aborted(
            f"GET /login answered {form.status_code}: is the web workspace there? (--api times the JSON API alone)"
        )
    field = CSRF.search(form.get_data(as_text=True))
    value = VALUE.search(field.group(0)) if field else None
    if value is None:
        raise Aborted("GET /login has no hidden input csrf_token")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": value.group(1)})
    if response.status_code not in (302, 303):
        raise Aborted(
            f"POST /login as {username} answered {response.status_code}, not a redirect: "
            f"{response.get_data(as_text=True)[:500]!r}"
        )
    path, text = landing
    inbox = client.get(path)
    if inbox.status_code != 200 or text not in inbox.get_data(as_text=True):
        raise Aborted(f"after signing in as {username}, GET {path} answered {inbox.status_code} without {text}")
    return client


def web_pages(
    app, built: Built, unit: str, users: dict[str, str], deep: int, inbox: int, period: str, now: datetime
) -> list[Page]:
    unit_client, platform_client = signed_in(app, users[unit]), signed_in(app, PLATFORM.user)
    inspector = signed_in(app, READERS["inspector"], ("/accountability", "问责台账"))
    supervisor = signed_in(app, READERS["supervisor"], (f"/reports/monthly?period={period}", "月度通报"))
    auditor = signed_in(app, READERS["auditor"], ("/audit/trail", "办理记录检索"))
    unit_name = UNIT_NAMES[built.units.index(unit) % len(UNIT_NAMES)]
    appeals = built.appeals[unit]

    def fixed(path: str, *expected: str):
        return lambda rng: (path, ("待办", "WEB-", *expected))

    def one(kind: str, cases):
        def path(rng):
            case_id, case_no = rng.choice(cases)
            return f"/{kind}/{case_id}", (case_no,)

        return path

    def page(path: str, *expected: str):
        return lambda rng: (path, expected)

    def by_case_no(rng):
        _, case_no = rng.choice(appeals)
        return f"/audit/trail?case_no={case_no}", ("办理记录检索", case_no)

    def as_of(rng):
        case_id, case_no = rng.choice(appeals)
        moment = (built.received[case_id] + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
        return f"/appeals/{case_id}?as_of={moment}", (case_no, "截至")

    return [
        Page("unit inbox", unit_client, fixed("/")),
        Page("unit inbox ?overdue=1", unit_client, fixed("/?overdue=1")),
        Page("unit inbox ?q=", unit_client, fixed(f"/?q={SEARCH_WORD}", SEARCH_SUBJECT)),
        Page("unit inbox ?kind=approval", unit_client, fixed("/?kind=approval", "SP-WEB-")),
        Page(f"unit inbox ?page={deep}", unit_client, fixed(f"/?page={deep}")),
        Page("platform inbox", platform_client, fixed("/")),
        Page("platform inbox ?q=", platform_client, fixed(f"/?q={SEARCH_WORD}", SEARCH_SUBJECT)),
        Page("case page (appeal)", unit_client, one("appeals", built.appeals[unit])),
        Page("case page (approval)", unit_client, one("approvals", built.approvals[unit])),
        Page("register (inspector)", inspector, page("/accountability", "问责台账", "通报提醒", "约谈")),
        Page("register ?open=1", inspector, page("/accountability?open=1", "问责台账", "通报提醒")),
        Page("unit's record", inspector, page(f"/units/{unit}/accountability", unit_name, "问责记录", "通报提醒")),
        Page("monthly report", supervisor, page(f"/reports/monthly?period={period}", "月度通报", unit_name)),
        Page("recurring report", supervisor, page(f"/reports/recurring?period={period}", "堵点分析", period)),
        Page("unit's ledger", supervisor, page(f"/units/{unit}/ledger?period={period}", unit_name, "台账")),
        Page("audit trail", auditor, page("/audit/trail", "办理记录检索", "第 1 页")),
        Page("audit trail ?case_no=", auditor, by_case_no),
        Page("audit trail ?actor=", auditor, page(f"/audit/trail?actor={users[unit]}", "办理记录检索", "WEB-")),
        Page("case as it stood (auditor)", auditor, as_of),
        Page("new appeal form", platform_client, page("/appeals/new", "登记诉求", "csrf_token")),
        Page("sweep preview", platform_client, page("/deadlines/sweep", "期限监测", "执行")),
        Page(
            "unit CSV export",
            unit_client,
            lambda rng: ("/inbox.csv", ("编号", "WEB-")),
            target=False,
            expect_rows=inbox,
        ),
    ]


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--units", type=int, default=20, help="units that handle appeals (default 20)")
    parser.add_argument("--approval-share", type=float, default=0.1)
    parser.add_argument(
        "--accountable-share",
        type=float,
        default=0.05,
        help="appeals under a profile with accountability rules (zichuan-2020; default 0.05)",
    )
    parser.add_argument(
        "--page-seconds",
        type=float,
        default=60.0,
        help="stop timing a page after this many seconds, once it has 10 requests (default 60)",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="cases per transaction (default 500)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        action="append",
        default=[],
        help="profile this page after timing it (may be given more than once)",
    )
    parser.add_argument(
        "--api", action="store_true", help="also time the JSON API's lists and cases over the same data"
    )
    parser.add_argument("--api-only", action="store_true", help="time the JSON API alone")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if not 4 <= args.units <= len(UNIT_NAMES) * 5:
        parser.error("--units must be between 4 and 100")
    key_dir = Path(tempfile.mkdtemp(prefix="caseledger-bench-web-"))
    try:
        with scratch_database(args.database_url) as url:
            container = bootstrap(
                Settings(database_url=url, secret_key="bench-web", log_key_file=key_dir / "log.key"),
                hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
            )
            try:
                return run(args, container, url)
            finally:
                container.close()
    finally:
        shutil.rmtree(key_dir, ignore_errors=True)


def run(args, container: Container, url: str) -> int:
    with psycopg.connect(url) as conn:
        server = conn.execute("show server_version").fetchone()[0]
    print(describe({"database": f"PostgreSQL {server} (a fresh database)"}), flush=True)
    units = unit_codes(args.units)
    users = make_directory(container, units)
    now = datetime.now(UTC)
    built = build(
        container, args.cases, units, args.approval_share, args.accountable_share, args.batch_size, args.seed, now
    )
    print(
        f"\nbuilt: {args.cases} cases ({sum(map(len, built.appeals.values()))} appeals, "
        f"{args.cases - sum(map(len, built.appeals.values()))} approvals), {built.events} events, "
        f"in {built.seconds:.1f} s",
        flush=True,
    )
    took = catch_up(container, url, [u.code for u in container.directory.units()])
    print("caught up: " + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()), flush=True)
    print(f"build total: {built.seconds + sum(took.values()):.1f} s")
    unit = units[-1]  # handles appeals and reviews approvals
    view = container.read_models["case_list"].view
    sizes = {
        f"{kind}s{' overdue' if overdue else ''}": view.query(
            CaseListQuery(kind=kind, viewer_unit=unit, open_only=True, overdue=overdue or None, per_page=1, now=now)
        )[1]
        for kind in ("appeal", "approval")
        for overdue in (False, True)
    }
    print(f"{unit}'s inbox (open cases): " + ", ".join(f"{n} {k}" for k, n in sizes.items()))
    inbox = sizes["appeals"] + sizes["approvals"]  # the workspace's inbox: cases of both kinds
    deep = min(50, max(1, -(-inbox // 20)))  # page 50, or the last of a smaller inbox
    deep_api = min(50, max(1, -(-sizes["appeals"] // 20)))  # the API lists one kind
    app = create_app(container)
    local = now.astimezone(SHANGHAI)
    period = f"{local.year - (local.month == 1)}-{(local.month - 2) % 12 + 1:02d}"  # the month before this one
    pages = [
        *(web_pages(app, built, unit, users, deep, inbox, period, now) if not args.api_only else []),
        *(api_pages(app, built, unit, users, deep_api) if args.api or args.api_only else []),
    ]
    print(f"\ntiming {args.requests} requests of each page, one after another, in-process", flush=True)
    clocks = (Clock(view, "query"), Clock(container.directory, "units"))
    samples = time_pages(pages, args.requests, args.seed, clocks, args.page_seconds)
    met = report(pages, samples)
    named = {p.name: p for p in pages}
    for name in args.profile:
        if name not in named:
            raise Aborted(f"--profile: no page {name!r}; the pages: {', '.join(named)}")
        profile(named[name], args.requests, args.seed)
    judged = any(p.target for p in pages)
    print(
        f"\n{args.cases} cases, built (recorded and caught up) in {built.seconds + sum(took.values()):.0f} s"
        + (
            f"; target p95 <= {TARGET_MS:.0f} ms for the inbox and case pages: {'met' if met else 'MISSED'}"
            if judged
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
