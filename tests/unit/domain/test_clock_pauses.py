"""Clocks that pause and resume: time not counted (行政许可法 art. 45).

Paused on day P and resumed on day R (Asia/Shanghai dates), a period runs on
later by the working days in [P, R): the day of the pause is not counted, the
day of resumption is. Hand-counted dates use the official 2026 schedule:
Mid-Autumn Fri 09-25 to Sun 09-27, National Day Thu 10-01 to Wed 10-07,
make-up working days Sun 09-20 and Sat 10-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.deadlines.clocks import (
    cancel_open,
    due_of,
    evaluate,
    is_paused,
    meet_clocks,
    met_late,
    pause_running,
    paused_since,
    resume_paused,
    start_clocks,
    working_days_in,
)
from domain.deadlines.periods import SHANGHAI, Period, PeriodUnit, period_end, working_days_between
from tests.unit.conftest import official_calendar_2025_2026

CAL = official_calendar_2025_2026()
DECISION = {
    "name": "decision",
    "title": "作出行政许可决定",
    "source": "行政许可法 第42条",
    "starts_on": ["Accepted"],
    "met_by": [{"event": "Decided"}],
    "length": 20,
    "unit": "working_days",
}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    """The displayed due of a period ending at 24:00 of ``day``."""
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), tzinfo=SHANGHAI)


def started(at: datetime, length: int = 20, unit: str = "working_days", cutoff: str | None = None) -> list[dict]:
    rule = {**DECISION, "length": length, "unit": unit}
    if cutoff is not None:
        rule["cutoff"] = cutoff
    clocks: list[dict] = []
    start_clocks(clocks, [rule], "Accepted", at, 1)
    return clocks


def paused(clocks: list[dict], *spans: tuple[datetime, datetime | None]) -> list[dict]:
    seq = 2
    for from_, to in spans:
        pause_running(clocks, "专家评审", from_, seq)
        if to is not None:
            resume_paused(clocks, to, seq + 1)
        seq += 2
    return clocks


# --- hand-counted on the 2026 schedule ----------------------------------------


@pytest.mark.parametrize("at", [sh(2026, 10, 12, 0, 0), sh(2026, 10, 12, 9, 30), sh(2026, 10, 12, 23, 59)])
def test_twenty_working_days_from_mon_12_october_end_on_mon_9_november(at):
    """行政许可法 art. 42 and art. 82: 20 WD from Mon 2026-10-12, whatever the hour, end at 24:00 of Mon 11-09."""
    due = due_of(started(at)[0], CAL)
    assert due.due == end_of("2026-11-09")
    assert due.ends_at == sh(2026, 11, 10, 0, 0)


def test_pause_from_tue_20_to_thu_22_october_moves_the_decision_two_working_days_to_wed_11_november():
    """行政许可法 art. 45: Tue 10-20 and Wed 10-21 are not counted, Thu 10-22 (the resumption) is."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), sh(2026, 10, 22, 16, 0)))
    assert due_of(clocks[0], CAL).due == end_of("2026-11-11")
    [state] = evaluate(clocks, CAL, sh(2026, 11, 11, 23, 0))
    assert state.due == end_of("2026-11-11") and not state.overdue and not state.paused
    assert state.pauses == (
        {"reason": "专家评审", "from": sh(2026, 10, 20, 10, 0), "to": sh(2026, 10, 22, 16, 0), "working_days": 2},
    )
    assert evaluate(clocks, CAL, sh(2026, 11, 12, 0, 0))[0].overdue


def test_a_paused_decision_is_not_overdue_and_shows_its_due_as_if_resumed_now():
    """行政许可法 art. 45: while the expert review runs, the clock stands still.

    Paused Tue 10-20, seen Wed 10-21: one working day (10-20) is out so far, due shown Tue 11-10."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    [state] = evaluate(clocks, CAL, sh(2026, 10, 21, 9, 0))
    assert state.paused and not state.overdue
    assert state.due == end_of("2026-11-10")
    assert state.pauses == ({"reason": "专家评审", "from": sh(2026, 10, 20, 10, 0), "to": None, "working_days": 1},)
    assert is_paused(clocks) and paused_since(clocks[0]) == sh(2026, 10, 20, 10, 0)


def test_a_decision_paused_past_its_unpaused_due_is_still_not_overdue():
    """行政许可法 art. 45: a long expert review does not make the authority late."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    [state] = evaluate(clocks, CAL, sh(2026, 12, 31, 12, 0))
    assert state.paused and not state.overdue and state.ends_at > sh(2026, 12, 31, 12, 0)


