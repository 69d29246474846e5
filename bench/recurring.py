"""Recurring-problems report benchmark: how long the 堵点分析 of a month takes over many appeals.

Makes ``--appeals`` appeals spread over September to November 2026 (about a
third each month), as the case list would give them: subjects of four words
drawn from a vocabulary of ``--words`` two-character words (fewer words: more
alike subjects, more candidate pairs), a credit code on three in five of them
from ``--enterprises`` enterprises, forty units, four categories. Then times
the report for 2026-11 (repeat enterprises, category × unit with the rise
test, merged and suggested clusters), reading from memory: what is measured is
the analysis, not the database.

    .venv/bin/python bench/recurring.py [--appeals 30000] [--words 2000] [--enterprises 3000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._machine import describe  # noqa: E402
from domain.deadlines.periods import SHANGHAI  # noqa: E402
from projections.ledger.appeals import ReportingPeriod  # noqa: E402
from projections.reports.recurring import ReceivedAppeal, RecurringSource, recurring_section  # noqa: E402


class InMemory(RecurringSource):
    def __init__(self, appeals: list[ReceivedAppeal]) -> None:
        self.appeals = sorted(appeals, key=lambda a: a.received_at)

    def appeals_received(self, start: datetime, end: datetime) -> list[ReceivedAppeal]:
        return [a for a in self.appeals if start <= a.received_at < end]


def appeals(n: int, words: int, enterprises: int, seed: int = 1) -> list[ReceivedAppeal]:
    rng = random.Random(seed)
    vocabulary = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(2)) for _ in range(words)]
    start = datetime(2026, 9, 1, tzinfo=SHANGHAI)
    made = []
    for i in range(n):
        company = rng.randrange(enterprises)
        made.append(
            ReceivedAppeal(
                f"case-{i}",
                f"QS{i:08d}",
                start + timedelta(seconds=rng.randrange(91 * 86400)),
                rng.choice(["consultation", "help", "complaint", "suggestion"]),
                f"UNIT-{rng.randrange(40)}",
                f"企业{company}",
                f"91370302{company:010d}" if rng.random() < 0.6 else None,
                "".join(rng.sample(vocabulary, 4)),
                "forwarded",
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=30000)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--enterprises", type=int, default=3000)
    args = parser.parse_args()
    source = InMemory(appeals(args.appeals, args.words, args.enterprises))
    started = time.perf_counter()
    section = recurring_section(source, ReportingPeriod.month("2026-11"))
    took = time.perf_counter() - started
    print(describe())
    print(
        f"{args.appeals} appeals over three months ({args.words}-word vocabulary): report for 2026-11 in "
        f"{took:.2f} s — {len(section.enterprises)} repeat enterprises, {len(section.category_units)} "
        f"category x unit cells, {len(section.suggested)} suggested clusters"
    )


if __name__ == "__main__":
    main()
