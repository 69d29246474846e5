"""The monthly bulletin's approvals section (行政审批办理情况): the window's figures and each department's.

Every unit keeps ledgers of appeals and approvals, bulletined monthly, and
on-time rates never hide open overdue cases; the ledgers, the audit trail,
the bulletin and the sweep cover approvals too (docs/http-api.md *Monthly
bulletin (通报)*). What is counted, and when, is
``projections.ledger.approvals``'s; this module only gathers a period:

- the approvals as a whole (``ApprovalFigures``): submitted, accepted (of which
  deemed accepted, 行政许可法 art. 32), refused, decided, decided on time /
  late, delivered, extended, escalated, revoked, withdrawn, the pauses ended in the period and
  their working days (art. 45), the decision deadlines ended unmet at the
  period's end, and the decision on-time rate;
- each department with approval activity in the period, or with an approval
  deadline binding it ended and unmet at the period's end (so that a silent
  department is not left out), by code: forwarded, answered on time / late,
  returned, missed, overdue at the end, on-time rate; then their totals.

Departments are listed, not ranked: the bulletin's ranking (the composite of
the unit scores, 三率) is the appeals'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.vocabulary import citation
from projections.ledger.appeals import LedgerView, ReportingPeriod
from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS, ApprovalFigures, DepartmentFigures
from projections.vocabulary import APPROVAL_DAY_COUNT as DAY_LABELS
from projections.vocabulary import APPROVAL_DEPARTMENT_COUNT as DEPARTMENT_LABELS

TOTAL = "TOTAL"

# The section's words in the workbook and the PDF (the counters' names are projections.vocabulary's).
OVERDUE_LABEL = "期末超期"
DECISION_OVERDUE_LABEL = "期末决定超期"
DECISION_ON_TIME_LABEL = "按时决定率"
ON_TIME_LABEL = "按时率"
TITLE_ZH = "行政审批办理情况"
#: The figures a law's article defines, and the article (cited as ``domain.vocabulary.citation`` shows it).
DAY_COUNT_SOURCES = {
    "deemed_accepted": "行政许可法 art. 32",
    "extended": "行政许可法 art. 42",
    "paused_working_days": "行政许可法 art. 45",
}
DEFINITIONS = {
    "on_time": "decided on time / (decided on time + decided late + decision deadlines ended and unmet at the "
    "period's end); a decision is on time when it met the decision clock before its end (pauses, "
    "行政许可法 art. 45, not counted)",
    "department_on_time": "a department's opinions on time / (on time + late + its approval deadlines ended and "
    "unmet at the period's end); late when its own review clock had already ended",
    "deemed_accepted": "行政许可法 art. 32: the notice period ended with neither a notice nor an acceptance; "
    "counted on the day the sweep recorded it, accepted as of the day of receipt",
    "paused_working_days": "行政许可法 art. 45: the working days in [P, R) of every pause that ended in the period "
    "(paused on day P, resumed on day R)",
}
DEFINITIONS_ZH = {
    "on_time": "按时决定件数 ÷（按时决定件数 + 超时决定件数 + 期末决定期限已届满未决定件数）；中止计时（行政许可法第四十五条）不计入期限",
    "department_on_time": "部门按时答复次数 ÷（按时答复次数 + 超时答复次数 + 期末该部门审查期限已届满未答复件数）",
    "deemed_accepted": "行政许可法第三十二条：逾期不告知的，自收到申请材料之日起即为受理；按扫描记录之日计数",
    "paused_working_days": "行政许可法第四十五条：本期结束的每次中止计时，自中止之日至恢复之日前一日的工作日数之和",
}

#: What each of the definitions defines, in the workbook's and the PDF's words.
DEFINITION_NAMES = {
    "on_time": DECISION_ON_TIME_LABEL,
    "department_on_time": "部门按时率",
    "deemed_accepted": "视为受理",
    "paused_working_days": "中止计时工作日",
}

assert set(DAY_LABELS) == set(DAY_COUNTERS) and set(DEPARTMENT_LABELS) == set(APPROVAL_COUNTERS)


def day_count_label(counter: str) -> str:
    """The name of a figure of the approvals as a whole, with the article that defines it, if one does:
    e.g. 其中视为受理（行政许可法第三十二条）."""
    source = DAY_COUNT_SOURCES.get(counter)
    return f"{DAY_LABELS[counter]}（{citation(source)}）" if source else DAY_LABELS[counter]


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    figures: DepartmentFigures

    @property
    def counts(self) -> Mapping[str, int]:
        return self.figures.counts

    @property
    def overdue_at_end(self) -> int:
        return self.figures.overdue_at_end

    @property
    def rates(self) -> dict[str, float | None]:
        return self.figures.rates


@dataclass(frozen=True)
class ApprovalSection:
    period: ReportingPeriod
    figures: ApprovalFigures
    departments: tuple[DepartmentRow, ...]  # by code
    totals: DepartmentRow  # code TOTAL: the departments' sums, its rate made from them

    @property
    def counts(self) -> Mapping[str, int]:
        return self.figures.counts

    @property
    def rates(self) -> dict[str, float | None]:
        return self.figures.rates


def approval_section(
    view: LedgerView, period: ReportingPeriod, names: Mapping[str, str] | None = None
) -> ApprovalSection:
    """The approvals section of ``period``'s bulletin; ``names`` names the departments (else their code)."""
    names = names or {}
    rows = tuple(
        DepartmentRow(code, names.get(code, code), view.figures(code, period).approvals)
        for code in view.departments_with_approvals(period)
    )
    totals = DepartmentFigures(
        {c: sum(r.counts[c] for r in rows) for c in APPROVAL_COUNTERS}, sum(r.overdue_at_end for r in rows)
    )
    return ApprovalSection(period, view.approval_figures(period), rows, DepartmentRow(TOTAL, "合计", totals))
