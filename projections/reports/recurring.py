"""Recurring problems (堵点数据分析, 004 item 六): where the same trouble keeps coming back.

004 item 六 asks the platform to analyse the appeals it receives for the
blockages (堵点) behind them, so that a problem raised again and again is
seen as one problem. For a month the analysis has three parts:

1. **Enterprises appealing again and again** — every enterprise with at least
   ``REPEAT_MINIMUM`` appeals received in the month and the two before it, at
   least one of them in the month itself (an enterprise last heard from two
   months ago belongs to that month's report). An enterprise is its unified
   social credit code (统一社会信用代码) when the appeal gives one, else its
   name as given. A repeat appeal merged into another (并单) still counts
   here: the enterprise had to appeal again, which is the signal.
2. **Category × unit against the previous month** — appeals received in the
   month by category and lead unit (``None``: not yet forwarded), beside the
   previous month. A merged repeat is the same matter as the case it joined
   and is counted once, there. A rise is *significant* when the exact
   one-sided conditional binomial test rejects equal daily rates at
   ``ALPHA``: under equal rates, of the n appeals of the two months the
   month's share is Binomial(n, d₁ / (d₀ + d₁)), d the months' lengths in
   days; the p-value is P(X ≥ the month's count). Each cell is tested on its
   own (a screening, not a family-wise claim): the p-value is published so a
   reader can apply a stricter bar.
3. **Clusters** — the month's merged clusters (a case and the repeats
   merged into it in the month) and its suggested-repeat clusters: appeals
   of the three months not merged, linked when they share a credit code or
   their subjects are trigram-similar (``domain.appeals.repeats``) and were received
   within ``domain.appeals.repeats.WINDOW_DAYS`` (30) days of each other, grouped
   transitively; a group is the month's when one of its appeals was received
   in the month. A suggestion merges nothing.
"""

from __future__ import annotations

import abc
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import comb

from domain.appeals import repeats
from projections.ledger.appeals import ReportingPeriod

REPEAT_MINIMUM = 2
ALPHA = 0.05
TEST = (
    "exact one-sided conditional binomial test of equal daily rates (the month's count against the "
    f"previous month's, the months' lengths in days as exposure), each category x unit on its own, "
    f"alpha = {ALPHA}"
)
TEST_ZH = (
    f"精确单侧条件二项检验：假定两月日均件数相同，本月件数占两月合计的比例服从以两月天数为权的二项分布，"
    f"P 值 < {ALPHA} 的上升标为显著（逐格检验）"
)


@dataclass(frozen=True)
class ReceivedAppeal:
    """One appeal as the analysis needs it (a row of the case list)."""

    id: str
    case_no: str
    received_at: datetime
    category: str
    unit: str | None
    enterprise: str
    credit_code: str | None
    subject: str
    status: str
    merged_into: str | None = None  # the case number of the case it was merged into (并单), if it was

    @property
    def enterprise_key(self) -> str:
        return f"code:{self.credit_code}" if self.credit_code else f"name:{self.enterprise.strip()}"


class RecurringSource(abc.ABC):
    @abc.abstractmethod
    def appeals_received(self, start: datetime, end: datetime) -> list[ReceivedAppeal]:
        """Every appeal received in [start, end), in order of receipt."""


@dataclass(frozen=True)
class RepeatEnterprise:
    name: str
    credit_code: str | None
    counts: dict[str, int]  # by month name, the two before the period first
    merged: int  # of them, repeats merged into another case
    cases: tuple[ReceivedAppeal, ...]

    @property
    def total(self) -> int:
        return len(self.cases)


@dataclass(frozen=True)
class CategoryUnit:
    category: str
    unit: str | None
    count: int
    previous: int
    p_value: float | None  # for a rise; None when the count did not rise

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


@dataclass(frozen=True)
class Link:
    a: str  # case ids, a received first
    b: str
    reason: str  # "credit_code" or "similar_subject"
    score: float | None  # the subjects' similarity, for similar_subject


@dataclass(frozen=True)
class Cluster:
    cases: tuple[ReceivedAppeal, ...]  # by receipt; for a merged cluster, the surviving case first
    links: tuple[Link, ...] = ()  # for a suggested cluster: what links its cases


@dataclass(frozen=True)
class RecurringSection:
    period: ReportingPeriod
    months: tuple[ReportingPeriod, ReportingPeriod, ReportingPeriod]  # the two before, then the period
    enterprises: tuple[RepeatEnterprise, ...]
    category_units: tuple[CategoryUnit, ...]
    merged: tuple[Cluster, ...]
    suggested: tuple[Cluster, ...]


def month_before(period: ReportingPeriod, close_day: int | None = None) -> ReportingPeriod:
    year, month = (int(part) for part in period.name.split("-"))
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ReportingPeriod.month(f"{year:04d}-{month:02d}", close_day)


def recurring_section(
    source: RecurringSource, period: ReportingPeriod, close_day: int | None = None
) -> RecurringSection:
    previous = month_before(period, close_day)
    first = month_before(previous, close_day)
    months = (first, previous, period)
    appeals = source.appeals_received(first.start, period.end)
    by_month: dict[str, list[ReceivedAppeal]] = {m.name: [] for m in months}
    for appeal in appeals:
        for m in months:
            if m.start <= appeal.received_at < m.end:
                by_month[m.name].append(appeal)
    this_month = by_month[period.name]
    return RecurringSection(
        period,
        months,
        repeat_enterprises(appeals, months),
        category_units(this_month, by_month[previous.name], _days(period), _days(previous)),
        merged_clusters(this_month, {a.case_no: a for a in appeals}),
        suggested_clusters(appeals, period),
    )


