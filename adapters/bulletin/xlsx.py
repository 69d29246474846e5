"""The monthly bulletin (通报) as an Excel workbook (openpyxl), and the labels both exports share.

Every heading and text is Chinese, for the officials who read it: unit codes, case numbers, credit
codes, numbers and dates are shown as they are, no other code and no English word; a rule is cited
as ``domain.vocabulary.citation`` shows it. ``bulletin_xlsx``: sheet 1 the ranking — a title row, a
line with the period and the ranking rule, the column headers, one row per ranked unit in rank
order, then a heading row and the units not ranked, by code, each with its reason, then the totals
(合计, no code); rates as percentages, the composite in points (0-100, as in the JSON and the PDF),
the header and the rank/code/name columns frozen. Sheet 2 the definitions of the rates and of the
composite, with the ranking rule in the composite's row. Sheet 3 the month's 差评
(``adapters.bulletin.ratings``), then 即时办结与回头看 (``adapters.bulletin.hotline``). Sheet 5, when the bulletin has its approvals section, the
approvals (``adapters.bulletin.xlsx_approvals``); then, when it has its recurring-problems section,
the 堵点分析 sheet (``adapters.bulletin.xlsx_recurring``); then, when it has its joint-handling figures, the 联合办理
sheet (``adapters.bulletin.joint``). The PDF is ``adapters.bulletin.pdf``.
"""

from __future__ import annotations

import io

from adapters.bulletin.consequences import consequences_sheet
from adapters.bulletin.hotline import hotline_sheet
from adapters.bulletin.joint import joint_sheet
from adapters.bulletin.ratings import bad_ratings_sheet
from adapters.bulletin.xlsx_approvals import approvals_sheet
from adapters.bulletin.xlsx_recurring import recurring_sheet
from projections.ledger.appeals import COUNTERS
from projections.reports.bulletin import (
    RATE_DEFINITIONS_ZH,
    Bulletin,
    BulletinRow,
    composite_definition_zh,
    not_ranked_reason,
    ranking_rule_zh,
)
from projections.vocabulary import COUNT as COUNT_LABELS
from projections.vocabulary import RATE as RATE_LABELS

CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
# File names of those fonts, for a font installed after matplotlib's font cache was made.
CJK_FILE_HINTS = (
    "wqy-microhei",
    "wqy-zenhei",
    "notosanscjk",
    "notoserifcjk",
    "notosanssc",
    "sourcehansans",
    "sourcehanserif",
    "simhei",
    "msyh",
    "uming",
    "ukai",
)
SOME_NAMES_NOTE = "注：部分名称含字体未收录的字，以代码显示。"
RATES = ("response", "on_time", "resolution", "satisfaction", "satisfaction_adjudicated")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"


def _title_zh(bulletin: Bulletin) -> str:
    year, month = bulletin.period.name.split("-")
    return f"{year}年{int(month)}月企业诉求办理情况通报"


def _span(bulletin: Bulletin) -> tuple[str, str]:
    first, last = bulletin.period.days
    return first.isoformat(), last.isoformat()


def not_ranked_heading_zh(bulletin: Bulletin) -> str:
    return f"未参与排名的单位（权重覆盖不足{bulletin.min_coverage:.0%}或无计分指标），按单位代码列出"


