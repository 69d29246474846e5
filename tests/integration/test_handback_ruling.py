"""The ruling on a hand-back (派单异议审核 / 退单 / 改派, 国办函〔2025〕66号), on both databases.

The Zichuan reply period (000 item 4) is 2 working days from the forwarding. Dates counted by hand on the
official 2026 calendar: forwarded Mon 11-09 10:00 → due Wed 11-11 23:59:59 (11-10, 11-11), ending at
Thu 11-12 00:00. The unit hands back on Tue 11-10 (day 1), the sweep runs on Thu 11-12 and Fri 11-13,
after the period ended, and the platform rules on Mon 11-16 10:00.
"""

from __future__ import annotations

import uuid

import pytest

from adapters.persistence.database import database_from_url
from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.appeals.service import AppealService
from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import as_unit, deadline, forwarded_case

PROFILE = "zichuan-2020"


@pytest.fixture
def unit() -> str:
    """A unit of this test alone (on PostgreSQL the tests share one database)."""
    return f"U-{uuid.uuid4().hex[:8].upper()}"


def handed_back(appeals, unit):
    case = forwarded_case(appeals, PROFILE, "2026-11-09 09:00", "2026-11-09 10:00", unit=unit)
    return appeals.request_handback(  # as an admin: only the platform and admins backfill a time
        case.id, ADMIN, reason="属供水部门职责，非本单位职责。", occurred_at=sh("2026-11-10 09:00")
    )


def types(appeals, case_id, since=0):
    return [e.type for e in appeals.history(case_id)][since:]


def test_no_miss_of_the_requesting_units_clock_is_recorded_while_the_hand_back_awaits_its_ruling(appeals, watch, unit):
    """国办函〔2025〕66号 派单异议审核: while the ruling is awaited, the sweep holds back the unit's miss (the
    reply period ended Thu 11-12 00:00; sweeps on 11-12 and 11-13 record nothing of it)."""
    case = handed_back(appeals, unit)
    assert case.status == "handback_requested"
    for now in ("2026-11-12 10:00", "2026-11-13 10:00"):
        report = watch.sweep(now)
        assert [m for m in report.missed if m["case_id"] == str(case.id) and m["deadline"] == "unit_reply"] == []
    assert [e for e in appeals.history(case.id) if e.type == "DeadlineMissed" and e.data["unit"] == unit] == []


def test_an_upheld_hand_back_leaves_no_miss_and_the_new_unit_gets_fresh_clocks_from_the_ruling(appeals, watch, unit):
    """国办函〔2025〕66号 退单 and 改派: upheld, the unit's reply period ends as not binding (no miss, no lapse,
    ever, though the sweep ran after it ended); the case re-forwarded in the same act runs a fresh 2-working-day
    period (000 item 4) from Mon 11-16 10:00: 11-17, 11-18 → due Wed 11-18 23:59:59."""
    other = f"{unit}-W"
    case = handed_back(appeals, unit)
    watch.sweep("2026-11-12 10:00")
    case = appeals.rule_handback(
        case.id, PLATFORM, upheld=True, note="经核实属供水部门职责，同意退单。", unit=other,
        occurred_at=sh("2026-11-16 10:00"),
    )  # fmt: skip
    assert types(appeals, case.id, -2) == ["HandbackRuled", "Forwarded"]
    assert case.status == "forwarded" and case.unit == other
    first = deadline(appeals, case, "unit_reply", "2026-11-16 11:00", round=1)
    assert first.unit == unit and first.cancelled_at == sh("2026-11-16 10:00") and first.missed_seq is None
    fresh = deadline(appeals, case, "unit_reply", "2026-11-16 11:00")
    assert (fresh.round, fresh.unit, fresh.started_at) == (2, other, sh("2026-11-16 10:00"))
    assert fresh.due == sh("2026-11-18 23:59:59")
    assert case.handback["ruling"]["upheld"] is True and case.handback["reason"] == "属供水部门职责，非本单位职责。"
    # Later sweeps never record the old period: a miss, then, is only the new unit's, after 11-18.
    report = watch.sweep("2026-11-20 10:00")
    assert {(m["deadline"], m["unit"]) for m in report.missed if m["case_id"] == str(case.id)} <= {
        ("unit_reply", other),
        ("platform_report", None),
    }
    missed_units = {e.data["unit"] for e in appeals.history(case.id) if e.type == "DeadlineMissed"}
    assert unit not in missed_units
    record = watch.record(unit)
    assert record is None or not record.lapses


