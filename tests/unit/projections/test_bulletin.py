"""The monthly bulletin (通报): composite scores and ranking on hand-built ledger figures, the PDF's font, and the
workbook and the PDF in Chinese only.

Sources: one published practice of unit scores (三率: composite = 10% response +
50% resolution + 40% satisfaction); 004 items 六, 十一 and 十五 (the
monthly bulletin, ranked). Every expected figure is computed by hand in the
comment beside it; composites are points out of 100.
"""

from __future__ import annotations

import re

import pytest

from projections.ledger.appeals import COUNTERS, LedgerFigures, ReportingPeriod
from projections.ledger.hotline import HotlineFigures
from projections.reports.bulletin import (
    COVERAGE_BELOW_MINIMUM,
    MIN_COVERAGE,
    NO_WEIGHTED_RATE,
    TOTAL,
    WEIGHTS,
    composite_score,
    monthly_bulletin,
    not_ranked_reason,
    rank_units,
)
from tests.pdf import page_count, pdf_text

SEPT = ReportingPeriod.month("2026-09")


def figures(unit: str, open_at_end: int = 0, overdue_at_end: int = 0, **counts: int) -> LedgerFigures:
    return LedgerFigures(unit, SEPT, dict.fromkeys(COUNTERS, 0) | counts, open_at_end, overdue_at_end)


def full(
    unit: str, *, responded=1, forwarded=1, solved=1, closed=1, satisfied=1, visits=1, on_time=1, late=0, overdue=0
) -> LedgerFigures:
    """Figures with every rate present: response responded/forwarded, resolution solved/closed,
    satisfaction satisfied/visits (the rest of the visits unsatisfied), on-time on_time/(on_time+late+overdue)."""
    return figures(
        unit,
        overdue_at_end=overdue,
        forwarded=forwarded,
        responded=responded,
        closed=closed,
        closed_solved=solved,
        closed_unsolved=closed - solved,
        visits_satisfied=satisfied,
        visits_unsatisfied=visits - satisfied,
        replies_on_time=on_time,
        replies_late=late,
    )


class FakeLedgerView:
    def __init__(self, *rows: LedgerFigures) -> None:
        self.rows = {f.unit: f for f in rows}
        self.asked: list[str] = []

    def units_with_activity(self, period: ReportingPeriod) -> list[str]:
        return sorted(self.rows)

    def figures(self, unit: str, period: ReportingPeriod) -> LedgerFigures:
        self.asked.append(unit)
        return self.rows.get(unit) or figures(unit)

    def bad_ratings(self, period: ReportingPeriod) -> list:
        return []

    def hotline_figures(self, period: ReportingPeriod) -> HotlineFigures:
        return HotlineFigures.empty()


def order(bulletin) -> list[tuple[int | None, str]]:
    return [(r.rank, r.code) for r in bulletin.rows]


# -- composite score ---------------------------------------------------------------------------------------------
def test_weights_are_the_published_practice():
    assert dict(WEIGHTS) == {"response": 0.10, "resolution": 0.50, "satisfaction": 0.40}


def test_composite_is_the_weighted_sum_of_the_three_rates():
    # response 9/10 = 0.9, resolution 7/8 = 0.875, satisfaction (6 + 0.9 x 2)/8 = 0.975
    f = figures(
        "P",
        forwarded=10,
        responded=9,
        closed=8,
        closed_solved=7,
        closed_unsolved=1,
        visits_satisfied=6,
        visits_basically_satisfied=2,
    )
    assert f.rates == {
        "response": 0.9,
        "on_time": None,
        "resolution": 0.875,
        "satisfaction": 0.975,
        "satisfaction_adjudicated": 0.975,
    }
    # 0.1 x 0.9 + 0.5 x 0.875 + 0.4 x 0.975 = 0.09 + 0.4375 + 0.39 = 0.9175: 91.75 points
    score = composite_score(f.rates)
    assert (score.composite, score.coverage) == (91.75, 1.0)


