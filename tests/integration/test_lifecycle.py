"""The appeal lifecycle on both databases: transitions, refusals, as-of, backfill, races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from domain.errors import CaseNotFound, NotAllowedInState, NotPermitted, ValidationFailed, VersionConflict
from tests.conftest import ADMIN, AUDITOR, INSPECTOR, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import as_unit, forwarded_case, open_case

UNIT = as_unit("DISTRICT-POWER")
PROFILE = "liaocheng-2020"  # has deadlines, an extension rule and an escalation level

# Unit steps run as an admin here so that only the state machine decides (unit scope is tested below).
COMMANDS = {
    "forward": lambda s, c: s.forward(c, PLATFORM, unit="DISTRICT-POWER"),
    "acknowledge": lambda s, c: s.acknowledge(c, ADMIN),
    "answer": lambda s, c: s.answer(c, ADMIN, kind="final", content="已办理。"),
    "review": lambda s, c: s.review(c, PLATFORM, accepted=True),
    "return": lambda s, c: s.return_for_redo(c, PLATFORM, reason="企业不满意"),
    "escalate": lambda s, c: s.escalate(c, SUPERVISOR, reason="督办"),
    "extend": lambda s, c: s.extend(c, ADMIN, working_days=1, reason="情况复杂"),
    "handback": lambda s, c: s.request_handback(c, ADMIN, reason="不属本单位职责"),
    "visit": lambda s, c: s.visit(c, PLATFORM, satisfaction="satisfied", solved=True),
    "close": lambda s, c: s.close_case(c, PLATFORM),
}
# The appeal's lifecycle, written out independently of the aggregate.
ALLOWED = {
    "received": {"forward"},
    "forwarded": {"forward", "acknowledge", "answer", "escalate", "extend", "handback"},
    "acknowledged": {"answer", "escalate", "extend", "handback"},
    "answered": {"review", "return", "escalate"},
    "reviewed": {"return", "escalate", "visit", "close"},
    "visited": {"return", "escalate", "visit", "close"},
    "returned": {"answer", "escalate", "extend"},
    "handback_requested": {"forward", "escalate"},
    "closed": set(),
}
PATHS = {
    "received": [],
    "forwarded": ["forward"],
    "acknowledged": ["forward", "acknowledge"],
    "answered": ["forward", "answer"],
    "reviewed": ["forward", "answer", "review"],
    "visited": ["forward", "answer", "review", "visit"],
    "returned": ["forward", "answer", "return"],
    "handback_requested": ["forward", "handback"],
    "closed": ["forward", "answer", "review", "visit", "close"],
}


def store_dump(appeals):
    """Every stored record, as the recorder returns it: the whole event store."""
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
        for n in appeals.recorder.select_notifications(start=None, limit=10**6)
    ]


def case_in(appeals, status):
    case, _ = appeals.open(
        PLATFORM,
        channel="12345",
        category="help",
        subject="接电",
        content="接电难",
        enterprise={"name": "某公司"},
        profile=PROFILE,
    )
    for step in PATHS[status]:
        case = COMMANDS[step](appeals, case.id)
    assert case.status == status
    return case


@pytest.mark.parametrize("status", list(ALLOWED))
def test_command_not_allowed_in_the_current_state_is_refused_and_nothing_recorded(appeals, status):
    """Each lifecycle step only from the states that lead to it; refusals record nothing."""
    case = case_in(appeals, status)
    before = store_dump(appeals)
    for command in sorted(set(COMMANDS) - ALLOWED[status]):
        with pytest.raises(NotAllowedInState, match=f"cannot {command}"):
            COMMANDS[command](appeals, case.id)
        assert store_dump(appeals) == before, command


@pytest.mark.parametrize("status", list(ALLOWED))
def test_command_allowed_in_the_current_state_is_recorded(appeals, status):
    for command in sorted(ALLOWED[status]):
        case = case_in(appeals, status)
        assert COMMANDS[command](appeals, case.id).version > case.version, command


def test_full_lifecycle_records_every_step_with_its_actor(appeals):
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    steps = [
        lambda: appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-10-08 09:00")),
        lambda: appeals.answer(case.id, ADMIN, kind="initial", content="已核实。", occurred_at=sh("2026-10-09 09:00")),
        lambda: appeals.answer(case.id, ADMIN, kind="final", content="已接电。", occurred_at=sh("2026-10-20 09:00")),
        lambda: appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-10-20 15:00")),
        lambda: appeals.visit(
            case.id, PLATFORM, satisfaction="basically_satisfied", solved=True, occurred_at=sh("2026-10-21 10:00")
        ),
        lambda: appeals.close_case(case.id, PLATFORM, occurred_at=sh("2026-10-21 11:00")),
    ]
    for step in steps:
        step()
    final = appeals.get(case.id)
    assert final.status == "closed" and final.solved is True and final.satisfaction == "basically_satisfied"
    history = appeals.history(case.id)
    assert [h.type for h in history] == [
        "Received",
        "Forwarded",
        "Acknowledged",
        "Answered",
        "Answered",
        "Reviewed",
        "Visited",
        "Closed",
    ]
    assert [h.seq for h in history] == list(range(1, 9))
    assert history[0].actor == {"user": "hotline.clerk", "role": "platform", "unit": None}
    assert all(h.backfilled and h.recorded_at > h.occurred_at for h in history)
    assert not any(d.overdue for d in appeals.deadlines(final, now=sh("2026-12-01 00:00")))


def test_case_closed_unsolved_is_recorded_as_closed_not_solved(appeals):
    """A case closed without the problem solved is recorded as such (closed, not solved)."""
    case = case_in(appeals, "reviewed")
    appeals.visit(case.id, PLATFORM, satisfaction="unsatisfied", solved=False)
    closed = appeals.close_case(case.id, PLATFORM)
    assert closed.status == "closed" and closed.solved is False
    assert appeals.history(case.id)[-1].data == {"solved": False}


def test_as_of_every_event_boundary_equals_the_state_then(appeals):
    """Auditors see any case as it stood at any moment (docs/http-api.md ``?as_of``)."""
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-10-08 09:00"))
    appeals.extend(case.id, PLATFORM, working_days=5, reason="复杂", occurred_at=sh("2026-10-09 09:00"))
    appeals.escalate(case.id, SUPERVISOR, reason="督办")
    appeals.answer(case.id, UNIT, kind="final", content="已办理。")
    history = appeals.history(case.id)
    for entry in history:
        expected = appeals.repository.get(case.id, version=entry.seq)
        at_event = appeals.get(case.id, as_of=entry.occurred_at)
        assert vars(at_event) == vars(expected), entry.type
        just_before = entry.occurred_at - timedelta(microseconds=1)
        if entry.seq == 1:
            with pytest.raises(CaseNotFound):
                appeals.get(case.id, as_of=just_before)
        else:
            assert appeals.get(case.id, as_of=just_before).version == entry.seq - 1


def test_as_of_deadlines_show_what_was_overdue_at_that_moment(appeals):
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    appeals.acknowledge(case.id, ADMIN, occurred_at=sh("2026-10-09 09:00"))  # a day late
    then = appeals.get(case.id, as_of=sh("2026-10-08 12:00"))
    verification = next(d for d in appeals.deadlines(then, now=sh("2026-10-08 12:00")) if d.name == "verification")
    assert verification.met_at is None and not verification.overdue
    now = appeals.get(case.id)
    verification = next(d for d in appeals.deadlines(now) if d.name == "verification")
    assert verification.met_late


@pytest.mark.parametrize(
    ("when", "field_message"),
    [
        ("future", "must not be in the future"),
        ("before_last", "must not be before the case's last event"),
    ],
)
def test_occurred_at_is_never_in_the_future_nor_before_the_previous_event(appeals, when, field_message):
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    at = appeals.clock() + timedelta(minutes=5) if when == "future" else sh("2026-09-30 15:59")
    before = store_dump(appeals)
    with pytest.raises(ValidationFailed, match=field_message) as refused:
        appeals.acknowledge(case.id, ADMIN, occurred_at=at)
    assert set(refused.value.fields) == {"occurred_at"}
    assert store_dump(appeals) == before


def test_opening_again_with_the_same_channel_and_external_ref_returns_the_existing_case(appeals):
    """The city platform's work-order number makes re-import idempotent."""
    first = open_case(appeals, PROFILE, "2026-09-30 15:00", external_ref="ZB-2026-0930-001")
    before = store_dump(appeals)
    again, created = appeals.open(
        PLATFORM,
        channel="12345",
        category="consultation",
        subject="changed",
        content="changed",
        enterprise={"name": "x"},
        profile=PROFILE,
        external_ref="ZB-2026-0930-001",
    )
    assert not created and again.id == first.id and again.subject == first.subject
    assert store_dump(appeals) == before
    other_channel, created = appeals.open(
        PLATFORM,
        channel="enterprise_express",
        category="help",
        subject="s",
        content="c",
        enterprise={"name": "x"},
        profile=PROFILE,
        external_ref="ZB-2026-0930-001",
    )
    assert created and other_channel.id != first.id


