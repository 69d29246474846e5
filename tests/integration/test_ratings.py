"""好差评 follow-through: rectification (整改), contest (申诉复核) and adjudication of a bad rating (差评).

Sources: 002 item 27 (建立政务服务“好差评”制度), 004 item 二 (按月对差评问题进行通报整改), the national
scheme 国办发〔2019〕51号 (差评整改; 建立申诉复核机制, 排除误评和“恶意”差评). A 差评 is rectified
within a profile-set number of working days, localities use 5 to 15; metrics keep both the raw and
the adjudicated figures. The packaged Zichuan profile's values are marked defaults: 10 WD to
rectify, 5 WD to contest.

Dates are counted by hand on the official 2026 calendar: National Day 2026-10-01..07, make-up
working day Sat 2026-10-10.
"""

from __future__ import annotations

import pytest

from adapters.persistence.database import database_from_url
from adapters.profiles.files import PACKAGED, FileProfileCatalogue
from domain.appeals.service import AppealService
from domain.errors import NotAllowedInState, NotPermitted, ValidationFailed
from tests.conftest import ADMIN, PLATFORM, SUPERVISOR, sh
from tests.integration.cases import as_unit, deadline, forwarded_case

UNIT = as_unit("DISTRICT-POWER")


def visited_case(appeals, satisfaction: str, visit: str = "2026-09-29 10:00", co_units=()):
    case = open_and_answer(appeals, co_units)
    return appeals.visit(case.id, PLATFORM, satisfaction=satisfaction, solved=False, occurred_at=sh(visit))


def open_and_answer(appeals, co_units=()):
    case = forwarded_case(appeals, "zichuan-2020", "2026-09-28 09:00", "2026-09-28 10:00")
    if co_units:
        case = appeals.forward(
            case.id, PLATFORM, unit="DISTRICT-POWER", co_units=list(co_units), occurred_at=sh("2026-09-28 10:30")
        )
    appeals.answer(case.id, ADMIN, kind="final", content="已安排供电所现场接电。", occurred_at=sh("2026-09-28 15:00"))
    return appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-09-29 09:00"))


def test_a_bad_rating_starts_a_10_working_day_rectification_counted_over_national_day(appeals):
    """002 item 27; 国办发〔2019〕51号: a 差评 must be rectified within the profile's working days.

    Unsatisfied visit Tue 2026-09-29 → WD1 09-30, Oct 1-7 holiday, WD2 10-08, WD3 10-09, WD4 Sat 10-10
    (调休), WD5 10-12 … WD9 Fri 10-16, WD10 Mon 10-19. A satisfied visit starts no rectification.
    """
    case = visited_case(appeals, "unsatisfied")
    rectification = deadline(appeals, case, "rectification", now="2026-10-19 23:00")
    assert rectification.due == sh("2026-10-19 23:59:59") and rectification.unit == "DISTRICT-POWER"
    assert not rectification.overdue and not rectification.provisional
    assert deadline(appeals, case, "rectification", now="2026-10-20 00:00").overdue
    assert "default" in rectification.source and case.satisfaction == "unsatisfied"
    worst = visited_case(appeals, "very_unsatisfied")
    assert deadline(appeals, worst, "rectification", now="2026-10-01 00:00").due == sh("2026-10-19 23:59:59")
    good = visited_case(appeals, "basically_satisfied")
    assert not [d for d in appeals.deadlines(good) if d.name == "rectification"]
    with pytest.raises(NotAllowedInState):
        appeals.rectify(good.id, ADMIN, content="无需整改。", occurred_at=sh("2026-09-30 09:00"))


def test_rectifying_on_the_last_day_meets_it_and_a_day_later_is_recorded_late(appeals):
    """002 item 27 / 国办发〔2019〕51号: the unit's 差评整改 meets the rectification deadline; late is recorded
    missed (found when it is met), never refused. It survives the case's closing (强化差评整改)."""
    on_time = visited_case(appeals, "unsatisfied")
    appeals.close_case(on_time.id, PLATFORM, occurred_at=sh("2026-09-29 12:00"))
    on_time = appeals.rectify(
        on_time.id, ADMIN, content="已约谈经办人，改进接电流程。", occurred_at=sh("2026-10-19 17:00")
    )
    met = deadline(appeals, on_time, "rectification", now="2026-12-01 00:00")
    assert met.met_at == sh("2026-10-19 17:00") and not met.met_late and not met.overdue
    assert on_time.status == "closed" and on_time.ratings[-1]["rectification"]["content"].startswith("已约谈")
    late = visited_case(appeals, "unsatisfied")
    late = appeals.rectify(late.id, ADMIN, content="已整改。", occurred_at=sh("2026-10-20 09:00"))
    assert deadline(appeals, late, "rectification", now="2026-12-01 00:00").met_late
    missed = appeals.history(late.id)[-1]
    assert (missed.type, missed.data["deadline"], missed.data["found_by"]) == (
        "DeadlineMissed",
        "rectification",
        "late_meet",
    )
    with pytest.raises(NotAllowedInState):  # once per bad rating
        appeals.rectify(late.id, ADMIN, content="再次整改。", occurred_at=sh("2026-10-21 09:00"))


