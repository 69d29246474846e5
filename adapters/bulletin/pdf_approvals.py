"""The bulletin PDF's approvals page(s) (行政审批办理情况), after the ranking and its charts.

On the first page, left, the approvals as a whole (one figure a row; a figure a law's article
defines cites it) and, right, the departments by code (continued on further pages when there are
many), the totals under the last of them; the definitions in the footer. The page is drawn by
``adapters.bulletin.pdf``'s page builder, so the same font rules hold: in Chinese, a name the
font cannot draw shown by its code, and the page says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import TOTALS_COLOUR, styled
from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS
from projections.reports.approvals import (
    DECISION_ON_TIME_LABEL,
    DECISION_OVERDUE_LABEL,
    DEFINITION_NAMES,
    DEFINITIONS_ZH,
    ON_TIME_LABEL,
    OVERDUE_LABEL,
    ApprovalSection,
    day_count_label,
)
from projections.vocabulary import APPROVAL_DEPARTMENT_COUNT as DEPARTMENT_LABELS

DEPARTMENT_ROWS_PER_PAGE = 14


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _width(text: str) -> int:
    """Columns of monospaced text: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def approvals_pages(pages: Any, section: ApprovalSection) -> Iterator[Any]:
    """The approvals' figures: ``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    departments = list(section.departments)
    chunks = [
        departments[i : i + DEPARTMENT_ROWS_PER_PAGE] for i in range(0, len(departments), DEPARTMENT_ROWS_PER_PAGE)
    ] or [[]]
    for n, rows in enumerate(chunks, start=1):
        fig = pages._figure("行政审批办理情况", f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
        if n == 1:
            _window_table(pages, fig, section)
        _department_table(pages, fig, [*rows, *([section.totals] if n == len(chunks) else [])], section)
        pages._footer(
            fig,
            [
                *pages.notes(),
                f"{DEFINITION_NAMES['on_time']} = {DEFINITIONS_ZH['on_time']}。",
                f"{DEFINITION_NAMES['department_on_time']} = {DEFINITIONS_ZH['department_on_time']}。",
                f"{DEFINITION_NAMES['deemed_accepted']}：{DEFINITIONS_ZH['deemed_accepted']}。"
                f"{DEFINITION_NAMES['paused_working_days']}：{DEFINITIONS_ZH['paused_working_days']}。",
            ],
        )
        yield fig


def _window_table(pages: Any, fig: Any, section: ApprovalSection) -> None:
    body = [[day_count_label(c), str(section.counts[c])] for c in DAY_COUNTERS]
    body += [
        [DECISION_OVERDUE_LABEL, str(section.figures.decision_overdue_at_end)],
        [DECISION_ON_TIME_LABEL, _pct(section.rates["on_time"])],
    ]
    ax = fig.add_axes((0.03, 0.22, 0.3, 0.65))
    ax.axis("off")
    table = ax.table(
        cellText=body,
        colLabels=["指标", "数值"],
        loc="upper center",
        cellLoc="left",
        colWidths=[0.78, 0.22],
    )
    styled(table, 8, 0.05, 0.05)


def _department_table(pages: Any, fig: Any, rows: list, section: ApprovalSection) -> None:
    headers = ["部门", "代码", *(DEPARTMENT_LABELS[c] for c in APPROVAL_COUNTERS), OVERDUE_LABEL, ON_TIME_LABEL]
    body = [
        [
            pages.label(row),
            "" if row is section.totals else row.code[:20],
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
