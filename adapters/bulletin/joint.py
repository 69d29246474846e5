"""The bulletin's joint-handling figures (联合办理, 004 item 六) as a sheet of the workbook
(``adapters.bulletin.xlsx``) and a page of the PDF (``adapters.bulletin.pdf``): one row per figure, its
name, the count and what it counts, in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.vocabulary import citation
from projections.reports.joint import DEFINITIONS, JointSection

SHEET_TITLE = "联合办理"
NAMES = {"marked": "列入联合办理", "meetings": "召开联席会议", "settled": "明确牵头单位", "open": "期末尚待明确"}
NOTE = f"责任不明或职责交叉的诉求，列入联合办理台账，通过联席会议明确牵头单位、限时办结（{citation('004 item 六')}）。"


def joint_sheet(wb: Any, section: JointSection) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(SHEET_TITLE)
    ws.cell(1, 1, "联合办理情况").font = Font(bold=True, size=14)
    ws.cell(2, 1, NOTE).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    for i, header in enumerate(("项目", "数量", "说明"), start=1):
        ws.cell(3, i, header).font = Font(bold=True)
    for r, (name, count) in enumerate(section.as_dict().items(), start=4):
        ws.cell(r, 1, NAMES[name])
        ws.cell(r, 2, count).number_format = "0"
        ws.cell(r, 3, DEFINITIONS[name]).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABC", (18, 10, 60)):
        ws.column_dimensions[column].width = width
    ws.row_dimensions[2].height = 36


def joint_pages(pages: Any, section: JointSection) -> Iterator[Any]:
    """The PDF's page of the same figures (``pages``: the PDF's page builder, ``adapters.bulletin.pdf._Pages``)."""
    from adapters.bulletin.pdf_tables import styled

    fig = pages._figure("联合办理情况")
    ax = fig.add_axes((0.03, 0.45, 0.94, 0.42))
    ax.axis("off")
    body = [[NAMES[name], str(count), DEFINITIONS[name]] for name, count in section.as_dict().items()]
    table = ax.table(cellText=body, colLabels=["项目", "数量", "说明"], loc="upper center", cellLoc="center")
    table.auto_set_column_width([0, 1, 2])
    styled(table, 9, 0.12, 0.1)
    pages._footer(fig, [NOTE])
    yield fig
