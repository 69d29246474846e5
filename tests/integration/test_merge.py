"""并单 (merging repeat appeals), 国办函〔2025〕66号: repeat appeals on the same matter are merged into one
case, keeping each caller's record. No source document words the mechanism further.

Zichuan profile (000 item 4) on the 2026 calendar: the unit replies within 2 WD of the work order. The
Mid-Autumn holiday is Fri 09-25..Sun 09-27, National Day Thu 10-01..Wed 10-07. Case A is received Mon
09-21 09:00 and forwarded at 10:00 (reply due Wed 09-23 24:00); its repeat B is received Tue 09-22 09:00
and forwarded at 10:00 (reply due Thu 09-24 24:00), and is merged into A on Wed 09-23 15:00.
"""

from __future__ import annotations

import uuid

import pytest

from adapters.persistence.database import database_from_url
from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed, VersionConflict
from projections.cases.case_list import CaseListQuery
from projections.ledger.appeals import ReportingPeriod
from tests.conftest import ADMIN, PLATFORM, sh, unit_actor
from tests.integration.approval_cases import submit
from tests.integration.cases import open_case
from tests.integration.views import ReadSide

MERGED_AT = "2026-09-23 15:00"


def pair(appeals, unit: str | None = None):
    """A and its repeat B, both forwarded to ``unit`` (one of this test alone: the database is shared)."""
    unit = unit or f"U-{uuid.uuid4().hex[:8].upper()}"
    a = open_case(appeals, "zichuan-2020", "2026-09-21 09:00", contact={"name": "王经理", "phone": "13800000001"})
    appeals.forward(a.id, PLATFORM, unit=unit, occurred_at=sh("2026-09-21 10:00"))
    b = open_case(
        appeals,
        "zichuan-2020",
        "2026-09-22 09:00",
        channel="enterprise_express",
        contact={"name": "李会计", "phone": "13800000002"},
    )
    appeals.forward(b.id, PLATFORM, unit=unit, occurred_at=sh("2026-09-22 10:00"))
    return a.id, b.id, unit


def merged_pair(appeals, unit: str | None = None):
    a, b, unit = pair(appeals, unit)
    appeals.merge(b, PLATFORM, into=a, note="同一接电事项", occurred_at=sh(MERGED_AT))
    return a, b, unit


def test_a_repeat_merged_is_recorded_on_both_cases_and_the_survivor_keeps_every_caller(appeals):
    """并单, keeping each caller's record: MergedInto on the repeat, RepeatMerged on the case
    it joins, as a symmetric pair; the repeat ends as merged, neither closed nor solved."""
    a, b, _ = merged_pair(appeals)
    survivor, repeat = appeals.get(a), appeals.get(b)

    assert (repeat.status, repeat.solved, repeat.closed_at) == ("merged", None, None)
    assert repeat.merged_into == {
        "id": a,
        "case_no": survivor.case_no,
        "at": sh(MERGED_AT),
        "seq": 3,
        "status": "forwarded",
    }
    last_b, last_a = appeals.history(b)[-1], appeals.history(a)[-1]
    assert (last_b.type, last_b.data["into"], last_b.data["into_case_no"], last_b.data["note"]) == (
        "MergedInto",
        a,
        survivor.case_no,
        "同一接电事项",
    )
    assert (last_a.type, last_a.data["case"], last_a.data["case_no"]) == ("RepeatMerged", b, repeat.case_no)
    assert [(c["case"], c["channel"], c["contact"]["name"], c["received_at"]) for c in survivor.callers] == [
        (a, "12345", "王经理", sh("2026-09-21 09:00")),
        (b, "enterprise_express", "李会计", sh("2026-09-22 09:00")),
    ]


def test_a_merged_repeats_deadlines_stop_and_no_sweep_records_them_missed(appeals):
    """并单 with 000 item 4: B's reply (due Thu 09-24 24:00) stops at the merge on 09-23 15:00, so
    a sweep on Mon 09-28 12:00 records nothing on B, while A's own deadlines are missed: its reply, due Wed
    09-23 24:00, and the platform's report, 3 WD from receipt before 12:00: Thu 09-24 12:00."""
    a, b, _ = merged_pair(appeals)
    repeat = appeals.get(b)
    states = appeals.deadlines(repeat, now=sh("2026-09-28 12:00"))
    assert {(d.name, d.cancelled_at, d.overdue) for d in states} == {
        ("unit_reply", sh(MERGED_AT), False),
        ("platform_report", sh(MERGED_AT), False),
    }

    assert appeals.sweep_case(b, PLATFORM, sh("2026-09-28 12:00")) == []
    assert appeals.get(b).version == repeat.version
    swept = appeals.sweep_case(a, PLATFORM, sh("2026-09-28 12:00"))
    missed = [e for e in swept if type(e).__name__ == "DeadlineMissed"]
    assert {(e.deadline, e.due) for e in missed} == {
        ("unit_reply", sh("2026-09-23 23:59:59")),
        ("platform_report", sh("2026-09-24 12:00")),
    }


