"""Accountability (问责): lapses on cases bring recorded consequences on the unit, by profile rules.

Every consequence names the rule (profile/rule id), the profile version and the case events that
caused it. Dates are counted by hand on the official 2026 calendar.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed
from tests.conftest import ADMIN, INSPECTOR, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import forwarded_case, open_case


@pytest.fixture
def unit() -> str:
    """A unit of this test alone (on PostgreSQL the tests share one database)."""
    return f"U-{uuid.uuid4().hex[:8].upper()}"


def late_case(appeals, unit, forwarded="2026-09-29 10:00", answered="2026-10-09 09:00"):
    """A Zichuan case answered after its 2-working-day reply deadline (forwarded Tue 09-29 → due 10-08)."""
    case = forwarded_case(appeals, "zichuan-2020", forwarded[:10] + " 09:00", forwarded, unit=unit)
    return appeals.answer(case.id, ADMIN, kind="initial", content="已联系。", occurred_at=sh(answered))


def redone_twice(appeals, unit, profile="zichuan-2020", day="2026-10-12", **extra):
    case = forwarded_case(appeals, profile, f"{day} 09:00", f"{day} 10:00", unit=unit, **extra)
    for hour in (11, 13):
        appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh(f"{day} {hour}:00"))
        case = appeals.return_for_redo(case.id, PLATFORM, reason="答复不实", occurred_at=sh(f"{day} {hour}:30"))
    return case


def test_late_reply_once_brings_a_notified_reminder(appeals, watch, unit):
    """000 item 4: 超期回复1次及以上的，进行通报提醒."""
    case = late_case(appeals, unit)
    reminders = watch.consequences(unit, "notified_reminder")
    assert len(reminders) == 1
    r = reminders[0]
    assert (r["rule"], r["profile"], r["profile_version"], r["source"]) == (
        "zichuan-2020/late-1",
        "zichuan-2020",
        4,
        "000 item 4",
    )
    missed = next(e for e in appeals.history(case.id) if e.type == "DeadlineMissed")
    answered = next(e for e in appeals.history(case.id) if e.type == "Answered")
    assert {(e["case_id"], e["seq"]) for e in r["evidence"]} == {
        (str(case.id), 2),
        (str(case.id), answered.seq),
        (str(case.id), missed.seq),
    }  # forwarded, answered, missed
    assert r["at"] == sh("2026-10-09 00:00") and r["period"] == "2026-10"


def test_sweep_found_overdue_brings_the_reminder_too(appeals, watch, unit):
    """000 item 4: a reply still missing when the sweep runs is a late reply as well."""
    forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00", unit=unit)
    watch.sweep("2026-10-09 08:00")
    assert [c["rule"] for c in watch.consequences(unit)] == ["zichuan-2020/late-1"]


def test_case_redone_twice_brings_one_notified_reminder(appeals, watch, unit):
    """000 item 4: 重办2次及以上的，进行通报提醒 — once for the case, not again on a third redo."""
    case = redone_twice(appeals, unit)
    reminders = watch.consequences(unit, "notified_reminder")
    assert [r["rule"] for r in reminders] == ["zichuan-2020/redo-2"]
    returned = [e.seq for e in appeals.history(case.id) if e.type == "Returned"]
    assert [e["seq"] for e in reminders[0]["evidence"]] == returned
    appeals.answer(case.id, ADMIN, kind="final", content="再次办结。", occurred_at=sh("2026-10-12 15:00"))
    appeals.return_for_redo(case.id, PLATFORM, reason="仍不满意", occurred_at=sh("2026-10-12 15:30"))
    assert len(watch.consequences(unit, "notified_reminder")) == 1


def test_one_redo_brings_nothing(appeals, watch, unit):
    """000 item 4: the threshold is 2 redos."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-10-12 09:00", "2026-10-12 10:00", unit=unit)
    appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh("2026-10-12 11:00"))
    appeals.return_for_redo(case.id, PLATFORM, reason="答复不实", occurred_at=sh("2026-10-12 11:30"))
    assert watch.consequences(unit) == []


def test_two_reminders_in_one_calendar_month_bring_interview_and_written_self_examination(appeals, watch, unit):
    """000 item 4: 一个月内2次提醒的，由区纪委监委对单位主要负责人进行约谈，责令写出书面检查."""
    late_case(appeals, unit)  # reminder dated 2026-10-09 00:00
    redone_twice(appeals, unit, day="2026-10-12")  # reminder dated 2026-10-12
    found = watch.consequences(unit)
    assert [c["kind"] for c in found] == [
        "notified_reminder",
        "notified_reminder",
        "interview",
        "written_self_examination",
    ]
    interview = found[2]
    assert interview["rule"] == "zichuan-2020/reminders-2-in-month"
    assert interview["caused_by"] == [found[0]["id"], found[1]["id"]]
    assert {e["case_id"] for e in interview["evidence"]} == {e["case_id"] for c in found[:2] for e in c["evidence"]}


