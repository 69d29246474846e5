"""What followed a consequence on a unit's accountability record (000 item 4: 约谈, 书面检查): what is still
due, and a follow-up's refusals, every one at once, in the API's words and in the clerk's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.accountability.record import UnitAccountability, actions_due
from domain.actors import Actor, Role
from domain.deadlines.periods import SHANGHAI
from domain.errors import NotAllowedInState, ValidationFailed

INSPECTOR = Actor("inspector", Role.INSPECTOR)
POLICY = {
    "id": "zichuan-2020",
    "version": 3,
    "accountability": {
        "window": "calendar_month",
        "rules": [
            {
                "id": "late-1",
                "title": "超期回复",
                "source": "000 item 4",
                "on": "deadline_missed",
                "issue": ["notified_reminder"],
            },
            {
                "id": "reminders-2",
                "title": "一个月内2次提醒",
                "source": "000 item 4",
                "on": "notified_reminder",
                "count": 2,
                "per": "window",
                "issue": ["interview", "written_self_examination"],
            },
        ],
    },
}
AROSE = datetime(2026, 10, 16, tzinfo=SHANGHAI)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


def record_with_an_interview() -> UnitAccountability:
    """000 item 4: two missed deadlines in October, two reminders, then 约谈 and 书面检查."""
    record = UnitAccountability(unit="U1")
    for seq, case in ((4, "c1"), (4, "c2")):
        evidence = [{"case_id": case, "case_no": f"NO-{case}", "seq": seq, "type": "DeadlineMissed"}]
        record.note_lapse("deadline_missed", case, f"NO-{case}", seq, AROSE, evidence, POLICY, {})
    return record


def consequence(record: UnitAccountability, kind: str) -> str:
    return next(c["id"] for c in record.consequences if c["kind"] == kind)


def test_a_consequence_awaits_the_follow_up_that_answers_it_until_it_is_recorded():
    """000 item 4: a 约谈 awaits the interview held, a 书面检查 the self-examination received; a 通报提醒 nothing."""
    assert actions_due("interview", []) == ["interview_held"]
    assert actions_due("written_self_examination", []) == ["self_examination_received"]
    assert actions_due("interview", ["interview_held"]) == []
    assert actions_due("notified_reminder", []) == []


def test_every_problem_of_a_follow_up_is_reported_at_once_with_its_chinese_words():
    record = record_with_an_interview()
    with pytest.raises(ValidationFailed) as refused:
        record.record_action("interview_held", INSPECTOR, NOW + timedelta(days=1), " ", now=NOW)
    assert set(refused.value.fields) == {"consequence", "note", "occurred_at"}
    assert refused.value.zh == {
        "consequence": "请选择「约谈已进行」所对应的问责处理",
        "note": "请填写处理情况",
        "occurred_at": "发生时间不能晚于当前时间",
    }
    assert record.actions == []


def test_a_follow_up_answers_only_its_kind_of_consequence_and_never_before_it_arose():
    record = record_with_an_interview()
    reminder = consequence(record, "notified_reminder")
    with pytest.raises(ValidationFailed) as wrong:
        record.record_action("interview_held", INSPECTOR, NOW, "约谈", reminder, now=NOW)
    assert wrong.value.zh["consequence"] == "「约谈已进行」只能对应「约谈」或「约谈提醒」，所选的是「通报提醒」"
    with pytest.raises(ValidationFailed) as early:
        record.record_action(
            "interview_held", INSPECTOR, AROSE - timedelta(days=1), "约谈", consequence(record, "interview"), now=NOW
        )
    assert set(early.value.fields) == {"occurred_at"}


def test_a_follow_up_is_recorded_as_of_when_it_happened_and_only_once():
    record = record_with_an_interview()
    interview = consequence(record, "interview")
    held = datetime(2026, 11, 3, 15, 30, tzinfo=SHANGHAI)
    record.record_action("interview_held", INSPECTOR, held, "区纪委监委约谈", interview, now=NOW)
    [action] = record.actions
    assert action["at"] == held and action["consequence"] == interview
    with pytest.raises(NotAllowedInState) as again:
        record.record_action("interview_held", INSPECTOR, NOW, "约谈", interview, now=NOW)
    assert again.value.zh == "该问责处理已记录过「约谈已进行」，无需重复记录"
