"""Likely repeats (重复诉求) for 并单: the same credit code or a similar subject, received within 30
calendar days either side (domain.appeals.repeats). Trigrams and their similarity counted by hand."""

from __future__ import annotations

from datetime import datetime

from domain.appeals.repeats import SIMILAR, Candidate, similarity, suggest, trigrams, window
from domain.deadlines.periods import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def appeal(case_no: str, subject: str, received: str, code: str | None = None, status: str = "forwarded"):
    return Candidate(case_no, case_no, subject, code, at(received), status)


def test_trigrams_pad_each_word_as_pg_trgm_does():
    """接电难 → "  接", " 接电", "接电难", "电难 "; punctuation cuts words, letters are lowercased."""
    assert trigrams("接电难") == {"  接", " 接电", "接电难", "电难 "}
    assert trigrams("电，A") == {"  电", " 电 ", "  a", " a "}
    assert trigrams("  ") == set()


def test_similarity_is_the_share_of_distinct_trigrams_in_common():
    """接电难 / 接电慢 share "  接" and " 接电" of 6 distinct trigrams: 2/6 = 0.333, above 0.3;
    接电难 / 用电难 share only "电难 ": 1/7."""
    assert round(similarity("接电难", "接电慢"), 3) == 0.333 >= SIMILAR
    assert round(similarity("接电难", "用电难"), 3) == 0.143 < SIMILAR
    assert similarity("接电难", "接电难") == 1.0 and similarity("", "接电难") == 0.0


def test_repeats_are_suggested_by_credit_code_or_similar_subject_within_30_days_either_side():
    """For a case received Sat 2026-10-31 10:00 the window runs from Thu 10-01 00:00 (30 days
    before) to Mon 11-30 24:00 (30 days after); 09-30 23:59 and 12-01 00:00 are outside it. A closed or
    merged case, and the case itself, are never suggested."""
    code = "91370302MA3C5XXX1Y"
    case = appeal("QY-0", "新厂房接电难", "2026-10-31 10:00", code)
    others = [
        appeal("QY-first-day", "园区道路积水", "2026-10-01 00:00", " 91370302ma3c5xxx1y "),
        appeal("QY-before", "园区道路积水", "2026-09-30 23:59", code),
        appeal("QY-last-day", "新厂房接电难，请尽快", "2026-11-30 23:59"),
        appeal("QY-after", "新厂房接电难", "2026-12-01 00:00"),
        appeal("QY-unlike", "出口退税迟缓", "2026-10-30 09:00"),
        appeal("QY-closed", "新厂房接电难", "2026-10-30 09:00", code, status="closed"),
        appeal("QY-merged", "新厂房接电难", "2026-10-30 09:00", code, status="merged"),
        case,
    ]
    found = [(s.candidate.case_no, s.reason, round(s.score, 3)) for s in suggest(case, others)]
    # 新厂房接电难 has 7 trigrams; 新厂房接电难，请尽快 the same 7 and 4 of 请尽快: 7 shared of 11 distinct.
    assert found == [("QY-first-day", "credit_code", 0.0), ("QY-last-day", "similar_subject", 0.636)]
    assert window(case.received_at) == (at("2026-10-01 00:00"), at("2026-12-01 00:00"))