def test_an_unrectified_bad_rating_is_found_missed_by_the_sweep_after_the_case_is_closed(appeals):
    """Rectified within the period; the deadline sweep finds a missed one like any other
    (the profile's 督办通知 lands only on an open case: a closed one is not escalated)."""
    case = visited_case(appeals, "very_unsatisfied")
    appeals.close_case(case.id, PLATFORM, occurred_at=sh("2026-09-29 12:00"))
    assert appeals.sweep_case(case.id, ADMIN, sh("2026-10-19 23:59")) == []
    recorded = appeals.sweep_case(case.id, ADMIN, sh("2026-10-20 00:00"))
    assert [(type(e).__name__, e.deadline, e.unit) for e in recorded] == [
        ("DeadlineMissed", "rectification", "DISTRICT-POWER")
    ]
    assert appeals.sweep_case(case.id, ADMIN, sh("2026-10-21 00:00")) == []


def test_a_second_bad_visit_after_a_return_starts_a_new_round(appeals):
    """000 item 4 (unsatisfied → 退回重办) with 国办发〔2019〕51号 (差评整改): the redo's bad visit starts rectification
    round 2, which takes the place of round 1. Visit Fri 2026-10-09 → WD1 Sat 10-10 (调休), WD2 10-12 …
    WD6 Fri 10-16, WD7 Mon 10-19 … WD10 Thu 10-22."""
    case = visited_case(appeals, "unsatisfied")
    appeals.return_for_redo(case.id, PLATFORM, reason="企业不满意，退回重办。", occurred_at=sh("2026-09-29 11:00"))
    appeals.answer(case.id, ADMIN, kind="final", content="已重新接电。", occurred_at=sh("2026-10-08 10:00"))
    appeals.review(case.id, PLATFORM, accepted=True, occurred_at=sh("2026-10-09 09:00"))
    case = appeals.visit(case.id, PLATFORM, satisfaction="very_unsatisfied", occurred_at=sh("2026-10-09 15:00"))
    first, second = (deadline(appeals, case, "rectification", now="2026-10-20 00:00", round=n) for n in (1, 2))
    assert first.cancelled_at == sh("2026-10-09 15:00") and not first.overdue
    assert second.due == sh("2026-10-22 23:59:59") and not second.overdue
    assert [(r["level"], r["bad"]) for r in case.ratings] == [("unsatisfied", True), ("very_unsatisfied", True)]
    case = appeals.rectify(case.id, ADMIN, content="已整改。", occurred_at=sh("2026-10-22 10:00"))
    assert case.ratings[1]["rectification"] is not None and case.ratings[0]["rectification"] is None


def test_the_rated_unit_contests_a_bad_rating_once_within_5_working_days_of_the_visit(appeals):
    """国办发〔2019〕51号 (建立申诉复核机制) with the profile's window (a marked default: 5 WD): visit Tue
    2026-09-29 → WD1 09-30, WD2 10-08, WD3 10-09, WD4 Sat 10-10, WD5 Mon 10-12; closed 10-13 00:00."""
    case = visited_case(appeals, "unsatisfied")
    case = appeals.contest_rating(
        case.id, ADMIN, reason="企业误评：差评针对的是电价，非本单位服务。", occurred_at=sh("2026-10-12 23:00")
    )
    assert case.ratings[-1]["contest"]["status"] == "pending" and case.satisfaction == "unsatisfied"
    with pytest.raises(NotAllowedInState):
        appeals.contest_rating(case.id, ADMIN, reason="再次申诉。", occurred_at=sh("2026-10-12 23:30"))
    late = visited_case(appeals, "unsatisfied")
    with pytest.raises(NotAllowedInState) as refused:
        appeals.contest_rating(late.id, ADMIN, reason="误评。", occurred_at=sh("2026-10-13 00:00"))
    assert "2026-10-12 23:59" in refused.value.zh
    # The unit itself acts now (December): its window has long closed, and the workspace says so.
    actions = appeals.actions(late, UNIT)
    assert actions["contest_rating"].permitted and not actions["contest_rating"].open
    assert actions["rectify"].open and not actions["adjudicate_rating"].permitted


