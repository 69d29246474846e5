"""The deadline sweep (docs/http-api.md *Deadlines*; 000 item 4): missed deadlines recorded once, with the
profile's consequence on the case.

Dates are counted by hand on the official 2026 calendar: National Day 2026-10-01..07, make-up
working day Sat 2026-10-10.
"""

from __future__ import annotations

import uuid

import pytest

from domain.errors import NotPermitted, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, sh, unit_actor
from tests.integration.cases import forwarded_case

UNIT = unit_actor("DISTRICT-POWER")


def types(appeals, case) -> list[str]:
    return [e.type for e in appeals.history(case.id)]


def mine(entries: list[dict], case) -> list[dict]:
    """A report's entries for one case (on PostgreSQL the tests share one database)."""
    return [e for e in entries if e["case_id"] == str(case.id)]


def test_missed_unit_reply_is_recorded_once_with_a_supervision_notice(appeals, watch):
    """000 item 4: 未在规定时限内反馈答复的，下发督办通知. Forwarded Tue 09-29 → due Thu 10-08 24:00."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    assert mine(watch.sweep("2026-10-08 23:59").missed, case) == []
    report = watch.sweep("2026-10-09 00:00")
    assert [(m["deadline"], m["rule"], m["due"]) for m in mine(report.missed, case)] == [
        ("unit_reply", "zichuan-2020/unit_reply", sh("2026-10-08 23:59:59"))
    ]
    assert [(e["level_code"], e["cause"]["rule"]) for e in mine(report.escalations, case)] == [
        ("supervision_notice", "zichuan-2020/overdue")
    ]
    case = appeals.get(case.id)
    assert types(appeals, case)[-2:] == ["DeadlineMissed", "Escalated"]
    assert case.escalation_level == 1
    missed = appeals.history(case.id)[-2]
    assert missed.data["unit"] == "DISTRICT-POWER" and missed.data["profile_version"] == 4
    assert missed.occurred_at == sh("2026-10-09 00:00")  # a sweep as of a past moment is recorded then
    assert appeals.history(case.id)[-1].data["cause"]["seq"] == missed.seq

    before = appeals.get(case.id).version
    again = watch.sweep("2026-10-09 00:00")
    assert mine(again.missed, case) == [] and mine(again.escalations, case) == []
    assert appeals.get(case.id).version == before


def test_later_sweep_records_only_the_deadlines_passed_since(appeals, watch):
    """000 item 4: the platform's report is due 12:00 of the 3rd working day; it binds the platform,
    so it brings no supervision notice on a unit. Received Tue 09-29 → WD3 Fri 10-09 12:00."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    watch.sweep("2026-10-09 00:00")
    report = watch.sweep("2026-10-09 12:00")
    assert [(m["deadline"], m["unit"]) for m in mine(report.missed, case)] == [("platform_report", None)]
    assert mine(report.escalations, case) == []
    assert types(appeals, case).count("DeadlineMissed") == 2


def test_answer_after_due_without_a_sweep_is_recorded_as_met_late(appeals, watch):
    """000 item 4 (超期回复): the late answer itself records the missed deadline; no notice follows
    a reply that has arrived, and a later sweep records nothing more for it."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    case = appeals.answer(case.id, ADMIN, kind="initial", content="已联系供电所。", occurred_at=sh("2026-10-09 09:00"))
    answered, missed = appeals.history(case.id)[-2:]
    assert (answered.type, missed.type) == ("Answered", "DeadlineMissed")
    assert missed.data["found_by"] == "late_meet" and missed.data["met_seq"] == answered.seq
    assert case.escalation_level == 0
    report = watch.sweep("2026-10-09 11:00")
    assert mine(report.missed, case) == []


def test_answer_on_time_records_no_miss(appeals, watch):
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    appeals.answer(case.id, ADMIN, kind="initial", content="已联系。", occurred_at=sh("2026-10-08 23:00"))
    assert mine(watch.sweep("2026-10-09 01:00").missed, case) == []
    assert "DeadlineMissed" not in types(appeals, case)


def test_sweep_finds_due_deadlines_from_the_index_without_loading_other_cases(appeals, watch, monkeypatch):
    """The sweep loads only the cases the deadline index names as due."""
    late = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    fresh = {forwarded_case(appeals, "zichuan-2020", "2026-10-08 09:00", "2026-10-08 10:00").id for _ in range(5)}
    loaded = []
    original = appeals.repository.get
    monkeypatch.setattr(
        appeals.repository,
        "get",
        lambda aggregate_id, *a, **k: (loaded.append(aggregate_id), original(aggregate_id, *a, **k))[1],
    )
    watch.sweep("2026-10-09 01:00")
    assert late.id in loaded and not fresh & set(loaded)


def test_missed_completion_goes_one_step_up_the_coordination_ladder(appeals, watch):
    """004 item 十二 (分级会办): an ordinary 直达市长 case not resolved in 5 WD goes up one level.

    Forwarded Mon 2026-10-12 → WD5 Mon 10-19 (weekend 17-18)."""
    case = forwarded_case(appeals, "suqian-2024", "2026-10-12 09:00", "2026-10-12 10:00", channel="mayor_line")
    assert mine(watch.sweep("2026-10-19 23:00").missed, case) == []
    report = watch.sweep("2026-10-20 00:00")
    assert [m["deadline"] for m in mine(report.missed, case)] == ["completion"]
    assert [(e["level"], e["level_code"]) for e in mine(report.escalations, case)] == [(1, "coordination_meeting")]
    assert appeals.get(case.id).escalation_level == 1


def test_only_the_platform_and_admins_may_sweep_and_a_refused_sweep_records_nothing(appeals, watch):
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    with pytest.raises(NotPermitted):
        watch.sweep("2026-10-09 00:00", actor=UNIT)
    assert "DeadlineMissed" not in types(appeals, case)
    assert mine(watch.sweep("2026-10-09 00:00", actor=PLATFORM).missed, case)


def test_a_sweep_refuses_a_now_later_than_the_current_time(appeals, watch):
    """docs/http-api.md *Deadlines*: nothing that has not happened is recorded — a ``now`` ahead of the clock
    is refused (422) and the store is left exactly as it was."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    before = appeals.recorder.max_notification_id()
    with pytest.raises(ValidationFailed) as refused:
        watch.sweep("2099-01-01 00:00")
    assert "now" in refused.value.fields and "dry_run" in refused.value.fields["now"]
    assert appeals.recorder.max_notification_id() == before and appeals.get(case.id).version == 2


