"""The monthly bulletin's approvals section (行政审批办理情况): what is counted when each approval event is
projected, the rates, and the section in the workbook and the PDF.

Sources: every unit keeps ledgers of appeals and approvals, and on-time rates never hide open overdue
cases; 行政许可法 art. 32 (deemed acceptance) and art. 45 (pauses, counted in [P, R)); the ledgers, the
audit trail, the bulletin and the sweep cover approvals too (docs/http-api.md *Monthly bulletin (通报)*).
The 2026 schedule: National Day Thu 10-01 to Wed 10-07; Sun 09-20 and Sat 10-10 are make-up working days.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from adapters.profiles.files import FileProfileCatalogue
from domain.actors import Actor, Role
from domain.approvals.aggregate import Approval
from domain.deadlines.periods import SHANGHAI
from projections.feed import FeedItem
from projections.ledger.appeals import Ledger, ReportingPeriod
from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS, ApprovalFigures, DepartmentFigures
from projections.reports.approvals import TOTAL, ApprovalSection, DepartmentRow, approval_section
from projections.reports.bulletin import rank_units
from tests.pdf import pdf_text
from tests.unit.conftest import official_calendar_2025_2026

CAL = official_calendar_2025_2026()
WINDOW = Actor("window1", Role.PLATFORM)
OCT = ReportingPeriod.month("2026-10")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def projected(*approvals: Approval) -> Ledger:
    """The ledger read model fed each approval's events with the case as it stood right after each one,
    as the feed gives them (the aggregate's own ``mutate``)."""
    ledger = Ledger(view=None, calendars=lambda jurisdiction: CAL)
    ledger.begin()
    position = 0
    for approval in approvals:
        case = None
        for event in approval.collect_events():
            case = event.mutate(case)
            position += 1
            ledger.on_event(FeedItem(position, event, b"", case))
    return ledger


def joint(
    at: str,
    departments=("FIRE", "PLAN"),
    profile: str = "liaocheng-2020-approvals",
    matter: str = "joint-completion-acceptance",
) -> Approval:
    """联合竣工验收 (聊政字〔2020〕25号 item 10): decision and each department's review 15 WD."""
    policy = FileProfileCatalogue().get(profile, kind="approval").case_policy(matter, list(departments), False)
    return Approval(
        id=Approval.create_id("window", f"{matter}-{at}-{departments}"),
        case_no="SP-TEST",
        channel="window",
        external_ref=None,
        matter=matter,
        applicant={"name": "某某置业有限公司"},
        materials=["申请表"],
        departments=list(departments),
        commitment=False,
        policy=policy,
        actor=WINDOW.as_record(),
        occurred_at=t(at),
    )


def test_an_extension_and_an_escalation_are_counted_on_their_day():
    """行政许可法 art. 42: the decision period extended once (by 10 days at most); 督办 on the case."""
    approval = joint("2026-10-14T09:00", departments=("FIRE",), profile="licensing-law-2019", matter="general")
    approval.accept(None, WINDOW, t("2026-10-14T10:00"))
    approval.extend(10, "需现场核查", WINDOW, t("2026-10-20T10:00"))
    approval.escalate(None, "督办", WINDOW, t("2026-10-21T10:00"))
    days = {day.isoformat(): counts for day, counts in projected(approval).changes().approval_days.items()}
    assert (days["2026-10-20"], days["2026-10-21"]) == ({"extended": 1}, {"escalated": 1})


def test_a_deemed_acceptance_after_national_day_and_a_two_day_pause_are_counted_when_projected():
    """Submitted Mon 09-28 with no notice: the notice period (5 WD: 09-29, 09-30, 10-08, 10-09, Sat 10-10)
    has ended when the sweep runs as of Mon 10-12, which records DeemedAccepted (art. 32), counted that day.
    Paused Tue 10-20, resumed Thu 10-22: the working days in [10-20, 10-22) are 2 (art. 45)."""
    approval = joint("2026-09-28T10:00")
    approval.record_missed(CAL, t("2026-10-12T09:00"), WINDOW, t("2026-10-12T09:00"))
    assert approval.deemed_accepted and approval.accepted_at == t("2026-09-28T10:00")
    approval.forward(None, WINDOW, t("2026-10-12T10:00"))
    approval.pause("inspection", 2, None, CAL, t("2026-10-20T09:00"), WINDOW, t("2026-10-20T09:00"))
    approval.resume(None, WINDOW, t("2026-10-22T09:00"))
    changes = projected(approval).changes()
    days = {day.isoformat(): counts for day, counts in changes.approval_days.items()}
    assert days == {
        "2026-09-28": {"submitted": 1},
        "2026-10-12": {"accepted": 1, "deemed_accepted": 1},
        "2026-10-22": {"pauses_ended": 1, "paused_working_days": 2},
    }
    assert {(unit, day.isoformat()): counts for (unit, day), counts in changes.units.items()} == {
        ("FIRE", "2026-10-12"): {"approvals_forwarded": 1},
        ("PLAN", "2026-10-12"): {"approvals_forwarded": 1},
    }


def test_a_pause_is_counted_once_on_the_day_it_ends_however_it_ends():
    """A department answering during an expert review ends no pause (the decision clock is still stopped);
    the resumption does. A second pause, from Mon 10-26, ends when the applicant withdraws on Wed 10-28:
    the working days in [10-26, 10-28) are 2."""
    approval = joint("2026-10-14T09:00")
    approval.accept(None, WINDOW, t("2026-10-14T10:00"))
    approval.forward(None, WINDOW, t("2026-10-14T11:00"))
    approval.pause("expert_review", 3, None, CAL, t("2026-10-16T09:00"), WINDOW, t("2026-10-16T09:00"))
    approval.answer("FIRE", "approve", "合格", WINDOW, t("2026-10-19T10:00"))
    approval.resume(None, WINDOW, t("2026-10-21T09:00"))  # [Fri 10-16, Wed 10-21): 10-16, 10-19, 10-20
    approval.pause("hearing", 5, None, CAL, t("2026-10-26T09:00"), WINDOW, t("2026-10-26T09:00"))
    approval.withdraw("申请人撤回", WINDOW, t("2026-10-28T09:00"))
    days = {day.isoformat(): counts for day, counts in projected(approval).changes().approval_days.items()}
    assert days["2026-10-21"] == {"pauses_ended": 1, "paused_working_days": 3}
    assert days["2026-10-28"] == {"withdrawn": 1, "pauses_ended": 1, "paused_working_days": 2}
    assert "2026-10-19" not in days


def test_decisions_and_opinions_on_time_or_late_by_their_own_clocks():
    """Accepted Wed 10-14: the decision and each review end 11-04 (15 WD). FIRE answers 10-30 (on time), PLAN
    11-05 (late: its own review clock had ended, ``met_late``); the decision of 11-05 is late too. An
    opinion returned (退回) counts for its department; the appeal counters stay untouched."""
    approval = joint("2026-10-14T09:00")
    approval.accept(None, WINDOW, t("2026-10-14T10:00"))
    approval.forward(None, WINDOW, t("2026-10-14T11:00"))
    approval.answer("FIRE", "approve", "合格", WINDOW, t("2026-10-15T10:00"))
    approval.return_opinion("FIRE", "意见不完整", WINDOW, t("2026-10-16T10:00"))
    approval.answer("FIRE", "approve", "合格", WINDOW, t("2026-10-30T10:00"))
    approval.answer("PLAN", "approve", "合格", WINDOW, t("2026-11-05T10:00"))
    approval.decide("approve", "联合验收合格", WINDOW, t("2026-11-05T11:00"))
    approval.deliver(None, WINDOW, t("2026-11-06T10:00"))
    changes = projected(approval).changes()
    units = {(unit, day.isoformat()): counts for (unit, day), counts in changes.units.items()}
    assert units[("FIRE", "2026-10-15")] == {"approvals_answered_on_time": 1}
    assert units[("FIRE", "2026-10-16")] == {"approvals_returned": 1}
    assert units[("FIRE", "2026-10-30")] == {"approvals_answered_on_time": 1}  # the review ran again from 10-16
    assert units[("PLAN", "2026-11-05")] == {"approvals_answered_late": 1}
    assert changes.approval_days[t("2026-11-05T00:00").date()] == {"decided": 1, "decided_late": 1}
    assert all(key.startswith("approvals_") for counts in changes.units.values() for key in counts)


def test_a_decision_within_its_period_is_on_time():
    approval = joint("2026-10-14T09:00", departments=("FIRE",))
    approval.accept(None, WINDOW, t("2026-10-14T10:00"))
    approval.forward(None, WINDOW, t("2026-10-14T11:00"))
    approval.answer("FIRE", "approve", "合格", WINDOW, t("2026-10-19T10:00"))
    approval.decide("approve", "联合验收合格", WINDOW, t("2026-11-04T23:00"))  # the last day of 15 WD
    days = projected(approval).changes().approval_days
    assert days[t("2026-11-04T00:00").date()] == {"decided": 1, "decided_on_time": 1}


def test_the_decision_on_time_rate_never_hides_decisions_overdue_at_the_end():
    """3 on time / (3 on time + 1 late + 1 decision ended and unmet at the period's end)."""
    figures = ApprovalFigures(dict.fromkeys(DAY_COUNTERS, 0) | {"decided_on_time": 3, "decided_late": 1}, 1)
    assert figures.rates == {"on_time": 0.6}
    assert ApprovalFigures(dict.fromkeys(DAY_COUNTERS, 0), 0).rates == {"on_time": None}
    assert ApprovalFigures(dict.fromkeys(DAY_COUNTERS, 0), 2).rates == {"on_time": 0.0}  # only overdue: 0, not None


def department(code: str, overdue: int = 0, **counts: int) -> DepartmentFigures:
    return DepartmentFigures(dict.fromkeys(APPROVAL_COUNTERS, 0) | counts, overdue)


def test_a_departments_on_time_rate_counts_its_open_overdue_reviews():
    # 2 on time / (2 + 1 late + 1 overdue at the end)
    assert department("FIRE", 1, answered_on_time=2, answered_late=1).rates == {"on_time": 0.5}


class FakeView:
    def __init__(self, departments: dict[str, DepartmentFigures], whole: ApprovalFigures) -> None:
        self.departments, self.whole = departments, whole

    def departments_with_approvals(self, period: ReportingPeriod) -> list[str]:
        return sorted(self.departments)

    def figures(self, unit: str, period: ReportingPeriod):
        return type("Figures", (), {"approvals": self.departments[unit]})()

    def approval_figures(self, period: ReportingPeriod) -> ApprovalFigures:
        return self.whole


@pytest.fixture
def section() -> ApprovalSection:
    whole = ApprovalFigures(
        dict.fromkeys(DAY_COUNTERS, 0)
        | {
            "submitted": 4,
            "accepted": 3,
            "deemed_accepted": 1,
            "decided": 2,
            "decided_on_time": 1,
            "decided_late": 1,
            "delivered": 1,
            "pauses_ended": 1,
            "paused_working_days": 2,
        },
        1,
    )
    return approval_section(
        FakeView(
            {
                "PLAN": department("PLAN", 1, forwarded=2, answered_late=1, missed=2),
                "FIRE": department("FIRE", 0, forwarded=2, answered_on_time=3, returned=1),
            },
            whole,
        ),
        OCT,
        {"FIRE": "区消防救援大队", "PLAN": "区自然资源局"},
    )


def test_the_section_lists_the_departments_by_code_with_totals_made_from_the_sums(section):
    assert [(r.code, r.name) for r in section.departments] == [("FIRE", "区消防救援大队"), ("PLAN", "区自然资源局")]
    assert section.totals.code == TOTAL and section.totals.counts == {
        "forwarded": 4,
        "answered_on_time": 3,
        "answered_late": 1,
        "returned": 1,
        "missed": 2,
    }
    # 3 / (3 + 1 + 1), not the mean of 1.0 and 0.0
    assert (section.totals.overdue_at_end, section.totals.rates) == (1, {"on_time": 0.6})
    assert section.rates == {"on_time": 0.3333}  # 1 / (1 + 1 + 1)


def with_section(section: ApprovalSection):
    from dataclasses import replace

    return replace(rank_units([], OCT), approvals=section)


def test_the_workbook_has_an_approvals_sheet(section):
    import openpyxl

    from adapters.bulletin.xlsx import bulletin_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(with_section(section))))
    assert wb.sheetnames[-1] == "审批"
    rows = list(wb["审批"].iter_rows(values_only=True))
    assert rows[0][0] == "2026年10月行政审批办理情况"
    figures = {r[0]: r[1] for r in rows if r[0] and r[1] is not None and not isinstance(r[1], str)}
    assert figures["其中视为受理（行政许可法第三十二条）"] == 1
    assert figures["中止计时工作日（行政许可法第四十五条）"] == 2
    assert figures["按时决定率"] == 0.3333
    table = {r[0]: r[1:9] for r in rows if r[0] in ("FIRE", "PLAN") or r[1] == "合计"}
    assert table["FIRE"] == ("区消防救援大队", 2, 3, 0, 1, 0, 0, 1.0)
    assert table["PLAN"] == ("区自然资源局", 2, 0, 1, 0, 2, 1, 0.0)
    assert table[None] == ("合计", 4, 3, 1, 1, 2, 1, 0.6)  # the totals, with no code
    start = next(n for n, r in enumerate(rows) if r[0] == "指标定义") + 1
    definitions = {r[0]: r[1] for r in rows[start:]}
    assert list(definitions) == ["按时决定率", "部门按时率", "视为受理", "中止计时工作日"]
    assert definitions["视为受理"].startswith("行政许可法第三十二条：")