def test_an_upheld_hand_back_without_a_unit_returns_the_case_to_the_platform_to_re_forward_later(appeals, watch, unit):
    """国办函〔2025〕66号 改派 later: upheld alone, the case is back with the platform (已受理) and no unit's
    clock runs; forwarded on Tue 11-17 09:00, the new unit's period runs 11-18, 11-19 → due Thu 11-19 23:59:59."""
    other = f"{unit}-W"
    case = handed_back(appeals, unit)
    case = appeals.rule_handback(case.id, PLATFORM, upheld=True, note="同意退单。", occurred_at=sh("2026-11-16 10:00"))
    assert (case.status, case.unit) == ("received", None)
    assert not [d for d in appeals.deadlines(case, now=sh("2026-11-16 11:00")) if d.unit and not d.cancelled_at]
    with pytest.raises(NotPermitted):
        appeals.acknowledge(case.id, as_unit(unit))
    case = appeals.forward(case.id, PLATFORM, unit=other, occurred_at=sh("2026-11-17 09:00"))
    fresh = deadline(appeals, case, "unit_reply", "2026-11-17 10:00")
    assert (fresh.round, fresh.unit, fresh.due) == (2, other, sh("2026-11-19 23:59:59"))
    watch.sweep("2026-11-18 10:00")
    assert "DeadlineMissed" not in [e.type for e in appeals.history(case.id) if e.data.get("unit") == unit]


def test_a_refused_hand_back_records_the_held_back_miss_as_of_its_due_time_and_the_lapse_follows(appeals, watch, unit):
    """国办函〔2025〕66号 and RULES §1.5: an objection that is refused buys no time. The unit keeps the case and
    its period as it ran; the miss held back since Thu 11-12 00:00 is recorded as of that time, with the
    督办通知 (000 item 4), and the unit's record notes the lapse at 11-12 00:00 (通报提醒, 000 item 4)."""
    case = handed_back(appeals, unit)
    watch.sweep("2026-11-12 10:00")
    before = case.version
    case = appeals.rule_handback(
        case.id, PLATFORM, upheld=False, note="经核实属本单位职责，不同意退单。", occurred_at=sh("2026-11-16 10:00")
    )
    assert types(appeals, case.id, before) == ["HandbackRuled", "DeadlineMissed", "Escalated"]
    assert (case.status, case.unit) == ("forwarded", unit)
    missed = appeals.history(case.id)[before + 1]
    assert missed.data["deadline"] == "unit_reply" and missed.data["unit"] == unit
    assert missed.data["found_by"] == "held_back"
    assert missed.data["due"] == sh("2026-11-11 23:59:59") and missed.data["as_of"] == sh("2026-11-12 00:00")
    assert deadline(appeals, case, "unit_reply", "2026-11-16 11:00").round == 1  # the same period, not restarted
    reminders = watch.consequences(unit, "notified_reminder")
    assert len(reminders) == 1 and reminders[0]["at"] == sh("2026-11-12 00:00")
    # The sweep after the ruling records it no second time.
    watch.sweep("2026-11-17 10:00")
    assert [e.data["deadline"] for e in appeals.history(case.id) if e.type == "DeadlineMissed"].count("unit_reply") == 1