def test_a_missing_rate_is_left_out_and_the_other_weights_renormalised():
    # response 1/1; nothing closed (resolution None); satisfaction 1 of 2 visits satisfied = 0.5
    f = figures("P", forwarded=1, responded=1, visits_satisfied=1, visits_unsatisfied=1)
    assert f.rates["resolution"] is None
    # (0.1 x 1 + 0.4 x 0.5) / (0.1 + 0.4) = 0.3 / 0.5 = 0.6: 60 points, on 50 % of the weights
    assert composite_score(f.rates) == composite_score({"response": 1.0, "resolution": None, "satisfaction": 0.5})
    score = composite_score(f.rates)
    assert (score.composite, score.coverage) == (60.0, 0.5)
    # only the response rate: 0.1 x 0.5 / 0.1 = 0.5: 50 points, on 10 %
    only = composite_score({"response": 0.5, "resolution": None, "satisfaction": None})
    assert (only.composite, only.coverage) == (50.0, 0.1)


def test_no_weighted_rate_means_no_composite():
    score = composite_score(figures("P", replies_on_time=3).rates)  # an on-time rate is not weighted
    assert (score.composite, score.coverage) == (None, 0.0)


def test_a_zero_rate_counts_as_zero_not_as_missing():
    # response 0/2 = 0, resolution 0/1 = 0, satisfaction 0/1 = 0: a real 0, on all the weights
    f = figures("P", forwarded=2, closed=1, closed_unsolved=1, visits_very_unsatisfied=1)
    assert composite_score(f.rates) == composite_score({"response": 0.0, "resolution": 0.0, "satisfaction": 0.0})
    assert (composite_score(f.rates).composite, composite_score(f.rates).coverage) == (0.0, 1.0)


def test_weights_are_data():
    rates = {"response": 0.5, "on_time": 0.25, "resolution": 1.0, "satisfaction": None}
    # (1 x 0.25 + 3 x 1.0) / 4 = 0.8125: 81.25 points
    assert composite_score(rates, {"on_time": 1, "resolution": 3}).composite == 81.25
    ranked = rank_units(
        [(full("A", on_time=1, late=1), "甲"), (full("B", on_time=0, late=1), "乙")], SEPT, weights={"on_time": 1.0}
    )
    assert order(ranked) == [(1, "A"), (2, "B")] and ranked.rows[0].composite == 50.0


# -- ranking -----------------------------------------------------------------------------------------------------
def test_units_rank_by_composite_highest_first():
    rows = [
        # 0.1 x 1 + 0.5 x 1/2 + 0.4 x 1 = 0.75
        (full("B", solved=1, closed=2), "乙"),
        # 0.1 x 1 + 0.5 x 1 + 0.4 x 1 = 1.0
        (full("C"), "丙"),
        # 0.1 x 1/2 + 0.5 x 1 + 0.4 x 1/2 = 0.05 + 0.5 + 0.2 = 0.75 -- equal to B; on-time decides below
        (full("A", responded=1, forwarded=2, satisfied=1, visits=2, on_time=1, late=1), "甲"),
        # 0.1 x 0 + 0.5 x 0 + 0.4 x 0 = 0
        (full("D", responded=0, solved=0, satisfied=0), "丁"),
    ]
    b = rank_units(rows, SEPT)
    # B and A tie at 0.75; B's on-time rate 1/1 beats A's 1/2
    assert order(b) == [(1, "C"), (2, "B"), (3, "A"), (4, "D")]
    assert [r.composite for r in b.rows] == [100.0, 75.0, 75.0, 0.0]
    assert [r.name for r in b.rows] == ["丙", "乙", "甲", "丁"]


