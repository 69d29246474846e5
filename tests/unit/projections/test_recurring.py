"""Recurring problems (堵点数据分析, 004 item 六) on hand-made appeals of autumn 2026.

The report for 2026-11 looks at September, October and November; the rise test
compares November (30 days) with October (31 days).
"""

from __future__ import annotations

from datetime import datetime
from itertools import count

import pytest

from domain.deadlines.periods import SHANGHAI
from projections.ledger.appeals import ReportingPeriod
from projections.reports.recurring import (
    ALPHA,
    ReceivedAppeal,
    RecurringSource,
    month_before,
    recurring_section,
    rise_p_value,
)

NOVEMBER = ReportingPeriod.month("2026-11")
_numbers = count(1)


def appeal(
    day: str,
    *,
    enterprise: str = "甲公司",
    code: str | None = None,
    category: str = "complaint",
    unit: str | None = "DISTRICT-POWER",
    subject: str | None = None,
    merged_into: str | None = None,
    hour: int = 9,
) -> ReceivedAppeal:
    n = next(_numbers)
    return ReceivedAppeal(
        f"case-{n}",
        f"QS2026{n:05d}",
        datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI),
        category,
        unit,
        enterprise,
        code,
        subject or f"第{n}号事项：{day}",
        "forwarded",
        merged_into,
    )


class Listed(RecurringSource):
    def __init__(self, *appeals: ReceivedAppeal) -> None:
        self.appeals = appeals

    def appeals_received(self, start, end):
        return sorted((a for a in self.appeals if start <= a.received_at < end), key=lambda a: a.received_at)


def test_an_enterprise_appealing_in_the_month_and_the_two_before_is_listed_with_each_months_count():
    """004 item 六 (堵点数据分析): an enterprise is its credit code where given (its name may be written
    differently), else its name; listed with two appeals or more over September–November, one in November."""
    code = "91370302MA3C4XYZ0K"
    source = Listed(
        appeal("2026-09-15", enterprise="淄川甲公司", code=code),
        appeal("2026-10-20", enterprise="甲公司", code=code),
        appeal("2026-11-03", enterprise="淄川甲公司（本部）", code=code),
        appeal("2026-09-01", enterprise="乙公司"),
        appeal("2026-09-28", enterprise="乙公司"),  # none in November
        appeal("2026-11-10", enterprise="丙公司"),
        appeal("2026-11-30", enterprise="丙公司 ", hour=23),
        appeal("2026-11-11", enterprise="丁公司"),
        appeal("2026-08-31", enterprise="丁公司", hour=23),  # August
    )
    section = recurring_section(source, NOVEMBER)
    assert [m.name for m in section.months] == ["2026-09", "2026-10", "2026-11"]
    assert [(e.name, e.credit_code, e.counts, e.total) for e in section.enterprises] == [
        ("淄川甲公司（本部）", code, {"2026-09": 1, "2026-10": 1, "2026-11": 1}, 3),
        ("丙公司", None, {"2026-09": 0, "2026-10": 0, "2026-11": 2}, 2),
    ]


def test_a_merged_repeat_counts_as_an_appeal_again_but_once_in_category_by_unit():
    """004 item 六 with 并单: the enterprise had to appeal again (counted in its repeats),
    yet the repeat is the same matter as the case it joined (counted once by category and unit)."""
    first = appeal("2026-11-02", enterprise="戊公司")
    repeat = appeal("2026-11-05", enterprise="戊公司", merged_into=first.case_no)
    section = recurring_section(Listed(first, repeat), NOVEMBER)
    [enterprise] = section.enterprises
    assert (enterprise.total, enterprise.merged) == (2, 1)
    assert [(c.category, c.unit, c.count, c.previous) for c in section.category_units] == [
        ("complaint", "DISTRICT-POWER", 1, 0)
    ]
    [cluster] = section.merged
    assert [c.id for c in cluster.cases] == [first.id, repeat.id]


