"""首接负责 (the answer at first contact) and 回头看 (the look-back) on appeals, on both databases.

Sources: 004 item 六 (对于咨询类诉求，实行首接负责制，通过直接答复、三方连线、在线转接等方式第一时间向企业进行
答复 … 完善办结回访、回头看核查等工作制度) and 004 item 十四 (抽选部分企业开展满意度回头看).

Dates are counted by hand on the official 2026 calendar: National Day 2026-10-01..07, make-up
working day Sat 2026-10-10.
"""

from __future__ import annotations

import uuid

import pytest

from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import as_unit, deadline, forwarded_case, open_case

UNIT = as_unit("DISTRICT-POWER")


def consultation(appeals, profile: str = "zichuan-2020", at: str = "2026-09-28 09:00"):
    return open_case(appeals, profile, at, category="consultation", subject="小微企业社保补贴如何申请")


def closed_case(appeals, profile: str = "zichuan-2020"):
    """Forwarded Mon 2026-09-28, answered, accepted, visited and closed on Tue 2026-09-29."""
    case = forwarded_case(appeals, profile, "2026-09-28 09:00", "2026-09-28 10:00")
    appeals.answer(case.id, ADMIN, kind="final", content="已安排供电所现场接电。", occurred_at=sh("2026-09-28 15:00"))
    appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-09-29 09:00"))
    appeals.visit(case.id, PLATFORM, satisfaction="satisfied", solved=True, occurred_at=sh("2026-09-29 10:00"))
    return appeals.close_case(case.id, PLATFORM, occurred_at=sh("2026-09-29 11:00"))


def test_a_consultation_answered_at_first_contact_is_closed_without_being_forwarded(appeals):
    """004 item 六: 对于咨询类诉求，实行首接负责制，通过直接答复、三方连线、在线转接等方式第一时间向企业进行答复.

    Received Mon 2026-09-28 09:00 and answered by a three-way call at 09:20: closed there, no unit, and
    the platform's report deadline (3 WD) stops with it — never overdue, even weeks later."""
    case = consultation(appeals)
    case = appeals.direct_answer(
        case.id,
        PLATFORM,
        method="three_way_call",
        content="三方连线人社局，已告知申请条件。",
        occurred_at=sh("2026-09-28 09:20"),
    )
    assert case.status == "closed" and case.unit is None and case.forwarded_at is None
    assert case.direct is not None and case.direct["method"] == "three_way_call"
    assert case.closed_at == sh("2026-09-28 09:20")
    report = deadline(appeals, case, "platform_report", now="2026-10-30 00:00")
    assert not report.overdue
    assert [e.type for e in appeals.history(case.id)][-1] == "DirectlyAnswered"


def test_only_a_case_never_forwarded_is_answered_at_first_contact(appeals):
    """004 item 六 (首接负责: 第一时间答复): once the case is forwarded to a unit the unit answers it."""
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-28 09:00", "2026-09-28 10:00", category="consultation")
    with pytest.raises(NotAllowedInState):
        appeals.direct_answer(
            case.id, PLATFORM, method="direct", content="已答复。", occurred_at=sh("2026-09-28 11:00")
        )
    assert appeals.get(case.id).version == case.version


@pytest.mark.parametrize("profile", ["zichuan-2020", "liaocheng-2020", "suqian-2024", "liaoyuan-2024"])
def test_every_packaged_profile_allows_consultations_only_at_first_contact(appeals, profile):
    """004 item 六: 对于咨询类诉求 — a help request, a complaint or a suggestion goes to a unit."""
    help_case = open_case(appeals, profile, "2026-09-28 09:00", category="help")
    with pytest.raises(ValidationFailed) as refused:
        appeals.direct_answer(help_case.id, PLATFORM, method="direct", content="已答复。")
    assert "category" in refused.value.fields
    assert appeals.get(help_case.id).version == help_case.version
    case = appeals.direct_answer(
        consultation(appeals, profile).id, ADMIN, method="transfer", content="在线转接税务专席。"
    )
    assert case.status == "closed" and case.direct["method"] == "transfer"


def test_answer_at_first_contact_needs_a_method_and_content_and_the_platform(appeals):
    """004 item 六 (直接答复、三方连线、在线转接): the method is one of the three; units and supervisors may not."""
    case = consultation(appeals)
    with pytest.raises(ValidationFailed) as refused:
        appeals.direct_answer(case.id, PLATFORM, method="email", content=" ")
    assert set(refused.value.fields) == {"method", "content"}
    for actor in (UNIT, SUPERVISOR):
        with pytest.raises(NotPermitted):
            appeals.direct_answer(case.id, actor, method="direct", content="已答复。")
    assert appeals.get(case.id).version == case.version


def test_a_look_back_that_holds_leaves_the_case_closed(appeals):
    """004 item 六 (回头看核查) and item 十四 (抽选部分企业开展满意度回头看): recorded, sampled, nothing reopened."""
    case = closed_case(appeals)
    case = appeals.recheck(case.id, SUPERVISOR, holds=True, note="企业确认已通电。", sampled=True)
    assert case.status == "closed" and case.returned_count == 0
    assert [(r["holds"], r["sampled"], r["unit"]) for r in case.rechecks] == [(True, True, "DISTRICT-POWER")]