def test_due_of_without_now_counts_an_open_pause_as_moving_nothing_yet():
    """行政许可法 art. 45: how long a pause lasts is not known until it ends; ``paused_since`` says it is open."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    assert due_of(clocks[0], CAL).due == end_of("2026-11-09")
    assert due_of(clocks[0], CAL, now=sh(2026, 10, 22, 8, 0)).due == end_of("2026-11-11")


def test_twenty_working_days_from_mon_28_september_skip_national_day_to_fri_30_october():
    """行政许可法 art. 82: 09-29, 09-30, 10-08, 10-09, Sat 10-10 (调休) are WD 1-5; WD 20 is Fri 10-30."""
    assert due_of(started(sh(2026, 9, 28, 14, 0))[0], CAL).due == end_of("2026-10-30")


def test_five_working_days_from_mon_28_september_end_at_24_00_of_the_make_up_saturday():
    """行政许可法 art. 82: the 调休 Saturday 2026-10-10 is the 5th working day, counted to its 24:00."""
    clocks = started(sh(2026, 9, 28, 14, 0), length=5)
    assert due_of(clocks[0], CAL).ends_at == sh(2026, 10, 11, 0, 0)
    assert not evaluate(clocks, CAL, sh(2026, 10, 10, 12, 0))[0].overdue
    assert evaluate(clocks, CAL, sh(2026, 10, 12, 9, 0))[0].overdue


def test_a_pause_across_national_day_takes_out_only_its_working_days():
    """行政许可法 art. 45 with art. 82: paused Wed 09-30, resumed Fri 10-09 — only 09-30 and 10-08 are out."""
    clocks = paused(started(sh(2026, 9, 28, 14, 0)), (sh(2026, 9, 30, 9, 0), sh(2026, 10, 9, 9, 0)))
    [state] = evaluate(clocks, CAL, sh(2026, 10, 9, 10, 0))
    assert state.pauses[0]["working_days"] == 2
    assert state.due == end_of("2026-11-03")  # Fri 10-30, then Mon 11-02 and Tue 11-03


def test_a_decision_met_within_the_paused_period_is_not_late():
    """行政许可法 art. 45: met on Wed 11-11, after the unpaused due but within the moved one."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), sh(2026, 10, 22, 16, 0)))
    meet_clocks(clocks, "Decided", {}, sh(2026, 11, 11, 15, 0), 9)
    assert not met_late(clocks[0], CAL)
    assert not evaluate(clocks, CAL, sh(2026, 12, 1, 0, 0))[0].met_late
    unpaused = started(sh(2026, 10, 12, 9, 0))
    meet_clocks(unpaused, "Decided", {}, sh(2026, 11, 11, 15, 0), 9)
    assert met_late(unpaused[0], CAL)


def test_meeting_a_paused_clock_ends_its_pause_at_the_same_instant():
    """行政许可法 art. 45: a decision made during the pause stops the clock; nothing stays paused."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    meet_clocks(clocks, "Decided", {}, sh(2026, 10, 23, 11, 0), 7)
    pause = clocks[0]["pauses"][0]
    assert (pause["to"], pause["to_seq"]) == (sh(2026, 10, 23, 11, 0), 7)
    assert not is_paused(clocks)
    [state] = evaluate(clocks, CAL, sh(2026, 12, 1, 0, 0))
    assert not state.paused and not state.overdue and state.pauses[0]["working_days"] == 3


def test_cancelling_a_paused_clock_ends_its_pause_at_the_same_instant():
    """A withdrawn application cancels its clocks (行政许可法 art. 45 time ends with them)."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    cancel_open(clocks, sh(2026, 10, 26, 9, 0), 8)
    assert clocks[0]["pauses"][0]["to_seq"] == 8 and not is_paused(clocks)
    assert not evaluate(clocks, CAL, sh(2026, 12, 1, 0, 0))[0].overdue


def test_a_second_ground_while_paused_takes_the_same_days_out_once():
    """行政许可法 art. 45: a test during an expert review does not stop the clock twice."""
    clocks = paused(started(sh(2026, 10, 12, 9, 0)), (sh(2026, 10, 20, 10, 0), None))
    pause_running(clocks, "检验", sh(2026, 10, 21, 10, 0), 3)
    resume_paused(clocks, sh(2026, 10, 22, 16, 0), 4)
    assert len(clocks[0]["pauses"]) == 1
    assert due_of(clocks[0], CAL).due == end_of("2026-11-11")