def test_ties_on_composite_are_broken_by_on_time_rate_then_overdue_count():
    rows = [
        (full("A", on_time=1, late=1), "甲"),  # composite 1, on-time 1/2 = 0.5, overdue 0
        (full("B", on_time=1, late=0, overdue=1), "乙"),  # composite 1, on-time 1/(1+0+1) = 0.5, overdue 1
        (full("C", on_time=3, late=1), "丙"),  # composite 1, on-time 3/4 = 0.75
        (full("D", on_time=0, late=0), "丁"),  # composite 1, no reply in the period: on-time None
        (full("E", on_time=0, late=1), "戊"),  # composite 1, on-time 0/1 = 0.0 -- ahead of a missing rate
    ]
    assert order(rank_units(rows, SEPT)) == [(1, "C"), (2, "A"), (3, "B"), (4, "E"), (5, "D")]


def test_units_equal_on_every_criterion_share_a_rank_and_are_listed_by_code():
    rows = [
        (full("Z"), "z"),
        (full("M", on_time=1, late=1), "m"),
        (full("B"), "b"),
        (full("K"), "k"),
        (full("A", solved=0), "a"),
    ]
    # B, K and Z: composite 1, on-time 1, overdue 0 -- rank 1 together; then M (4th place), then A
    b = rank_units(rows, SEPT)
    assert order(b) == [(1, "B"), (1, "K"), (1, "Z"), (4, "M"), (5, "A")]
    assert b.rows[-1].composite == 50.0  # 100 x (0.1 x 1 + 0.5 x 0 + 0.4 x 1)


def test_ties_compare_rounded_composites():
    # response 1/3 = 0.3333 and 3334/10000 = 0.3334 differ, but 0.1 x 0.3333 + 0.9 = 0.93333 and
    # 0.1 x 0.3334 + 0.9 = 0.93334 both round to 93.33 points: a tie, listed by code
    rows = [(full("B", responded=3334, forwarded=10000), "乙"), (full("A", responded=1, forwarded=3), "甲")]
    b = rank_units(rows, SEPT)
    assert [r.rates["response"] for r in b.rows] == [0.3333, 0.3334]
    assert order(b) == [(1, "A"), (1, "B")] and b.rows[0].composite == b.rows[1].composite == 93.33


def test_units_without_any_weighted_rate_are_listed_apart_unranked_by_code():
    rows = [
        (figures("Q"), "无事"),  # nothing at all
        (figures("P", overdue_at_end=2), "超期"),  # old cases overdue, nothing new: on-time 0/2 = 0.0
        (figures("R", replies_on_time=1), "答复"),  # on-time 1/1, but no weighted rate
        (full("Z", responded=0, solved=0, satisfied=0), "差"),  # a real 0 on all the weights: ranked
    ]
    b = rank_units(rows, SEPT)
    # the code orders the units not ranked: their on-time rates (R 1, P 0, Q none) are no ranking
    assert order(b) == [(1, "Z"), (None, "P"), (None, "Q"), (None, "R")]
    assert [r.composite for r in b.rows] == [0.0, None, None, None]
    assert [r.not_ranked for r in b.rows] == [None, NO_WEIGHTED_RATE, NO_WEIGHTED_RATE, NO_WEIGHTED_RATE]
    assert [r.code for r in b.ranked] == ["Z"] and [r.code for r in b.not_ranked] == ["P", "Q", "R"]
    assert not_ranked_reason(b.rows[1]) == "no weighted rate in the period (nothing forwarded, closed or visited)"


# -- the minimum coverage for ranking (weights: 10 % response + 50 % resolution + 40 % satisfaction) ---------
def test_the_minimum_coverage_for_ranking_is_half_the_weights():
    assert MIN_COVERAGE == 0.5