def test_a_rise_is_significant_by_the_exact_conditional_binomial_test_at_five_percent():
    """004 item 六: rises against the previous month marked when significant. By hand, November 30 days,
    October 31, so the share under equal daily rates is 30/61: 1 → 7 gives P(X ≥ 7 | n = 8) = 0.0317;
    2 → 5 gives P(X ≥ 5 | n = 7) = 0.2133; 0 → 4 gives 0.0585 (not below 0.05)."""
    assert rise_p_value(7, 1, 30, 31) == pytest.approx(0.0317, abs=5e-4)
    assert rise_p_value(5, 2, 30, 31) == pytest.approx(0.2133, abs=5e-4)
    assert rise_p_value(4, 0, 30, 31) == pytest.approx(0.0585, abs=5e-4)
    assert rise_p_value(3, 3, 30, 31) is None  # no rise: not tested
    assert rise_p_value(31, 30, 30, 31) > 0.4  # one more case, in a month a day shorter: far from significant
    october = [appeal(f"2026-10-{d:02d}", enterprise=f"企业{d}") for d in (8, 9)]
    november = [appeal(f"2026-11-{d:02d}", enterprise=f"企业N{d}") for d in range(2, 9)]
    water = [appeal("2026-10-12", enterprise="己公司", unit="DISTRICT-WATER", category="help")] + [
        appeal(f"2026-11-{d:02d}", enterprise=f"水{d}", unit="DISTRICT-WATER", category="help") for d in range(9, 16)
    ]
    section = recurring_section(Listed(*october, *november, *water), NOVEMBER)
    cells = {(c.category, c.unit): c for c in section.category_units}
    assert (cells["help", "DISTRICT-WATER"].count, cells["help", "DISTRICT-WATER"].previous) == (7, 1)
    assert cells["help", "DISTRICT-WATER"].significant and cells["help", "DISTRICT-WATER"].p_value < ALPHA
    assert (cells["complaint", "DISTRICT-POWER"].change, cells["complaint", "DISTRICT-POWER"].significant) == (5, False)
    assert section.category_units[0] is cells["help", "DISTRICT-WATER"]  # significant rises first


def test_suggested_repeat_clusters_link_one_credit_code_or_similar_subjects_within_thirty_days():
    """并单 of repeat appeals, for 004 item 六: a suggestion links cases received within 30
    days of each other with one credit code or trigram-similar subjects, reaching back into October;
    nothing is merged, and a case 31 days before is not linked."""
    code = "91370302MA3C4XYZ0K"
    early = appeal("2026-10-02", code=code, subject="申请电费发票")
    linked = appeal("2026-11-01", code=code, subject="咨询用电报装进度")  # 30 days after, to the hour
    late = appeal("2026-12-01", code=code, hour=10, subject="其他事项")  # December: outside the report
    road = appeal("2026-11-12", enterprise="庚公司", subject="园区道路积水严重影响企业通行")
    again = appeal("2026-11-20", enterprise="辛公司", subject="园区道路积水严重，影响企业车辆通行")
    other = appeal("2026-11-21", enterprise="壬公司", subject="咨询高新技术企业认定政策")
    stale = appeal("2026-09-01", code=code, hour=8, subject="其他")  # 31 days and an hour before early
    section = recurring_section(Listed(early, linked, late, road, again, other, stale), NOVEMBER)
    clusters = [
        ([c.id for c in cl.cases], [(ln.reason, ln.score is None) for ln in cl.links]) for cl in section.suggested
    ]
    assert ([early.id, linked.id], [("credit_code", True)]) in clusters
    assert ([road.id, again.id], [("similar_subject", False)]) in clusters
    assert all(other.id not in ids and stale.id not in ids for ids, _ in clusters)
    assert section.merged == ()


def test_the_month_before_january_is_the_previous_december():
    assert month_before(ReportingPeriod.month("2026-01")).name == "2025-12"
    assert month_before(ReportingPeriod.month("2026-03"), close_day=25).start.date().isoformat() == "2026-01-26"


def test_prefix_filtered_pairs_are_exactly_the_pairs_all_comparisons_find():
    """The likely-repeat links (并单) are found without comparing every pair; they must be
    the very pairs that comparing every pair finds, for alike and unalike subjects, near and far apart."""
    import random
    from datetime import timedelta

    from domain.appeals import repeats

    rng = random.Random(7)
    words = ["园区", "道路", "积水", "电费", "发票", "退税", "路灯", "排污", "消防", "验收", "进度", "咨询"]
    subjects = ["".join(rng.sample(words, rng.randint(2, 5))) for _ in range(300)]
    start = datetime(2026, 9, 1, tzinfo=SHANGHAI)
    times = sorted(start + timedelta(hours=rng.randrange(24 * 90)) for _ in subjects)
    expected = [
        (i, j)
        for i in range(len(subjects))
        for j in range(i + 1, len(subjects))
        if repeats.within_window(times[i], times[j]) and repeats.similarity(subjects[i], subjects[j]) >= repeats.SIMILAR
    ]
    found = repeats.similar_pairs(subjects, times)
    assert [(i, j) for i, j, _ in found] == expected and len(expected) > 20
    assert all(score == repeats.similarity(subjects[i], subjects[j]) for i, j, score in found)
