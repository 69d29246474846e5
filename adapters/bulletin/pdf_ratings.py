"""The bulletin PDF's page(s) of the month's 差评 (004 item 二), after the approvals.

A table of the month's bad ratings (``adapters.bulletin.ratings``: the same cells as the workbook's
sheet, in Chinese), continued on further pages when there are many; a unit's name the font cannot
draw is shown by its code, and the page says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import styled
from adapters.bulletin.ratings import HEADERS, line_cells, note_zh
from projections.reports.bulletin import Bulletin

ROWS_PER_PAGE = 18


def bad_ratings_pages(pages: Any, bulletin: Bulletin) -> Iterator[Any]:
    """``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    entries = list(bulletin.bad_ratings)
    chunks = [entries[i : i + ROWS_PER_PAGE] for i in range(0, len(entries), ROWS_PER_PAGE)] or [[]]
    headers = [header for header, _ in HEADERS]
    for n, rows in enumerate(chunks, start=1):
        fig = pages._figure("差评通报", f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
        body = [_cells(pages, e) for e in rows] or [["本月无差评", *[""] * (len(HEADERS) - 1)]]
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
        pages._footer(fig, [*pages.notes(), note_zh(bulletin)])
        yield fig


def _cells(pages: Any, entry: Any) -> list[str]:
    cells = line_cells(entry)
    if not pages.ok(entry.unit_name):
        pages.names_dropped = True
        cells[2] = entry.unit
    return cells
