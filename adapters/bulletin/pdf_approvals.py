"""The bulletin PDF's approvals page(s) (行政审批办理情况), after the ranking and its charts.

On the first page, left, the approvals as a whole (one figure a row) and,
right, the departments by code (continued on further pages when there are
many), the totals under the last of them; the definitions in the footer. The
page is drawn by ``adapters.bulletin.pdf``'s page builder, so the same font
rules hold: Chinese where the font has every glyph, else English and unit
codes, and the page says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import TOTALS_COLOUR, styled
from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
from projections.reports.approvals import (
    DECISION_OVERDUE_LABEL,
    DEFINITIONS,
    DEFINITIONS_ZH,
    ON_TIME_LABEL,
    OVERDUE_LABEL,
    ApprovalSection,
)
from projections.vocabulary import APPROVAL_DAY_COUNT as DAY_LABELS
from projections.vocabulary import APPROVAL_DEPARTMENT_COUNT as DEPARTMENT_LABELS

DEPARTMENT_ROWS_PER_PAGE = 14


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _width(text: str) -> int:
    """Columns of monospaced text: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _narrow(label: tuple[str, str]) -> tuple[str, str]:
    """A column header's English on two lines, for the narrow count columns."""
    chinese, english = label
    return chinese, english.replace(" ", "\n", 1) if len(english) > 9 else english


def approvals_pages(pages: Any, section: ApprovalSection) -> Iterator[Any]:
    """The approvals' figures: ``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    departments = list(section.departments)
    chunks = [
        departments[i : i + DEPARTMENT_ROWS_PER_PAGE] for i in range(0, len(departments), DEPARTMENT_ROWS_PER_PAGE)
    ] or [[]]
    for n, rows in enumerate(chunks, start=1):
        fig = pages._figure(
            pages.zh("行政审批办理情况", "approvals"), f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        )
        if n == 1:
            _window_table(pages, fig, section)
        _department_table(pages, fig, [*rows, *([section.totals] if n == len(chunks) else [])], section)
        lines = pages.notes()
        if pages.cjk:
            lines += [
                f"按时决定率 = {DEFINITIONS_ZH['on_time']}。",
                f"部门按时率 = {DEFINITIONS_ZH['department_on_time']}。",
                f"视为受理：{DEFINITIONS_ZH['deemed_accepted']}。中止计时：{DEFINITIONS_ZH['paused_working_days']}。",
            ]
        else:
            lines += [
                f"Decision on-time rate = {DEFINITIONS['on_time']}.",
                f"Department on-time rate = {DEFINITIONS['department_on_time']}.",
                f"Deemed accepted: {DEFINITIONS['deemed_accepted']}. "
                f"Paused working days: {DEFINITIONS['paused_working_days']}.",
            ]
        pages._footer(fig, lines)
        yield fig


def _window_table(pages: Any, fig: Any, section: ApprovalSection) -> None:
    body = [[pages.zh(*DAY_LABELS[c]), str(section.counts[c])] for c in DAY_COUNTERS]
    body += [
        [pages.zh(*DECISION_OVERDUE_LABEL), str(section.figures.decision_overdue_at_end)],
        [pages.zh("按时决定率", "Decision on-time rate"), _pct(section.rates["on_time"])],
    ]
    ax = fig.add_axes((0.03, 0.22, 0.3, 0.65))
    ax.axis("off")
    table = ax.table(
        cellText=body,
        colLabels=[pages.zh("指标", "Figure"), pages.zh("数值", "Value")],
        loc="upper center",
        cellLoc="left",
        colWidths=[0.78, 0.22],
    )
    styled(table, 8, 0.05, 0.05)


def _department_table(pages: Any, fig: Any, rows: list, section: ApprovalSection) -> None:
    h = pages.header
    headers = [
        h("部门", "Department") if pages.cjk else "Department",
        h("代码", "Code"),
        *(h(*_narrow(DEPARTMENT_LABELS[c])) for c in APPROVAL_COUNTERS),
        h(*_narrow(OVERDUE_LABEL)),
        h(*_narrow(ON_TIME_LABEL)),
    ]
    body = [
        [
            pages.label(row) if row is not section.totals else pages.zh("合计", "Total"),
            row.code[:20],
            *(str(row.counts[c]) for c in APPROVAL_COUNTERS),
            str(row.overdue_at_end),
            _pct(row.rates["on_time"]),
        ]
        for row in rows
    ]
    ax = fig.add_axes((0.36, 0.22, 0.61, 0.65))
    ax.axis("off")
    if not body:
        return
    widths = [max(_width(line) for text in column for line in text.split("\n")) + 2 for column in zip(headers, *body)]
    table = ax.table(
        cellText=body,
        colLabels=headers,
        loc="upper center",
        cellLoc="center",
        colWidths=[w / sum(widths) for w in widths],
    )
    for (r, _), cell in styled(table, 7, 0.1, 0.045).get_celld().items():
        if r > 0 and rows[r - 1] is section.totals:
            cell.set_facecolor(TOTALS_COLOUR)