def test_a_unit_scored_on_less_than_half_the_weights_is_not_ranked_above_others():
    rows = [
        # 100 x (0.1 x 1 + 0.5 x 1/2 + 0.4 x 1/2) = 55 points on all the weights
        (full("FULL", solved=1, closed=2, satisfied=1, visits=2), "全面"),
        # response 1/1 and nothing else: 100 points, but on 10 % of the weights
        (figures("RESP", forwarded=1, responded=1), "仅响应"),
        # satisfaction 1/1 and nothing else: 100 points, on 40 %
        (figures("SAT", visits_satisfied=1), "仅满意"),
    ]
    b = rank_units(rows, SEPT)
    assert order(b) == [(1, "FULL"), (None, "RESP"), (None, "SAT")]
    assert [(r.composite, r.coverage, r.not_ranked) for r in b.rows] == [
        (55.0, 1.0, None),
        (100.0, 0.1, COVERAGE_BELOW_MINIMUM),
        (100.0, 0.4, COVERAGE_BELOW_MINIMUM),
    ]
    assert not_ranked_reason(b.rows[1]) == ("the composite rests on 10% of the weights; at least 50% is needed to rank")
    assert not_ranked_reason(b.rows[2], chinese=True) == "权重覆盖40%，不足50%，不参与排名"


def test_half_the_weights_is_enough_to_rank():
    rows = [
        # resolution alone (50 %): 1/2 solved = 50 points
        (figures("RES", closed=2, closed_solved=1, closed_unsolved=1), "仅解决"),
        # response and satisfaction (10 % + 40 %): (0.1 x 1 + 0.4 x 1) / 0.5 = 100 points
        (figures("RS", forwarded=1, responded=1, visits_satisfied=1), "响应满意"),
    ]
    b = rank_units(rows, SEPT)
    assert order(b) == [(1, "RS"), (2, "RES")]
    assert [(r.composite, r.coverage) for r in b.rows] == [(100.0, 0.5), (50.0, 0.5)]


def test_the_minimum_coverage_is_data():
    rows = [(figures("RESP", forwarded=1, responded=1), "仅响应"), (full("FULL", solved=0), "全面")]
    # with no minimum, the response rate alone (100 points on 10 %) ranks above 50 points on all the weights
    assert order(rank_units(rows, SEPT, min_coverage=0.0)) == [(1, "RESP"), (2, "FULL")]
    assert order(rank_units(rows, SEPT)) == [(1, "FULL"), (None, "RESP")]


def test_totals_sum_the_counts_and_compute_rates_from_the_sums():
    rows = [
        (full("A", responded=1, forwarded=1, solved=1, closed=1), "甲"),
        (full("B", responded=1, forwarded=3, solved=0, closed=1, overdue=2, on_time=0), "乙"),
    ]
    totals = rank_units(rows, SEPT).totals
    assert (totals.code, totals.rank, totals.name) == (TOTAL, None, "合计")
    assert (totals.counts["forwarded"], totals.counts["responded"], totals.counts["closed_solved"]) == (4, 2, 1)
    assert totals.overdue_at_end == 2 and totals.open_at_end == 0
    # response 2/4 = 0.5 (not the mean of 1 and 1/3); on-time 1/(1 + 0 + 2) = 0.3333; resolution 1/2
    assert totals.rates == {
        "response": 0.5,
        "on_time": 0.3333,
        "resolution": 0.5,
        "satisfaction": 1.0,
        "satisfaction_adjudicated": 1.0,
    }
    # 100 x (0.1 x 0.5 + 0.5 x 0.5 + 0.4 x 1) = 70 points
    assert totals.composite == 70.0 and totals.not_ranked is None


def test_monthly_bulletin_lists_given_units_and_every_unit_with_activity():
    view = FakeLedgerView(full("ACTIVE"), full("GONE", solved=0))
    b = monthly_bulletin(
        view, [("ACTIVE", "在用单位"), ("IDLE", "空闲单位")], SEPT, names={"GONE": "已停用单位", "IDLE": "旧名称"}
    )
    # ACTIVE: composite 1; GONE (disabled, still active in the month): 0.5; IDLE: nothing, not ranked
    assert [(r.rank, r.code, r.name) for r in b.rows] == [
        (1, "ACTIVE", "在用单位"),
        (2, "GONE", "已停用单位"),
        (None, "IDLE", "空闲单位"),
    ]
    assert sorted(view.asked) == ["ACTIVE", "GONE", "IDLE"]  # each unit read once
    assert b.period == SEPT and dict(b.weights) == dict(WEIGHTS)
    unnamed = monthly_bulletin(FakeLedgerView(full("X")), [], SEPT)
    assert [(r.code, r.name) for r in unnamed.rows] == [("X", "X")]  # named nowhere: its code