def test_two_racing_imports_of_one_work_order_make_one_case(appeals):
    barrier, results, seen = threading.Barrier(2, timeout=10), [], threading.local()
    find = appeals._find

    def slow_find(case_id):
        found = find(case_id)
        if not getattr(seen, "looked", False):
            seen.looked = True
            barrier.wait()  # both imports have looked and found nothing
        return found

    appeals._find = slow_find

    def import_order():
        results.append(
            appeals.open(
                PLATFORM,
                channel="12345",
                category="help",
                subject="s",
                content="c",
                enterprise={"name": "x"},
                profile=PROFILE,
                external_ref="RACE-1",
            )
        )

    threads = [threading.Thread(target=import_order) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    appeals._find = find
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].id == results[1][0].id
    assert len(appeals.history(results[0][0].id)) == 1


def test_two_racing_commands_on_one_case_one_wins_the_other_conflicts(appeals):
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    barrier, outcomes = threading.Barrier(2, timeout=10), []
    get = appeals._get

    def slow_get(case_id):
        found = get(case_id)
        barrier.wait()  # both commands hold the same version
        return found

    appeals._get = slow_get

    def run(command):
        try:
            command()
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=run, args=(c,))
        for c in (
            lambda: appeals.acknowledge(case.id, UNIT),
            lambda: appeals.request_handback(case.id, UNIT, reason="不属本单位"),
        )
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    appeals._get = get
    assert sorted(outcomes) == ["conflict", "ok"]
    # One command recorded: a handback, or an acknowledgement with the DeadlineMissed recording its
    # 1-working-day verification period as met late (it is signed for now, weeks after 10-08).
    recorded = [e.type for e in appeals.history(case.id)][case.version :]
    assert recorded in (["HandbackRequested"], ["Acknowledged", "DeadlineMissed"])