def test_a_dry_run_records_nothing_and_reports_what_the_sweep_would_record(appeals, watch):
    """docs/http-api.md *Deadlines* (the drill): ``dry_run`` at any ``now``, ahead of the clock too, reports the
    misses and the notices (000 item 4: 督办通知) a sweep then would record, and records none."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00")
    before = appeals.recorder.max_notification_id()
    for now in ("2026-10-09 00:00", "2099-01-01 00:00"):
        report = watch.deadlines.sweep(PLATFORM, sh(now), dry_run=True)
        assert report.dry_run
        assert sorted(m["deadline"] for m in mine(report.missed, case)) == (
            ["platform_report", "unit_reply"] if now.startswith("2099") else ["unit_reply"]
        )
        assert [e["level_code"] for e in mine(report.escalations, case)] == ["supervision_notice"]
    assert appeals.recorder.max_notification_id() == before and appeals.get(case.id).version == 2
    real = watch.sweep("2026-10-09 00:00")  # the drill left the real sweep all to do
    assert [m["deadline"] for m in mine(real.missed, case)] == ["unit_reply"]


def test_the_window_deadline_binds_the_unit_the_case_is_forwarded_to(appeals, watch):
    """004 item 二 (办不成事反映窗口): 复杂问题5个工作日内处理反馈, from registration; the unit handed
    the problem answers for it, so its miss is that unit's. Registered Mon 2026-11-02 → WD5 Mon 11-09."""
    unit = f"U-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded_case(appeals, "suqian-2024", "2026-11-02 09:00", "2026-11-03 10:00", unit=unit, channel="window")
    window = next(d for d in appeals.deadlines(case, now=sh("2026-11-03 11:00")) if d.name == "window_feedback")
    assert (window.unit, window.due) == (unit, sh("2026-11-09 23:59:59"))
    report = watch.sweep("2026-11-10 00:00")
    assert [(m["deadline"], m["unit"]) for m in mine(report.missed, case)] == [("window_feedback", unit)]
    record = watch.record(unit)
    assert [(lp["kind"], lp["detail"]["deadline"]) for lp in record.lapses] == [("deadline_missed", "window_feedback")]


def test_a_missed_deadline_at_the_top_of_the_ladder_records_no_second_escalation(appeals, watch):
    """004 item 十二: a missed deadline goes one step up the 分级会办 ladder; at the top there is no step
    left, so the miss is recorded and no identical escalation follows it."""
    case = forwarded_case(appeals, "suqian-2024", "2026-11-02 09:00", "2026-11-02 10:00", tier="urgent")
    for level in ("coordination_meeting", "business_environment_office", "executive_vice_mayor"):
        case = appeals.escalate(case.id, PLATFORM, level=level, reason="会办")
    report = watch.sweep("2026-11-05 00:00")
    assert [m["deadline"] for m in mine(report.missed, case)] == ["completion"]
    assert mine(report.escalations, case) == []
    assert types(appeals, case).count("Escalated") == 3