def test_a_refused_hand_back_before_the_period_ends_records_no_miss(appeals, watch, unit):
    """国办函〔2025〕66号: refused on Wed 11-11 15:00, the reply period (due 11-11 23:59:59) has not ended:
    nothing is held back, and the unit may still answer in time."""
    case = handed_back(appeals, unit)
    case = appeals.rule_handback(
        case.id, PLATFORM, upheld=False, note="不同意退单。", occurred_at=sh("2026-11-11 15:00")
    )
    assert "DeadlineMissed" not in types(appeals, case.id)
    case = appeals.answer(case.id, ADMIN, kind="initial", content="已联系企业。", occurred_at=sh("2026-11-11 16:00"))
    assert deadline(appeals, case, "unit_reply", "2026-11-11 17:00").met_at == sh("2026-11-11 16:00")


def test_a_second_hand_back_and_a_ruling_with_none_pending_are_refused_and_record_nothing(appeals, unit):
    """API.md Hotline flow v1.2: a second hand-back while one awaits its ruling and a ruling with none pending
    are refused (409)."""
    case = forwarded_case(appeals, PROFILE, "2026-11-09 09:00", "2026-11-09 10:00", unit=unit)
    with pytest.raises(NotAllowedInState, match="none awaits"):
        appeals.rule_handback(case.id, PLATFORM, upheld=True, note="同意。")
    case = appeals.request_handback(case.id, as_unit(unit), reason="非本单位职责。")
    version = case.version
    with pytest.raises(NotAllowedInState, match="awaits") as refused:
        appeals.request_handback(case.id, as_unit(unit), reason="再次申请。")
    assert "等待平台审核" in refused.value.zh
    assert appeals.get(case.id).version == version


def test_forwarding_while_a_hand_back_waits_upholds_it_and_re_forwards(appeals, unit):
    """API.md v1 (handback: "the platform then forwards again") and 国办函〔2025〕66号 改派: a forwarding of a case
    whose hand-back awaits its ruling is the upheld ruling with its re-forward, in one act."""
    case = handed_back(appeals, unit)
    case = appeals.forward(case.id, PLATFORM, unit=f"{unit}-W")
    assert case.status == "forwarded" and case.unit == f"{unit}-W"
    assert case.handback["ruling"]["upheld"] is True and case.handback["ruling"]["unit"] == f"{unit}-W"


def test_forwarding_back_to_the_unit_that_asked_refuses_its_hand_back(appeals, unit):
    """国办函〔2025〕66号 派单异议审核: forwarding the case to the very unit that handed it back is the refused
    ruling: the unit keeps the case and its clocks as they ran (an objection that is refused buys no time)."""
    case = handed_back(appeals, unit)
    case = appeals.forward(case.id, PLATFORM, unit=unit)
    assert case.unit == unit and case.status in ("forwarded", "acknowledged")
    assert case.handback["ruling"]["upheld"] is False


