"""Read models built in batches equal a rebuild from zero, on both databases (issue: read side), with
appeals and approvals (审批) mixed in the one case log."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.persistence.database import database_from_url
from domain.deadlines.clocks import evaluate
from domain.deadlines.periods import SHANGHAI as SHANGHAI_ZONE
from domain.errors import DomainError
from projections.audit_trail import AuditQuery
from projections.cases.case_list import CaseListQuery
from projections.ledger.appeals import ReportingPeriod
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, own_postgres_url, sh
from tests.integration.views import ReadSide

# A database of this module's own: its rebuilds from zero replay the whole log, so only its own tests' events.
postgres_url = pytest.fixture(scope="module", name="postgres_url")(own_postgres_url)

START = sh("2026-09-20 09:00")
# Later examples act later than the earlier ones' events, past today's date: the services' clock is set
# this far ahead, so that every backfilled act (and sweep) of the examples may be recorded.
FAR_AHEAD = datetime(2100, 1, 1, tzinfo=UTC)
APPROVAL_STEPS = [
    "submit",
    "notice",
    "supply",
    "a_accept",
    "a_forward",
    "a_answer",
    "a_return",
    "pause",
    "resume",
    "a_extend",
    "decide",
    "deliver",
    "revoke",
    "withdraw",
    "sweep",
    *["advance"] * 6,
]  # "advance": the next step of the lifecycle, so that cases get far
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "open",
                "forward",
                "ack",
                "initial",
                "final",
                "accept",
                "reject",
                "return",
                "escalate",
                "extend",
                "handback",
                "visit",
                "close",
                "merge",
                "unmerge",
                "project",
                "rectify",
                "contest",
                "adjudicate",
                *APPROVAL_STEPS,
            ]
        ),
        st.integers(0, 3),  # which case
        st.sampled_from(["U1", "U2", "U3"]),
        st.integers(1, 40),  # hours after the previous act
    ),
    min_size=5,
    max_size=30,
)


# Approval profiles and matters of the examples, with their departments (002 items 10, 36; 003 item 8).
MATTERS = [
    ("liaocheng-2020-approvals", "joint-completion-acceptance", ["U1", "U2"], False),
    ("liaocheng-2020-approvals", "utility-connection", ["U2", "U3"], False),
    ("liaoyuan-2024-approvals", "assembly-venue-opening", ["U3"], True),
    ("licensing-law-2019", "general", ["U1"], False),
]


def act_approval(approvals, cases, step, at):
    kind, which, unit, _ = step
    if kind == "submit" or not cases:
        profile, matter, departments, commitment = MATTERS[which]
        case, _ = approvals.submit(
            PLATFORM,
            profile=profile,
            matter=matter,
            applicant={"name": f"申请人{which}"},
            materials=["申请书"],
            departments=departments,
            commitment=commitment,
            occurred_at=at,
        )
        cases.append(case.id)
        return
    case_id = cases[which % len(cases)]
    if kind == "advance":
        kind = next_step(approvals.get(case_id))
        unit = kind[1] if isinstance(kind, tuple) else unit
        kind = kind[0] if isinstance(kind, tuple) else kind
    {
        "notice": lambda: approvals.request_materials(case_id, PLATFORM, missing=["图纸"], occurred_at=at),
        "supply": lambda: approvals.supply_materials(case_id, PLATFORM, materials=["图纸"], occurred_at=at),
        "a_accept": lambda: approvals.accept(case_id, PLATFORM, occurred_at=at),
        "a_forward": lambda: approvals.forward(case_id, PLATFORM, occurred_at=at),
        "a_answer": lambda: approvals.answer(
            case_id, ADMIN, department=unit, decision="approve", opinion="同意", occurred_at=at
        ),
        "a_return": lambda: approvals.return_opinion(case_id, PLATFORM, department=unit, reason="补充", occurred_at=at),
        "pause": lambda: approvals.pause(
            case_id, PLATFORM, reason="expert_review", expected_working_days=3, occurred_at=at
        ),
        "resume": lambda: approvals.resume(case_id, PLATFORM, occurred_at=at),
        "a_extend": lambda: approvals.extend(case_id, PLATFORM, working_days=5, reason="复杂", occurred_at=at),
        "decide": lambda: approvals.decide(case_id, PLATFORM, decision="approve", reason="符合条件", occurred_at=at),
        "deliver": lambda: approvals.deliver(case_id, PLATFORM, occurred_at=at),
        "revoke": lambda: approvals.revoke(case_id, PLATFORM, reason="承诺不实", occurred_at=at),
        "withdraw": lambda: approvals.withdraw(case_id, PLATFORM, reason="申请人撤回", occurred_at=at),
        "sweep": lambda: approvals.sweep_case(case_id, PLATFORM, at),
    }[kind]()


def next_step(approval):
    """The command that takes an approval one step further: accept, forward, a department's answer, decide,
    deliver (a paused case resumes first); an ended case is swept."""
    waiting = [d["unit"] for d in approval.departments if d["decision"] is None]
    if approval.paused:
        return "resume"
    return {
        "submitted": "a_accept",
        "materials_requested": "supply",
        "accepted": "a_forward",
        "in_review": ("a_answer", waiting[0]) if waiting else "decide",
        "decided": "deliver",
    }.get(approval.status, "sweep")


def act(appeals, cases, step, at):
    kind, which, unit, _ = step
    if kind == "open" or not cases:
        profile = ["zichuan-2020", "liaocheng-2020", "suqian-2024", "liaoyuan-2024"][which]
        case, _ = appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject=f"接电难 {which}",
            content="企业诉求",
            enterprise={"name": f"企业{which}"},
            profile=profile,
            occurred_at=at,
        )
        cases.append(case.id)
        return
    case_id = cases[which % len(cases)]
    {
        "forward": lambda: appeals.forward(case_id, PLATFORM, unit=unit, occurred_at=at),
        "ack": lambda: appeals.acknowledge(case_id, ADMIN, occurred_at=at),
        "initial": lambda: appeals.answer(case_id, ADMIN, kind="initial", content="初步", occurred_at=at),
        "final": lambda: appeals.answer(case_id, ADMIN, kind="final", content="结果", occurred_at=at),
        "accept": lambda: appeals.review(case_id, PLATFORM, accepted=True, occurred_at=at),
        "reject": lambda: appeals.review(case_id, PLATFORM, accepted=False, occurred_at=at),
        "return": lambda: appeals.return_for_redo(case_id, PLATFORM, reason="不满意", occurred_at=at),
        "escalate": lambda: appeals.escalate(case_id, SUPERVISOR, reason="督办", occurred_at=at),
        "extend": lambda: appeals.extend(case_id, PLATFORM, working_days=2, reason="复杂", occurred_at=at),
        "handback": lambda: appeals.request_handback(case_id, ADMIN, reason="非本单位", occurred_at=at),
        "visit": lambda: appeals.visit(
            case_id,
            PLATFORM,
            satisfaction=("basically_satisfied", "unsatisfied")[which % 2],
            solved=which % 2 == 0,
            occurred_at=at,
        ),
        "rectify": lambda: appeals.rectify(case_id, ADMIN, content="整改", occurred_at=at),
        "contest": lambda: appeals.contest_rating(case_id, ADMIN, reason="误评", occurred_at=at),
        "adjudicate": lambda: appeals.adjudicate_rating(
            case_id, PLATFORM, upheld=which % 2 == 1, note="复核", occurred_at=at
        ),
        "close": lambda: appeals.close_case(case_id, PLATFORM, occurred_at=at),
        # 并单 into the next case opened, and its undoing.
        "merge": lambda: appeals.merge(case_id, PLATFORM, into=cases[(which + 1) % len(cases)], occurred_at=at),
        "unmerge": lambda: appeals.unmerge(case_id, PLATFORM, reason="误并", occurred_at=at),
    }[kind]()


def months_between(first, last) -> list[str]:
    months, day = [], first.astimezone(SHANGHAI_ZONE).date().replace(day=1)
    while day <= last.astimezone(SHANGHAI_ZONE).date():
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, batch_size=st.integers(1, 9))
# 并单 moves counts back to the day a case was forwarded; a merge and its undoing across batches, always tried.
@example(
    steps=[
        ("open", 0, "U1", 1),
        ("open", 1, "U1", 1),
        ("forward", 0, "U1", 1),
        ("forward", 1, "U2", 1),
        ("ack", 1, "U2", 2),
        ("project", 0, "U1", 1),
        ("merge", 1, "U1", 3),
        ("project", 0, "U1", 1),
        ("unmerge", 1, "U1", 30),
        ("merge", 1, "U1", 2),
    ],
    batch_size=2,
)
def test_views_built_incrementally_equal_a_rebuild_from_zero(
    appeals, approvals, database_url, calendars, steps, batch_size
):
    """For random interleavings of commands (on appeals and approvals) and projection runs, every view
    equals a from-scratch rebuild."""
    appeals.clock = approvals.clock = lambda: FAR_AHEAD
    read = ReadSide(appeals, database_from_url(database_url), calendars, batch_size)
    read.reset()  # the database is shared by hypothesis' examples
    before = appeals.recorder.max_notification_id() or 0
    runner = read.runner()
    runner.run_once()
    cases, approval_cases = [], []
    at = first = START + timedelta(days=before)  # later examples act later, after earlier ones' events
    for step in steps:
        at += timedelta(hours=step[3])
        if step[0] == "project":
            runner.run_once()
            continue
        try:
            if step[0] in APPROVAL_STEPS:
                act_approval(approvals, approval_cases, step, at)
            else:
                act(appeals, cases, step, at)
        except DomainError:
            pass  # refused commands record nothing; the views must not notice them either
    runner.run_once()
    months = ("2026-09", "2026-10", "2026-11", *months_between(first, at))  # and the months this example acted in
    incremental = read.contents(months=months)
    read.reset()
    read.runner(batch_size=1000).run_once()
    rebuilt = read.contents(months=months)
    for key in incremental:
        assert rebuilt[key] == incremental[key], (
            next(
                ({k: (a[k], b[k]) for k in a if a[k] != b[k]} for a, b in zip(rebuilt[key], incremental[key]) if a != b)
            )
            if isinstance(incremental[key], list)
            else key
        )
    read.close()


def test_ledger_figures_counted_by_hand(appeals, database_url, calendars):
    """The ledger's rates on a small month, every figure counted by hand (Zichuan, 000 item 4).

    Three cases forwarded to U1 on Tue 2026-09-29 10:00 (unit reply due Thu 2026-10-08 24:00):
    A replies on time on 09-30; B replies late on 10-09 and is closed solved, basically satisfied;
    C never replies.
    """
    ids, unit = [], f"U1-{uuid.uuid4().hex[:8].upper()}"  # the PostgreSQL database is shared by the session
    for n in range(3):
        case, _ = appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject=f"case {n}",
            content="c",
            enterprise={"name": "E"},
            profile="zichuan-2020",
            occurred_at=sh("2026-09-29 09:00"),
        )
        appeals.forward(case.id, PLATFORM, unit=unit, occurred_at=sh("2026-09-29 10:00"))
        ids.append(case.id)
    appeals.answer(ids[0], ADMIN, kind="initial", content="x", occurred_at=sh("2026-09-30 10:00"))
    appeals.answer(ids[1], ADMIN, kind="final", content="x", occurred_at=sh("2026-10-09 10:00"))
    appeals.review(ids[1], PLATFORM, accepted=True, occurred_at=sh("2026-10-09 11:00"))
    appeals.visit(ids[1], PLATFORM, satisfaction="basically_satisfied", solved=True, occurred_at=sh("2026-10-09 12:00"))
    appeals.close_case(ids[1], PLATFORM, occurred_at=sh("2026-10-09 13:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    read.runner().run_once()
    ledger = read.models[1].view

    september = ledger.figures(unit, ReportingPeriod.month("2026-09"))
    assert {k: v for k, v in september.counts.items() if v} == {"forwarded": 3, "responded": 2, "replies_on_time": 1}
    assert (september.open_at_end, september.overdue_at_end) == (3, 0)
    # response 2/3 (B's late reply still responds, credited to September when it was forwarded);
    # on time 1 / (1 + 0 + 0).
    assert september.rates == {
        "response": 0.6667,
        "on_time": 1.0,
        "resolution": None,
        "satisfaction": None,
        "satisfaction_adjudicated": None,
    }

    october = ledger.figures(unit, ReportingPeriod.month("2026-10"))
    assert {k: v for k, v in october.counts.items() if v} == {
        "replies_late": 1,
        "closed": 1,
        "closed_solved": 1,
        "visits_basically_satisfied": 1,
    }
    # Open at Oct 31 24:00: A and C; overdue then: C (unit reply ended Oct 8, never met).
    assert (october.open_at_end, october.overdue_at_end) == (2, 1)
    # on time 0 / (0 + 1 late + 1 overdue) — the open overdue case is not hidden; satisfaction 0.9 / 1.
    assert october.rates == {
        "response": None,
        "on_time": 0.0,
        "resolution": 1.0,
        "satisfaction": 0.9,
        "satisfaction_adjudicated": 0.9,
    }
    read.close()


def test_reporting_month_closing_on_the_25th(appeals, database_url, calendars):
    """004 item 十一 / 003 工作要求: monthly ledgers by the 25th — the month 2026-10 closing on the 25th
    runs from 09-26 to 10-25."""
    unit = f"U2-{uuid.uuid4().hex[:8].upper()}"
    for day in ("2026-09-25", "2026-09-26", "2026-10-25", "2026-10-26"):
        case, _ = appeals.open(
            PLATFORM,
            channel="12345",
            category="help",
            subject=day,
            content="c",
            enterprise={"name": "E"},
            profile="liaoyuan-2024",
            occurred_at=sh(f"{day} 09:00"),
        )
        appeals.forward(case.id, PLATFORM, unit=unit, occurred_at=sh(f"{day} 10:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    read.runner().run_once()
    period = ReportingPeriod.month("2026-10", close_day=25)
    assert (period.start, period.end) == (sh("2026-09-26 00:00"), sh("2026-10-26 00:00"))
    assert read.models[1].view.figures(unit, period).counts["forwarded"] == 2
    assert read.models[1].view.figures(unit, ReportingPeriod.month("2026-10")).counts["forwarded"] == 2
    read.close()


def test_audit_trail_keeps_each_event_exactly_as_recorded(appeals, database_url, calendars):
    """The trail's data is the stored JSON itself, not a re-encoding (jsonb would reorder keys and drop
    whitespace): an auditor comparing it with the event store finds the same text."""
    case, _ = appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="审计 exact",
        content="内容",
        enterprise={"name": "企业"},
        profile="zichuan-2020",
        occurred_at=sh("2026-09-29 09:00"),
    )
    appeals.forward(case.id, PLATFORM, unit="U1", occurred_at=sh("2026-09-29 10:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.reset()
    read.runner().run_once()
    trail, total = read.models[2].view.query(AuditQuery(case_id=str(case.id)))
    stored = appeals.recorder.select_events(case.id)
    assert total == len(stored) == 2
    assert [row["data"] for row in trail] == [event.state.decode("utf-8") for event in stored]
    read.close()


def test_runner_hands_the_garbage_collector_back_after_catching_up(appeals, database_url, calendars):
    """The catch-up pauses the cyclic collector and freezes each batch's survivors; afterwards nothing
    stays frozen and the collector runs again, whether the run ends normally or fails."""
    case, _ = appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="gc",
        content="c",
        enterprise={"name": "E"},
        profile="zichuan-2020",
        occurred_at=sh("2026-09-29 09:00"),
    )
    appeals.forward(case.id, PLATFORM, unit="U1", occurred_at=sh("2026-09-29 10:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars, batch_size=1)
    read.reset()
    assert gc.isenabled()
    read.runner().run_once()
    assert gc.isenabled() and gc.get_freeze_count() == 0

    def fail(changes, position, after=None):
        raise RuntimeError("view down")

    read.reset()
    read.models[2].write = fail
    with pytest.raises(RuntimeError):
        read.runner().run_once()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    read.close()


def test_case_list_deadlines_are_the_domains_deadline_states(appeals, database_url, calendars):
    """The list's deadline rows and next deadline say what ``evaluate`` says of the same clocks:
    due times, provisional flags, and clocks met, reopened by a return (退回重办) and extended (延期)."""
    case, _ = appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="时限",
        content="c",
        enterprise={"name": "E"},
        profile="liaocheng-2020",
        occurred_at=sh("2026-09-29 09:00"),
    )
    appeals.forward(case.id, PLATFORM, unit="U1", occurred_at=sh("2026-09-29 10:00"))
    appeals.answer(case.id, ADMIN, kind="final", content="x", occurred_at=sh("2026-09-30 10:00"))
    appeals.return_for_redo(case.id, PLATFORM, reason="不实", occurred_at=sh("2026-10-09 10:00"))
    appeals.extend(case.id, PLATFORM, working_days=2, reason="复杂", occurred_at=sh("2026-10-09 11:00"))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    model = read.models[0]
    appeal = appeals.repository.get(case.id)
    calendar = calendars.for_jurisdiction(appeal.policy["jurisdiction"])
    states = evaluate(appeal.clocks, calendar, appeal.last_at)
    rows = model.rows(appeal)
    assert len(states) >= 3 and any(s.extended for s in states) and any(s.met_at for s in states)
    assert [
        {
            k: d[k]
            for k in (
                "name",
                "round",
                "unit",
                "started_at",
                "ends_at",
                "due",
                "met_at",
                "cancelled_at",
                "provisional",
                "started_by",
                "met_seq",
                "missed_seq",
            )
        }
        for d in rows.deadlines
    ] == [
        {
            "name": s.name,
            "round": s.round,
            "unit": s.unit,
            "started_at": s.started_at,
            "ends_at": s.ends_at,
            "due": s.due,
            "met_at": s.met_at,
            "cancelled_at": s.cancelled_at,
            "provisional": s.provisional,
            "started_by": s.started_by,
            "met_seq": s.met_seq,
            "missed_seq": s.missed_seq,
        }
        for s in states
    ]
    running = [s for s in states if s.met_at is None and s.cancelled_at is None]
    upcoming = min(running, key=lambda s: s.ends_at)
    assert (rows.case["next_deadline"], rows.case["next_due"], rows.case["next_ends_at"]) == (
        upcoming.name,
        upcoming.due,
        upcoming.ends_at,
    )
    read.close()


def test_an_event_stored_with_nul_in_its_text_is_still_projected(appeals, database_url, calendars):
    """The read side never stalls on one event's content: a NUL recorded before input was checked
    (here stored directly through the domain service) stays in the event as it is, and every view
    moves past it; the list shows it as U+FFFD (PostgreSQL text cannot hold NUL)."""
    case, _ = appeals.open(
        PLATFORM,
        channel="12\x0045",
        category="help",
        subject="接电\x00难",
        content="内容\x00",
        enterprise={"name": "企业\x00"},
        profile="zichuan-2020",
        occurred_at=sh("2026-10-12 09:00"),
    )
    appeals.forward(case.id, PLATFORM, unit="U1", note="备注\x00", occurred_at=sh("2026-10-12 10:00"))
    assert appeals.history(case.id)[0].data["subject"] == "接电\x00难"  # the event keeps what was recorded
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    read.runner(batch_size=1000).run_once()
    head = appeals.recorder.max_notification_id()
    assert [m.view.position() for m in read.models] == [head] * 3
    rows, _ = read.models[0].view.query(CaseListQuery(q=case.case_no, per_page=5, now=sh("2026-10-12 11:00")))
    assert [(r["subject"], r["enterprise_name"]) for r in rows] == [("接电\ufffd难", "企业\ufffd")]
    trail, _ = read.models[2].view.query(AuditQuery(case_id=str(case.id)))
    assert [r["type"] for r in trail] == ["Received", "Forwarded"]
    read.close()