def returned_twice_at(appeals, unit, first: str, second: str):
    start = sh(first) - timedelta(hours=2)
    case = forwarded_case(appeals, "zichuan-2020", f"{start:%Y-%m-%d %H:%M}", f"{start:%Y-%m-%d %H:%M}", unit=unit)
    for at in (first, second):
        appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh(at) - timedelta(minutes=30))
        case = appeals.return_for_redo(case.id, PLATFORM, reason="答复不实", occurred_at=sh(at))
    return case


def test_reminders_either_side_of_a_month_end_bring_no_interview_and_two_within_one_do(appeals, watch, unit):
    """000 item 4 (一个月内2次提醒), calendar-month window, edges to the minute.

    Late reply: forwarded Thu 09-24 → WD1 Mon 09-28 (Mid-Autumn 09-25, weekend), WD2 Tue 09-29 →
    reminder dated 09-30 00:00 (September). Second redo at 10-01 00:00: a reminder in October — no
    interview. Another case's second redo at 10-31 23:59: the second reminder of October —
    interview and written examination."""
    late_case(appeals, unit, forwarded="2026-09-24 10:00", answered="2026-10-09 09:00")
    returned_twice_at(appeals, unit, "2026-09-30 22:00", "2026-10-01 00:00")
    assert [(c["kind"], c["period"]) for c in watch.consequences(unit)] == [
        ("notified_reminder", "2026-09"),
        ("notified_reminder", "2026-10"),
    ]
    returned_twice_at(appeals, unit, "2026-10-31 12:00", "2026-10-31 23:59")
    found = watch.consequences(unit)
    assert [(c["kind"], c["period"]) for c in found[2:]] == [
        ("notified_reminder", "2026-10"),
        ("interview", "2026-10"),
        ("written_self_examination", "2026-10"),
    ]
    assert found[3]["caused_by"] == [found[1]["id"], found[2]["id"]]


def test_third_reminder_in_the_month_is_not_counted_twice(appeals, watch, unit):
    """000 item 4: each reminder counts towards one interview only; the 4th would bring the next."""
    for forwarded in ("2026-10-12 10:00", "2026-10-13 10:00", "2026-10-14 10:00"):
        late_case(appeals, unit, forwarded=forwarded, answered="2026-10-20 09:00")
    kinds = [c["kind"] for c in watch.consequences(unit)]
    assert kinds.count("notified_reminder") == 3 and kinds.count("interview") == 1
    late_case(appeals, unit, forwarded="2026-10-15 10:00", answered="2026-10-21 09:00")
    assert [c["kind"] for c in watch.consequences(unit)].count("interview") == 2


def test_two_missed_deadlines_within_a_rolling_month_bring_interview_and_order_to_examine(appeals, watch, unit):
    """004 item 十五 (问题解决不及时 → 约谈、责令检查), rolling month, edge inclusive.

    Ordinary tier, 5 WD. Forwarded Mon 09-14 → WD1-4 09-15..18, WD5 Sun 09-20 (调休) → missed at
    09-21 00:00. Forwarded Tue 10-13 → WD5 Tue 10-20 → missed at 10-21 00:00, whose month reaches
    back to 09-21 00:00 exactly."""
    for forwarded in ("2026-09-14 10:00", "2026-10-13 10:00"):
        forwarded_case(appeals, "suqian-2024", forwarded[:10] + " 09:00", forwarded, unit=unit, channel="mayor_line")
    watch.sweep("2026-10-21 00:00")
    found = watch.consequences(unit)
    assert [(c["kind"], c["at"]) for c in found] == [
        ("interview", sh("2026-10-21 00:00")),
        ("order_self_examination", sh("2026-10-21 00:00")),
    ]
    assert found[0]["rule"] == "suqian-2024/slow-2-in-month"


def test_missed_deadlines_more_than_a_rolling_month_apart_bring_nothing(appeals, watch, unit):
    """004 item 十五, rolling month: missed 09-21 00:00 and (forwarded Wed 10-14, WD5 Wed 10-21)
    10-22 00:00 are more than a month apart."""
    for forwarded in ("2026-09-14 10:00", "2026-10-14 10:00"):
        forwarded_case(appeals, "suqian-2024", forwarded[:10] + " 09:00", forwarded, unit=unit, channel="mayor_line")
    watch.sweep("2026-10-22 00:00")
    assert watch.consequences(unit) == []