def test_without_the_section_the_workbook_keeps_its_other_sheets():
    import openpyxl

    from adapters.bulletin.xlsx import bulletin_xlsx

    assert openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(rank_units([], OCT)))).sheetnames == [
        "通报",
        "指标定义",
        "差评",
        "即时办结与回头看",
    ]


def test_the_pdf_has_an_approvals_page(section):
    from adapters.bulletin.pdf import bulletin_pdf

    pages = pdf_text(bulletin_pdf(with_section(section))).split("\f")
    page = pages[-1]
    assert "行政审批办理情况" in page and "2026年10月" in page
    lines = [" ".join(line.split()) for line in page.splitlines()]
    assert any("区消防救援大队" in line and "FIRE" in line and "100.0%" in line for line in lines)
    assert any("区自然资源局" in line and "PLAN" in line and "0.0%" in line for line in lines)
    assert any("其中视为受理" in line and line.endswith(" 1") for line in lines)
    assert any("中止计时工作日" in line and line.endswith(" 2") for line in lines)
    assert "行政许可法第四十五条" in "".join(page.split())


def test_many_departments_continue_on_further_pages():
    from adapters.bulletin.pdf import bulletin_pdf
    from adapters.bulletin.pdf_approvals import DEPARTMENT_ROWS_PER_PAGE

    many = {f"D{n:02d}": department(f"D{n:02d}", forwarded=1) for n in range(DEPARTMENT_ROWS_PER_PAGE + 3)}
    section = approval_section(FakeView(many, ApprovalFigures(dict.fromkeys(DAY_COUNTERS, 0), 0)), OCT)
    pages = [p for p in pdf_text(bulletin_pdf(with_section(section))).split("\f") if "行政审批办理情况" in p]
    assert len(pages) == 2 and "(1/2)" in pages[0] and "(2/2)" in pages[1]
    assert "D16" in pages[1] and "D16" not in pages[0]


def test_department_rows_show_their_figures():
    row = DepartmentRow("FIRE", "区消防救援大队", department("FIRE", 1, answered_on_time=1))
    assert (row.counts["answered_on_time"], row.overdue_at_end, row.rates) == (1, 1, {"on_time": 0.5})