def test_an_empty_month_has_an_empty_ranking_and_zero_totals():
    b = monthly_bulletin(FakeLedgerView(), [], SEPT)
    assert b.rows == () and b.totals.counts == dict.fromkeys(COUNTERS, 0)
    assert b.totals.composite is None and set(b.totals.rates.values()) == {None}


# -- the PDF's CJK font -------------------------------------------------------------------------------------------
@pytest.fixture
def bulletin():
    return rank_units(
        [
            (full("DISTRICT-POWER", on_time=1, late=1), "区供电中心"),
            (full("DISTRICT-WATER"), "区水务局"),
            (figures("IDLE"), "空闲单位"),
        ],
        ReportingPeriod.month("2026-10", 25),
    )


def test_without_a_cjk_font_no_pdf_is_made(bulletin, monkeypatch):
    """The PDF is in Chinese only: without a font to draw it, it is not made (nothing drawn as boxes, and no
    English instead); the error names what to install."""
    from adapters.bulletin import pdf as exporters

    monkeypatch.setattr(exporters, "find_cjk_font", lambda font_path=None: None)
    with pytest.raises(exporters.CjkFontMissing, match="paperang-p2-fonts-cjk"):
        exporters.bulletin_pdf(bulletin)


def test_pdf_with_a_cjk_font_draws_the_names(bulletin):
    from adapters.bulletin import pdf as exporters

    assert exporters.find_cjk_font(), "a CJK font is needed: pip install paperang-p2-fonts-cjk"
    pdf = exporters.bulletin_pdf(bulletin)
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 3
    text = pdf_text(pdf)
    assert "2026年10月企业诉求办理情况通报" in text and "统计期间 2026-09-26 至 2026-10-25" in text
    assert {"区供电中心", "区水务局", "空闲单位"} <= set(text.split())
    assert "注：部分名称" not in text


def test_a_name_the_font_cannot_draw_is_shown_by_code():
    from adapters.bulletin import pdf as exporters

    odd = rank_units(
        [(full("ODD"), "单位\U0002a6a5"), (full("FINE"), "正常单位")], SEPT
    )  # a rare extension-B character
    text = pdf_text(exporters.bulletin_pdf(odd))
    assert "正常单位" in text and "ODD" in text and "\U0002a6a5" not in text
    assert "注：部分名称含字体未收录的字，以代码显示。" in "".join(text.split())


def test_find_cjk_font_ignores_a_font_path_without_chinese():
    from adapters.bulletin import pdf as exporters

    installed = exporters.find_cjk_font()
    assert exporters.find_cjk_font("/no/such/font.ttf") == installed
    import matplotlib

    dejavu = str(matplotlib.get_data_path()) + "/fonts/ttf/DejaVuSans.ttf"
    assert exporters.find_cjk_font(dejavu) == installed
    assert exporters.find_cjk_font(installed) == installed


def test_with_no_system_font_the_packaged_cjk_font_draws_the_names(bulletin, monkeypatch):
    """A machine with nothing but Python and pip: matplotlib finds no system font at all, and the PDF
    still prints Chinese, with WenQuanYi Micro Hei from the ``paperang-p2-fonts-cjk`` dependency."""
    import matplotlib
    from matplotlib import font_manager

    from adapters.bulletin import pdf as exporters

    own = str(matplotlib.get_data_path())
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.setattr(
        font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist if f.fname.startswith(own)]
    )
    exporters.find_cjk_font.cache_clear()
    try:
        found = exporters.find_cjk_font()
        assert found == exporters.packaged_cjk_font() and found.endswith("wqy-microhei.ttc")
        text = pdf_text(exporters.bulletin_pdf(bulletin))
    finally:
        exporters.find_cjk_font.cache_clear()
    assert "2026年10月企业诉求办理情况通报" in text and {"区供电中心", "区水务局"} <= set(text.split())


