"""The bulletin PDF's page(s) of the month's 差评 (004 item 二), after the approvals.

A table of the month's bad ratings (``adapters.bulletin.ratings``: the same cells as the workbook's
sheet), continued on further pages when there are many; without a font that has the Chinese glyphs,
the levels and statuses are written in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import styled
from adapters.bulletin.ratings import HEADERS, line_cells, note_zh
from projections.reports.bulletin import Bulletin

ROWS_PER_PAGE = 18
LEVEL_EN = {"unsatisfied": "unsatisfied", "very_unsatisfied": "very unsatisfied"}
CONTEST_EN = {
    None: "not contested",
    "pending": "pending",
    "upheld": "upheld (set aside)",
    "rejected": "rejected (stands)",
}


def bad_ratings_pages(pages: Any, bulletin: Bulletin) -> Iterator[Any]:
    """``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    entries = list(bulletin.bad_ratings)
    chunks = [entries[i : i + ROWS_PER_PAGE] for i in range(0, len(entries), ROWS_PER_PAGE)] or [[]]
    headers = [pages.header(*h.rstrip(")").split(" (", 1)) for h, _ in HEADERS]
    for n, rows in enumerate(chunks, start=1):
        fig = pages._figure(pages.zh("差评通报", "bad ratings"), f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
        body = [_cells(pages, e) for e in rows] or [
            [pages.zh("本月无差评", "no bad rating this month"), *[""] * (len(HEADERS) - 1)]
        ]
        ax = fig.add_axes((0.03, 0.2, 0.94, 0.67))
        ax.axis("off")
        table = ax.table(
            cellText=body,
            colLabels=headers,
            loc="upper center",
            cellLoc="center",
            colWidths=[w / sum(w for _, w in HEADERS) for _, w in HEADERS],
        )
        styled(table, 8, 0.075, 0.035)
        note = note_zh(bulletin)
        pages._footer(
            fig,
            [
                *pages.notes(),
                note
                if pages.cjk and pages.ok(note)
                else (
                    "Bad ratings of the month, by the time of the visit; the raw rating never changes, a rating set aside "
                    "on contest is left out of the adjudicated satisfaction rate."
                ),
            ],
        )
        yield fig


def _cells(pages: Any, entry: Any) -> list[str]:
    cells = line_cells(entry)
    if pages.cjk and all(pages.ok(c) for c in cells):
        return cells
    status = entry.rectification or "no period set"
    return [
        entry.case_no,
        entry.unit,
        entry.unit,
        LEVEL_EN[entry.level],
        cells[4],
        cells[5].replace("（暂定）", " (provisional)"),
        status.replace("_", " "),
        CONTEST_EN[entry.contest],
    ]
