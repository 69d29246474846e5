"""Follow-up periods and an inspector's own consequences on a unit's accountability record (000 item 4;
004 item 十五), on the official 2026 calendar."""

from __future__ import annotations

import tomllib
from datetime import datetime

import pytest

from adapters.profiles.files import PACKAGED
from domain.accountability.follow_up import follow_up_due, is_overdue
from domain.accountability.record import UnitAccountability
from domain.actors import Actor, Role
from domain.catalogue import parse_profile
from domain.deadlines.periods import SHANGHAI
from domain.errors import ProfileError, ValidationFailed

INSPECTOR = Actor("inspector", Role.INSPECTOR)
FOLLOW_UP = {
    "interview": {"length": 5, "unit": "working_days", "source": "test"},
    "written_self_examination": {"length": 10, "unit": "calendar_days", "source": "test"},
}


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def policy(follow_up=FOLLOW_UP) -> dict:
    return {"id": "zichuan-test", "version": 1, "accountability": {"window": "calendar_month", "follow_up": follow_up}}


def test_a_working_day_follow_up_skips_the_national_day_holiday(cal):
    """000 item 4's 约谈, with a local period of 5 working days, arisen Tue 2026-09-29 15:00: 09-30 is the
    1st working day, 10-01 to 10-07 the National Day holiday, 10-08 the 2nd, 10-09 the 3rd, 10-10 (a Saturday
    worked in its place) the 4th, 10-12 the 5th → due 2026-10-12 24:00."""
    due = follow_up_due("interview", sh("2026-09-29T15:00"), policy(), cal)
    assert due == sh("2026-10-12T23:59:59")


def test_a_calendar_day_follow_up_ending_on_a_rest_day_runs_to_the_next_working_day(cal):
    """000 item 4's 书面检查, with a local period of 10 calendar days, arisen Thu 2026-09-24: 10 days on is
    Sun 10-04, within the National Day holiday (10-01 to 10-07) → the next working day, Thu 10-08, 24:00."""
    due = follow_up_due("written_self_examination", sh("2026-09-24T10:00"), policy(), cal)
    assert due == sh("2026-10-08T23:59:59")


def test_no_period_no_due_day(cal):
    """000 item 4 sets no period: a 通报提醒 has none, nor a 约谈 under a profile without ``follow_up``."""
    assert follow_up_due("notified_reminder", sh("2026-10-16T00:00"), policy(), cal) is None
    assert follow_up_due("interview", sh("2026-10-16T00:00"), policy({}), cal) is None


def test_overdue_only_after_the_due_moment_and_while_unanswered():
    """逾期未跟进: due 2026-10-23 24:00; at 23:59:59 not yet, a second later yes; once answered, never."""
    c = {"follow_up_due": sh("2026-10-23T23:59:59")}
    assert not is_overdue(c, ["interview_held"], sh("2026-10-23T23:59:59"))
    assert is_overdue(c, ["interview_held"], sh("2026-10-24T00:00"))
    assert not is_overdue(c, [], sh("2026-10-24T00:00"))


def test_an_ordered_interview_needs_a_reason_and_is_answered_by_an_interview_held(cal):
    """004 item 十五 (视情…进行约谈): refused without a reason or in the future, every problem at once; with
    one, a 约谈 consequence citing the case, due Tue 2026-11-10 24:00 (5 working days from Tue 11-03),
    answered by 约谈已进行."""
    record = UnitAccountability(unit="U-1")
    now = sh("2026-11-03T12:00")
    with pytest.raises(ValidationFailed) as refused:
        record.order_consequence(
            "interview_ordered", INSPECTOR, sh("2026-11-04T10:00"), " ", None, [], policy(), cal, now=now
        )
    assert set(refused.value.fields) == {"reason", "occurred_at"}
    assert refused.value.zh["reason"] == "请填写作出该问责处理的理由"
    assert record.consequences == []
    cited = [{"case_id": "c-1", "case_no": "QY1", "seq": 4, "type": "cited"}]
    record.order_consequence(
        "interview_ordered", INSPECTOR, sh("2026-11-03T10:00"), "服务企业不到位", None, cited, policy(), cal, now=now
    )
    [interview] = record.consequences
    assert (interview["kind"], interview["source"], interview["reason"]) == (
        "interview",
        "004 item 十五",
        "服务企业不到位",
    )
    assert interview["follow_up_due"] == sh("2026-11-10T23:59:59") and interview["evidence"] == cited
    record.record_action("interview_held", INSPECTOR, sh("2026-11-03T11:30"), "已约谈", interview["id"], now=now)
    assert [f["action"] for f in interview["follow_ups"]] == ["interview_held"]


def test_a_profile_follow_up_period_is_checked_when_loaded():
    """A follow-up period names a kind an inspector's act answers, a whole number of working or calendar
    days, and its source; anything else stops the profile loading with the key named."""
    data = tomllib.loads((PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8"))
    data["accountability"]["follow_up"] = FOLLOW_UP
    loaded = parse_profile(data, "zichuan-2020.toml")
    assert loaded.accountability.follow_up == FOLLOW_UP
    assert loaded.case_policy(None)["accountability"]["follow_up"] == FOLLOW_UP
    data["accountability"]["follow_up"] = {
        "notified_reminder": {"length": 5, "unit": "working_days", "source": "x"},
        "interview": {"length": 0, "unit": "hours"},
    }
    with pytest.raises(ProfileError) as refused:
        parse_profile(data, "zichuan-2020.toml")
    for key in ("follow_up.notified_reminder", "follow_up.interview.length", "follow_up.interview.unit"):
        assert key in str(refused.value)


def test_no_packaged_profile_sets_a_follow_up_period():
    """000 item 4, 003 item 5, 004 item 十五 name 约谈 and 书面检查 but give no day count for them."""
    for path in PACKAGED.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert "follow_up" not in (data.get("accountability") or {}), path.name
