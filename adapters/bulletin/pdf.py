"""The monthly bulletin (通报) as a PDF (matplotlib): the ranking table and charts.

A4 landscape pages: the title and the ranking table (continued on further
pages when there are many units): the ranked units in rank order, then,
under a heading row of their own, the units not ranked, by code, each with
its reason in the rank column, then the totals; the composite in points
(0-100, as in the JSON and the workbook). Then a bar chart of the on-time
rate per unit and a bar chart of the overdue cases per unit, in that order; then,
when the bulletin has its approvals section, the approvals' page(s)
(``adapters.bulletin.pdf_approvals``); then, when the month has any, its list of
差评 (``adapters.bulletin.pdf_ratings``); then, when the month has any, the page of 即时办结
and 回头看 (``adapters.bulletin.hotline``); last, when it has its recurring-problems
section, the 堵点分析 page(s) with their chart (``adapters.bulletin.pdf_recurring``). Every
heading, label and note is Chinese, as in the workbook: unit codes, case numbers, credit codes,
numbers and dates are shown as they are, no other code and no English word. Fonts are
embedded as TrueType (``pdf.fonttype`` 42), so the text can be searched and
extracted.

Chinese needs a CJK font: ``font_path`` (the caller passes the
``CASELEDGER_CJK_FONT`` setting), else the first installed font of
``CJK_FAMILIES`` (Debian/Ubuntu: ``apt-get install -y fonts-wqy-microhei``),
else WenQuanYi Micro Hei as the ``paperang-p2-fonts-cjk`` distribution ships
it (a dependency: the same TrueType collection as Debian's package, so a
machine with no system font still prints Chinese). The distribution's file is
read, its code never imported. Without any of these no PDF is made
(``CjkFontMissing``: the API answers 503 ``cjk_font_missing``); a name with a
character the font lacks is shown by its code, and the page says so: the PDF
never prints boxes (tofu) silently.

Matplotlib is used through ``Figure`` objects only, never ``pyplot``: no GUI
backend, no global figure registry. ``rcParams`` are global, so rendering
holds a lock.
"""

from __future__ import annotations

import io
import textwrap
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.bulletin.hotline import hotline_pages
from adapters.bulletin.joint import joint_pages
from adapters.bulletin.pdf_approvals import approvals_pages
from adapters.bulletin.pdf_consequences import consequences_pages
from adapters.bulletin.pdf_ratings import bad_ratings_pages
from adapters.bulletin.pdf_recurring import recurring_pages
from adapters.bulletin.pdf_tables import TOTALS_COLOUR, styled
from adapters.bulletin.xlsx import (
    CJK_FAMILIES,
    CJK_FILE_HINTS,
    RATES,
    SOME_NAMES_NOTE,
    _span,
    _title_zh,
)
from projections.reports.bulletin import (
    COVERAGE_BELOW_MINIMUM,
    NO_WEIGHTED_RATE,
    Bulletin,
    BulletinRow,
    composite_definition_zh,
)
from projections.vocabulary import RATE as RATE_LABELS

if TYPE_CHECKING:  # matplotlib is imported when a PDF is made, not before
    from matplotlib.typing import RcKeyType


# -- fonts ----------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _charset(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _is_cjk(path: str) -> bool:
    """A font with Chinese glyphs drawn as TrueType outlines: the PDF embeds fonts as TrueType (type 42),
    and matplotlib writes a font of CFF outlines (the OpenType Noto CJK and Source Han files) into it
    as if it were TrueType, which readers show as garbage; such a font is passed over."""
    try:
        return all(ord(ch) in _charset(path) for ch in "通报单位") and _truetype_outlines(path)
    except Exception:  # not a font FreeType can read
        return False


@lru_cache(maxsize=16)
def _truetype_outlines(path: str) -> bool:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return "glyf" in font


#: The distribution that ships a CJK font with the package (see the module's docstring), and its file.
PACKAGED_FONT = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")


def packaged_cjk_font() -> str | None:
    """The font file of ``PACKAGED_FONT``, if that distribution is installed (found without importing it)."""
    import importlib.util

    package, name = PACKAGED_FONT
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / name
        if path.is_file() and _is_cjk(str(path)):
            return str(path)
    return None


@lru_cache(maxsize=8)
def find_cjk_font(font_path: str | Path | None = None) -> str | None:
    """A font file with Chinese glyphs: ``font_path`` if it is one, else an installed font of ``CJK_FAMILIES``,
    else the packaged one (``packaged_cjk_font``).

    Remembered per ``font_path``: a font installed later is found after a restart.
    """
    from matplotlib import font_manager

    if font_path:
        path = str(font_path)
        if Path(path).is_file() and _is_cjk(path):
            return path
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed and _is_cjk(installed[family]):
            return installed[family]
    for path in sorted(font_manager.findSystemFonts()):  # installed after matplotlib's cache was built
        if any(
            hint in Path(path).name.lower().replace("-", "").replace("_", "") or hint in Path(path).name.lower()
            for hint in CJK_FILE_HINTS
        ) and _is_cjk(path):
            return path
    return packaged_cjk_font()