def test_met_and_cancelled_clocks_are_not_paused():
    """行政许可法 art. 45 pauses the periods still running, not those already ended."""
    clocks = started(sh(2026, 10, 12, 9, 0))
    meet_clocks(clocks, "Decided", {}, sh(2026, 10, 15, 9, 0), 2)
    pause_running(clocks, "听证", sh(2026, 10, 20, 10, 0), 3)
    assert clocks[0]["pauses"] == [] and not is_paused(clocks)


def test_a_clock_recorded_before_pauses_existed_evaluates_as_before_and_can_be_paused():
    """Stored cases replay unchanged: a clock recorded without "pauses" has none."""
    clock = {
        "name": "decision",
        "round": 1,
        "title": "t",
        "source": "s",
        "unit": None,
        "binds": None,
        "met_by": [{"event": "Decided"}],
        "length": 20,
        "period_unit": "working_days",
        "cutoff": None,
        "extended": 0,
        "started_at": sh(2026, 10, 12, 9, 0),
        "started_by": 1,
        "met_at": None,
        "met_seq": None,
        "cancelled_at": None,
        "cancelled_by": None,
        "reopened": [],
    }
    [state] = evaluate([clock], CAL, sh(2026, 10, 21, 9, 0))
    assert state.due == end_of("2026-11-09") and not state.paused and state.pauses == ()
    assert paused_since(clock) is None
    pause_running([clock], "听证", sh(2026, 10, 20, 10, 0), 5)
    resume_paused([clock], sh(2026, 10, 22, 16, 0), 6)
    assert due_of(clock, CAL).due == end_of("2026-11-11")


def test_a_pause_of_a_calendar_day_period_is_added_before_a_rest_day_end_is_moved():
    """行政许可法 art. 45 and 民法典 art. 203: 10 days from Sun 09-20 end Wed 09-30; one day paused makes the
    nominal end Thu 10-01, in the National Day holiday, so the period ends Thu 10-08."""
    clocks = started(sh(2026, 9, 20, 9, 0), length=10, unit="calendar_days")
    assert due_of(clocks[0], CAL).due == end_of("2026-09-30")
    paused(clocks, (sh(2026, 9, 22, 9, 0), sh(2026, 9, 23, 9, 0)))
    assert due_of(clocks[0], CAL).due == end_of("2026-10-08")


def test_a_pause_of_an_hours_period_adds_the_time_paused():
    """002 item 1 (企业开办, two hours): 45 minutes paused move the end 45 minutes."""
    clocks = paused(
        started(sh(2026, 10, 12, 9, 0), length=2, unit="hours"), (sh(2026, 10, 12, 9, 30), sh(2026, 10, 12, 10, 15))
    )
    assert due_of(clocks[0], CAL).ends_at == sh(2026, 10, 12, 11, 45)


def test_a_pause_of_a_months_period_adds_its_calendar_days():
    """行政许可法 art. 45: two months from 2026-03-10 end 05-10; three days paused (03-16 to 03-19) end 05-13."""
    clocks = paused(
        started(sh(2026, 3, 10, 9, 0), length=2, unit="months"), (sh(2026, 3, 16, 9, 0), sh(2026, 3, 19, 9, 0))
    )
    assert due_of(clocks[0], CAL).due == end_of("2026-05-13")


def test_a_pause_that_moves_the_due_into_an_unpublished_year_makes_it_provisional():
    """20 WD from Tue 2026-12-01 end in 2026; a week paused moves the end into 2027."""
    clocks = started(sh(2026, 12, 1, 9, 0))
    assert not due_of(clocks[0], CAL).provisional
    paused(clocks, (sh(2026, 12, 2, 9, 0), sh(2026, 12, 10, 9, 0)))
    due = due_of(clocks[0], CAL)
    assert due.provisional and due.last_day.year == 2027


def test_the_pause_day_is_counted_out_and_the_resumption_day_in():
    """行政许可法 art. 45: working days in [P, R) — Tue 10-20 in, Thu 10-22 out; the holiday week is none."""
    assert working_days_in(date(2026, 10, 20), date(2026, 10, 22), CAL) == 2
    assert working_days_in(date(2026, 10, 20), date(2026, 10, 20), CAL) == 0
    assert working_days_in(date(2026, 10, 1), date(2026, 10, 8), CAL) == 0
    assert working_days_in(date(2026, 10, 8), date(2026, 10, 12), CAL) == 3  # Thu, Fri, 调休 Sat


# --- properties -------------------------------------------------------------

UNITS = ["working_days", "calendar_days", "months", "hours"]
DAY_UNITS = ["working_days", "calendar_days", "months"]
lengths = st.integers(min_value=1, max_value=60)
start_days = st.one_of(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 12, 31)),
)