def test_a_rule_counts_only_lapses_of_cases_under_its_own_profile(appeals, watch, unit):
    """004 item 十五 (two missed deadlines in a month → 约谈、责令检查) is Suqian's rule: a Zichuan
    case's late reply (000 item 4) at the same unit in the same month is no Suqian lapse.
    Suqian forwarded Tue 10-13 → WD5 Tue 10-20, missed 10-21 00:00; Zichuan forwarded Tue 10-13 →
    WD2 Thu 10-15, missed 10-16 00:00."""
    forwarded_case(appeals, "suqian-2024", "2026-10-13 09:00", "2026-10-13 10:00", unit=unit, channel="mayor_line")
    forwarded_case(appeals, "zichuan-2020", "2026-10-13 09:00", "2026-10-13 10:00", unit=unit)
    watch.sweep("2026-10-21 00:00")
    record = watch.record(unit)
    assert sorted(lp["profile"] for lp in record.lapses) == ["suqian-2024", "zichuan-2020"]
    assert [c["rule"] for c in record.consequences] == ["zichuan-2020/late-1"]  # no Suqian interview


def test_listed_supervision_only_on_a_case_the_unit_is_on(appeals, watch, unit):
    """003 item 5: 挂牌督办 supervises one of the unit's own cases; another unit's case or one that does
    not exist is refused (422) and nothing is recorded."""
    other = forwarded_case(appeals, "liaoyuan-2024", "2026-10-12 09:00", "2026-10-12 10:00", unit=f"{unit}-X")
    for case_id in (str(other.id), str(uuid.uuid4()), "not-a-case"):
        with pytest.raises(ValidationFailed) as refused:
            watch.process.record_action(unit, "listed_supervision_opened", SUPERVISOR, note="挂牌", case_id=case_id)
        assert "case_id" in refused.value.fields
    assert watch.process.record_of(unit) is None
    co = open_case(appeals, "liaoyuan-2024", "2026-10-12 09:00")
    appeals.forward(co.id, PLATFORM, unit=f"{unit}-X", co_units=[unit], occurred_at=sh("2026-10-12 10:00"))
    record = watch.process.record_action(
        unit, "listed_supervision_opened", SUPERVISOR, note="协办不力，挂牌督办", case_id=str(co.id)
    )
    assert record.supervisions[record.actions[-1]["supervision"]]["case_id"] == str(co.id)


