"""The monthly bulletin (通报): every unit's ledger for a month, the units ranked.

A 通报 is the notice by which the platform reports to the leadership and to
every unit how the units handled their cases in a month, ranked. Sources:

- 000 items 3 and 4 (台账调度): the platform keeps ledgers of every
  appeal and regularly dispatches (调度) and bulletins the units' handling;
- 003 工作要求: the figures are reported monthly, by the 25th, so the
  reporting month may close on the 25th (``ReportingPeriod.month(period, close_day=25)``);
- 004 items 十一 and 十五: monthly statistics of every unit's
  handling, bulletined and ranked, the ranking feeding the annual assessment;
- unit scores ("三率", as in Beijing's 接诉即办) combined with weights that
  are profile data (one published practice: composite = 10% response + 50%
  resolution + 40% satisfaction); on-time rates never hide open overdue
  cases;
- 004 item 六: the monthly bulletin of the units' handling; beside it, the
  platform's answers at first contact (即时办结, never a unit's figures) and
  the look-backs (回头看) with their results (``hotline``).

Which units: every unit passed in (the caller passes the directory's active
units), plus every unit with ledger activity in the period (a unit disabled
since, or not in the directory, still answers for what it did). Each unit's
figures are ``projections.ledger.appeals.LedgerFigures``, its rates are theirs.

How ranking works (``WEIGHTS`` and ``TIEBREAK`` below are the data):

1. Composite score = Σ weight × rate over the rates in ``WEIGHTS``
   (one published practice: 10 % response + 50 % resolution +
   40 % satisfaction), divided by the sum of the weights of the rates that
   exist. A rate is missing (``None``) when its denominator is zero — nothing
   forwarded, nothing closed, no follow-up visit in the period — and a
   missing rate is *excluded* and the remaining weights renormalised: a unit
   is scored on what it was given to do, not punished (scored 0) nor
   rewarded (scored 1) for what it was not given. ``coverage`` (the sum of the
   weights used, 0..1) is published beside the score so a reader sees when a
   score rests on little.
2. The composite is in points, 0 to 100, rounded to 2 decimal places
   (``COMPOSITE_SCALE``), and so it is published in the JSON, the workbook
   and the PDF alike; ranks compare the rounded points (the precision of the
   rates, which are rounded to 4 decimal places of 0..1).
3. A unit is ranked only when its composite rests on at least
   ``MIN_COVERAGE`` of the weights (see there). Ranked units are ordered by
   composite, highest first; equal composites by on-time rate, highest first
   (a missing on-time rate after any present one); then by overdue-at-end
   count, fewest first.
4. Units equal on all three share a rank (competition ranking: 1, 2, 2, 4) and
   are listed by unit code: the code orders the listing but says nothing of
   performance, so it never separates ranks.
5. Every other unit is not ranked (``rank`` ``None``, 不参与排名) and is listed
   apart, after the ranked ones, by unit code, with the reason
   (``not_ranked``): ``no_weighted_rate`` (composite ``None``: nothing
   forwarded, closed or visited in the period) or ``coverage_below_minimum``
   (its composite is shown, but rests on too little to be compared). They are
   still listed with their counts, rates, open and overdue cases.

Totals are the sums of every listed unit's counts, open and overdue cases,
with rates (and a composite) computed from those sums — not averages of the
units' rates.

Satisfaction is shown twice, side by side: on the ratings as given
(``satisfaction``, the one the composite weighs) and leaving out the bad
ratings set aside on contest (``satisfaction_adjudicated``, 申诉复核); beside
the ranking, the month's list of 差评 (``bad_ratings``, 004 item 二: 按月对差评
问题进行通报整改) with each rating's rectification and contest as they stand
when the bulletin is made (``projections.ledger.ratings``).

The ranking is the appeals'. The approvals (审批) have a section of their own
(``approvals``, ``projections.reports.approvals``): the window's figures and
each department's, listed by code, not ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from domain.time_source import utc_now
from projections.ledger.appeals import COUNTERS, LedgerFigures, LedgerView, ReportingPeriod
from projections.ledger.hotline import HotlineFigures
from projections.ledger.ratings import BadRatingEntry, bad_rating_list
from projections.reports.approvals import ApprovalSection, approval_section
from projections.reports.consequences import ConsequenceSection
from projections.reports.joint import JointSection
from projections.reports.recurring import RecurringSection
from projections.vocabulary import RATE as RATE_LABELS

#: The composite's weights, per rate of ``LedgerFigures.rates`` (one published practice).
WEIGHTS: Mapping[str, float] = MappingProxyType({"response": 0.10, "resolution": 0.50, "satisfaction": 0.40})
#: The least share of the weights a composite must rest on for its unit to be ranked: one half.
#: With the published weights (10/50/40) a composite can rest on 10 % (response alone), 40 %
#: (satisfaction alone), 50 % (resolution alone, or response and satisfaction), 60 %, 90 % or 100 %.
#: At one half a unit is never ranked above others on its response rate alone, nor on satisfaction
#: alone, where the renormalisation would let a minor part of the formula stand for all of it: at
#: least half of what the score stands for was measured. A stricter bar (60 % or more) would also
#: leave unranked a unit whose month brought closures only — scored on resolution, the rate the
#: formula weighs most — or forwarded cases and follow-up visits but no closure yet, which happens
#: at a month's edge.
MIN_COVERAGE = 0.5
#: The composite's scale: points out of 100 (the rates are 0..1), with 2 decimal places.
COMPOSITE_SCALE = 100
COMPOSITE_DECIMALS = 2
#: Why a unit is not ranked.
NO_WEIGHTED_RATE = "no_weighted_rate"
COVERAGE_BELOW_MINIMUM = "coverage_below_minimum"
#: After the composite: these, in order; ``True`` = higher is better.
TIEBREAK: tuple[tuple[str, bool], ...] = (("on_time", True), ("overdue_at_end", False))
TOTAL = "TOTAL"

RATE_DEFINITIONS_ZH = {
    "response": "已响应（签收或答复）的件数 ÷ 本期转办件数",
    "on_time": "按时答复次数 ÷（按时答复次数 + 超时答复次数 + 期末已超期未办件数）",
    "resolution": "办结且已解决件数 ÷ 办结件数（办结未解决不计为解决）",
    "satisfaction": "（非常满意 + 满意 + 0.9 × 基本满意）÷ 回访次数（按原始评价）",
    "satisfaction_adjudicated": "同上，但不计申诉复核成立而撤销的差评（分子、分母均不计）",
}
RANKING_RULE = (
    "composite = 100 x sum(weight x rate) over the weighted rates that exist, divided by the sum of "
    "their weights (points 0-100, 2 decimals; a missing rate is excluded and the other weights "
    f"renormalised); a unit is ranked only if its composite rests on at least {MIN_COVERAGE:.0%} of the "
    "weights (coverage); ranked units are ordered by composite (highest first), then on-time rate "
    "(highest first, missing last), then overdue at the period's end (fewest first); units equal on "
    "all three share a rank and are listed by code; the other units are not ranked (rank null), "
    "listed after the ranked ones by code, each with its reason (not_ranked)"
)
NOT_RANKED_EN = {
    NO_WEIGHTED_RATE: "no weighted rate in the period (nothing forwarded, closed or visited)",
    COVERAGE_BELOW_MINIMUM: "the composite rests on {coverage:.0%} of the weights; at least {minimum:.0%} is "
    "needed to rank",
}
NOT_RANKED_ZH = {
    NO_WEIGHTED_RATE: "本期无计分指标（无转办、办结或回访）",
    COVERAGE_BELOW_MINIMUM: "权重覆盖{coverage:.0%}，不足{minimum:.0%}，不参与排名",
}


def not_ranked_reason(row: BulletinRow, minimum: float = MIN_COVERAGE, chinese: bool = False) -> str | None:
    """Why ``row`` is not ranked, in words; ``None`` for a ranked row."""
    if row.not_ranked is None:
        return None
    return (NOT_RANKED_ZH if chinese else NOT_RANKED_EN)[row.not_ranked].format(coverage=row.coverage, minimum=minimum)


def ranking_rule_zh(min_coverage: float = MIN_COVERAGE) -> str:
    """The ranking rule in the words of the workbook and the PDF (``RANKING_RULE`` is the JSON's)."""
    return (
        f"所用指标权重之和（权重覆盖）不足{min_coverage:.0%}的单位不参与排名；参与排名的单位依次按综合得分"
        "（高者在前）、按时答复率（高者在前，无数据者在后）、期末超期件数（少者在前）排列，三者均同者名次并列，"
        "按单位代码列出；其余单位不参与排名，列于其后，按单位代码排列并注明原因"
    )


def composite_definition_zh(weights: Mapping[str, float] = WEIGHTS) -> str:
    """E.g. "10% × 响应率 + 50% × 解决率 + 40% × 满意率；…"."""
    total = sum(weights.values()) or 1
    terms = " + ".join(f"{w / total:.0%} × {RATE_LABELS.get(name, name)}" for name, w in weights.items() if w)
    return f"{terms}（百分制）；缺项（分母为零）不计，其余权重按比例折算"


@dataclass(frozen=True)
class Score:
    composite: float | None  # points, 0..100 (COMPOSITE_SCALE), 2 decimal places
    coverage: float  # the sum of the weights used, over the sum of all weights: 0..1


def composite_score(rates: Mapping[str, float | None], weights: Mapping[str, float] = WEIGHTS) -> Score:
    """The weighted mean of the rates that exist, in points (see the module's docstring)."""
    # name -> (weight, rate), for the rates that exist
    used = {name: (w, rate) for name, w in weights.items() if w and (rate := rates.get(name)) is not None}
    total = sum(weights.values())
    if not used or not total:
        return Score(None, 0.0)
    weight = sum(w for w, _ in used.values())
    mean = sum(w * rate for w, rate in used.values()) / weight
    return Score(round(COMPOSITE_SCALE * mean, COMPOSITE_DECIMALS), round(weight / total, 4))


def why_not_ranked(score: Score, min_coverage: float = MIN_COVERAGE) -> str | None:
    """``None`` when a unit with ``score`` is ranked, else why not (``NO_WEIGHTED_RATE``, …)."""
    if score.composite is None:
        return NO_WEIGHTED_RATE
    if score.coverage < min_coverage:
        return COVERAGE_BELOW_MINIMUM
    return None


@dataclass(frozen=True)
class BulletinRow:
    rank: int | None
    code: str
    name: str
    figures: LedgerFigures
    composite: float | None
    coverage: float
    not_ranked: str | None = None  # why the unit is not ranked (NO_WEIGHTED_RATE, …); None when ranked

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

    @property
    def rectification_overdue_at_end(self) -> int:
        return self.figures.rectification_overdue_at_end


@dataclass(frozen=True)
class Bulletin:
    period: ReportingPeriod
    weights: Mapping[str, float]
    rows: tuple[BulletinRow, ...]  # in rank order, then the units not ranked, by code
    totals: BulletinRow  # code TOTAL, rank None
    min_coverage: float = MIN_COVERAGE
    approvals: ApprovalSection | None = None  # the approvals section, when asked for
    recurring: RecurringSection | None = None  # recurring problems (堵点分析), when asked for
    bad_ratings: tuple[BadRatingEntry, ...] = ()  # the month's 差评, by the time of the visit
    as_of: datetime | None = None  # when the list's rectifications were judged
    joint: JointSection | None = None  # joint handling (联合办理, 004 item 六), when asked for
    consequences: ConsequenceSection | None = None  # the month's 问责处理 by unit, when asked for
    # 即时办结 and 回头看, the platform's, apart from the units' figures (projections.ledger.hotline).
    hotline: HotlineFigures = field(default_factory=HotlineFigures.empty)

    @property
    def ranked(self) -> tuple[BulletinRow, ...]:
        return tuple(r for r in self.rows if r.rank is not None)

    @property
    def not_ranked(self) -> tuple[BulletinRow, ...]:
        return tuple(r for r in self.rows if r.rank is None)


def monthly_bulletin(
    ledger_view: LedgerView,
    units: Iterable[tuple[str, str]],
    period: ReportingPeriod,
    *,
    names: Mapping[str, str] | None = None,
    weights: Mapping[str, float] = WEIGHTS,
    min_coverage: float = MIN_COVERAGE,
    approvals: bool = False,
    as_of: datetime | None = None,
) -> Bulletin:
    """The bulletin of ``period`` for ``units`` ((code, name), e.g. the active ones) and every unit with
    appeal activity; with ``approvals``, its approvals section too.

    ``names`` names units that are not in ``units`` but may have activity (e.g. disabled ones); a unit
    named nowhere is shown under its code. The list of 差评 judges each rectification at ``as_of``
    (default: now).
    """
    listed = dict(units)
    known = {**(names or {}), **listed}
    codes = sorted(set(listed) | set(ledger_view.units_with_activity(period)))
    figures = [ledger_view.figures(code, period) for code in codes]
    bulletin = rank_units([(f, known.get(f.unit, f.unit)) for f in figures], period, weights, min_coverage)
    as_of = as_of or utc_now()
    bulletin = replace(
        bulletin,
        bad_ratings=bad_rating_list(ledger_view.bad_ratings(period), known, as_of),
        as_of=as_of,
        hotline=ledger_view.hotline_figures(period),
    )
    return replace(bulletin, approvals=approval_section(ledger_view, period, known)) if approvals else bulletin


def rank_units(
    figures: Iterable[tuple[LedgerFigures, str]],
    period: ReportingPeriod,
    weights: Mapping[str, float] = WEIGHTS,
    min_coverage: float = MIN_COVERAGE,
) -> Bulletin:
    """Ranks (figures, name) pairs as the module's docstring says; pure."""
    scored = [
        (f, name, score, why_not_ranked(score, min_coverage))
        for f, name in figures
        for score in [composite_score(f.rates, weights)]
    ]
    for_ranking = sorted((s for s in scored if s[3] is None), key=lambda s: (*_merit(s[0], s[2]), s[0].unit))
    apart = sorted((s for s in scored if s[3] is not None), key=lambda s: s[0].unit)
    rows: list[BulletinRow] = []
    previous, rank = None, 0
    for position, (f, name, score, _) in enumerate(for_ranking, start=1):
        merit = _merit(f, score)
        if merit != previous:
            rank, previous = position, merit
        rows.append(BulletinRow(rank, f.unit, name, f, score.composite, score.coverage))
    rows += [BulletinRow(None, f.unit, name, f, score.composite, score.coverage, why) for f, name, score, why in apart]
    return Bulletin(period, MappingProxyType(dict(weights)), tuple(rows), _totals(rows, period, weights), min_coverage)


def _merit(f: LedgerFigures, score: Score) -> tuple[float, ...]:
    """The sort key of performance, best first: equal keys share a rank."""
    key: list[float] = [-(score.composite or 0.0)]
    rates = f.rates
    for name, higher_is_better in TIEBREAK:
        value = rates[name] if name in rates else getattr(f, name)
        if value is None:
            key += [1, 0]
        else:
            key += [0, -value if higher_is_better else value]
    return tuple(key)


def _totals(rows: list[BulletinRow], period: ReportingPeriod, weights: Mapping[str, float]) -> BulletinRow:
    counts = {c: sum(r.counts.get(c, 0) for r in rows) for c in COUNTERS}
    figures = LedgerFigures(
        TOTAL,
        period,
        counts,
        sum(r.open_at_end for r in rows),
        sum(r.overdue_at_end for r in rows),
        rectification_overdue_at_end=sum(r.rectification_overdue_at_end for r in rows),
    )
    score = composite_score(figures.rates, weights)
    return BulletinRow(None, TOTAL, "合计", figures, score.composite, score.coverage)