def test_refused_rating_commands_record_nothing(appeals):
    """A refused command records nothing (docs/http-api.md *Errors*) — wrong unit or role, no bad rating,
    no reason, no pending contest, no note (002 item 27; 国办发〔2019〕51号)."""
    good = visited_case(appeals, "satisfied")
    bad = visited_case(appeals, "unsatisfied", co_units=["DISTRICT-WATER"])
    before = {c.id: len(appeals.history(c.id)) for c in (good, bad)}
    refusals = [
        (
            NotAllowedInState,
            lambda: appeals.contest_rating(good.id, ADMIN, reason="误评。", occurred_at=sh("2026-09-30 09:00")),
        ),
        (
            ValidationFailed,
            lambda: appeals.contest_rating(bad.id, ADMIN, reason=" ", occurred_at=sh("2026-09-30 09:00")),
        ),
        (ValidationFailed, lambda: appeals.rectify(bad.id, ADMIN, content="", occurred_at=sh("2026-09-30 09:00"))),
        (NotPermitted, lambda: appeals.rectify(bad.id, as_unit("DISTRICT-WATER"), content="协办单位代为整改。")),
        (NotPermitted, lambda: appeals.contest_rating(bad.id, as_unit("DISTRICT-GAS"), reason="误评。")),
        (NotPermitted, lambda: appeals.contest_rating(bad.id, PLATFORM, reason="误评。")),
        (NotAllowedInState, lambda: appeals.adjudicate_rating(bad.id, PLATFORM, upheld=True, note="成立。")),
        (NotPermitted, lambda: appeals.adjudicate_rating(bad.id, UNIT, upheld=True, note="成立。")),
    ]
    for error, command in refusals:
        with pytest.raises(error):
            command()
    appeals.contest_rating(bad.id, ADMIN, reason="误评。", occurred_at=sh("2026-09-30 09:00"))
    for upheld, note in ((True, "  "), ("yes", "成立。")):
        with pytest.raises(ValidationFailed):
            appeals.adjudicate_rating(bad.id, SUPERVISOR, upheld=upheld, note=note)
    assert {c.id: len(appeals.history(c.id)) for c in (good, bad)} == {
        good.id: before[good.id],
        bad.id: before[bad.id] + 1,
    }


def test_an_upheld_contest_sets_the_rating_aside_and_leaves_nothing_to_rectify(appeals):
    """国办发〔2019〕51号 (排除误评和“恶意”差评), raw and adjudicated both kept: the raw
    rating is never changed; the rectification stops."""
    case = visited_case(appeals, "very_unsatisfied")
    appeals.contest_rating(
        case.id, ADMIN, reason="恶意差评：评价人并非该企业人员。", occurred_at=sh("2026-10-09 10:00")
    )
    assert appeals.actions(appeals.get(case.id), PLATFORM)["adjudicate_rating"].open
    case = appeals.adjudicate_rating(
        case.id, PLATFORM, upheld=True, note="经核实属恶意差评，申诉成立。", occurred_at=sh("2026-10-12 10:00")
    )
    rating = case.ratings[-1]
    assert (rating["level"], rating["contest"]["status"], case.satisfaction) == (
        "very_unsatisfied",
        "upheld",
        "very_unsatisfied",
    )
    stopped = deadline(appeals, case, "rectification", now="2026-10-20 00:00")
    assert stopped.cancelled_at is not None and not stopped.overdue
    assert appeals.sweep_case(case.id, ADMIN, sh("2026-10-20 00:00")) == []
    with pytest.raises(NotAllowedInState):
        appeals.rectify(case.id, ADMIN, content="已整改。")
    with pytest.raises(NotAllowedInState):
        appeals.adjudicate_rating(case.id, PLATFORM, upheld=False, note="改判。")


def test_a_rejected_contest_keeps_the_rating_and_its_rectification_running(appeals):
    """国办发〔2019〕51号: 维持原评价 — the bad rating stands and must still be rectified in its period; a
    supervisor may rule."""
    case = visited_case(appeals, "unsatisfied")
    appeals.contest_rating(case.id, ADMIN, reason="误评。", occurred_at=sh("2026-09-30 09:00"))
    case = appeals.adjudicate_rating(case.id, SUPERVISOR, upheld=False, note="经回访核实，评价属实，维持原评价。")
    assert case.ratings[-1]["contest"]["status"] == "rejected"
    assert deadline(appeals, case, "rectification", now="2026-10-20 00:00").overdue


def test_a_case_kept_under_a_profile_without_the_follow_through_has_no_rectification_and_no_contest(
    database_url, calendars, tmp_path
):
    """A case keeps the profile it was opened under (docs/cases-and-approvals.md *Policy profiles*): a case
    opened before the profile had its [ratings] table starts no rectification on a bad visit, and refuses
    both commands."""
    text = (PACKAGED / "zichuan-2020.toml").read_text(encoding="utf-8")
    start = text.index("\n# 好差评")
    (tmp_path / "zichuan-2020.toml").write_text(text[:start] + text[text.index("\n\n", start + 1) :], encoding="utf-8")
    older = AppealService(
        database_from_url(database_url).env,
        profiles=FileProfileCatalogue([tmp_path]),
        calendars=calendars.for_jurisdiction,
    )
    case = visited_case(older, "unsatisfied")
    assert case.policy["ratings"] is None and not [d for d in older.deadlines(case) if d.name == "rectification"]
    for command in (
        lambda: older.rectify(case.id, ADMIN, content="已整改。", occurred_at=sh("2026-09-30 09:00")),
        lambda: older.contest_rating(case.id, ADMIN, reason="误评。", occurred_at=sh("2026-09-30 09:00")),
    ):
        with pytest.raises(NotAllowedInState, match="sets no 好差评 follow-through"):
            command()
    older.close()