def test_a_dry_run_sweep_previews_the_consequences_and_records_none(appeals, watch, unit):
    """000 item 4 (超期回复 → 通报提醒), as a drill: the preview names the rule and its evidence, and
    neither the case nor the unit's record changes."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-29 09:00", "2026-09-29 10:00", unit=unit)
    report = watch.deadlines.sweep(PLATFORM, sh("2026-10-09 00:00"), dry_run=True)
    watch.follower.run_once()
    previewed = [(u, e.rule, e.kind) for u, e in watch.process.preview(report.events) if u == unit]
    assert previewed == [(unit, "zichuan-2020/late-1", "notified_reminder")]
    assert watch.process.record_of(unit) is None and appeals.get(case.id).version == 2


def test_case_returned_twice_brings_a_recommendation_to_start_accountability(appeals, watch, unit):
    """004 item 十五: 慢作为导致企业重复反映 → 追责问责."""
    redone_twice(appeals, unit, profile="suqian-2024", channel="mayor_line")
    assert [(c["kind"], c["rule"]) for c in watch.consequences(unit)] == [
        ("accountability_recommendation", "suqian-2024/repeat-returns")
    ]


def test_flawed_result_brings_special_supervision_interview_reminder_criticism_and_recommendation(appeals, watch, unit):
    """003 item 5: 办理结果不实或办理程序存在问题的，实行专项督办、约谈提醒、通报批评，并建议启动追责问责."""
    case = forwarded_case(appeals, "liaoyuan-2024", "2026-10-12 09:00", "2026-10-12 10:00", unit=unit)
    appeals.answer(case.id, ADMIN, kind="final", content="已办结。", occurred_at=sh("2026-10-12 11:00"))
    appeals.review(case.id, PLATFORM, accepted=False, note="结果不实", occurred_at=sh("2026-10-12 12:00"))
    assert [c["kind"] for c in watch.consequences(unit)] == [
        "special_supervision",
        "reminder_interview",
        "criticism",
        "accountability_recommendation",
    ]
    appeals.answer(case.id, ADMIN, kind="final", content="重新办结。", occurred_at=sh("2026-10-13 11:00"))
    appeals.review(case.id, PLATFORM, accepted=False, note="仍不实", occurred_at=sh("2026-10-13 12:00"))
    assert len(watch.consequences(unit)) == 4  # once per matter


def test_replaying_the_process_over_the_same_events_changes_nothing(appeals, watch, unit):
    """Exactly once: an appeal event already processed is refused with its position, and a
    second run finds nothing to do."""
    case = redone_twice(appeals, unit)
    late_case(appeals, unit)
    before = watch.record(unit)
    assert watch.follower.run_once() == 0
    returned = next(e for e in appeals.repository.event_store.get(case.id) if type(e).__name__ == "Returned")
    position = next(
        n.id
        for n in appeals.recorder.select_notifications(start=1, limit=10**6)
        if n.originator_id == case.id and n.originator_version == returned.originator_version
    )
    with pytest.raises(IntegrityError):
        watch.process.process_event(returned, Tracking(appeals.name, position))
    after = watch.process.record_of(unit)
    assert after.version == before.version and after.consequences == before.consequences


def test_a_reminder_is_never_issued_twice_for_the_same_cause(appeals, watch, unit):
    """The same lapse noted again (a replayed event) brings no second reminder."""
    late_case(appeals, unit)
    record = watch.record(unit)
    lapse = record.lapses[0]
    policy = appeals.get(uuid.UUID(lapse["case_id"])).policy
    record.note_lapse(
        lapse["kind"],
        lapse["case_id"],
        lapse["case_no"],
        lapse["seq"],
        lapse["at"],
        lapse["evidence"],
        policy,
        lapse["detail"],
    )
    assert not record.pending_events
    assert len(record.consequences) == 1


def test_inspector_records_the_interview_and_the_written_examination(appeals, watch, unit):
    """000 item 4: 约谈 held and 书面检查 received, on the consequences they answer."""
    late_case(appeals, unit)
    redone_twice(appeals, unit)
    found = watch.consequences(unit)
    interview, exam = found[2]["id"], found[3]["id"]
    with pytest.raises(NotPermitted):
        watch.process.record_action(unit, "interview_held", SUPERVISOR, note="约谈", consequence=interview)
    with pytest.raises(ValidationFailed):
        watch.process.record_action(unit, "interview_held", INSPECTOR, note="约谈", consequence=exam)
    watch.process.record_action(unit, "interview_held", INSPECTOR, note="约谈单位主要负责人", consequence=interview)
    watch.process.record_action(unit, "self_examination_received", INSPECTOR, note="已收到书面检查", consequence=exam)
    with pytest.raises(NotAllowedInState):
        watch.process.record_action(unit, "interview_held", INSPECTOR, note="again", consequence=interview)
    record = watch.process.record_of(unit)
    assert [f["action"] for c in record.consequences for f in c["follow_ups"]] == [
        "interview_held",
        "self_examination_received",
    ]
    assert record.actions[0]["actor"]["user"] == INSPECTOR.user


def test_listed_supervision_is_opened_and_struck_off_once(appeals, watch, unit):
    """003 item 5: 挂牌督办 until 销号督办, by a supervisor."""
    case = forwarded_case(appeals, "liaoyuan-2024", "2026-10-12 09:00", "2026-10-12 10:00", unit=unit)
    with pytest.raises(NotPermitted):
        watch.process.record_action(unit, "listed_supervision_opened", INSPECTOR, note="挂牌", case_id=str(case.id))
    record = watch.process.record_action(
        unit, "listed_supervision_opened", SUPERVISOR, note="久拖不办，挂牌督办", case_id=str(case.id)
    )
    sid = record.actions[-1]["supervision"]
    with pytest.raises(NotAllowedInState):
        watch.process.record_action(unit, "listed_supervision_opened", SUPERVISOR, note="again", case_id=str(case.id))
    watch.process.record_action(unit, "listed_supervision_struck_off", SUPERVISOR, note="已解决，销号", supervision=sid)
    with pytest.raises(NotAllowedInState):
        watch.process.record_action(unit, "listed_supervision_struck_off", SUPERVISOR, note="x", supervision=sid)
    record = watch.process.record_of(unit)
    assert record.supervisions[sid]["struck_off_at"] is not None


def test_accountability_trail_lists_each_consequence_with_its_evidence_and_equals_a_rebuild(
    appeals, watch, unit, database_url
):
    """The read model, fed batch by batch while cases move, equals one rebuilt from zero."""
    from adapters.persistence.database import database_from_url
    from adapters.views.factory import Views
    from projections.accountability.trail import AccountabilityTrail

    views = Views(database_from_url(database_url))
    try:
        trail = AccountabilityTrail(views.get("accountability_trail"), watch.process, batch_size=2)
        late_case(appeals, unit)
        watch.follower.run_once()
        trail.run_once()
        redone_twice(appeals, unit)
        watch.follower.run_once()
        trail.run_once()
        entries = trail.entries(unit)
        consequences = [e["data"] for e in entries if e["entry"] == "consequence"]
        assert [c["kind"] for c in consequences] == [
            "notified_reminder",
            "notified_reminder",
            "interview",
            "written_self_examination",
        ]
        assert all(c["evidence"] and c["rule"].startswith("zichuan-2020/") for c in consequences)
        assert [e["period"] for e in entries if e["entry"] == "consequence"] == ["2026-10"] * 4
        assert trail.entries(unit, "2026-09") == []
        trail.view.reset()
        assert trail.entries(unit) == []
        trail.run_once()
        assert trail.entries(unit) == entries
    finally:
        views.close()


def test_overdue_matter_under_a_local_promise_brings_the_liaoyuan_measures(database_url, calendars, tmp_path, unit):
    """003 item 5: 对逾期未办结……的事项，实行专项督办、约谈提醒、通报批评，并建议启动追责问责程序.

    The document sets no day count; a local profile adds its promise (here 5 WD) as data, and the
    overdue rule fires once for the matter. Forwarded Mon 10-12 → WD5 Mon 10-19 → missed 10-20 00:00."""
    from pathlib import Path

    from adapters.persistence.database import database_from_url
    from adapters.profiles.files import FileProfileCatalogue
    from domain.appeals.service import AppealService
    from tests.integration.watch import Watch

    base = (Path(__file__).resolve().parents[2] / "adapters" / "profiles" / "liaoyuan-2024.toml").read_text("utf-8")
    local = base.replace('id = "liaoyuan-2024"', 'id = "liaoyuan-local"').replace(
        "[[escalation]]",
        """
