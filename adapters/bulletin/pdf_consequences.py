"""The bulletin PDF's page(s) of the month's 问责处理 by unit (``adapters.bulletin.consequences``: the
same cells as the workbook's sheet), after the list of 差评: the counts by unit, then each consequence,
continued on further pages when there are many."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.bulletin.consequences import COUNT_HEADERS, LIST_HEADERS, NOTE_ZH, count_cells, item_cells
from adapters.bulletin.pdf_tables import styled
from projections.reports.consequences import ConsequenceSection

ROWS_PER_PAGE = 16


def consequences_pages(pages: Any, section: ConsequenceSection) -> Iterator[Any]:
    """``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    rows = [*section.rows, section.totals]
    chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    for n, chunk in enumerate(chunks, start=1):
        fig = pages._figure("问责处理", f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
        body = [_counts(pages, r) for r in chunk]
        if not section.rows:
            body.insert(0, ["", "本月没有问责处理", *[""] * (len(COUNT_HEADERS) - 2)])
        ax = fig.add_axes((0.03, 0.2, 0.94, 0.67))
        ax.axis("off")
        table = ax.table(cellText=body, colLabels=list(COUNT_HEADERS), loc="upper center", cellLoc="center")
        styled(table, 8, 0.075, 0.035)
        pages._footer(fig, [*pages.notes(), NOTE_ZH])
        yield fig
    items = list(section.items)
    chunks_of_items = [items[i : i + ROWS_PER_PAGE] for i in range(0, len(items), ROWS_PER_PAGE)]
    for n, chunk_items in enumerate(chunks_of_items, start=1):
        fig = pages._figure("问责处理明细", f" ({n}/{len(chunks_of_items)})" if len(chunks_of_items) > 1 else "")
        body = [_item(pages, i) for i in chunk_items]
        ax = fig.add_axes((0.03, 0.2, 0.94, 0.67))
        ax.axis("off")
        table = ax.table(
            cellText=body,
            colLabels=[h for h, _ in LIST_HEADERS],
            loc="upper center",
            cellLoc="center",
            colWidths=[w / sum(w for _, w in LIST_HEADERS) for _, w in LIST_HEADERS],
        )
        styled(table, 7, 0.075, 0.035)
        pages._footer(fig, pages.notes())
        yield fig


def _counts(pages: Any, row: Any) -> list[str]:
    cells = [str(c) for c in count_cells(row)]
    if not pages.ok(row.name):
        pages.names_dropped = True
        cells[1] = row.unit
    return cells


def _item(pages: Any, item: Any) -> list[str]:
    cells = item_cells(item)
    if not pages.ok(item.unit_name):
        pages.names_dropped = True
        cells[0] = item.unit
    cells[3] = cells[3] if len(cells[3]) <= 40 else cells[3][:39] + "…"
    return cells
