"""The bulletin's monthly list of 差评 (004 item 二: 按月对差评问题进行通报整改): a sheet of the workbook
and a page of the PDF, beside the ranking (``adapters.bulletin.xlsx``, ``adapters.bulletin.pdf``).

One line per bad rating of the month, by the time of the visit: case number, unit, raw level, the
rectification period's last day, where the rectification stands and the contest, in Chinese.
"""

from __future__ import annotations

from typing import Any

from domain.deadlines.periods import SHANGHAI
from domain.vocabulary import CONTEST, RECTIFICATION, SATISFACTION
from projections.ledger.ratings import BadRatingEntry
from projections.reports.bulletin import Bulletin

SHEET_TITLE = "差评"
LEVEL_ZH = {level: SATISFACTION[level] for level in ("unsatisfied", "very_unsatisfied")}
RECTIFICATION_ZH = RECTIFICATION
CONTEST_ZH = CONTEST
HEADERS = (  # (header, width)
    ("诉求编号", 24),
    ("单位代码", 16),
    ("单位名称", 24),
    ("评价", 12),
    ("回访时间", 18),
    ("整改期限", 14),
    ("整改情况", 22),
    ("申诉复核", 20),
)


def _day(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d") if moment else "—"


def line_cells(entry: BadRatingEntry) -> list[str]:
    """One line of the list as text cells (the same in the workbook and the PDF)."""
    due = _day(entry.due) + ("（暂定）" if entry.provisional else "") if entry.due else "—"
    return [
        entry.case_no,
        entry.unit,
        entry.unit_name,
        LEVEL_ZH[entry.level],
        entry.visited_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        due,
        RECTIFICATION_ZH[entry.rectification],
        CONTEST_ZH[entry.contest],
    ]


def note_zh(bulletin: Bulletin) -> str:
    as_of = bulletin.as_of.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if bulletin.as_of else "—"
    return (
        f"本月差评{len(bulletin.bad_ratings)}条，按回访时间排列；整改情况截至{as_of}。原始评价不因申诉而改变，"
        "申诉成立的差评不计入复核后满意率。"
    )


def bad_ratings_sheet(wb: Any, bulletin: Bulletin) -> None:
    """Adds the list of 差评 to the openpyxl workbook ``wb``."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEET_TITLE)
    year, month = bulletin.period.name.split("-")
    ws["A1"] = f"{year}年{int(month)}月差评通报"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = note_zh(bulletin)
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A2:{get_column_letter(len(HEADERS))}2")
    fill = PatternFill("solid", fgColor="DDE6F0")
    for i, (header, width) in enumerate(HEADERS, start=1):
        cell = ws.cell(3, i, header)
        cell.font, cell.fill = Font(bold=True), fill
        ws.column_dimensions[get_column_letter(i)].width = width
    for r, entry in enumerate(bulletin.bad_ratings, start=4):
        for i, value in enumerate(line_cells(entry), start=1):
            ws.cell(r, i, value).number_format = "@"
    ws.freeze_panes = "A4"