[[deadlines]]
name = "promise"
title = "承诺时限办结"
source = "local promise"
starts_on = ["Forwarded"]
met_by = [{ event = "Answered", kind = "final" }]
length = 5
unit = "working_days"

[[escalation]]""",
        1,
    )
    (tmp_path / "liaoyuan-local.toml").write_text(local, "utf-8")
    profiles = FileProfileCatalogue([tmp_path])
    appeals = AppealService(
        database_from_url(database_url).env, profiles=profiles, calendars=calendars.for_jurisdiction
    )
    watch = Watch(appeals, database_url, calendars, profiles)
    try:
        forwarded_case(appeals, "liaoyuan-local", "2026-10-12 09:00", "2026-10-12 10:00", unit=unit)
        watch.sweep("2026-10-20 00:00")
        found = watch.consequences(unit)
        assert [(c["kind"], c["rule"]) for c in found] == [
            (kind, "liaoyuan-local/overdue")
            for kind in ("special_supervision", "reminder_interview", "criticism", "accountability_recommendation")
        ]
        assert all(c["at"] == sh("2026-10-20 00:00") for c in found)
    finally:
        watch.close()
        appeals.close()


def test_two_followers_racing_over_the_same_events_issue_each_consequence_once(
    appeals, watch, unit, database_url, profiles
):
    """Exactly once under a race: two processes follow the same appeal log at the same time."""
    import threading

    from adapters.persistence.database import database_from_url
    from domain.accountability.process import AccountabilityProcess
    from projections.accountability.process import ProcessFollower

    for forwarded in ("2026-10-12 10:00", "2026-10-13 10:00", "2026-10-14 10:00", "2026-10-15 10:00"):
        late_case(appeals, unit, forwarded=forwarded, answered="2026-10-20 09:00")
    redone_twice(appeals, unit)
    other = AccountabilityProcess(database_from_url(database_url).env, appeals=appeals, profiles=profiles)
    try:
        followers = [
            ProcessFollower(watch.process, appeals, batch_size=3),
            ProcessFollower(other, appeals, batch_size=2),
        ]
        for _ in range(3):  # a follower that loses a race stops its pass; the next pass resyncs
            threads = [threading.Thread(target=f.run_once) for f in followers]
            [t.start() for t in threads]
            [t.join() for t in threads]
        kinds = [c["kind"] for c in watch.consequences(unit)]
        assert kinds.count("notified_reminder") == 5 and kinds.count("interview") == 2
        assert len(watch.record(unit).lapses) == 6
    finally:
        other.close()
