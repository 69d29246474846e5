"""The bulletin's 问责处理 (the month's consequences by unit): a sheet of the workbook and page(s) of the
PDF (``adapters.bulletin.pdf_consequences``), after the list of 差评.

Two tables in Chinese: per unit, how many 通报提醒, 约谈, 书面检查, 通报批评, 专项督办 and 追责问责
recommendations arose in the period (``projections.reports.consequences``), with the totals; then each
consequence — unit, what, when, the rule and its document and item, or for an inspector's own (视情)
its reason — and the follow-up's due day where the profile sets one.
"""

from __future__ import annotations

from typing import Any

from domain.deadlines.periods import SHANGHAI
from domain.vocabulary import CONSEQUENCE, citation
from projections.reports.consequences import COLUMNS, ConsequenceItem, ConsequenceRow, ConsequenceSection
from projections.vocabulary import CONSEQUENCE_COLUMN

SHEET_TITLE = "问责处理"
COUNT_HEADERS = ("单位代码", "单位名称", *(CONSEQUENCE_COLUMN[c] for c in COLUMNS), "合计")
LIST_HEADERS = (  # (header, width)
    ("单位名称", 24),
    ("问责处理", 16),
    ("作出时间", 18),
    ("依据", 40),
    ("出处", 30),
    ("跟进期限", 14),
)
NOTE_ZH = (
    "按问责处理作出的时间统计；约谈含约谈提醒，书面检查含责令检查。依据为规则自动作出的，列明规则及文件条款；"
    "视情作出的（宿政办发〔2024〕15号第十五条），列明理由。"
)


def count_cells(row: ConsequenceRow) -> list[Any]:
    return [row.unit if row.unit != "TOTAL" else "", row.name, *(row.counts[c] for c in COLUMNS), row.total]


def item_cells(item: ConsequenceItem) -> list[str]:
    basis = f"视情作出：{item.reason}" if item.ordered else item.rule_title
    due = item.follow_up_due.astimezone(SHANGHAI).strftime("%Y-%m-%d") if item.follow_up_due else "—"
    return [
        item.unit_name,
        CONSEQUENCE.get(item.kind, ""),
        item.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        basis,
        citation(item.source),
        due,
    ]


def consequences_sheet(wb: Any, section: ConsequenceSection, period: str) -> None:
    """Adds the 问责处理 sheet to the openpyxl workbook ``wb``."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(SHEET_TITLE)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    year, month = period.split("-")
    ws["A1"] = f"{year}年{int(month)}月问责处理情况"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = NOTE_ZH
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    row = 4
    ws.cell(row, 1, "各单位问责处理").font = bold
    row += 1
    for i, header in enumerate(COUNT_HEADERS, start=1):
        cell = ws.cell(row, i, header)
        cell.font, cell.fill = bold, fill
    for r in [*section.rows, section.totals]:
        row += 1
        for i, value in enumerate(count_cells(r), start=1):
            ws.cell(row, i, value)
    if not section.rows:
        row += 1
        ws.cell(row, 1, "本月没有问责处理")
    row += 2
    ws.cell(row, 1, "问责处理明细").font = bold
    row += 1
    for i, (header, _) in enumerate(LIST_HEADERS, start=1):
        cell = ws.cell(row, i, header)
        cell.font, cell.fill = bold, fill
    for item in section.items:
        row += 1
        for i, value in enumerate(item_cells(item), start=1):
            ws.cell(row, i, value).number_format = "@"
    from openpyxl.utils import get_column_letter

    for i, (_, width) in enumerate(LIST_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
