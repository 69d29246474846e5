"""The monthly bulletin (通报): every unit's ledger for a month, the units ranked.

A 通报 is the notice by which the platform reports to the leadership and to
every unit how the units handled their cases in a month, ranked. Sources:

- seeds 000 items 3 and 4 (台账调度): the platform keeps ledgers of every
  appeal and regularly dispatches (调度) and bulletins the units' handling;
- seeds 003 工作要求: the figures are reported monthly, by the 25th, so the
  reporting month may close on the 25th (``Period.month(period, close_day=25)``);
- seeds 004 items 十一 and 十五: monthly statistics of every unit's
  handling, bulletined and ranked, the ranking feeding the annual assessment;
- RULES.md §4: unit scores ("三率", as in Beijing's 接诉即办) combined with
  weights that are profile data; on-time rates never hide open overdue cases.

Which units: every unit passed in (the caller passes the directory's active
units), plus every unit with ledger activity in the period (a unit disabled
since, or not in the directory, still answers for what it did). Each unit's
figures are ``projections.ledger.LedgerFigures``, its rates are theirs.

How ranking works (``WEIGHTS`` and ``TIEBREAK`` below are the data):

1. Composite score = Σ weight × rate over the rates in ``WEIGHTS``
   (published practice, RULES.md §4: 10 % response + 50 % resolution +
   40 % satisfaction), divided by the sum of the weights of the rates that
   exist. A rate is missing (``None``) when its denominator is zero — nothing
   forwarded, nothing closed, no follow-up visit in the period — and a
   missing rate is *excluded* and the remaining weights renormalised: a unit
   is scored on what it was given to do, not punished (scored 0) nor
   rewarded (scored 1) for what it was not given. ``coverage`` (the sum of the
   weights used, 0..1) is published beside the score so a reader sees when a
   score rests on little. The composite is rounded to 4 decimal places, as the
   rates are, and ranks compare the rounded values.
2. Units are ordered by composite, highest first; equal composites by on-time
   rate, highest first (a missing on-time rate after any present one); then
   by overdue-at-end count, fewest first.
3. Units equal on all three share a rank (competition ranking: 1, 2, 2, 4) and
   are listed by unit code: the code orders the listing but says nothing of
   performance, so it never separates ranks.
4. A unit none of whose weighted rates exists (composite ``None``) is not
   ranked (``rank`` ``None``, 不参与排名); such units follow the ranked ones, in
   the same order of on-time rate, overdue count and code. They are still
   listed, with their counts, open and overdue cases.

Totals are the sums of every listed unit's counts, open and overdue cases,
with rates (and a composite) computed from those sums — not averages of the
units' rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from projections.ledger import COUNTERS, LedgerFigures, LedgerView, Period

#: The composite's weights, per rate of ``LedgerFigures.rates`` (RULES.md §4, one published practice).
WEIGHTS: Mapping[str, float] = MappingProxyType({"response": 0.10, "resolution": 0.50, "satisfaction": 0.40})
#: After the composite: these, in order; ``True`` = higher is better.
TIEBREAK: tuple[tuple[str, bool], ...] = (("on_time", True), ("overdue_at_end", False))
TOTAL = "TOTAL"

RATE_LABELS = {"response": "响应率", "on_time": "按时答复率", "resolution": "解决率", "satisfaction": "满意率",
               "composite": "综合得分"}
RATE_DEFINITIONS_ZH = {
    "response": "已响应（签收或答复）的件数 ÷ 本期转办件数",
    "on_time": "按时答复次数 ÷（按时答复次数 + 超时答复次数 + 期末已超期未办件数）",
    "resolution": "办结且已解决件数 ÷ 办结件数（办结未解决不计为解决）",
    "satisfaction": "（非常满意 + 满意 + 0.9 × 基本满意）÷ 回访次数",
}
COUNT_LABELS = {
    "forwarded": "转办", "responded": "已响应", "acknowledged": "签收", "replies_on_time": "按时答复",
    "replies_late": "超时答复", "returned": "退回重办", "extended": "延期", "escalated": "督办",
    "handed_back": "退单", "closed": "办结", "closed_solved": "办结已解决", "closed_unsolved": "办结未解决",
    "visits_very_satisfied": "非常满意", "visits_satisfied": "满意", "visits_basically_satisfied": "基本满意",
    "visits_unsatisfied": "不满意", "visits_very_unsatisfied": "非常不满意",
}
RANKING_RULE = ("composite = sum(weight x rate) over the weighted rates that exist, divided by the sum of their "
                "weights (a missing rate is excluded and the other weights renormalised); ordered by composite "
                "(highest first), then on-time rate (highest first, missing last), then overdue at the period's "
                "end (fewest first); units equal on all three share a rank and are listed by code; units with no "
                "weighted rate are not ranked (rank null) and listed last")


def composite_definition_zh(weights: Mapping[str, float] = WEIGHTS) -> str:
    """E.g. "10% × 响应率 + 50% × 解决率 + 40% × 满意率；…"."""
    total = sum(weights.values()) or 1
    terms = " + ".join(f"{w / total:.0%} × {RATE_LABELS.get(name, name)}" for name, w in weights.items() if w)
    return f"{terms}；缺项（分母为零）不计，其余权重按比例折算"


@dataclass(frozen=True)
class Score:
    composite: float | None
    coverage: float  # the sum of the weights used, over the sum of all weights: 0..1


def composite_score(rates: Mapping[str, float | None], weights: Mapping[str, float] = WEIGHTS) -> Score:
    """The weighted mean of the rates that exist (see the module's docstring)."""
    used = {name: w for name, w in weights.items() if w and rates.get(name) is not None}
    total = sum(weights.values())
    if not used or not total:
        return Score(None, 0.0)
    weight = sum(used.values())
    return Score(round(sum(w * rates[name] for name, w in used.items()) / weight, 4), round(weight / total, 4))


@dataclass(frozen=True)
class BulletinRow:
    rank: int | None
    code: str
    name: str
    figures: LedgerFigures
    composite: float | None
    coverage: float

    @property
    def counts(self) -> dict[str, int]:
        return self.figures.counts

    @property
    def open_at_end(self) -> int:
        return self.figures.open_at_end

    @property
    def overdue_at_end(self) -> int:
        return self.figures.overdue_at_end

    @property
    def rates(self) -> dict[str, float | None]:
        return self.figures.rates


@dataclass(frozen=True)
class Bulletin:
    period: Period
    weights: Mapping[str, float]
    rows: tuple[BulletinRow, ...]  # in rank order, unranked last
    totals: BulletinRow  # code TOTAL, rank None

    @property
    def ranked(self) -> tuple[BulletinRow, ...]:
        return tuple(r for r in self.rows if r.rank is not None)


def monthly_bulletin(ledger_view: LedgerView, units: Iterable[tuple[str, str]], period: Period, *,
                     names: Mapping[str, str] | None = None,
                     weights: Mapping[str, float] = WEIGHTS) -> Bulletin:
    """The bulletin of ``period`` for ``units`` ((code, name), e.g. the active ones) and every unit with activity.

    ``names`` names units that are not in ``units`` but may have activity (e.g. disabled ones); a unit
    named nowhere is shown under its code.
    """
    listed = dict(units)
    known = {**(names or {}), **listed}
    codes = sorted(set(listed) | set(ledger_view.units_with_activity(period)))
    figures = [ledger_view.figures(code, period) for code in codes]
    return rank_units([(f, known.get(f.unit, f.unit)) for f in figures], period, weights)


def rank_units(figures: Iterable[tuple[LedgerFigures, str]], period: Period,
               weights: Mapping[str, float] = WEIGHTS) -> Bulletin:
    """Ranks (figures, name) pairs as the module's docstring says; pure."""
    scored = [(f, name, composite_score(f.rates, weights)) for f, name in figures]
    scored.sort(key=lambda item: (item[2].composite is None, *_merit(item[0], item[2]), item[0].unit))
    rows: list[BulletinRow] = []
    previous, rank = None, 0
    for position, (f, name, score) in enumerate(scored, start=1):
        merit = _merit(f, score)
        if score.composite is not None and merit != previous:
            rank, previous = position, merit
        rows.append(BulletinRow(rank if score.composite is not None else None, f.unit, name, f,
                                score.composite, score.coverage))
    return Bulletin(period, MappingProxyType(dict(weights)), tuple(rows), _totals(rows, period, weights))


def _merit(f: LedgerFigures, score: Score) -> tuple:
    """The sort key of performance, best first: equal keys share a rank."""
    key: list = [-(score.composite or 0.0)]
    rates = f.rates
    for name, higher_is_better in TIEBREAK:
        value = rates[name] if name in rates else getattr(f, name)
        if value is None:
            key += [1, 0]
        else:
            key += [0, -value if higher_is_better else value]
    return tuple(key)


def _totals(rows: list[BulletinRow], period: Period, weights: Mapping[str, float]) -> BulletinRow:
    counts = {c: sum(r.counts.get(c, 0) for r in rows) for c in COUNTERS}
    figures = LedgerFigures(TOTAL, period, counts, sum(r.open_at_end for r in rows),
                            sum(r.overdue_at_end for r in rows))
    score = composite_score(figures.rates, weights)
    return BulletinRow(None, TOTAL, "合计", figures, score.composite, score.coverage)