def _days(period: ReportingPeriod) -> int:
    first, last = period.days
    return (last - first).days + 1


def repeat_enterprises(
    appeals: Sequence[ReceivedAppeal], months: Sequence[ReportingPeriod]
) -> tuple[RepeatEnterprise, ...]:
    """Enterprises with at least ``REPEAT_MINIMUM`` appeals in the months, one in the last of them;
    most appeals first, then by name."""
    grouped: dict[str, list[ReceivedAppeal]] = defaultdict(list)
    for appeal in appeals:
        grouped[appeal.enterprise_key].append(appeal)
    period = months[-1]
    found = []
    for cases in grouped.values():
        if len(cases) < REPEAT_MINIMUM or not any(period.start <= c.received_at < period.end for c in cases):
            continue
        counts = {m.name: sum(m.start <= c.received_at < m.end for c in cases) for m in months}
        named = next((c for c in reversed(cases) if c.enterprise.strip()), cases[-1])
        found.append(
            RepeatEnterprise(
                named.enterprise.strip(),
                cases[0].credit_code,
                counts,
                sum(c.merged_into is not None for c in cases),
                tuple(cases),
            )
        )
    return tuple(sorted(found, key=lambda e: (-e.total, e.name, e.credit_code or "")))


def rise_p_value(count: int, previous: int, days: int, previous_days: int) -> float | None:
    """The one-sided p-value of ``count`` against ``previous`` under equal daily rates (see the module);
    None when the count did not rise."""
    if count <= previous:
        return None
    n, share = count + previous, days / (days + previous_days)
    return min(1.0, sum(comb(n, k) * share**k * (1 - share) ** (n - k) for k in range(count, n + 1)))


def category_units(
    month: Sequence[ReceivedAppeal], previous: Sequence[ReceivedAppeal], days: int, previous_days: int
) -> tuple[CategoryUnit, ...]:
    """Every category × lead unit with appeals in either month, merged repeats not counted; significant
    rises first (smallest p-value first), then the other rises, then the rest by category and unit."""
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for column, appeals in ((0, month), (1, previous)):
        for a in appeals:
            if a.merged_into is None:
                counts[(a.category, a.unit)][column] += 1
    cells = [
        CategoryUnit(category, unit, now, before, rise_p_value(now, before, days, previous_days))
        for (category, unit), (now, before) in counts.items()
    ]
    return tuple(
        sorted(cells, key=lambda c: (not c.significant, c.p_value is None, c.p_value or 0, c.category, c.unit or ""))
    )


def merged_clusters(month: Iterable[ReceivedAppeal], known: dict[str, ReceivedAppeal]) -> tuple[Cluster, ...]:
    """The repeats received in the month with the case each joined, a cluster per surviving case (first
    when it was received in the three months, else the repeats alone)."""
    joined: dict[str, list[ReceivedAppeal]] = defaultdict(list)
    for appeal in month:
        if appeal.merged_into is not None:
            joined[appeal.merged_into].append(appeal)
    clusters = []
    for survivor_no, merged in joined.items():
        survivor = known.get(survivor_no)
        clusters.append(Cluster(((survivor,) if survivor else ()) + tuple(merged)))
    return tuple(sorted(clusters, key=lambda c: (-len(c.cases), c.cases[0].case_no)))


def repeat_links(appeals: Sequence[ReceivedAppeal]) -> list[Link]:
    """Pairs received within ``repeats.WINDOW_DAYS`` of each other (``repeats.within_window``) with one
    credit code (each case linked to the one before it with that code), or with subjects at least ``repeats.SIMILAR`` alike (and no credit
    code link between them)."""
    ordered = sorted(appeals, key=lambda a: (a.received_at, a.case_no))
    links: list[Link] = []
    last_with_code: dict[str, ReceivedAppeal] = {}
    by_code: set[tuple[str, str]] = set()
    for appeal in ordered:
        before = last_with_code.get(appeal.credit_code) if appeal.credit_code else None
        if before is not None and repeats.within_window(before.received_at, appeal.received_at):
            links.append(Link(before.id, appeal.id, "credit_code", None))
            by_code.add((before.id, appeal.id))
        if appeal.credit_code:
            last_with_code[appeal.credit_code] = appeal
    for i, j, score in repeats.similar_pairs([a.subject for a in ordered], [a.received_at for a in ordered]):
        a, b = ordered[i], ordered[j]
        if (a.id, b.id) not in by_code:
            links.append(Link(a.id, b.id, "similar_subject", round(score, 4)))
    return links


def suggested_clusters(appeals: Sequence[ReceivedAppeal], period: ReportingPeriod) -> tuple[Cluster, ...]:
    """The not-merged appeals grouped by the links ``repeat_links`` finds: each group with an appeal
    received in the period (a repeat of the month may link back to an earlier month's appeal)."""
    open_ = [a for a in appeals if a.merged_into is None]
    links = repeat_links(open_)
    parent = {a.id: a.id for a in open_}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        parent[root(link.a)] = root(link.b)
    groups: dict[str, list[ReceivedAppeal]] = defaultdict(list)
    for a in open_:
        groups[root(a.id)].append(a)
    linking: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        linking[root(link.a)].append(link)
    clusters = [
        Cluster(tuple(cases), tuple(linking[key]))
        for key, cases in groups.items()
        if len(cases) > 1 and any(period.start <= c.received_at < period.end for c in cases)
    ]
    return tuple(sorted(clusters, key=lambda c: (-len(c.cases), c.cases[0].case_no)))