def test_an_unmerge_restores_the_repeat_and_its_deadlines_run_again_from_the_unmerge(appeals):
    """并单 undone (撤销并单): B returns to forwarded, its stopped reply clock runs again as round 2,
    2 WD from Tue 09-29 10:00: Wed 09-30, then (National Day 10-01..10-07) Thu 10-08 — due 10-08 24:00;
    A drops B's caller, and the history of both keeps the merge and its undoing."""
    a, b, _ = merged_pair(appeals)
    appeals.unmerge(b, PLATFORM, reason="经核实为不同厂区的两个接电事项", occurred_at=sh("2026-09-29 10:00"))
    repeat, survivor = appeals.get(b), appeals.get(a)

    assert (repeat.status, repeat.merged_into, survivor.repeats) == ("forwarded", None, ())
    assert [c["case"] for c in survivor.callers] == [a]
    reply = [d for d in appeals.deadlines(repeat, now=sh("2026-09-29 12:00")) if d.name == "unit_reply"]
    assert [(d.round, d.due, d.cancelled_at) for d in reply] == [
        (1, sh("2026-09-24 23:59:59"), sh(MERGED_AT)),
        (2, sh("2026-10-08 23:59:59"), None),
    ]
    assert [e.type for e in appeals.history(b)][-2:] == ["MergedInto", "Unmerged"]
    assert [e.type for e in appeals.history(a)][-2:] == ["RepeatMerged", "RepeatUnmerged"]
    assert appeals.history(b)[-1].data["status"] == "forwarded"


def test_each_refused_merge_or_unmerge_records_nothing_on_either_case(appeals, approvals):
    """docs/http-api.md *Errors*: a refused 并单 records nothing. Refused: into itself, into no case,
    into an approval, into a merged case, a case already merged, a case others joined, into or from a
    closed case, an unmerge of a case not merged or with no reason, a unit, a stale version."""
    a, b, unit = merged_pair(appeals)
    c, d, _ = pair(appeals, unit)
    closed = open_case(appeals, "zichuan-2020", "2026-09-22 11:00").id
    appeals.forward(closed, PLATFORM, unit=unit, occurred_at=sh("2026-09-22 11:30"))
    appeals.answer(closed, ADMIN, kind="final", content="已接通", occurred_at=sh("2026-09-22 14:00"))
    appeals.review(closed, PLATFORM, accepted=True, occurred_at=sh("2026-09-22 15:00"))
    appeals.close_case(closed, PLATFORM, occurred_at=sh("2026-09-22 16:00"))
    approval = submit(approvals, "2026-09-22 09:00", "joint-completion-acceptance", [unit]).id
    cases = (a, b, c, d, closed)
    versions = {x: appeals.get(x).version for x in cases}

    refusals = [
        (ValidationFailed, lambda: appeals.merge(c, PLATFORM, into=c)),
        (ValidationFailed, lambda: appeals.merge(c, PLATFORM, into=uuid.uuid4())),
        (ValidationFailed, lambda: appeals.merge(c, PLATFORM, into=approval)),
        (NotAllowedInState, lambda: appeals.merge(c, PLATFORM, into=b)),
        (NotAllowedInState, lambda: appeals.merge(b, PLATFORM, into=c)),
        (NotAllowedInState, lambda: appeals.merge(a, PLATFORM, into=c)),
        (NotAllowedInState, lambda: appeals.merge(c, PLATFORM, into=closed)),
        (NotAllowedInState, lambda: appeals.merge(closed, PLATFORM, into=c)),
        (NotAllowedInState, lambda: appeals.unmerge(c, PLATFORM, reason="误并")),
        (ValidationFailed, lambda: appeals.unmerge(b, PLATFORM, reason=" ")),
        (NotPermitted, lambda: appeals.merge(d, unit_actor(unit), into=c)),
        (VersionConflict, lambda: appeals.merge(d, PLATFORM, into=c, expected_version=1)),
    ]
    for refusal, act in refusals:
        with pytest.raises(refusal):
            act()
    assert {x: appeals.get(x).version for x in cases} == versions
    with pytest.raises(NotAllowedInState) as refused:
        appeals.merge(c, PLATFORM, into=closed)
    assert "已办结" in refused.value.zh