@st.composite
def starts(draw) -> datetime:
    """An aware start, sometimes in UTC; its Shanghai date is in 2025-2026."""
    local = datetime.combine(draw(start_days), draw(st.times()), tzinfo=SHANGHAI)
    return local.astimezone(UTC) if draw(st.booleans()) else local


def later(draw, after: datetime, max_days: int) -> datetime:
    return after + timedelta(minutes=draw(st.integers(min_value=0, max_value=max_days * 24 * 60)))


def same_day_or_later(draw, after: datetime) -> datetime:
    """An instant on the same Shanghai date as ``after``, not before it."""
    local = after.astimezone(SHANGHAI)
    return max(after, datetime.combine(local.date(), draw(st.times()), tzinfo=SHANGHAI))


def local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


@given(st.data(), starts(), lengths, st.sampled_from(DAY_UNITS))
def test_a_pause_resumed_the_day_it_began_changes_nothing(data, start, n, unit):
    """行政许可法 art. 45: P == R takes no day out (the resumption day counts)."""
    from_ = later(data.draw, start, 60)
    clocks = started(start, n, unit)
    unpaused = due_of(clocks[0], CAL)
    paused(clocks, (from_, same_day_or_later(data.draw, from_)))
    assert due_of(clocks[0], CAL) == unpaused


@given(st.data(), starts(), lengths, st.sampled_from(["working_days", "calendar_days"]))
def test_two_pauses_add_up(data, start, n, unit):
    """行政许可法 art. 45: pauses A then B move the due as one period longer by k_A + k_B days."""
    a_from = later(data.draw, start, 40)
    a_to = later(data.draw, a_from, 20)
    b_from = later(data.draw, a_to, 20)
    b_to = later(data.draw, b_from, 20)
    clocks = paused(started(start, n, unit), (a_from, a_to), (b_from, b_to))
    if unit == "working_days":
        shift = working_days_in(local_day(a_from), local_day(a_to), CAL) + working_days_in(
            local_day(b_from), local_day(b_to), CAL
        )
    else:
        shift = (local_day(a_to) - local_day(a_from)).days + (local_day(b_to) - local_day(b_from)).days
    expected = period_end(start, Period(n + shift, PeriodUnit(unit)), CAL)
    assert due_of(clocks[0], CAL).ends_at == expected.ends_at
    assert [p["working_days"] for p in evaluate(clocks, CAL, b_to)[0].pauses] == [
        working_days_in(local_day(a_from), local_day(a_to), CAL),
        working_days_in(local_day(b_from), local_day(b_to), CAL),
    ]


@given(st.data(), starts(), lengths, st.sampled_from(UNITS))
def test_a_pause_never_moves_a_due_time_earlier(data, start, n, unit):
    """行政许可法 art. 45: time is taken out of a period, never added to the time already counted."""
    n = min(n, 24) if unit == "hours" else n
    from_ = later(data.draw, start, 60)
    clocks = started(start, n, unit)
    unpaused = due_of(clocks[0], CAL)
    paused(clocks, (from_, later(data.draw, from_, 30)))
    assert due_of(clocks[0], CAL).ends_at >= unpaused.ends_at


@given(st.data(), starts(), lengths, st.sampled_from(UNITS))
def test_resuming_later_never_gives_an_earlier_due(data, start, n, unit):
    """行政许可法 art. 45: the longer the hearing or review, the later the due."""
    n = min(n, 24) if unit == "hours" else n
    from_ = later(data.draw, start, 60)
    sooner = later(data.draw, from_, 30)
    afterwards = later(data.draw, sooner, 30)
    early = paused(started(start, n, unit), (from_, sooner))
    late = paused(started(start, n, unit), (from_, afterwards))
    assert due_of(late[0], CAL).ends_at >= due_of(early[0], CAL).ends_at


@given(st.data(), starts(), lengths, st.sampled_from(UNITS))
def test_an_open_pause_is_never_overdue(data, start, n, unit):
    """行政许可法 art. 45: however long the pause has lasted, the clock stands still."""
    n = min(n, 24) if unit == "hours" else n
    from_ = later(data.draw, start, 60)
    clocks = paused(started(start, n, unit), (from_, None))
    [state] = evaluate(clocks, CAL, later(data.draw, from_, 400))
    assert state.paused and not state.overdue


@given(start_days, st.integers(min_value=0, max_value=60))
def test_working_days_in_a_pause_are_those_from_its_first_day_to_the_day_before_resumption(p, days):
    """[P, R) is the range after P - 1 up to and including R - 1."""
    r = p + timedelta(days=days)
    one = timedelta(days=1)
    assert working_days_in(p, r, CAL) == working_days_between(p - one, r - one, CAL)