def test_a_look_back_that_fails_returns_the_case_to_its_lead_unit_with_fresh_clocks(appeals):
    """004 item 六 (确保堵点问题真正解决到位): not solved after all → 重办 by the lead unit (000 item 4: 2 WD).

    Look-back Fri 2026-10-09 10:00: the unit's reply period starts again: WD1 Sat 10-10 (调休),
    WD2 Mon 10-12 → due 2026-10-12 23:59:59."""
    case = closed_case(appeals)
    case = appeals.recheck(
        case.id, PLATFORM, holds=False, note="回访发现仍未通电。", occurred_at=sh("2026-10-09 10:00")
    )
    assert case.status == "returned" and case.unit == "DISTRICT-POWER" and case.returned_count == 1
    assert case.closed_at is None and case.rechecks[-1]["holds"] is False and not case.rechecks[-1]["sampled"]
    assert [e.type for e in appeals.history(case.id)][-2:] == ["Rechecked", "Returned"]
    reply = deadline(appeals, case, "unit_reply", now="2026-10-12 12:00")
    assert reply.round == 2 and reply.due == sh("2026-10-12 23:59:59") and not reply.overdue
    assert deadline(appeals, case, "unit_reply", now="2026-10-13 00:00").overdue
    # The unit answers the redo as after any return.
    answered = appeals.answer(case.id, ADMIN, kind="final", content="已接电。", occurred_at=sh("2026-10-12 09:00"))
    assert answered.status == "answered"


def test_a_failed_look_back_restarts_a_completion_period_a_return_would_only_reopen(appeals):
    """004 item 八 (一般性问题 5 个工作日内办结) after 004 item 六's 回头看: a fresh period, not the old one.

    Look-back Fri 2026-10-09 10:00: WD1 Sat 10-10 (调休), WD2 10-12, WD3 10-13, WD4 10-14, WD5 Thu
    10-15 → due 2026-10-15 23:59:59 (the first period, from 09-28, ended long before)."""
    case = closed_case(appeals, "suqian-2024")
    case = appeals.recheck(case.id, PLATFORM, holds=False, note="问题反弹。", occurred_at=sh("2026-10-09 10:00"))
    completion = deadline(appeals, case, "completion", now="2026-10-14 12:00")
    assert completion.round == 2 and completion.due == sh("2026-10-15 23:59:59") and not completion.overdue
    assert completion.unit == "DISTRICT-POWER"


def test_a_look_back_only_on_a_closed_case_and_never_reopens_a_first_contact_answer(appeals):
    """004 item 六 (办结回访、回头看): a case not closed is not looked back on; a first-contact answer has no
    lead unit to redo it, so it may be found to hold but not returned."""
    open_one = forwarded_case(appeals, "zichuan-2020", "2026-09-28 09:00", "2026-09-28 10:00")
    with pytest.raises(NotAllowedInState):
        appeals.recheck(open_one.id, PLATFORM, holds=True, note="已落实。")
    direct = appeals.direct_answer(consultation(appeals).id, PLATFORM, method="direct", content="已答复。")
    with pytest.raises(NotAllowedInState):
        appeals.recheck(direct.id, PLATFORM, holds=False, note="未落实。")
    assert appeals.get(direct.id).version == direct.version
    held = appeals.recheck(direct.id, PLATFORM, holds=True, note="企业表示已清楚。")
    assert held.status == "closed" and held.rechecks[-1]["unit"] is None


def test_a_look_back_needs_a_note_and_the_platform_or_a_supervisor(appeals):
    """004 items 六, 十四: a unit does not look back on its own case; the finding is written down."""
    case = closed_case(appeals)
    with pytest.raises(ValidationFailed) as refused:
        appeals.recheck(case.id, PLATFORM, holds="maybe", note="")  # type: ignore[arg-type]
    assert set(refused.value.fields) == {"holds", "note"}
    with pytest.raises(NotPermitted):
        appeals.recheck(case.id, UNIT, holds=True, note="已落实。")
    assert appeals.get(case.id).version == case.version


def test_a_look_back_that_fails_counts_as_a_return_for_accountability(appeals, watch):
    """000 item 4 (重办2次及以上的，进行通报提醒) with 004 item 六 (回头看): the return a failed look-back brings is
    a redo like any other — returned once on review, once on the look-back: one 通报提醒 on Fri 2026-10-09."""
    unit = f"U-{uuid.uuid4().hex[:8].upper()}"
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-28 09:00", "2026-09-28 10:00", unit=unit)
    appeals.answer(case.id, ADMIN, kind="final", content="已办。", occurred_at=sh("2026-09-28 15:00"))
    appeals.review(case.id, PLATFORM, accepted=False, note="答复不实。", occurred_at=sh("2026-09-29 09:00"))
    appeals.answer(case.id, ADMIN, kind="final", content="已重办。", occurred_at=sh("2026-09-29 15:00"))
    appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-09-30 09:00"))
    appeals.close_case(case.id, PLATFORM, occurred_at=sh("2026-09-30 10:00"))
    assert watch.consequences(unit, "notified_reminder") == []
    case = appeals.recheck(case.id, PLATFORM, holds=False, note="问题反弹。", occurred_at=sh("2026-10-09 10:00"))
    reminders = watch.consequences(unit, "notified_reminder")
    assert [r["rule"] for r in reminders] == ["zichuan-2020/redo-2"]
    returned = [e.seq for e in appeals.history(case.id) if e.type == "Returned"]
    assert [e["seq"] for e in reminders[0]["evidence"]] == returned and len(returned) == 2