def cff_font_with(text: str, path) -> str:
    """An OpenType font of CFF outlines (as the Noto CJK and Source Han files are) with glyphs for ``text``."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    names = [".notdef", *(f"uni{ord(ch):04X}" for ch in text)]
    strings = {}
    for name in names:
        pen = T2CharStringPen(600, None)
        pen.moveTo((50, 0)), pen.lineTo((550, 0)), pen.lineTo((550, 700)), pen.closePath()
        strings[name] = pen.getCharString()
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(ch): f"uni{ord(ch):04X}" for ch in text})
    builder.setupCFF("TestCFF", {"FullName": "TestCFF"}, strings, {})
    builder.setupHorizontalMetrics({name: (600, 50) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "TestCFF", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return str(path)


def test_a_cjk_font_of_cff_outlines_is_passed_over_for_the_pdf(tmp_path):
    """The PDF embeds TrueType (type 42); matplotlib writes CFF outlines into it as if they were TrueType,
    so an OpenType CJK font of CFF outlines (Debian's fonts-noto-cjk) would print garbage: it is not taken,
    even when named by the setting."""
    from adapters.bulletin import pdf as exporters

    cff = cff_font_with("通报单位区供电中心", tmp_path / "cff-cjk.otf")
    assert all(ord(ch) in exporters._charset(cff) for ch in "通报单位")  # it has the glyphs
    assert exporters.find_cjk_font(cff) != cff
    assert exporters.find_cjk_font(cff) == exporters.find_cjk_font()


def test_a_cjk_font_setting_comes_before_the_packaged_font(tmp_path):
    from adapters.bulletin import pdf as exporters

    chosen = tmp_path / "chosen.ttc"
    chosen.write_bytes(open(exporters.packaged_cjk_font(), "rb").read())
    assert exporters.find_cjk_font(str(chosen)) == str(chosen)


# -- one scale for the composite, and the units not ranked listed apart, in the exports ---------------------------
@pytest.fixture
def mixed():
    return rank_units(
        [
            # 100 x (0.1 x 1 + 0.5 x 1/2 + 0.4 x 0.9) = 71 points on all the weights
            (
                figures(
                    "WATER",
                    forwarded=1,
                    responded=1,
                    closed=2,
                    closed_solved=1,
                    closed_unsolved=1,
                    visits_basically_satisfied=1,
                ),
                "区水务局",
            ),
            (figures("RESP", forwarded=1, responded=1), "仅响应"),  # 100 points on 10 %: not ranked
            (figures("IDLE"), "空闲单位"),  # no weighted rate: not ranked
        ],
        SEPT,
    )


def test_the_workbook_shows_the_composite_in_points_and_the_units_not_ranked_apart(mixed):
    import io

    import openpyxl

    from adapters.bulletin.xlsx import bulletin_xlsx

    ws = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(mixed))).worksheets[0]
    headers = [c.value for c in ws[3]]
    composite, reason = headers.index("综合得分（百分制）"), headers.index("未排名原因")
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["WATER", None, "IDLE", "RESP", None]  # a heading row before the unranked
    assert rows[-1][2] == "合计"  # the totals, with no code
    assert rows[1][0].startswith("未参与排名的单位（权重覆盖不足50%或无计分指标）")
    assert [rows[i][composite] for i in (0, 2, 3)] == [71.0, None, 100.0]  # the JSON's points, as they are
    assert [rows[i][0] for i in (0, 2, 3)] == [1, None, None]
    assert [rows[i][reason] for i in (0, 2, 3)] == [
        None,
        "本期无计分指标（无转办、办结或回访）",
        "权重覆盖10%，不足50%，不参与排名",
    ]
    assert ws.auto_filter.ref == f"A3:{ws.cell(3, len(headers)).column_letter}4"  # the ranking alone


def test_the_pdf_shows_the_composite_in_points_and_the_units_not_ranked_apart(mixed):
    from adapters.bulletin import pdf as exporters

    table = pdf_text(exporters.bulletin_pdf(mixed)).split("\f")[0]
    lines = [" ".join(line.split()) for line in table.splitlines()]
    water = next(line for line in lines if "WATER" in line)
    assert water.startswith("1 区水务局") and "71.00" in water  # points, as in the JSON and the workbook
    apart = lines.index("未参与排名")
    assert lines.index(water) < apart
    assert [line.split()[:2] for line in lines[apart + 1 : apart + 3]] == [
        ["无指标", "空闲单位"],
        ["覆盖不足", "仅响应"],
    ]
    assert "100.00" in lines[apart + 2] and "10%" in lines[apart + 2]
    assert "不足50%的单位不参与排名" in "".join(table.split())


def test_a_month_with_no_ranked_unit_still_makes_a_workbook_and_a_pdf():
    import io

    import openpyxl

    from adapters.bulletin import pdf as exporters
    from adapters.bulletin.xlsx import bulletin_xlsx

    nobody = rank_units([(figures("IDLE"), "空闲单位"), (figures("RESP", forwarded=1, responded=1), "仅响应")], SEPT)
    assert nobody.ranked == ()
    ws = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(nobody))).worksheets[0]
    assert ws.freeze_panes == "D4" and ws["A4"].value.startswith("未参与排名的单位")
    assert [row[1:3] for row in ws.iter_rows(min_row=5, values_only=True)] == [
        ("IDLE", "空闲单位"),
        ("RESP", "仅响应"),
        (None, "合计"),
    ]
    assert "未参与排名" in pdf_text(exporters.bulletin_pdf(nobody))


# -- the exports are in Chinese ----------------------------------------------------------------------------------
def full_bulletin():
    """A bulletin with something in every section: units ranked and not ranked (for either reason), the
    approvals (a department with a Latin code, every figure of the window), a bad rating in every state of
    rectification and contest, and recurring problems (a repeat enterprise, a significant rise, a cell of
    appeals not forwarded, a merged and a suggested cluster)."""
    from dataclasses import replace
    from datetime import datetime, timedelta

    from domain.deadlines.periods import SHANGHAI
    from domain.vocabulary import CONTEST, RECTIFICATION
    from projections.ledger.approvals import APPROVAL_COUNTERS, DAY_COUNTERS, ApprovalFigures, DepartmentFigures
    from projections.ledger.ratings import BadRatingEntry
    from projections.reports.approvals import approval_section
    from projections.reports.recurring import ReceivedAppeal, recurring_section

    october = ReportingPeriod.month("2026-10")
    bulletin = rank_units(
        [
            (full("DISTRICT-POWER", on_time=1, late=1, overdue=1), "区供电中心"),
            (full("DISTRICT-WATER"), "区水务局"),
            (figures("RESP", forwarded=1, responded=1), "仅响应"),  # coverage below the minimum
            (figures("IDLE"), "空闲单位"),  # no weighted rate
        ],
        october,
    )

    class Departments:
        def departments_with_approvals(self, period):
            return ["FIRE", "PLAN"]

        def figures(self, unit, period):
            counts = dict.fromkeys(APPROVAL_COUNTERS, 1)
            return type("Figures", (), {"approvals": DepartmentFigures(counts, 1)})()

        def approval_figures(self, period):
            return ApprovalFigures(dict.fromkeys(DAY_COUNTERS, 1), 1)

    approvals = approval_section(Departments(), october, {"FIRE": "区消防救援大队"})  # PLAN: named by its code

    def at(day: str, hour: int = 9) -> datetime:
        return datetime.fromisoformat(f"2026-{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)

    states = [(r, c) for r in RECTIFICATION for c in CONTEST]
    bad_ratings = tuple(
        BadRatingEntry(
            case_id=f"case-{n}",
            case_no=f"QS2026{n:05d}",
            unit="DISTRICT-POWER",
            unit_name="区供电中心",
            level="unsatisfied" if n % 2 else "very_unsatisfied",
            visited_at=at("10-12") + timedelta(minutes=n),
            due=None if rectification is None else at("10-20"),
            provisional=bool(n % 3),
            rectification=rectification,
            rectified_at=None,
            contest=contest,
        )
        for n, (rectification, contest) in enumerate(states, start=1)
    )

    def received(n: int, day: str, category: str, unit: str | None, enterprise: str, subject: str, **more):
        fields = {"credit_code": None, "status": "forwarded"} | more
        return ReceivedAppeal(f"a{n}", f"QS2026{n:05d}", at(day), category, unit, enterprise, subject=subject, **fields)

    credit = "91370302MA3C1234XY"
    appeals = [  # 甲公司 three times, the last merged into the second; 乙 complaints not forwarded rising 1 -> 8
        received(101, "08-20", "help", "DISTRICT-POWER", "甲公司", "用电报装", credit_code=credit),
        received(102, "10-03", "help", "DISTRICT-POWER", "甲公司", "用电报装", credit_code=credit),
        received(
            103, "10-04", "help", "DISTRICT-POWER", "甲公司", "用电报装", credit_code=credit, merged_into="QS202600102"
        ),
        *(received(200 + n, f"10-{n + 5:02d}", "complaint", None, f"乙{n}号店", "道路施工噪声扰民") for n in range(8)),
        received(300, "09-10", "complaint", None, "丙公司", "其他事项"),
    ]

    class Listed:
        def appeals_received(self, start, end):
            return [a for a in appeals if start <= a.received_at < end]

    recurring = recurring_section(Listed(), october)
    assert recurring.enterprises and recurring.merged and recurring.suggested
    assert any(c.significant and c.unit is None for c in recurring.category_units)
    return replace(bulletin, approvals=approvals, bad_ratings=bad_ratings, recurring=recurring, as_of=at("10-31", 18))


#: What may be written in Latin letters: the unit codes, case numbers and credit codes of the data, and the
#: names of the formats.
ALLOWED = re.compile(r"DISTRICT-POWER|DISTRICT-WATER|RESP|IDLE|FIRE|PLAN|QS2026\d{5}|91370302MA3C1234XY|PDF|Excel")


def english_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", ALLOWED.sub(" ", text))


def test_the_bulletin_workbook_and_pdf_show_no_english_word():
    """The officials who read the bulletin read Chinese: no English word and no internal code (a rate's,
    a status's, a category's; TOTAL) in any sheet title, cell, heading, note, definition, chart title or
    label; unit codes, case numbers, credit codes, numbers and dates as they are."""
    import io

    import openpyxl

    from adapters.bulletin import pdf as exporters
    from adapters.bulletin.xlsx import bulletin_xlsx

    bulletin = full_bulletin()
    wb = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(bulletin)))
    assert wb.sheetnames == ["通报", "指标定义", "差评", "即时办结与回头看", "审批", "堵点分析"]
    found = {
        (ws.title, cell.coordinate): english_words(str(cell.value))
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None and english_words(str(cell.value))
    }
    assert found == {}
    cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    for shown in ("DISTRICT-POWER", "QS202600001", "91370302MA3C1234XY", "其中视为受理（行政许可法第三十二条）"):
        assert shown in cells, shown
    assert english_words(" ".join(wb.sheetnames)) == []

    pages = pdf_text(exporters.bulletin_pdf(bulletin)).split("\f")
    assert len(pages) >= 7  # ranking, two charts, approvals, bad ratings, recurring problems and clusters
    text = "\n".join(pages)
    assert "DISTRICT-POWER" in text and "QS202600001" in text and "行政许可法第四十五条" in "".join(text.split())
    assert {n: english_words(page) for n, page in enumerate(pages, start=1) if english_words(page)} == {}
