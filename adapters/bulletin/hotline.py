"""The bulletin's 即时办结 and 回头看 (004 item 六; 第十四条 满意度回头看): a sheet of the workbook and a page of
the PDF (``adapters.bulletin.xlsx``, ``adapters.bulletin.pdf``).

The platform's answers at first contact, by method, counted apart from every unit, and the month's
look-backs with their results (``projections.ledger.hotline``), in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import styled
from projections.reports.bulletin import Bulletin
from projections.vocabulary import HOTLINE_COUNT

SHEET_TITLE = "即时办结与回头看"
HEADERS = (("项目", 36), ("件数", 12))
NOTE = (
    "即时办结：热线平台对咨询类诉求首接负责，以直接答复、三方连线或在线转接方式答复并办结，未转办任何单位，"
    "不计入各单位件数。回头看：对已办结诉求的核查；未落实的退回承办单位重办，计入该单位的退回重办。"
)


def rows(bulletin: Bulletin) -> list[tuple[str, int]]:
    return [(HOTLINE_COUNT[name], count) for name, count in bulletin.hotline.counts.items()]


def hotline_sheet(wb: Any, bulletin: Bulletin) -> None:
    """Adds the sheet to the openpyxl workbook ``wb``."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEET_TITLE)
    year, month = bulletin.period.name.split("-")
    ws["A1"] = f"{year}年{int(month)}月即时办结与回头看"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = NOTE
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A2:{get_column_letter(len(HEADERS))}2")
    ws.row_dimensions[2].height = 60
    fill = PatternFill("solid", fgColor="DDE6F0")
    for i, (header, width) in enumerate(HEADERS, start=1):
        cell = ws.cell(3, i, header)
        cell.font, cell.fill = Font(bold=True), fill
        ws.column_dimensions[get_column_letter(i)].width = width
    for r, (label, count) in enumerate(rows(bulletin), start=4):
        ws.cell(r, 1, label)
        ws.cell(r, 2, count).number_format = "0"
    ws.freeze_panes = "A4"


def hotline_pages(pages: Any, bulletin: Bulletin) -> Iterator[Any]:
    """``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    fig = pages._figure(SHEET_TITLE)
    ax = fig.add_axes((0.25, 0.25, 0.5, 0.6))
    ax.axis("off")
    body = [[label, str(count)] for label, count in rows(bulletin)]
    table = ax.table(
        cellText=body,
        colLabels=[header for header, _ in HEADERS],
        loc="upper center",
        cellLoc="center",
        colWidths=[w / sum(w for _, w in HEADERS) for _, w in HEADERS],
    )
    styled(table, 9, 0.075, 0.045)
    pages._footer(fig, [*pages.notes(), NOTE])
    yield fig