# -- PDF ------------------------------------------------------------------------------------------------------------
_RENDER = threading.Lock()
A4_LANDSCAPE = (11.69, 8.27)
TABLE_ROWS_PER_PAGE = 18
CHART_UNITS_PER_PAGE = 30


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


#: What the rank column shows for a unit not ranked; the footer explains each.
NOT_RANKED_CELL = {NO_WEIGHTED_RATE: "无指标", COVERAGE_BELOW_MINIMUM: "覆盖不足"}


class CjkFontMissing(RuntimeError):
    """No font with Chinese glyphs: the bulletin PDF, all in Chinese, cannot be drawn."""

    def __init__(self) -> None:
        super().__init__(
            "the bulletin PDF needs a font with Chinese glyphs: install paperang-p2-fonts-cjk (a dependency) "
            "or a CJK font such as Debian's fonts-wqy-microhei, or name a font file in CASELEDGER_CJK_FONT"
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _display_width(text: str) -> int:
    """Columns of monospaced text: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bulletin_pdf(bulletin: Bulletin, font_path: str | Path | None = None) -> bytes:
    """The bulletin as a PDF: title and ranking table, on-time rate chart, overdue chart (≥ 3 pages);
    ``CjkFontMissing`` when no font has the Chinese glyphs (``find_cjk_font``)."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import PdfPages

    font = find_cjk_font(font_path)
    if font is None:
        raise CjkFontMissing()
    with _RENDER:
        if font not in {f.fname for f in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(font)
        family = [font_manager.FontProperties(fname=font).get_name(), "DejaVu Sans"]
        rc: dict[RcKeyType, Any] = {
            "font.family": family,
            "pdf.fonttype": 42,
            "axes.unicode_minus": False,
            "font.size": 9,
        }
        with matplotlib.rc_context(rc):
            out = io.BytesIO()
            page = _Pages(bulletin, font)
            with PdfPages(
                out,
                metadata={"Title": _title_zh(bulletin), "Subject": "企业诉求办理情况月度通报", "Creator": "caseledger"},
            ) as pdf:
                for figure in page.all():
                    pdf.savefig(figure)
            return out.getvalue()


class _Pages:
    """Builds the bulletin's figures; a name the font cannot draw is shown by its code."""

    def __init__(self, bulletin: Bulletin, font: str) -> None:
        self.b = bulletin
        self.charset = _charset(font)
        self.names_dropped = False

    def ok(self, text: str) -> bool:
        return all(ord(ch) < 128 or ord(ch) in self.charset for ch in text)

    def label(self, row: BulletinRow, width: int = 18) -> str:
        if self.ok(row.name):
            return _clip(row.name, width)
        self.names_dropped = True
        return row.code

    def notes(self) -> list[str]:
        return [SOME_NAMES_NOTE] if self.names_dropped else []

    def all(self) -> Iterable:
        yield from self.tables()
        yield from self.chart("on_time")
        yield from self.chart("overdue_at_end")
        if self.b.approvals is not None:
            yield from approvals_pages(self, self.b.approvals)
        if self.b.bad_ratings:
            yield from bad_ratings_pages(self, self.b)
        if self.b.consequences is not None:
            yield from consequences_pages(self, self.b.consequences)
        if any(self.b.hotline.counts.values()):
            yield from hotline_pages(self, self.b)
        if self.b.recurring is not None:
            yield from recurring_pages(self, self.b.recurring)
        if self.b.joint is not None:
            yield from joint_pages(self, self.b.joint)

    def _figure(self, heading: str, page_note: str = ""):
        from matplotlib.figure import Figure

        fig = Figure(figsize=A4_LANDSCAPE)
        fig.text(0.5, 0.95, _title_zh(self.b), ha="center", va="top", fontsize=16)
        first, last = _span(self.b)
        fig.text(0.5, 0.905, f"统计期间 {first} 至 {last} — {heading}{page_note}", ha="center", va="top", fontsize=10)
        return fig

    def _footer(self, fig, lines: list[str]) -> None:
        parts = [(part, line) for line in lines for part in textwrap.wrap(line, 92)]
        y = max(0.115, 0.025 * len(parts))  # the last line stays on the page
        for part, line in parts:
            fig.text(
                0.04,
                y,
                part,
                ha="left",
                va="top",
                fontsize=8,
                color="firebrick" if line == SOME_NAMES_NOTE else "dimgray",
            )
            y -= 0.025

    def rank_cell(self, row: BulletinRow) -> str:
        if row is self.b.totals:
            return ""
        if row.rank is not None:
            return str(row.rank)
        assert row.not_ranked is not None  # a row without a rank, but the totals, says why
        return NOT_RANKED_CELL[row.not_ranked]

    def heading_row(self, width: int) -> list[str]:
        return ["未参与排名", *[""] * (width - 1)]

    def tables(self):
        b = self.b
        headers = [
            "排名",
            "单位",
            "代码",
            "转办",
            "办结",
            "期末在办",
            "期末超期",
            *(RATE_LABELS[r] for r in RATES),
            "综合得分",
            "权重覆盖",
        ]
        listing: list[BulletinRow | None] = [*b.ranked, *([None] if b.not_ranked else []), *b.not_ranked]
        chunks = _chunks(listing, TABLE_ROWS_PER_PAGE)  # None: the heading row of the units not ranked
        for n, rows in enumerate(chunks, start=1):
            fig = self._figure("单位排名", f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
            shown = [*rows, *([b.totals] if n == len(chunks) else [])]
            body = [
                self.heading_row(len(headers))
                if row is None
                else [
                    self.rank_cell(row),
                    self.label(row),
                    "" if row is b.totals else _clip(row.code, 20),
                    str(row.counts["forwarded"]),
                    str(row.counts["closed"]),
                    str(row.open_at_end),
                    str(row.overdue_at_end),
                    *(_pct(row.rates[r]) for r in RATES),
                    "—" if row.composite is None else f"{row.composite:.2f}",
                    f"{row.coverage:.0%}",
                ]
                for row in shown
            ]
            widths = [
                max(_display_width(line) for text in column for line in text.split("\n")) + 2
                for column in zip(headers, *body)
            ]
            ax = fig.add_axes((0.03, 0.2, 0.94, 0.67))
            ax.axis("off")
            table = ax.table(
                cellText=body,
                colLabels=headers,
                loc="upper center",
                cellLoc="center",
                colWidths=[w / sum(widths) for w in widths],
            )
            for (r, _), cell in styled(table, 8, 0.075, 0.04).get_celld().items():
                if r > 0 and shown[r - 1] is None:
                    cell.set_facecolor("#fbf3e0")
                    cell.visible_edges = "BT"
                elif r > 0 and shown[r - 1] is b.totals:
                    cell.set_facecolor(TOTALS_COLOUR)
            lines = self.notes()
            minimum = f"{b.min_coverage:.0%}"
            lines += [
                f"排名规则：综合得分（0–100分）= {composite_definition_zh(b.weights)}；"
                f"权重覆盖为所用指标权重之和，不足{minimum}的单位不参与排名（“覆盖不足”，其得分仅供参考），"
                "本期无转办、办结或回访的单位亦不参与排名（“无指标”）；未参与排名的单位按单位代码列出。",
                "同分依次比较按时答复率（高者在前）、期末超期件数（少者在前）；三者均同者并列，按单位代码列出。"
                "比率分母为零时记为“—”。",
            ]
            self._footer(fig, lines)
            yield fig

    def chart(self, measure: str):
        rows = list(self.b.rows)
        chunks = _chunks(rows, CHART_UNITS_PER_PAGE)
        for n, part in enumerate(chunks, start=1):
            if measure == "on_time":
                heading = "按时答复率"
                values = [r.rates["on_time"] for r in part]
            else:
                heading = "期末超期件数"
                values = [r.overdue_at_end for r in part]
            fig = self._figure(heading, f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
            ax = fig.add_axes((0.25, 0.2, 0.68, 0.66))
            labels = [self.label(r, 22) + (f"  #{r.rank}" if r.rank is not None else "  #—") for r in part]
            positions = list(range(len(part)))
            bars = [0 if v is None else v for v in values]
            colours = ["#4c78a8" if measure == "on_time" else "#e45756" for _ in part]
            ax.barh(positions, bars, color=colours, height=0.6)
            ax.set_yticks(positions, labels)
            ax.set_ylim(max(len(part), 10) - 0.5, -0.5)  # rank 1 on top; bars no thicker than for 10 units
            if measure == "on_time":
                ax.set_xlim(0, 1.12)
                ax.xaxis.set_major_formatter(_percent_formatter())
                ax.set_xlabel("按时答复率")
                texts = [_pct(v) if v is not None else "无数据" for v in values]
            else:
                top = max([v for v in values if v is not None] or [0])
                ax.set_xlim(0, max(1, top) * 1.15)
                ax.xaxis.get_major_locator().set_params(integer=True)
                ax.set_xlabel("期末超期件数")
                texts = [str(v) for v in values]
            for y, x, text in zip(positions, bars, texts):
                ax.text(x, y, f" {text}", va="center", ha="left", fontsize=8)
            ax.grid(axis="x", color="#dddddd")
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            self._footer(fig, self.notes())
            yield fig


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)