# -- Excel ----------------------------------------------------------------------------------------------------------
def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    """The bulletin as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    columns: list[tuple[str, str, float]] = [  # (header, kind, width)
        ("排名", "int", 9),
        ("单位代码", "text", 18),
        ("单位名称", "text", 28),
        *((COUNT_LABELS[c], "int", 14) for c in COUNTERS),
        ("期末在办", "int", 14),
        ("期末超期", "int", 14),
        ("期末整改超期", "int", 16),
        *((RATE_LABELS[r], "rate", 14) for r in RATES),
        ("综合得分（百分制）", "score", 16),
        ("权重覆盖", "rate", 14),
        ("未排名原因", "text", 40),
    ]

    def values(row: BulletinRow) -> list:
        return [
            row.rank,
            None if row is bulletin.totals else row.code,
            row.name,
            *(row.counts.get(c, 0) for c in COUNTERS),
            row.open_at_end,
            row.overdue_at_end,
            row.rectification_overdue_at_end,
            *(row.rates[r] for r in RATES),
            row.composite,
            row.coverage,
            not_ranked_reason(row, bulletin.min_coverage, chinese=True),
        ]

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook has one sheet, a worksheet
    ws.title = "通报"
    last_col = get_column_letter(len(columns))
    first, last = _span(bulletin)
    ws["A1"] = _title_zh(bulletin)
    ws["A1"].font = Font(size=14, bold=True)
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = (
        f"统计期间：{first} 至 {last}；排名：综合得分 = {composite_definition_zh(bulletin.weights)}；"
        f"同分依次比较按时答复率、期末超期件数；权重覆盖不足{bulletin.min_coverage:.0%}的单位不参与排名"
    )
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A2:{last_col}2")
    ws.row_dimensions[2].height = 32
    header_row = 3
    thin = Side(style="thin", color="999999")
    fill = PatternFill("solid", fgColor="DDE6F0")
    for i, (header, _, width) in enumerate(columns, start=1):
        cell = ws.cell(header_row, i, header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = Border(bottom=thin)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[header_row].height = 45
    formats = {"int": "0", "rate": "0.0%", "score": "0.00", "text": "@"}
    apart = PatternFill("solid", fgColor="F2F2F2")
    listing: list[BulletinRow | None] = [
        *bulletin.ranked,
        *([None] if bulletin.not_ranked else []),
        *bulletin.not_ranked,
        bulletin.totals,
    ]  # None: the heading row
    for r, row in enumerate(listing, start=header_row + 1):
        if row is None:
            ws.cell(r, 1, not_ranked_heading_zh(bulletin)).font = Font(bold=True)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(columns))
            continue
        for i, value in enumerate(values(row), start=1):
            cell = ws.cell(r, i, value)
            cell.number_format = formats[columns[i - 1][1]]
            if row.not_ranked:
                cell.fill = apart
        if row is bulletin.totals:
            for i in range(1, len(columns) + 1):
                ws.cell(r, i).font = Font(bold=True)
                ws.cell(r, i).border = Border(top=thin)
    ws.freeze_panes = f"D{header_row + 1}"  # the header rows and rank, code, name stay in view
    ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + len(bulletin.ranked)}"  # the ranking alone
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"

    defs = wb.create_sheet("指标定义")
    def_headers = [("序号", 8), ("名称", 14), ("权重", 12), ("定义", 70)]
    for i, (header, width) in enumerate(def_headers, start=1):
        cell = defs.cell(1, i, header)
        cell.font = Font(bold=True)
        cell.fill = fill
        defs.column_dimensions[get_column_letter(i)].width = width
    total_weight = sum(bulletin.weights.values()) or 1
    composite = f"{composite_definition_zh(bulletin.weights)}。排名规则：{ranking_rule_zh(bulletin.min_coverage)}。"
    for r, rate in enumerate([*RATES, "composite"], start=2):
        weight = bulletin.weights.get(rate)
        zh = composite if rate == "composite" else RATE_DEFINITIONS_ZH[rate]
        for i, value in enumerate([r - 1, RATE_LABELS[rate], weight / total_weight if weight else None, zh], start=1):
            cell = defs.cell(r, i, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        defs.cell(r, 1).number_format = "0"
        defs.cell(r, 3).number_format = "0%"
    defs.freeze_panes = "A2"
    bad_ratings_sheet(wb, bulletin)
    if bulletin.consequences is not None:
        consequences_sheet(wb, bulletin.consequences, bulletin.period.name)
    hotline_sheet(wb, bulletin)
    if bulletin.approvals is not None:
        approvals_sheet(wb, bulletin.approvals)
    if bulletin.recurring is not None:
        recurring_sheet(wb, bulletin.recurring)
    if bulletin.joint is not None:
        joint_sheet(wb, bulletin.joint)

    wb.properties.title = _title_zh(bulletin)
    wb.properties.creator = "caseledger"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
