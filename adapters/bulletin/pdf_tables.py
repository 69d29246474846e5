"""The look every table of the bulletin PDF shares (matplotlib tables)."""

from __future__ import annotations

from typing import Any

HEADER_COLOUR = "#dde6f0"
TOTALS_COLOUR = "#f2f2f2"


def styled(table: Any, size: float, header_height: float, row_height: float) -> Any:
    """``table`` at a fixed font size, its header row ``header_height`` high and shaded, every other row
    ``row_height`` high (heights in the axes' fraction); returns it, for rows styled further."""
    table.auto_set_font_size(False)
    table.set_fontsize(size)
    for (r, _), cell in table.get_celld().items():
        cell.set_height(header_height if r == 0 else row_height)
        if r == 0:
            cell.set_facecolor(HEADER_COLOUR)
    return table
