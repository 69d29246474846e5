"""联合办理's checks (domain.appeals.joint; 004 item 六): who is named, when a meeting may have been held."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.appeals.joint import check_meeting, check_units, marked, meeting
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, ValidationFailed

MARKED = marked(["A", "B"], "职责交叉", datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), 3)
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("units", [[], ["A"], ["A", "A"], "AB", [""]])
def test_joint_handling_names_two_distinct_units_or_more(units):
    """004 item 六: 职责交叉 — responsibility shared by several units."""
    with pytest.raises(ValidationFailed) as refused:
        check_units(units)
    assert set(refused.value.fields) == {"units"} and refused.value.zh["units"]


@pytest.mark.parametrize(
    ("held_on", "ok"),
    [
        (date(2026, 11, 2), False),  # the day before the marking (Tue 11-03)
        (date(2026, 11, 3), True),  # the day of the marking
        (date(2026, 11, 6), True),  # today
        (date(2026, 11, 7), False),  # tomorrow
        ("2026-11-05", False),  # not a date
        (datetime(2026, 11, 5, 9, 0, tzinfo=SHANGHAI), False),  # a moment, not a day
    ],
)
def test_a_meeting_is_held_between_the_marking_and_today(held_on, ok):
    args = (MARKED, held_on, ["A", "B"], "议定", "A", NOW)
    if ok:
        assert check_meeting(*args) == (held_on, ["A", "B"])
    else:
        with pytest.raises(ValidationFailed) as refused:
            check_meeting(*args)
        assert set(refused.value.fields) == {"held_on"}


def test_every_problem_of_a_meeting_is_told_at_once():
    with pytest.raises(ValidationFailed) as refused:
        check_meeting(MARKED, None, ["A"], " ", "C", NOW)
    assert set(refused.value.fields) == {"held_on", "units", "decision", "lead_unit"}
    assert refused.value.zh["lead_unit"] == "牵头单位须为参会单位之一"


def test_a_meeting_needs_the_case_marked():
    with pytest.raises(NotAllowedInState):
        check_meeting(None, date(2026, 11, 5), ["A", "B"], "议定", None, NOW)


def test_the_first_settling_meeting_dates_the_settlement_and_the_latest_names_the_lead():
    record = marked(["A", "B"], "职责交叉", datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), 3)
    first = datetime(2026, 11, 5, 16, 0, tzinfo=SHANGHAI)
    meeting(record, "2026-11-04", ["A", "B"], "再议", None, datetime(2026, 11, 4, 16, 0, tzinfo=SHANGHAI), 4)
    assert record["settled_at"] is None
    meeting(record, "2026-11-05", ["A", "B"], "A牵头", "A", first, 5)
    meeting(record, "2026-11-06", ["A", "B"], "改由B牵头", "B", datetime(2026, 11, 6, 16, 0, tzinfo=SHANGHAI), 7)
    assert (record["lead_unit"], record["settled_at"], len(record["meetings"])) == ("B", first, 3)