def test_the_ledger_counts_a_merged_case_once_and_an_unmerge_counts_it_again(appeals, database_url, calendars):
    """并单 in the ledgers: B, signed for on 09-22 and merged into A, leaves the unit's forwarded
    and responded of 09-22 for ``merged``; its sign-for stays counted. At Sep 30 24:00 only A is open, and
    only A is overdue (its reply ended 09-23 unmet; B's stopped at the merge). The unmerge counts B again."""
    a, b, unit = pair(appeals)
    appeals.acknowledge(b, ADMIN, occurred_at=sh("2026-09-22 11:00"))
    appeals.merge(b, PLATFORM, into=a, occurred_at=sh(MERGED_AT))
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    try:
        read.reset()
        read.runner().run_once()
        september = read.models[1].view.figures(unit, ReportingPeriod.month("2026-09"))
        assert {k: v for k, v in september.counts.items() if v} == {"forwarded": 1, "acknowledged": 1, "merged": 1}
        assert (september.open_at_end, september.overdue_at_end) == (1, 1)
        assert september.rates["response"] == 0.0

        appeals.unmerge(b, PLATFORM, reason="不是同一事项", occurred_at=sh("2026-10-09 09:00"))
        read.runner().run_once()
        again = read.models[1].view.figures(unit, ReportingPeriod.month("2026-09"))
        assert {k: v for k, v in again.counts.items() if v} == {"forwarded": 2, "acknowledged": 1, "responded": 1}
    finally:
        read.close()


def test_likely_repeats_come_from_the_case_list_window_and_the_merge_shows_in_the_inbox(
    appeals, database_url, calendars
):
    """The case list holds each appeal's credit code, so the likely repeats of a case are read
    by the receipt window (domain.appeals.repeats: 30 calendar days either side); a merged case leaves the
    candidates, and the unit's inbox shows it merged into A's number, and A with one repeat."""
    code = f"91370302MA{uuid.uuid4().hex[:8].upper()}"
    a, b, unit = pair(appeals)
    near = open_case(appeals, "zichuan-2020", "2026-10-22 09:00", enterprise={"name": "E", "credit_code": code})
    far = open_case(appeals, "zichuan-2020", "2026-10-23 09:00", enterprise={"name": "E", "credit_code": code})
    read = ReadSide(appeals, database_from_url(database_url), calendars)
    try:
        read.runner().run_once()
        view = read.models[0].view
        # A received Mon 09-21: the window is 08-22 00:00 .. 10-22 00:00 (10-21 is the 30th day after).
        ids = {c.id for c in view.repeat_candidates(sh("2026-08-22 00:00"), sh("2026-10-22 00:00"))}
        assert {str(a), str(b)} <= ids and str(near.id) not in ids and str(far.id) not in ids
        assert {
            c.credit_code
            for c in view.repeat_candidates(sh("2026-10-22 00:00"), sh("2026-10-23 00:00"))
            if c.id == str(near.id)
        } == {code}

        appeals.merge(b, PLATFORM, into=a, occurred_at=sh(MERGED_AT))
        read.runner().run_once()
        assert str(b) not in {c.id for c in view.repeat_candidates(sh("2026-08-22 00:00"), sh("2026-10-22 00:00"))}
        rows, _ = view.query(
            CaseListQuery(kind=None, viewer_unit=unit, deadlines_of=unit, sort="received", now=sh("2026-09-24 09:00"))
        )
        shown = {r["id"]: (r["status"], r["merged_into"], r["repeats"], r["next_deadline"]) for r in rows}
        case_a = appeals.get(a)
        assert shown == {str(a): ("forwarded", None, 1, "unit_reply"), str(b): ("merged", case_a.case_no, 0, None)}
    finally:
        read.close()


def test_a_merged_case_takes_no_rating_follow_through_until_it_is_unmerged(appeals):
    """并单 with 好差评: a bad rating of a repeat later merged is neither rectified nor
    contested while merged — the matter goes on in the case it joined — and nothing is recorded; unmerged,
    its rectification runs again and the unit rectifies it."""
    a, b, unit = pair(appeals)
    appeals.answer(b, ADMIN, kind="final", content="已处理", occurred_at=sh("2026-09-22 14:00"))
    appeals.review(b, PLATFORM, accepted=True, occurred_at=sh("2026-09-22 15:00"))
    appeals.visit(b, PLATFORM, satisfaction="unsatisfied", occurred_at=sh("2026-09-22 16:00"))
    appeals.merge(b, PLATFORM, into=a, occurred_at=sh(MERGED_AT))
    version = appeals.get(b).version
    for act in (
        lambda: appeals.rectify(b, unit_actor(unit), content="已整改"),
        lambda: appeals.contest_rating(b, unit_actor(unit), reason="误评"),
    ):
        with pytest.raises(NotAllowedInState):
            act()
    assert appeals.get(b).version == version
    appeals.unmerge(b, PLATFORM, reason="并非同一事项", occurred_at=sh("2026-09-24 09:00"))
    appeals.rectify(b, ADMIN, content="已整改", occurred_at=sh("2026-09-24 10:00"))
    assert appeals.get(b).ratings[-1]["rectification"]["content"] == "已整改"