def test_a_ruling_needs_a_note_and_refuses_a_re_forward_with_a_refusal_or_to_the_same_unit(appeals, unit):
    """国办函〔2025〕66号: 改派 follows an upheld hand-back only, to another unit; every ruling states its reasons."""
    case = handed_back(appeals, unit)
    for kwargs, field in (
        ({"upheld": True, "note": " "}, "note"),
        ({"upheld": False, "note": "不同意。", "unit": f"{unit}-W"}, "unit"),
        ({"upheld": True, "note": "同意。", "unit": unit}, "unit"),
        ({"upheld": True, "note": "同意。", "co_units": [f"{unit}-X"]}, "co_units"),
        ({"upheld": "yes", "note": "同意。"}, "upheld"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            appeals.rule_handback(case.id, PLATFORM, **kwargs)
        assert field in refused.value.fields, kwargs
    assert appeals.get(case.id).version == case.version


def test_only_the_platform_or_an_admin_rules_on_a_hand_back(appeals, unit):
    """docs/http-api.md Roles: 派单异议审核 is the platform's; the unit that asked, a supervisor, nobody else."""
    case = handed_back(appeals, unit)
    for actor in (as_unit(unit), SUPERVISOR):
        with pytest.raises(NotPermitted):
            appeals.rule_handback(case.id, actor, upheld=True, note="同意。")
    assert appeals.rule_handback(case.id, ADMIN, upheld=False, note="不同意。").status == "forwarded"


def test_a_profile_may_give_the_ruling_its_own_deadline_binding_the_platform(database_url, calendars, tmp_path, unit):
    """国办函〔2025〕66号 派单异议审核 with a profile's ruling period of 1 working day from the request (Tue
    11-10 09:00 → due Wed 11-11 23:59:59); it binds the platform, and the ruling meets it."""
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    block = (
        '\n[[deadlines]]\nname = "handback_ruling"\ntitle = "热线平台审核退单申请"\nsource = "国办函〔2025〕66号"\n'
        'starts_on = ["HandbackRequested"]\nmet_by = [{ event = "HandbackRuled" }]\nlength = 1\n'
        'unit = "working_days"\nbinds = "platform"\n'
    )
    at = text.index("\n# 未在规定时限内")
    (tmp_path / "zichuan-2020.toml").write_text(text[:at] + block + text[at:], encoding="utf-8")
    appeals = AppealService(
        database_from_url(database_url).env,
        profiles=FileProfileCatalogue([tmp_path]),
        calendars=calendars.for_jurisdiction,
    )
    try:
        case = handed_back(appeals, unit)
        ruling = deadline(appeals, case, "handback_ruling", "2026-11-10 10:00")
        assert (ruling.unit, ruling.due, ruling.title) == (None, sh("2026-11-11 23:59:59"), "热线平台审核退单申请")
        case = appeals.rule_handback(
            case.id, PLATFORM, upheld=False, note="不同意。", occurred_at=sh("2026-11-11 09:00")
        )
        assert deadline(appeals, case, "handback_ruling", "2026-11-11 10:00").met_at == sh("2026-11-11 09:00")
    finally:
        appeals.close()


def test_replay_of_a_store_holding_rulings_gives_the_same_case(appeals, unit):
    """A store holding HandbackRequested, HandbackRuled and the re-forwarding replays to the same case."""
    case = handed_back(appeals, unit)
    case = appeals.rule_handback(
        case.id, PLATFORM, upheld=True, note="同意退单。", unit=f"{unit}-W", occurred_at=sh("2026-11-16 10:00")
    )
    replayed = appeals.repository.get(case.id)
    assert replayed.handback == case.handback and replayed.clocks == case.clocks
    assert (replayed.status, replayed.unit, replayed.version) == (case.status, case.unit, case.version)


def test_a_period_counted_from_registration_starts_afresh_for_the_unit_re_forwarded_to(appeals, watch, unit):
    """004 item 二 (办不成事反映窗口: 5 working days from registration, binding the unit handed the case) with
    国办函〔2025〕66号 改派: received and forwarded Mon 11-09, handed back Tue 11-10, upheld Mon 11-16 10:00 with a
    re-forward; the first unit's period ends as not binding, the new unit's runs from the ruling: 11-17, 11-18,
    11-19, 11-20, 11-23 → due Mon 11-23 23:59:59."""
    other = f"{unit}-W"
    case = forwarded_case(appeals, "suqian-2024", "2026-11-09 09:00", "2026-11-09 10:00", unit=unit, tier="window")
    appeals.request_handback(case.id, ADMIN, reason="非本单位职责。", occurred_at=sh("2026-11-10 09:00"))
    case = appeals.rule_handback(
        case.id, PLATFORM, upheld=True, note="同意退单。", unit=other, occurred_at=sh("2026-11-16 10:00")
    )
    first = deadline(appeals, case, "window_feedback", "2026-11-16 11:00", round=1)
    assert (first.unit, first.cancelled_at, first.missed_seq) == (unit, sh("2026-11-16 10:00"), None)
    fresh = deadline(appeals, case, "window_feedback", "2026-11-16 11:00")
    assert (fresh.round, fresh.unit, fresh.started_at) == (2, other, sh("2026-11-16 10:00"))
    assert fresh.due == sh("2026-11-23 23:59:59") and fresh.extended == 0
    watch.sweep("2026-11-20 10:00")
    assert [e for e in appeals.history(case.id) if e.type == "DeadlineMissed"] == []
