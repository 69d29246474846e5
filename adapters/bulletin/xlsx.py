"""The monthly bulletin (通报) as an Excel workbook (openpyxl), and the labels both exports share.

``bulletin_xlsx``: sheet 1 the ranking — a title row, a line with the period
and the ranking rule, Chinese column headers with English in brackets, one
row per ranked unit in rank order, then a heading row and the units not
ranked, by code, each with its reason, then the totals; rates as
percentages, the composite in points (0-100, as in the JSON and the PDF),
the header and the rank/code/name columns frozen. Sheet 2 the definitions of the
rates and of the composite, and the ranking rule. Sheet 3 the month's 差评
(``adapters.bulletin.ratings``). Sheet 4, when the bulletin has its
approvals section, the approvals (``adapters.bulletin.xlsx_approvals``); then,
when it has its recurring-problems section, the 堵点分析 sheet
(``adapters.bulletin.xlsx_recurring``). The PDF is ``adapters.bulletin.pdf``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from adapters.bulletin.ratings import bad_ratings_sheet
from adapters.bulletin.xlsx_approvals import approvals_sheet
from adapters.bulletin.xlsx_recurring import recurring_sheet
from projections.ledger.appeals import COUNTERS
from projections.reports.bulletin import (
    RANKING_RULE,
    RATE_DEFINITIONS_ZH,
    Bulletin,
    BulletinRow,
    composite_definition_zh,
    not_ranked_reason,
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
NO_CJK_NOTE = (
    "Note: unit names and Chinese labels are omitted for lack of a CJK font; units are shown by code. "
    "Install one (pip install paperang-p2-fonts-cjk, or e.g. apt-get install fonts-wqy-microhei) or set "
    "CASELEDGER_CJK_FONT."
)
SOME_NAMES_NOTE = (
    "注：部分单位名称含字体未收录的字，以单位代码显示。 (Some names shown by code: glyphs missing from the font.)"
)

COUNT_LABELS_EN = {
    "forwarded": "Forwarded",
    "responded": "Responded",
    "acknowledged": "Acknowledged",
    "replies_on_time": "Replies on time",
    "replies_late": "Replies late",
    "returned": "Returned",
    "extended": "Extended",
    "escalated": "Escalated",
    "handed_back": "Handed back",
    "closed": "Closed",
    "closed_solved": "Closed solved",
    "closed_unsolved": "Closed unsolved",
    "visits_very_satisfied": "Visits: very satisfied",
    "visits_satisfied": "Visits: satisfied",
    "visits_basically_satisfied": "Visits: basically satisfied",
    "visits_unsatisfied": "Visits: unsatisfied",
    "visits_very_unsatisfied": "Visits: very unsatisfied",
    "merged": "Merged as repeats",
    "bad_ratings": "Bad ratings",
    "rectified_on_time": "Rectified on time",
    "rectified_late": "Rectified late",
    "ratings_contested": "Ratings contested",
    "contests_upheld": "Contests upheld",
    "contests_rejected": "Contests rejected",
    "set_aside_unsatisfied": "Set aside: unsatisfied",
    "set_aside_very_unsatisfied": "Set aside: very unsatisfied",
}
RATE_LABELS_EN = {
    "response": "Response rate",
    "on_time": "On-time rate",
    "resolution": "Resolution rate",
    "satisfaction": "Satisfaction rate",
    "satisfaction_adjudicated": "Adjudicated satisfaction rate",
    "composite": "Composite",
}
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
    return (
        f"未参与排名的单位（权重覆盖不足{bulletin.min_coverage:.0%}或无计分指标），按单位代码列出 "
        f"(Not ranked: composite on less than {bulletin.min_coverage:.0%} of the weights, or no weighted rate)"
    )


def _weights_en(weights: Mapping[str, float]) -> str:
    total = sum(weights.values()) or 1
    return " + ".join(f"{w / total:.0%} {name}" for name, w in weights.items() if w)


# -- Excel ----------------------------------------------------------------------------------------------------------
def bulletin_xlsx(bulletin: Bulletin, definitions: Mapping[str, str] | None = None) -> bytes:
    """The bulletin as an .xlsx workbook; ``definitions``: English definitions of the rates (optional column)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    columns: list[tuple[str, str, float]] = [  # (header, kind, width)
        ("排名 (Rank)", "int", 9),
        ("单位代码 (Code)", "text", 18),
        ("单位名称 (Unit)", "text", 28),
        *((f"{COUNT_LABELS[c]} ({COUNT_LABELS_EN[c]})", "int", 14) for c in COUNTERS),
        ("期末在办 (Open at end)", "int", 14),
        ("期末超期 (Overdue at end)", "int", 14),
        ("期末整改超期 (Rectification overdue at end)", "int", 16),
        *((f"{RATE_LABELS[r]} ({RATE_LABELS_EN[r]})", "rate", 14) for r in RATES),
        ("综合得分 (Composite, 0-100)", "score", 16),
        ("权重覆盖 (Weight coverage)", "rate", 14),
        ("未排名原因 (Why not ranked)", "text", 40),
    ]

    def values(row: BulletinRow) -> list:
        return [
            row.rank,
            row.code,
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
    ws.title = "通报 (Bulletin)"
    last_col = get_column_letter(len(columns))
    first, last = _span(bulletin)
    ws["A1"] = f"{_title_zh(bulletin)} (Monthly bulletin {bulletin.period.name})"
    ws["A1"].font = Font(size=14, bold=True)
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = (
        f"统计期间 (Period): {first} 至 {last}；排名 (Ranking): 综合得分 = {composite_definition_zh(bulletin.weights)}；"
        f"同分依次比较按时答复率、期末超期件数 (ties: on-time rate, then overdue at end)；"
        f"权重覆盖不足{bulletin.min_coverage:.0%}的单位不参与排名 (units whose composite rests on less than "
        f"{bulletin.min_coverage:.0%} of the weights are not ranked)"
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
            ws.cell(r, 3, "合计 (Total)")
            for i in range(1, len(columns) + 1):
                ws.cell(r, i).font = Font(bold=True)
                ws.cell(r, i).border = Border(top=thin)
    ws.freeze_panes = f"D{header_row + 1}"  # the header rows and rank, code, name stay in view
    ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + len(bulletin.ranked)}"  # the ranking alone
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"

    defs = wb.create_sheet("指标定义 (Definitions)")
    def_headers = [
        ("指标 (Rate)", 16),
        ("名称 (Name)", 14),
        ("权重 (Weight)", 12),
        ("定义 (Definition)", 70),
        ("Definition (English)", 90),
    ]
    for i, (header, width) in enumerate(def_headers, start=1):
        cell = defs.cell(1, i, header)
        cell.font = Font(bold=True)
        cell.fill = fill
        defs.column_dimensions[get_column_letter(i)].width = width
    total_weight = sum(bulletin.weights.values()) or 1
    english = dict(definitions or {})
    english.setdefault("composite", f"{_weights_en(bulletin.weights)}; {RANKING_RULE}")
    for r, rate in enumerate([*RATES, "composite"], start=2):
        weight = bulletin.weights.get(rate)
        zh = composite_definition_zh(bulletin.weights) if rate == "composite" else RATE_DEFINITIONS_ZH[rate]
        for i, value in enumerate(
            [rate, RATE_LABELS[rate], weight / total_weight if weight else None, zh, english.get(rate, "")], start=1
        ):
            cell = defs.cell(r, i, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        defs.cell(r, 3).number_format = "0%"
    defs.freeze_panes = "A2"
    bad_ratings_sheet(wb, bulletin)
    if bulletin.approvals is not None:
        approvals_sheet(wb, bulletin.approvals)
    if bulletin.recurring is not None:
        recurring_sheet(wb, bulletin.recurring)

    wb.properties.title = f"{_title_zh(bulletin)} ({bulletin.period.name})"
    wb.properties.creator = "caseledger"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
