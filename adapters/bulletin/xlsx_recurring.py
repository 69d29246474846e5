"""The bulletin workbook's recurring-problems sheet (堵点分析, 004 item 六), after the approvals.

One sheet, three tables under a title and the period: the enterprises
appealing again and again (credit code, name, each month's count, total,
merged), the category × unit counts against the month before (with the
p-value of a rise and whether it is significant, and the test stated), and
the merged and suggested-repeat clusters, one row per case. In Chinese: a
category by its name, never its code. Numbers are numbers, so the sheet can
be filtered and summed.
"""

from __future__ import annotations

from typing import Any

from domain.deadlines.periods import SHANGHAI
from domain.profiles import CATEGORY_NAMES
from projections.reports.recurring import TEST_ZH, RecurringSection

SHEET_TITLE = "堵点分析"
#: A cluster's kind, and why its cases are linked (``projections.reports.recurring.Link.reason``).
KINDS = {"merged": "已并单", "suggested": "疑似重复"}
REASONS = {"credit_code": "同一信用代码", "similar_subject": "事项相似"}


def recurring_sheet(wb: Any, section: RecurringSection) -> None:
    """Adds the recurring-problems sheet to the openpyxl workbook ``wb``."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEET_TITLE)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for i, width in enumerate([22, 30, 14, 14, 14, 12, 12, 40], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    year, month = section.period.name.split("-")
    ws["A1"] = f"{year}年{int(month)}月企业诉求堵点分析"
    ws["A1"].font = Font(size=14, bold=True)
    first, last = section.period.days
    ws["A2"] = f"统计期间：{first.isoformat()} 至 {last.isoformat()}"
    row = 3

    def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
        nonlocal row
        row += 1
        ws.cell(row, 1, title).font = bold
        row += 1
        for i, header in enumerate(headers, start=1):
            cell = ws.cell(row, i, header)
            cell.font, cell.fill = bold, fill
        for values in rows:
            row += 1
            for i, value in enumerate(values, start=1):
                ws.cell(row, i, value)
        row += 1

    months = [m.name for m in section.months]
    table(
        "重复诉求企业",
        ["统一社会信用代码", "企业名称", *months, "合计", "并单"],
        [[e.credit_code or "", e.name, *(e.counts[m] for m in months), e.total, e.merged] for e in section.enterprises],
    )
    table(
        "类别×单位",
        [
            "类别",
            "承办单位",
            f"本月（{section.period.name}）",
            f"上月（{months[1]}）",
            "变化",
            "P 值",
            "显著上升",
        ],
        [
            [
                CATEGORY_NAMES.get(c.category, c.category),
                c.unit or "未转办",
                c.count,
                c.previous,
                c.change,
                c.p_value,
                "是" if c.significant else "",
            ]
            for c in section.category_units
        ],
    )
    ws.cell(row, 1, f"检验方法：{TEST_ZH}")
    row += 1
    clusters = [(KINDS["merged"], c) for c in section.merged] + [(KINDS["suggested"], c) for c in section.suggested]
    table(
        "并单与疑似重复诉求",
        ["组", "类型", "案件编号", "受理时间", "企业", "信用代码", "依据", "事项"],
        [
            [
                n,
                kind,
                case.case_no,
                case.received_at.astimezone(SHANGHAI).isoformat(timespec="minutes"),
                case.enterprise,
                case.credit_code or "",
                "、".join(REASONS[r] for r in sorted({ln.reason for ln in cluster.links})),
                case.subject,
            ]
            for n, (kind, cluster) in enumerate(clusters, start=1)
            for case in cluster.cases
        ],
    )