def test_expected_version_mismatch_is_a_conflict_and_records_nothing(appeals):
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    before = store_dump(appeals)
    with pytest.raises(VersionConflict):
        appeals.acknowledge(case.id, UNIT, expected_version=case.version - 1)
    assert store_dump(appeals) == before
    acknowledged = appeals.acknowledge(case.id, UNIT, expected_version=case.version)
    assert [e.type for e in appeals.history(case.id)][case.version :] == ["Acknowledged", "DeadlineMissed"]
    assert acknowledged.version == case.version + 2


def test_handback_then_reforward_restarts_the_new_units_periods(appeals):
    """退单申请 (国办函〔2025〕66号): the platform rules on it and re-forwards (改派)."""
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00", unit="DISTRICT-WATER")
    appeals.request_handback(case.id, ADMIN, reason="属供电部门职责", occurred_at=sh("2026-10-08 09:00"))
    case = appeals.rule_handback(
        case.id,
        PLATFORM,
        upheld=True,
        note="同意退单，改派供电部门。",
        unit="DISTRICT-POWER",
        co_units=["DISTRICT-WATER"],
        occurred_at=sh("2026-10-08 10:00"),
    )
    assert case.unit == "DISTRICT-POWER" and case.co_units == ["DISTRICT-WATER"]
    answers = [d for d in appeals.deadlines(case, now=sh("2026-10-08 11:00")) if d.name == "answer"]
    assert answers[0].cancelled_at == sh("2026-10-08 10:00") and answers[0].met_at is None
    # Oct 9, Oct 10 (Sat, 调休), Oct 12.
    assert answers[1].round == 2 and answers[1].due == sh("2026-10-12 23:59:59")
    with pytest.raises(NotPermitted):
        appeals.acknowledge(case.id, as_unit("DISTRICT-WATER"))


