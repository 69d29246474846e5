"""The bulletin workbook's approvals sheet (行政审批办理情况), beside the ranking (``adapters.bulletin.xlsx``).

One sheet, in Chinese: a title row, the period, the approvals as a whole (one figure a row: label,
value; a figure a law's article defines cites it, e.g. 行政许可法第三十二条), then the departments by
code with their totals (counts, overdue at the end, on-time rate as a percentage), then how the
rates and the figures of 行政许可法 arts. 32 and 45 are counted.
"""

from __future__ import annotations

from typing import Any

from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
from projections.reports.approvals import (
    DECISION_ON_TIME_LABEL,
    DECISION_OVERDUE_LABEL,
    DEFINITION_NAMES,
    DEFINITIONS_ZH,
    ON_TIME_LABEL,
    OVERDUE_LABEL,
    TITLE_ZH,
    ApprovalSection,
    day_count_label,
)
from projections.vocabulary import APPROVAL_DEPARTMENT_COUNT as DEPARTMENT_LABELS

SHEET_TITLE = "审批"


def title_zh(section: ApprovalSection) -> str:
    year, month = section.period.name.split("-")
    return f"{year}年{int(month)}月{TITLE_ZH}"


def approvals_sheet(wb: Any, section: ApprovalSection) -> None:
    """Adds the approvals sheet to the openpyxl workbook ``wb``."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEET_TITLE)
    bold, thin = Font(bold=True), Side(style="thin", color="999999")
    fill = PatternFill("solid", fgColor="DDE6F0")
    headers = [
        "部门代码",
        "部门名称",
        *(DEPARTMENT_LABELS[c] for c in APPROVAL_COUNTERS),
        OVERDUE_LABEL,
        ON_TIME_LABEL,
    ]
    for i, width in enumerate([18, 28, *([14] * (len(headers) - 2))], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    first, last = section.period.days
    ws["A1"] = title_zh(section)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = f"统计期间：{first.isoformat()} 至 {last.isoformat()}"

    row = 4
    for cell, text in ((1, "指标"), (2, "数值")):
        ws.cell(row, cell, text).font = bold
        ws.cell(row, cell).fill = fill
    figures: list[tuple[str, Any, str]] = [(day_count_label(c), section.counts[c], "0") for c in DAY_COUNTERS]
    figures += [
        (DECISION_OVERDUE_LABEL, section.figures.decision_overdue_at_end, "0"),
        (DECISION_ON_TIME_LABEL, section.rates["on_time"], "0.0%"),
    ]
    for label, value, number_format in figures:
        row += 1
        ws.cell(row, 1, label)
        ws.cell(row, 2, value).number_format = number_format

    row += 2
    ws.cell(row, 1, "各部门审查情况（按部门代码）").font = bold
    row += 1
    header_row = row
    for i, header in enumerate(headers, start=1):
        cell = ws.cell(row, i, header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = Border(bottom=thin)
    ws.row_dimensions[row].height = 32
    for department in (*section.departments, section.totals):
        row += 1
        values = [
            None if department is section.totals else department.code,
            department.name,
            *(department.counts[c] for c in APPROVAL_COUNTERS),
            department.overdue_at_end,
            department.rates["on_time"],
        ]
        for i, value in enumerate(values, start=1):
            cell = ws.cell(row, i, value)
            cell.number_format = "0.0%" if i == len(values) else ("@" if i <= 2 else "0")
        if department is section.totals:
            for i in range(1, len(values) + 1):
                ws.cell(row, i).font, ws.cell(row, i).border = bold, Border(top=thin)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + len(section.departments)}"

    row += 2
    ws.cell(row, 1, "指标定义").font = bold
    for key in ("on_time", "department_on_time", "deemed_accepted", "paused_working_days"):
        row += 1
        ws.cell(row, 1, DEFINITION_NAMES[key])
        ws.cell(row, 2, DEFINITIONS_ZH[key]).alignment = Alignment(wrap_text=False)
