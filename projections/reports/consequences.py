"""The bulletin's consequences (本月问责处理): the month's 通报提醒, 约谈, 书面检查, 通报批评 and 追责问责
recommendations by unit, beside the ranking.

Read from each unit's accountability trail (``projections.accountability.trail``): the consequences
the rules issued by themselves (000 item 4, 003 item 5, 004 item 十五) and those an inspector decided on
(视情, with a reason), each counted in the period it arose (Asia/Shanghai, the bulletin's own
period). A 约谈提醒 is counted with the 约谈, a 责令检查 with the 书面检查. One row per unit with at least
one, by code; the totals; and every consequence, by unit and time, for the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# column -> the consequence kinds it counts (domain.vocabulary.CONSEQUENCE), in the bulletin's order.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "notified_reminder": ("notified_reminder",),
    "interview": ("interview", "reminder_interview"),
    "written_self_examination": ("written_self_examination", "order_self_examination"),
    "criticism": ("criticism",),
    "special_supervision": ("special_supervision",),
    "accountability_recommendation": ("accountability_recommendation",),
}
COLUMN_OF = {kind: column for column, kinds in COLUMNS.items() for kind in kinds}


@dataclass(frozen=True)
class ConsequenceItem:
    unit: str
    unit_name: str
    id: str
    kind: str
    at: datetime
    rule: str
    rule_title: str
    source: str
    ordered: bool  # an inspector's own (视情), with ``reason``
    reason: str | None
    follow_up_due: datetime | None


@dataclass(frozen=True)
class ConsequenceRow:
    unit: str
    name: str
    counts: Mapping[str, int]  # by column

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ConsequenceSection:
    rows: tuple[ConsequenceRow, ...]
    totals: ConsequenceRow  # unit TOTAL
    items: tuple[ConsequenceItem, ...]


def consequence_section(
    records: Iterable[tuple[str, str, Iterable[Mapping[str, Any]]]], start: datetime, end: datetime
) -> ConsequenceSection:
    """``records``: (unit code, unit name, the consequence entries of its trail, their data as stored);
    only those arisen in [start, end) count."""
    rows, items = [], []
    for code, name, entries in sorted(records, key=lambda r: r[0]):
        mine = []
        for d in entries:
            at = datetime.fromisoformat(d["at"]) if isinstance(d["at"], str) else d["at"]
            if not start <= at < end or d["kind"] not in COLUMN_OF:
                continue
            due = d.get("follow_up_due")
            mine.append(
                ConsequenceItem(
                    unit=code,
                    unit_name=name,
                    id=d["consequence_id"],
                    kind=d["kind"],
                    at=at,
                    rule=d["rule"],
                    rule_title=d["rule_title"],
                    source=d["source"],
                    ordered=d.get("actor") is not None,
                    reason=d.get("reason"),
                    follow_up_due=datetime.fromisoformat(due) if isinstance(due, str) else due,
                )
            )
        if mine:
            counts = {column: sum(COLUMN_OF[i.kind] == column for i in mine) for column in COLUMNS}
            rows.append(ConsequenceRow(code, name, counts))
            items += sorted(mine, key=lambda i: (i.at, i.id))
    totals = {column: sum(r.counts[column] for r in rows) for column in COLUMNS}
    return ConsequenceSection(tuple(rows), ConsequenceRow("TOTAL", "合计", totals), tuple(items))
