"""The bulletin PDF's recurring-problems page(s) (堵点分析, 004 item 六), after the approvals.

The first page charts, left, the category × unit cells that rose most against
the month before (the previous month's count beside the period's, a
significant rise marked and its p-value written by the bar) and lists, right,
the enterprises appealing again and again. A further page lists the merged
and suggested-repeat clusters when there are any. Drawn by
``adapters.bulletin.pdf``'s page builder, so its font rules hold: in Chinese,
a name or subject the font cannot draw shown by its code (or left out), and
the page says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.bulletin.pdf_tables import styled
from adapters.bulletin.xlsx_recurring import KINDS, REASONS
from domain.profiles import CATEGORY_NAMES
from projections.reports.recurring import ALPHA, TEST_ZH, Cluster, RecurringSection

CHART_CELLS = 12
ENTERPRISE_ROWS = 16
CLUSTER_ROWS = 22


def recurring_pages(pages: Any, section: RecurringSection) -> Iterator[Any]:
    """``pages`` is the PDF's page builder (``adapters.bulletin.pdf._Pages``)."""
    fig = pages._figure("堵点分析")
    _chart(pages, fig, section)
    _enterprises(pages, fig, section)
    months = "、".join(m.name for m in section.months)
    pages._footer(
        fig,
        [
            *pages.notes(),
            f"重复诉求企业：{months}三个月内诉求两件以上且本月有诉求的企业（有统一社会信用代码的按代码归并）。",
            f"类别×单位：本月与上月受理件数对比（并单件只计一次）；显著上升（▲）：{TEST_ZH}。",
        ],
    )
    yield fig
    clusters = [("merged", c) for c in section.merged] + [("suggested", c) for c in section.suggested]
    for n, start in enumerate(range(0, len(clusters), CLUSTER_ROWS), start=1):
        fig = pages._figure(
            "并单与疑似重复诉求",
            f" ({n}/{-(-len(clusters) // CLUSTER_ROWS)})" if len(clusters) > CLUSTER_ROWS else "",
        )
        _clusters(pages, fig, clusters[start : start + CLUSTER_ROWS])
        pages._footer(fig, [*pages.notes(), "疑似重复仅为提示，是否并单由人工判断。"])
        yield fig


def _category(pages: Any, code: str) -> str:
    name = CATEGORY_NAMES.get(code, code)
    return name if pages.ok(name) else code


def _unit(code: str | None) -> str:
    return code or "未转办"


def _chart(pages: Any, fig: Any, section: RecurringSection) -> None:
    cells = [c for c in section.category_units if c.change > 0][:CHART_CELLS]
    ax = fig.add_axes((0.2, 0.2, 0.33, 0.66))
    ax.set_title("上升最多的类别×单位", fontsize=10)
    if not cells:
        ax.axis("off")
        ax.text(0.5, 0.5, "本月无上升", ha="center", va="center")
        return
    positions = list(range(len(cells)))
    ax.barh(
        [p - 0.2 for p in positions],
        [c.previous for c in cells],
        height=0.38,
        color="#bab0ac",
        label=section.months[1].name,
    )
    ax.barh(
        [p + 0.2 for p in positions],
        [c.count for c in cells],
        height=0.38,
        color=["#e45756" if c.significant else "#4c78a8" for c in cells],
        label=section.period.name,
    )
    mark = "▲" if pages.ok("▲") else "*"
    for p, c in zip(positions, cells):
        note = f" {c.count}" + (f" {mark} p={c.p_value:.3f}" if c.significant else "")
        ax.text(c.count, p + 0.2, note, va="center", ha="left", fontsize=7)
    ax.set_yticks(positions, [f"{_category(pages, c.category)} · {_unit(c.unit)}"[:30] for c in cells], fontsize=7)
    ax.set_ylim(max(len(cells), 6) - 0.5, -0.5)
    ax.set_xlim(0, max(c.count for c in cells) * 1.45 + 1)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.text(
        0,
        -0.08,
        f"显著：p < {ALPHA}",
        transform=ax.transAxes,
        fontsize=7,
        color="#e45756",
    )


def _enterprises(pages: Any, fig: Any, section: RecurringSection) -> None:
    ax = fig.add_axes((0.58, 0.2, 0.39, 0.66))
    ax.axis("off")
    ax.set_title("重复诉求企业", fontsize=10)
    shown = section.enterprises[:ENTERPRISE_ROWS]
    if not shown:
        ax.text(0.5, 0.5, "本期无重复诉求企业", ha="center", va="center")
        return
    headers = ["企业", *(m.name for m in section.months), "合计", "并单"]
    body = [
        [
            _name(pages, e.name, e.credit_code),
            *(str(e.counts[m.name]) for m in section.months),
            str(e.total),
            str(e.merged),
        ]
        for e in shown
    ]
    if len(section.enterprises) > ENTERPRISE_ROWS:
        more = len(section.enterprises) - ENTERPRISE_ROWS
        body.append([f"另有{more}家", *[""] * (len(headers) - 1)])
    table = ax.table(
        cellText=body,
        colLabels=headers,
        loc="upper center",
        cellLoc="center",
        colWidths=[0.4, 0.13, 0.13, 0.13, 0.1, 0.11],
    )
    styled(table, 7, 0.09, 0.05)


def _name(pages: Any, name: str, code: str | None) -> str:
    if pages.ok(name):
        return name[:14]
    if name:
        pages.names_dropped = True
    return code or "—"


def _clusters(pages: Any, fig: Any, clusters: list[tuple[str, Cluster]]) -> None:
    ax = fig.add_axes((0.03, 0.2, 0.94, 0.67))
    ax.axis("off")
    headers = ["类型", "案件", "企业", "事项", "依据"]
    body = []
    for kind, cluster in clusters:
        first = cluster.cases[0]
        why = sorted({ln.reason for ln in cluster.links})
        subject = first.subject if pages.ok(first.subject) else ""
        body.append(
            [
                KINDS[kind],
                " ".join(c.case_no for c in cluster.cases)[:60],
                _name(pages, first.enterprise, first.credit_code),
                subject[:24],
                "、".join(REASONS[r] for r in why) or "—",
            ]
        )
    table = ax.table(
        cellText=body, colLabels=headers, loc="upper center", cellLoc="left", colWidths=[0.1, 0.34, 0.18, 0.26, 0.12]
    )
    styled(table, 7, 0.06, 0.035)