def test_unit_cannot_touch_a_case_before_it_is_forwarded_to_it(appeals):
    """docs/http-api.md *Roles*: wrong unit is 403, whatever the case's state."""
    case = case_in(appeals, "received")
    with pytest.raises(NotPermitted):
        appeals.acknowledge(case.id, UNIT)


def test_unit_acts_only_on_cases_it_leads(appeals):
    """A unit acts only on its own cases; co-handling units (协办) do not answer for the lead."""
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    case = appeals.forward(case.id, PLATFORM, unit="DISTRICT-POWER", co_units=["DISTRICT-GRID"])
    before = store_dump(appeals)
    for stranger in (as_unit("DISTRICT-WATER"), as_unit("DISTRICT-GRID")):
        with pytest.raises(NotPermitted):
            appeals.answer(case.id, stranger, kind="initial", content="x")
    assert store_dump(appeals) == before


def test_a_co_handling_unit_gives_its_opinion_and_still_cannot_answer_for_the_lead(appeals):
    """牵头承办单位 with 协办单位: the co-handling unit records its opinion for the lead (docs/http-api.md
    ``co-opinion``); only a co-handling unit may, and it answers nothing for the lead."""
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    case = appeals.forward(case.id, PLATFORM, unit="DISTRICT-POWER", co_units=["DISTRICT-GRID"])
    case = appeals.give_co_opinion(case.id, as_unit("DISTRICT-GRID"), content="网格已核实：线路需改造。")
    assert [(o["unit"], o["content"]) for o in case.co_opinions] == [("DISTRICT-GRID", "网格已核实：线路需改造。")]
    given = appeals.history(case.id)[-1]
    assert (given.type, given.actor["unit"], given.data["content"]) == (
        "CoOpinionGiven",
        "DISTRICT-GRID",
        "网格已核实：线路需改造。",
    )
    assert not any(d.met_at for d in appeals.deadlines(case))  # an opinion meets no deadline of the lead
    before = store_dump(appeals)
    for stranger in (UNIT, as_unit("DISTRICT-WATER"), PLATFORM, ADMIN):
        with pytest.raises(NotPermitted):
            appeals.give_co_opinion(case.id, stranger, content="意见")
    with pytest.raises(NotPermitted):
        appeals.answer(case.id, as_unit("DISTRICT-GRID"), kind="final", content="代为答复")
    assert store_dump(appeals) == before


def test_a_unit_is_refused_for_its_part_before_its_stale_version_is_looked_at(appeals):
    """docs/http-api.md *Roles*: permissions before facts — a co-handling unit sending a stale expected_version on
    a lead-only command learns only that it may not (403), not the case's version (409)."""
    case = forwarded_case(appeals, PROFILE, "2026-09-30 15:00", "2026-09-30 16:00")
    case = appeals.forward(case.id, PLATFORM, unit="DISTRICT-POWER", co_units=["DISTRICT-GRID"])
    for verb in (
        lambda **o: appeals.acknowledge(case.id, as_unit("DISTRICT-GRID"), **o),
        lambda **o: appeals.answer(case.id, as_unit("DISTRICT-GRID"), kind="final", content="x", **o),
        lambda **o: appeals.extend(case.id, as_unit("DISTRICT-GRID"), working_days=1, reason="x", **o),
    ):
        with pytest.raises(NotPermitted):
            verb(expected_version=1)


@pytest.mark.parametrize("reader", [INSPECTOR, AUDITOR])
def test_inspectors_and_auditors_change_no_case(appeals, reader):
    case = case_in(appeals, "forwarded")
    before = store_dump(appeals)
    for command in ("forward", "escalate", "close"):
        with pytest.raises(NotPermitted):
            {
                "forward": lambda: appeals.forward(case.id, reader, unit="X"),
                "escalate": lambda: appeals.escalate(case.id, reader, reason="x"),
                "close": lambda: appeals.close_case(case.id, reader),
            }[command]()
    assert store_dump(appeals) == before
